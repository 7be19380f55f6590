//! Call events for the integration engine, in order: each is journalled in the store (so a
//! restart can replay it, as the call-events API does) and then handed to the engine.

use callbridge_core::Event;
use callbridge_integration::journal;
use std::sync::Arc;

use callbridge_store::Store;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Feed {
    tx: mpsc::UnboundedSender<(String, Event)>,
}

impl Feed {
    /// Starts the task that journals and submits events one by one, so the engine sees them in
    /// the order the switchboard produced them.
    pub fn start(store: Store, runtime: Arc<dyn super::CallEventSink>) -> (Feed, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, Event)>();
        let task = tokio::spawn(async move {
            while let Some((tenant, event)) = rx.recv().await {
                let payload = journal::encode(&event);
                let id = format!("telephony-{}", uuid::Uuid::new_v4());
                if let Err(e) = store
                    .record_event_with_payload(&tenant, &id, OffsetDateTime::now_utc(), &payload)
                    .await
                {
                    // The engine still gets the event: a lost journal entry only weakens
                    // replay after a crash, a lost event would lose the call's Case.
                    tracing::error!(error = %e, "could not journal a call event");
                }
                runtime.submit(event);
            }
        });
        (Feed { tx }, task)
    }

    pub fn send(&self, tenant: &str, event: Event) {
        let _ = self.tx.send((tenant.to_string(), event));
    }
}
