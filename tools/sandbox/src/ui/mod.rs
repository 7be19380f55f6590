//! The instance's browser UI (servicenow.md §5; issue "The sandbox's CRM pages"): sign-in at
//! `/login.do`, the workspace shell (`/navpage.do`, `/nav_to.do?uri=`) with its OpenFrame panel,
//! and lists and forms at the real URLs (`/<table>_list.do`, `/<table>.do?sys_id=`), served to
//! the sandbox's users under their roles and ACLs. Also the OpenFrame library a softphone loads
//! from the instance (`/scripts/openframe/<version>/openFrameAPI.min.js`).

pub mod assets;
pub mod html;
pub mod login;
pub mod openframe;
pub mod records;
pub mod session;
pub mod shell;
pub mod view;

use std::sync::Arc;

use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use http::{HeaderMap, HeaderValue};

use crate::auth;
use crate::instance::Instance;
use session::{SignedIn, UI_SESSION_COOKIE};

pub fn routes() -> Router<Arc<Instance>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/navpage.do") }))
        .route("/login.do", get(login::page).post(login::submit))
        .route("/logout.do", get(login::confirm).post(login::logout))
        .route("/navpage.do", get(shell::navpage))
        .route("/nav_to.do", get(shell::navpage))
        .route(
            "/scripts/openframe/{version}/openFrameAPI.min.js",
            get(assets::openframe_api),
        )
        .route(
            "/scripts/x_cb_sandbox/workspace.js",
            get(assets::workspace_js),
        )
        .route(
            "/styles/x_cb_sandbox/workspace.css",
            get(assets::workspace_css),
        )
        .route("/{page}", get(records::page).post(records::save))
}

/// The signed-in user of a UI request, if its session cookie is live.
pub fn signed_in(instance: &Instance, headers: &HeaderMap) -> Option<SignedIn> {
    let id = auth::cookie(headers, UI_SESSION_COOKIE)?;
    instance.ui_sessions.resume(&id, instance.clock.now())
}

/// To the login page, coming back to `path_and_query` afterwards.
pub fn to_login(path_and_query: &str) -> Response {
    let goto: String = form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
    Redirect::to(&format!("/login.do?sysparm_goto_url={goto}")).into_response()
}

/// Whether a state-changing request comes from this instance's own pages: a browser's `Origin`
/// (and `Sec-Fetch-Site`) must say so when sent. The CSRF token is checked besides.
pub fn same_origin(instance: &Instance, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin_ok = match header("origin") {
        None => true,
        Some(origin) => openframe::origin_of(origin) == openframe::origin_of(instance.base_url()),
    };
    let site_ok = !matches!(header("sec-fetch-site"), Some("cross-site" | "same-site"));
    origin_ok && site_ok
}

/// A cookie for the UI: HttpOnly, SameSite=Lax, `Secure` when the instance serves HTTPS.
pub fn cookie_header(
    instance: &Instance,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> Option<HeaderValue> {
    let secure = if instance.base_url().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .ok()
}
