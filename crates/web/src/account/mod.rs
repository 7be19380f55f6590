//! Accounts, sign-in and sessions, the agent's profile and colleagues, and the CRM link from the
//! page (`docs/web-api.md`, `ui/SERVER-CONTRACT.md` sections 1-4).
//!
//! - `password.rs`: Argon2id hashes; an unknown user costs the same time as a wrong password.
//! - `session.rs`: session ids (only their SHA-256 is stored) and the partitioned cookie.
//! - `csrf.rs`: the CSRF token (HMAC of the session id) every state-changing request carries.
//! - `origins.rs`: the tenant's allowed origins (Callbridge's and the CRM instance's).
//! - `limits.rs`: failed sign-ins per user and per client address (in memory, per process).
//! - `profile.rs`: the answers' bodies, from plain facts.
//! - `routes.rs`: the handlers.
//!
//! Sessions are cookies, not bearer tokens the page keeps: an `HttpOnly` cookie cannot be read
//! by script, and the WebSocket upgrade carries it (a page cannot set headers on one).

pub mod csrf;
pub mod limits;
pub mod origins;
pub mod password;
pub mod profile;
pub mod provision;
mod routes;
pub mod session;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::header::{CACHE_CONTROL, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callbridge_config::Config;
use callbridge_integration::linking::Linking;
use callbridge_integration::tenants::TenantDirectory;
use callbridge_store::{SessionView, Store};
use callbridge_telephony::TelephonyHandle;
use parking_lot::Mutex;
use serde_json::json;
use time::OffsetDateTime;

use crate::client_address::ClientAddress;
use crate::gateway::sockets::Sockets;

pub use routes::router;

/// A tenant as the account pages need it, worked out once at start.
#[derive(Debug, Clone)]
pub struct TenantFacts {
    pub name: String,
    /// ISO 3166 alpha-2.
    pub region: String,
    /// Callbridge's origin, then the CRM instance's.
    pub allowed_origins: Vec<String>,
    /// The `[tenant.crm] kind`.
    pub crm_kind: String,
    /// `[[tenant.disposition_codes]]`, shown in the profile for after-call work.
    pub disposition_codes: callbridge_core::DispositionCodes,
    /// A tenant kept in the store that no call can reach yet: it has neither telephony
    /// (`[tenant.telephony]`) nor a call-events secret. Its agents and supervisors are refused
    /// at sign-in (`tenant_not_ready`) until its admin sets one up; the admin signs in.
    pub awaiting_setup: bool,
}

impl TenantFacts {
    fn of(
        tenant: &callbridge_config::TenantConfig,
        config: &Config,
        linking: &Linking,
    ) -> TenantFacts {
        let public_url = config.server.public_url.as_str();
        let has_telephony = config
            .telephony
            .as_ref()
            .is_some_and(|t| t.tenants.iter().any(|t| t.tenant == tenant.id));
        let crm = linking.crm_facts(tenant.id.as_str());
        let instance = crm.as_ref().and_then(|c| c.instance_url.as_deref());
        TenantFacts {
            name: tenant.name.clone(),
            region: tenant.default_region.to_string(),
            allowed_origins: origins::allowed(public_url, instance),
            crm_kind: tenant.crm.kind.clone(),
            disposition_codes: tenant.disposition_codes.clone(),
            // A file's tenant is as its author wrote it; a stored one starts with a CRM only.
            awaiting_setup: tenant.source.is_store()
                && !has_telephony
                && tenant.call_events_secret.is_none(),
        }
    }
}

/// Everything the account routes share.
pub struct Accounts {
    pub(crate) store: Store,
    csrf_key: [u8; 32],
    /// Swapped per tenant when a tenant kept in the store is saved.
    tenants: parking_lot::RwLock<HashMap<String, TenantFacts>>,
    public_url: String,
    limits: Mutex<limits::SignInLimits>,
    pub(crate) linking: Arc<Linking>,
    pub(crate) telephony: Option<TelephonyHandle>,
    /// The agents' softphone connections, closed when their session ends.
    pub(crate) sockets: Arc<Sockets>,
    /// The server's tenant directory, asked to look at the store when someone signs in to a
    /// tenant this process does not know yet (set once the server is assembled).
    directory: std::sync::OnceLock<Arc<TenantDirectory>>,
    /// When a sign-in last made the directory look at the store.
    looked_for_tenants: Mutex<Option<std::time::Instant>>,
}

/// At most one look at the store a second for a sign-in to an unknown tenant: a flood of
/// made-up tenant names costs one query a second, not one each.
const NEW_TENANT_LOOK: std::time::Duration = std::time::Duration::from_secs(1);

/// A request's valid session.
#[derive(Debug, Clone)]
pub struct Signed {
    pub id: String,
    pub digest: [u8; 32],
    pub view: SessionView,
}

/// An error answer in the API's shape: `{"error":{"code","message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn not_signed_in() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Sign in first.")
    }

    pub fn bad_origin() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_origin",
            "this request comes from a page of a site this tenant does not allow (only Callbridge's own address and the CRM's); open the softphone from Callbridge or the CRM",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "account request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not answer (its log says why); try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        // Errors too: a 401 or 429 is about this session and this moment, not for any cache.
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert("retry-after", seconds.to_string().parse().expect("digits"));
        }
        response
    }
}

impl Accounts {
    pub fn new(
        config: &Config,
        store: Store,
        linking: Arc<Linking>,
        telephony: Option<TelephonyHandle>,
        sockets: Arc<Sockets>,
    ) -> Accounts {
        let tenants = config
            .tenants
            .iter()
            .map(|t| {
                (
                    t.id.as_str().to_string(),
                    TenantFacts::of(t, config, &linking),
                )
            })
            .collect();
        Accounts {
            store,
            csrf_key: csrf::derive_key(config.server.master_key.expose().as_bytes()),
            tenants: parking_lot::RwLock::new(tenants),
            public_url: config.server.public_url.trim_end_matches('/').to_string(),
            limits: Mutex::new(limits::SignInLimits::default()),
            linking,
            telephony,
            sockets,
            directory: std::sync::OnceLock::new(),
            looked_for_tenants: Mutex::new(None),
        }
    }

    /// Where a sign-in to a tenant this process does not know yet looks for it (see
    /// [`Accounts::take_in_new_tenant`]).
    pub fn look_for_new_tenants_in(&self, directory: Arc<TenantDirectory>) {
        let _ = self.directory.set(directory);
    }

    /// A tenant created by another process (`callbridge tenant add`) is taken in by the
    /// directory's periodic look at the store, within 5 s; its admin may sign in before that.
    /// Their sign-in has the directory look now, so the console they land on shows the tenant
    /// whole instead of a page that says it has no setup.
    pub(crate) async fn take_in_new_tenant(&self, tenant: &str) {
        if self.tenant(tenant).is_some() {
            return;
        }
        let Some(directory) = self.directory.get() else {
            return;
        };
        {
            let mut looked = self.looked_for_tenants.lock();
            let now = std::time::Instant::now();
            if looked.is_some_and(|at| now.duration_since(at) < NEW_TENANT_LOOK) {
                return;
            }
            *looked = Some(now);
        }
        if let Err(error) = directory.refresh().await {
            tracing::error!(%tenant, "the tenants kept in the store could not be read again: {error}");
        }
    }

    pub fn tenant(&self, tenant: &str) -> Option<TenantFacts> {
        self.tenants.read().get(tenant).cloned()
    }

    /// `tenant`'s facts from the next request on (its link flow already swapped, for its
    /// CRM's origin).
    pub fn replace_tenant(&self, config: &Config, tenant: &callbridge_config::TenantConfig) {
        let facts = TenantFacts::of(tenant, config, &self.linking);
        self.tenants
            .write()
            .insert(tenant.id.as_str().to_string(), facts);
    }

    /// `tenant` was removed: from the next request on its sessions are not live and its
    /// accounts cannot sign in.
    pub fn remove_tenant(&self, tenant: &str) {
        self.tenants.write().remove(tenant);
    }

    /// The request's session, if its cookie names a live one of a tenant this server serves (a
    /// removed tenant's sessions end with it, even before the store forgets them).
    pub async fn session_of(&self, headers: &HeaderMap) -> Result<Option<Signed>, ApiError> {
        let Some(id) = session::from_headers(headers) else {
            return Ok(None);
        };
        let digest = session::digest(&id);
        let view = self
            .store
            .session(&digest, OffsetDateTime::now_utc())
            .await
            .map_err(ApiError::internal)?
            .filter(|view| self.tenants.read().contains_key(&view.tenant));
        Ok(view.map(|view| Signed { id, digest, view }))
    }

    /// The request's session, or 401 `not_signed_in`.
    pub async fn signed_in(&self, headers: &HeaderMap) -> Result<Signed, ApiError> {
        self.session_of(headers)
            .await?
            .ok_or_else(ApiError::not_signed_in)
    }

    /// The `Origin` header judged against `tenant`'s allowed origins.
    pub fn origin(&self, tenant: &str, headers: &HeaderMap) -> origins::Verdict {
        let allowed = self
            .tenants
            .read()
            .get(tenant)
            .map(|t| t.allowed_origins.clone())
            .unwrap_or_default();
        let origin = headers.get(ORIGIN).map(|v| v.to_str().unwrap_or("null"));
        origins::judge(origin, &allowed)
    }

    /// A state-changing request: signed in, from an allowed origin (or no browser page), with
    /// the session's CSRF token.
    pub async fn changing(&self, headers: &HeaderMap) -> Result<Signed, ApiError> {
        let signed = self.signed_in(headers).await?;
        self.may_change(&signed, headers)?;
        Ok(signed)
    }

    /// The checks of [`changing`](Self::changing) after the session: origin, then CSRF token
    /// (the console audits a refusal here, so it needs the session first).
    pub fn may_change(&self, signed: &Signed, headers: &HeaderMap) -> Result<(), ApiError> {
        if self.origin(&signed.view.tenant, headers) == origins::Verdict::Foreign {
            return Err(ApiError::bad_origin());
        }
        let presented = headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !csrf::verify(&self.csrf_key, &signed.id, presented) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_csrf_token",
                "the X-CSRF-Token header is missing or is not this session's token; send the csrf_token that POST or GET /api/v1/session answered",
            ));
        }
        Ok(())
    }

    pub fn csrf_token(&self, session_id: &str) -> String {
        csrf::token(&self.csrf_key, session_id)
    }
}

/// The client's address, as the listener resolved it (`crate::client_address`): the
/// connection's peer, or for a connection from a trusted proxy the client its forwarding
/// header names. Without the listener (a router served otherwise), the peer.
pub fn client_address<B>(request: &Request<B>) -> IpAddr {
    let extensions = request.extensions();
    if let Some(ClientAddress(ip)) = extensions.get::<ClientAddress>() {
        return *ip;
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
