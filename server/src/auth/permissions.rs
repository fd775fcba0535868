//! Permissions: what a user may do in the back office and the REST API, checked server-side on
//! every route. A role is a named set of [`Permission`]s; [`default_permissions`] is the set each
//! built-in [`Role`] starts with (administration may define roles with other sets).

use fieldcrm_core::Role;

/// One thing a user may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// See customers (within the data scope).
    CustomersView,
    /// Create and edit customers and contacts.
    CustomersEdit,
    /// Reassign territory and owner (single and bulk).
    CustomersReassign,
    /// Import customers from spreadsheets.
    CustomersImport,
    /// Export customer lists.
    CustomersExport,
    /// See visits.
    VisitsView,
    /// Edit a visit's custom fields in the back office.
    VisitsEdit,
    /// Users, their devices and roles.
    AdminUsers,
    /// Departments and territories.
    AdminOrg,
    /// Roles and their permission sets.
    AdminRoles,
    /// Data dictionary and custom fields.
    AdminSchema,
    /// The audit log (logins, sync verdicts, administrative changes).
    AuditView,
    /// See products, categories and price lists.
    CatalogView,
    /// Create and edit products, categories and price lists; import products.
    CatalogEdit,
    /// See orders (within the data scope).
    OrdersView,
    /// Confirm, ship, complete and cancel orders.
    OrdersManage,
    /// See payments received, receivables and the overdue list.
    PaymentsView,
    /// Record payments received.
    PaymentsEdit,
    /// See contracts.
    ContractsView,
    /// Create and edit contracts.
    ContractsEdit,
    /// See service tickets, dispatches and service statistics.
    ServiceView,
    /// Create tickets, dispatch and reassign them, close them.
    ServiceDispatch,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 22] = [
        Permission::CustomersView,
        Permission::CustomersEdit,
        Permission::CustomersReassign,
        Permission::CustomersImport,
        Permission::CustomersExport,
        Permission::VisitsView,
        Permission::VisitsEdit,
        Permission::AdminUsers,
        Permission::AdminOrg,
        Permission::AdminRoles,
        Permission::AdminSchema,
        Permission::AuditView,
        Permission::CatalogView,
        Permission::CatalogEdit,
        Permission::OrdersView,
        Permission::OrdersManage,
        Permission::PaymentsView,
        Permission::PaymentsEdit,
        Permission::ContractsView,
        Permission::ContractsEdit,
        Permission::ServiceView,
        Permission::ServiceDispatch,
    ];

    /// The stable name stored in SQL (`customers.view`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::CustomersView => "customers.view",
            Permission::CustomersEdit => "customers.edit",
            Permission::CustomersReassign => "customers.reassign",
            Permission::CustomersImport => "customers.import",
            Permission::CustomersExport => "customers.export",
            Permission::VisitsView => "visits.view",
            Permission::VisitsEdit => "visits.edit",
            Permission::AdminUsers => "admin.users",
            Permission::AdminOrg => "admin.org",
            Permission::AdminRoles => "admin.roles",
            Permission::AdminSchema => "admin.schema",
            Permission::AuditView => "audit.view",
            Permission::CatalogView => "catalog.view",
            Permission::CatalogEdit => "catalog.edit",
            Permission::OrdersView => "orders.view",
            Permission::OrdersManage => "orders.manage",
            Permission::PaymentsView => "payments.view",
            Permission::PaymentsEdit => "payments.edit",
            Permission::ContractsView => "contracts.view",
            Permission::ContractsEdit => "contracts.edit",
            Permission::ServiceView => "service.view",
            Permission::ServiceDispatch => "service.dispatch",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Which records' owners a role's users see in the back office, inside their territory scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum DataScope {
    /// Only records the user owns.
    Own,
    /// Records owned by users of the user's department.
    Department,
    /// Records owned by users of the user's department and every department below it.
    DepartmentTree,
    /// Every record (still inside the territory scope for field roles).
    #[default]
    All,
}

impl DataScope {
    /// Every scope, narrowest first.
    pub const ALL: [DataScope; 4] = [
        DataScope::Own,
        DataScope::Department,
        DataScope::DepartmentTree,
        DataScope::All,
    ];

    /// The stable name stored in SQL.
    pub const fn as_str(self) -> &'static str {
        match self {
            DataScope::Own => "self",
            DataScope::Department => "department",
            DataScope::DepartmentTree => "department_tree",
            DataScope::All => "all",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DataScope> {
        DataScope::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }
}

/// The largest discount (basis points) users of a role of `kind` may give on an order line
/// unless administration set another limit on the role.
pub const fn default_max_discount_bp(kind: Role) -> i64 {
    match kind {
        Role::Admin => 10_000,
        Role::Manager => 3_000,
        Role::Office => 2_000,
        Role::Rep => 1_000,
        Role::Engineer | Role::Partner => 0,
    }
}

/// The permissions a built-in role has unless administration says otherwise.
pub fn default_permissions(role: Role) -> &'static [Permission] {
    use Permission as P;
    match role {
        Role::Admin => &Permission::ALL,
        Role::Manager | Role::Office => &[
            P::CustomersView,
            P::CustomersEdit,
            P::CustomersReassign,
            P::CustomersImport,
            P::CustomersExport,
            P::VisitsView,
            P::VisitsEdit,
            P::CatalogView,
            P::CatalogEdit,
            P::OrdersView,
            P::OrdersManage,
            P::PaymentsView,
            P::PaymentsEdit,
            P::ContractsView,
            P::ContractsEdit,
            P::ServiceView,
            P::ServiceDispatch,
        ],
        Role::Rep => &[
            P::CustomersView,
            P::CustomersEdit,
            P::VisitsView,
            P::CatalogView,
            P::OrdersView,
            P::PaymentsView,
            P::ContractsView,
        ],
        Role::Engineer | Role::Partner => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for p in Permission::ALL {
            assert!(seen.insert(p.as_str()));
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Permission::parse("nope"), None);
    }

    #[test]
    fn data_scopes_round_trip() {
        for d in DataScope::ALL {
            assert_eq!(DataScope::parse(d.as_str()), Some(d));
        }
        assert_eq!(DataScope::parse("everyone"), None);
        assert_eq!(DataScope::default(), DataScope::All);
    }

    #[test]
    fn only_admins_administer() {
        for role in Role::ALL {
            let admin = default_permissions(role).contains(&Permission::AdminUsers);
            assert_eq!(admin, role == Role::Admin, "{role}");
        }
        assert!(!default_permissions(Role::Rep).contains(&Permission::CustomersExport));
        // The audit log (every user's sign-ins, administrative changes) is for administrators.
        for role in Role::ALL {
            let audit = default_permissions(role).contains(&Permission::AuditView);
            assert_eq!(audit, role == Role::Admin, "{role}");
        }
    }
}
