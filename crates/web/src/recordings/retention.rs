//! Retention: recordings older than their tenant's `[tenant.recordings] retention_days` are
//! deleted from the store (the WAV and its peaks) by a background task; each deletion is a row
//! of the listen audit, and the page then says "removed by retention".

use std::time::Duration;

use callbridge_store::{ListenAction, ListenEntry};
use time::OffsetDateTime;

use super::Recordings;

/// How often the task looks for old recordings.
pub const RETENTION_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Recordings deleted per tenant per pass (the next pass continues).
const BATCH: i64 = 500;

/// Recordings stored before this instant are past a retention of `days`.
pub fn cutoff(now: OffsetDateTime, days: u32) -> OffsetDateTime {
    now - time::Duration::days(i64::from(days))
}

impl Recordings {
    /// One pass over every tenant with a retention period; returns how many were deleted.
    pub async fn sweep_retention(&self, now: OffsetDateTime) -> usize {
        let mut deleted = 0;
        let mut tenants: Vec<(String, u32)> = self
            .policies
            .read()
            .iter()
            .filter_map(|(t, p)| p.retention_days.map(|d| (t.clone(), d)))
            .collect();
        tenants.sort();
        for (tenant, days) in &tenants {
            let (tenant, days) = (tenant.as_str(), *days);
            let Some(store) = self.store_for(tenant) else {
                continue;
            };
            let old = match self
                .store
                .recordings_stored_before(tenant, cutoff(now, days), BATCH)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(tenant, error = %e, "retention: listing old recordings");
                    continue;
                }
            };
            for row in old {
                if let Err(e) = store.delete_recording(&row.object_key).await {
                    tracing::error!(tenant, call = %row.call_id, error = %e, "retention: deleting a recording");
                    continue;
                }
                if let Err(e) = self
                    .store
                    .mark_recording_removed(tenant, &row.call_id, now)
                    .await
                {
                    tracing::error!(tenant, call = %row.call_id, error = %e, "retention: marking a recording removed");
                    continue;
                }
                self.audit(ListenEntry {
                    tenant: tenant.to_string(),
                    call_id: row.call_id.clone(),
                    at: now,
                    action: ListenAction::Retention,
                    viewer: "retention".into(),
                    crm_user_id: None,
                    source: "-".into(),
                    allowed: true,
                    reason: format!("deleted: stored more than {days} days ago"),
                })
                .await;
                deleted += 1;
            }
        }
        deleted
    }
}

/// Runs [`Recordings::sweep_retention`] every `interval` until aborted.
pub fn spawn(
    recordings: std::sync::Arc<Recordings>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            let deleted = recordings.sweep_retention(OffsetDateTime::now_utc()).await;
            if deleted > 0 {
                tracing::info!(deleted, "retention deleted old recordings");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_n_days_back() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert_eq!(
            cutoff(now, 30).unix_timestamp(),
            1_800_000_000 - 30 * 86_400
        );
    }
}
