//! What can go wrong talking to an instance, parsed from ServiceNow's error envelope
//! `{"error":{"message":..,"detail":..},"status":"failure"}` and the HTTP status
//! (servicenow.md §1.6). Responses are treated as hostile: whatever the body, parsing gives a
//! clear error and never panics.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::names::NameError;
use crate::query::QueryError;

/// Wait used when a 429 carries no usable `Retry-After` (the instance's windows are hourly).
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A failed exchange with the instance. [`ApiError::is_retryable`] says whether sending the
/// same request again later can succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: no, wrong, expired or revoked credentials.
    #[error(
        "ServiceNow did not accept the credentials (401{}): the access token expired or was revoked, or the user name or password is wrong; refresh the token or re-link the account",
        suffix(message)
    )]
    Unauthorized { message: String },
    /// 403: an ACL, role, business rule or data policy refused the operation.
    #[error(
        "ServiceNow refused the operation (403{}{}): the account lacks a role or an access control denies it; grant the role the operation needs",
        suffix(message),
        detail_suffix(detail)
    )]
    Forbidden {
        message: String,
        detail: Option<String>,
    },
    /// 404: the record does not exist, or an ACL hides it.
    #[error(
        "not found (404{}{}): the record does not exist or an access control hides it from this account",
        suffix(message),
        detail_suffix(detail)
    )]
    NotFound {
        message: String,
        detail: Option<String>,
    },
    /// 400 `Invalid table <name>`: the instance has no such table.
    #[error(
        "the instance has no table '{table}' (400 Invalid table): check the name in System Definition > Tables (sys_db_object.name), or activate the plugin that provides it"
    )]
    InvalidTable { table: String },
    /// 429: over a rate-limit rule; wait `retry_after`.
    #[error(
        "ServiceNow rate limit exceeded (429{}); retry after {}s; if this persists, raise the rule in System Web Services > REST API Rate Limits (sys_rate_limit_rules)",
        detail_suffix(detail),
        retry_after.as_secs()
    )]
    RateLimited {
        retry_after: Duration,
        detail: Option<String>,
    },
    /// Another 4xx: the request itself is wrong (malformed body, method, media type).
    #[error(
        "the instance rejected the request ({status}{}{})",
        suffix(message),
        detail_suffix(detail)
    )]
    BadRequest {
        status: u16,
        message: String,
        detail: Option<String>,
    },
    /// 5xx: the instance failed; try again later.
    #[error("the instance failed ({status}{}); try again later", suffix(message))]
    Server { status: u16, message: String },
    /// No complete HTTP answer: DNS, TCP, TLS, or a connection dropped mid-answer.
    #[error(
        "could not reach the instance: {0}; check the instance URL, the network and TLS trust"
    )]
    Transport(String),
    /// No answer within the request timeout.
    #[error("the instance did not answer within the request timeout")]
    Timeout,
    /// An answer that is not what the API documents (not JSON, no `result`, non-string values,
    /// a redirect...).
    #[error("unexpected response from the instance: {0}")]
    UnexpectedResponse(String),
    /// A Batch API item the instance did not run (a batch limit was hit); send it again.
    #[error("the Batch API did not run this request (a batch size or time limit was hit); send it again")]
    Unserviced,
    /// The request was refused before anything was sent (invalid name, value or body).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" {message}")
    }
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail.as_deref() {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

impl ApiError {
    /// Whether the same request may succeed later: rate limits, server errors, transport
    /// failures, timeouts and unserviced batch items. A 401 is not: the credentials must change
    /// first (the caller refreshes the token and tries once more).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Transport(_)
                | ApiError::Timeout
                | ApiError::Unserviced
        )
    }

    /// How long the instance asked to wait (429 only).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The HTTP status the instance answered with, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::InvalidTable { .. } => Some(400),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::BadRequest { status, .. } | ApiError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error for a non-success answer (`status` ≥ 400) with these headers and body.
    pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ApiError {
        let envelope = Envelope::parse(body);
        let message = envelope.message.clone();
        let detail = envelope.detail.clone();
        match status {
            401 => ApiError::Unauthorized { message },
            403 => ApiError::Forbidden { message, detail },
            404 => ApiError::NotFound { message, detail },
            429 => ApiError::RateLimited {
                retry_after: retry_after(headers),
                detail: detail.or_else(|| Some(message).filter(|m| !m.is_empty())),
            },
            400 if message.starts_with("Invalid table ") => ApiError::InvalidTable {
                table: message["Invalid table ".len()..].trim().to_string(),
            },
            500..=599 => ApiError::Server {
                status,
                message: if envelope.json {
                    match detail {
                        Some(d) if !d.is_empty() => format!("{message}: {d}"),
                        _ => message,
                    }
                } else {
                    message
                },
            },
            _ => ApiError::BadRequest {
                status,
                message,
                detail,
            },
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> ApiError {
        ApiError::InvalidRequest(error.to_string())
    }
}

impl From<NameError> for ApiError {
    fn from(error: NameError) -> ApiError {
        ApiError::InvalidRequest(error.to_string())
    }
}

/// Maps a reqwest failure (no complete answer) to Timeout or Transport, with its causes.
pub(crate) fn transport(error: &reqwest::Error) -> ApiError {
    if error.is_timeout() {
        return ApiError::Timeout;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    ApiError::Transport(text)
}

/// `Retry-After` in seconds (what ServiceNow sends), else the `X-RateLimit-Reset` time, else
/// [`DEFAULT_RETRY_AFTER`].
fn retry_after(headers: &HeaderMap) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Duration::from_secs(secs.min(24 * 3600));
    }
    if let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok()) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if reset > now {
            return Duration::from_secs((reset - now).min(24 * 3600));
        }
    }
    DEFAULT_RETRY_AFTER
}

/// The parts of an error body we can use.
struct Envelope {
    /// Whether the body was JSON at all.
    json: bool,
    message: String,
    detail: Option<String>,
}

impl Envelope {
    fn parse(body: &[u8]) -> Envelope {
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            let message = if body.iter().all(|b| b.is_ascii_whitespace()) {
                String::new()
            } else {
                format!("non-JSON body: {}", snippet(body))
            };
            return Envelope {
                json: false,
                message,
                detail: None,
            };
        };
        let error = value.get("error");
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let (message, detail) = match error {
            Some(Value::Object(e)) => (text(e.get("message")), text(e.get("detail"))),
            // OAuth-style bodies: {"error":"server_error","error_description":"access_denied"}.
            Some(Value::String(s)) => (Some(s.clone()), text(value.get("error_description"))),
            _ => (None, None),
        };
        Envelope {
            json: true,
            message: message.unwrap_or_default(),
            detail: detail.filter(|d| !d.is_empty()),
        }
    }
}

/// The start of a body, printable, for messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = compact
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if compact.chars().count() > MAX {
        out.push_str("...");
    }
    out
}

/// Describes a JSON value's type for messages ("a number", "null", ...).
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Building the connection failed (configuration, not the instance).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("instance URL '{url}' is not usable: {reason}")]
    BaseUrl { url: String, reason: String },
    #[error("the extra root CA is not a usable PEM certificate bundle: {0}")]
    Certificate(String),
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(status, &HeaderMap::new(), body.as_bytes())
    }

    // servicenow.md §1.6, the catalogue of real error bodies.
    #[test]
    fn rule_1_6_envelopes_map_to_kinds() {
        let e = parse(
            401,
            r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#,
        );
        assert_eq!(
            e,
            ApiError::Unauthorized {
                message: "User Not Authenticated".into()
            }
        );
        assert!(
            e.to_string().contains("refresh the token or re-link"),
            "{e}"
        );
        assert!(!e.is_retryable());

        let e = parse(
            403,
            r#"{"error":{"detail":"Field(s) present in the query do not have permission to be read","message":"Insufficient rights to query records"},"status":"failure"}"#,
        );
        assert_eq!(
            e,
            ApiError::Forbidden {
                message: "Insufficient rights to query records".into(),
                detail: Some(
                    "Field(s) present in the query do not have permission to be read".into()
                )
            }
        );
        assert!(e.to_string().contains("grant the role"), "{e}");

        let e = parse(
            400,
            r#"{"error":{"message":"Invalid table u_nope","detail":null},"status":"failure"}"#,
        );
        assert_eq!(
            e,
            ApiError::InvalidTable {
                table: "u_nope".into()
            }
        );
        assert!(e.to_string().contains("System Definition > Tables"));

        let e = parse(
            404,
            r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#,
        );
        assert!(matches!(e, ApiError::NotFound { .. }));

        let e = parse(
            400,
            r#"{"error":{"message":"Exception while reading request","detail":"Verify Request body and Content-type headers. Not able to parse request"},"status":"failure"}"#,
        );
        assert!(matches!(e, ApiError::BadRequest { status: 400, .. }));
        assert!(!e.is_retryable());
        assert!(matches!(
            parse(415, "{}"),
            ApiError::BadRequest { status: 415, .. }
        ));
    }

    #[test]
    fn rule_1_6_rate_limit_honours_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        let e = ApiError::from_response(
            429,
            &headers,
            br#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 100 requests per hour for Table API exceeded"},"status":"failure"}"#,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert!(e.is_retryable());
        assert!(
            e.to_string()
                .contains("Rate limit of 100 requests per hour"),
            "{e}"
        );
        // No Retry-After: a conservative default, never zero.
        assert_eq!(parse(429, "").retry_after(), Some(DEFAULT_RETRY_AFTER));
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(
            ApiError::from_response(429, &headers, b"").retry_after(),
            Some(DEFAULT_RETRY_AFTER)
        );
    }

    #[test]
    fn hostile_error_bodies_never_panic_and_stay_readable() {
        let html = "<html><body>\n<h1>Instance Hibernating</h1>\n</body></html>";
        let e = parse(503, html);
        assert!(e.is_retryable());
        let text = e.to_string();
        assert!(text.contains("Instance Hibernating"), "{text}");
        assert!(!text.contains('\n'));
        for body in [
            "",
            "null",
            "[]",
            "42",
            "\"x\"",
            "{\"error\":7}",
            "{\"error\":{\"message\":[1]}}",
            "\u{0}\u{1}",
            "{",
        ] {
            for status in [400, 401, 403, 404, 405, 429, 500, 502] {
                let e = parse(status, body);
                let _ = e.to_string();
                assert_eq!(e.status(), Some(status), "{body:?}");
            }
        }
        let long = "x".repeat(100_000);
        assert!(parse(500, &long).to_string().len() < 1_000);
        // Invalid UTF-8.
        let e = ApiError::from_response(502, &HeaderMap::new(), &[0xff, 0xfe, b'a']);
        assert!(matches!(e, ApiError::Server { status: 502, .. }));
    }

    #[test]
    fn retryable_kinds() {
        assert!(ApiError::Server {
            status: 503,
            message: String::new()
        }
        .is_retryable());
        assert!(ApiError::Transport("reset".into()).is_retryable());
        assert!(ApiError::Timeout.is_retryable());
        assert!(ApiError::Unserviced.is_retryable());
        assert!(!ApiError::UnexpectedResponse("x".into()).is_retryable());
        assert!(!ApiError::InvalidRequest("x".into()).is_retryable());
        assert!(!ApiError::InvalidTable { table: "x".into() }.is_retryable());
    }
}
