//! The Outbox page's routes: the tenant's CRM writes not done yet (pending, and dead letters
//! not discarded) with the CRM's last answer; replay a dead letter (the store's
//! `replay_dead_letter`, as `callbridge dead-letters --replay` does) or discard it.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use callbridge_integration::runtime::Intent;
use callbridge_store::{OutboxId, OutboxRecord, OutboxStatus, StoreError};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::access::Need;
use super::input::{bad_request, MAX_PAGE_ROWS, PAGE_ROWS};
use super::{json, Answer, Console, Done, Incoming, Staff};
use crate::account::profile::rfc3339;
use crate::account::ApiError;

pub fn router() -> Router<Arc<Console>> {
    Router::new()
        .route("/api/v1/console/outbox", get(list))
        .route("/api/v1/console/outbox/{id}/replay", post(replay))
        .route("/api/v1/console/outbox/{id}/discard", post(discard))
}

/// The call a write is for, read from its payload as the worker reads it.
fn call_of(record: &OutboxRecord) -> Option<String> {
    Intent::read(&record.kind, &record.payload)
        .ok()
        .map(|i| i.call().as_str().to_string())
}

fn item_json(r: &OutboxRecord) -> Value {
    let status = match (r.status, r.discarded_at) {
        (OutboxStatus::Pending, _) => "pending",
        (OutboxStatus::Done, _) => "done",
        (OutboxStatus::DeadLetter, None) => "dead",
        (OutboxStatus::DeadLetter, Some(_)) => "discarded",
    };
    json!({
        "id": r.id.0,
        "kind": r.kind,
        "call_id": call_of(r),
        "status": status,
        "attempts": r.attempts,
        "created_at": rfc3339(r.created_at),
        "next_attempt_at": (r.status == OutboxStatus::Pending).then(|| rfc3339(r.next_attempt_at)),
        "finished_at": r.finished_at.map(rfc3339),
        "last_error": r.last_error,
        "dead_reason": r.dead_reason,
        "discarded_at": r.discarded_at.map(rfc3339),
    })
}

fn no_such_item(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_item",
        format!("your tenant has no outbox item {id}; list them with GET /api/v1/console/outbox"),
    )
}

async fn list(
    State(console): State<Arc<Console>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let mut limit = PAGE_ROWS;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_ROWS).contains(n))
                    .ok_or_else(|| {
                        bad_request(format!(
                            "limit={value:?} is not a number of rows from 1 to {MAX_PAGE_ROWS}"
                        ))
                    })?
            }
            other => {
                return Err(bad_request(format!(
                    "unknown parameter {other:?}; the only parameter is limit"
                )))
            }
        }
    }
    let store = &console.accounts.store;
    let items = store
        .open_outbox_items(&staff.tenant, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        json!({"items": items.iter().map(item_json).collect::<Vec<_>>()}),
    ))
}

/// The tenant's item `id` (another tenant's is "no such item", like one that does not exist).
async fn item(console: &Console, staff: &Staff, id: &str) -> Result<OutboxRecord, ApiError> {
    let number: i64 = id.parse().map_err(|_| {
        bad_request(format!(
            "{id:?} is not an outbox item id; ids are the numbers GET /api/v1/console/outbox lists"
        ))
    })?;
    console
        .accounts
        .store
        .outbox_item(OutboxId(number))
        .await
        .map_err(ApiError::internal)?
        .filter(|r| r.tenant == staff.tenant)
        .ok_or_else(|| no_such_item(id))
}

fn not_dead(r: &OutboxRecord, what: &str) -> ApiError {
    let now = match (r.status, r.discarded_at) {
        (OutboxStatus::Pending, _) => "still pending (the worker is trying it)",
        (OutboxStatus::Done, _) => "already written to the CRM",
        (OutboxStatus::DeadLetter, _) => "discarded",
    };
    ApiError::new(
        StatusCode::CONFLICT,
        "not_a_dead_letter",
        format!(
            "outbox item {} is {now}; only dead letters can be {what}",
            r.id.0
        ),
    )
}

/// Replays or discards item `id`, audited as `action`.
async fn act(
    console: &Console,
    request: Request<Body>,
    id: String,
    action: &'static str,
) -> Answer {
    let target = format!("outbox:{id}");
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            action,
            &target,
        )
        .await?;
    let found = item(console, &staff, &id).await;
    let call = found.as_ref().ok().and_then(call_of);
    let outcome = async {
        let record = found?;
        let store = &console.accounts.store;
        let now = OffsetDateTime::now_utc();
        let changed = match action {
            "outbox.replay" => store.replay_dead_letter(record.id, now).await,
            _ => store.discard_dead_letter(record.id, now).await,
        };
        let changed = match changed {
            Ok(c) => c,
            Err(StoreError::UnknownOutboxItem(_)) => return Err(no_such_item(&id)),
            Err(e) => return Err(ApiError::internal(e)),
        };
        if !changed {
            let what = if action == "outbox.replay" {
                "replayed"
            } else {
                "discarded"
            };
            return Err(not_dead(&record, what));
        }
        let after = item(console, &staff, &id).await?;
        Ok(Done {
            response: json(StatusCode::OK, json!({"item": item_json(&after)})),
            detail: if action == "outbox.replay" {
                format!(
                    "{} queued again; the worker writes it within a second",
                    record.kind
                )
            } else {
                format!("{} discarded; it will not be written", record.kind)
            },
        })
    }
    .await;
    console
        .finish(&staff, action, &target, call.as_deref(), outcome)
        .await
}

async fn replay(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Answer {
    act(&console, request, id, "outbox.replay").await
}

async fn discard(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Answer {
    act(&console, request, id, "outbox.discard").await
}
