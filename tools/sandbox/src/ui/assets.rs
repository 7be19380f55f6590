//! Files the pages and the OpenFrame frame load: compiled into the binary, served with their
//! content types.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

const OPENFRAME_API: &str = include_str!("assets/openFrameAPI.js");
const WORKSPACE_JS: &str = include_str!("assets/workspace.js");
const WORKSPACE_CSS: &str = include_str!("assets/workspace.css");

/// The OpenFrame versions the library answers to (servicenow.md §5.1: `latest` and the pinned
/// `1.0.5`).
const OPENFRAME_VERSIONS: [&str; 2] = ["latest", "1.0.5"];

fn asset(content_type: &'static str, body: &'static str, cross_origin: bool) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The OpenFrame library is loaded by the softphone, on another origin.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static(if cross_origin {
            "cross-origin"
        } else {
            "same-origin"
        }),
    );
    response
}

/// GET /scripts/openframe/{version}/openFrameAPI.min.js
pub async fn openframe_api(Path(version): Path<String>) -> Response {
    if !OPENFRAME_VERSIONS.contains(&version.as_str()) {
        return crate::api::error::SnError::no_resource().into_response();
    }
    asset("text/javascript;charset=UTF-8", OPENFRAME_API, true)
}

pub async fn workspace_js() -> Response {
    asset("text/javascript;charset=UTF-8", WORKSPACE_JS, false)
}

pub async fn workspace_css() -> Response {
    asset("text/css;charset=UTF-8", WORKSPACE_CSS, false)
}
