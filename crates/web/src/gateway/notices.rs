//! The integration's notices (screen pop, chooser, Case, every "why not"), delivered to the
//! agent they are for: one task reads the engine's broadcast and hands each notice to that
//! agent's connection, whatever the source of the call (Callbridge's telephony or a PBX posting
//! call events). One map lookup per notice, however many agents are connected.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use callbridge_core::AgentId;
use callbridge_integration::runtime::AgentNotice;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// How many notices may wait for one connection before it is taken for a softphone that stopped
/// reading and cut off (the same bound as telephony's messages, `callbridge_telephony`'s
/// `OUTBOX`).
pub const OUTBOX: usize = 256;

struct Subscriber {
    id: u64,
    tx: mpsc::Sender<AgentNotice>,
}

/// Who is subscribed to whose notices; cheap to clone.
#[derive(Clone, Default)]
pub struct AgentNotices {
    subscribers: Arc<Mutex<HashMap<AgentId, Subscriber>>>,
    next_id: Arc<AtomicU64>,
}

/// One connection's notices. The stream ends when a newer connection of the same agent
/// subscribes, or when this one fell [`OUTBOX`] notices behind.
pub struct Subscription {
    pub id: u64,
    pub notices: mpsc::Receiver<AgentNotice>,
}

impl AgentNotices {
    /// Starts delivering `source`'s notices.
    pub fn start(mut source: broadcast::Receiver<AgentNotice>) -> (AgentNotices, JoinHandle<()>) {
        let notices = AgentNotices::default();
        let delivering = notices.clone();
        let task = tokio::spawn(async move {
            loop {
                match source.recv().await {
                    Ok(notice) => delivering.deliver(notice),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "softphones missed CRM notices (too many at once)");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        (notices, task)
    }

    /// Subscribes a new connection of `agent`, replacing (ending) an older one's subscription.
    pub fn subscribe(&self, agent: &AgentId) -> Subscription {
        let (tx, notices) = mpsc::channel(OUTBOX);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.subscribers
            .lock()
            .insert(agent.clone(), Subscriber { id, tx });
        Subscription { id, notices }
    }

    /// Ends subscription `id` if it is still the agent's.
    pub fn unsubscribe(&self, agent: &AgentId, id: u64) {
        let mut subscribers = self.subscribers.lock();
        if subscribers.get(agent).is_some_and(|s| s.id == id) {
            subscribers.remove(agent);
        }
    }

    fn deliver(&self, notice: AgentNotice) {
        let mut subscribers = self.subscribers.lock();
        let Some(subscriber) = subscribers.get(&notice.agent) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(notice)) = subscriber.tx.try_send(notice) {
            tracing::warn!(agent = %notice.agent, "softphone is not reading its messages; disconnecting it");
            subscribers.remove(&notice.agent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_core::CallId;
    use callbridge_integration::runtime::Notice;

    fn notice(agent: &str) -> AgentNotice {
        AgentNotice {
            agent: AgentId::parse(agent).unwrap(),
            call: CallId::new("c1"),
            notice: Notice::NewContact {
                number: "+18582877834".into(),
            },
        }
    }

    #[tokio::test]
    async fn notices_reach_only_their_agent_and_a_newer_connection_takes_over() {
        let hub = AgentNotices::default();
        let mut alice = hub.subscribe(&AgentId::parse("acme:alice").unwrap());
        let mut bob = hub.subscribe(&AgentId::parse("acme:bob").unwrap());
        hub.deliver(notice("acme:alice"));
        assert_eq!(alice.notices.recv().await, Some(notice("acme:alice")));
        assert!(bob.notices.try_recv().is_err());

        let mut again = hub.subscribe(&AgentId::parse("acme:alice").unwrap());
        assert_eq!(alice.notices.recv().await, None, "the older stream ends");
        hub.unsubscribe(&AgentId::parse("acme:alice").unwrap(), alice.id);
        hub.deliver(notice("acme:alice"));
        assert_eq!(again.notices.recv().await, Some(notice("acme:alice")));
    }

    #[tokio::test]
    async fn a_connection_that_stops_reading_is_cut_off() {
        let hub = AgentNotices::default();
        let mut alice = hub.subscribe(&AgentId::parse("acme:alice").unwrap());
        for _ in 0..=OUTBOX {
            hub.deliver(notice("acme:alice"));
        }
        for _ in 0..OUTBOX {
            assert!(alice.notices.recv().await.is_some());
        }
        assert_eq!(alice.notices.recv().await, None);
    }
}
