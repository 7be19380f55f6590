//! The softphones connected right now: one connection per agent, each with a bounded outbox of
//! messages. Shared by the switch loop, the WebSocket handlers and the CRM-notice forwarder.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use callbridge_core::AgentId;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::softphone::protocol::ServerMessage;

/// How many messages may wait for a slow softphone before it is disconnected; a browser that
/// stopped reading must not make the server buffer without end.
const OUTBOX: usize = 256;

struct Connection {
    id: u64,
    tx: mpsc::Sender<ServerMessage>,
}

#[derive(Default)]
pub struct Softphones {
    connections: Mutex<HashMap<AgentId, Connection>>,
    next_id: AtomicU64,
}

/// One attached softphone: its id (to detach only itself) and the messages for it.
pub struct Attached {
    pub id: u64,
    pub messages: mpsc::Receiver<ServerMessage>,
    /// The connection this one replaced (another tab or a reconnect).
    pub replaced: bool,
}

impl Softphones {
    /// Attaches the agent's new softphone; an older connection of the same agent is dropped
    /// (its message stream ends, so its socket closes).
    pub fn attach(&self, agent: &AgentId) -> Attached {
        let (tx, messages) = mpsc::channel(OUTBOX);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let replaced = self
            .connections
            .lock()
            .insert(agent.clone(), Connection { id, tx })
            .is_some();
        Attached {
            id,
            messages,
            replaced,
        }
    }

    /// Detaches the connection `id` if it is still the agent's current one; true if it was.
    pub fn detach(&self, agent: &AgentId, id: u64) -> bool {
        let mut connections = self.connections.lock();
        if connections.get(agent).is_some_and(|c| c.id == id) {
            connections.remove(agent);
            true
        } else {
            false
        }
    }

    /// Whether the connection `id` is the agent's current one.
    pub fn is_current(&self, agent: &AgentId, id: u64) -> bool {
        self.connections
            .lock()
            .get(agent)
            .is_some_and(|c| c.id == id)
    }

    /// Queues a message for the agent's softphone. A softphone whose outbox is full is cut off.
    pub fn send(&self, agent: &AgentId, message: ServerMessage) {
        let mut connections = self.connections.lock();
        let Some(connection) = connections.get(agent) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = connection.tx.try_send(message) {
            tracing::warn!(%agent, "softphone is not reading its messages; disconnecting it");
            connections.remove(agent);
        }
    }

    pub fn is_connected(&self, agent: &AgentId) -> bool {
        self.connections.lock().contains_key(agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::softphone::protocol::ServerMessage;

    #[tokio::test]
    async fn a_second_tab_replaces_the_first_and_the_first_cannot_detach_it() {
        let phones = Softphones::default();
        let alice = AgentId::new("acme:alice");
        let mut first = phones.attach(&alice);
        let mut second = phones.attach(&alice);
        assert!(!first.replaced);
        assert!(second.replaced);
        assert!(
            first.messages.recv().await.is_none(),
            "the first stream ends"
        );
        assert!(!phones.detach(&alice, first.id));
        phones.send(&alice, ServerMessage::Pong);
        assert_eq!(second.messages.recv().await, Some(ServerMessage::Pong));
        assert!(phones.detach(&alice, second.id));
        assert!(!phones.is_connected(&alice));
    }

    #[tokio::test]
    async fn a_softphone_that_stops_reading_is_cut_off() {
        let phones = Softphones::default();
        let bob = AgentId::new("acme:bob");
        let attached = phones.attach(&bob);
        for _ in 0..=OUTBOX {
            phones.send(&bob, ServerMessage::Pong);
        }
        assert!(!phones.is_connected(&bob));
        drop(attached);
    }
}
