//! The Batch API (servicenow.md §4.1): `POST /api/now/v1/batch` (there is no un-versioned URL).
//!
//! Items run one after another, as the caller of the batch (its Authorization and session cookie
//! are reused for every item, so ACLs and rate limits apply per item). Table API and Aggregate
//! API URLs are served by those resources' own handlers; any other URL is serviced with the
//! instance's "no resource" 400. When an item is over the input size limit, its response is over
//! the output size limit, or the transaction has run past its time budget, that item and every
//! one after it are returned, unrun, as ids in `unserviced_requests`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use super::error::SnError;
use super::gate::{admit, Caller};
use super::stats::{self, StatsRequest};
use super::table::{self, json_response, ApiVersion, TableRequest};
use crate::auth::SESSION_COOKIE;
use crate::instance::Instance;

/// Largest item body by default: 5 MB (`glide.rest.batch.max.inputSize`).
pub const DEFAULT_MAX_INPUT: usize = 5 * 1024 * 1024;
/// The property may raise the input limit up to 10 MB and no further.
pub const MAX_INPUT_CEILING: usize = 10 * 1024 * 1024;
/// Largest item response by default: 10 MB (`glide.rest.batch.max.outputSize`).
pub const DEFAULT_MAX_OUTPUT: usize = 10 * 1024 * 1024;
/// The "REST Batch API request timeout" transaction quota: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

pub const INPUT_SIZE_PROPERTY: &str = "glide.rest.batch.max.inputSize";
pub const OUTPUT_SIZE_PROPERTY: &str = "glide.rest.batch.max.outputSize";
/// Request header that can lower (never raise) the output limit.
pub const OUTPUT_SIZE_HEADER: &str = "x-batchrequest-max-output-size";
/// Sandbox switch standing in for the transaction quota rule: the batch time budget in
/// milliseconds (tests shrink it instead of running for 30 s).
pub const TIMEOUT_PROPERTY: &str = "x_cb_sandbox.batch_timeout_ms";

/// Route handler for `/api/now/v1/batch`.
pub async fn batch(
    State(instance): State<Arc<Instance>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match admit(&instance, &headers, "Batch API", method.as_str()) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let response = if method != Method::POST {
        SnError::method_not_allowed().into_response()
    } else {
        match parse_batch(&headers, &body) {
            Ok(request) => run(&instance, &caller, &headers, request).await,
            Err(error) => error.into_response(),
        }
    };
    caller.finish(response)
}

/// One entry of `rest_requests`.
#[derive(Debug, Clone)]
struct Item {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    exclude_response_headers: bool,
    /// Base64 as sent; decoded when the item runs.
    body: Option<String>,
}

#[derive(Debug)]
struct BatchRequest {
    id: String,
    items: Vec<Item>,
}

/// IDs arrive as strings or (PySNC) numbers; both go back as strings.
fn id_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn parse_batch(headers: &HeaderMap, body: &[u8]) -> Result<BatchRequest, SnError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !content_type.is_empty() && !content_type.starts_with("application/json") {
        return Err(SnError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            Some(format!(
                "Content-Type {content_type} is not supported; the Batch API accepts application/json"
            )),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| SnError::unreadable_body())?;
    let Value::Object(root) = value else {
        return Err(SnError::unreadable_body());
    };
    let Some(Value::Array(entries)) = root.get("rest_requests") else {
        return Err(SnError::unreadable_body());
    };
    let mut items = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Object(entry) = entry else {
            return Err(SnError::unreadable_body());
        };
        let headers = match entry.get("headers") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|h| {
                    let name = h.get("name")?.as_str()?.to_string();
                    Some((name, text(h.get("value"))))
                })
                .collect(),
            _ => Vec::new(),
        };
        let exclude_response_headers = match entry.get("exclude_response_headers") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
            _ => false,
        };
        items.push(Item {
            id: id_string(entry.get("id")),
            method: text(entry.get("method")),
            url: text(entry.get("url")),
            headers,
            exclude_response_headers,
            body: entry
                .get("body")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    Ok(BatchRequest {
        id: id_string(root.get("batch_request_id")),
        items,
    })
}

/// The batch's limits, from properties and the request's own header.
struct Limits {
    max_input: usize,
    max_output: usize,
    timeout: Duration,
}

impl Limits {
    fn of(instance: &Instance, headers: &HeaderMap) -> Limits {
        let number = |name: &str| {
            instance
                .property(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let max_input = number(INPUT_SIZE_PROPERTY)
            .map(|n| (n as usize).min(MAX_INPUT_CEILING))
            .unwrap_or(DEFAULT_MAX_INPUT);
        let property_output = number(OUTPUT_SIZE_PROPERTY)
            .map(|n| n as usize)
            .unwrap_or(DEFAULT_MAX_OUTPUT);
        let header_output = headers
            .get(OUTPUT_SIZE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let max_output = header_output.map_or(property_output, |h| h.min(property_output));
        let timeout = number(TIMEOUT_PROPERTY)
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_TIMEOUT);
        Limits {
            max_input,
            max_output,
            timeout,
        }
    }
}

/// The credentials every item carries: the batch's own Authorization and cookies, led by the
/// session the batch request opened (a Basic login), so items resume it instead of logging in.
fn item_credentials(caller: &Caller, outer: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut credentials = Vec::new();
    let probe = caller.finish(Response::new(Body::empty()));
    let prefix = format!("{SESSION_COOKIE}=");
    let session = probe
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(prefix.as_str())
                .map(str::to_string)
        });
    if let Some(session) = session {
        if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}={session}")) {
            credentials.push((http::header::COOKIE, v));
        }
    }
    for value in outer.get_all(http::header::COOKIE) {
        credentials.push((http::header::COOKIE, value.clone()));
    }
    if let Some(value) = outer.get(http::header::AUTHORIZATION) {
        credentials.push((http::header::AUTHORIZATION, value.clone()));
    }
    credentials
}

async fn run(
    instance: &Arc<Instance>,
    caller: &Caller,
    headers: &HeaderMap,
    request: BatchRequest,
) -> Response {
    let started = Instant::now();
    let limits = Limits::of(instance, headers);
    let credentials = item_credentials(caller, headers);
    let mut serviced = Vec::new();
    let mut unserviced = Vec::new();
    let mut stopped = false;
    for item in request.items {
        if stopped || started.elapsed() >= limits.timeout {
            stopped = true;
            unserviced.push(Value::String(item.id));
            continue;
        }
        let item_started = Instant::now();
        let body = match decode_body(item.body.as_deref()) {
            Ok(body) => body,
            Err(error) => {
                let response = error.into_response();
                match serviced_entry(&item, response, item_started, limits.max_output).await {
                    Some(entry) => serviced.push(entry),
                    None => {
                        stopped = true;
                        unserviced.push(Value::String(item.id));
                    }
                }
                continue;
            }
        };
        if body.len() > limits.max_input {
            stopped = true;
            unserviced.push(Value::String(item.id));
            continue;
        }
        let response = match dispatch(&item, body, &credentials) {
            Dispatch::Table(request) => table::handle(instance, request).await,
            Dispatch::Stats(request) => stats::handle(instance, request),
            Dispatch::Error(error) => error.into_response(),
        };
        match serviced_entry(&item, response, item_started, limits.max_output).await {
            Some(entry) => serviced.push(entry),
            None => {
                stopped = true;
                unserviced.push(Value::String(item.id));
            }
        }
    }
    let body = json!({
        "batch_request_id": request.id,
        "serviced_requests": serviced,
        "unserviced_requests": unserviced,
    });
    json_response(StatusCode::OK, &body, false)
}

/// Decodes an item body; whitespace (line-wrapped base64) and missing padding are tolerated.
fn decode_body(raw: Option<&str>) -> Result<Bytes, SnError> {
    let Some(raw) = raw else {
        return Ok(Bytes::new());
    };
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = &base64::engine::general_purpose::STANDARD;
    engine
        .decode(compact.as_bytes())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('='))
        })
        .map(Bytes::from)
        .map_err(|_| SnError::unreadable_body())
}

/// Where an item goes.
enum Dispatch {
    Table(TableRequest),
    Stats(StatsRequest),
    Error(SnError),
}

/// A REST resource an item URL names.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Table {
        version: ApiVersion,
        table: String,
        sys_id: Option<String>,
    },
    Stats {
        table: String,
    },
}

/// Splits an item URL (relative, or absolute with this instance's host) into a resource and
/// its raw query string.
fn resolve(url: &str) -> (Option<Target>, Option<String>) {
    let mut rest = url.trim();
    if let Some(after) = rest
        .strip_prefix("https://")
        .or_else(|| rest.strip_prefix("http://"))
    {
        rest = after.find('/').map_or("", |i| &after[i..]);
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (rest, None),
    };
    let segments: Vec<String> = path
        .trim_end_matches('/')
        .split('/')
        .skip(1)
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (version, resource) = match segments.as_slice() {
        ["api", "now", "v1", resource @ ..] => (ApiVersion::V1, resource),
        ["api", "now", "v2", resource @ ..] => (ApiVersion::V2, resource),
        ["api", "now", resource @ ..] => (ApiVersion::Unversioned, resource),
        _ => return (None, query),
    };
    let target = match resource {
        ["table", table] if !table.is_empty() => Some(Target::Table {
            version,
            table: table.to_string(),
            sys_id: None,
        }),
        ["table", table, sys_id] if !table.is_empty() && !sys_id.is_empty() => {
            Some(Target::Table {
                version,
                table: table.to_string(),
                sys_id: Some(sys_id.to_string()),
            })
        }
        ["stats", table] if !table.is_empty() => Some(Target::Stats {
            table: table.to_string(),
        }),
        _ => None,
    };
    (target, query)
}

/// Headers an item must not choose for itself: identity and framing come from the batch.
fn reserved(name: &HeaderName) -> bool {
    [
        http::header::AUTHORIZATION,
        http::header::COOKIE,
        http::header::HOST,
        http::header::CONTENT_LENGTH,
        http::header::TRANSFER_ENCODING,
    ]
    .contains(name)
}

fn dispatch(item: &Item, body: Bytes, credentials: &[(HeaderName, HeaderValue)]) -> Dispatch {
    let mut headers = HeaderMap::new();
    for (name, value) in &item.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            continue;
        };
        if !reserved(&name) {
            headers.append(name, value);
        }
    }
    for (name, value) in credentials {
        headers.append(name.clone(), value.clone());
    }
    let Ok(method) = Method::from_bytes(item.method.trim().to_ascii_uppercase().as_bytes()) else {
        return Dispatch::Error(SnError::method_not_allowed());
    };
    // X-http-method-override is honoured as on a direct request (servicenow.md §1.1).
    let method = headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or(method);
    let (target, raw_query) = resolve(&item.url);
    match target {
        Some(Target::Table {
            version,
            table,
            sys_id,
        }) => Dispatch::Table(TableRequest {
            version,
            table,
            sys_id,
            method,
            headers,
            raw_query,
            body,
        }),
        Some(Target::Stats { table }) => Dispatch::Stats(StatsRequest {
            table,
            method,
            headers,
            raw_query,
        }),
        None => Dispatch::Error(SnError::no_resource()),
    }
}

/// `content-type` -> `Content-Type`, as a real instance spells the headers it lists.
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The `serviced_requests` entry for an item's response; None when the response is over the
/// output limit (the item then counts as unserviced).
async fn serviced_entry(
    item: &Item,
    response: Response,
    started: Instant,
    max_output: usize,
) -> Option<Value> {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, max_output).await.ok()?;
    let mut headers = Vec::new();
    if !item.exclude_response_headers {
        for (name, value) in &parts.headers {
            if name == http::header::SET_COOKIE {
                continue;
            }
            if let Ok(value) = value.to_str() {
                headers.push(json!({ "name": header_case(name.as_str()), "value": value }));
            }
        }
        if !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
            headers.push(json!({ "name": "Content-Length", "value": bytes.len().to_string() }));
        }
    }
    Some(json!({
        "id": item.id,
        "body": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "status_code": parts.status.as_u16(),
        "status_text": parts.status.canonical_reason().unwrap_or(""),
        "headers": headers,
        "execution_time": started.elapsed().as_millis() as u64,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_urls_resolve_to_table_and_stats_resources() {
        let (target, query) = resolve("/api/now/table/incident?sysparm_limit=1");
        assert_eq!(
            target,
            Some(Target::Table {
                version: ApiVersion::Unversioned,
                table: "incident".into(),
                sys_id: None
            })
        );
        assert_eq!(query.as_deref(), Some("sysparm_limit=1"));
        let (target, _) = resolve("https://dev1.service-now.com/api/now/v2/table/task/abc");
        assert_eq!(
            target,
            Some(Target::Table {
                version: ApiVersion::V2,
                table: "task".into(),
                sys_id: Some("abc".into())
            })
        );
        let (target, _) = resolve("/api/now/v1/stats/task?sysparm_count=true");
        assert_eq!(
            target,
            Some(Target::Stats {
                table: "task".into()
            })
        );
        assert_eq!(resolve("/api/global/user_role_inheritance").0, None);
        assert_eq!(resolve("/api/now/v3/table/task").0, None);
        assert_eq!(resolve("/api/now/table/task/a/b").0, None);
    }

    #[test]
    fn item_bodies_decode_wrapped_and_unpadded_base64() {
        assert_eq!(
            decode_body(Some("eyJhIjoxfQ==")).unwrap(),
            Bytes::from_static(b"{\"a\":1}")
        );
        assert_eq!(
            decode_body(Some("eyJhIjox\n fQ")).unwrap(),
            Bytes::from_static(b"{\"a\":1}")
        );
        assert!(decode_body(Some("not base64!")).is_err());
        assert!(decode_body(None).unwrap().is_empty());
    }

    #[test]
    fn ids_echo_as_strings() {
        assert_eq!(id_string(Some(&json!(7))), "7");
        assert_eq!(id_string(Some(&json!("7"))), "7");
        assert_eq!(header_case("x-total-count"), "X-Total-Count");
    }
}
