//! Processed inbound events: what makes the call-events API idempotent by event id.

use std::time::Duration;

use time::OffsetDateTime;

use crate::time_conv::{duration_micros, to_micros};
use crate::{with_pool, Result, Store, StoreError};

impl Store {
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

    /// Forgets events received more than `retention` before `now`; returns how many.
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
        Ok(pruned)
    }
}
