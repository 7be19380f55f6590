//! The outbox: every CRM write is recorded here before it is attempted, exactly once per intent.
//!
//! Life of an item: `pending` (due at `next_attempt_at`; while a worker holds it, `leased_until`
//! is in the future) → `done` (with its result) or `dead` (past the retry budget; an admin can
//! replay it back to `pending`). Claiming hands an item to at most one worker per lease; the
//! worker renews the lease while it works. A worker that dies mid-attempt simply lets the lease
//! run out (or the next start of the process serving the tenant releases it), and the next claim
//! gets the item again with its attempt counter one higher.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;

use crate::time_conv::{
    duration_micros, from_micros, opt_from_micros, to_micros, wall_clock_micros,
};
use crate::{with_pool, Pool, Result, Store, StoreError};

/// The id of an outbox item (unique in the database, across tenants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One intended CRM write, unique on `(tenant, kind, idempotency_key)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// The tenant whose CRM the write goes to.
    pub tenant: String,
    /// What makes this intent unique within its kind, e.g. the call id for "create_case".
    pub idempotency_key: String,
    /// What to do, e.g. "create_case".
    pub kind: String,
    /// Everything the worker needs to do it.
    pub payload: Value,
}

impl OutboxItem {
    /// An item for `tenant` of `kind`, keyed by `idempotency_key`.
    pub fn new(
        tenant: impl Into<String>,
        kind: impl Into<String>,
        idempotency_key: impl Into<String>,
        payload: Value,
    ) -> Self {
        OutboxItem {
            tenant: tenant.into(),
            idempotency_key: idempotency_key.into(),
            kind: kind.into(),
            payload,
        }
    }
}

/// What [`Store::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The item's id: the new one, or the one already recorded for the same key.
    pub id: OutboxId,
    /// `false` when an item with the same `(tenant, kind, idempotency_key)` already existed (in
    /// whatever state) and nothing was written.
    pub created: bool,
}

/// An item handed to a worker by [`Store::claim_due`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedItem {
    /// Pass this to [`Store::complete`], [`Store::retry_later`] or [`Store::dead_letter`].
    pub id: OutboxId,
    /// The tenant.
    pub tenant: String,
    /// What to do.
    pub kind: String,
    /// The idempotency key (e.g. the call id, the CRM correlation value).
    pub idempotency_key: String,
    /// The payload as enqueued.
    pub payload: Value,
    /// Which attempt this is, from 1. Above 1 an earlier attempt may have reached the CRM: look
    /// the correlation id up before creating.
    pub attempt: u32,
    /// The worker holds the item until then; after that another claim may take it.
    pub leased_until: OffsetDateTime,
    /// The error the previous attempt reported, if any.
    pub last_error: Option<String>,
}

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting for its next attempt, or leased to a worker (see `leased_until`).
    Pending,
    /// Written to the CRM; the result is kept.
    Done,
    /// Given up on; waits for an admin to replay it.
    DeadLetter,
}

impl OutboxStatus {
    fn from_db(text: &str) -> Result<Self> {
        match text {
            "pending" => Ok(OutboxStatus::Pending),
            "done" => Ok(OutboxStatus::Done),
            "dead" => Ok(OutboxStatus::DeadLetter),
            other => Err(StoreError::Corrupt(format!(
                "unknown outbox status {other:?}"
            ))),
        }
    }
}

/// Everything recorded about an outbox item (for admin views and diagnostics).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    /// The id.
    pub id: OutboxId,
    /// The tenant.
    pub tenant: String,
    /// What to do.
    pub kind: String,
    /// The idempotency key.
    pub idempotency_key: String,
    /// The payload as enqueued.
    pub payload: Value,
    /// Pending, done or dead-lettered.
    pub status: OutboxStatus,
    /// Attempts claimed so far (reset to 0 by a replay).
    pub attempts: u32,
    /// When the item is next due. Items are due at once when enqueued, which is recorded as the
    /// Unix epoch so that any caller clock finds them due.
    pub next_attempt_at: OffsetDateTime,
    /// Set while (or since) a worker held the item.
    pub leased_until: Option<OffsetDateTime>,
    /// The last error a worker reported through [`Store::retry_later`].
    pub last_error: Option<String>,
    /// The result given to [`Store::complete`].
    pub result: Option<Value>,
    /// Why it was dead-lettered.
    pub dead_reason: Option<String>,
    /// When it was enqueued (system clock).
    pub created_at: OffsetDateTime,
    /// When it was completed or dead-lettered (system clock).
    pub finished_at: Option<OffsetDateTime>,
    /// When an admin discarded the dead letter (it is then never replayed).
    pub discarded_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    tenant: String,
    kind: String,
    idempotency_key: String,
    payload: String,
    attempts: i64,
    next_attempt_at: i64,
    leased_until: Option<i64>,
    last_error: Option<String>,
}

impl ClaimRow {
    fn into_claimed(self) -> Result<ClaimedItem> {
        let id = OutboxId(self.id);
        Ok(ClaimedItem {
            payload: parse_json(id, "payload", &self.payload)?,
            attempt: attempts(id, self.attempts)?,
            leased_until: from_micros(self.leased_until.ok_or_else(|| {
                StoreError::Corrupt(format!("outbox item {id} was claimed without a lease"))
            })?)?,
            id,
            tenant: self.tenant,
            kind: self.kind,
            idempotency_key: self.idempotency_key,
            last_error: self.last_error,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    tenant: String,
    kind: String,
    idempotency_key: String,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    leased_until: Option<i64>,
    last_error: Option<String>,
    result: Option<String>,
    dead_reason: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
    discarded_at: Option<i64>,
}

impl RecordRow {
    fn into_record(self) -> Result<OutboxRecord> {
        let id = OutboxId(self.id);
        Ok(OutboxRecord {
            payload: parse_json(id, "payload", &self.payload)?,
            status: OutboxStatus::from_db(&self.status)?,
            attempts: attempts(id, self.attempts)?,
            next_attempt_at: from_micros(self.next_attempt_at)?,
            leased_until: opt_from_micros(self.leased_until)?,
            result: self
                .result
                .as_deref()
                .map(|r| parse_json(id, "result", r))
                .transpose()?,
            created_at: from_micros(self.created_at)?,
            finished_at: opt_from_micros(self.finished_at)?,
            discarded_at: opt_from_micros(self.discarded_at)?,
            id,
            tenant: self.tenant,
            kind: self.kind,
            idempotency_key: self.idempotency_key,
            last_error: self.last_error,
            dead_reason: self.dead_reason,
        })
    }
}

fn parse_json(id: OutboxId, column: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("outbox item {id}: {column} is not JSON: {e}")))
}

fn attempts(id: OutboxId, n: i64) -> Result<u32> {
    u32::try_from(n)
        .map_err(|_| StoreError::Corrupt(format!("outbox item {id}: attempt count {n}")))
}

fn to_json_text(value: &Value) -> String {
    // Serialising a `Value` to a string cannot fail (its map keys are always strings).
    serde_json::to_string(value).expect("a serde_json::Value always serialises")
}

const RECORD_COLUMNS: &str = "id, tenant, kind, idempotency_key, payload, status, attempts, \
     next_attempt_at, leased_until, last_error, result, dead_reason, created_at, finished_at, \
     discarded_at";

const CLAIM_SQLITE: &str = "\
    UPDATE outbox SET leased_until = $2, attempts = attempts + 1 \
    WHERE id IN ( \
        SELECT id FROM outbox \
        WHERE status = 'pending' AND next_attempt_at <= $1 \
          AND (leased_until IS NULL OR leased_until <= $1) \
        ORDER BY next_attempt_at, id LIMIT $3) \
    RETURNING id, tenant, kind, idempotency_key, payload, attempts, next_attempt_at, \
              leased_until, last_error";

const CLAIM_POSTGRES: &str = "\
    WITH due AS ( \
        SELECT id FROM outbox \
        WHERE status = 'pending' AND next_attempt_at <= $1 \
          AND (leased_until IS NULL OR leased_until <= $1) \
        ORDER BY next_attempt_at, id LIMIT $3 \
        FOR UPDATE SKIP LOCKED) \
    UPDATE outbox SET leased_until = $2, attempts = outbox.attempts + 1 \
    FROM due WHERE outbox.id = due.id \
    RETURNING outbox.id, outbox.tenant, outbox.kind, outbox.idempotency_key, outbox.payload, \
              outbox.attempts, outbox.next_attempt_at, outbox.leased_until, outbox.last_error";

impl Store {
    /// Records the intent `item` unless one with the same `(tenant, kind, idempotency_key)`
    /// already exists, in which case nothing changes and the existing id is returned. A new
    /// item is due at once.
    pub async fn enqueue(&self, item: OutboxItem) -> Result<Enqueued> {
        let payload = to_json_text(&item.payload);
        let created_at = wall_clock_micros();
        with_pool!(&self.pool, |p| {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO outbox (tenant, kind, idempotency_key, payload, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 0, $5) \
                 ON CONFLICT (tenant, kind, idempotency_key) DO NOTHING \
                 RETURNING id",
            )
            .bind(&item.tenant)
            .bind(&item.kind)
            .bind(&item.idempotency_key)
            .bind(&payload)
            .bind(created_at)
            .fetch_optional(p)
            .await
            .map_err(StoreError::db("enqueue an outbox item"))?;
            match inserted {
                Some(id) => Ok(Enqueued {
                    id: OutboxId(id),
                    created: true,
                }),
                None => {
                    // Items are never deleted, so the conflicting row is still there.
                    let id: i64 = sqlx::query_scalar(
                        "SELECT id FROM outbox \
                         WHERE tenant = $1 AND kind = $2 AND idempotency_key = $3",
                    )
                    .bind(&item.tenant)
                    .bind(&item.kind)
                    .bind(&item.idempotency_key)
                    .fetch_one(p)
                    .await
                    .map_err(StoreError::db("find an existing outbox item"))?;
                    Ok(Enqueued {
                        id: OutboxId(id),
                        created: false,
                    })
                }
            }
        })
    }

    /// Hands out up to `limit` pending items due at `now` that no worker holds (or whose lease
    /// has run out), leasing each until `now + lease_for` and counting the attempt. Safe with
    /// any number of concurrent callers, in one process or (on PostgreSQL) many: an item is
    /// never handed out twice within one lease. Items come oldest-due first.
    ///
    /// Choose `lease_for` longer than one attempt can take (the CRM request timeout plus
    /// margin); a worker still busy when its lease runs out may find another worker on the
    /// same item.
    pub async fn claim_due(
        &self,
        now: OffsetDateTime,
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<ClaimedItem>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now_us = to_micros(now);
        let until_us = now_us.saturating_add(duration_micros(lease_for));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        const OP: &str = "claim due outbox items";
        let mut rows: Vec<ClaimRow> = match &self.pool {
            Pool::Sqlite(p) => {
                // IMMEDIATE takes the write lock up front, so concurrent claimers queue on the
                // busy timeout instead of failing on a read-to-write upgrade.
                let mut tx = p
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::db(OP))?;
                let rows = sqlx::query_as(CLAIM_SQLITE)
                    .bind(now_us)
                    .bind(until_us)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(StoreError::db(OP))?;
                tx.commit().await.map_err(StoreError::db(OP))?;
                rows
            }
            Pool::Postgres(p) => sqlx::query_as(CLAIM_POSTGRES)
                .bind(now_us)
                .bind(until_us)
                .bind(limit)
                .fetch_all(p)
                .await
                .map_err(StoreError::db(OP))?,
        };
        // RETURNING gives no order guarantee.
        rows.sort_by_key(|r| (r.next_attempt_at, r.id));
        rows.into_iter().map(ClaimRow::into_claimed).collect()
    }

    /// Extends the lease of an item this worker still holds to `until` (a heartbeat while a
    /// write runs, so leases can be short). "Still holds" means nobody claimed it since: the
    /// claim's `attempt` is still the item's attempt count and it is pending and leased. Returns
    /// `false`, changing nothing, otherwise; the worker should then stop its attempt.
    pub async fn renew_lease(
        &self,
        id: OutboxId,
        attempt: u32,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let until = to_micros(until);
        let renewed = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET leased_until = $3 \
             WHERE id = $1 AND attempts = $2 AND status = 'pending' AND leased_until IS NOT NULL"
        )
        .bind(id.0)
        .bind(i64::from(attempt))
        .bind(until)
        .execute(p)
        .await
        .map_err(StoreError::db("renew an outbox lease"))?
        .rows_affected());
        Ok(renewed == 1)
    }

    /// Makes `tenant`'s leased pending items claimable at once, returning how many were leased.
    /// For start-up only, by the one process serving the tenant: every lease found then was
    /// taken by a process that has stopped (on SQLite only one process uses the file; on
    /// PostgreSQL each tenant is served by one instance at a time), so waiting for it to run out
    /// would only delay the write. Attempt counts are kept, so the next attempt looks the CRM up
    /// before it creates anything.
    pub async fn release_leases(&self, tenant: &str) -> Result<u64> {
        let released = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET leased_until = NULL \
             WHERE tenant = $1 AND status = 'pending' AND leased_until IS NOT NULL"
        )
        .bind(tenant)
        .execute(p)
        .await
        .map_err(StoreError::db("release outbox leases"))?
        .rows_affected());
        Ok(released)
    }

    /// Marks a pending item done and keeps `result` (e.g. the created Case's sys_id) for
    /// [`Store::outbox_result`]. Returns `false`, changing nothing, when the item was already
    /// done or dead-lettered.
    pub async fn complete(&self, id: OutboxId, result: Value) -> Result<bool> {
        let result = to_json_text(&result);
        let finished_at = wall_clock_micros();
        let changed = with_pool!(&self.pool, |p| {
            sqlx::query(
            "UPDATE outbox SET status = 'done', result = $2, leased_until = NULL, finished_at = $3 \
             WHERE id = $1 AND status = 'pending'"
        )
        .bind(id.0)
        .bind(&result)
        .bind(finished_at)
        .execute(p)
        .await
        .map_err(StoreError::db("complete an outbox item"))?
        .rows_affected()
        });
        self.changed_or_known(id, changed).await
    }

    /// Releases a pending item and makes it due again at `at`, recording `last_error`. Returns
    /// `false`, changing nothing, when the item is already done or dead-lettered.
    pub async fn retry_later(
        &self,
        id: OutboxId,
        at: OffsetDateTime,
        last_error: &str,
    ) -> Result<bool> {
        let at = to_micros(at);
        let changed = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2, leased_until = NULL, last_error = $3 \
             WHERE id = $1 AND status = 'pending'"
        )
        .bind(id.0)
        .bind(at)
        .bind(last_error)
        .execute(p)
        .await
        .map_err(StoreError::db("reschedule an outbox item"))?
        .rows_affected());
        self.changed_or_known(id, changed).await
    }

    /// Gives up on a pending item: it leaves the queue for the dead-letter list with `reason`.
    /// Returns `false`, changing nothing, when the item is already done or dead-lettered.
    pub async fn dead_letter(&self, id: OutboxId, reason: &str) -> Result<bool> {
        let finished_at = wall_clock_micros();
        let changed = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET status = 'dead', dead_reason = $2, leased_until = NULL, \
             finished_at = $3 \
             WHERE id = $1 AND status = 'pending'"
        )
        .bind(id.0)
        .bind(reason)
        .bind(finished_at)
        .execute(p)
        .await
        .map_err(StoreError::db("dead-letter an outbox item"))?
        .rows_affected());
        self.changed_or_known(id, changed).await
    }

    /// The tenant's dead-lettered items, oldest first (discarded ones are not listed).
    pub async fn dead_letters(&self, tenant: &str) -> Result<Vec<OutboxRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM outbox \
             WHERE tenant = $1 AND status = 'dead' AND discarded_at IS NULL ORDER BY id"
        );
        let rows: Vec<RecordRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(tenant)
            .fetch_all(p)
            .await
            .map_err(StoreError::db("list dead letters"))?);
        rows.into_iter().map(RecordRow::into_record).collect()
    }

    /// Puts a dead-lettered item back in the queue, due at `now`, with a fresh retry budget
    /// (its last error is kept). Its attempt count restarts at 1, not 0: the attempt after a
    /// replay is a retry, so the worker looks for the write in the CRM before making it again
    /// (an earlier attempt may have reached the CRM with its answer lost). Returns `false`,
    /// changing nothing, when the item is not dead-lettered, or was discarded.
    pub async fn replay_dead_letter(&self, id: OutboxId, now: OffsetDateTime) -> Result<bool> {
        let now = to_micros(now);
        let changed = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 1, next_attempt_at = $2, \
             leased_until = NULL, dead_reason = NULL, finished_at = NULL \
             WHERE id = $1 AND status = 'dead' AND discarded_at IS NULL"
        )
        .bind(id.0)
        .bind(now)
        .execute(p)
        .await
        .map_err(StoreError::db("replay a dead letter"))?
        .rows_affected());
        self.changed_or_known(id, changed).await
    }

    /// Discards a dead letter: it stays recorded (payload, errors) but is never replayed and no
    /// longer listed by [`dead_letters`](Store::dead_letters). Returns `false`, changing
    /// nothing, when the item is not a dead letter or was already discarded.
    pub async fn discard_dead_letter(&self, id: OutboxId, now: OffsetDateTime) -> Result<bool> {
        let changed = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE outbox SET discarded_at = $2 \
             WHERE id = $1 AND status = 'dead' AND discarded_at IS NULL"
        )
        .bind(id.0)
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("discard a dead letter"))?
        .rows_affected());
        self.changed_or_known(id, changed).await
    }

    /// The tenant's writes not done yet: pending ones and dead letters not discarded, newest
    /// first, at most `limit`.
    pub async fn open_outbox_items(&self, tenant: &str, limit: u32) -> Result<Vec<OutboxRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM outbox \
             WHERE tenant = $1 AND (status = 'pending' OR (status = 'dead' AND discarded_at IS NULL)) \
             ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<RecordRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await
            .map_err(StoreError::db("list open outbox items"))?);
        rows.into_iter().map(RecordRow::into_record).collect()
    }

    /// Everything recorded about one item.
    pub async fn outbox_item(&self, id: OutboxId) -> Result<Option<OutboxRecord>> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM outbox WHERE id = $1");
        let row: Option<RecordRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(id.0)
            .fetch_optional(p)
            .await
            .map_err(StoreError::db("read an outbox item"))?);
        row.map(RecordRow::into_record).transpose()
    }

    /// Everything recorded about the item `(tenant, kind, key)`, whatever its status; `None`
    /// if there is no such item.
    pub async fn outbox_item_by_key(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<OutboxRecord>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM outbox \
             WHERE tenant = $1 AND kind = $2 AND idempotency_key = $3"
        );
        let row: Option<RecordRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(kind)
            .bind(key)
            .fetch_optional(p)
            .await
            .map_err(StoreError::db("read an outbox item by its key"))?);
        row.map(RecordRow::into_record).transpose()
    }

    /// The result of the completed item `(tenant, kind, key)`; `None` if there is no such item
    /// or it is not done.
    pub async fn outbox_result(
        &self,
        tenant: &str,
        kind: &str,
        key: &str,
    ) -> Result<Option<Value>> {
        let row: Option<(i64, Option<String>)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT id, result FROM outbox \
             WHERE tenant = $1 AND kind = $2 AND idempotency_key = $3 AND status = 'done'"
        )
        .bind(tenant)
        .bind(kind)
        .bind(key)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read an outbox result"))?);
        match row {
            Some((id, Some(text))) => Ok(Some(parse_json(OutboxId(id), "result", &text)?)),
            _ => Ok(None),
        }
    }

    /// How many of the tenant's items are waiting or in progress (not done, not dead).
    pub async fn pending_count(&self, tenant: &str) -> Result<u64> {
        let n: i64 = with_pool!(&self.pool, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE tenant = $1 AND status = 'pending'"
        )
        .bind(tenant)
        .fetch_one(p)
        .await
        .map_err(StoreError::db("count pending outbox items"))?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `Ok(true)` if a state change happened; otherwise `Ok(false)` for an existing item and
    /// [`StoreError::UnknownOutboxItem`] for an id that names none.
    async fn changed_or_known(&self, id: OutboxId, rows_affected: u64) -> Result<bool> {
        if rows_affected > 0 {
            return Ok(true);
        }
        let exists: Option<i64> = with_pool!(&self.pool, |p| sqlx::query_scalar(
            "SELECT id FROM outbox WHERE id = $1"
        )
        .bind(id.0)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read an outbox item"))?);
        match exists {
            Some(_) => Ok(false),
            None => Err(StoreError::UnknownOutboxItem(id)),
        }
    }
}
