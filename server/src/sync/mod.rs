//! The sync subsystem: the `/api/v1/sync` WebSocket ([`session`]), the write path every change
//! takes — from a phone or from the server itself ([`write`]) — and live fan-out ([`Hub`]).
//!
//! Fan-out carries only "sequence N committed": each connected device then runs the same
//! cursor-based catch-up query it ran on connect, filtered by its own scope. A device therefore
//! receives exactly what it would receive on reconnect, and a notification lost or coalesced costs
//! nothing. With PostgreSQL, notifications also travel between server processes through
//! `LISTEN/NOTIFY` on the channel [`NOTIFY_CHANNEL`].

pub mod derive;
pub mod session;
pub mod write;

use axum::Router;
use axum::routing::get;
use tokio::sync::watch;

/// The PostgreSQL channel carrying committed sequence numbers between processes.
pub const NOTIFY_CHANNEL: &str = "fieldcrm_seq";

/// Shared state of the sync subsystem.
#[derive(Clone)]
pub struct Hub {
    committed: watch::Sender<u64>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("committed", &*self.committed.borrow())
            .finish()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub with no connected devices.
    pub fn new() -> Self {
        let (committed, _) = watch::channel(0);
        Self { committed }
    }

    /// Announces that sequence number `seq` committed (in this process or, via NOTIFY, another).
    pub fn committed(&self, seq: u64) {
        self.committed.send_if_modified(|cur| {
            if seq > *cur {
                *cur = seq;
                true
            } else {
                false
            }
        });
    }

    /// A receiver woken whenever a newer sequence number commits.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Number of live subscriptions (connected devices).
    pub fn connections(&self) -> usize {
        self.committed.receiver_count()
    }
}

/// Routes of the sync subsystem, merged into the application router.
pub fn router() -> Router<crate::startup::AppState> {
    Router::new().route("/api/v1/sync", get(session::upgrade))
}

/// With PostgreSQL: listens for commits of other processes and forwards them to the hub; also
/// used by this process to announce its own commits. Runs until the task is dropped.
pub async fn listen_postgres(url: String, hub: Hub) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                if let Ok(seq) = n.payload().parse::<u64>() {
                                    hub.committed(seq);
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "NOTIFY listener lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect NOTIFY listener"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
