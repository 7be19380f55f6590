//! Browser sessions of the UI pages (`/login.do`): a cookie of their own, separate from the REST
//! API's Basic / bearer / `JSESSIONID` authentication, so a signed-in browser never authorises a
//! Table API call by itself. Each session carries its CSRF token (ServiceNow's `sysparm_ck`).

use std::collections::HashMap;

use parking_lot::Mutex;
use subtle::ConstantTimeEq;

use crate::auth::password;
use crate::auth::SESSION_IDLE_SECS;
use crate::instance::Actor;

/// The UI session cookie (a real instance keeps its UI session in `glide_session_store`).
pub const UI_SESSION_COOKIE: &str = "glide_session_store";
/// The login form's CSRF cookie (double submit: the form carries the same value).
pub const LOGIN_CSRF_COOKIE: &str = "glide_login_ck";

/// Past this many sessions, creating one first drops the idle ones.
const PRUNE_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_id: String,
    pub actor: Actor,
    /// The session's CSRF token, required on every state-changing form.
    pub csrf: String,
}

impl SignedIn {
    /// Whether a submitted `sysparm_ck` is this session's token (constant time).
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        tokens_match(&self.csrf, submitted)
    }
}

pub fn tokens_match(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

struct Entry {
    actor: Actor,
    csrf: String,
    last_used: i64,
}

#[derive(Default)]
pub struct UiSessions {
    by_id: Mutex<HashMap<String, Entry>>,
}

impl UiSessions {
    /// A new session for `actor` with the roles they hold now (as on an instance, a role granted
    /// later applies from the next login).
    pub fn create(&self, actor: Actor, now: i64) -> SignedIn {
        let session_id = password::random_token(32);
        let csrf = password::random_token(32);
        let mut sessions = self.by_id.lock();
        if sessions.len() >= PRUNE_THRESHOLD {
            sessions.retain(|_, s| now - s.last_used <= SESSION_IDLE_SECS);
        }
        sessions.insert(
            session_id.clone(),
            Entry {
                actor: actor.clone(),
                csrf: csrf.clone(),
                last_used: now,
            },
        );
        SignedIn {
            session_id,
            actor,
            csrf,
        }
    }

    /// The session behind a cookie value, unless it is unknown or idle too long.
    pub fn resume(&self, session_id: &str, now: i64) -> Option<SignedIn> {
        let mut sessions = self.by_id.lock();
        let entry = sessions.get_mut(session_id)?;
        if now - entry.last_used > SESSION_IDLE_SECS {
            sessions.remove(session_id);
            return None;
        }
        entry.last_used = now;
        Some(SignedIn {
            session_id: session_id.to_string(),
            actor: entry.actor.clone(),
            csrf: entry.csrf.clone(),
        })
    }

    pub fn end(&self, session_id: &str) {
        self.by_id.lock().remove(session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_expires_after_idling_and_ends_on_logout() {
        let sessions = UiSessions::default();
        let s = sessions.create(Actor::system(), 1_000);
        assert!(sessions
            .resume(&s.session_id, 1_000 + SESSION_IDLE_SECS)
            .is_some());
        assert!(sessions
            .resume(&s.session_id, 1_000 + 2 * SESSION_IDLE_SECS + 1)
            .is_none());
        let t = sessions.create(Actor::system(), 5_000);
        sessions.end(&t.session_id);
        assert!(sessions.resume(&t.session_id, 5_000).is_none());
    }

    #[test]
    fn csrf_tokens_compare_exactly_and_never_match_empty() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", ""));
        assert!(!tokens_match("", ""));
    }
}
