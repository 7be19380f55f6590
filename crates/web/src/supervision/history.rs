//! `GET /api/v1/console/calls` (a page of the call history as JSON) and
//! `GET /api/v1/console/calls.csv` (every matching call as CSV). Filters are read by
//! `callbridge_supervision::history` (a mistake is a 400 `bad_filter` saying what to write);
//! the rows come from the store's keyset-paged query.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use callbridge_phone::Region;
use callbridge_store::{CallHistoryFilter, CallHistoryRow, RecordingState};
use callbridge_supervision::history::{csv_line, Cursor, FilterError, HistoryQuery};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::Supervision;
use crate::account::ApiError;

/// Rows read per store query while writing the CSV.
const CSV_PAGE: u32 = 1000;

const CSV_HEADER: [&str; 12] = [
    "call_id",
    "started_at",
    "ended_at",
    "duration_seconds",
    "direction",
    "number",
    "queue",
    "first_agent",
    "last_agent",
    "outcome",
    "case",
    "recording_url",
];

/// One call in the JSON page.
#[derive(Serialize)]
pub(super) struct CallItem {
    call_id: String,
    started_at: String,
    ended_at: String,
    duration_seconds: i64,
    direction: String,
    number: String,
    queue: Option<String>,
    first_agent: Option<String>,
    last_agent: Option<String>,
    outcome: String,
    /// `/recordings/<call id>` under the public URL.
    recording_url: String,
    /// `stored`, `removed` (by retention) or `none` (uploading, or never recorded).
    recording: &'static str,
    case: Option<CaseItem>,
}

#[derive(Serialize)]
pub(super) struct CaseItem {
    label: String,
    /// The Case's form in the CRM, when the CRM names one.
    url: Option<String>,
}

#[derive(Serialize)]
pub(super) struct PageBody {
    calls: Vec<CallItem>,
    /// Pass as `after` for the next page; null on the last one.
    next: Option<String>,
}

pub(super) fn rfc3339(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn bad_filter(error: FilterError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_filter", error.message)
}

impl Supervision {
    /// The query's filters, read with the tenant's region (numbers without a country code).
    fn query(&self, tenant: &str, raw: Option<&str>) -> Result<HistoryQuery, ApiError> {
        let region: Region = self
            .accounts
            .tenant(tenant)
            .and_then(|t| t.region.parse().ok())
            .unwrap_or_else(|| "US".parse().expect("a region"));
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        HistoryQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), region)
            .map_err(bad_filter)
    }

    /// The Case's form URL in the tenant's CRM (its instance and Case table).
    fn case_url(&self, tenant: &str, case_id: &str) -> Option<String> {
        let facts = self.linking.crm_facts(tenant)?;
        let table = facts
            .record_tables
            .iter()
            .find(|(role, _)| role == "case")
            .map(|(_, t)| t.clone())?;
        Some(format!(
            "{}/{table}.do?sys_id={case_id}",
            facts.instance_url?.trim_end_matches('/')
        ))
    }

    fn item(&self, tenant: &str, row: CallHistoryRow) -> CallItem {
        CallItem {
            recording_url: format!("{}/recordings/{}", self.public_url, row.call_id),
            recording: match row.recording {
                RecordingState::None => "none",
                RecordingState::Stored => "stored",
                RecordingState::Removed => "removed",
            },
            case: row.case.map(|(id, label)| CaseItem {
                url: self.case_url(tenant, &id),
                label,
            }),
            started_at: rfc3339(row.started_at),
            ended_at: rfc3339(row.ended_at),
            duration_seconds: (row.ended_at - row.started_at).max(0) / 1000,
            call_id: row.call_id,
            direction: row.direction,
            number: row.customer,
            queue: row.queue,
            first_agent: row.first_agent,
            last_agent: row.last_agent,
            outcome: row.outcome,
        }
    }
}

fn store_filter(query: &HistoryQuery) -> CallHistoryFilter {
    CallHistoryFilter {
        from: query.from,
        to: query.to,
        agent: query.agent.clone(),
        queue: query.queue.clone(),
        number: query.number.clone(),
        direction: query.direction.map(str::to_string),
        outcome: query.outcome.map(str::to_string),
        after: query
            .after
            .as_ref()
            .map(|c| (c.started_at, c.call_id.clone())),
    }
}

pub(super) async fn page(
    State(supervision): State<Arc<Supervision>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<PageBody>, ApiError> {
    let signed = supervision.supervisor(&headers).await?;
    let tenant = signed.view.tenant;
    let query = supervision.query(&tenant, raw.as_deref())?;
    // One row more than asked tells whether there is a next page.
    let mut rows = supervision
        .store
        .call_history(&tenant, &store_filter(&query), query.limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    let next = more.then(|| rows.last()).flatten().map(|last| {
        Cursor {
            started_at: last.started_at,
            call_id: last.call_id.clone(),
        }
        .encode()
    });
    Ok(Json(PageBody {
        calls: rows
            .into_iter()
            .map(|row| supervision.item(&tenant, row))
            .collect(),
        next,
    }))
}

pub(super) async fn csv(
    State(supervision): State<Arc<Supervision>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let signed = supervision.supervisor(&headers).await?;
    let tenant = signed.view.tenant;
    let query = supervision.query(&tenant, raw.as_deref())?;
    let first = store_filter(&query);
    let state = Some((supervision, tenant, first, true));
    let body = futures::stream::unfold(state, |state| async move {
        let (supervision, tenant, mut filter, header) = state?;
        let mut chunk = String::new();
        if header {
            chunk.push_str(&csv_line(&CSV_HEADER));
        }
        let rows = match supervision
            .store
            .call_history(&tenant, &filter, CSV_PAGE)
            .await
        {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "the call history's CSV stopped");
                return Some((Err(std::io::Error::other(error.to_string())), None));
            }
        };
        let last = rows.len() < CSV_PAGE as usize;
        filter.after = rows.last().map(|r| (r.started_at, r.call_id.clone()));
        for row in rows {
            let item = supervision.item(&tenant, row);
            let case = item.case.map(|c| c.label).unwrap_or_default();
            chunk.push_str(&csv_line(&[
                item.call_id.as_str(),
                &item.started_at,
                &item.ended_at,
                &item.duration_seconds.to_string(),
                &item.direction,
                &item.number,
                item.queue.as_deref().unwrap_or(""),
                item.first_agent.as_deref().unwrap_or(""),
                item.last_agent.as_deref().unwrap_or(""),
                &item.outcome,
                &case,
                &item.recording_url,
            ]));
        }
        let next = (!last).then_some((supervision, tenant, filter, false));
        Some((Ok::<_, std::io::Error>(chunk), next))
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"call-history.csv\""),
    );
    Ok(response)
}
