//! The call history: one tenant's call records, newest first, filtered, a page at a time with a
//! keyset cursor (`started_at`, `call_id`) so that a page costs the same at the millionth row as
//! at the first (migration 0011 holds the indexes). Each row comes with the call's Case, if
//! one was recorded, and its recording's state.

use crate::{with_pool, Result, Store, StoreError};

/// Which records a page holds. Every field narrows; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallHistoryFilter {
    /// Started at or after (Unix milliseconds).
    pub from: Option<i64>,
    /// Started before.
    pub to: Option<i64>,
    /// The agent who answered first or had the call last (their name).
    pub agent: Option<String>,
    pub queue: Option<String>,
    /// The customer's number as stored (E.164).
    pub number: Option<String>,
    pub direction: Option<String>,
    pub outcome: Option<String>,
    /// Rows after this one in the order (the previous page's last `(started_at, call_id)`).
    pub after: Option<(i64, String)>,
}

/// A call record as the history lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallHistoryRow {
    pub call_id: String,
    pub direction: String,
    pub customer: String,
    pub queue: Option<String>,
    pub first_agent: Option<String>,
    pub last_agent: Option<String>,
    pub outcome: String,
    /// Unix milliseconds.
    pub started_at: i64,
    pub ended_at: i64,
    /// The Case's record id and label, when the call produced one.
    pub case: Option<(String, String)>,
    pub recording: RecordingState,
}

/// What the store knows of a call's recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordingState {
    /// Not stored (yet): still uploading, or never recorded.
    None,
    Stored,
    /// Removed by the tenant's retention.
    Removed,
}

enum Bind {
    Int(i64),
    Text(String),
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// The page's SQL (the same text on both engines) and its values in placeholder order.
fn page_sql(tenant: &str, filter: &CallHistoryFilter, limit: u32) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(tenant.to_string())];
    let mut sql = String::from(
        "SELECT r.call_id, r.direction, r.customer, r.queue, r.first_agent, r.last_agent, \
         r.outcome, r.started_at, r.ended_at, c.case_id, c.case_label, g.call_id, g.removed_at \
         FROM call_records r \
         LEFT JOIN call_cases c ON c.tenant = r.tenant AND c.call_id = r.call_id \
         LEFT JOIN recordings g ON g.tenant = r.tenant AND g.call_id = r.call_id \
         WHERE r.tenant = $1",
    );
    let mut add = |sql: &mut String, clause: &str, value: Bind| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(from) = filter.from {
        add(&mut sql, " AND r.started_at >= ?", Bind::Int(from));
    }
    if let Some(to) = filter.to {
        add(&mut sql, " AND r.started_at < ?", Bind::Int(to));
    }
    if let Some(agent) = &filter.agent {
        add(
            &mut sql,
            " AND (r.first_agent = ?",
            Bind::Text(agent.clone()),
        );
        add(&mut sql, " OR r.last_agent = ?)", Bind::Text(agent.clone()));
    }
    for (column, value) in [
        ("queue", &filter.queue),
        ("customer", &filter.number),
        ("direction", &filter.direction),
        ("outcome", &filter.outcome),
    ] {
        if let Some(value) = value {
            add(
                &mut sql,
                &format!(" AND r.{column} = ?"),
                Bind::Text(value.clone()),
            );
        }
    }
    if let Some((at, call)) = &filter.after {
        // The plain bound lets both engines start the index scan at the cursor; the OR alone
        // would make them walk every newer row first.
        add(&mut sql, " AND r.started_at <= ?", Bind::Int(*at));
        add(&mut sql, " AND (r.started_at < ?", Bind::Int(*at));
        add(&mut sql, " OR (r.started_at = ?", Bind::Int(*at));
        add(&mut sql, " AND r.call_id < ?))", Bind::Text(call.clone()));
    }
    add(
        &mut sql,
        " ORDER BY r.started_at DESC, r.call_id DESC LIMIT ?",
        Bind::Int(i64::from(limit)),
    );
    (sql, binds)
}

fn from_row(r: Row) -> CallHistoryRow {
    CallHistoryRow {
        call_id: r.0,
        direction: r.1,
        customer: r.2,
        queue: r.3,
        first_agent: r.4,
        last_agent: r.5,
        outcome: r.6,
        started_at: r.7,
        ended_at: r.8,
        case: r.9.zip(r.10),
        recording: match (r.11, r.12) {
            (None, _) => RecordingState::None,
            (Some(_), None) => RecordingState::Stored,
            (Some(_), Some(_)) => RecordingState::Removed,
        },
    }
}

impl Store {
    /// One page of `tenant`'s call history: at most `limit` rows matching `filter`, newest
    /// first (ties by call id, descending). The next page starts after the last row.
    pub async fn call_history(
        &self,
        tenant: &str,
        filter: &CallHistoryFilter,
        limit: u32,
    ) -> Result<Vec<CallHistoryRow>> {
        let (sql, binds) = page_sql(tenant, filter, limit);
        let rows: Vec<Row> = with_pool!(&self.pool, |p| {
            let mut query = sqlx::query_as(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Int(v) => query.bind(*v),
                    Bind::Text(v) => query.bind(v.clone()),
                };
            }
            query
                .fetch_all(p)
                .await
                .map_err(StoreError::db("read the call history"))?
        });
        Ok(rows.into_iter().map(from_row).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_filters_in_order() {
        let filter = CallHistoryFilter {
            agent: Some("ann".into()),
            outcome: Some("answered".into()),
            after: Some((5, "c".into())),
            ..CallHistoryFilter::default()
        };
        let (sql, binds) = page_sql("acme", &filter, 10);
        assert!(
            sql.contains("(r.first_agent = $2 OR r.last_agent = $3)"),
            "{sql}"
        );
        assert!(sql.contains("r.outcome = $4"), "{sql}");
        assert!(
            sql.contains(
                "r.started_at <= $5 AND (r.started_at < $6 OR (r.started_at = $7 AND r.call_id < $8))"
            ),
            "{sql}"
        );
        assert!(sql.ends_with("LIMIT $9"), "{sql}");
        assert_eq!(binds.len(), 9);
    }
}
