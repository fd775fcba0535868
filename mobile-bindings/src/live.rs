//! Live sync across the FFI: one [`SyncListener`] receives every [`SyncEvent`]; the
//! [`LiveSyncHandle`] stops the sync on [`LiveSyncHandle::stop`] and when it is dropped.

use std::sync::{Arc, Mutex, PoisonError};

use fieldcrm_core::client::{FieldClient as CoreClient, LiveHandle};
use tokio::sync::{broadcast, oneshot};

use crate::records::SyncEvent;

/// Receives the events of live sync. Called on a background thread, in order; keep it short
/// (post to the UI thread).
#[uniffi::export(callback_interface)]
pub trait SyncListener: Send + Sync {
    /// One sync event.
    fn on_event(&self, event: SyncEvent);
}

struct Running {
    live: LiveHandle,
    stop_forwarding: oneshot::Sender<()>,
    forwarder: tokio::task::JoinHandle<()>,
}

/// A running live sync. Stops on [`LiveSyncHandle::stop`] or when dropped (closed).
#[derive(uniffi::Object)]
pub struct LiveSyncHandle {
    running: Mutex<Option<Running>>,
}

impl std::fmt::Debug for LiveSyncHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSyncHandle").finish_non_exhaustive()
    }
}

impl LiveSyncHandle {
    /// Starts live sync on `client`, forwarding its events to `listener` (inside a tokio runtime).
    pub(crate) fn start(client: &CoreClient, listener: Box<dyn SyncListener>) -> Arc<Self> {
        let events = client.subscribe();
        let (stop_tx, stop_rx) = oneshot::channel();
        let forwarder = tokio::spawn(forward(events, Arc::from(listener), stop_rx));
        let live = client.run_live();
        Arc::new(LiveSyncHandle {
            running: Mutex::new(Some(Running {
                live,
                stop_forwarding: stop_tx,
                forwarder,
            })),
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl LiveSyncHandle {
    /// Stops live sync, closing the connection cleanly, and waits for it to end; when it returns
    /// the listener has had every event (the last one `Disconnected`) and gets nothing more.
    /// Stopping twice does nothing.
    pub async fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(r) = running {
            r.live.stop().await;
            let _ = r.stop_forwarding.send(());
            let _ = r.forwarder.await;
        }
    }

    /// Whether live sync is still running (not stopped).
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

async fn forward(
    mut events: broadcast::Receiver<fieldcrm_core::client::SyncEvent>,
    listener: Arc<dyn SyncListener>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        // Events already queued are delivered before a stop is seen.
        let event = tokio::select! {
            biased;
            e = events.recv() => e,
            _ = &mut stop => return,
        };
        match event {
            Ok(e) => {
                let l = listener.clone();
                // A foreign callback may block: keep it off the runtime's threads. A listener
                // that fails is not our problem; the next event is delivered anyway.
                let _ = tokio::task::spawn_blocking(move || l.on_event(e.into())).await;
            }
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
