//! OAuth tokens and authorization codes (the instance's `oauth_credential`). Tokens are stored
//! by digest, never in clear; the clear value of the current access and refresh token per user
//! and client is kept in memory only, because a password grant made while a token is still
//! valid returns that same token (servicenow.md §2.3, KB0791140). After a restart a fresh token
//! is minted instead.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::password::{random_token, token_digest};
use crate::instance::Actor;
use crate::store::persist::{Change, Persist};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredToken {
    pub kind: TokenKind,
    pub user_sys_id: String,
    pub user_name: String,
    pub client_id: String,
    pub expires_at: i64,
    /// Roles at issue time (access tokens only): later grants need a new token.
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// A pending authorization code (authorization_code grant with PKCE).
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub actor: Actor,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub challenge_method: String,
    pub expires_at: i64,
}

#[derive(Default)]
struct Inner {
    by_digest: HashMap<String, StoredToken>,
    /// (user, client, kind) -> clear token currently in force.
    current: HashMap<(String, String, TokenKind), String>,
    codes: HashMap<String, AuthCode>,
}

pub struct Tokens {
    inner: Mutex<Inner>,
    persist: Persist,
}

pub const AUTH_CODE_LIFESPAN_SECS: i64 = 60;

impl Tokens {
    pub fn new(persist: Persist, loaded: &[(String, String)]) -> Tokens {
        let mut inner = Inner::default();
        for (key, value) in loaded {
            if let Some(digest) = key.strip_prefix("token:") {
                if let Ok(token) = serde_json::from_str::<StoredToken>(value) {
                    inner.by_digest.insert(digest.to_string(), token);
                }
            }
        }
        Tokens {
            inner: Mutex::new(inner),
            persist,
        }
    }

    /// The actor behind a valid access token.
    pub fn access_actor(&self, token: &str, now: i64) -> Option<Actor> {
        let inner = self.inner.lock();
        let stored = inner.by_digest.get(&token_digest(token))?;
        if stored.kind != TokenKind::Access || stored.expires_at <= now {
            return None;
        }
        Some(Actor {
            user_sys_id: stored.user_sys_id.clone(),
            user_name: stored.user_name.clone(),
            roles: Arc::new(stored.roles.iter().cloned().collect::<HashSet<_>>()),
        })
    }

    /// A valid refresh token's owner.
    pub fn refresh_owner(&self, token: &str, client_id: &str, now: i64) -> Option<StoredToken> {
        let inner = self.inner.lock();
        let stored = inner.by_digest.get(&token_digest(token))?;
        (stored.kind == TokenKind::Refresh
            && stored.client_id == client_id
            && stored.expires_at > now)
            .then(|| stored.clone())
    }

    /// Issues (or, with `reuse`, re-issues and extends) a token for the actor and client.
    /// Returns the clear token.
    pub fn issue(
        &self,
        kind: TokenKind,
        actor: &Actor,
        client_id: &str,
        lifespan: i64,
        now: i64,
        reuse: bool,
    ) -> String {
        let mut inner = self.inner.lock();
        let key = (actor.user_sys_id.clone(), client_id.to_string(), kind);
        let expires_at = now + lifespan;
        if reuse {
            if let Some(clear) = inner.current.get(&key).cloned() {
                let digest = token_digest(&clear);
                if let Some(stored) = inner.by_digest.get_mut(&digest) {
                    if stored.expires_at > now {
                        stored.expires_at = expires_at;
                        self.save(&digest, stored);
                        return clear;
                    }
                }
            }
        }
        let clear = random_token(86);
        let digest = token_digest(&clear);
        let mut roles: Vec<String> = actor.roles.iter().cloned().collect();
        roles.sort();
        let stored = StoredToken {
            kind,
            user_sys_id: actor.user_sys_id.clone(),
            user_name: actor.user_name.clone(),
            client_id: client_id.to_string(),
            expires_at,
            roles: if kind == TokenKind::Access {
                roles
            } else {
                Vec::new()
            },
        };
        self.save(&digest, &stored);
        inner.by_digest.insert(digest, stored);
        inner.current.insert(key, clear.clone());
        clear
    }

    /// The clear refresh token currently in force for user and client, if still valid.
    pub fn current_refresh(&self, user_sys_id: &str, client_id: &str, now: i64) -> Option<String> {
        let inner = self.inner.lock();
        let clear = inner.current.get(&(
            user_sys_id.to_string(),
            client_id.to_string(),
            TokenKind::Refresh,
        ))?;
        let stored = inner.by_digest.get(&token_digest(clear))?;
        (stored.expires_at > now).then(|| clear.clone())
    }

    pub fn store_code(&self, code: AuthCode) -> String {
        let clear = random_token(43);
        self.inner.lock().codes.insert(token_digest(&clear), code);
        clear
    }

    /// Takes a code out (codes are single-use, even when the exchange then fails).
    pub fn take_code(&self, code: &str, now: i64) -> Option<AuthCode> {
        let mut inner = self.inner.lock();
        inner.codes.retain(|_, c| c.expires_at > now);
        inner.codes.remove(&token_digest(code))
    }

    fn save(&self, digest: &str, token: &StoredToken) {
        self.persist.enqueue_detached(Change::PutState {
            key: format!("token:{digest}"),
            value: serde_json::to_string(token).expect("token serialises"),
        });
    }
}
