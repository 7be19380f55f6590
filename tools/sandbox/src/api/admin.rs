//! Sandbox-only admin endpoints under `/api/x_cb_sandbox` (a scoped-app namespace, so they never
//! collide with platform APIs): fault injection, the clock, and request counters. Admin role only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::error::SnError;
use super::gate::admit;
use super::table::json_response;
use crate::faults::FaultRequest;
use crate::instance::Instance;

// The error is the finished response to send; boxing it would buy nothing on this path.
#[allow(clippy::result_large_err)]
fn admin_gate(
    instance: &Arc<Instance>,
    headers: &HeaderMap,
    method: &Method,
) -> Result<super::gate::Caller, Response> {
    let caller = admit(instance, headers, "Sandbox API", method.as_str())?;
    if !caller.actor.is_admin() {
        return Err(SnError::new(
            StatusCode::FORBIDDEN,
            "User Not Authorized",
            Some("The sandbox admin API requires the admin role".into()),
        )
        .into_response());
    }
    Ok(caller)
}

pub async fn faults(
    State(instance): State<Arc<Instance>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match admin_gate(&instance, &headers, &method) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let response = match method {
        Method::GET => json_response(
            StatusCode::OK,
            &json!({"result": instance.faults.list()}),
            false,
        ),
        Method::DELETE => {
            instance.faults.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        Method::POST => match serde_json::from_slice::<FaultRequest>(&body) {
            Err(e) => SnError::new(
                StatusCode::BAD_REQUEST,
                "Invalid fault",
                Some(e.to_string()),
            )
            .into_response(),
            Ok(request) => match request.validate() {
                Err(e) => {
                    SnError::new(StatusCode::BAD_REQUEST, "Invalid fault", Some(e)).into_response()
                }
                Ok(()) => {
                    instance.faults.add(request.clone());
                    json_response(StatusCode::CREATED, &json!({"result": request}), false)
                }
            },
        },
        _ => SnError::method_not_allowed().into_response(),
    };
    caller.finish(response)
}

#[derive(Deserialize)]
struct Advance {
    advance_seconds: i64,
}

pub async fn clock(
    State(instance): State<Arc<Instance>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match admin_gate(&instance, &headers, &method) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let response = match method {
        Method::GET => json_response(
            StatusCode::OK,
            &json!({"result": {"now": instance.clock.now(), "now_glide": instance.clock.now_glide()}}),
            false,
        ),
        Method::POST => match serde_json::from_slice::<Advance>(&body) {
            Ok(a) if a.advance_seconds >= 0 => {
                instance.clock.advance(a.advance_seconds);
                json_response(
                    StatusCode::OK,
                    &json!({"result": {"now": instance.clock.now(), "now_glide": instance.clock.now_glide()}}),
                    false,
                )
            }
            _ => SnError::new(
                StatusCode::BAD_REQUEST,
                "Invalid clock change",
                Some(
                    "send {\"advance_seconds\": N} with N >= 0; the clock only moves forward"
                        .into(),
                ),
            )
            .into_response(),
        },
        _ => SnError::method_not_allowed().into_response(),
    };
    caller.finish(response)
}

pub async fn requests(
    State(instance): State<Arc<Instance>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let caller = match admin_gate(&instance, &headers, &method) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let response = match method {
        Method::GET => json_response(
            StatusCode::OK,
            &json!({"result": instance.metrics.snapshot()}),
            false,
        ),
        Method::DELETE => {
            instance.metrics.reset();
            StatusCode::NO_CONTENT.into_response()
        }
        _ => SnError::method_not_allowed().into_response(),
    };
    caller.finish(response)
}
