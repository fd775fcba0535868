//! fieldcrm phone bindings: a thin [uniffi](https://mozilla.github.io/uniffi-rs/) facade over the
//! core device client ([`fieldcrm_core::client::FieldClient`]) for the Android (Kotlin) and iOS
//! (Swift) apps.
//!
//! - [`FieldClient`]: open the local store, log in, sync, read and edit customers and their
//!   contacts, record visits with photos;
//! - [`SyncListener`] + [`LiveSyncHandle`]: the one way events cross the FFI;
//! - [`FieldError`]: the one error type (Kotlin `FieldException`);
//! - [`records`]: the FFI records, converted from core types; ids are strings, parsed on the way in;
//! - `visits`: visits (list, detail, notes, photos) and contacts, with their records;
//! - `orders`: a rep's sales orders (list, detail with the server's prices, draft, submit, cancel);
//! - `dispatches`: an engineer's service jobs (list, detail, one method per workflow step, and the
//!   steps the user may take now, for the app's buttons).
//!
//! Everything is committed locally first; sync pushes it later. The generated bindings are built
//! from the library (`uniffi-bindgen`, feature `cli`), never committed.

uniffi::setup_scaffolding!();

mod dispatches;
mod error;
mod live;
mod orders;
pub mod records;
pub mod reference;
mod visits;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use fieldcrm_core::client::{FieldClient as CoreClient, fields};
use fieldcrm_core::domain::{CheckPoint, Customer, GeoPoint, Visit};
use fieldcrm_core::ids::{CustomerId, VisitId};
use fieldcrm_core::{Kind, Role, policy};

pub use dispatches::{
    DispatchRecord, DispatchStatus, DispatchStep, DispatchSummary, PartRecord, SiteRecord,
    SurveyRecord, WorkLogRecord,
};
pub use error::FieldError;
pub use live::{LiveSyncHandle, SyncListener};
pub use orders::{
    OrderLineInput, OrderLineRecord, OrderRecord, OrderStatus, OrderStep, OrderSummary,
};
pub use records::{
    Address, Contact, CustomerKind, CustomerRecord, CustomerSummary, FieldValue, Notice,
    NoticeKind, Session, Status, SyncEvent, SyncReport,
};
pub use visits::{CheckPointRecord, ContactInput, PhotoRecord, VisitRecord, VisitSummary};

/// The device client: the local store, the session and sync. One per app process.
#[derive(Debug, uniffi::Object)]
pub struct FieldClient {
    inner: CoreClient,
}

/// Boxes a core future where its lifetimes are concrete, so the compiler proves it `Send` here;
/// inside uniffi's generated wrapper it otherwise fails on sqlx's higher-ranked `Executor` bound.
fn boxed<'a, T>(
    f: impl Future<Output = T> + Send + 'a,
) -> Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    Box::pin(f)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn geo(lat: Option<f64>, lon: Option<f64>) -> Result<Option<GeoPoint>, FieldError> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => GeoPoint::parse(lat, lon)
            .map(Some)
            .map_err(|e| FieldError::invalid(format!("{}: {}", e.field, e.message))),
        (None, None) => Ok(None),
        _ => Err(FieldError::invalid("lat and lon go together")),
    }
}

impl FieldClient {
    /// The signed-in user's role (what the workflows and the field policy are decided by).
    async fn role(&self) -> Result<Role, FieldError> {
        boxed(self.inner.session())
            .await?
            .map(|s| s.user.role)
            .ok_or_else(|| FieldError::Unauthorized {
                reason: "not logged in".into(),
            })
    }
}

fn assignments(values: Vec<FieldValue>) -> Vec<(String, String)> {
    values.into_iter().map(|v| (v.field, v.value)).collect()
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldClient {
    /// Opens (creating if needed) the local store in the directory `data_dir`.
    #[uniffi::constructor]
    pub async fn open(data_dir: String) -> Result<Arc<Self>, FieldError> {
        // `Store::open`'s future is not provably `Send` (sqlx's higher-ranked `Executor`
        // bound), so it runs on a blocking thread of the same runtime instead of being awaited.
        let runtime = tokio::runtime::Handle::current();
        let inner = tokio::task::spawn_blocking(move || {
            runtime.block_on(CoreClient::open(Path::new(&data_dir)))
        })
        .await
        .map_err(|e| FieldError::Internal {
            reason: format!("opening the store: {e}"),
        })??;
        Ok(Arc::new(FieldClient { inner }))
    }

    /// Logs in with a password, registering this device. Another user or server first wipes the
    /// previous session's local data.
    pub async fn login(
        &self,
        server_url: String,
        username: String,
        password: String,
        device_name: String,
    ) -> Result<Session, FieldError> {
        Ok(boxed(
            self.inner
                .login(&server_url, &username, &password, &device_name),
        )
        .await?
        .into())
    }

    /// Forgets the session and wipes every local document, notice and quarantined change.
    pub async fn logout(&self) -> Result<(), FieldError> {
        Ok(boxed(self.inner.logout()).await?)
    }

    /// The current session, if logged in.
    pub async fn session(&self) -> Result<Option<Session>, FieldError> {
        Ok(boxed(self.inner.session()).await?.map(Into::into))
    }

    /// Pending work, last sync, cursor, notices.
    pub async fn status(&self) -> Result<Status, FieldError> {
        Ok(boxed(self.inner.status()).await?.into())
    }

    /// Every notice, newest first; marks them seen.
    pub async fn notices(&self) -> Result<Vec<Notice>, FieldError> {
        Ok(boxed(self.inner.notices())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Documents with local changes the server has not acknowledged yet.
    pub async fn pending_count(&self) -> Result<i64, FieldError> {
        Ok(boxed(self.inner.status()).await?.pending_docs)
    }

    /// Connects, catches up, pushes local work, waits for every verdict, disconnects.
    pub async fn sync_now(&self) -> Result<SyncReport, FieldError> {
        Ok(boxed(self.inner.sync_once()).await?.into())
    }

    /// Stays connected in the background (reconnecting with backoff), pushing local edits as
    /// they are made, until the returned handle is stopped or dropped. `listener` gets every
    /// event.
    pub async fn start_live(&self, listener: Box<dyn SyncListener>) -> Arc<LiveSyncHandle> {
        LiveSyncHandle::start(&self.inner, listener)
    }

    /// Customers by name; `query` matches name, code, phones, e-mail, contacts, city, district.
    pub async fn list_customers(
        &self,
        query: Option<String>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CustomerSummary>, FieldError> {
        Ok(
            boxed(self.inner.list_customers(query.as_deref(), limit, offset))
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// One customer, in full.
    pub async fn get_customer(&self, id: String) -> Result<CustomerRecord, FieldError> {
        let customer = boxed(self.inner.get_customer(CustomerId::parse(&id)?)).await?;
        Ok(CustomerRecord::from_core(id, customer))
    }

    /// Creates a customer locally (pending until synced) named `name` with `fields` set;
    /// returns its id.
    pub async fn create_customer(
        &self,
        name: String,
        fields: Vec<FieldValue>,
    ) -> Result<String, FieldError> {
        let mut customer = Customer {
            name,
            ..Customer::default()
        };
        for (k, v) in assignments(fields) {
            fields::apply_customer_field(&mut customer, &k, &v)?;
        }
        Ok(boxed(self.inner.create_customer(customer))
            .await?
            .to_string())
    }

    /// Sets fields of a customer locally (one change). Fields the user may not write (see
    /// [`FieldClient::writable_customer_fields`]) are restored by the server on sync.
    pub async fn set_customer_fields(
        &self,
        id: String,
        fields: Vec<FieldValue>,
    ) -> Result<(), FieldError> {
        let id = CustomerId::parse(&id)?;
        Ok(boxed(self.inner.set_customer_fields(id, &assignments(fields))).await?)
    }

    /// Checks in at a customer now (GPS position optional); returns the new visit's id.
    pub async fn start_visit(
        &self,
        customer_id: String,
        lat: Option<f64>,
        lon: Option<f64>,
        accuracy_m: Option<f64>,
    ) -> Result<String, FieldError> {
        let customer = CustomerId::parse(&customer_id)?;
        let geo = geo(lat, lon)?;
        boxed(self.inner.get_customer(customer)).await?;
        let visit = Visit {
            customer: Some(customer),
            check_in: Some(CheckPoint {
                at: now_ms(),
                geo,
                accuracy_m,
            }),
            ..Visit::default()
        };
        Ok(boxed(self.inner.create_visit(visit)).await?.to_string())
    }

    /// Checks out of a visit now, recording its outcome and notes.
    pub async fn finish_visit(
        &self,
        visit_id: String,
        outcome: String,
        notes: String,
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> Result<(), FieldError> {
        let id = VisitId::parse(&visit_id)?;
        let geo = geo(lat, lon)?;
        let at = now_ms();
        Ok(boxed(self.inner.edit_visit(id, move |v| {
            v.check_out = Some(CheckPoint {
                at,
                geo,
                accuracy_m: None,
            });
            v.outcome = outcome;
            v.notes = notes;
        }))
        .await?)
    }

    /// The customer fields the signed-in user may write (others are shown read-only).
    pub async fn writable_customer_fields(&self) -> Result<Vec<String>, FieldError> {
        Ok(policy::writable_fields(self.role().await?, Kind::Customer)
            .into_iter()
            .map(str::to_owned)
            .collect())
    }
}
