//! Viewers signed in with a tenant's CRM to listen to recordings, and their sign-ins in
//! progress. Both live in memory only: the CRM token never reaches the disk (nor the browser,
//! which holds a random session id), and a restart signs viewers out, which costs one more CRM
//! sign-in (usually silent: the CRM's own session is still there).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use parking_lot::Mutex;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A viewer session's lifetime (and its cookie's): short, as the brief for viewers is "open a
/// link from a Case, listen, leave".
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long a started sign-in waits for the CRM's callback.
pub const SIGN_IN_TTL: Duration = Duration::from_secs(10 * 60);
/// Pending sign-ins kept at most (oldest dropped first): a flood of opens costs bounded memory.
const MAX_PENDING: usize = 10_000;
const MAX_SESSIONS: usize = 50_000;

/// The viewer session cookie, sent to `/recordings/...` only.
pub const SESSION_COOKIE: &str = "callbridge_viewer";
/// Binds a started sign-in to the browser that started it (sent to the OAuth callback only).
pub const SIGN_IN_COOKIE: &str = "callbridge_viewer_signin";

/// A signed-in viewer.
#[derive(Clone)]
pub struct ViewerSession {
    pub tenant: String,
    pub crm_user_id: String,
    pub crm_user_name: String,
    pub access_token: String,
    expires: Instant,
}

/// A sign-in waiting for the CRM's callback.
pub struct PendingSignIn {
    pub tenant: String,
    /// The recording page to return to.
    pub call: String,
    pub verifier: String,
    browser_digest: [u8; 32],
    started: Instant,
}

#[derive(Default)]
pub struct Viewers {
    sessions: Mutex<HashMap<[u8; 32], ViewerSession>>,
    pending: Mutex<HashMap<String, PendingSignIn>>,
}

/// 32 random bytes, base64url.
pub fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Viewers {
    /// Remembers a started sign-in under its OAuth `state`; returns the browser secret for the
    /// binding cookie.
    pub fn start(&self, state: String, tenant: &str, call: &str, verifier: String) -> String {
        let secret = random_id();
        let mut pending = self.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < SIGN_IN_TTL);
        if pending.len() >= MAX_PENDING {
            if let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(k, _)| k.clone())
            {
                pending.remove(&oldest);
            }
        }
        pending.insert(
            state,
            PendingSignIn {
                tenant: tenant.to_string(),
                call: call.to_string(),
                verifier,
                browser_digest: digest(&secret),
                started: Instant::now(),
            },
        );
        secret
    }

    /// Whether `state` is a viewer sign-in of ours (the OAuth callback is shared with agents'
    /// CRM linking).
    pub fn owns(&self, state: &str) -> bool {
        self.pending.lock().contains_key(state)
    }

    /// Takes the sign-in for `state` if `browser` is the secret of the browser that started it
    /// and it has not expired. A sign-in is finished once, whatever the outcome.
    pub fn finish(&self, state: &str, browser: Option<&str>) -> Option<PendingSignIn> {
        let pending = self.pending.lock().remove(state)?;
        let same_browser: bool = browser
            .map(|b| digest(b).ct_eq(&pending.browser_digest).into())
            .unwrap_or(false);
        (same_browser && pending.started.elapsed() < SIGN_IN_TTL).then_some(pending)
    }

    /// A new viewer session; returns its id (the cookie's value).
    pub fn open_session(
        &self,
        tenant: &str,
        crm_user_id: String,
        crm_user_name: String,
        access_token: String,
        lifetime: Duration,
    ) -> String {
        let id = random_id();
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, s| s.expires > Instant::now());
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| *k)
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            digest(&id),
            ViewerSession {
                tenant: tenant.to_string(),
                crm_user_id,
                crm_user_name,
                access_token,
                expires: Instant::now() + lifetime,
            },
        );
        id
    }

    /// The live session `id` names.
    pub fn session(&self, id: &str) -> Option<ViewerSession> {
        let key = digest(id);
        let mut sessions = self.sessions.lock();
        match sessions.get(&key) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends a session (the CRM refused its token).
    pub fn end_session(&self, id: &str) {
        self.sessions.lock().remove(&digest(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_finishes_once_and_only_in_the_browser_that_started_it() {
        let viewers = Viewers::default();
        let secret = viewers.start("st".into(), "acme", "c-1", "v".into());
        assert!(viewers.owns("st"));
        let other = viewers.start("st2".into(), "acme", "c-1", "v".into());
        assert!(viewers.finish("st2", Some(&secret)).is_none());
        assert!(!viewers.owns("st2"), "a wrong browser spends the sign-in");
        let _ = other;
        let done = viewers.finish("st", Some(&secret)).unwrap();
        assert_eq!((done.tenant.as_str(), done.call.as_str()), ("acme", "c-1"));
        assert!(viewers.finish("st", Some(&secret)).is_none());
    }

    #[test]
    fn sessions_are_found_by_id_until_they_expire() {
        let viewers = Viewers::default();
        let id = viewers.open_session(
            "acme",
            "u".into(),
            "beth".into(),
            "tok".into(),
            SESSION_LIFETIME,
        );
        assert_eq!(viewers.session(&id).unwrap().crm_user_name, "beth");
        assert!(viewers.session("another").is_none());
        let gone = viewers.open_session("acme", "u".into(), "b".into(), "t".into(), Duration::ZERO);
        assert!(viewers.session(&gone).is_none());
        viewers.end_session(&id);
        assert!(viewers.session(&id).is_none());
    }
}
