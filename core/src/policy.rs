//! The write policy: `(role, kind, field path) → access`, one declarative table.
//!
//! The same table drives the server's enforcement (a change touching a path the author may not
//! write is compensated) and the apps' forms (a field the user may not write is shown read-only).
//! Paths are dotted (`address.city`); a rule for `address` covers every path below it. A path no
//! rule covers is not writable — including keys no record type knows.
//!
//! Server-owned fields (territory, owner, the rep of a visit, the customer of a visit after
//! creation) have no `Write` rule for any role: only the server writes them.

use serde::{Deserialize, Serialize};

use crate::document::Kind;
use crate::role::Role;

/// What a role may do with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Not visible at all.
    None,
    /// Visible, not writable.
    Read,
    /// Visible and writable.
    Write,
}

use Access::{Read, Write};
use Role::{Admin, Engineer, Manager, Office, Partner, Rep};

const OFFICE_LIKE: &[Role] = &[Admin, Manager, Office, Rep];
const EVERYONE_IN_SCOPE: &[Role] = &[Admin, Manager, Office, Rep, Engineer, Partner];

/// One rule of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Roles the rule applies to.
    pub roles: &'static [Role],
    /// Document kind.
    pub kind: Kind,
    /// Dotted path prefix.
    pub path: &'static str,
    /// Access granted.
    pub access: Access,
}

const fn rule(roles: &'static [Role], kind: Kind, path: &'static str, access: Access) -> Rule {
    Rule {
        roles,
        kind,
        path,
        access,
    }
}

/// The table. Read rules exist so the apps know what to show; anything in scope is readable.
pub const RULES: &[Rule] = &[
    // customer: role-writable fields
    rule(OFFICE_LIKE, Kind::Customer, "code", Write),
    rule(OFFICE_LIKE, Kind::Customer, "name", Write),
    rule(OFFICE_LIKE, Kind::Customer, "kind", Write),
    rule(OFFICE_LIKE, Kind::Customer, "tier", Write),
    rule(OFFICE_LIKE, Kind::Customer, "industry", Write),
    rule(OFFICE_LIKE, Kind::Customer, "source", Write),
    rule(OFFICE_LIKE, Kind::Customer, "phones", Write),
    rule(OFFICE_LIKE, Kind::Customer, "email", Write),
    rule(OFFICE_LIKE, Kind::Customer, "address", Write),
    rule(OFFICE_LIKE, Kind::Customer, "tags", Write),
    rule(OFFICE_LIKE, Kind::Customer, "birthday", Write),
    rule(OFFICE_LIKE, Kind::Customer, "interests", Write),
    rule(OFFICE_LIKE, Kind::Customer, "contacts", Write),
    rule(OFFICE_LIKE, Kind::Customer, "custom", Write),
    rule(OFFICE_LIKE, Kind::Customer, "notes", Write),
    // customer: server-owned, readable by everyone who sees the customer
    rule(EVERYONE_IN_SCOPE, Kind::Customer, "territory", Read),
    rule(EVERYONE_IN_SCOPE, Kind::Customer, "owner", Read),
    // engineers see customers of their dispatches, read-only
    rule(&[Engineer], Kind::Customer, "", Read),
    // visit
    rule(OFFICE_LIKE, Kind::Visit, "planned_at", Write),
    rule(OFFICE_LIKE, Kind::Visit, "check_in", Write),
    rule(OFFICE_LIKE, Kind::Visit, "check_out", Write),
    rule(OFFICE_LIKE, Kind::Visit, "purpose", Write),
    rule(OFFICE_LIKE, Kind::Visit, "outcome", Write),
    rule(OFFICE_LIKE, Kind::Visit, "notes", Write),
    rule(OFFICE_LIKE, Kind::Visit, "next_step", Write),
    rule(OFFICE_LIKE, Kind::Visit, "photos", Write),
    rule(OFFICE_LIKE, Kind::Visit, "custom", Write),
    rule(OFFICE_LIKE, Kind::Visit, "customer", Read),
    rule(OFFICE_LIKE, Kind::Visit, "rep", Read),
    // order: what the device writes; the workflow (who may take which step, what is locked in
    // which status) is checked by `Order::authorize`, prices and totals are the server's.
    rule(OFFICE_LIKE, Kind::Order, "status", Write),
    rule(OFFICE_LIKE, Kind::Order, "lines", Write),
    rule(OFFICE_LIKE, Kind::Order, "notes", Write),
    rule(OFFICE_LIKE, Kind::Order, "cancel_reason", Write),
    rule(OFFICE_LIKE, Kind::Order, "customer", Read),
    rule(OFFICE_LIKE, Kind::Order, "number", Read),
    rule(OFFICE_LIKE, Kind::Order, "rep", Read),
    rule(OFFICE_LIKE, Kind::Order, "currency", Read),
    rule(OFFICE_LIKE, Kind::Order, "subtotal", Read),
    rule(OFFICE_LIKE, Kind::Order, "discount_total", Read),
    rule(OFFICE_LIKE, Kind::Order, "total", Read),
    // dispatch: the engineer works it; the ticket, customer, site and schedule are the office's
    // (set through the server). `Dispatch::authorize` opens the work fields only while the
    // dispatch is accepted and not final.
    rule(EVERYONE_IN_SCOPE, Kind::Dispatch, "", Read),
    rule(&[Engineer], Kind::Dispatch, "status", Write),
    rule(&[Engineer], Kind::Dispatch, "check_in", Write),
    rule(&[Engineer], Kind::Dispatch, "work_log", Write),
    rule(&[Engineer], Kind::Dispatch, "parts", Write),
    rule(&[Engineer], Kind::Dispatch, "photos", Write),
    rule(&[Engineer], Kind::Dispatch, "signature", Write),
    rule(&[Engineer], Kind::Dispatch, "completed_at", Write),
    rule(&[Engineer], Kind::Dispatch, "unable_reason", Write),
    rule(&[Engineer], Kind::Dispatch, "survey", Write),
];

fn covers(prefix: &str, path: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.len() > prefix.len()
            && path.starts_with(prefix)
            && path.as_bytes()[prefix.len()] == b'.')
}

/// The access `role` has to `path` of a document of `kind`: the most specific matching rule wins.
pub fn access(role: Role, kind: Kind, path: &str) -> Access {
    RULES
        .iter()
        .filter(|r| r.kind == kind && r.roles.contains(&role) && covers(r.path, path))
        .max_by_key(|r| r.path.len())
        .map_or(Access::None, |r| r.access)
}

/// True when `role` may write `path`.
pub fn may_write(role: Role, kind: Kind, path: &str) -> bool {
    access(role, kind, path) == Access::Write
}

/// The top-level fields `role` may write in `kind` (for forms).
pub fn writable_fields(role: Role, kind: Kind) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = RULES
        .iter()
        .filter(|r| r.kind == kind && r.roles.contains(&role) && r.access == Write)
        .map(|r| r.path)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_owned_fields_are_writable_by_nobody() {
        for role in Role::ALL {
            for (kind, path) in [
                (Kind::Customer, "territory"),
                (Kind::Customer, "owner"),
                (Kind::Visit, "rep"),
                (Kind::Visit, "customer"),
                (Kind::Order, "number"),
                (Kind::Order, "rep"),
                (Kind::Order, "customer"),
                (Kind::Order, "total"),
                (Kind::Order, "subtotal"),
                (Kind::Dispatch, "engineer"),
                (Kind::Dispatch, "customer"),
                (Kind::Dispatch, "ticket"),
                (Kind::Dispatch, "site"),
                (Kind::Dispatch, "scheduled_at"),
            ] {
                assert!(
                    !may_write(role, kind, path),
                    "{role} may write {kind}.{path}"
                );
            }
        }
    }

    #[test]
    fn reps_write_ordinary_fields_engineers_and_partners_do_not() {
        assert!(may_write(Role::Rep, Kind::Customer, "name"));
        assert!(may_write(Role::Rep, Kind::Customer, "address.city"));
        assert!(may_write(Role::Rep, Kind::Customer, "custom.vip_level"));
        assert!(may_write(Role::Rep, Kind::Visit, "check_in.geo"));
        assert_eq!(access(Role::Engineer, Kind::Customer, "name"), Access::Read);
        assert_eq!(access(Role::Partner, Kind::Customer, "name"), Access::None);
        assert!(!may_write(Role::Rep, Kind::Customer, "evil"));
        assert!(
            !may_write(Role::Rep, Kind::Customer, "names"),
            "prefix must match whole segments"
        );
    }

    #[test]
    fn engineers_work_dispatches_and_reps_take_orders() {
        for path in ["status", "work_log", "check_in.geo", "signature", "survey"] {
            assert!(may_write(Role::Engineer, Kind::Dispatch, path), "{path}");
            assert!(!may_write(Role::Rep, Kind::Dispatch, path), "{path}");
        }
        assert_eq!(access(Role::Rep, Kind::Dispatch, "site"), Access::Read);
        assert!(may_write(Role::Rep, Kind::Order, "lines"));
        assert_eq!(access(Role::Engineer, Kind::Order, "lines"), Access::None);
        assert_eq!(access(Role::Rep, Kind::Order, "number"), Access::Read);
    }

    #[test]
    fn writable_fields_for_forms() {
        let f = writable_fields(Role::Rep, Kind::Customer);
        assert!(f.contains(&"name") && !f.contains(&"territory"));
        assert!(writable_fields(Role::Engineer, Kind::Customer).is_empty());
    }
}
