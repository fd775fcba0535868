//! The device client (feature `client`): the offline store and the sync driver behind one API,
//! [`FieldClient`], used by the command-line field client and wrapped by the phone bindings.
//!
//! Everything the user does is committed to the local SQLite store in one transaction (document
//! bytes, pending flag, projection row) before the call returns, and survives the app being
//! killed. Sync pushes it later ([`FieldClient::sync_once`], [`FieldClient::run_live`]).
//!
//! - [`store`]: the SQLite store;
//! - [`attachments`]: photo files and their upload queue;
//! - `contacts`: adding, updating and removing a customer's contacts;
//! - [`driver`]: applying server messages, the WebSocket loops;
//! - [`projection`]: list rows and search text;
//! - [`fields`]: `field=value` edits;
//! - [`http`]: login and token refresh;
//! - [`reference`]: the data dictionary and custom field definitions held for offline use;
//! - [`catalog`]: the product catalog held for offline use.

pub mod attachments;
pub mod catalog;
mod contacts;
pub mod driver;
mod error;
pub mod fields;
pub mod http;
pub mod projection;
pub mod reference;
pub mod store;
#[cfg(test)]
mod tests;
mod work;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};

pub use attachments::{UploadPass, UploadState};
pub use contacts::ContactInput;
pub use driver::{LiveHandle, SyncEvent, SyncReport, SyncSession};
pub use error::ClientError;
pub use http::UserInfo;
pub use projection::{CustomerSummary, VisitSummary};
pub use store::{Notice, NoticeKind, QuarantineEntry, Store};
pub use work::{DispatchAction, DispatchSummary, LineInput, OrderSummary};

use crate::document::{self, Record, author_for};
use crate::domain::{Customer, Visit};
use crate::ids::{CustomerId, DeviceId, DocId, UserId, VisitId};
use crate::role::Role;
use crate::schema::Reference;

pub(crate) const META_SERVER: &str = "server_url";
pub(crate) const META_USER_ID: &str = "user_id";
pub(crate) const META_USERNAME: &str = "username";
pub(crate) const META_DISPLAY_NAME: &str = "display_name";
pub(crate) const META_ROLE: &str = "role";
pub(crate) const META_DEVICE: &str = "device_id";
pub(crate) const META_ACCESS: &str = "access_token";
pub(crate) const META_ACCESS_EXPIRES: &str = "access_expires_at";
pub(crate) const META_REFRESH: &str = "refresh_token";
pub(crate) const META_CURSOR: &str = "cursor";
pub(crate) const META_LAST_SYNC: &str = "last_sync_at";

/// Capacity of the event channel; slow subscribers miss old events (they can re-read state).
const EVENT_CAPACITY: usize = 256;

/// The signed-in session of this device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The server's base URL.
    pub server_url: String,
    /// The user.
    pub user: UserInfo,
    /// This device's registration.
    pub device_id: DeviceId,
}

/// The device's sync state, for a status screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The session, if logged in.
    pub session: Option<SessionInfo>,
    /// Documents with local changes the server has not acknowledged.
    pub pending_docs: i64,
    /// End of the last complete catch-up (unix ms).
    pub last_sync_at: Option<i64>,
    /// The sync cursor held.
    pub cursor: u64,
    /// Notices not seen yet.
    pub unseen_notices: i64,
    /// Entries in quarantine.
    pub quarantined: usize,
    /// Photos queued and not on the server yet.
    #[serde(default)]
    pub pending_uploads: u64,
}

/// The device client: store, session and sync. Cheap to clone (shared inside).
#[derive(Debug, Clone)]
pub struct FieldClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    events: broadcast::Sender<SyncEvent>,
    local_edits: Arc<Notify>,
    attachments: attachments::Attachments,
}

/// Stores freshly issued tokens (login or refresh; the refresh token rotates).
pub(crate) async fn store_tokens(store: &Store, t: &http::Tokens) -> Result<(), ClientError> {
    let expires_at = chrono::Utc::now()
        .timestamp()
        .saturating_add(i64::try_from(t.expires_in).unwrap_or(i64::MAX));
    store
        .set_meta(&[
            (META_ACCESS, t.access_token.clone()),
            (META_ACCESS_EXPIRES, expires_at.to_string()),
            (META_REFRESH, t.refresh_token.clone()),
            (META_DEVICE, t.device_id.to_string()),
        ])
        .await
}

impl FieldClient {
    /// Opens (creating if needed) the store in `home`.
    pub async fn open(home: &Path) -> Result<Self, ClientError> {
        let store = Store::open(home).await?;
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                events,
                local_edits: Arc::new(Notify::new()),
                attachments: attachments::Attachments::new(home),
            }),
        })
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Logs in with a password, registering this device. Logging in as another user or to
    /// another server first wipes the local data of the previous session.
    pub async fn login(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<SessionInfo, ClientError> {
        let server = http::ServerUrl::parse(server_url)?;
        let tokens = http::login(&server, username, password, device_name).await?;
        let user = tokens
            .user
            .clone()
            .ok_or_else(|| ClientError::Protocol("login answer without user".into()))?;
        let store = &self.inner.store;
        if let Some(previous) = self.session().await?
            && (previous.user.id != user.id || previous.server_url != server.as_string())
        {
            self.wipe().await?;
        }
        store
            .set_meta(&[
                (META_SERVER, server.as_string()),
                (META_USER_ID, user.id.to_string()),
                (META_USERNAME, user.username.clone()),
                (META_DISPLAY_NAME, user.display_name.clone()),
                (META_ROLE, user.role.as_str().to_owned()),
            ])
            .await?;
        store_tokens(store, &tokens).await?;
        Ok(SessionInfo {
            server_url: server.as_string(),
            user,
            device_id: tokens.device_id,
        })
    }

    /// Forgets the session and wipes every local document, notice, quarantined change and
    /// photo (queued or not).
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.wipe().await
    }

    async fn wipe(&self) -> Result<(), ClientError> {
        self.inner.store.wipe().await?;
        self.inner.attachments.wipe_files().await
    }

    /// The current session, if logged in.
    pub async fn session(&self) -> Result<Option<SessionInfo>, ClientError> {
        let s = &self.inner.store;
        let (Some(server_url), Some(user_id), Some(device)) = (
            s.meta(META_SERVER).await?,
            s.meta(META_USER_ID).await?,
            s.meta(META_DEVICE).await?,
        ) else {
            return Ok(None);
        };
        let role: Role = s
            .meta(META_ROLE)
            .await?
            .unwrap_or_default()
            .parse()
            .map_err(|e: crate::role::UnknownRole| ClientError::Storage(e.to_string()))?;
        Ok(Some(SessionInfo {
            server_url,
            user: UserInfo {
                id: UserId::parse(&user_id).map_err(|e| ClientError::Storage(e.to_string()))?,
                username: s.meta(META_USERNAME).await?.unwrap_or_default(),
                display_name: s.meta(META_DISPLAY_NAME).await?.unwrap_or_default(),
                role,
            },
            device_id: DeviceId::parse(&device).map_err(|e| ClientError::Storage(e.to_string()))?,
        }))
    }

    async fn user(&self) -> Result<UserId, ClientError> {
        self.session()
            .await?
            .map(|s| s.user.id)
            .ok_or_else(|| ClientError::Unauthorized("not logged in".into()))
    }

    /// Pending work, last sync, cursor, notices.
    pub async fn status(&self) -> Result<Status, ClientError> {
        let s = &self.inner.store;
        Ok(Status {
            session: self.session().await?,
            pending_docs: s.pending_count().await?,
            last_sync_at: s.meta(META_LAST_SYNC).await?.and_then(|v| v.parse().ok()),
            cursor: s
                .meta(META_CURSOR)
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            unseen_notices: s.unseen_notices().await?,
            quarantined: s.quarantine().await?.len(),
            pending_uploads: self.pending_uploads().await?,
        })
    }

    /// Every notice, newest first; marks them seen.
    pub async fn notices(&self) -> Result<Vec<Notice>, ClientError> {
        self.inner.store.notices(true).await
    }

    /// Every notice, newest first, without marking them seen.
    pub async fn peek_notices(&self) -> Result<Vec<Notice>, ClientError> {
        self.inner.store.notices(false).await
    }

    /// Every quarantined change set, newest first.
    pub async fn quarantine(&self) -> Result<Vec<QuarantineEntry>, ClientError> {
        self.inner.store.quarantine().await
    }

    /// Events of the sync driver (both `sync_once` and `run_live`).
    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.inner.events.subscribe()
    }

    /// Connects, catches up, pushes local work, waits for every verdict, disconnects; then
    /// uploads queued photos (retrying those waiting for their backoff too).
    pub async fn sync_once(&self) -> Result<SyncReport, ClientError> {
        let mut report = driver::sync_once(&self.inner.store, &self.inner.events).await?;
        let uploads = self.upload_pending().await?;
        report.uploaded = uploads.uploaded;
        report.upload_failed = uploads.failed;
        Ok(report)
    }

    /// Stays connected in a background task (reconnecting with backoff) until the handle is
    /// stopped or dropped; local edits are pushed as they are made, photos uploaded beside.
    pub fn run_live(&self) -> LiveHandle {
        driver::run_live(
            self.inner.store.clone(),
            self.inner.events.clone(),
            self.inner.local_edits.clone(),
        )
        .with_companion(|stop| self.spawn_uploader(stop))
    }

    // ----- reference data -----

    /// The data dictionary and custom field definitions held on the device (fetched by sync
    /// when they change; `None` before the first fetch after login).
    pub async fn reference(&self) -> Result<Option<Reference>, ClientError> {
        reference::load(&self.inner.store).await
    }

    /// Fetches the reference data now if the server's version differs; returns whether it
    /// changed. Sync does this by itself.
    pub async fn refresh_reference(&self) -> Result<bool, ClientError> {
        reference::refresh(&self.inner.store).await
    }

    // ----- customers -----

    /// Customers from the projection, by name; `query` matches name, code, phones, e-mail,
    /// contact names and phones, city and district (case-insensitive substring).
    pub async fn list_customers(
        &self,
        query: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CustomerSummary>, ClientError> {
        self.inner.store.list_customers(query, limit, offset).await
    }

    /// A customer, hydrated from its document.
    pub async fn get_customer(&self, id: CustomerId) -> Result<Customer, ClientError> {
        self.get_record(id.into()).await
    }

    /// Creates a customer locally (pending until synced); returns its new id.
    pub async fn create_customer(&self, customer: Customer) -> Result<CustomerId, ClientError> {
        Ok(self.create_record(customer).await?.into())
    }

    /// Edits a customer locally with `f`.
    pub async fn edit_customer(
        &self,
        id: CustomerId,
        f: impl FnOnce(&mut Customer) + Send,
    ) -> Result<(), ClientError> {
        self.edit_record::<Customer>(id.into(), |c| {
            f(c);
            Ok(())
        })
        .await
    }

    /// Sets customer fields from their text form (see [`fields::apply_customer_field`]).
    pub async fn set_customer_fields(
        &self,
        id: CustomerId,
        assignments: &[(String, String)],
    ) -> Result<(), ClientError> {
        self.edit_record::<Customer>(id.into(), |c| {
            for (k, v) in assignments {
                fields::apply_customer_field(c, k, v)?;
            }
            Ok(())
        })
        .await
    }

    // ----- visits -----

    /// Visits from the projection (optionally of one customer), newest first.
    pub async fn list_visits(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<VisitSummary>, ClientError> {
        self.inner.store.list_visits(customer, None, 0).await
    }

    /// A page of [`FieldClient::list_visits`].
    pub async fn list_visits_page(
        &self,
        customer: Option<CustomerId>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<VisitSummary>, ClientError> {
        self.inner
            .store
            .list_visits(customer, Some(limit), offset)
            .await
    }

    /// A visit, hydrated from its document.
    pub async fn get_visit(&self, id: VisitId) -> Result<Visit, ClientError> {
        self.get_record(id.into()).await
    }

    /// Records a visit locally (pending until synced); returns its new id.
    pub async fn create_visit(&self, visit: Visit) -> Result<VisitId, ClientError> {
        Ok(self.create_record(visit).await?.into())
    }

    /// Edits a visit locally with `f`.
    pub async fn edit_visit(
        &self,
        id: VisitId,
        f: impl FnOnce(&mut Visit) + Send,
    ) -> Result<(), ClientError> {
        self.edit_record::<Visit>(id.into(), |v| {
            f(v);
            Ok(())
        })
        .await
    }

    // ----- kind-generic document access -----

    async fn get_record<R: Record>(&self, id: DocId) -> Result<R, ClientError> {
        match self.inner.store.load(id).await? {
            Some(s) if s.kind == R::KIND => Ok(document::hydrate(&s.doc)?),
            _ => Err(ClientError::NotFound(format!("{} {id}", R::KIND))),
        }
    }

    async fn create_record<R: Record>(&self, record: R) -> Result<DocId, ClientError> {
        let reference = reference::load(&self.inner.store).await?;
        let record = check_reference(reference.as_ref(), None, record)?;
        check_valid(&record)?;
        let user = self.user().await?;
        let doc = document::new_document(&record, author_for(user))?;
        let id = DocId::new();
        let mut tx = self.inner.store.begin().await?;
        store::save_doc(&mut tx, id, R::KIND, &doc, &doc.save(), &[]).await?;
        tx.commit().await?;
        self.inner.local_edits.notify_one();
        Ok(id)
    }

    async fn edit_record<R: Record>(
        &self,
        id: DocId,
        f: impl FnOnce(&mut R) -> Result<(), ClientError> + Send,
    ) -> Result<(), ClientError> {
        let user = self.user().await?;
        let reference = reference::load(&self.inner.store).await?;
        let mut tx = self.inner.store.begin().await?;
        let mut s = match store::load_doc(&mut tx, id).await? {
            Some(s) if s.kind == R::KIND => s,
            _ => return Err(ClientError::NotFound(format!("{} {id}", R::KIND))),
        };
        let before: R = document::hydrate(&s.doc)?;
        let mut record = before.clone();
        f(&mut record)?;
        let record = check_reference(reference.as_ref(), Some(&before), record)?;
        check_valid(&record)?;
        let json =
            serde_json::to_value(&record).map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        s.doc.set_author(Some(author_for(user)));
        if document::write_json(R::KIND, &mut s.doc, &json, author_for(user), "edit")?.is_none() {
            return Ok(());
        }
        store::save_doc(&mut tx, id, R::KIND, &s.doc, &s.doc.save(), &s.synced).await?;
        tx.commit().await?;
        self.inner.local_edits.notify_one();
        Ok(())
    }
}

/// Canonicalises and checks the custom values `record` changes against the reference data held
/// (nothing to check before the first fetch: the server checks on push anyway).
fn check_reference<R: Record>(
    reference: Option<&Reference>,
    before: Option<&R>,
    record: R,
) -> Result<R, ClientError> {
    let Some(reference) = reference else {
        return Ok(record);
    };
    let json =
        |r: &R| serde_json::to_value(r).map_err(|e| ClientError::InvalidInput(e.to_string()));
    let before = before.map(json).transpose()?;
    let mut after = json(&record)?;
    reference::check_record(reference, R::KIND, before.as_ref(), &mut after)?;
    serde_json::from_value(after).map_err(|e| ClientError::InvalidInput(e.to_string()))
}

fn check_valid<R: Record>(record: &R) -> Result<(), ClientError> {
    let errors = record.validate();
    if errors.is_empty() {
        return Ok(());
    }
    Err(ClientError::InvalidInput(
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    ))
}
