//! Audit retention: rows of the listen audit and the admin audit older than their tenant's
//! `[tenant.audit] retention_days` are deleted by a background task, in bounded batches (one
//! short statement each, so a large backlog never holds the table for long), at most
//! [`MAX_BATCHES`] per audit per tenant per pass: the next pass goes on where this one stopped.
//! Each pass that deleted anything leaves one row in the admin audit saying how many.

use std::sync::Arc;
use std::time::Duration;

use callbridge_config::Config;
use callbridge_store::{AdminEntry, AdminOutcome, Store};
use time::OffsetDateTime;

/// How often the task runs (and once at start).
pub const AUDIT_RETENTION_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Rows deleted by one statement.
pub const BATCH: u32 = 1_000;
/// Statements per audit, per tenant, per pass: at most 100,000 rows each pass.
pub const MAX_BATCHES: u32 = 100;

/// Each tenant's audit retention.
#[derive(Debug)]
pub struct AuditRetention {
    store: Store,
    /// (tenant, retention in days), in configuration order; a tenant kept in the store is
    /// added or changed when it is saved ([`AuditRetention::replace_tenant`]).
    tenants: parking_lot::RwLock<Vec<(String, u32)>>,
}

/// What one pass deleted for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub listen: u64,
    pub admin: u64,
}

/// Which audit a batch deletes from.
#[derive(Debug, Clone, Copy)]
enum Audit {
    Listen,
    Admin,
}

/// Rows written before this instant are past a retention of `days`.
pub fn cutoff(now: OffsetDateTime, days: u32) -> OffsetDateTime {
    now - time::Duration::days(i64::from(days))
}

impl AuditRetention {
    pub fn new(config: &Config, store: Store) -> AuditRetention {
        AuditRetention {
            store,
            tenants: parking_lot::RwLock::new(
                config
                    .tenants
                    .iter()
                    .map(|t| (t.id.as_str().to_string(), t.audit.retention_days))
                    .collect(),
            ),
        }
    }

    /// `tenant`'s retention from the next pass on.
    pub fn replace_tenant(&self, tenant: &callbridge_config::TenantConfig) {
        let mut tenants = self.tenants.write();
        let entry = (tenant.id.as_str().to_string(), tenant.audit.retention_days);
        match tenants.iter_mut().find(|(id, _)| id == tenant.id.as_str()) {
            Some(kept) => *kept = entry,
            None => tenants.push(entry),
        }
    }

    /// One pass over every tenant: what each had deleted (tenants with nothing old left out).
    pub async fn sweep(&self, now: OffsetDateTime) -> Vec<(String, Pruned)> {
        let mut done = Vec::new();
        let tenants = self.tenants.read().clone();
        for (tenant, days) in &tenants {
            let before = cutoff(now, *days);
            let pruned = Pruned {
                listen: self.prune(tenant, Audit::Listen, before).await,
                admin: self.prune(tenant, Audit::Admin, before).await,
            };
            if pruned == Pruned::default() {
                continue;
            }
            let entry = AdminEntry {
                tenant: tenant.clone(),
                at: now,
                actor: "retention".into(),
                action: "audit.prune".into(),
                target: "audit".into(),
                call_id: None,
                source: "-".into(),
                outcome: AdminOutcome::Done,
                detail: format!(
                    "deleted {} listen audit and {} admin audit rows written more than {days} days ago",
                    pruned.listen, pruned.admin
                ),
            };
            if let Err(error) = self.store.audit_admin(&entry).await {
                tracing::error!(tenant, %error, "audit retention: writing its own audit row");
            }
            done.push((tenant.clone(), pruned));
        }
        done
    }

    /// Deletes `tenant`'s rows of one audit written before `before`, batch after batch.
    async fn prune(&self, tenant: &str, audit: Audit, before: OffsetDateTime) -> u64 {
        let mut total = 0;
        for _ in 0..MAX_BATCHES {
            let deleted = match audit {
                Audit::Listen => self.store.prune_listen_audit(tenant, before, BATCH).await,
                Audit::Admin => self.store.prune_admin_audit(tenant, before, BATCH).await,
            };
            match deleted {
                Ok(n) => {
                    total += n;
                    if n < u64::from(BATCH) {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(tenant, ?audit, %error, "audit retention: deleting old rows");
                    break;
                }
            }
            // Let other writers at the table between batches.
            tokio::task::yield_now().await;
        }
        total
    }
}

/// Runs [`AuditRetention::sweep`] now and every `interval` until aborted.
pub fn spawn(retention: Arc<AuditRetention>, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            for (tenant, pruned) in retention.sweep(OffsetDateTime::now_utc()).await {
                tracing::info!(
                    tenant,
                    listen = pruned.listen,
                    admin = pruned.admin,
                    "audit retention deleted old rows"
                );
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
            cutoff(now, 400).unix_timestamp(),
            1_800_000_000 - 400 * 86_400
        );
    }
}
