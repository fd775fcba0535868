//! The sync endpoint (`/api/v1/sync`): one WebSocket per device, enforcement, fan-out.
//! Owned by the sync work; this is the seam the rest of the server plugs into.

use axum::Router;

/// Shared state of the sync subsystem (live fan-out, per-document locks).
#[derive(Clone, Default)]
pub struct Hub {}

impl Hub {
    /// A hub with no connected devices.
    pub fn new() -> Self {
        Self {}
    }
}

/// Routes of the sync subsystem, merged into the application router.
pub fn router() -> Router<crate::startup::AppState> {
    Router::new()
}
