//! Processed inbound events: what makes the call-events API idempotent by event id.
//!
//! An id is scoped to its tenant (two tenants may use the same id) and remembered until
//! [`Store::prune_events`] forgets it. With each id the digest of the event's body is kept, so an
//! id that comes back with a *different* body (a sender numbering events per call, say) is told
//! apart from a retry of the same event instead of being silently dropped as a duplicate.

use std::time::Duration;

use callbridge_kernel::ids::CallId;
use time::OffsetDateTime;

use crate::time_conv::{duration_micros, to_micros};
use crate::{with_pool, Result, Store, StoreError};

/// What [`Store::record_event_checked`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRecorded {
    /// First time this id was seen: the event was recorded.
    New,
    /// The id was seen before with the same digest (or before digests were kept): a retry.
    Duplicate,
    /// The id was seen before with another digest: a different event reusing the id. Nothing
    /// was recorded.
    Reused,
}

impl Store {
    /// Records `event_id` from `tenant` with its body's `digest` and `payload` unless the id is
    /// known; a known id is compared by digest ([`EventRecorded`]).
    pub async fn record_event_checked(
        &self,
        tenant: &str,
        event_id: &str,
        received_at: OffsetDateTime,
        digest: &str,
        payload: &str,
    ) -> Result<EventRecorded> {
        let received_at = to_micros(received_at);
        // Insert-or-read is two statements; a prune between them can forget the id, so the
        // insert is tried again then (the second round cannot lose the same race twice in
        // practice, and never misreports: a missing row means "not recorded").
        for _ in 0..3 {
            let inserted = with_pool!(&self.pool, |p| {
                sqlx::query(
                "INSERT INTO processed_events (tenant, event_id, received_at, payload, digest) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, event_id) DO NOTHING"
            )
            .bind(tenant)
            .bind(event_id)
            .bind(received_at)
            .bind(payload)
            .bind(digest)
            .execute(p)
            .await
            .map_err(StoreError::db("record a processed event"))?
            .rows_affected()
            });
            if inserted == 1 {
                return Ok(EventRecorded::New);
            }
            let known: Option<(Option<String>,)> = with_pool!(&self.pool, |p| sqlx::query_as(
                "SELECT digest FROM processed_events WHERE tenant = $1 AND event_id = $2"
            )
            .bind(tenant)
            .bind(event_id)
            .fetch_optional(p)
            .await
            .map_err(StoreError::db("read a processed event"))?);
            match known {
                Some((Some(known),)) if known != digest => return Ok(EventRecorded::Reused),
                Some(_) => return Ok(EventRecorded::Duplicate),
                None => continue,
            }
        }
        Err(StoreError::Corrupt(format!(
            "event id {event_id:?} of tenant {tenant:?} is neither recorded nor insertable"
        )))
    }

    /// Records that `event_id` from `tenant` was received. `true` the first time, `false` for
    /// every repeat (the caller then acknowledges the event without acting on it again).
    ///
    /// Ids are remembered until [`Store::prune_events`] forgets them: keep them for longer than
    /// any sender may redeliver.
    pub async fn record_event_once(
        &self,
        tenant: &str,
        event_id: &str,
        received_at: OffsetDateTime,
    ) -> Result<bool> {
        let received_at = to_micros(received_at);
        let inserted = with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO processed_events (tenant, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant, event_id) DO NOTHING"
        )
        .bind(tenant)
        .bind(event_id)
        .bind(received_at)
        .execute(p)
        .await
        .map_err(StoreError::db("record a processed event"))?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// Like [`Store::record_event_once`], also keeping the event itself (`payload`, e.g. JSON)
    /// for [`Store::events_since`].
    pub async fn record_event_with_payload(
        &self,
        tenant: &str,
        event_id: &str,
        received_at: OffsetDateTime,
        payload: &str,
    ) -> Result<bool> {
        let received_at = to_micros(received_at);
        let inserted = with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO processed_events (tenant, event_id, received_at, payload) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, event_id) DO NOTHING"
        )
        .bind(tenant)
        .bind(event_id)
        .bind(received_at)
        .bind(payload)
        .execute(p)
        .await
        .map_err(StoreError::db("record a processed event"))?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// Payloads of `tenant`'s events received at or after `since`, oldest first.
    pub async fn events_since(&self, tenant: &str, since: OffsetDateTime) -> Result<Vec<String>> {
        let since = to_micros(since);
        let rows: Vec<(String,)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT payload FROM processed_events \
             WHERE tenant = $1 AND received_at >= $2 AND payload IS NOT NULL \
             ORDER BY received_at, event_id"
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(p)
        .await
        .map_err(StoreError::db("read recent events"))?);
        Ok(rows.into_iter().map(|(payload,)| payload).collect())
    }

    /// Forgets an event id recorded by [`Store::record_event_with_payload`] whose event was not
    /// taken after all (the engine had no room for it), so that the sender's retry with the same
    /// id is processed instead of being acknowledged as a duplicate.
    pub async fn forget_event(&self, tenant: &str, event_id: &str) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM processed_events WHERE tenant = $1 AND event_id = $2"
        )
        .bind(tenant)
        .bind(event_id)
        .execute(p)
        .await
        .map_err(StoreError::db("forget a processed event"))?
        .rows_affected());
        Ok(())
    }

    /// Keeps the latest successful lookup outcome of a call (`payload`, e.g. JSON), replacing
    /// an earlier one, for [`Store::lookup_outcomes_since`].
    pub async fn record_lookup_outcome(
        &self,
        tenant: &str,
        call: &CallId,
        recorded_at: OffsetDateTime,
        payload: &str,
    ) -> Result<()> {
        let recorded_at = to_micros(recorded_at);
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO lookup_outcomes (tenant, call_id, recorded_at, payload) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, call_id) \
             DO UPDATE SET recorded_at = excluded.recorded_at, payload = excluded.payload"
        )
        .bind(tenant)
        .bind(call.as_str())
        .bind(recorded_at)
        .bind(payload)
        .execute(p)
        .await
        .map_err(StoreError::db("record a lookup outcome"))?
        .rows_affected());
        Ok(())
    }

    /// `(call, payload)` of `tenant`'s lookup outcomes recorded at or after `since`.
    pub async fn lookup_outcomes_since(
        &self,
        tenant: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<(CallId, String)>> {
        let since = to_micros(since);
        let rows: Vec<(String, String)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT call_id, payload FROM lookup_outcomes \
             WHERE tenant = $1 AND recorded_at >= $2 ORDER BY recorded_at, call_id"
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(p)
        .await
        .map_err(StoreError::db("read lookup outcomes"))?);
        Ok(rows
            .into_iter()
            .map(|(call, payload)| (CallId::new(call), payload))
            .collect())
    }

    /// Forgets events (and lookup outcomes) recorded more than `retention` before `now`;
    /// returns how many events.
    pub async fn prune_events(&self, now: OffsetDateTime, retention: Duration) -> Result<u64> {
        let cutoff = to_micros(now).saturating_sub(duration_micros(retention));
        let pruned = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM processed_events WHERE received_at < $1"
        )
        .bind(cutoff)
        .execute(p)
        .await
        .map_err(StoreError::db("prune processed events"))?
        .rows_affected());
        with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM lookup_outcomes WHERE recorded_at < $1"
        )
        .bind(cutoff)
        .execute(p)
        .await
        .map_err(StoreError::db("prune lookup outcomes"))?
        .rows_affected());
        Ok(pruned)
    }
}
