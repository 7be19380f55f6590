//! What every REST resource does before its own work: authenticate, then count the request
//! against the rate-limit rules. Also the request-body rules shared by the write endpoints.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::error::{SnError, MAX_BODY};
use crate::auth::{self, SESSION_COOKIE};
use crate::instance::{Actor, Instance};
use crate::ratelimit::RuleHit;

/// An authenticated, rate-limited caller.
pub struct Caller {
    pub actor: Actor,
    new_session: Option<String>,
    rate: Option<RuleHit>,
    now: i64,
}

/// Authenticates and applies rate limits for one request to `service` ("Table API", ...).
// The error is the finished response to send; boxing it would buy nothing on this path.
#[allow(clippy::result_large_err)]
pub fn admit(
    instance: &Arc<Instance>,
    headers: &HeaderMap,
    service: &str,
    method: &str,
) -> Result<Caller, Response> {
    let Some(auth) = auth::authenticate(instance, headers) else {
        return Err(SnError::not_authenticated().into_response());
    };
    let now = instance.clock.now();
    let rate = {
        let db = instance.db.read();
        instance
            .rate_limits
            .check(&db, &auth.actor, service, method, now)
    };
    let caller = Caller {
        actor: auth.actor,
        new_session: auth.new_session,
        rate,
        now,
    };
    if let Some(hit) = caller.rate.as_ref().filter(|h| h.exceeded) {
        let error = SnError::new(
            http::StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded",
            Some(hit.detail()),
        );
        return Err(caller.finish(error.into_response()));
    }
    Ok(caller)
}

impl Caller {
    /// Adds the session cookie and rate-limit headers to a response.
    pub fn finish(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        if let Some(session) = &self.new_session {
            let cookie =
                format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; Secure; SameSite=None");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                headers.append(http::header::SET_COOKIE, v);
            }
        }
        if let Some(hit) = &self.rate {
            for (name, value) in hit.headers(self.now) {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(HeaderName::from_static(static_lower(name)), v);
                }
            }
        }
        response
    }
}

fn static_lower(name: &'static str) -> &'static str {
    match name {
        "X-RateLimit-Limit" => "x-ratelimit-limit",
        "X-RateLimit-Reset" => "x-ratelimit-reset",
        "X-RateLimit-Rule" => "x-ratelimit-rule",
        _ => "retry-after",
    }
}

/// Parses a write body: one JSON object (an array's first element is used, servicenow.md
/// §1.1), at most 10 MB, sent as JSON.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, SnError> {
    if body.len() > MAX_BODY {
        return Err(SnError::body_too_large(body.len()));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.is_empty() {
        return Err(SnError::unreadable_body());
    }
    if !content_type.starts_with("application/json") {
        return Err(SnError::new(
            http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            Some(format!(
                "Content-Type {content_type} is not supported; this instance accepts application/json"
            )),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| SnError::unreadable_body())?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Array(items) => match items.into_iter().next() {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(SnError::unreadable_body()),
        },
        _ => Err(SnError::unreadable_body()),
    }
}

/// Whether the `Accept` header allows a JSON answer (absent, a JSON or XML type, or a wildcard);
/// otherwise the API answers 406 (servicenow.md §1.6).
pub fn accepts_json(headers: &HeaderMap) -> bool {
    let mut ranges = headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| {
            range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|range| !range.is_empty())
        .peekable();
    if ranges.peek().is_none() {
        return true;
    }
    ranges.any(|range| {
        matches!(
            range.as_str(),
            "*/*" | "application/*" | "application/json" | "application/xml" | "text/xml"
        )
    })
}

/// Query-string pairs with servlet decoding (`+` is a space, servicenow.md §1.4).
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn flag(pairs: &[(String, String)], name: &str) -> bool {
    param(pairs, name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}
