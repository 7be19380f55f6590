//! `/login.do` and `/logout.do`: the sandbox's users sign in to the UI pages with their user
//! name and password. The login form is protected by a double-submit CSRF token; logout needs
//! the session's own token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use super::html::{document, esc, html_response, is_local_path};
use super::session::{tokens_match, LOGIN_CSRF_COOKIE, UI_SESSION_COOKIE};
use super::{cookie_header, same_origin, signed_in};
use crate::api::gate::{param, query_pairs};
use crate::auth::{self, password};
use crate::instance::Instance;

const HOME: &str = "/navpage.do";

/// Where to go after signing in: a path on this instance, else the workspace.
fn destination(goto: Option<&str>) -> String {
    goto.filter(|g| is_local_path(g))
        .unwrap_or(HOME)
        .to_string()
}

fn form(goto: &str, csrf: &str, user_name: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
                esc(e)
            )
        })
        .unwrap_or_default();
    document(
        "Log in",
        "login",
        "",
        &format!(
            "<main class=\"login-box\"><h1>Sandbox workspace</h1>\
             <p class=\"muted\">Sign in with a user of this ServiceNow sandbox.</p>{error}\
             <form method=\"post\" action=\"/login.do\">\
             <input type=\"hidden\" name=\"sysparm_ck\" value=\"{}\">\
             <input type=\"hidden\" name=\"sysparm_goto_url\" value=\"{}\">\
             <label for=\"user_name\">User name</label>\
             <input id=\"user_name\" name=\"user_name\" autocomplete=\"username\" required value=\"{}\">\
             <label for=\"user_password\">Password</label>\
             <input id=\"user_password\" name=\"user_password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"sysverb_login\">Log in</button></form></main>",
            esc(csrf),
            esc(goto),
            esc(user_name),
        ),
    )
}

/// The login form with a fresh CSRF cookie.
fn form_response(
    instance: &Instance,
    status: StatusCode,
    goto: &str,
    user_name: &str,
    error: Option<&str>,
) -> Response {
    let csrf = password::random_token(24);
    let mut response = html_response(status, form(goto, &csrf, user_name, error), &[]);
    if let Some(cookie) = cookie_header(instance, LOGIN_CSRF_COOKIE, &csrf, "/login.do", None) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
    response
}

/// GET /login.do
pub async fn page(
    State(instance): State<Arc<Instance>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let pairs = query_pairs(query.as_deref());
    let goto = destination(param(&pairs, "sysparm_goto_url"));
    if signed_in(&instance, &headers).is_some() {
        return Redirect::to(&goto).into_response();
    }
    form_response(&instance, StatusCode::OK, &goto, "", None)
}

/// POST /login.do
pub async fn submit(
    State(instance): State<Arc<Instance>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = query_pairs(std::str::from_utf8(&body).ok());
    let goto = destination(param(&pairs, "sysparm_goto_url"));
    let user_name = param(&pairs, "user_name").unwrap_or("");
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let submitted = param(&pairs, "sysparm_ck").unwrap_or("");
    if !same_origin(&instance, &headers) {
        let message = format!(
            "The login form was sent from another address than this instance's: open {}/login.do \
             and log in there.",
            instance.base_url()
        );
        return form_response(
            &instance,
            StatusCode::FORBIDDEN,
            &goto,
            user_name,
            Some(&message),
        );
    }
    if !tokens_match(&expected, submitted) {
        return form_response(
            &instance,
            StatusCode::FORBIDDEN,
            &goto,
            user_name,
            Some(
                "The login form has expired or was not sent from this page (its security token \
                 does not match): log in again from this form.",
            ),
        );
    }
    let secret = param(&pairs, "user_password").unwrap_or("");
    let Some(actor) = auth::check_password(&instance.db.read(), user_name, secret) else {
        tracing::info!(user = %user_name, "UI login refused");
        return form_response(
            &instance,
            StatusCode::OK,
            &goto,
            user_name,
            Some("User name or password invalid."),
        );
    };
    let session = instance.ui_sessions.create(actor, instance.clock.now());
    let mut response = Redirect::to(&goto).into_response();
    let h = response.headers_mut();
    for cookie in [
        cookie_header(&instance, UI_SESSION_COOKIE, &session.session_id, "/", None),
        cookie_header(&instance, LOGIN_CSRF_COOKIE, "", "/login.do", Some(0)),
    ]
    .into_iter()
    .flatten()
    {
        h.append(http::header::SET_COOKIE, cookie);
    }
    response
}

/// GET /logout.do: a confirmation form (logging out changes state, so it takes a POST with the
/// session's token).
pub async fn confirm(State(instance): State<Arc<Instance>>, headers: HeaderMap) -> Response {
    let Some(session) = signed_in(&instance, &headers) else {
        return Redirect::to("/login.do").into_response();
    };
    html_response(
        StatusCode::OK,
        document(
            "Log out",
            "login",
            "",
            &format!(
                "<main class=\"login-box\"><h1>Log out</h1><p>Signed in as {}.</p>\
                 <form method=\"post\" action=\"/logout.do\">\
                 <input type=\"hidden\" name=\"sysparm_ck\" value=\"{}\">\
                 <button type=\"submit\" id=\"logout\">Log out</button></form></main>",
                esc(&session.actor.user_name),
                esc(&session.csrf)
            ),
        ),
        &[],
    )
}

/// POST /logout.do
pub async fn logout(
    State(instance): State<Arc<Instance>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = query_pairs(std::str::from_utf8(&body).ok());
    let Some(session) = signed_in(&instance, &headers) else {
        return Redirect::to("/login.do").into_response();
    };
    if !same_origin(&instance, &headers)
        || !session.csrf_matches(param(&pairs, "sysparm_ck").unwrap_or(""))
    {
        return html_response(
            StatusCode::FORBIDDEN,
            super::html::refusal(
                "Log out",
                "The logout request was not sent from this instance's pages (its security token \
                 does not match): use the Log out button.",
            ),
            &[],
        );
    }
    instance.ui_sessions.end(&session.session_id);
    let mut response = Redirect::to("/login.do").into_response();
    if let Some(cookie) = cookie_header(&instance, UI_SESSION_COOKIE, "", "/", Some(0)) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_destinations_are_followed() {
        assert_eq!(
            destination(Some("/customer_contact_list.do")),
            "/customer_contact_list.do"
        );
        assert_eq!(destination(Some("https://evil.example/")), HOME);
        assert_eq!(destination(Some("//evil.example")), HOME);
        assert_eq!(destination(None), HOME);
    }
}
