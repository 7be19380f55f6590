//! The call-events API for other telephony: `POST /api/v1/tenants/{tenant}/call-events`, one
//! event per request, signed with the tenant's secret (`signature.rs`), idempotent by
//! `event_id` (an id that comes back with another body is refused, `digest.rs`). Documented in
//! `docs/openapi/call-events.yaml`, which the handler and `body.rs` follow exactly.
//!
//! No HTTP server here: the web edge (`callbridge-web`) routes the request to
//! [`EventsApi::receive`] and writes the [`Answer`] it gets back.

mod answer;
pub mod body;
pub mod digest;
pub mod signature;

use std::collections::HashMap;

use callbridge_core::TenantId;
use callbridge_phone::Region;
use callbridge_store::{EventRecorded, Store};
use serde_json::json;
use time::OffsetDateTime;

use crate::runtime::RuntimeHandle;
use body::CallEventBody;
use callbridge_config::{Secret, TenantConfig};

pub use http::StatusCode;

/// Largest event body accepted.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Clone)]
struct TenantEntry {
    secret: Option<Secret>,
    region: Region,
}

pub struct EventsApi {
    /// Swapped per tenant when a tenant kept in the store is saved.
    tenants: parking_lot::RwLock<HashMap<String, TenantEntry>>,
    store: Store,
    runtime: RuntimeHandle,
}

impl EventsApi {
    pub fn new(tenants: &[TenantConfig], store: Store, runtime: RuntimeHandle) -> EventsApi {
        EventsApi {
            tenants: parking_lot::RwLock::new(
                tenants
                    .iter()
                    .map(|t| (t.id.as_str().to_string(), TenantEntry::of(t)))
                    .collect(),
            ),
            store,
            runtime,
        }
    }

    /// `tenant`'s secret and region from the next request on.
    pub fn replace_tenant(&self, tenant: &TenantConfig) {
        self.tenants
            .write()
            .insert(tenant.id.as_str().to_string(), TenantEntry::of(tenant));
    }

    /// `tenant` was removed: its events are refused as an unknown tenant's from the next
    /// request on.
    pub fn remove_tenant(&self, tenant: &TenantId) {
        self.tenants.write().remove(tenant.as_str());
    }
}

impl TenantEntry {
    fn of(tenant: &TenantConfig) -> TenantEntry {
        TenantEntry {
            secret: tenant.call_events_secret.clone(),
            region: tenant.default_region,
        }
    }
}

/// The route the web edge serves [`EventsApi::receive`] on.
pub const PATH: &str = "/api/v1/tenants/{tenant}/call-events";

/// What the API answers: a status and a JSON body (sent with `Content-Type: application/json`),
/// plus `Retry-After` when the sender should wait before resending.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
    /// Seconds, for the `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn json(status: StatusCode, body: serde_json::Value) -> Answer {
        Answer {
            status,
            body,
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u64) -> Answer {
        self.retry_after = Some(seconds);
        self
    }
}

/// One request as the API reads it: the path's tenant, the two headers it looks at, the body.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub tenant: &'a str,
    /// The signature header ([`signature::HEADER`]), if present and text.
    pub signature: Option<&'a str>,
    /// The `Content-Type` header, if present and text.
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

fn problem(status: StatusCode, code: &str, message: impl Into<String>) -> Answer {
    Answer::json(
        status,
        json!({ "error": { "code": code, "message": message.into() } }),
    )
}

impl EventsApi {
    /// Checks, records and submits one posted event, and says how it went.
    pub async fn receive(&self, request: Request<'_>) -> Answer {
        receive(self, request).await
    }
}

async fn receive(api: &EventsApi, request: Request<'_>) -> Answer {
    let Request {
        tenant,
        signature: header,
        content_type,
        body,
    } = request;
    let entry = api.tenants.read().get(tenant).cloned();
    let Some(entry) = entry else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown_tenant",
            format!("no tenant {tenant:?} is configured"),
        );
    };
    let Some(secret) = &entry.secret else {
        return problem(
            StatusCode::FORBIDDEN,
            "events_disabled",
            "the call-events API is off for this tenant; set call_events_secret in its configuration",
        );
    };
    let now = OffsetDateTime::now_utc();
    if let Err(error) = signature::verify(
        secret.expose().as_bytes(),
        header,
        body,
        now.unix_timestamp(),
    ) {
        return problem(StatusCode::UNAUTHORIZED, "bad_signature", error.to_string());
    }
    // After the signature, so an unauthenticated sender learns nothing but "sign it".
    if !is_json(content_type) {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the event as JSON with Content-Type: application/json",
        );
    }
    let parsed: CallEventBody = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not a call event: {e}"),
            )
        }
    };
    let event_id = parsed.event_id.clone();
    // The body parsed as a call event, so it is JSON.
    let digest = serde_json::from_slice(body)
        .map(|value| digest::canonical_digest(&value))
        .unwrap_or_default();
    let tenant_id = TenantId::new(tenant);
    let event = match parsed.into_event(&tenant_id, entry.region) {
        Ok(e) => e,
        Err(e) => {
            return Answer::json(
                StatusCode::BAD_REQUEST,
                json!({ "error": { "code": "invalid_event", "field": e.field, "message": e.to_string() } }),
            )
        }
    };
    // The accepted event is kept, so its effects can be replayed if the process stops before
    // the engine has turned them into durable work (`runtime::replay`).
    let payload = crate::journal::encode(&event);
    match api
        .store
        .record_event_checked(tenant, &event_id, now, &digest, &payload)
        .await
    {
        Ok(EventRecorded::New) => {
            let verdict =
                tokio::time::timeout(answer::VERDICT_WAIT, api.runtime.submit_judged(event))
                    .await
                    .ok()
                    .flatten();
            if answer::refused(verdict.as_ref()) {
                if let Err(error) = api.store.forget_event(tenant, &event_id).await {
                    tracing::error!(%error, "cannot forget a refused call event");
                }
            }
            answer::respond(&event_id, verdict, |at| api.runtime.wall_time_of(at))
        }
        Ok(EventRecorded::Reused) => problem(
            StatusCode::CONFLICT,
            "event_id_reused",
            format!(
                "event_id {event_id:?} was already used by a different event of this tenant \
                 (another body); nothing was recorded. Give every event its own id, unique \
                 within the tenant, and resend this one with a new id"
            ),
        ),
        Ok(EventRecorded::Duplicate) => Answer::json(
            StatusCode::OK,
            json!({ "status": "duplicate", "event_id": event_id }),
        ),
        Err(error) => {
            tracing::error!(%error, "cannot record a call event");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the event was not recorded; send it again",
            )
        }
    }
}

/// `Content-Type: application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}
