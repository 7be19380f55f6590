//! The Audit page's routes: the listen audit (every open of a recording page, media fetch and
//! retention deletion) and the admin audit (every change made through the console), filtered by
//! time range, user, call and outcome, newest first, as JSON or as CSV with the page's columns.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use callbridge_store::{AdminEntry, ListenEntry};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::access::Need;
use super::input::{audit_query, Format};
use super::{json, Answer, Console};
use crate::account::profile::rfc3339;
use crate::account::ApiError;
use crate::csv;

pub fn router() -> Router<Arc<Console>> {
    Router::new()
        .route("/api/v1/console/audit/listen", get(listen))
        .route("/api/v1/console/audit/admin", get(admin))
}

/// The listen audit's columns, in the page's order (the CSV's header).
pub const LISTEN_COLUMNS: [&str; 8] = [
    "at",
    "action",
    "call_id",
    "viewer",
    "crm_user_id",
    "source",
    "outcome",
    "reason",
];

/// The admin audit's columns, in the page's order (the CSV's header).
pub const ADMIN_COLUMNS: [&str; 8] = [
    "at", "actor", "action", "target", "call_id", "source", "outcome", "detail",
];

fn listen_row(e: &ListenEntry) -> [String; 8] {
    [
        rfc3339(e.at),
        e.action.as_str().to_string(),
        e.call_id.clone(),
        e.viewer.clone(),
        e.crm_user_id.clone().unwrap_or_default(),
        e.source.clone(),
        if e.allowed { "allowed" } else { "refused" }.to_string(),
        e.reason.clone(),
    ]
}

fn admin_row(e: &AdminEntry) -> [String; 8] {
    [
        rfc3339(e.at),
        e.actor.clone(),
        e.action.clone(),
        e.target.clone(),
        e.call_id.clone().unwrap_or_default(),
        e.source.clone(),
        e.outcome.as_str().to_string(),
        e.detail.clone(),
    ]
}

/// Rows as JSON objects keyed by column (an empty optional column is `null`).
fn objects(columns: &[&str; 8], rows: &[[String; 8]], truncated: bool) -> Value {
    let entries: Vec<Value> = rows
        .iter()
        .map(|row| {
            let map = columns
                .iter()
                .zip(row)
                .map(|(c, v)| {
                    let nullable = matches!(*c, "crm_user_id" | "call_id");
                    let value = if nullable && v.is_empty() {
                        Value::Null
                    } else {
                        Value::from(v.as_str())
                    };
                    (c.to_string(), value)
                })
                .collect::<serde_json::Map<_, _>>();
            Value::Object(map)
        })
        .collect();
    json!({"entries": entries, "truncated": truncated})
}

/// The CSV document: header, then one line per row, CRLF line ends (RFC 4180).
pub fn csv_text(columns: &[&str; 8], rows: &[[String; 8]]) -> String {
    let mut text = csv::line(columns);
    text.push_str("\r\n");
    for row in rows {
        text.push_str(&csv::line(row));
        text.push_str("\r\n");
    }
    text
}

fn csv_answer(name: &str, tenant: &str, text: String) -> Response {
    let day = OffsetDateTime::now_utc().date();
    let file = format!("{name}-{tenant}-{day}.csv");
    let mut response = (StatusCode::OK, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Tenant ids are letters, digits, `-` and `_`: the name is header-safe.
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response
}

/// Reads one row more than asked, to tell whether the answer is cut short.
fn one_more(limit: u32) -> u32 {
    limit.saturating_add(1)
}

async fn listen(
    State(console): State<Arc<Console>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let (mut filter, format) = audit_query(&staff.tenant, query.as_deref())?;
    let limit = filter.limit;
    filter.limit = one_more(limit);
    let entries = console
        .accounts
        .store
        .listen_audit_filtered(&filter)
        .await
        .map_err(ApiError::internal)?;
    let truncated = entries.len() > limit as usize;
    let rows: Vec<[String; 8]> = entries
        .iter()
        .take(limit as usize)
        .map(listen_row)
        .collect();
    Ok(match format {
        Format::Json => json(StatusCode::OK, objects(&LISTEN_COLUMNS, &rows, truncated)),
        Format::Csv => csv_answer(
            "listen-audit",
            &staff.tenant,
            csv_text(&LISTEN_COLUMNS, &rows),
        ),
    })
}

async fn admin(
    State(console): State<Arc<Console>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let (mut filter, format) = audit_query(&staff.tenant, query.as_deref())?;
    let limit = filter.limit;
    filter.limit = one_more(limit);
    let entries = console
        .accounts
        .store
        .admin_audit(&filter)
        .await
        .map_err(ApiError::internal)?;
    let truncated = entries.len() > limit as usize;
    let rows: Vec<[String; 8]> = entries.iter().take(limit as usize).map(admin_row).collect();
    Ok(match format {
        Format::Json => json(StatusCode::OK, objects(&ADMIN_COLUMNS, &rows, truncated)),
        Format::Csv => csv_answer(
            "admin-audit",
            &staff.tenant,
            csv_text(&ADMIN_COLUMNS, &rows),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_store::{AdminOutcome, ListenAction};

    #[test]
    fn the_csv_has_the_pages_columns_and_defuses_formulas() {
        let e = ListenEntry {
            tenant: "acme".into(),
            call_id: "c-1".into(),
            at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            action: ListenAction::Open,
            viewer: "=cmd|' /C calc'!A0".into(),
            crm_user_id: None,
            source: "10.0.0.1".into(),
            allowed: false,
            reason: "no access, said \"the CRM\"".into(),
        };
        assert_eq!(
            csv_text(&LISTEN_COLUMNS, &[listen_row(&e)]),
            "at,action,call_id,viewer,crm_user_id,source,outcome,reason\r\n\
             2027-01-15T08:00:00Z,open,c-1,'=cmd|' /C calc'!A0,,10.0.0.1,refused,\"no access, said \"\"the CRM\"\"\"\r\n"
        );
        let a = AdminEntry {
            tenant: "acme".into(),
            at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            actor: "ada".into(),
            action: "account.create".into(),
            target: "@bob".into(),
            call_id: None,
            source: "10.0.0.2".into(),
            outcome: AdminOutcome::Done,
            detail: "created".into(),
        };
        assert_eq!(
            csv_text(&ADMIN_COLUMNS, &[admin_row(&a)]).lines().nth(1),
            Some("2027-01-15T08:00:00Z,ada,account.create,'@bob,,10.0.0.2,done,created")
        );
        let json = objects(&ADMIN_COLUMNS, &[admin_row(&a)], true);
        assert_eq!(json["truncated"], true);
        assert_eq!(json["entries"][0]["call_id"], Value::Null);
        assert_eq!(
            json["entries"][0]["target"], "@bob",
            "JSON is data, not defused"
        );
    }
}
