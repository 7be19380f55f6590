//! The outbox worker: performs the CRM writes the engine asked for, exactly once per intent.
//!
//! Intents are durable rows (`callbridge-store`), unique per (tenant, kind, call), so duplicate
//! commands never make a second row. A claim leases a row for a short time (`lease`) and the
//! attempt renews the lease every `heartbeat` while it runs, so a slow write keeps its row and a
//! crashed worker's row comes back quickly: at the next start at once (the runtime releases the
//! leases of its tenants, which only a stopped process can have left), and within one lease if
//! the worker died and its process lives on. Before any *retry* creates a Case, the worker looks
//! the call id up in the Case's correlation column, so a write that reached the CRM but whose
//! answer was lost is never repeated. The first attempt creates directly (one CRM request per
//! Case on the happy path). Transient failures back off (honouring 429 Retry-After); refusals
//! and exhausted budgets go to the dead-letter list an admin can replay.

use std::sync::Arc;
use std::time::Duration;

use callbridge_core::{CallId, CaseFields, CaseRef, Event, PartyRefs, TenantId};
use callbridge_store::{ClaimedItem, Store};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::RuntimeHandle;
use crate::crm::{Crm, CrmError};

pub const CREATE_CASE: &str = "create_case";
pub const UPDATE_CASE_PARTIES: &str = "update_case_parties";

#[derive(Debug, Clone)]
pub struct OutboxOptions {
    /// Attempts before an intent is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long a claim is held without a heartbeat: what a worker that dies mid-write costs its
    /// row when no restart releases it.
    pub lease: Duration,
    /// How often a running attempt renews its lease (well under `lease`).
    pub heartbeat: Duration,
    /// The longest one attempt may run (all its CRM requests); then it is abandoned and retried.
    pub attempt_timeout: Duration,
    /// Writes in flight at once.
    pub concurrency: usize,
    /// How often the worker looks for due retries when nothing wakes it.
    pub poll_interval: Duration,
}

impl Default for OutboxOptions {
    fn default() -> Self {
        OutboxOptions {
            max_attempts: 12,
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            lease: Duration::from_secs(15),
            heartbeat: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(60),
            concurrency: 16,
            poll_interval: Duration::from_secs(1),
        }
    }
}

#[derive(Deserialize)]
struct CreatePayload {
    call: CallId,
    fields: CaseFields,
}

#[derive(Deserialize)]
struct UpdatePayload {
    call: CallId,
    case: CaseRef,
    party: PartyRefs,
}

pub async fn run<C: Crm>(
    crm: Arc<C>,
    store: Store,
    handle: RuntimeHandle,
    wake: Arc<Notify>,
    options: OutboxOptions,
) {
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let room = options.concurrency.saturating_sub(in_flight.len());
        let claimed = if room == 0 {
            Vec::new()
        } else {
            match store
                .claim_due(OffsetDateTime::now_utc(), room, options.lease)
                .await
            {
                Ok(items) => items,
                Err(error) => {
                    tracing::error!(%error, "cannot read the outbox");
                    Vec::new()
                }
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(options.poll_interval) => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            }
            continue;
        }
        for item in claimed {
            let (crm, store, handle, options) =
                (crm.clone(), store.clone(), handle.clone(), options.clone());
            in_flight.spawn(async move { process(&*crm, &store, &handle, &options, item).await });
        }
    }
}

async fn process<C: Crm>(
    crm: &C,
    store: &Store,
    handle: &RuntimeHandle,
    options: &OutboxOptions,
    item: ClaimedItem,
) {
    let tenant = TenantId::new(item.tenant.clone());
    let work = async {
        match item.kind.as_str() {
            CREATE_CASE => match serde_json::from_value::<CreatePayload>(item.payload.clone()) {
                Ok(p) => create_case(crm, store, handle, &tenant, &item, p).await,
                Err(e) => Err((format!("unreadable payload: {e}"), None, true)),
            },
            UPDATE_CASE_PARTIES => {
                match serde_json::from_value::<UpdatePayload>(item.payload.clone()) {
                    Ok(p) => crm
                        .update_case_parties(&tenant, &p.case, &p.party)
                        .await
                        .map(|()| json!({ "call": p.call, "case": p.case }))
                        .map_err(|e| failure(&e)),
                    Err(e) => Err((format!("unreadable payload: {e}"), None, true)),
                }
            }
            other => Err((format!("unknown outbox kind {other}"), None, true)),
        }
    };
    let Some(outcome) = while_leased(store, options, &item, work).await else {
        // Another worker holds the row now; its attempt decides what happens to it.
        tracing::warn!(id = ?item.id, kind = %item.kind, "CRM write abandoned: its lease was lost to another worker");
        return;
    };
    let call = item
        .payload
        .get("call")
        .and_then(|c| c.as_str())
        .map(CallId::new);
    match outcome {
        Ok(result) => {
            if let Err(error) = store.complete(item.id, result).await {
                tracing::error!(%error, id = ?item.id, "CRM write done but not marked done; it will be found by correlation id on retry");
            }
        }
        Err((reason, retry_after, permanent)) => {
            let exhausted = item.attempt >= options.max_attempts;
            if permanent || exhausted {
                let reason = if exhausted && !permanent {
                    format!("gave up after {} attempts: {reason}", item.attempt)
                } else {
                    reason
                };
                tracing::warn!(id = ?item.id, kind = %item.kind, %reason, "CRM write dead-lettered");
                if let Err(error) = store.dead_letter(item.id, &reason).await {
                    tracing::error!(%error, "cannot dead-letter an outbox item");
                }
                if item.kind == CREATE_CASE {
                    if let Some(call) = call {
                        handle.submit(Event::CaseCreateFailed {
                            call,
                            reason,
                            permanent: true,
                        });
                    }
                }
            } else {
                let delay = retry_after
                    .unwrap_or_else(|| backoff(options, item.attempt))
                    .max(Duration::from_millis(10));
                let at = OffsetDateTime::now_utc() + delay;
                tracing::info!(id = ?item.id, kind = %item.kind, %reason, ?delay, "CRM write will be retried");
                if let Err(error) = store.retry_later(item.id, at, &reason).await {
                    tracing::error!(%error, "cannot reschedule an outbox item; its lease will expire instead");
                }
                if item.kind == CREATE_CASE {
                    if let Some(call) = call {
                        handle.submit(Event::CaseCreateFailed {
                            call,
                            reason,
                            permanent: false,
                        });
                    }
                }
            }
        }
    }
}

/// Runs `work` while renewing the item's lease every `heartbeat`. The claim is ours only while
/// the lease lasts: after that the row may be claimed again, and that attempt looks for the Case
/// before this one has written it. So an attempt whose lease could not be renewed (the store
/// unreachable, or another worker took the row) is abandoned shortly before the lease runs out,
/// and so is one that runs past `attempt_timeout`; both are retried, and the retry looks the
/// Case up first. `None`: the lease was lost to another worker, which now owns the row.
async fn while_leased(
    store: &Store,
    options: &OutboxOptions,
    item: &ClaimedItem,
    work: impl std::future::Future<Output = Result<serde_json::Value, Failure>>,
) -> Option<Result<serde_json::Value, Failure>> {
    let started = tokio::time::Instant::now();
    // Stop this long before the lease ends, so a retry never overlaps this attempt.
    let margin = options.lease / 10;
    let mut held_until = item.leased_until;
    tokio::pin!(work);
    loop {
        let left = Duration::try_from(held_until - OffsetDateTime::now_utc()).unwrap_or_default();
        let stop_in = left
            .saturating_sub(margin)
            .min(options.attempt_timeout.saturating_sub(started.elapsed()));
        if stop_in.is_zero() {
            let why = if started.elapsed() >= options.attempt_timeout {
                format!(
                    "the attempt did not finish within {:?}",
                    options.attempt_timeout
                )
            } else {
                "the attempt's lease could not be renewed (store unreachable?)".to_string()
            };
            return Some(Err((why, None, false)));
        }
        tokio::select! {
            outcome = &mut work => return Some(outcome),
            () = tokio::time::sleep(stop_in.min(options.heartbeat)) => {}
        }
        let until = OffsetDateTime::now_utc() + options.lease;
        match store.renew_lease(item.id, item.attempt, until).await {
            Ok(true) => held_until = until,
            Ok(false) => return None,
            Err(error) => tracing::warn!(%error, id = ?item.id, "cannot renew an outbox lease"),
        }
    }
}

/// (reason, retry after, permanent)
type Failure = (String, Option<Duration>, bool);

fn failure(error: &CrmError) -> Failure {
    match error {
        CrmError::RateLimited(after) => (error.to_string(), Some(*after), false),
        CrmError::Unavailable(_) | CrmError::RelinkRequired => (error.to_string(), None, false),
        CrmError::Rejected(_) => (error.to_string(), None, true),
    }
}

async fn create_case<C: Crm>(
    crm: &C,
    store: &Store,
    handle: &RuntimeHandle,
    tenant: &TenantId,
    item: &ClaimedItem,
    payload: CreatePayload,
) -> Result<serde_json::Value, Failure> {
    let call = payload.call;
    let existing = if item.attempt > 1 {
        crm.find_case(tenant, &call)
            .await
            .map_err(|e| failure(&e))?
    } else {
        None
    };
    let case = match existing {
        Some(case) => {
            tracing::info!(call = %call, case = %case.label, "Case already in the CRM; not creating another");
            case
        }
        None => crm
            .create_case(tenant, &call, &payload.fields)
            .await
            .map_err(|e| failure(&e))?,
    };
    let stored = callbridge_store::CaseRef {
        sys_id: case.id.as_str().to_string(),
        number: case.label.clone(),
    };
    if let Err(error) = store
        .save_case_for_call(tenant.as_str(), call.as_str(), stored)
        .await
    {
        tracing::warn!(%error, call = %call, "Case created but not remembered locally");
    }
    handle.submit(Event::CaseCreated {
        call: call.clone(),
        case: case.clone(),
    });
    Ok(json!({ "call": call, "case": case }))
}

fn backoff(options: &OutboxOptions, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let delay = options
        .retry_base
        .saturating_mul(factor)
        .min(options.retry_max);
    // Up to 20% jitter, so many failed writes do not return at the same instant.
    let jitter = delay.mul_f64(rand::random::<f64>() * 0.2);
    delay + jitter
}
