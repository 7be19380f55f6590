//! Replays recently accepted call events at start. The engine's state lives in memory: a call
//! connected shortly before the process stopped may not have reached the outbox yet (Case
//! creation waits up to `contact_wait` for the caller to be matched). The events API keeps every
//! accepted event, so a restart feeds the engine the recent ones again. Replaying is safe: the
//! outbox accepts one Case intent per call, so a Case already queued or written is never made
//! twice. Calls that ended with their Case recorded, or ended without connecting, are skipped so a
//! restart does not repeat their CRM lookups. A replayed call whose lookup had succeeded gets
//! that outcome first (journalled by the executor): the engine holds it until the call's offer
//! and starts the call with it, so the pop is shown again without searching the CRM again.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use callbridge_core::{CallId, Event, TenantId};
use callbridge_store::Store;
use time::OffsetDateTime;

use super::RuntimeHandle;
use crate::journal;

/// Replays `tenant`'s events accepted within `window` before `now`; returns how many.
pub async fn replay_recent(
    store: &Store,
    runtime: &RuntimeHandle,
    tenant: &TenantId,
    now: OffsetDateTime,
    window: Duration,
) -> anyhow::Result<usize> {
    let mut events = Vec::new();
    for payload in store.events_since(tenant.as_str(), now - window).await? {
        match journal::decode(&payload) {
            Ok(event) => events.push(event),
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant, "skipping a journalled call event this version cannot read")
            }
        }
    }
    let mut connected = HashSet::new();
    let mut ended = HashSet::new();
    for event in &events {
        match event {
            Event::Connected { call, .. } => {
                connected.insert(call.clone());
            }
            Event::Ended { call, .. } => {
                ended.insert(call.clone());
            }
            _ => {}
        }
    }
    let mut replay: BTreeMap<CallId, bool> = BTreeMap::new();
    for event in &events {
        let Some(call) = event.call() else { continue };
        if replay.contains_key(call) {
            continue;
        }
        let needed = if !ended.contains(call) {
            true
        } else if connected.contains(call) {
            store.case_for_call(tenant.as_str(), call).await?.is_none()
        } else {
            false
        };
        replay.insert(call.clone(), needed);
    }
    let mut count = 0;
    for (call, payload) in store
        .lookup_outcomes_since(tenant.as_str(), now - window)
        .await?
    {
        if replay.get(&call) != Some(&true) {
            continue;
        }
        match journal::decode(&payload) {
            Ok(event) => {
                runtime.submit(event);
                count += 1;
            }
            Err(error) => {
                tracing::warn!(%error, tenant = %tenant, call = %call, "skipping a journalled lookup outcome this version cannot read")
            }
        }
    }
    for event in events {
        if event
            .call()
            .is_some_and(|call| replay.get(call) == Some(&true))
        {
            runtime.submit(event);
            count += 1;
        }
    }
    Ok(count)
}
