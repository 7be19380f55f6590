//! The Table API (servicenow.md §1) and the Batch API (§4.1).
//!
//! Every call names its credentials ([`Auth`]); token refresh policy belongs to the caller.
//! Reads always ask for `sysparm_exclude_reference_link=true` and `sysparm_display_value=false`
//! (references come back as plain sys_ids, values as stored), lists add
//! `sysparm_no_count=true` and `sysparm_suppress_pagination_header=true` (§4.4), and the whole
//! query string is percent-encoded (§1.4). The connection is keep-alive.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use rand::RngCore;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::connection::{query_string, Instance, RawResponse};
use crate::error::{json_kind, snippet, ApiError};
use crate::names::{ColumnName, SysId, TableName};
use crate::query::Query;
use crate::record::{parse_list, parse_single, Record};

/// Table API path (v2: an empty list is `200 []`, never v1's 404, §1.1).
const TABLE_PATH: &str = "api/now/v2/table";
const BATCH_PATH: &str = "api/now/v1/batch";
/// The Table API's own maximum page size.
pub const MAX_LIMIT: usize = 10_000;

/// Credentials for one call.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <access token>`.
    Bearer(String),
    /// HTTP Basic (always available unless REST access policies forbid it, §2.4).
    Basic { user: String, password: String },
}

impl Auth {
    pub fn bearer(token: impl Into<String>) -> Auth {
        Auth::Bearer(token.into())
    }

    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Auth {
        Auth::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Auth::Basic { user, .. } => {
                write!(f, "Auth::Basic {{ user: {user:?}, password: <redacted> }}")
            }
        }
    }
}

/// One Table API request, as a method, a path below the instance root and a body. Built by
/// the constructors, which take only validated names; usable directly or inside a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRequest {
    method: Method,
    /// `api/now/v2/table/<table>[/<sys_id>]?<percent-encoded query>`.
    path_and_query: String,
    body: Option<Vec<u8>>,
}

fn fields_param(fields: &[ColumnName]) -> String {
    let mut seen: Vec<&str> = Vec::with_capacity(fields.len());
    for f in fields {
        if !seen.contains(&f.as_str()) {
            seen.push(f.as_str());
        }
    }
    seen.join(",")
}

/// Checks a write body: column names of the table itself, values strings, numbers or booleans.
fn write_body(values: &Map<String, Value>) -> Result<Vec<u8>, ApiError> {
    for (name, value) in values {
        ColumnName::plain(name.as_str())?;
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            Value::Null => {
                return Err(ApiError::InvalidRequest(format!(
                    "field '{name}' is null; send \"\" to clear a field (servicenow.md §1.1)"
                )))
            }
            other => {
                return Err(ApiError::InvalidRequest(format!(
                    "field '{name}' is {}; a field value is a string",
                    json_kind(other)
                )))
            }
        }
    }
    serde_json::to_vec(values).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

impl TableRequest {
    fn new(
        method: Method,
        table: &TableName,
        sys_id: Option<&SysId>,
        pairs: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> TableRequest {
        let mut path_and_query = format!("{TABLE_PATH}/{table}");
        if let Some(id) = sys_id {
            path_and_query.push('/');
            path_and_query.push_str(id.as_str());
        }
        if !pairs.is_empty() {
            path_and_query.push('?');
            path_and_query.push_str(&query_string(pairs));
        }
        TableRequest {
            method,
            path_and_query,
            body,
        }
    }

    /// `GET /api/now/v2/table/<table>?sysparm_query=..&sysparm_fields=..&sysparm_limit=..`.
    /// `limit` is clamped to 1..=10000 (`sysparm_limit=0` would mean the default, 10000).
    pub fn list(
        table: &TableName,
        query: &Query,
        fields: &[ColumnName],
        limit: usize,
    ) -> TableRequest {
        let encoded = query.encode();
        let fields = fields_param(fields);
        let limit = limit.clamp(1, MAX_LIMIT).to_string();
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(7);
        if !encoded.is_empty() {
            pairs.push(("sysparm_query", &encoded));
        }
        if !fields.is_empty() {
            pairs.push(("sysparm_fields", &fields));
        }
        pairs.extend([
            ("sysparm_limit", limit.as_str()),
            ("sysparm_display_value", "false"),
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_no_count", "true"),
            ("sysparm_suppress_pagination_header", "true"),
        ]);
        TableRequest::new(Method::GET, table, None, &pairs, None)
    }

    /// `GET /api/now/v2/table/<table>/<sys_id>`.
    pub fn get(table: &TableName, sys_id: &SysId, fields: &[ColumnName]) -> TableRequest {
        let fields = fields_param(fields);
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(3);
        if !fields.is_empty() {
            pairs.push(("sysparm_fields", &fields));
        }
        pairs.extend([
            ("sysparm_display_value", "false"),
            ("sysparm_exclude_reference_link", "true"),
        ]);
        TableRequest::new(Method::GET, table, Some(sys_id), &pairs, None)
    }

    /// `POST /api/now/v2/table/<table>` with one record; the answer carries `fields` (all
    /// when empty).
    pub fn create(
        table: &TableName,
        values: &Map<String, Value>,
        fields: &[ColumnName],
    ) -> Result<TableRequest, ApiError> {
        let body = write_body(values)?;
        Ok(TableRequest::new(
            Method::POST,
            table,
            None,
            &write_pairs(&fields_param(fields)),
            Some(body),
        ))
    }

    /// `DELETE /api/now/v2/table/<table>/<sys_id>` (204, empty answer).
    pub fn delete(table: &TableName, sys_id: &SysId) -> TableRequest {
        TableRequest::new(Method::DELETE, table, Some(sys_id), &[], None)
    }

    /// `PATCH /api/now/v2/table/<table>/<sys_id>` (a partial update).
    pub fn update(
        table: &TableName,
        sys_id: &SysId,
        values: &Map<String, Value>,
        fields: &[ColumnName],
    ) -> Result<TableRequest, ApiError> {
        let body = write_body(values)?;
        Ok(TableRequest::new(
            Method::PATCH,
            table,
            Some(sys_id),
            &write_pairs(&fields_param(fields)),
            Some(body),
        ))
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path below the instance root, with its percent-encoded query string.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }
}

fn write_pairs(fields: &str) -> Vec<(&str, &str)> {
    let mut pairs = Vec::with_capacity(3);
    if !fields.is_empty() {
        pairs.push(("sysparm_fields", fields));
    }
    pairs.extend([
        ("sysparm_display_value", "false"),
        ("sysparm_exclude_reference_link", "true"),
    ]);
    pairs
}

/// The answer to one item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// The instance ran the item: its status, headers and body.
    Serviced {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
    /// A batch limit stopped the instance before this item (send it again).
    Unserviced,
}

impl BatchOutcome {
    fn success(self) -> Result<Vec<u8>, ApiError> {
        match self {
            BatchOutcome::Unserviced => Err(ApiError::Unserviced),
            BatchOutcome::Serviced {
                status,
                headers,
                body,
            } => RawResponse {
                status,
                headers,
                body,
            }
            .success()
            .map(|r| r.body),
        }
    }

    /// The records of a list item.
    pub fn into_records(self) -> Result<Vec<Record>, ApiError> {
        parse_list(&self.success()?)
    }

    /// The record of a get, create or update item.
    pub fn into_record(self) -> Result<Record, ApiError> {
        parse_single(&self.success()?)
    }
}

/// The Table and Batch APIs of one instance.
#[derive(Debug, Clone)]
pub struct TableClient {
    instance: Instance,
}

impl TableClient {
    pub fn new(instance: Instance) -> TableClient {
        TableClient { instance }
    }

    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Runs one request directly and returns the answer if it is a success.
    pub async fn execute(&self, auth: &Auth, request: &TableRequest) -> Result<Vec<u8>, ApiError> {
        let url = self
            .instance
            .url("", &[])
            .join(&request.path_and_query)
            .map_err(|e| ApiError::InvalidRequest(format!("cannot build the request URL: {e}")))?;
        let mut builder = self
            .instance
            .http()
            .request(request.method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &request.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = self.instance.send(auth.apply(builder)).await?;
        Ok(response.success()?.body)
    }

    /// Records of `table` matching `query` (at most `limit`), with `fields` (all when empty).
    pub async fn list(
        &self,
        auth: &Auth,
        table: &TableName,
        query: &Query,
        fields: &[ColumnName],
        limit: usize,
    ) -> Result<Vec<Record>, ApiError> {
        let body = self
            .execute(auth, &TableRequest::list(table, query, fields, limit))
            .await?;
        parse_list(&body)
    }

    /// One record; None when it does not exist or an ACL hides it (404, §1.6).
    pub async fn get(
        &self,
        auth: &Auth,
        table: &TableName,
        sys_id: &SysId,
        fields: &[ColumnName],
    ) -> Result<Option<Record>, ApiError> {
        match self
            .execute(auth, &TableRequest::get(table, sys_id, fields))
            .await
        {
            Ok(body) => parse_single(&body).map(Some),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Inserts one record; the answer (201) carries `fields` of the new record (all when empty).
    pub async fn create(
        &self,
        auth: &Auth,
        table: &TableName,
        values: &Map<String, Value>,
        fields: &[ColumnName],
    ) -> Result<Record, ApiError> {
        let body = self
            .execute(auth, &TableRequest::create(table, values, fields)?)
            .await?;
        parse_single(&body)
    }

    /// Updates some fields of one record (PATCH).
    pub async fn update(
        &self,
        auth: &Auth,
        table: &TableName,
        sys_id: &SysId,
        values: &Map<String, Value>,
        fields: &[ColumnName],
    ) -> Result<Record, ApiError> {
        let body = self
            .execute(auth, &TableRequest::update(table, sys_id, values, fields)?)
            .await?;
        parse_single(&body)
    }

    /// Deletes one record.
    pub async fn delete(
        &self,
        auth: &Auth,
        table: &TableName,
        sys_id: &SysId,
    ) -> Result<(), ApiError> {
        self.execute(auth, &TableRequest::delete(table, sys_id))
            .await
            .map(|_| ())
    }

    /// Runs several requests in one round trip (`POST /api/now/v1/batch`); outcomes come back
    /// in the order of `requests`. The instance runs items one after another, each under the
    /// batch's credentials and ACLs (§4.1).
    pub async fn batch(
        &self,
        auth: &Auth,
        requests: &[TableRequest],
    ) -> Result<Vec<BatchOutcome>, ApiError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let batch_id = {
            let mut bytes = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let items: Vec<Value> = requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut headers = vec![json!({"name": "Accept", "value": "application/json"})];
                let mut item = json!({
                    "id": (i + 1).to_string(),
                    "method": r.method.as_str(),
                    "url": format!("/{}", r.path_and_query),
                    "exclude_response_headers": false,
                });
                if let Some(body) = &r.body {
                    headers.push(json!({"name": "Content-Type", "value": "application/json"}));
                    item["body"] = Value::String(STANDARD.encode(body));
                }
                item["headers"] = Value::Array(headers);
                item
            })
            .collect();
        let body = json!({"batch_request_id": batch_id, "rest_requests": items});
        let builder = self
            .instance
            .http()
            .post(self.instance.url(BATCH_PATH, &[]))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let response = self.instance.send(auth.apply(builder)).await?.success()?;
        parse_batch(&response.body, &batch_id, requests.len())
    }
}

/// Reads a batch answer into one outcome per request, in request order.
fn parse_batch(body: &[u8], batch_id: &str, count: usize) -> Result<Vec<BatchOutcome>, ApiError> {
    let unexpected = |what: String| ApiError::UnexpectedResponse(format!("Batch API: {what}"));
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        unexpected(format!(
            "the body is not JSON (it starts with '{}')",
            snippet(body)
        ))
    })?;
    let Value::Object(root) = value else {
        return Err(unexpected(format!(
            "the body is {}, not an object",
            json_kind(&value)
        )));
    };
    let id_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(echo) = root.get("batch_request_id") {
        if id_text(echo).as_deref() != Some(batch_id) {
            return Err(unexpected(
                "the answer is for another batch_request_id".into(),
            ));
        }
    }
    let mut outcomes: Vec<Option<BatchOutcome>> = vec![None; count];
    let index_of = |id: &Value| -> Result<usize, ApiError> {
        id_text(id)
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| (1..=count).contains(n))
            .map(|n| n - 1)
            .ok_or_else(|| {
                unexpected(format!(
                    "an item id {} that was not sent",
                    crate::names::shown(&id.to_string())
                ))
            })
    };
    let list = |name: &str| -> Result<Vec<Value>, ApiError> {
        match root.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(other) => Err(unexpected(format!(
                "`{name}` is {}, not a list",
                json_kind(other)
            ))),
        }
    };
    for item in list("serviced_requests")? {
        let Value::Object(item) = item else {
            return Err(unexpected("a serviced request is not an object".into()));
        };
        let index = index_of(item.get("id").unwrap_or(&Value::Null))?;
        let status = match item.get("status_code") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| unexpected("a serviced request has no valid status_code".into()))?
            as u16;
        let body = match item.get("body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(encoded)) => {
                let compact: String = encoded
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                STANDARD
                    .decode(&compact)
                    .or_else(|_| STANDARD_NO_PAD.decode(compact.trim_end_matches('=')))
                    .map_err(|_| unexpected("a serviced request's body is not base64".into()))?
            }
            Some(other) => {
                return Err(unexpected(format!(
                    "a serviced request's body is {}",
                    json_kind(other)
                )))
            }
        };
        let mut headers = HeaderMap::new();
        if let Some(Value::Array(list)) = item.get("headers") {
            for h in list {
                let (Some(name), Some(value)) = (
                    h.get("name").and_then(Value::as_str),
                    h.get("value").and_then(Value::as_str),
                ) else {
                    continue;
                };
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.trim().as_bytes()),
                    HeaderValue::from_str(value.trim()),
                ) {
                    headers.append(name, value);
                }
            }
        }
        outcomes[index] = Some(BatchOutcome::Serviced {
            status,
            headers,
            body,
        });
    }
    for id in list("unserviced_requests")? {
        let index = index_of(&id)?;
        outcomes[index] = Some(BatchOutcome::Unserviced);
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            o.ok_or_else(|| {
                unexpected(format!("item {} is neither serviced nor unserviced", i + 1))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Condition;

    fn table(name: &str) -> TableName {
        TableName::new(name).unwrap()
    }

    fn col(name: &str) -> ColumnName {
        ColumnName::new(name).unwrap()
    }

    // servicenow.md §4.4 hot-path knobs and §1.4 percent-encoding.
    #[test]
    fn rule_4_4_lists_ask_for_the_cheap_answer() {
        let query = Query::from_condition(Condition::eq(&col("phone"), "+81 3-1234-5678").unwrap());
        let request = TableRequest::list(
            &table("customer_contact"),
            &query,
            &[col("sys_id"), col("phone"), col("phone")],
            0,
        );
        assert_eq!(
            request.path_and_query(),
            "api/now/v2/table/customer_contact?sysparm_query=phone%3D%2B81%203-1234-5678\
             &sysparm_fields=sys_id%2Cphone&sysparm_limit=1&sysparm_display_value=false\
             &sysparm_exclude_reference_link=true&sysparm_no_count=true&sysparm_suppress_pagination_header=true"
        );
        let big = TableRequest::list(&table("task"), &Query::new(), &[], 1_000_000);
        assert!(
            big.path_and_query().contains("sysparm_limit=10000"),
            "{}",
            big.path_and_query()
        );
        assert!(!big.path_and_query().contains("sysparm_query"));
    }

    #[test]
    fn write_bodies_take_only_plain_columns_and_scalar_values() {
        let mut values = Map::new();
        values.insert("short_description".into(), json!("Call from +1 408"));
        values.insert("priority".into(), json!(3));
        assert!(TableRequest::create(&table("sn_customerservice_case"), &values, &[]).is_ok());
        for (key, value) in [
            ("Short Description", json!("x")),
            ("account.name", json!("x")),
            ("x^ORy", json!("x")),
            ("contact", Value::Null),
            ("contact", json!(["a"])),
        ] {
            let mut bad = Map::new();
            bad.insert(key.into(), value);
            let error =
                TableRequest::create(&table("sn_customerservice_case"), &bad, &[]).unwrap_err();
            assert!(
                matches!(error, ApiError::InvalidRequest(_)),
                "{key}: {error:?}"
            );
        }
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let shown = format!(
            "{:?} {:?}",
            Auth::bearer("tok-123"),
            Auth::basic("alice", "pw-456")
        );
        assert!(
            !shown.contains("tok-123") && !shown.contains("pw-456"),
            "{shown}"
        );
        assert!(shown.contains("alice"));
    }

    // servicenow.md §4.1 response shape.
    #[test]
    fn rule_4_1_batch_answers_map_back_to_requests_in_order() {
        let ok = STANDARD.encode(br#"{"result":[{"sys_id":"a"}]}"#);
        let body = json!({
            "batch_request_id": "b1",
            "serviced_requests": [
                {"id": "2", "body": STANDARD.encode(br#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#), "status_code": 403, "status_text": "Forbidden", "headers": [], "execution_time": 1},
                {"id": "1", "body": ok, "status_code": 200, "status_text": "OK", "headers": [{"name": "Content-Type", "value": "application/json"}], "execution_time": 5}
            ],
            "unserviced_requests": ["3"]
        });
        let outcomes = parse_batch(body.to_string().as_bytes(), "b1", 3).unwrap();
        let mut outcomes = outcomes.into_iter();
        assert_eq!(
            outcomes.next().unwrap().into_records().unwrap()[0].sys_id(),
            Some("a")
        );
        assert!(matches!(
            outcomes.next().unwrap().into_records(),
            Err(ApiError::Forbidden { .. })
        ));
        assert_eq!(
            outcomes.next().unwrap().into_records(),
            Err(ApiError::Unserviced)
        );
    }

    #[test]
    fn hostile_batch_answers_are_unexpected_responses() {
        let cases = [
            json!({"batch_request_id": "other", "serviced_requests": [], "unserviced_requests": ["1"]}),
            json!({"batch_request_id": "b1", "serviced_requests": [], "unserviced_requests": []}),
            json!({"batch_request_id": "b1", "serviced_requests": [{"id": "9", "status_code": 200}]}),
            json!({"batch_request_id": "b1", "serviced_requests": [{"id": "1", "status_code": "x"}]}),
            json!({"batch_request_id": "b1", "serviced_requests": [{"id": "1", "status_code": 200, "body": "!!"}]}),
            json!({"batch_request_id": "b1", "serviced_requests": {"id": "1"}}),
            json!([]),
        ];
        for body in cases {
            let error = parse_batch(body.to_string().as_bytes(), "b1", 1).unwrap_err();
            assert!(
                matches!(error, ApiError::UnexpectedResponse(_)),
                "{body}: {error:?}"
            );
        }
        assert!(parse_batch(b"<html>", "b1", 1).is_err());
        // A number id (PySNC style) is accepted.
        let body = json!({"batch_request_id": "b1", "serviced_requests": [{"id": 1, "status_code": 200, "body": STANDARD.encode(br#"{"result":[]}"#)}]});
        assert_eq!(
            parse_batch(body.to_string().as_bytes(), "b1", 1)
                .unwrap()
                .remove(0)
                .into_records()
                .unwrap(),
            vec![]
        );
    }
}
