//! The device's copy of the product catalog ([`crate::catalog::Catalog`]: active products and
//! price lists): fetched from `GET /api/v1/catalog` with `If-None-Match` (a `304` costs a few
//! bytes) whenever the reference data is (before each connect, and now and then while live),
//! kept as JSON in the store's metadata so order entry and price estimates work offline, and
//! wiped with the session. Read-only on the device: the server prices every order itself.

use super::http;
use super::store::Store;
use super::{ClientError, FieldClient};
use crate::catalog::{Catalog, QuoteBook};

/// Metadata key of the stored catalog (JSON).
pub(crate) const META_CATALOG: &str = "catalog";
/// The endpoint.
pub const CATALOG_PATH: &str = "/api/v1/catalog";

/// The catalog held on the device, if it was fetched since login.
pub async fn load(store: &Store) -> Result<Option<Catalog>, ClientError> {
    match store.meta(META_CATALOG).await? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| ClientError::Storage(format!("stored catalog: {e}"))),
    }
}

/// Fetches the catalog when the server's version differs from the one held; returns whether it
/// changed.
pub async fn refresh(store: &Store) -> Result<bool, ClientError> {
    let held = load(store).await?.map(|c| c.version);
    let Some(body) = http::get_if_changed(store, CATALOG_PATH, held.as_deref()).await? else {
        return Ok(false);
    };
    let catalog: Catalog = serde_json::from_slice(&body)
        .map_err(|e| ClientError::Protocol(format!("unexpected catalog: {e}")))?;
    let json = serde_json::to_string(&catalog)
        .map_err(|e| ClientError::Storage(format!("catalog: {e}")))?;
    store.set_meta(&[(META_CATALOG, json)]).await?;
    Ok(true)
}

impl FieldClient {
    /// The product catalog held on the device (fetched by sync when it changes; `None` before
    /// the first fetch after login). Usable offline.
    pub async fn catalog(&self) -> Result<Option<Catalog>, ClientError> {
        load(&self.inner.store).await
    }

    /// Fetches the catalog now if the server's version differs; returns whether it changed.
    /// Sync does this by itself.
    pub async fn refresh_catalog(&self) -> Result<bool, ClientError> {
        refresh(&self.inner.store).await
    }

    /// An estimate of the prices a customer of `tier` gets on `on` (`YYYY-MM-DD`), from the
    /// catalog held (empty before the first fetch). The server's prices are the ones of record.
    pub async fn price_book(&self, tier: &str, on: &str) -> Result<QuoteBook, ClientError> {
        Ok(self
            .catalog()
            .await?
            .map(|c| c.price_book(tier, on))
            .unwrap_or_default())
    }
}
