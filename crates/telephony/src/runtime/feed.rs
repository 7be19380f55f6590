//! Call events for the integration engine, in order: each is handed to the engine at once and
//! journalled in the store behind it (so a restart can replay it, as the call-events API does).
//!
//! The engine does not wait for the journal. The write is a fully synced SQLite commit (a few
//! milliseconds, tens on a busy disk), and the first thing the engine does with a ringing call is
//! a CRM *read*, the contact lookup of the screen pop: nothing it does before the journal row is
//! durable needs that row. What must be durable is the Case, and the Case is its own outbox row
//! (written with the same full sync before the outbox worker sends it). A crash between the
//! engine's step and the journal write loses exactly what a crash just before the event would
//! have lost under the old order (journal first), since nothing acknowledges the event to the
//! carrier in between; docs/ARCHITECTURE.md "The journal is behind the engine" says the same.

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
    runtime: Arc<dyn super::CallEventSink>,
    journal: mpsc::UnboundedSender<(String, OffsetDateTime, String)>,
}

impl Feed {
    /// Starts the task that journals events one by one, in the order the switchboard produced
    /// them (the order the engine gets them in).
    pub fn start(store: Store, runtime: Arc<dyn super::CallEventSink>) -> (Feed, JoinHandle<()>) {
        let (journal, mut rx) = mpsc::unbounded_channel::<(String, OffsetDateTime, String)>();
        let task = tokio::spawn(async move {
            while let Some((tenant, at, payload)) = rx.recv().await {
                let id = format!("telephony-{}", uuid::Uuid::new_v4());
                if let Err(e) = store
                    .record_event_with_payload(&tenant, &id, at, &payload)
                    .await
                {
                    // The engine has the event: a lost journal entry only weakens replay
                    // after a crash.
                    tracing::error!(error = %e, "could not journal a call event");
                }
            }
        });
        (Feed { runtime, journal }, task)
    }

    pub fn send(&self, tenant: &str, event: Event) {
        let payload = journal::encode(&event);
        self.runtime.submit(event);
        let _ = self
            .journal
            .send((tenant.to_string(), OffsetDateTime::now_utc(), payload));
    }
}
