//! The Table API (servicenow.md §1.1-§1.3): `/api/now[/v1|/v2]/table/{table}[/{sys_id}]`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::error::SnError;
use super::gate::{self, admit, flag, param, query_pairs, Caller};
use crate::auth::acl::{self, Operation};
use crate::instance::{props, InputOptions, Instance, WriteError};
use crate::query::{self, BoundQuery, MatchOptions, QueryContext};
use crate::render::{render_as, DisplayMode, RenderOptions};

/// Default and maximum page size (current documentation: 10000).
const DEFAULT_LIMIT: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    Unversioned,
    V1,
    V2,
}

impl ApiVersion {
    fn prefix(self) -> &'static str {
        match self {
            ApiVersion::Unversioned => "/api/now/table",
            ApiVersion::V1 => "/api/now/v1/table",
            ApiVersion::V2 => "/api/now/v2/table",
        }
    }
}

fn version_of(raw: Option<&str>) -> Result<ApiVersion, SnError> {
    match raw {
        None => Ok(ApiVersion::Unversioned),
        Some("v1") => Ok(ApiVersion::V1),
        Some("v2") => Ok(ApiVersion::V2),
        Some(_) => Err(SnError::no_resource()),
    }
}

/// `X-http-method-override` is honoured (servicenow.md §1.1).
fn effective_method(method: &Method, headers: &HeaderMap) -> Method {
    headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Method::from_bytes(v.trim().to_ascii_uppercase().as_bytes()).ok())
        .unwrap_or_else(|| method.clone())
}

pub struct TableRequest {
    pub version: ApiVersion,
    pub table: String,
    pub sys_id: Option<String>,
    pub method: Method,
    pub headers: HeaderMap,
    pub raw_query: Option<String>,
    pub body: Bytes,
}

pub async fn collection(
    State(instance): State<Arc<Instance>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(instance, method, uri, params, headers, body).await
}

async fn dispatch(
    instance: Arc<Instance>,
    method: Method,
    uri: http::Uri,
    params: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let version = match version_of(get("version").as_deref()) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let request = TableRequest {
        version,
        table: get("table").unwrap_or_default(),
        sys_id: get("sys_id"),
        method: effective_method(&method, &headers),
        headers,
        raw_query: uri.query().map(str::to_string),
        body,
    };
    handle(&instance, request).await
}

pub async fn record(
    State(instance): State<Arc<Instance>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dispatch(instance, method, uri, params, headers, body).await
}

/// Serves one Table API request (also used by the Batch API for its items).
pub async fn handle(instance: &Arc<Instance>, request: TableRequest) -> Response {
    let caller = match admit(
        instance,
        &request.headers,
        "Table API",
        request.method.as_str(),
    ) {
        Ok(c) => c,
        Err(response) => return response,
    };
    if !gate::accepts_json(&request.headers) {
        return caller.finish(SnError::not_acceptable().into_response());
    }
    let result = match (&request.method, request.sys_id.is_some()) {
        (&Method::GET, false) => list(instance, &caller, &request, false),
        (&Method::HEAD, false) => list(instance, &caller, &request, true),
        (&Method::POST, false) => create(instance, &caller, &request).await,
        (&Method::GET, true) => get_one(instance, &caller, &request, false),
        (&Method::HEAD, true) => get_one(instance, &caller, &request, true),
        (&Method::PUT | &Method::PATCH, true) => update(instance, &caller, &request).await,
        (&Method::DELETE, true) => delete(instance, &caller, &request).await,
        _ => Err(SnError::method_not_allowed()),
    };
    caller.finish(result.unwrap_or_else(IntoResponse::into_response))
}

struct ReadParams {
    render: RenderOptions,
}

fn read_params(instance: &Instance, pairs: &[(String, String)]) -> ReadParams {
    let fields = param(pairs, "sysparm_fields")
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|f| !f.is_empty());
    ReadParams {
        render: RenderOptions {
            display: DisplayMode::parse(param(pairs, "sysparm_display_value").unwrap_or("false")),
            exclude_reference_link: flag(pairs, "sysparm_exclude_reference_link"),
            fields,
            base_url: instance.base_url().to_string(),
        },
    }
}

fn require_table(instance: &Instance, table: &str) -> Result<(), SnError> {
    if instance.db.read().table_def(table).is_some() {
        Ok(())
    } else {
        Err(SnError::invalid_table(table))
    }
}

fn check_acl(instance: &Instance, caller: &Caller, table: &str, op: Operation) -> bool {
    acl::allowed(&instance.db.read(), &caller.actor, table, op)
}

/// The filter of a list request: `sysparm_query`, or else name=value pairs naming columns
/// (the two are mutually exclusive, servicenow.md §1.2).
pub fn filter_query(instance: &Instance, table: &str, pairs: &[(String, String)]) -> String {
    if let Some(q) = param(pairs, "sysparm_query") {
        return q.to_string();
    }
    let db = instance.db.read();
    let Some(def) = db.table_def(table) else {
        return String::new();
    };
    let mut terms = Vec::new();
    for (name, value) in pairs {
        if name.starts_with("sysparm_") {
            continue;
        }
        let Some(column) = def.column(name) else {
            continue;
        };
        // Choice and reference columns also accept display values here.
        let mut value = value.clone();
        if let Some((v, _)) = column
            .choices
            .iter()
            .find(|(_, l)| l.eq_ignore_ascii_case(&value))
        {
            value = v.clone();
        }
        if let Some(target) = column.reference.as_deref() {
            if db.row_view(target, &value).is_none() {
                if let Some(tdef) = db.table_def(target) {
                    if let Some(r) = db.find_eq(target, tdef.display_column(), &value).first() {
                        value = r.get("sys_id").to_string();
                    }
                }
            }
        }
        terms.push(format!("{name}={}", value.replace('^', "^^")));
    }
    terms.join("^")
}

pub fn bind_query(
    instance: &Instance,
    actor: &crate::instance::Actor,
    table: &str,
    raw: &str,
) -> Option<BoundQuery> {
    let parsed = query::parse(raw);
    let options = MatchOptions {
        invalid_query_returns_no_rows: instance
            .property_is_true(props::INVALID_QUERY_RETURNS_NO_ROWS),
        case_sensitive_equality: instance.property_is_true(props::CASE_SENSITIVE_EQUALITY),
    };
    let context = QueryContext {
        user_sys_id: actor.user_sys_id.clone(),
        user_name: actor.user_name.clone(),
        now_utc: instance.clock.now_glide(),
    };
    let db = instance.db.read();
    let catalog = db.catalog(table)?;
    Some(parsed.bind(&catalog, &context, &options))
}

fn list(
    instance: &Instance,
    caller: &Caller,
    request: &TableRequest,
    head: bool,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    require_table(instance, table)?;
    if !check_acl(instance, caller, table, Operation::Read) {
        return Err(SnError::read_denied());
    }
    let pairs = query_pairs(request.raw_query.as_deref());
    let limit = match param(&pairs, "sysparm_limit").map(|v| v.trim().parse::<i64>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if n > 0 => n as usize,
        Some(_) => DEFAULT_LIMIT,
    };
    let offset = match param(&pairs, "sysparm_offset").map(|v| v.trim().parse::<i64>()) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n as usize,
        Some(_) => {
            return Err(SnError::new(
                StatusCode::BAD_REQUEST,
                "Invalid sysparm_offset",
                Some("sysparm_offset must be a number greater than or equal to 0".into()),
            ))
        }
    };
    let no_count = flag(&pairs, "sysparm_no_count");
    let suppress_links = flag(&pairs, "sysparm_suppress_pagination_header");
    let raw_query = filter_query(instance, table, &pairs);
    let bound = bind_query(instance, &caller.actor, table, &raw_query)
        .ok_or_else(|| SnError::invalid_table(table))?;
    instance.ensure_indexes(table, &bound);
    let params = read_params(instance, &pairs);
    let (results, total) = {
        let db = instance.db.read();
        let shape = db.table_def(table).expect("table exists");
        // Records of extending tables are checked against their own table's read ACL, as a real
        // instance evaluates ACLs on the record's class.
        let readable: std::collections::HashSet<String> = db
            .schema
            .descendants(table)
            .into_iter()
            .filter(|t| t == table || acl::allowed(&db, &caller.actor, t, Operation::Read))
            .collect();
        let hits: Vec<_> = db
            .select_rows(table, &bound)
            .into_iter()
            .filter(|row| readable.contains(&row.table.name))
            .collect();
        let total = hits.len();
        let page: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|row| Value::Object(render_as(row, shape, &params.render)))
            .collect();
        (page, total)
    };
    if results.is_empty() && request.version == ApiVersion::V1 {
        return Err(SnError::v1_empty_list());
    }
    let mut response = json_response(StatusCode::OK, &json!({ "result": results }), head);
    let headers = response.headers_mut();
    if !no_count {
        headers.insert("x-total-count", HeaderValue::from(total));
    }
    if !suppress_links {
        if let Some(link) = pagination_link(
            instance,
            request,
            &pairs,
            offset,
            limit,
            total,
            no_count,
            results.len(),
        ) {
            if let Ok(v) = HeaderValue::from_str(&link) {
                headers.insert(http::header::LINK, v);
            }
        }
    }
    Ok(response)
}

/// `Link` header with first/prev/next/last (servicenow.md §1.3); omitted for a single page.
#[allow(clippy::too_many_arguments)]
fn pagination_link(
    instance: &Instance,
    request: &TableRequest,
    pairs: &[(String, String)],
    offset: usize,
    limit: usize,
    total: usize,
    no_count: bool,
    returned: usize,
) -> Option<String> {
    let more = if no_count {
        returned == limit
    } else {
        offset + limit < total
    };
    if offset == 0 && !more {
        return None;
    }
    let url = |off: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if k != "sysparm_offset" && k != "sysparm_limit" {
                query.append_pair(k, v);
            }
        }
        query.append_pair("sysparm_offset", &off.to_string());
        query.append_pair("sysparm_limit", &limit.to_string());
        format!(
            "<{}{}/{}?{}>",
            instance.base_url(),
            request.version.prefix(),
            request.table,
            query.finish()
        )
    };
    let mut links = vec![format!("{};rel=\"first\"", url(0))];
    if offset > 0 {
        links.push(format!(
            "{};rel=\"prev\"",
            url(offset.saturating_sub(limit))
        ));
    }
    if more {
        links.push(format!("{};rel=\"next\"", url(offset + limit)));
    }
    if !no_count {
        let last = if total == 0 {
            0
        } else {
            (total - 1) / limit * limit
        };
        links.push(format!("{};rel=\"last\"", url(last)));
    }
    Some(links.join(","))
}

fn get_one(
    instance: &Instance,
    caller: &Caller,
    request: &TableRequest,
    head: bool,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    require_table(instance, table)?;
    if !check_acl(instance, caller, table, Operation::Read) {
        return Err(SnError::record_not_found());
    }
    let pairs = query_pairs(request.raw_query.as_deref());
    let params = read_params(instance, &pairs);
    let body = {
        let db = instance.db.read();
        let shape = db.table_def(table).expect("table exists");
        let row = db
            .find_in_hierarchy(table, request.sys_id.as_deref().unwrap_or(""))
            .ok_or_else(SnError::record_not_found)?;
        json!({ "result": Value::Object(render_as(&row, shape, &params.render)) })
    };
    Ok(json_response(StatusCode::OK, &body, head))
}

fn input_options(pairs: &[(String, String)]) -> InputOptions {
    InputOptions {
        display_values: flag(pairs, "sysparm_input_display_value"),
    }
}

fn display_of(fields: &Map<String, Value>, instance: &Instance, table: &str) -> String {
    let db = instance.db.read();
    let column = db
        .table_def(table)
        .map(|d| d.display_column().to_string())
        .unwrap_or_default();
    fields
        .get(&column)
        .map(crate::instance::value_to_string)
        .unwrap_or_default()
}

fn write_error(error: WriteError, verb: &str, table: &str, display: &str) -> SnError {
    match error {
        WriteError::NotFound { .. } => SnError::record_not_found(),
        WriteError::InvalidTable(t) => SnError::invalid_table(&t),
        WriteError::Duplicate { .. } => SnError::operation_failed(verb, table, display),
        WriteError::TooLong { column, len, max } => SnError::new(
            StatusCode::FORBIDDEN,
            "Operation Failed",
            Some(format!(
                "Error during {verb} of {table} ({display}): {column} is {len} characters, max_length is {max}"
            )),
        ),
        WriteError::Storage(e) => SnError::internal(e.to_string()),
    }
}

async fn create(
    instance: &Arc<Instance>,
    caller: &Caller,
    request: &TableRequest,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    require_table(instance, table)?;
    let fields = gate::json_body(&request.headers, &request.body)?;
    let display = display_of(&fields, instance, table);
    if !check_acl(instance, caller, table, Operation::Create) {
        return Err(SnError::operation_failed("insert", table, &display));
    }
    let pairs = query_pairs(request.raw_query.as_deref());
    let sys_id = instance
        .insert(table, &fields, &caller.actor, input_options(&pairs))
        .await
        .map_err(|e| write_error(e, "insert", table, &display))?;
    let location = format!(
        "{}{}/{}/{}",
        instance.base_url(),
        request.version.prefix(),
        table,
        sys_id
    );
    let mut response = written_response(
        instance,
        request,
        &pairs,
        table,
        &sys_id,
        StatusCode::CREATED,
    )?;
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(http::header::LOCATION, v);
    }
    Ok(response)
}

async fn update(
    instance: &Arc<Instance>,
    caller: &Caller,
    request: &TableRequest,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    require_table(instance, table)?;
    let sys_id = request.sys_id.as_deref().unwrap_or("");
    let fields = gate::json_body(&request.headers, &request.body)?;
    if !check_acl(instance, caller, table, Operation::Write) {
        let display = record_display(instance, table, sys_id);
        if !check_acl(instance, caller, table, Operation::Read) {
            return Err(SnError::record_not_found());
        }
        return Err(SnError::operation_failed("update", table, &display));
    }
    let pairs = query_pairs(request.raw_query.as_deref());
    let display = record_display(instance, table, sys_id);
    let holder = holding_table(instance, table, sys_id).ok_or_else(SnError::record_not_found)?;
    instance
        .update(
            &holder,
            sys_id,
            &fields,
            &caller.actor,
            input_options(&pairs),
        )
        .await
        .map_err(|e| write_error(e, "update", table, &display))?;
    written_response(instance, request, &pairs, table, sys_id, StatusCode::OK)
}

async fn delete(
    instance: &Arc<Instance>,
    caller: &Caller,
    request: &TableRequest,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    require_table(instance, table)?;
    let sys_id = request.sys_id.as_deref().unwrap_or("");
    let holder = holding_table(instance, table, sys_id).ok_or_else(SnError::record_not_found)?;
    if !check_acl(instance, caller, table, Operation::Delete) {
        // A record the caller cannot read is hidden: 404, as for GET and PATCH (§1.6).
        if !check_acl(instance, caller, table, Operation::Read) {
            return Err(SnError::record_not_found());
        }
        let display = record_display(instance, table, sys_id);
        return Err(SnError::operation_failed("delete", table, &display));
    }
    instance
        .delete(&holder, sys_id)
        .await
        .map_err(|e| write_error(e, "delete", table, sys_id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The table that really holds a record addressed through `table` (itself or an extension).
fn holding_table(instance: &Instance, table: &str, sys_id: &str) -> Option<String> {
    let db = instance.db.read();
    db.find_in_hierarchy(table, sys_id)
        .map(|r| r.table.name.clone())
}

fn record_display(instance: &Instance, table: &str, sys_id: &str) -> String {
    let db = instance.db.read();
    db.find_in_hierarchy(table, sys_id)
        .map(|r| r.get(r.table.display_column()).to_string())
        .unwrap_or_default()
}

/// The answer to a write: the record as written, unless `X-no-response-body: true`.
fn written_response(
    instance: &Instance,
    request: &TableRequest,
    pairs: &[(String, String)],
    table: &str,
    sys_id: &str,
    status: StatusCode,
) -> Result<Response, SnError> {
    let suppress = request
        .headers
        .get("x-no-response-body")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if suppress {
        return Ok(status.into_response());
    }
    let params = read_params(instance, pairs);
    let db = instance.db.read();
    let shape = db
        .table_def(table)
        .ok_or_else(|| SnError::invalid_table(table))?;
    let row = db
        .find_in_hierarchy(table, sys_id)
        .ok_or_else(SnError::record_not_found)?;
    let body = json!({ "result": Value::Object(render_as(&row, shape, &params.render)) });
    Ok(json_response(status, &body, false))
}

pub fn json_response(status: StatusCode, body: &Value, head: bool) -> Response {
    let text = if head {
        String::new()
    } else {
        body.to_string()
    };
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    response
}
