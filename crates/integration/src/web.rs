//! The integration's HTTP surface: the call-events API, the agent's CRM link endpoints and a
//! health check. Handlers translate and delegate.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::events_api::{self, EventsApi};
use crate::linking::{LinkError, Linking, CALLBACK_PATH};

pub fn router(events: Arc<EventsApi>, linking: Arc<Linking>) -> Router {
    let link_routes = Router::new()
        .route(
            "/api/v1/tenants/{tenant}/agents/{agent}/crm-link",
            get(start_link),
        )
        .route(CALLBACK_PATH, get(link_callback))
        .with_state(linking);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(events_api::router(events))
        .merge(link_routes)
}

#[derive(Deserialize)]
struct Ticket {
    ticket: Option<String>,
}

async fn start_link(
    State(linking): State<Arc<Linking>>,
    Path((tenant, agent)): Path<(String, String)>,
    Query(query): Query<Ticket>,
) -> Response {
    let ticket = query.ticket.unwrap_or_default();
    match linking.start(
        &tenant,
        &agent,
        &ticket,
        OffsetDateTime::now_utc().unix_timestamp(),
    ) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => page(status_of(&e), "Linking failed", &e.to_string()),
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn link_callback(
    State(linking): State<Arc<Linking>>,
    Query(query): Query<Callback>,
) -> Response {
    if let Some(error) = query.error {
        let message = if error == "access_denied" {
            "You declined access in ServiceNow, so your account was not linked.".to_string()
        } else {
            format!("ServiceNow answered with an error ({error}); your account was not linked.")
        };
        return page(StatusCode::BAD_REQUEST, "Not linked", &message);
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not linked",
            "The sign-in answer is incomplete; start linking again.",
        );
    };
    match linking.complete(&state, &code).await {
        Ok(linked) => page(
            StatusCode::OK,
            "CRM account linked",
            &format!(
                "Your ServiceNow account {} is linked. Screen pops and Cases now use it; you can close this window.",
                linked.crm_user_name
            ),
        ),
        Err(e) => page(status_of(&e), "Not linked", &e.to_string()),
    }
}

fn status_of(error: &LinkError) -> StatusCode {
    match error {
        LinkError::BadTicket => StatusCode::FORBIDDEN,
        LinkError::UnknownTenant(_) => StatusCode::NOT_FOUND,
        LinkError::BadAgent | LinkError::UnknownState | LinkError::Refused(_) => {
            StatusCode::BAD_REQUEST
        }
        LinkError::Unavailable(_) | LinkError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p id=\"message\">{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    (status, Html(body)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
