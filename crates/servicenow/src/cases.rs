//! Cases keyed by the call: find one by its correlation column (the idempotency key an outbox
//! looks up before any retry creates), and create one in a single POST (servicenow.md §3.1:
//! `correlation_id`, string, max length 100, "a good slot for the call/interaction id").

use serde_json::{Map, Value};

use crate::client::{Auth, TableClient};
use crate::error::ApiError;
use crate::names::{ColumnName, SysId, TableName};
use crate::query::{Condition, Query};
use crate::record::Record;

/// A Case as the adapter refers to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseRef {
    pub sys_id: SysId,
    /// `CS0001021`; empty if the table numbers nothing.
    pub number: String,
}

fn returned_fields() -> [ColumnName; 3] {
    ["sys_id", "number", "sys_created_on"].map(|f| ColumnName::new(f).expect("valid field name"))
}

fn case_ref(table: &TableName, record: &Record) -> Result<CaseRef, ApiError> {
    let sys_id = record.sys_id().ok_or_else(|| {
        ApiError::UnexpectedResponse(format!("the {table} record in the answer has no sys_id"))
    })?;
    let sys_id = SysId::new(sys_id)
        .map_err(|e| ApiError::UnexpectedResponse(format!("the {table} record: {e}")))?;
    Ok(CaseRef {
        sys_id,
        number: record.get_or_empty("number").to_string(),
    })
}

/// The Case whose `correlation_column` holds `call_id`, if any. With several (a duplicate made
/// before this adapter existed), the oldest is returned and a warning logged.
pub async fn find_by_correlation(
    client: &TableClient,
    auth: &Auth,
    case_table: &TableName,
    correlation_column: &ColumnName,
    call_id: &str,
) -> Result<Option<CaseRef>, ApiError> {
    let created = ColumnName::new("sys_created_on").expect("valid field name");
    let query =
        Query::from_condition(Condition::eq(correlation_column, call_id)?).order_by(&created);
    let records = client
        .list(auth, case_table, &query, &returned_fields(), 2)
        .await?;
    if records.len() > 1 {
        tracing::warn!(
            table = %case_table,
            column = %correlation_column,
            call_id,
            "several records share one correlation id; using the oldest"
        );
    }
    records.first().map(|r| case_ref(case_table, r)).transpose()
}

/// Creates a Case with `fields` (correlation id, phone, recording URL, contact/account/consumer,
/// assigned_to, contact_type, short_description: the caller's choice) in one POST.
pub async fn create_case(
    client: &TableClient,
    auth: &Auth,
    case_table: &TableName,
    fields: Map<String, Value>,
) -> Result<CaseRef, ApiError> {
    let record = client
        .create(auth, case_table, &fields, &returned_fields())
        .await?;
    case_ref(case_table, &record)
}
