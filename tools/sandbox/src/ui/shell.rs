//! The workspace shell (`/navpage.do`, `/nav_to.do?uri=<page>`): a top bar with the four lists,
//! the page in a `gsft_main` frame (so navigating never reloads the softphone), and the
//! OpenFrame panel configured by `sn_openframe_configuration`, opened and closed from the bar.

use std::sync::Arc;

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};

use super::html::{document, esc, html_response, is_local_path, NAVIGATION};
use super::openframe::{panel_for, Panel};
use super::{signed_in, to_login};
use crate::api::gate::{param, query_pairs};
use crate::instance::Instance;

const DEFAULT_PAGE: &str = "/customer_contact_list.do";

/// GET /navpage.do and /nav_to.do
pub async fn navpage(
    State(instance): State<Arc<Instance>>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(session) = signed_in(&instance, &headers) else {
        let here = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/navpage.do".into());
        return to_login(&here);
    };
    let pairs = query_pairs(query.as_deref());
    let page = param(&pairs, "uri")
        .filter(|u| is_local_path(u))
        .unwrap_or(DEFAULT_PAGE)
        .to_string();
    // Asked for inside the workspace's own frame (a link or a login landing there): show the
    // page, not a second workspace with a second softphone.
    if headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()) == Some("iframe") {
        return Redirect::to(&page).into_response();
    }
    let panel = panel_for(&instance, &session.actor);
    let nav: String = NAVIGATION
        .iter()
        .map(|(table, label)| {
            format!("<a href=\"/{table}_list.do\" target=\"gsft_main\">{label}</a>")
        })
        .collect();
    let (toggle, aside, frame_src) = match &panel {
        Some(Ok(panel)) => (
            format!(
                "<button type=\"button\" id=\"openframe-toggle\" class=\"phone-toggle\" \
                 aria-controls=\"openframe\" aria-expanded=\"false\">&#9742; {}</button>",
                esc(&panel.title)
            ),
            panel_html(panel),
            vec!["'self'".to_string(), panel.origin.clone()],
        ),
        Some(Err(problem)) => (
            format!(
                "<span class=\"warning\" id=\"openframe-problem\">{}</span>",
                esc(problem)
            ),
            String::new(),
            vec!["'self'".to_string()],
        ),
        None => (String::new(), String::new(), vec!["'self'".to_string()]),
    };
    let body = format!(
        "<header class=\"topbar\"><a class=\"brand\" href=\"/navpage.do\">Sandbox workspace</a>\
         <nav class=\"lists\" aria-label=\"Lists\">{nav}</nav>\
         <div class=\"tools\">{toggle}<span class=\"user\" id=\"signed-in-user\">{}</span>\
         <form method=\"post\" action=\"/logout.do\">\
         <input type=\"hidden\" name=\"sysparm_ck\" value=\"{}\">\
         <button type=\"submit\" class=\"secondary\" id=\"logout\">Log out</button></form></div></header>\
         <div class=\"workspace\"><iframe class=\"main-frame\" id=\"gsft_main\" name=\"gsft_main\" \
         title=\"Page\" src=\"{}\"></iframe>{aside}</div>\
         <div id=\"toasts\" class=\"toasts\" role=\"status\" aria-live=\"polite\"></div>",
        esc(&session.actor.user_name),
        esc(&session.csrf),
        esc(&page),
    );
    html_response(
        StatusCode::OK,
        document("Workspace", "shell", " data-panel=\"closed\"", &body),
        &frame_src,
    )
}

/// The docked panel; the page script creates its iframe from these attributes.
fn panel_html(panel: &Panel) -> String {
    let warning = if panel.trusted {
        String::new()
    } else {
        format!(
            "<p class=\"warning\" id=\"openframe-untrusted\">This page does not exchange messages \
             with {}: add it to the property \
             glide.ui.concourse.onmessage_enforce_same_origin_whitelist.</p>",
            esc(&panel.origin)
        )
    };
    format!(
        "<aside id=\"openframe\" class=\"openframe\" hidden aria-label=\"{title}\" \
         data-url=\"{url}\" data-origin=\"{origin}\" data-trusted=\"{trusted}\" \
         data-width=\"{width}\" data-height=\"{height}\" data-title=\"{title}\" \
         data-configuration=\"{configuration}\" data-config-id=\"{id}\">\
         <div class=\"of-head\"><span class=\"of-presence\" hidden></span>\
         <div class=\"of-titles\"><strong class=\"of-title\">{title}</strong>\
         <span class=\"of-subtitle\">{subtitle}</span></div>\
         <button type=\"button\" class=\"of-close\" aria-label=\"Close the panel\">&#215;</button></div>\
         {warning}<div class=\"of-body\"></div></aside>",
        title = esc(&panel.title),
        subtitle = esc(&panel.subtitle),
        url = esc(&panel.url),
        origin = esc(&panel.origin),
        trusted = panel.trusted,
        width = panel.width,
        height = panel.height,
        configuration = esc(&panel.configuration),
        id = esc(&panel.config_sys_id),
    )
}
