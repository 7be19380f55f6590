//! Who is calling: Basic credentials, a session cookie, or an OAuth bearer token, resolved to an
//! [`Actor`] carrying the roles that session or token was created with. As on a real instance a
//! role granted later applies only to new sessions and tokens.

pub mod acl;
pub mod password;
pub mod tokens;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use http::HeaderMap;
use parking_lot::Mutex;

use crate::instance::{Actor, Instance};
use crate::store::Db;

/// Idle lifetime of a session created by Basic auth or the OAuth login page.
pub const SESSION_IDLE_SECS: i64 = 30 * 60;
pub const SESSION_COOKIE: &str = "JSESSIONID";

struct Session {
    actor: Actor,
    last_used: i64,
}

#[derive(Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
    /// Access-token digest -> the session its first use created.
    by_token: Mutex<HashMap<String, String>>,
}

/// Past this many sessions, creating one first drops the idle ones.
const SESSION_PRUNE_THRESHOLD: usize = 10_000;

/// The result of authenticating a request.
pub struct Authenticated {
    pub actor: Actor,
    /// Set when this request created a session: the `Set-Cookie` value to send.
    pub new_session: Option<String>,
}

impl Sessions {
    pub fn create(&self, actor: Actor, now: i64) -> String {
        let id = password::random_token(32);
        let mut sessions = self.by_id.lock();
        if sessions.len() >= SESSION_PRUNE_THRESHOLD {
            sessions.retain(|_, s| now - s.last_used <= SESSION_IDLE_SECS);
            let live: std::collections::HashSet<&String> = sessions.keys().collect();
            self.by_token.lock().retain(|_, id| live.contains(id));
        }
        sessions.insert(
            id.clone(),
            Session {
                actor,
                last_used: now,
            },
        );
        id
    }

    /// The session bound to an access token: Some(new id) when this use created it.
    pub fn for_token(&self, token: &str, actor: &Actor, now: i64) -> Option<String> {
        let digest = password::token_digest(token);
        if let Some(id) = self.by_token.lock().get(&digest).cloned() {
            if self.resume(&id, now).is_some() {
                return None;
            }
        }
        let id = self.create(actor.clone(), now);
        self.by_token.lock().insert(digest, id.clone());
        Some(id)
    }

    pub fn resume(&self, id: &str, now: i64) -> Option<Actor> {
        let mut sessions = self.by_id.lock();
        let session = sessions.get_mut(id)?;
        if now - session.last_used > SESSION_IDLE_SECS {
            sessions.remove(id);
            return None;
        }
        session.last_used = now;
        Some(session.actor.clone())
    }
}

/// Authenticates a REST request: session cookie, then bearer token, then Basic.
pub fn authenticate(instance: &Instance, headers: &HeaderMap) -> Option<Authenticated> {
    let now = instance.clock.now();
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(token) = strip_scheme(authorization, "Bearer") {
        if let Some(actor) = instance.tokens.access_actor(token, now) {
            // An OAuth-authenticated answer carries a session cookie, and that session stays
            // usable after the token expires unless the instance disables it ("Invalidate
            // Session After OAuth Token Expiration"; PySNC relies on it right after a refresh).
            let new_session = instance.sessions.for_token(token, &actor, now);
            return Some(Authenticated { actor, new_session });
        }
        if instance.property_is_true(crate::instance::props::OAUTH_COOKIE_AFTER_EXPIRY_DISABLED) {
            return None;
        }
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        if let Some(actor) = instance.sessions.resume(&id, now) {
            return Some(Authenticated {
                actor,
                new_session: None,
            });
        }
    }
    let encoded = strip_scheme(authorization, "Basic")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, secret) = decoded.split_once(':')?;
    let actor = check_password(&instance.db.read(), user, secret)?;
    let session = instance.sessions.create(actor.clone(), now);
    Some(Authenticated {
        actor,
        new_session: Some(session),
    })
}

/// Verifies a user's password and returns them with their current roles. Inactive and locked-out
/// users cannot log in.
pub fn check_password(db: &Db, user_name: &str, secret: &str) -> Option<Actor> {
    let user = db
        .find_eq("sys_user", "user_name", user_name)
        .into_iter()
        .next()?;
    if user.get("active") == "false" || user.get("locked_out") == "true" {
        return None;
    }
    if !password::verify(secret, user.get("user_password")) {
        return None;
    }
    let sys_id = user.get("sys_id").to_string();
    Some(actor_for(db, &sys_id, user_name))
}

/// The actor for a user with the roles they hold right now (direct grants plus contained roles).
pub fn actor_for(db: &Db, user_sys_id: &str, user_name: &str) -> Actor {
    Actor {
        user_sys_id: user_sys_id.to_string(),
        user_name: user_name.to_string(),
        roles: Arc::new(roles_of(db, user_sys_id)),
    }
}

pub fn roles_of(db: &Db, user_sys_id: &str) -> HashSet<String> {
    let mut role_ids: Vec<String> = db
        .find_eq("sys_user_has_role", "user", user_sys_id)
        .iter()
        .filter(|r| r.get("state") != "inactive")
        .map(|r| r.get("role").to_string())
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut names = HashSet::new();
    while let Some(id) = role_ids.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(role) = db.row_view("sys_user_role", &id) {
            names.insert(role.get("name").to_string());
        }
        for contained in db.find_eq("sys_user_role_contains", "role", &id) {
            role_ids.push(contained.get("contains").to_string());
        }
    }
    names
}

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (s, rest) = header.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then_some(rest.trim())
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
