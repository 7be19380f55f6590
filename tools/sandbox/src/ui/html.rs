//! HTML building blocks of the UI pages: escaping, the Content-Security-Policy and the two page
//! kinds (the workspace shell, and the content pages it shows in its `gsft_main` frame). Every
//! value from a record goes through [`esc`]; no page has an inline script or style.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

pub use crate::oauth::escape_html as esc;

/// The stylesheet and the page script every UI page loads (served from `assets/`).
pub const STYLESHEET: &str = "/styles/x_cb_sandbox/workspace.css";
pub const PAGE_SCRIPT: &str = "/scripts/x_cb_sandbox/workspace.js";

/// The strict policy of every UI page: scripts and styles from this origin only, no inline code,
/// forms post here only, framed by this origin only; `frame_src` adds the OpenFrame panel's
/// origin on the shell.
pub fn content_security_policy(frame_src: &[String]) -> String {
    let frames = if frame_src.is_empty() {
        "'none'".to_string()
    } else {
        frame_src.join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'; \
         frame-src {frames}"
    )
}

/// An HTML answer with the UI's security headers.
pub fn html_response(status: StatusCode, body: String, frame_src: &[String]) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(frame_src)) {
        h.insert(http::header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A document with the UI's stylesheet and script; `body_attrs` are already escaped.
pub fn document(title: &str, body_class: &str, body_attrs: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} | Sandbox workspace</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"{STYLESHEET}\">\
         <script src=\"{PAGE_SCRIPT}\" defer></script></head>\
         <body class=\"{body_class}\"{body_attrs}>{body}</body></html>",
        esc(title)
    )
}

/// The lists in the workspace's navigation: (table, label).
pub const NAVIGATION: [(&str, &str); 4] = [
    ("customer_contact", "Contacts"),
    ("csm_consumer", "Consumers"),
    ("customer_account", "Accounts"),
    ("sn_customerservice_case", "Cases"),
];

/// A refusal page in the words of a real instance.
pub fn refusal(title: &str, message: &str) -> String {
    document(
        title,
        "content",
        "",
        &format!(
            "<main class=\"page\"><h1>{}</h1><p class=\"refusal\" role=\"alert\">{}</p></main>",
            esc(title),
            esc(message)
        ),
    )
}

/// Whether `target` is a path on this instance that a redirect may go to: it starts with one
/// `/`, and has no backslash or control character that a browser could read as another host.
pub fn is_local_path(target: &str) -> bool {
    target.starts_with('/')
        && !target.starts_with("//")
        && !target.contains('\\')
        && !target.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_instance_are_local() {
        assert!(is_local_path(
            "/customer_contact_list.do?sysparm_query=a%3Db"
        ));
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }

    #[test]
    fn the_policy_allows_no_inline_code_and_frames_only_the_panel() {
        let csp = content_security_policy(&["http://127.0.0.1:8080".into()]);
        assert!(csp.contains("script-src 'self';"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.ends_with("frame-src http://127.0.0.1:8080"));
        assert!(content_security_policy(&[]).ends_with("frame-src 'none'"));
    }
}
