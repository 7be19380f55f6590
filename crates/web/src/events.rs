//! `POST /api/v1/tenants/{tenant}/call-events`: the HTTP side of the integration's call-events
//! API (`callbridge_integration::events_api`, documented in `docs/openapi/call-events.yaml`).
//! This module only reads the request and writes the answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use callbridge_integration::events_api::{self, signature, Answer, EventsApi, MAX_BODY};

pub fn router(api: Arc<EventsApi>) -> Router {
    Router::new()
        .route(events_api::PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
}

async fn receive(
    State(api): State<Arc<EventsApi>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let answer = api
        .receive(events_api::Request {
            tenant: &tenant,
            signature: text(signature::HEADER),
            content_type: text(header::CONTENT_TYPE.as_str()),
            body: &body,
        })
        .await;
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    let mut response = (answer.status, Json(answer.body)).into_response();
    if let Some(seconds) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
