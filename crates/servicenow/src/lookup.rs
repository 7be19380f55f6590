//! Screen-pop lookup: who holds this phone number, across the configured tables, in one CRM
//! round trip (servicenow.md §3.5 "Connector strategy").
//!
//! The caller computes the stored-format variants of the number (E.164, national, punctuated)
//! and, optionally, a suffix for a `LIKE` fallback; this module only asks. For each table the
//! query is `col1=v1^ORcol1=v2^OR..^ORcol2=v1..[^ORcol1LIKE<suffix>..]`, every value checked
//! and escaped by [`crate::query`]. One table is one Table API GET; several are one Batch API
//! request with one GET per table. At least 2 rows are asked per table so that ambiguity is
//! visible. The candidates must be re-checked client-side: `=` may be case-insensitive and
//! `LIKE` matches anywhere.

use std::fmt;

use crate::client::{Auth, TableClient, TableRequest};
use crate::error::ApiError;
use crate::names::{ColumnName, SysId, TableName};
use crate::query::{Condition, Query};
use crate::record::Record;

/// Shortest suffix accepted for the `LIKE` fallback: shorter ones match too much.
pub const MIN_SUFFIX_LEN: usize = 4;

/// Columns asked for on every lookup besides the configured ones (unknown fields are ignored by
/// the instance, servicenow.md §1.2): what a display name and an account come from.
const STANDARD_FIELDS: [&str; 6] = [
    "sys_id",
    "name",
    "first_name",
    "last_name",
    "number",
    "account",
];

/// One table to search and the phone columns to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupTarget {
    pub table: TableName,
    pub phone_columns: Vec<ColumnName>,
    /// More fields to bring back in [`Candidate::raw`].
    pub fields: Vec<ColumnName>,
}

/// A record that may hold the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub table: TableName,
    pub sys_id: SysId,
    /// `name`, else first and last name, else `number`, else the sys_id.
    pub display_name: String,
    /// The non-empty configured phone columns with the values as stored.
    pub phones: Vec<(ColumnName, String)>,
    /// The record's `account` reference, when it has one.
    pub account: Option<SysId>,
    pub raw: Record,
}

/// A lookup failed; `table` says which table's answer failed when the request as a whole did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    pub table: Option<TableName>,
    pub error: ApiError,
}

impl LookupError {
    pub fn is_retryable(&self) -> bool {
        self.error.is_retryable()
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.table {
            Some(table) => write!(f, "phone lookup in {table}: {}", self.error),
            None => write!(f, "phone lookup: {}", self.error),
        }
    }
}

impl std::error::Error for LookupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<ApiError> for LookupError {
    fn from(error: ApiError) -> LookupError {
        LookupError { table: None, error }
    }
}

/// The query for one target.
fn target_query(
    target: &LookupTarget,
    exact_values: &[String],
    suffix: Option<&str>,
) -> Result<Query, LookupError> {
    let fail = |error: ApiError| LookupError {
        table: Some(target.table.clone()),
        error,
    };
    if target.phone_columns.is_empty() {
        return Err(fail(ApiError::InvalidRequest(format!(
            "lookup target {} names no phone column",
            target.table
        ))));
    }
    let mut values: Vec<&str> = Vec::with_capacity(exact_values.len());
    for v in exact_values {
        if !values.contains(&v.as_str()) {
            values.push(v);
        }
    }
    let mut conditions = Vec::new();
    for column in &target.phone_columns {
        for value in &values {
            conditions.push(Condition::eq(column, value).map_err(|e| fail(e.into()))?);
        }
    }
    if let Some(suffix) = suffix {
        for column in &target.phone_columns {
            conditions.push(Condition::like(column, suffix).map_err(|e| fail(e.into()))?);
        }
    }
    let condition = Condition::any(conditions).expect("at least one value and one column");
    Ok(Query::from_condition(condition))
}

fn target_fields(target: &LookupTarget) -> Vec<ColumnName> {
    let mut fields: Vec<ColumnName> = STANDARD_FIELDS
        .iter()
        .map(|f| ColumnName::new(*f).expect("standard field names are valid"))
        .collect();
    for f in target.phone_columns.iter().chain(&target.fields) {
        if !fields.contains(f) {
            fields.push(f.clone());
        }
    }
    fields
}

fn candidate(target: &LookupTarget, raw: Record) -> Result<Candidate, ApiError> {
    let sys_id = raw
        .sys_id()
        .ok_or_else(|| {
            ApiError::UnexpectedResponse(format!("a {} record has no sys_id", target.table))
        })
        .and_then(|id| {
            SysId::new(id).map_err(|e| {
                ApiError::UnexpectedResponse(format!("a {} record: {e}", target.table))
            })
        })?;
    let full_name = format!(
        "{} {}",
        raw.get_or_empty("first_name").trim(),
        raw.get_or_empty("last_name").trim()
    );
    let display_name = raw
        .non_empty("name")
        .map(|n| n.trim().to_string())
        .or_else(|| Some(full_name.trim().to_string()).filter(|n| !n.is_empty()))
        .or_else(|| raw.non_empty("number").map(str::to_string))
        .unwrap_or_else(|| sys_id.to_string());
    let phones = target
        .phone_columns
        .iter()
        .filter_map(|c| {
            raw.non_empty(c.as_str())
                .map(|v| (c.clone(), v.to_string()))
        })
        .collect();
    let account = raw.non_empty("account").and_then(|a| SysId::new(a).ok());
    Ok(Candidate {
        table: target.table.clone(),
        sys_id,
        display_name,
        phones,
        account,
        raw,
    })
}

/// Finds the records of `targets` whose phone columns hold one of `exact_values` (or, with
/// `suffix`, contain it), in one round trip. Up to `limit` (at least 2) records per table, in
/// target order. No values and no suffix: no request, no candidates. Any table failing fails
/// the lookup (a partial answer could make an ambiguous number look unique).
pub async fn lookup_by_phone(
    client: &TableClient,
    auth: &Auth,
    targets: &[LookupTarget],
    exact_values: &[String],
    suffix: Option<&str>,
    limit: usize,
) -> Result<Vec<Candidate>, LookupError> {
    if let Some(s) = suffix {
        if s.chars().count() < MIN_SUFFIX_LEN {
            return Err(ApiError::InvalidRequest(format!(
                "a suffix of {} characters would match too many records; use at least {MIN_SUFFIX_LEN}",
                s.chars().count()
            ))
            .into());
        }
    }
    if targets.is_empty() || (exact_values.is_empty() && suffix.is_none()) {
        return Ok(Vec::new());
    }
    let limit = limit.max(2);
    let mut requests = Vec::with_capacity(targets.len());
    for target in targets {
        let query = target_query(target, exact_values, suffix)?;
        requests.push(TableRequest::list(
            &target.table,
            &query,
            &target_fields(target),
            limit,
        ));
    }
    let answers: Vec<(&LookupTarget, Result<Vec<Record>, ApiError>)> = if requests.len() == 1 {
        let body = client
            .execute(auth, &requests[0])
            .await
            .map_err(|error| LookupError {
                table: Some(targets[0].table.clone()),
                error,
            })?;
        vec![(&targets[0], crate::record::parse_list(&body))]
    } else {
        let outcomes = client.batch(auth, &requests).await?;
        targets
            .iter()
            .zip(outcomes)
            .map(|(t, o)| (t, o.into_records()))
            .collect()
    };
    let mut candidates = Vec::new();
    for (target, records) in answers {
        let fail = |error: ApiError| LookupError {
            table: Some(target.table.clone()),
            error,
        };
        for record in records.map_err(fail)? {
            candidates.push(candidate(target, record).map_err(fail)?);
        }
    }
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_sandbox::query::parse;

    fn target() -> LookupTarget {
        LookupTarget {
            table: TableName::new("customer_contact").unwrap(),
            phone_columns: vec![
                ColumnName::new("phone").unwrap(),
                ColumnName::new("mobile_phone").unwrap(),
            ],
            fields: vec![ColumnName::new("email").unwrap()],
        }
    }

    #[test]
    fn rule_3_5_one_or_chain_per_table_with_the_suffix_last() {
        let values = vec![
            "+81312345678".to_string(),
            "03-1234-5678".to_string(),
            "+81312345678".to_string(),
        ];
        let query = target_query(&target(), &values, Some("12345678"))
            .unwrap()
            .encode();
        assert_eq!(
            query,
            "phone=+81312345678^ORphone=03-1234-5678^ORmobile_phone=+81312345678^ORmobile_phone=03-1234-5678\
             ^ORphoneLIKE12345678^ORmobile_phoneLIKE12345678"
        );
        let parsed = parse(&query);
        assert_eq!(parsed.groups.len(), 1);
        assert_eq!(
            parsed.groups[0].clauses.len(),
            1,
            "one OR clause: nothing ANDed or NQ-ed"
        );
        assert_eq!(parsed.groups[0].clauses[0].terms.len(), 6);
    }

    #[test]
    fn rule_1_4_hostile_values_fail_the_lookup_before_any_request() {
        for hostile in ["javascript:gs.getUserID()", "1\n2", ""] {
            let error = target_query(&target(), &[hostile.to_string()], None).unwrap_err();
            assert!(
                matches!(error.error, ApiError::InvalidRequest(_)),
                "{hostile:?}"
            );
            assert_eq!(
                error.table.as_ref().map(TableName::as_str),
                Some("customer_contact")
            );
        }
        let no_columns = LookupTarget {
            phone_columns: vec![],
            ..target()
        };
        assert!(target_query(&no_columns, &["1".into()], None).is_err());
    }

    #[test]
    fn candidates_take_names_phones_and_account_from_the_record() {
        let raw: Record = [
            ("sys_id", "0123456789abcdef0123456789abcdef"),
            ("name", "Yui Sato"),
            ("phone", "+81 3-1234-5678"),
            ("mobile_phone", ""),
            ("account", "fedcba9876543210fedcba9876543210"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = candidate(&target(), raw).unwrap();
        assert_eq!(c.display_name, "Yui Sato");
        assert_eq!(
            c.phones,
            vec![(
                ColumnName::new("phone").unwrap(),
                "+81 3-1234-5678".to_string()
            )]
        );
        assert_eq!(
            c.account.unwrap().as_str(),
            "fedcba9876543210fedcba9876543210"
        );
        let consumer: Record = [
            ("sys_id", "abc"),
            ("first_name", "Mei"),
            ("last_name", "Suzuki"),
            ("account", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = candidate(&target(), consumer).unwrap();
        assert_eq!(c.display_name, "Mei Suzuki");
        assert_eq!(c.account, None);
        let nameless: Record = [("sys_id".to_string(), "abc".to_string())]
            .into_iter()
            .collect();
        assert_eq!(candidate(&target(), nameless).unwrap().display_name, "abc");
        let broken: Record = [("sys_id".to_string(), "../x".to_string())]
            .into_iter()
            .collect();
        assert!(matches!(
            candidate(&target(), broken),
            Err(ApiError::UnexpectedResponse(_))
        ));
    }
}
