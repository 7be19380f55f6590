//! Which connection is each agent's softphone now, and what ended the others: the close code a
//! browser can tell from a network failure. A newer connection of the same agent replaces the
//! older (`4001 replaced`: the page says "open elsewhere" and does not reconnect); signing out
//! the session a connection was opened with ends it (`4401 signed_out`: the page shows the
//! sign-in form), and so does removing the agent's tenant, whatever opened the connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use callbridge_core::AgentId;
use parking_lot::Mutex;
use tokio::sync::watch;

/// Why the server closes a softphone connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Replaced,
    SignedOut,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            CloseReason::Replaced => 4001,
            CloseReason::SignedOut => 4401,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            CloseReason::Replaced => "replaced",
            CloseReason::SignedOut => "signed_out",
        }
    }
}

/// The session a connection was opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    pub digest: [u8; 32],
    pub tenant: String,
    pub user: String,
}

struct Live {
    id: u64,
    session: Option<SessionKey>,
    close: watch::Sender<Option<CloseReason>>,
}

/// One registered connection: its id and the signal that tells it to close, and why.
pub struct Registered {
    pub id: u64,
    pub closed: watch::Receiver<Option<CloseReason>>,
}

#[derive(Default)]
pub struct Sockets {
    live: Mutex<HashMap<AgentId, Live>>,
    next_id: AtomicU64,
}

impl Sockets {
    /// Makes a new connection the agent's; the older one, if any, is told it was replaced.
    pub fn register(&self, agent: &AgentId, session: Option<SessionKey>) -> Registered {
        let (close, closed) = watch::channel(None);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let older = self
            .live
            .lock()
            .insert(agent.clone(), Live { id, session, close });
        if let Some(older) = older {
            let _ = older.close.send(Some(CloseReason::Replaced));
        }
        Registered { id, closed }
    }

    /// Forgets connection `id` if it is still the agent's.
    pub fn unregister(&self, agent: &AgentId, id: u64) {
        let mut live = self.live.lock();
        if live.get(agent).is_some_and(|l| l.id == id) {
            live.remove(agent);
        }
    }

    /// Closes the connections opened with the session whose id hashes to `digest`.
    pub fn sign_out_session(&self, digest: &[u8; 32]) -> usize {
        self.close_where(|s| &s.digest == digest)
    }

    /// Closes every connection opened with any session of the account.
    pub fn sign_out_account(&self, tenant: &str, user: &str) -> usize {
        self.close_where(|s| s.tenant == tenant && s.user == user)
    }

    /// Closes every connection of the tenant's agents, opened with a session or a ticket (the
    /// tenant was removed).
    pub fn close_tenant(&self, tenant: &str) -> usize {
        let live = self.live.lock();
        let mut closed = 0;
        for (agent, l) in live.iter() {
            if agent.tenant().as_str() == tenant {
                let _ = l.close.send(Some(CloseReason::SignedOut));
                closed += 1;
            }
        }
        closed
    }

    fn close_where(&self, matches: impl Fn(&SessionKey) -> bool) -> usize {
        let live = self.live.lock();
        let mut closed = 0;
        for l in live.values() {
            if l.session.as_ref().is_some_and(&matches) {
                let _ = l.close.send(Some(CloseReason::SignedOut));
                closed += 1;
            }
        }
        closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(digest: u8, user: &str) -> SessionKey {
        SessionKey {
            digest: [digest; 32],
            tenant: "acme".into(),
            user: user.into(),
        }
    }

    #[test]
    fn a_newer_connection_replaces_the_older_and_only_it_is_told() {
        let sockets = Sockets::default();
        let alice = AgentId::parse("acme:alice").unwrap();
        let first = sockets.register(&alice, None);
        let second = sockets.register(&alice, None);
        assert_eq!(*first.closed.borrow(), Some(CloseReason::Replaced));
        assert_eq!(*second.closed.borrow(), None);
        // The replaced one ending does not unregister the newer.
        sockets.unregister(&alice, first.id);
        let third = sockets.register(&alice, None);
        assert_eq!(*second.closed.borrow(), Some(CloseReason::Replaced));
        assert_eq!(*third.closed.borrow(), None);
    }

    #[test]
    fn signing_out_closes_that_sessions_or_that_accounts_connections() {
        let sockets = Sockets::default();
        let alice = AgentId::parse("acme:alice").unwrap();
        let bob = AgentId::parse("acme:bob").unwrap();
        let carol = AgentId::parse("acme:carol").unwrap();
        let a = sockets.register(&alice, Some(key(1, "alice")));
        let b = sockets.register(&bob, Some(key(2, "bob")));
        let c = sockets.register(&carol, None);
        assert_eq!(sockets.sign_out_session(&[9; 32]), 0);
        assert_eq!(sockets.sign_out_session(&[1; 32]), 1);
        assert_eq!(*a.closed.borrow(), Some(CloseReason::SignedOut));
        assert_eq!(*b.closed.borrow(), None);
        assert_eq!(sockets.sign_out_account("acme", "bob"), 1);
        assert_eq!(*b.closed.borrow(), Some(CloseReason::SignedOut));
        assert_eq!(
            *c.closed.borrow(),
            None,
            "a ticket's connection has no session"
        );
        assert_eq!(
            (CloseReason::Replaced.code(), CloseReason::SignedOut.text()),
            (4001, "signed_out")
        );
    }

    #[test]
    fn removing_a_tenant_closes_its_connections_session_or_ticket_and_no_others() {
        let sockets = Sockets::default();
        let alice = AgentId::parse("acme:alice").unwrap();
        let carol = AgentId::parse("acme:carol").unwrap();
        let globex = AgentId::parse("globex:alice").unwrap();
        let a = sockets.register(&alice, Some(key(1, "alice")));
        let c = sockets.register(&carol, None);
        let g = sockets.register(&globex, None);
        assert_eq!(sockets.close_tenant("acme"), 2);
        assert_eq!(*a.closed.borrow(), Some(CloseReason::SignedOut));
        assert_eq!(*c.closed.borrow(), Some(CloseReason::SignedOut));
        assert_eq!(*g.closed.borrow(), None);
        assert_eq!(sockets.close_tenant("initech"), 0);
    }
}
