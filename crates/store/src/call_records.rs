//! Call-detail records: one row per finished call, written once.

use crate::{with_pool, Result, Store, StoreError};

/// A finished call as the store keeps it. `record` is the full record as JSON (its shape belongs
/// to the telephony layer); the other fields are the ones queries filter and sort on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecordRow {
    pub tenant: String,
    pub call_id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The customer's number as shown to agents.
    pub customer: String,
    pub queue: Option<String>,
    pub first_agent: Option<String>,
    pub last_agent: Option<String>,
    /// A short outcome word (`answered`, `abandoned`, ...).
    pub outcome: String,
    /// Unix milliseconds.
    pub started_at: i64,
    /// Unix milliseconds.
    pub ended_at: i64,
    pub record: String,
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    String,
);

fn from_row(r: Row) -> CallRecordRow {
    CallRecordRow {
        tenant: r.0,
        call_id: r.1,
        direction: r.2,
        customer: r.3,
        queue: r.4,
        first_agent: r.5,
        last_agent: r.6,
        outcome: r.7,
        started_at: r.8,
        ended_at: r.9,
        record: r.10,
    }
}

impl Store {
    /// Stores a call's record. A call has one record: a second save for the same call is ignored
    /// and `false` is returned (a replayed end of call must not overwrite the first record).
    pub async fn save_call_record(&self, row: &CallRecordRow) -> Result<bool> {
        let inserted = with_pool!(&self.pool, |p| {
            sqlx::query(
            "INSERT INTO call_records (tenant, call_id, direction, customer, queue, first_agent, \
             last_agent, outcome, started_at, ended_at, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (tenant, call_id) DO NOTHING"
        )
        .bind(&row.tenant)
        .bind(&row.call_id)
        .bind(&row.direction)
        .bind(&row.customer)
        .bind(&row.queue)
        .bind(&row.first_agent)
        .bind(&row.last_agent)
        .bind(&row.outcome)
        .bind(row.started_at)
        .bind(row.ended_at)
        .bind(&row.record)
        .execute(p)
        .await
        .map_err(StoreError::db("save a call record"))?
        .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Stores many records in one transaction (an import, a benchmark's fixture), each once
    /// like [`save_call_record`](Self::save_call_record); returns how many were new.
    pub async fn save_call_records(&self, rows: &[CallRecordRow]) -> Result<u64> {
        const INSERT: &str = "INSERT INTO call_records (tenant, call_id, direction, customer, \
             queue, first_agent, last_agent, outcome, started_at, ended_at, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (tenant, call_id) DO NOTHING";
        let inserted = with_pool!(&self.pool, |p| {
            let mut tx = p
                .begin()
                .await
                .map_err(StoreError::db("begin saving call records"))?;
            let mut inserted = 0;
            for row in rows {
                inserted += sqlx::query(INSERT)
                    .bind(&row.tenant)
                    .bind(&row.call_id)
                    .bind(&row.direction)
                    .bind(&row.customer)
                    .bind(&row.queue)
                    .bind(&row.first_agent)
                    .bind(&row.last_agent)
                    .bind(&row.outcome)
                    .bind(row.started_at)
                    .bind(row.ended_at)
                    .bind(&row.record)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::db("save a call record"))?
                    .rows_affected();
            }
            tx.commit()
                .await
                .map_err(StoreError::db("commit call records"))?;
            inserted
        });
        Ok(inserted)
    }

    /// The record of one call.
    pub async fn call_record(&self, tenant: &str, call_id: &str) -> Result<Option<CallRecordRow>> {
        let row: Option<Row> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, direction, customer, queue, first_agent, last_agent, \
             outcome, started_at, ended_at, record FROM call_records \
             WHERE tenant = $1 AND call_id = $2"
        )
        .bind(tenant)
        .bind(call_id)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read a call record"))?);
        Ok(row.map(from_row))
    }

    /// `tenant`'s most recent records (by start time), newest first.
    pub async fn recent_call_records(
        &self,
        tenant: &str,
        limit: u32,
    ) -> Result<Vec<CallRecordRow>> {
        let rows: Vec<Row> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, call_id, direction, customer, queue, first_agent, last_agent, \
             outcome, started_at, ended_at, record FROM call_records \
             WHERE tenant = $1 ORDER BY started_at DESC, call_id LIMIT $2"
        )
        .bind(tenant)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await
        .map_err(StoreError::db("list call records"))?);
        Ok(rows.into_iter().map(from_row).collect())
    }
}
