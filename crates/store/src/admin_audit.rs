//! The admin audit (every change made through the console's admin routes, and every attempt
//! refused) and the filter both audits are read with.

use time::OffsetDateTime;

use crate::recordings::{ListenAction, ListenEntry};
use crate::time_conv::{from_micros, to_micros};
use crate::{with_pool, Result, Store, StoreError};

/// How an admin's request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// The change was made.
    Done,
    /// Not made: not allowed, bad input, no such target.
    Refused,
    /// Not made: the server or the CRM failed.
    Failed,
}

impl AdminOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminOutcome::Done => "done",
            AdminOutcome::Refused => "refused",
            AdminOutcome::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<AdminOutcome> {
        match text {
            "done" => Ok(AdminOutcome::Done),
            "refused" => Ok(AdminOutcome::Refused),
            "failed" => Ok(AdminOutcome::Failed),
            other => Err(StoreError::Corrupt(format!(
                "admin audit outcome {other:?} is none of done, refused, failed"
            ))),
        }
    }
}

/// One row of the admin audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminEntry {
    pub tenant: String,
    pub at: OffsetDateTime,
    /// The account that acted (its user name).
    pub actor: String,
    /// What was asked, e.g. `account.create`, `outbox.replay`.
    pub action: String,
    /// What it was done to: a user name, `outbox:<id>`.
    pub target: String,
    /// The call the target concerns (an outbox write's call), if any.
    pub call_id: Option<String>,
    /// The client's address.
    pub source: String,
    pub outcome: AdminOutcome,
    /// What happened, in words (never a secret).
    pub detail: String,
}

/// Which audit rows to read: one tenant's, newest first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub tenant: String,
    /// From this instant on (inclusive).
    pub from: Option<OffsetDateTime>,
    /// Before this instant (exclusive).
    pub to: Option<OffsetDateTime>,
    /// Listen audit: the viewer (a CRM user name or id, or an account's user name); admin
    /// audit: the actor or the target.
    pub user: Option<String>,
    pub call: Option<String>,
    /// `Some(true)`: allowed (listen) / done (admin) only; `Some(false)`: refused (listen) /
    /// refused or failed (admin) only.
    pub allowed: Option<bool>,
    pub limit: u32,
}

impl AuditFilter {
    /// Every row of `tenant`, up to `limit`.
    pub fn all(tenant: &str, limit: u32) -> AuditFilter {
        AuditFilter {
            tenant: tenant.to_string(),
            from: None,
            to: None,
            user: None,
            call: None,
            allowed: None,
            limit,
        }
    }
}

type AdminTuple = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

type ListenTuple = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    bool,
    String,
);

impl Store {
    /// Appends one row to the admin audit.
    pub async fn audit_admin(&self, entry: &AdminEntry) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO admin_audit (tenant, at, actor, action, target, call_id, source, \
             outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(&entry.tenant)
        .bind(to_micros(entry.at))
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.call_id)
        .bind(&entry.source)
        .bind(entry.outcome.as_str())
        .bind(&entry.detail)
        .execute(p)
        .await
        .map_err(StoreError::db("write the admin audit"))?
        .rows_affected());
        Ok(())
    }

    /// The admin audit rows `filter` selects, newest first.
    pub async fn admin_audit(&self, filter: &AuditFilter) -> Result<Vec<AdminEntry>> {
        let rows: Vec<AdminTuple> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, at, actor, action, target, call_id, source, outcome, detail \
             FROM admin_audit \
             WHERE tenant = $1 AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at < $3) \
               AND ($4 IS NULL OR actor = $4 OR target = $4) \
               AND ($5 IS NULL OR call_id = $5) \
               AND ($6 IS NULL OR (outcome = 'done') = $6) \
             ORDER BY at DESC, id DESC LIMIT $7"
        )
        .bind(&filter.tenant)
        .bind(filter.from.map(to_micros))
        .bind(filter.to.map(to_micros))
        .bind(&filter.user)
        .bind(&filter.call)
        .bind(filter.allowed)
        .bind(i64::from(filter.limit))
        .fetch_all(p)
        .await
        .map_err(StoreError::db("read the admin audit"))?);
        rows.into_iter()
            .map(|r| {
                Ok(AdminEntry {
                    tenant: r.0,
                    at: from_micros(r.1)?,
                    actor: r.2,
                    action: r.3,
                    target: r.4,
                    call_id: r.5,
                    source: r.6,
                    outcome: AdminOutcome::parse(&r.7)?,
                    detail: r.8,
                })
            })
            .collect()
    }

    /// The listen audit rows `filter` selects, newest first. `user` matches the viewer as
    /// shown, a Callbridge account's `account:<user>`, or the CRM user id.
    pub async fn listen_audit_filtered(&self, filter: &AuditFilter) -> Result<Vec<ListenEntry>> {
        let rows: Vec<ListenTuple> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, at, action, viewer, crm_user_id, source, allowed, reason \
             FROM listen_audit \
             WHERE tenant = $1 AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at < $3) \
               AND ($4 IS NULL OR viewer = $4 OR viewer = 'account:' || $4 \
                    OR crm_user_id = $4) \
               AND ($5 IS NULL OR call_id = $5) \
               AND ($6 IS NULL OR allowed = $6) \
             ORDER BY at DESC, id DESC LIMIT $7"
        )
        .bind(&filter.tenant)
        .bind(filter.from.map(to_micros))
        .bind(filter.to.map(to_micros))
        .bind(&filter.user)
        .bind(&filter.call)
        .bind(filter.allowed)
        .bind(i64::from(filter.limit))
        .fetch_all(p)
        .await
        .map_err(StoreError::db("read the listen audit"))?);
        rows.into_iter()
            .map(|r| {
                Ok(ListenEntry {
                    tenant: r.0,
                    call_id: r.1,
                    at: from_micros(r.2)?,
                    action: ListenAction::parse(&r.3)?,
                    viewer: r.4,
                    crm_user_id: r.5,
                    source: r.6,
                    allowed: r.7,
                    reason: r.8,
                })
            })
            .collect()
    }

    /// Deletes at most `batch` of `tenant`'s admin audit rows written before `before`, oldest
    /// first; returns how many. One bounded statement, so a large backlog never holds the
    /// table for long: call again until it returns less than `batch`.
    pub async fn prune_admin_audit(
        &self,
        tenant: &str,
        before: OffsetDateTime,
        batch: u32,
    ) -> Result<u64> {
        self.prune_audit("admin_audit", tenant, before, batch).await
    }

    /// [`Store::prune_admin_audit`] for the listen audit.
    pub async fn prune_listen_audit(
        &self,
        tenant: &str,
        before: OffsetDateTime,
        batch: u32,
    ) -> Result<u64> {
        self.prune_audit("listen_audit", tenant, before, batch)
            .await
    }

    async fn prune_audit(
        &self,
        table: &'static str,
        tenant: &str,
        before: OffsetDateTime,
        batch: u32,
    ) -> Result<u64> {
        // `table` is one of two names above, never input. The inner SELECT walks the
        // (tenant, at) index from the oldest row.
        let sql = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} \
             WHERE tenant = $1 AND at < $2 ORDER BY at, id LIMIT $3)"
        );
        let deleted = with_pool!(&self.pool, |p| sqlx::query(&sql)
            .bind(tenant)
            .bind(to_micros(before))
            .bind(i64::from(batch))
            .execute(p)
            .await
            .map_err(StoreError::db("prune an audit"))?
            .rows_affected());
        Ok(deleted)
    }
}
