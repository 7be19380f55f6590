//! Stored recordings (one per call: its object key, size, and when retention removed it) and the
//! listen audit (every open of a recording page, every media fetch, every retention deletion).

use time::OffsetDateTime;

use crate::time_conv::{from_micros, opt_from_micros, to_micros};
use crate::{with_pool, Result, Store, StoreError};

/// A call's recording as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRow {
    pub tenant: String,
    pub call_id: String,
    /// The WAV's key in the tenant's object store.
    pub object_key: String,
    pub bytes: i64,
    pub stored_at: OffsetDateTime,
    /// When the tenant's retention deleted it; `None` while it is kept.
    pub removed_at: Option<OffsetDateTime>,
}

/// What was done with a recording, as the audit names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenAction {
    /// The recording page was opened (or a sign-in for it started).
    Open,
    /// The audio was fetched (a signed media URL was presented).
    Media,
    /// The tenant's retention deleted the recording.
    Retention,
}

impl ListenAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ListenAction::Open => "open",
            ListenAction::Media => "media",
            ListenAction::Retention => "retention",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<ListenAction> {
        match text {
            "open" => Ok(ListenAction::Open),
            "media" => Ok(ListenAction::Media),
            "retention" => Ok(ListenAction::Retention),
            other => Err(StoreError::Corrupt(format!(
                "listen audit action {other:?} is none of open, media, retention"
            ))),
        }
    }
}

/// One row of the listen audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenEntry {
    pub tenant: String,
    pub call_id: String,
    pub at: OffsetDateTime,
    pub action: ListenAction,
    /// Who, as shown: the CRM user name, `account:<name>` for a Callbridge account, `anonymous`
    /// before any sign-in, `retention` for the background task.
    pub viewer: String,
    /// The CRM user's record id when the viewer signed in with the CRM.
    pub crm_user_id: Option<String>,
    /// The client's address (`-` for the background task).
    pub source: String,
    pub allowed: bool,
    /// Why it was allowed or refused, in words.
    pub reason: String,
}

type RecordingTuple = (String, String, String, i64, i64, Option<i64>);

fn recording_from(r: RecordingTuple) -> Result<RecordingRow> {
    Ok(RecordingRow {
        tenant: r.0,
        call_id: r.1,
        object_key: r.2,
        bytes: r.3,
        stored_at: from_micros(r.4)?,
        removed_at: opt_from_micros(r.5)?,
    })
}

type EntryTuple = (
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
    /// Records that `call_id`'s recording is stored under `object_key`. A second report for the
    /// same call (an upload retried after a restart) updates the key and size.
    pub async fn save_recording(
        &self,
        tenant: &str,
        call_id: &str,
        object_key: &str,
        bytes: i64,
        stored_at: OffsetDateTime,
    ) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO recordings (tenant, call_id, object_key, bytes, stored_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant, call_id) DO UPDATE SET object_key = excluded.object_key, \
             bytes = excluded.bytes, stored_at = excluded.stored_at, removed_at = NULL"
        )
        .bind(tenant)
        .bind(call_id)
        .bind(object_key)
        .bind(bytes)
        .bind(to_micros(stored_at))
        .execute(p)
        .await
        .map_err(StoreError::db("record a stored recording"))?
        .rows_affected());
        Ok(())
    }

    /// The recording of `call_id`, removed or not.
    pub async fn recording(&self, tenant: &str, call_id: &str) -> Result<Option<RecordingRow>> {
        let row: Option<RecordingTuple> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, object_key, bytes, stored_at, removed_at FROM recordings \
             WHERE tenant = $1 AND call_id = $2"
        )
        .bind(tenant)
        .bind(call_id)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read a recording"))?);
        row.map(recording_from).transpose()
    }

    /// Up to `limit` of the tenant's recordings stored before `cutoff` and not yet removed,
    /// oldest first.
    pub async fn recordings_stored_before(
        &self,
        tenant: &str,
        cutoff: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<RecordingRow>> {
        let rows: Vec<RecordingTuple> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, object_key, bytes, stored_at, removed_at FROM recordings \
             WHERE tenant = $1 AND stored_at < $2 AND removed_at IS NULL \
             ORDER BY stored_at LIMIT $3"
        )
        .bind(tenant)
        .bind(to_micros(cutoff))
        .bind(limit)
        .fetch_all(p)
        .await
        .map_err(StoreError::db("list old recordings"))?);
        rows.into_iter().map(recording_from).collect()
    }

    /// Marks a recording as removed by retention (its objects are already deleted).
    pub async fn mark_recording_removed(
        &self,
        tenant: &str,
        call_id: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE recordings SET removed_at = $3 WHERE tenant = $1 AND call_id = $2"
        )
        .bind(tenant)
        .bind(call_id)
        .bind(to_micros(at))
        .execute(p)
        .await
        .map_err(StoreError::db("mark a recording removed"))?
        .rows_affected());
        Ok(())
    }

    /// Appends one row to the listen audit.
    pub async fn audit_listen(&self, entry: &ListenEntry) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO listen_audit (tenant, call_id, at, action, viewer, crm_user_id, source, \
             allowed, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(&entry.tenant)
        .bind(&entry.call_id)
        .bind(to_micros(entry.at))
        .bind(entry.action.as_str())
        .bind(&entry.viewer)
        .bind(&entry.crm_user_id)
        .bind(&entry.source)
        .bind(entry.allowed)
        .bind(&entry.reason)
        .execute(p)
        .await
        .map_err(StoreError::db("write the listen audit"))?
        .rows_affected());
        Ok(())
    }

    /// The tenant's listen audit from `since` on, oldest first. An open before any sign-in whose
    /// tenant could not be known is kept under the tenant `""`.
    pub async fn listen_audit(
        &self,
        tenant: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<ListenEntry>> {
        let rows: Vec<EntryTuple> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, at, action, viewer, crm_user_id, source, allowed, reason \
             FROM listen_audit WHERE tenant = $1 AND at >= $2 ORDER BY at, id"
        )
        .bind(tenant)
        .bind(to_micros(since))
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
}
