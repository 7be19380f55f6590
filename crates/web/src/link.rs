//! The agent's CRM link pages: the ticketed start (redirect to the CRM's sign-in with the
//! browser-binding cookie) and the OAuth callback. Handlers translate and delegate to the
//! integration's link flow (`callbridge_integration::linking`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use callbridge_integration::linking::{LinkError, Linking, CALLBACK_PATH, PENDING_TTL};
use serde::Deserialize;

use crate::html::escape;
use crate::recordings::Recordings;
use time::OffsetDateTime;

/// The cookie that binds a started CRM link to the browser that started it.
pub const LINK_COOKIE: &str = "callbridge_link";

/// The link pages load nothing and run nothing: text only, never framed, no referrer (the
/// start URL carries the ticket).
const PAGE_HEADERS: [(header::HeaderName, &str); 5] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The link routes and the OAuth callback they share with the recording page's viewer sign-in
/// (one redirect URI is registered with the CRM; the `state` tells the two apart).
pub fn router(linking: Arc<Linking>, recordings: Arc<Recordings>) -> Router {
    Router::new()
        .route(
            "/api/v1/tenants/{tenant}/agents/{agent}/crm-link",
            get(start_link),
        )
        .with_state(linking.clone())
        .route(
            CALLBACK_PATH,
            get(callback).with_state(Callbacks {
                linking,
                recordings,
            }),
        )
}

#[derive(Clone)]
struct Callbacks {
    linking: Arc<Linking>,
    recordings: Arc<Recordings>,
}

async fn callback(
    State(c): State<Callbacks>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Response {
    if let Some(state) = query.state.as_deref() {
        if c.recordings.owns_sign_in(state) {
            return c
                .recordings
                .sign_in_callback(
                    &headers,
                    state,
                    query.code.as_deref(),
                    query.error.as_deref(),
                )
                .await;
        }
    }
    link_callback(State(c.linking), headers, Query(query)).await
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
    match linking
        .start(
            &tenant,
            &agent,
            &ticket,
            OffsetDateTime::now_utc().unix_timestamp(),
        )
        .await
    {
        Ok(started) => {
            let cookie = link_cookie(
                &started.browser_secret,
                PENDING_TTL.as_secs(),
                linking.secure_cookies(),
            );
            let mut response = Redirect::to(&started.authorize_url).into_response();
            set_cookie(&mut response, &cookie);
            for (name, value) in PAGE_HEADERS {
                response
                    .headers_mut()
                    .insert(name, HeaderValue::from_static(value));
            }
            response
        }
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
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Response {
    let browser = cookie(&headers, LINK_COOKIE);
    let mut response = callback_page(&linking, query, browser.as_deref()).await;
    // The sign-in is over whatever its outcome: the browser forgets its secret.
    set_cookie(&mut response, &link_cookie("", 0, linking.secure_cookies()));
    response
}

async fn callback_page(linking: &Linking, query: Callback, browser: Option<&str>) -> Response {
    if let Some(error) = query.error {
        let crm = match &query.state {
            Some(state) => linking.cancel(state, browser).await,
            None => None,
        };
        // The CRM's own name when the sign-in is known; a stray answer gets a neutral word.
        let crm = crm.unwrap_or_else(|| "the CRM".to_string());
        let message = if error == "access_denied" {
            format!("You declined access in {crm}, so your account was not linked.")
        } else {
            format!("{crm} answered with an error ({error}); your account was not linked.")
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
    match linking.complete(&state, &code, browser).await {
        Ok(linked) => page(
            StatusCode::OK,
            "CRM account linked",
            &format!(
                "Your {} account {} is linked. Screen pops and Cases now use it; you can close this window.",
                linked.crm, linked.crm_user_name
            ),
        ),
        Err(e) => page(status_of(&e), "Not linked", &e.to_string()),
    }
}

fn status_of(error: &LinkError) -> StatusCode {
    match error {
        LinkError::BadTicket
        | LinkError::TicketSpent
        | LinkError::OtherBrowser
        | LinkError::WrongCrmUser { .. }
        | LinkError::MissingRights { .. } => StatusCode::FORBIDDEN,
        LinkError::UnknownTenant(_) => StatusCode::NOT_FOUND,
        LinkError::BadAgent | LinkError::UnknownState | LinkError::Refused(_) => {
            StatusCode::BAD_REQUEST
        }
        LinkError::Unavailable(_) | LinkError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// `Set-Cookie` for the link binding: only the callback path sees it, scripts never do, and it
/// rides along on the CRM's top-level redirect back to us (Lax) but on no cross-site request.
fn link_cookie(value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{LINK_COOKIE}={value}; Path={CALLBACK_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>{t}</h1><p id=\"message\">{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let mut response = (status, Html(body)).into_response();
    for (name, value) in PAGE_HEADERS {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_cookie_is_http_only_lax_scoped_to_the_callback_and_secure_over_https() {
        assert_eq!(
            link_cookie("s3cret", 600, true),
            "callbridge_link=s3cret; Path=/api/v1/crm/oauth/callback; Max-Age=600; HttpOnly; \
             SameSite=Lax; Secure"
        );
        assert!(!link_cookie("s3cret", 600, false).contains("Secure"));
    }

    #[test]
    fn the_link_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; callbridge_link=xyz"),
        );
        assert_eq!(cookie(&headers, LINK_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
