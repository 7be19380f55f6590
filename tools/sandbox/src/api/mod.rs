//! The instance's HTTP surface: routes, and the layers every request passes (request counting,
//! injected faults, the payload-size rule, ServiceNow's standard response headers).

pub mod admin;
pub mod batch;
pub mod error;
pub mod gate;
pub mod metrics;
pub mod stats;
pub mod table;

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use futures_core::Stream as _;
use http::HeaderValue;

use crate::faults::FaultKind;
use crate::instance::Instance;
use error::{SnError, MAX_BODY};

pub fn router(instance: Arc<Instance>) -> Router {
    Router::new()
        .route("/api/now/table/{table}", any(table::collection))
        .route("/api/now/table/{table}/{sys_id}", any(table::record))
        .route("/api/now/{version}/table/{table}", any(table::collection))
        .route(
            "/api/now/{version}/table/{table}/{sys_id}",
            any(table::record),
        )
        .route("/api/now/v1/batch", any(batch::batch))
        .route("/api/now/stats/{table}", any(stats::stats))
        .route("/api/now/{version}/stats/{table}", any(stats::stats))
        .route("/oauth_token.do", axum::routing::post(crate::oauth::token))
        .route(
            "/oauth_auth.do",
            get(crate::oauth::authorize_page).post(crate::oauth::authorize_submit),
        )
        .route("/api/x_cb_sandbox/faults", any(admin::faults))
        .route("/api/x_cb_sandbox/clock", any(admin::clock))
        .route("/api/x_cb_sandbox/requests", any(admin::requests))
        .merge(crate::ui::routes())
        .fallback(|| async { SnError::no_resource() })
        .layer(middleware::from_fn(standard_headers))
        .layer(middleware::from_fn_with_state(
            instance.clone(),
            inject_faults,
        ))
        .layer(middleware::from_fn_with_state(
            instance.clone(),
            count_and_limit_size,
        ))
        // The 10 MB rule answers with ServiceNow's own 400, so axum's limit sits above it.
        .layer(DefaultBodyLimit::max(MAX_BODY * 2))
        .with_state(instance)
}

async fn count_and_limit_size(
    State(instance): State<Arc<Instance>>,
    request: Request,
    next: Next,
) -> Response {
    instance
        .metrics
        .record(request.method().as_str(), request.uri().path());
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(length) = declared.filter(|l| *l > MAX_BODY) {
        return SnError::body_too_large(length).into_response();
    }
    if declared.is_none() && !request.body().is_end_stream() {
        return match buffer_limited(request).await {
            Ok(request) => next.run(request).await,
            Err(error) => error.into_response(),
        };
    }
    next.run(request).await
}

/// Reads a body sent without a Content-Length (chunked) and gives the same 400 as the declared
/// case once it passes 10 MB, instead of a bare 413 from the extractor's backstop limit.
async fn buffer_limited(request: Request) -> Result<Request, SnError> {
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut stream).poll_next(cx)).await
    {
        let chunk = chunk.map_err(|_| SnError::unreadable_body())?;
        buffer.extend_from_slice(&chunk);
        if buffer.len() > MAX_BODY {
            return Err(SnError::body_too_large(buffer.len()));
        }
    }
    Ok(Request::from_parts(parts, Body::from(buffer)))
}

async fn inject_faults(
    State(instance): State<Arc<Instance>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/api/x_cb_sandbox/") {
        return next.run(request).await;
    }
    for fault in instance.faults.take(&path) {
        match fault {
            FaultKind::Latency { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            FaultKind::Status {
                status,
                retry_after_secs,
            } => {
                let status = http::StatusCode::from_u16(status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
                let mut error = match status.as_u16() {
                    429 => SnError::new(
                        status,
                        "Rate limit exceeded",
                        Some("Injected by the sandbox".into()),
                    ),
                    _ => SnError::new(
                        status,
                        status.canonical_reason().unwrap_or("Error"),
                        Some("Injected by the sandbox".into()),
                    ),
                };
                if let Some(secs) = retry_after_secs.or((status.as_u16() == 429).then_some(1)) {
                    error = error.with_header(http::header::RETRY_AFTER, secs.to_string());
                }
                return error.into_response();
            }
            FaultKind::Drop => {
                // A body that fails makes the server abort the connection mid-response.
                let stream = futures_fail();
                return Response::new(Body::from_stream(stream));
            }
        }
    }
    next.run(request).await
}

fn futures_fail() -> impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    tokio_stream_once(Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "connection dropped by injected fault",
    )))
}

fn tokio_stream_once<T: Unpin>(item: T) -> impl futures_core::Stream<Item = T> {
    struct Once<T>(Option<T>);
    impl<T: Unpin> futures_core::Stream for Once<T> {
        type Item = T;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<T>> {
            std::task::Poll::Ready(self.0.take())
        }
    }
    Once(Some(item))
}

/// Headers a real instance puts on REST answers (servicenow.md §1.3).
async fn standard_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let status = response.status();
    let h = response.headers_mut();
    h.insert(http::header::SERVER, HeaderValue::from_static("ServiceNow"));
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache,no-store,must-revalidate,max-age=-1"),
    );
    h.insert(
        http::header::PRAGMA,
        HeaderValue::from_static("no-store,no-cache"),
    );
    h.insert(http::header::EXPIRES, HeaderValue::from_static("0"));
    let logged_in = if status == http::StatusCode::UNAUTHORIZED {
        "false"
    } else {
        "true"
    };
    h.insert("x-is-logged-in", HeaderValue::from_static(logged_in));
    response
}
