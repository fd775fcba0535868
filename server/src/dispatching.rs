//! Service tickets and their dispatches: what the office does to them (create a ticket, dispatch
//! it to an engineer, reassign, reschedule, cancel, record the satisfaction survey, close or
//! cancel the ticket), shared by the back office, the demo seed and tests.
//!
//! Tickets are rows of `tickets` ([`crate::db::tickets`]); every change to a dispatch goes through
//! the document write path ([`write::server_create`], [`write::server_update`]), whose edit closure
//! re-checks the dispatch's status inside the write transaction, so a step decided on a stale page
//! is refused rather than applied. Which office step is legal comes from
//! [`dispatch::may_transition`]; reassignment is the server's own step (the new engineer starts
//! again from `assigned`, whatever the old one had accepted).

use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::Customer;
use fieldcrm_core::domain::dispatch::{self, Dispatch, DispatchStatus, Site, Survey};
use fieldcrm_core::{CustomerId, DispatchId, ProductId, Role, TicketId, UserId};
use serde_json::Value;

use crate::db::tickets::{self, NewTicket, Priority, Ticket, TicketStatus, TicketType};
use crate::db::{Db, DbError, catalog, users};
use crate::sync::Hub;
use crate::sync::write::{self, WriteError};

/// Why an office step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The document write path failed.
    #[error(transparent)]
    Write(WriteError),
    /// The ticket, dispatch or customer does not exist.
    #[error("not found")]
    NotFound,
    /// The step is not allowed now: the message key (`svc.err.*`) says why.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// A value is invalid (the record's own validation).
    #[error("invalid: {0}")]
    Invalid(String),
}

impl From<WriteError> for ServiceError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(_) => ServiceError::NotFound,
            WriteError::Invalid(m) => match m.strip_prefix(REFUSED) {
                Some(key) => ServiceError::Refused(refusal_key(key)),
                None => ServiceError::Invalid(m),
            },
            other => ServiceError::Write(other),
        }
    }
}

/// Refusals decided inside an edit closure travel as `WriteError::Invalid("refused:<key>")`.
const REFUSED: &str = "refused:";

/// Every refusal's message key.
pub const REFUSALS: &[&str] = &[
    "svc.err.ticket_final",
    "svc.err.already_dispatched",
    "svc.err.not_engineer",
    "svc.err.cannot_reassign",
    "svc.err.dispatch_final",
    "svc.err.illegal_step",
    "svc.err.survey_needs_completion",
    "svc.err.live_dispatch",
    "svc.err.close_needs",
    "svc.err.already_completed",
    "svc.err.not_dispatch",
];

fn refusal_key(key: &str) -> &'static str {
    REFUSALS
        .iter()
        .copied()
        .find(|k| *k == key)
        .unwrap_or("svc.err.illegal_step")
}

fn refuse(key: &'static str) -> WriteError {
    WriteError::Invalid(format!("{REFUSED}{key}"))
}

/// What the office enters for a new ticket.
#[derive(Clone, Debug)]
pub struct TicketInput {
    /// The customer.
    pub customer: CustomerId,
    /// Whom to ask for.
    pub contact_name: String,
    /// Their phone.
    pub contact_phone: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Priority.
    pub priority: Priority,
    /// What is wrong (required).
    pub description: String,
    /// The product concerned.
    pub product: Option<ProductId>,
    /// Its serial.
    pub serial: String,
    /// The SLA deadline; `None`: the priority's default from `now`.
    pub sla_due_at: Option<i64>,
    /// Who creates it.
    pub created_by: Option<UserId>,
    /// The creation time (unix ms).
    pub now: i64,
}

fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// Creates a ticket with the next `SR-<year>-NNNNNN` number.
pub async fn create_ticket(db: &Db, input: &TicketInput) -> Result<Ticket, ServiceError> {
    let description = clip(&input.description, 5_000);
    if description.is_empty() {
        return Err(ServiceError::Invalid("description".into()));
    }
    match crate::db::documents::anchors(db, input.customer.into()).await? {
        Some((Kind::Customer, _, _)) => {}
        _ => return Err(ServiceError::NotFound),
    }
    let id = TicketId::new();
    tickets::create(
        db,
        &NewTicket {
            id,
            customer: input.customer,
            contact_name: clip(&input.contact_name, 200),
            contact_phone: clip(&input.contact_phone, 64),
            ticket_type: input.ticket_type,
            priority: input.priority,
            description,
            product: input.product,
            serial: clip(&input.serial, 200),
            sla_due_at: input
                .sla_due_at
                .unwrap_or_else(|| input.priority.default_sla_due(input.now)),
            created_by: input.created_by,
            created_at: input.now,
        },
    )
    .await?;
    tickets::get(db, id).await?.ok_or(ServiceError::NotFound)
}

/// The customer's details an engineer needs, copied into the dispatch.
pub fn site_of(customer: &Customer) -> Site {
    let a = &customer.address;
    let mut address = String::new();
    for part in [&a.province, &a.city, &a.district, &a.street] {
        let part = part.trim();
        // A part repeating the one before it (a municipality's district as its city) once.
        if !part.is_empty() && !address.ends_with(part) {
            if !address.is_empty() {
                address.push(' ');
            }
            address.push_str(part);
        }
    }
    let contact = customer.primary_contact();
    Site {
        customer_name: customer.name.clone(),
        address,
        geo: a.geo,
        contact_name: contact.map(|c| c.name.clone()).unwrap_or_default(),
        contact_phone: contact
            .and_then(|c| c.phones.first().cloned())
            .or_else(|| customer.phones.first().cloned())
            .unwrap_or_default(),
    }
}

async fn load_customer(db: &Db, id: CustomerId) -> Result<Customer, ServiceError> {
    let value = write::load_record(db, id.into()).await?;
    serde_json::from_value(value).map_err(|e| ServiceError::Invalid(e.to_string()))
}

/// Loads a dispatch document's typed record.
pub async fn load_dispatch(db: &Db, id: DispatchId) -> Result<Dispatch, ServiceError> {
    match crate::db::documents::anchors(db, id.into()).await? {
        Some((Kind::Dispatch, _, _)) => {}
        Some(_) => return Err(ServiceError::Refused("svc.err.not_dispatch")),
        None => return Err(ServiceError::NotFound),
    }
    let value = write::load_record(db, id.into()).await?;
    serde_json::from_value(value).map_err(|e| ServiceError::Invalid(e.to_string()))
}

/// The product a form names, by its code or its id (`None` if there is no such product).
pub async fn find_product(db: &Db, code_or_id: &str) -> Result<Option<ProductId>, DbError> {
    let text = code_or_id.trim();
    if let Some(p) = catalog::product_by_code(db, text).await? {
        return Ok(Some(p.id));
    }
    Ok(match ProductId::parse(text) {
        Ok(id) => catalog::product(db, id).await?.map(|p| p.id),
        Err(_) => None,
    })
}

/// `code name` of a product (its id if the catalog no longer has it).
pub async fn product_label(db: &Db, id: ProductId) -> Result<String, DbError> {
    Ok(match catalog::product(db, id).await? {
        Some(p) => format!("{} {}", p.code, p.name),
        None => id.to_string(),
    })
}

/// Whether `user` is an enabled engineer.
pub async fn is_engineer(db: &Db, user: UserId) -> Result<bool, DbError> {
    Ok(users::get(db, user)
        .await?
        .is_some_and(|u| u.role == Role::Engineer && !u.disabled))
}

/// The enabled engineers, by display name.
pub async fn engineers(db: &Db) -> Result<Vec<users::User>, DbError> {
    let mut list: Vec<users::User> = users::list(db)
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Engineer && !u.disabled)
        .collect();
    list.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(list)
}

/// Dispatches `ticket` to `engineer` for `scheduled_at`: a new dispatch document in the
/// engineer's scope with copies of the ticket and the customer's site. Refused for a closed or
/// cancelled ticket, or one that already has a live dispatch.
pub async fn dispatch_ticket(
    db: &Db,
    hub: &Hub,
    ticket: &Ticket,
    engineer: UserId,
    scheduled_at: i64,
    by: Option<UserId>,
) -> Result<DispatchId, ServiceError> {
    if ticket.status.is_final() {
        return Err(ServiceError::Refused("svc.err.ticket_final"));
    }
    if ticket.status == TicketStatus::Dispatched {
        return Err(ServiceError::Refused("svc.err.already_dispatched"));
    }
    if !is_engineer(db, engineer).await? {
        return Err(ServiceError::Refused("svc.err.not_engineer"));
    }
    let customer = load_customer(db, ticket.customer).await?;
    let product = match ticket.product {
        Some(p) => product_label(db, p).await?,
        None => String::new(),
    };
    let product_serial = [product.as_str(), ticket.serial.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ");
    let record = Dispatch {
        ticket: Some(ticket.id),
        customer: Some(ticket.customer),
        engineer: Some(engineer),
        ticket_type: ticket.ticket_type.as_str().to_owned(),
        priority: ticket.priority.as_str().to_owned(),
        description: ticket.description.clone(),
        product_serial,
        sla_due_at: Some(ticket.sla_due_at),
        site: site_of(&customer),
        scheduled_at: Some(scheduled_at),
        status: DispatchStatus::Assigned,
        ..Dispatch::default()
    };
    let json = serde_json::to_value(&record).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let id = DispatchId::new();
    // Two office users may both have passed the check above: the unique index on live
    // dispatches per ticket refuses the second write (migration 0014).
    match write::server_create(db, hub, Kind::Dispatch, id.into(), &json, by).await {
        Ok(_) => Ok(id),
        Err(WriteError::Db(DbError::Duplicate(_))) => {
            Err(ServiceError::Refused("svc.err.already_dispatched"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Applies `change` to the dispatch's typed record inside the write transaction.
async fn edit_dispatch(
    db: &Db,
    hub: &Hub,
    id: DispatchId,
    by: Option<UserId>,
    action: &str,
    change: impl FnOnce(&mut Dispatch) -> Result<(), WriteError>,
) -> Result<Option<u64>, ServiceError> {
    // The kind is checked first: the closure must not reinterpret another kind's record.
    load_dispatch(db, id).await?;
    let seq = write::server_update(db, hub, id.into(), by, action, |v: &mut Value| {
        let mut d: Dispatch =
            serde_json::from_value(v.clone()).map_err(|e| WriteError::Invalid(e.to_string()))?;
        change(&mut d)?;
        *v = serde_json::to_value(&d).map_err(|e| WriteError::Invalid(e.to_string()))?;
        Ok(())
    })
    .await?;
    Ok(seq)
}

/// Gives the dispatch to `engineer` (optionally at a new time), refreshing the site copy: the old
/// engineer's devices lose it, the new one's receive it. A dispatch the old engineer had accepted
/// or was driving to goes back to `assigned`, as does one the engineer could not complete
/// (`unable → assigned`, an office step). Refused once the engineer is on site or it is over.
pub async fn reassign(
    db: &Db,
    hub: &Hub,
    id: DispatchId,
    engineer: UserId,
    scheduled_at: Option<i64>,
    role: Role,
    by: Option<UserId>,
) -> Result<Option<u64>, ServiceError> {
    if !is_engineer(db, engineer).await? {
        return Err(ServiceError::Refused("svc.err.not_engineer"));
    }
    let current = load_dispatch(db, id).await?;
    let site = match current.customer {
        Some(c) => Some(site_of(&load_customer(db, c).await?)),
        None => None,
    };
    edit_dispatch(db, hub, id, by, "dispatch.reassign", move |d| {
        let changes_engineer = d.engineer != Some(engineer);
        match d.status {
            DispatchStatus::Assigned => {}
            DispatchStatus::Accepted | DispatchStatus::EnRoute => {
                if changes_engineer {
                    d.status = DispatchStatus::Assigned;
                }
            }
            DispatchStatus::Unable => {
                if !dispatch::may_transition(role, d.status, DispatchStatus::Assigned) {
                    return Err(refuse("svc.err.illegal_step"));
                }
                d.status = DispatchStatus::Assigned;
                d.unable_reason.clear();
            }
            DispatchStatus::OnSite | DispatchStatus::Completed | DispatchStatus::Cancelled => {
                return Err(refuse("svc.err.cannot_reassign"));
            }
        }
        d.engineer = Some(engineer);
        if let Some(at) = scheduled_at {
            d.scheduled_at = Some(at);
        }
        if let Some(site) = site {
            d.site = site;
        }
        Ok(())
    })
    .await
}

/// Moves the dispatch to another time. Refused once it is over.
pub async fn reschedule(
    db: &Db,
    hub: &Hub,
    id: DispatchId,
    scheduled_at: i64,
    by: Option<UserId>,
) -> Result<Option<u64>, ServiceError> {
    edit_dispatch(db, hub, id, by, "dispatch.reschedule", move |d| {
        if d.status.is_final() {
            return Err(refuse("svc.err.dispatch_final"));
        }
        d.scheduled_at = Some(scheduled_at);
        Ok(())
    })
    .await
}

/// Withdraws the dispatch (an office step the workflow allows until it is completed).
pub async fn cancel_dispatch(
    db: &Db,
    hub: &Hub,
    id: DispatchId,
    role: Role,
    by: Option<UserId>,
) -> Result<Option<u64>, ServiceError> {
    edit_dispatch(db, hub, id, by, "dispatch.cancel", move |d| {
        if !dispatch::may_transition(role, d.status, DispatchStatus::Cancelled) {
            return Err(refuse("svc.err.illegal_step"));
        }
        d.status = DispatchStatus::Cancelled;
        Ok(())
    })
    .await
}

/// Records the customer's satisfaction (score 1–5, comment) on a completed dispatch, as the
/// office hears it on a call-back. A score out of range is [`ServiceError::Invalid`].
pub async fn record_survey(
    db: &Db,
    hub: &Hub,
    id: DispatchId,
    score: i64,
    comment: &str,
    now: i64,
    by: Option<UserId>,
) -> Result<Option<u64>, ServiceError> {
    let comment = clip(comment, 2_000);
    edit_dispatch(db, hub, id, by, "dispatch.survey", move |d| {
        if d.status != DispatchStatus::Completed {
            return Err(refuse("svc.err.survey_needs_completion"));
        }
        d.survey = Some(Survey {
            score,
            comment,
            at: now,
        });
        Ok(())
    })
    .await
}

/// Closes a ticket: only once a dispatch completed, or with a resolution note; never while a
/// dispatch is live.
pub async fn close_ticket(
    db: &Db,
    ticket: &Ticket,
    resolution: &str,
    by: Option<UserId>,
    now: i64,
) -> Result<(), ServiceError> {
    let resolution = clip(resolution, 5_000);
    match ticket.status {
        TicketStatus::Closed | TicketStatus::Cancelled => {
            return Err(ServiceError::Refused("svc.err.ticket_final"));
        }
        TicketStatus::Dispatched => return Err(ServiceError::Refused("svc.err.live_dispatch")),
        TicketStatus::Open if resolution.is_empty() => {
            return Err(ServiceError::Refused("svc.err.close_needs"));
        }
        TicketStatus::Open | TicketStatus::Completed => {}
    }
    if !tickets::finish(db, ticket.id, TicketStatus::Closed, by, &resolution, now).await? {
        return Err(ServiceError::Refused("svc.err.ticket_final"));
    }
    Ok(())
}

/// Cancels a ticket and withdraws its live dispatches. Refused once a dispatch completed (close
/// it instead).
pub async fn cancel_ticket(
    db: &Db,
    hub: &Hub,
    ticket: &Ticket,
    reason: &str,
    role: Role,
    by: Option<UserId>,
    now: i64,
) -> Result<(), ServiceError> {
    match ticket.status {
        TicketStatus::Closed | TicketStatus::Cancelled => {
            return Err(ServiceError::Refused("svc.err.ticket_final"));
        }
        TicketStatus::Completed => return Err(ServiceError::Refused("svc.err.already_completed")),
        TicketStatus::Open | TicketStatus::Dispatched => {}
    }
    for d in tickets::dispatches_of(db, ticket.id).await? {
        let status = DispatchStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == d.status);
        if status.is_some_and(|s| !s.is_final()) {
            cancel_dispatch(db, hub, d.id, role, by).await?;
        }
    }
    if !tickets::finish(
        db,
        ticket.id,
        TicketStatus::Cancelled,
        by,
        &clip(reason, 5_000),
        now,
    )
    .await?
    {
        return Err(ServiceError::Refused("svc.err.ticket_final"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcrm_core::ContactId;
    use fieldcrm_core::domain::{Address, Contact, GeoPoint};

    #[test]
    fn the_site_is_one_line_with_the_primary_contact() {
        let customer = Customer {
            name: "华联超市 Hualian".into(),
            phones: vec!["021-5555 0000".into()],
            address: Address {
                province: "上海市".into(),
                city: "上海".into(),
                district: "浦东新区".into(),
                street: "世纪大道 100 号".into(),
                geo: Some(GeoPoint {
                    lat: 31.2,
                    lon: 121.5,
                }),
                ..Address::default()
            },
            contacts: vec![
                Contact {
                    id: ContactId::new(),
                    name: "李四".into(),
                    ..Contact::default()
                },
                Contact {
                    id: ContactId::new(),
                    name: "王五".into(),
                    phones: vec!["138 0000 0000".into()],
                    primary: true,
                    ..Contact::default()
                },
            ],
            ..Customer::default()
        };
        let site = site_of(&customer);
        assert_eq!(site.customer_name, "华联超市 Hualian");
        assert_eq!(site.address, "上海市 上海 浦东新区 世纪大道 100 号");
        assert_eq!(site.contact_name, "王五");
        assert_eq!(site.contact_phone, "138 0000 0000");
        assert!(site.geo.is_some());
        let bare = site_of(&Customer {
            name: "x".into(),
            phones: vec!["010-1".into()],
            ..Customer::default()
        });
        assert_eq!(
            (bare.address.as_str(), bare.contact_phone.as_str()),
            ("", "010-1")
        );
    }

    #[test]
    fn refusals_travel_through_the_write_error() {
        let e: ServiceError = refuse("svc.err.cannot_reassign").into();
        assert!(matches!(
            e,
            ServiceError::Refused("svc.err.cannot_reassign")
        ));
        let e: ServiceError = WriteError::Invalid("survey: score must be 1 to 5".into()).into();
        assert!(matches!(e, ServiceError::Invalid(_)));
    }
}
