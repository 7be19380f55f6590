//! `GET /api/v1/console/charts`: calls, abandonment and service level per interval over a
//! period, for the supervisor's charts. The request is read and the calls counted by
//! `callbridge_supervision::charts` (the rules are there); this reads the period's calls from
//! the store and the queues' service-level targets from telephony.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use callbridge_store::ChartCallRow;
use callbridge_supervision::charts::{CallDirection, Chart, ChartCall, ChartQuery, Counts};
use callbridge_supervision::history::FilterError;
use serde::Serialize;

use super::history::rfc3339;
use super::Supervision;
use crate::account::ApiError;

#[derive(Serialize)]
struct SlotItem {
    start: String,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Serialize)]
struct TargetItem {
    queue: String,
    target_seconds: u64,
}

#[derive(Serialize)]
pub(super) struct ChartBody {
    from: String,
    to: String,
    interval_seconds: u32,
    queue: Option<String>,
    /// The tenant's queues and their service-level targets, in configuration order.
    targets: Vec<TargetItem>,
    slots: Vec<SlotItem>,
    totals: Counts,
}

fn bad_request(error: FilterError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_filter", error.message)
}

fn chart_call(row: ChartCallRow) -> ChartCall {
    ChartCall {
        started_at: row.started_at,
        direction: if row.direction == "outbound" {
            CallDirection::Outbound
        } else {
            CallDirection::Inbound
        },
        queue: row.queue,
        outcome: row.outcome,
        wait_ms: row.wait_ms.and_then(|w| u64::try_from(w).ok()),
    }
}

pub(super) async fn chart(
    State(supervision): State<Arc<Supervision>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Json<ChartBody>, ApiError> {
    let signed = supervision.supervisor(&headers).await?;
    let tenant = signed.view.tenant;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let query = ChartQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(bad_request)?;
    let targets: Vec<(String, Duration)> = supervision
        .telephony
        .as_ref()
        .map(|t| t.service_levels(&tenant))
        .unwrap_or_default();
    let by_queue: HashMap<&str, Duration> = targets.iter().map(|(q, d)| (q.as_str(), *d)).collect();
    let rows = supervision
        .store
        .chart_calls(&tenant, query.from, query.to, query.queue.as_deref())
        .await
        .map_err(ApiError::internal)?;
    let chart = Chart::count(&query, rows.into_iter().map(chart_call), |queue| {
        by_queue.get(queue).copied()
    });
    Ok(Json(ChartBody {
        from: rfc3339(query.from),
        to: rfc3339(query.to),
        interval_seconds: query.interval,
        queue: query.queue,
        targets: targets
            .into_iter()
            .map(|(queue, target)| TargetItem {
                queue,
                target_seconds: target.as_secs(),
            })
            .collect(),
        slots: chart
            .slots
            .into_iter()
            .map(|slot| SlotItem {
                start: rfc3339(slot.start),
                counts: slot.counts,
            })
            .collect(),
        totals: chart.totals,
    }))
}
