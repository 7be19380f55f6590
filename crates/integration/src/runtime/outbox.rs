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

use callbridge_core::{CallId, CaseFields, CaseRef, Event, TenantId};
use callbridge_store::{ClaimedItem, Store};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::intent::{self, Intent, ADD_WRAP_UP_NOTE, CREATE_CASE};
use super::notices::{AgentNotice, Notice, WrapUpStatus};
use super::RuntimeHandle;
use crate::crm::{Crm, CrmError};

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

/// Why an attempt failed, and what becomes of the write.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    /// For the log, the dead-letter list and the agent.
    reason: String,
    /// When the CRM said when to come back (429 Retry-After); otherwise the backoff decides.
    retry_after: Option<Duration>,
    /// Retrying cannot help (a refusal, an unreadable row): dead-letter it now.
    permanent: bool,
}

impl Failure {
    fn transient(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            retry_after: None,
            permanent: false,
        }
    }

    fn permanent(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            retry_after: None,
            permanent: true,
        }
    }

    fn from_crm(error: &CrmError) -> Failure {
        match error {
            CrmError::RateLimited(after) => Failure {
                retry_after: Some(*after),
                ..Failure::transient(error.to_string())
            },
            CrmError::Unavailable(_) | CrmError::RelinkRequired => {
                Failure::transient(error.to_string())
            }
            CrmError::Rejected(_) => Failure::permanent(error.to_string()),
        }
    }
}

/// What a done write leaves in its row's result column.
#[derive(Serialize)]
struct Written<'a> {
    call: &'a CallId,
    case: &'a CaseRef,
}

fn written(call: &CallId, case: &CaseRef) -> serde_json::Value {
    serde_json::to_value(Written { call, case }).expect("outbox results serialise")
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
        match Intent::read(&item.kind, &item.payload) {
            Ok(Intent::CreateCase { call, fields, .. }) => {
                create_case(crm, store, handle, &tenant, &item, call, &fields).await
            }
            Ok(Intent::UpdateCaseParties { call, case, party }) => crm
                .update_case_parties(&tenant, &case, &party)
                .await
                .map(|()| written(&call, &case))
                .map_err(|e| Failure::from_crm(&e)),
            // One CRM request; the row (unique per call) makes a second submission impossible.
            Ok(Intent::AddWrapUpNote {
                call, case, note, ..
            }) => crm
                .add_work_note(&tenant, &case, note.as_str())
                .await
                .map(|()| written(&call, &case))
                .map_err(|e| Failure::from_crm(&e)),
            Err(error) => Err(Failure::permanent(error.to_string())),
        }
    };
    let Some(outcome) = while_leased(store, options, &item, work).await else {
        // Another worker holds the row now; its attempt decides what happens to it.
        tracing::warn!(id = ?item.id, kind = %item.kind, "CRM write abandoned: its lease was lost to another worker");
        return;
    };
    let call = intent::call_of(&item.payload);
    match outcome {
        Ok(result) => {
            if let Err(error) = store.complete(item.id, result).await {
                tracing::error!(%error, id = ?item.id, "CRM write done but not marked done; it will be found by correlation id on retry");
            }
            tell_wrap_up(handle, &item, WrapUpStatus::Written, None);
        }
        Err(Failure {
            reason,
            retry_after,
            permanent,
        }) => {
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
                tell_wrap_up(handle, &item, WrapUpStatus::Failed, Some(&reason));
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

/// Tells the agent who submitted a wrap-up note that the outbox is done with it (`written`, or
/// `failed` with the reason it was given up). Other writes tell nobody here.
fn tell_wrap_up(
    handle: &RuntimeHandle,
    item: &ClaimedItem,
    status: WrapUpStatus,
    reason: Option<&str>,
) {
    if item.kind != ADD_WRAP_UP_NOTE {
        return;
    }
    let Ok(Intent::AddWrapUpNote {
        call, agent, case, ..
    }) = Intent::read(&item.kind, &item.payload)
    else {
        return;
    };
    let detail = match reason {
        None => format!("Saved to {}.", case.label),
        Some(reason) => format!("Could not save to {}: {reason}", case.label),
    };
    handle.notify(AgentNotice {
        agent,
        call,
        notice: Notice::WrapUpStatus { status, detail },
    });
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
            return Some(Err(Failure::transient(why)));
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

async fn create_case<C: Crm>(
    crm: &C,
    store: &Store,
    handle: &RuntimeHandle,
    tenant: &TenantId,
    item: &ClaimedItem,
    call: CallId,
    fields: &CaseFields,
) -> Result<serde_json::Value, Failure> {
    let existing = if item.attempt > 1 {
        crm.find_case(tenant, &call)
            .await
            .map_err(|e| Failure::from_crm(&e))?
    } else {
        None
    };
    let case = match existing {
        Some(case) => {
            tracing::info!(call = %call, case = %case.label, "Case already in the CRM; not creating another");
            case
        }
        None => crm
            .create_case(tenant, &call, fields)
            .await
            .map_err(|e| Failure::from_crm(&e))?,
    };
    if let Err(error) = store
        .save_case_for_call(tenant.as_str(), &call, case.clone())
        .await
    {
        tracing::warn!(%error, call = %call, "Case created but not remembered locally");
    }
    handle.submit(Event::CaseCreated {
        call: call.clone(),
        case: case.clone(),
    });
    Ok(written(&call, &case))
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
