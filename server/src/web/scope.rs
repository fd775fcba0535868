//! Which records a back-office user may open: one helper per record kind, used by every route
//! that takes a record's id or acts on a record (cards, tabs, forms, actions, downloads). A record
//! outside the user's territory scope *or* outside the data scope of their role (self /
//! department / department and below / all, [`super::session::WebUser::owner_restriction`]) is
//! [`WebError::NotFound`], exactly like one that does not exist, so its existence does not leak.
//!
//! The check is [`crate::db::visibility`]: the same conditions, on the same columns, as the
//! lists, so a record a list shows opens and one it hides does not (see the table there: visits
//! by the rep who made them, orders and payments by the order's rep, tickets, dispatches and
//! contracts by their customer's owner).

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::{DispatchId, DocId, TicketId, UserId};

use super::WebError;
use super::session::WebUser;
use crate::db::contracts::{self, Contract, ContractId};
use crate::db::payments::{self, Payment, PaymentId};
use crate::db::territories::{self, ScopeTerritories};
use crate::db::tickets::{self, DispatchRow, Ticket};
use crate::db::visibility::{self, Record};
use crate::db::{Db, attachments, catalog};
use crate::startup::AppState;

/// A user's scope over records: territories and the owners of the role's data scope.
#[derive(Clone, Debug)]
pub struct RecordScope {
    /// The territories the user sees.
    pub territories: ScopeTerritories,
    /// The owners whose records the user sees (`None` = every owner).
    pub owners: Option<Vec<UserId>>,
}

impl RecordScope {
    /// The scope of `user`, read from the database (role and assignments as they are now).
    pub async fn of(db: &Db, user: &WebUser) -> Result<RecordScope, WebError> {
        Ok(RecordScope {
            territories: territories::scope_territories(db, user.user_id, user.role).await?,
            owners: user.owner_restriction(db).await?,
        })
    }

    /// The owner restriction as a slice.
    pub fn owners(&self) -> Option<&[UserId]> {
        self.owners.as_deref()
    }

    /// Whether the record `id` of kind `record` exists and is inside this scope.
    pub async fn sees(&self, db: &Db, record: Record, id: &str) -> Result<bool, WebError> {
        Ok(visibility::visible(db, record, id, &self.territories, self.owners()).await?)
    }

    /// Of `ids`, those of records inside this scope.
    pub async fn among(
        &self,
        db: &Db,
        record: Record,
        ids: &[String],
    ) -> Result<Vec<String>, WebError> {
        Ok(visibility::visible_among(db, record, ids, &self.territories, self.owners()).await?)
    }

    /// `Ok` if the record is inside this scope, else 404.
    async fn require(&self, db: &Db, record: Record, id: &str) -> Result<(), WebError> {
        if self.sees(db, record, id).await? {
            Ok(())
        } else {
            Err(WebError::NotFound)
        }
    }
}

/// `Ok` if `user` sees the record `id` of kind `record`, else 404.
async fn require(
    state: &AppState,
    user: &WebUser,
    record: Record,
    id: impl ToString,
) -> Result<(), WebError> {
    RecordScope::of(&state.db, user)
        .await?
        .require(&state.db, record, &id.to_string())
        .await
}

/// The customer `id` (a path segment) if the user sees it, with the user's scope; else 404.
pub async fn customer(
    state: &AppState,
    user: &WebUser,
    id: &str,
) -> Result<(DocId, RecordScope), WebError> {
    let id = DocId::parse(id).map_err(|_| WebError::NotFound)?;
    let scope = RecordScope::of(&state.db, user).await?;
    scope
        .require(&state.db, Record::Customer, &id.to_string())
        .await?;
    Ok((id, scope))
}

/// Whether the user sees customer `id` (for forms that name a customer: not found is a form
/// error there, not a 404).
pub async fn sees_customer(state: &AppState, user: &WebUser, id: DocId) -> Result<bool, WebError> {
    RecordScope::of(&state.db, user)
        .await?
        .sees(&state.db, Record::Customer, &id.to_string())
        .await
}

/// The visit `id` if the user sees it (by the rep who made it); else 404.
pub async fn visit(state: &AppState, user: &WebUser, id: &str) -> Result<DocId, WebError> {
    let id = DocId::parse(id).map_err(|_| WebError::NotFound)?;
    require(state, user, Record::Visit, id).await?;
    Ok(id)
}

/// The order `id` if the user sees it (by its rep); else 404.
pub async fn order(state: &AppState, user: &WebUser, id: &str) -> Result<DocId, WebError> {
    let id = DocId::parse(id).map_err(|_| WebError::NotFound)?;
    require(state, user, Record::Order, id).await?;
    Ok(id)
}

/// The payment `id` if the user sees it (by its order); else 404.
pub async fn payment(state: &AppState, user: &WebUser, id: &str) -> Result<Payment, WebError> {
    let id = PaymentId::parse(id).map_err(|_| WebError::NotFound)?;
    require(state, user, Record::Payment, id).await?;
    payments::get(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)
}

/// The ticket `id` if the user sees it (by its customer); else 404.
pub async fn ticket(state: &AppState, user: &WebUser, id: TicketId) -> Result<Ticket, WebError> {
    require(state, user, Record::Ticket, id).await?;
    tickets::get(&state.db, id).await?.ok_or(WebError::NotFound)
}

/// The dispatch `id` (projection row) and its ticket, if the user sees the ticket; else 404.
pub async fn dispatch(
    state: &AppState,
    user: &WebUser,
    id: &str,
) -> Result<(DispatchRow, Ticket), WebError> {
    let id = DispatchId::parse(id).map_err(|_| WebError::NotFound)?;
    let row = tickets::dispatch(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let ticket = ticket(state, user, row.ticket).await?;
    Ok((row, ticket))
}

/// The contract `id` if the user sees it (by its customer); else 404.
pub async fn contract(state: &AppState, user: &WebUser, id: &str) -> Result<Contract, WebError> {
    let id = ContractId::parse(id).map_err(|_| WebError::NotFound)?;
    require(state, user, Record::Contract, id).await?;
    contracts::get(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)
}

/// Whether the user may read a stored file through the back office: they uploaded it, it is a
/// product image, or a visit or a dispatch's ticket that references it is one they see.
pub async fn attachment(
    state: &AppState,
    user: &WebUser,
    sha: &Sha256Hex,
) -> Result<bool, WebError> {
    if attachments::is_uploader(&state.db, sha, user.user_id).await?
        || catalog::is_product_image(&state.db, sha).await?
    {
        return Ok(true);
    }
    let visits = attachments::referencing_visits(&state.db, sha).await?;
    let tickets = attachments::referencing_dispatch_tickets(&state.db, sha).await?;
    if visits.is_empty() && tickets.is_empty() {
        return Ok(false);
    }
    let scope = RecordScope::of(&state.db, user).await?;
    Ok(!scope
        .among(&state.db, Record::Visit, &visits)
        .await?
        .is_empty()
        || !scope
            .among(&state.db, Record::Ticket, &tickets)
            .await?
            .is_empty())
}
