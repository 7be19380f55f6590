//! What the supervisor's charts count: per finished call in a period, its start, direction,
//! first queue, outcome and wait before the first answer. The wait lives only in the record's
//! JSON (`wait_ms`), so each engine extracts it in SQL with its own JSON function; the range
//! is read through the `(tenant, started_at, ...)` and `(tenant, queue, started_at, ...)`
//! indexes of migration 0011.

use crate::{Pool, Result, Store, StoreError};

/// One finished call as the charts count it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartCallRow {
    /// Unix milliseconds.
    pub started_at: i64,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The queue the call first waited in.
    pub queue: Option<String>,
    pub outcome: String,
    /// From the call's arrival to the first answer (or its end); `None` when the record does
    /// not hold it.
    pub wait_ms: Option<i64>,
}

type Row = (i64, String, Option<String>, String, Option<i64>);

/// The query for `engine`'s JSON function, with or without the queue filter.
fn sql(wait: &str, by_queue: bool) -> String {
    format!(
        "SELECT started_at, direction, queue, outcome, {wait} FROM call_records \
         WHERE tenant = $1 AND started_at >= $2 AND started_at < $3{} \
         ORDER BY started_at",
        if by_queue { " AND queue = $4" } else { "" }
    )
}

const SQLITE_WAIT: &str = "json_extract(record, '$.wait_ms')";
const POSTGRES_WAIT: &str = "CAST(CAST(record AS json) ->> 'wait_ms' AS BIGINT)";

impl Store {
    /// `tenant`'s finished calls that started in `[from, to)` (Unix milliseconds), oldest
    /// first; only those that first waited in `queue` when one is named.
    pub async fn chart_calls(
        &self,
        tenant: &str,
        from: i64,
        to: i64,
        queue: Option<&str>,
    ) -> Result<Vec<ChartCallRow>> {
        let rows: Vec<Row> = match &self.pool {
            Pool::Sqlite(p) => {
                let text = sql(SQLITE_WAIT, queue.is_some());
                let mut query = sqlx::query_as(&text).bind(tenant).bind(from).bind(to);
                if let Some(queue) = queue {
                    query = query.bind(queue);
                }
                query.fetch_all(p).await
            }
            Pool::Postgres(p) => {
                let text = sql(POSTGRES_WAIT, queue.is_some());
                let mut query = sqlx::query_as(&text).bind(tenant).bind(from).bind(to);
                if let Some(queue) = queue {
                    query = query.bind(queue);
                }
                query.fetch_all(p).await
            }
        }
        .map_err(StoreError::db("read the calls for the charts"))?;
        Ok(rows
            .into_iter()
            .map(|r| ChartCallRow {
                started_at: r.0,
                direction: r.1,
                queue: r.2,
                outcome: r.3,
                wait_ms: r.4,
            })
            .collect())
    }
}
