//! The softphones connected right now: one connection per agent, each with a bounded outbox of
//! messages. Shared by the switch loop and the WebSocket handlers (the web edge).
//!
//! This table is the one place a connection stops being the agent's softphone, whatever the
//! way (the client closed it, the socket failed, a newer connection replaced it, it stopped
//! reading its messages), and every such removal tells the switch loop
//! ([`Request::Detached`]), which logs the agent out when they signed out and otherwise keeps a
//! call in progress waiting for them (the switchboard's grace period). Nobody else reports a softphone gone, so
//! no path can forget to and none reports it twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use callbridge_core::AgentId;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::Request;
use crate::softphone::protocol::ServerMessage;

/// How many server messages may wait for a softphone before it is disconnected; a browser that
/// stopped reading must not make the server buffer without end. Only messages the server
/// originates count: answers to the client's own requests (`pong`) are written by its
/// connection directly, so a client that sends fast but reads everything is never cut.
pub const OUTBOX: usize = 256;

struct Connection {
    id: u64,
    tx: mpsc::Sender<ServerMessage>,
    /// The last `agent_state.state` sent (for colleagues' lists).
    state: Option<String>,
}

pub struct Softphones {
    connections: Mutex<HashMap<AgentId, Connection>>,
    next_id: AtomicU64,
    /// The switch loop, told of every softphone that goes away.
    requests: mpsc::UnboundedSender<Request>,
}

/// One attached softphone: its id (to detach only itself) and the messages for it.
pub struct Attached {
    pub id: u64,
    pub messages: mpsc::Receiver<ServerMessage>,
    /// The connection this one replaced (another tab or a reconnect).
    pub replaced: bool,
}

impl Softphones {
    pub fn new(requests: mpsc::UnboundedSender<Request>) -> Softphones {
        Softphones {
            connections: Mutex::default(),
            next_id: AtomicU64::new(0),
            requests,
        }
    }

    /// Attaches the agent's new softphone. An older connection of the same agent is dropped
    /// (its message stream ends, so its socket closes) and the agent is logged out before
    /// anything the new connection asks for: it starts over with a fresh audio session.
    pub fn attach(&self, agent: &AgentId) -> Attached {
        let (tx, messages) = mpsc::channel(OUTBOX);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut connections = self.connections.lock();
        let replaced = connections
            .insert(
                agent.clone(),
                Connection {
                    id,
                    tx,
                    state: None,
                },
            )
            .is_some();
        if replaced {
            // Sent under the lock: the new connection's first request cannot overtake it.
            self.gone(agent, "replaced by a newer connection", false);
        }
        Attached {
            id,
            messages,
            replaced,
        }
    }

    /// Detaches the connection `id` (its socket closed or failed, or its session was signed
    /// out: `signed_out`) if it is still the agent's current one; true if it was.
    pub fn detach(&self, agent: &AgentId, id: u64, signed_out: bool) -> bool {
        let mut connections = self.connections.lock();
        if connections.get(agent).is_some_and(|c| c.id == id) {
            connections.remove(agent);
            let how = if signed_out { "signed out" } else { "closed" };
            self.gone(agent, how, signed_out);
            true
        } else {
            false
        }
    }

    fn gone(&self, agent: &AgentId, how: &str, signed_out: bool) {
        tracing::info!(%agent, how, "softphone disconnected");
        let _ = self.requests.send(Request::Detached {
            agent: agent.clone(),
            signed_out,
        });
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
        let Some(connection) = connections.get_mut(agent) else {
            return;
        };
        if let ServerMessage::AgentState { state, .. } = &message {
            connection.state = Some(state.clone());
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = connection.tx.try_send(message) {
            tracing::warn!(%agent, "softphone is not reading its messages; disconnecting it");
            connections.remove(agent);
            self.gone(agent, "not reading its messages", false);
        }
    }

    /// The last `agent_state.state` sent to the agent's connected softphone.
    pub fn last_state(&self, agent: &AgentId) -> Option<String> {
        self.connections
            .lock()
            .get(agent)
            .and_then(|c| c.state.clone())
    }

    pub fn is_connected(&self, agent: &AgentId) -> bool {
        self.connections.lock().contains_key(agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::softphone::protocol::ServerMessage;
    use proptest::prelude::*;

    fn table() -> (Softphones, mpsc::UnboundedReceiver<Request>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Softphones::new(tx), rx)
    }

    /// The agents the switch loop was told went away, in order.
    fn logged_out(requests: &mut mpsc::UnboundedReceiver<Request>) -> Vec<String> {
        let mut gone = Vec::new();
        while let Ok(request) = requests.try_recv() {
            if let Request::Detached { agent, .. } = request {
                gone.push(agent.to_string());
            }
        }
        gone
    }

    #[tokio::test]
    async fn a_second_tab_replaces_the_first_logs_the_agent_out_and_the_first_cannot_detach_it() {
        let (phones, mut requests) = table();
        let alice = AgentId::parse("acme:alice").unwrap();
        let mut first = phones.attach(&alice);
        let mut second = phones.attach(&alice);
        assert!(!first.replaced);
        assert!(second.replaced);
        assert_eq!(logged_out(&mut requests), ["acme:alice"]);
        assert!(
            first.messages.recv().await.is_none(),
            "the first stream ends"
        );
        assert!(!phones.detach(&alice, first.id, false));
        assert!(logged_out(&mut requests).is_empty(), "told once");
        phones.send(&alice, ServerMessage::Pong);
        assert_eq!(second.messages.recv().await, Some(ServerMessage::Pong));
        assert!(phones.detach(&alice, second.id, false));
        assert!(!phones.is_connected(&alice));
        assert_eq!(logged_out(&mut requests), ["acme:alice"]);
    }

    #[tokio::test]
    async fn a_softphone_that_stops_reading_is_cut_off_and_logged_out() {
        let (phones, mut requests) = table();
        let bob = AgentId::parse("acme:bob").unwrap();
        let attached = phones.attach(&bob);
        for _ in 0..OUTBOX {
            phones.send(&bob, ServerMessage::Pong);
        }
        assert!(phones.is_connected(&bob), "a full outbox is not yet a cut");
        phones.send(&bob, ServerMessage::Pong);
        assert!(!phones.is_connected(&bob));
        assert_eq!(logged_out(&mut requests), ["acme:bob"]);
        // Its connection notices the end later and detaches: nothing more to tell.
        assert!(!phones.detach(&bob, attached.id, false));
        assert!(logged_out(&mut requests).is_empty());
    }

    /// Ways a softphone connection can go away, and a reader that keeps up.
    #[derive(Debug, Clone)]
    enum Step {
        Connect(usize),
        /// The client closes (or its socket fails): `which` picks one of the agent's open
        /// connections, current or already replaced.
        Close(usize, usize),
        /// The server has more to say than the client reads.
        StopReading(usize),
        /// Messages that a reading client drains.
        Chatter(usize, usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..2usize).prop_map(Step::Connect),
            (0..2usize, 0..4usize).prop_map(|(a, w)| Step::Close(a, w)),
            (0..2usize).prop_map(Step::StopReading),
            (0..2usize, 1..300usize).prop_map(|(a, n)| Step::Chatter(a, n)),
        ]
    }

    proptest! {
        /// Whatever way connections come and go, the switch loop is told exactly once per
        /// connection that stops being the agent's softphone, and the table agrees with who is
        /// really connected.
        #[test]
        fn every_way_a_softphone_goes_away_logs_the_agent_out_exactly_once(
            steps in proptest::collection::vec(step(), 1..40)
        ) {
            let (phones, mut requests) = table();
            let agents = [AgentId::parse("acme:alice").unwrap(), AgentId::parse("acme:bob").unwrap()];
            // Per agent: its open connections (oldest first; the last may be current) and
            // whether the last one is still current.
            let mut open: [Vec<Attached>; 2] = [Vec::new(), Vec::new()];
            let mut current: [bool; 2] = [false, false];
            for step in steps {
                let (agent, expected_logouts) = match step {
                    Step::Connect(a) => {
                        open[a].push(phones.attach(&agents[a]));
                        let replaced = current[a];
                        current[a] = true;
                        (a, usize::from(replaced))
                    }
                    Step::Close(a, which) => {
                        if open[a].is_empty() {
                            continue;
                        }
                        let which = which % open[a].len();
                        let is_last = which == open[a].len() - 1;
                        let closing = open[a].remove(which);
                        let was_current = is_last && current[a];
                        prop_assert_eq!(phones.detach(&agents[a], closing.id, false), was_current);
                        if was_current {
                            current[a] = false;
                        }
                        (a, usize::from(was_current))
                    }
                    Step::StopReading(a) => {
                        let was_current = current[a];
                        for _ in 0..=OUTBOX {
                            phones.send(&agents[a], ServerMessage::Pong);
                        }
                        current[a] = false;
                        (a, usize::from(was_current))
                    }
                    Step::Chatter(a, n) => {
                        for _ in 0..n {
                            phones.send(&agents[a], ServerMessage::Pong);
                            if let Some(reader) = open[a].last_mut().filter(|_| current[a]) {
                                prop_assert!(reader.messages.try_recv().is_ok());
                            }
                        }
                        (a, 0)
                    }
                };
                let told = logged_out(&mut requests);
                prop_assert_eq!(told.len(), expected_logouts, "{:?}", told);
                prop_assert!(told.iter().all(|t| *t == agents[agent].to_string()));
                for a in 0..2 {
                    prop_assert_eq!(phones.is_connected(&agents[a]), current[a]);
                }
            }
        }
    }
}
