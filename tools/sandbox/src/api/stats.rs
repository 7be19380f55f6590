//! The Aggregate API (servicenow.md §4.2): `GET /api/now[/v1|/v2]/stats/{table}`.
//!
//! Counts, averages, minimums, maximums and sums over the rows a Table API list would select
//! (`sysparm_query` or name=value filters, §1.2), optionally grouped (`sysparm_group_by`),
//! filtered on aggregates (`sysparm_having`) and ordered (`sysparm_order_by`). Every number goes
//! out as a string (§1.3); averages carry four decimals, as in the documented sample.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Map, Value};

use super::error::SnError;
use super::gate::{admit, flag, param, query_pairs, Caller};
use super::table::{bind_query, filter_query, json_response};
use crate::auth::acl::{self, Operation};
use crate::instance::Instance;
use crate::query::{FieldKind, Row};
use crate::render::DisplayMode;
use crate::schema::Column;
use crate::store::{Db, RowView};

/// One Aggregate API request, however it arrived (its own route or a Batch API item).
pub struct StatsRequest {
    pub table: String,
    pub method: Method,
    pub headers: HeaderMap,
    pub raw_query: Option<String>,
}

/// Route handler for `/api/now/stats/{table}` and `/api/now/{version}/stats/{table}`.
pub async fn stats(
    State(instance): State<Arc<Instance>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    Path(params): Path<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(version) = get("version") {
        if version != "v1" && version != "v2" {
            return SnError::no_resource().into_response();
        }
    }
    let request = StatsRequest {
        table: get("table").unwrap_or_default(),
        method,
        headers,
        raw_query: uri.query().map(str::to_string),
    };
    handle(&instance, request)
}

/// Serves one Aggregate API request (also used by the Batch API for its items).
pub fn handle(instance: &Arc<Instance>, request: StatsRequest) -> Response {
    let caller = match admit(
        instance,
        &request.headers,
        "Aggregate API",
        request.method.as_str(),
    ) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let result = match request.method {
        Method::GET => aggregate(instance, &caller, &request, false),
        Method::HEAD => aggregate(instance, &caller, &request, true),
        _ => Err(SnError::method_not_allowed()),
    };
    caller.finish(result.unwrap_or_else(IntoResponse::into_response))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Count,
    Avg,
    Min,
    Max,
    Sum,
}

impl Func {
    fn parse(raw: &str) -> Option<Func> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "count" => Some(Func::Count),
            "avg" => Some(Func::Avg),
            "min" => Some(Func::Min),
            "max" => Some(Func::Max),
            "sum" => Some(Func::Sum),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompareOp {
    Gt,
    Lt,
    Eq,
    Ge,
    Le,
    Ne,
}

impl CompareOp {
    fn parse(raw: &str) -> Option<CompareOp> {
        match raw.trim() {
            ">" => Some(CompareOp::Gt),
            "<" => Some(CompareOp::Lt),
            "=" => Some(CompareOp::Eq),
            ">=" => Some(CompareOp::Ge),
            "<=" => Some(CompareOp::Le),
            "!=" | "<>" => Some(CompareOp::Ne),
            _ => None,
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            CompareOp::Gt => ordering == Ordering::Greater,
            CompareOp::Lt => ordering == Ordering::Less,
            CompareOp::Eq => ordering == Ordering::Equal,
            CompareOp::Ge => ordering != Ordering::Less,
            CompareOp::Le => ordering != Ordering::Greater,
            CompareOp::Ne => ordering != Ordering::Equal,
        }
    }
}

/// `sysparm_having` clause: `aggregate^field^operator^value` (`count^>^3` without a field too).
#[derive(Debug, Clone)]
struct Having {
    func: Func,
    field: String,
    op: CompareOp,
    value: String,
}

fn parse_having(raw: &str) -> Vec<Having> {
    raw.split(',')
        .filter_map(|clause| {
            let parts: Vec<&str> = clause.split('^').map(str::trim).collect();
            let (func, field, op, value) = match parts.as_slice() {
                [f, field, op, value] => (Func::parse(f)?, *field, *op, *value),
                [f, op, value] => (
                    Func::parse(f).filter(|f| *f == Func::Count)?,
                    "",
                    *op,
                    *value,
                ),
                _ => return None,
            };
            Some(Having {
                func,
                field: field.to_string(),
                op: CompareOp::parse(op)?,
                value: value.to_string(),
            })
        })
        .collect()
}

/// What a group is ordered by: a grouped field's value or an aggregate.
#[derive(Debug, Clone)]
enum OrderKey {
    Field(String),
    Aggregate(Func, String),
}

/// `sysparm_order_by`: comma list of `field`, `COUNT` or `AVG^field` (also MIN/MAX/SUM), each
/// optionally followed by `^DESC` (ascending is the default).
fn parse_order(raw: &str) -> Vec<(OrderKey, bool)> {
    raw.split(',')
        .filter_map(|entry| {
            let mut parts: Vec<&str> = entry
                .split('^')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let mut descending = false;
            if let Some(last) = parts.last() {
                if last.eq_ignore_ascii_case("DESC") {
                    descending = true;
                    parts.pop();
                } else if last.eq_ignore_ascii_case("ASC") {
                    parts.pop();
                }
            }
            let key = match parts.as_slice() {
                [single] => match Func::parse(single) {
                    Some(Func::Count) => OrderKey::Aggregate(Func::Count, String::new()),
                    Some(_) => return None,
                    None => OrderKey::Field(single.to_string()),
                },
                [func, field] => OrderKey::Aggregate(Func::parse(func)?, field.to_string()),
                _ => return None,
            };
            Some((key, descending))
        })
        .collect()
}

fn field_list(pairs: &[(String, String)], name: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for field in param(pairs, name).unwrap_or("").split(',').map(str::trim) {
        if !field.is_empty() && !fields.iter().any(|f| f == field) {
            fields.push(field.to_string());
        }
    }
    fields
}

/// A set of rows sharing their group-by values.
struct Group<'a> {
    key: Vec<String>,
    rows: Vec<RowView<'a>>,
}

/// Evaluates aggregates over one group's rows, caching nothing: groups are small next to the
/// cost of selecting them.
struct Evaluator<'a> {
    db: &'a Db,
    table: &'a crate::schema::TableDef,
}

impl<'a> Evaluator<'a> {
    fn column(&self, path: &str) -> Option<&'a Column> {
        self.db.schema.resolve_path(self.table, path)
    }

    fn is_numeric(&self, path: &str) -> bool {
        matches!(
            self.column(path).map(Column::kind),
            Some(FieldKind::Integer | FieldKind::Decimal)
        )
    }

    /// The aggregate's value, or None for SQL NULL (no non-empty values), rendered as "".
    fn compute(&self, rows: &[RowView<'_>], func: Func, field: &str) -> Option<String> {
        let values = || {
            rows.iter()
                .map(move |r| r.value(field).into_owned())
                .filter(|v| !v.is_empty())
        };
        match func {
            Func::Count => {
                let n = if field.is_empty() || field == "*" || self.column(field).is_none() {
                    rows.len()
                } else {
                    values().count()
                };
                Some(n.to_string())
            }
            Func::Avg => {
                let numbers: Vec<f64> = values()
                    .filter_map(|v| v.trim().parse::<f64>().ok())
                    .collect();
                if numbers.is_empty() {
                    return None;
                }
                Some(format!(
                    "{:.4}",
                    numbers.iter().sum::<f64>() / numbers.len() as f64
                ))
            }
            Func::Sum => {
                let numbers: Vec<f64> = values()
                    .filter_map(|v| v.trim().parse::<f64>().ok())
                    .collect();
                if numbers.is_empty() {
                    return None;
                }
                Some(format_number(numbers.iter().sum()))
            }
            Func::Min | Func::Max => {
                let numeric = self.is_numeric(field);
                let pick = |a: String, b: String| {
                    let ordering = compare_values(&a, &b, numeric);
                    let keep_a = match func {
                        Func::Min => ordering != Ordering::Greater,
                        _ => ordering != Ordering::Less,
                    };
                    if keep_a {
                        a
                    } else {
                        b
                    }
                };
                values().reduce(pick)
            }
        }
    }
}

/// Integral results print without decimals ("12"); others as Rust's shortest form.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Numeric comparison when asked and both sides read as numbers, text comparison otherwise.
fn compare_values(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
        }
    }
    a.cmp(b)
}

/// Comparison of an aggregate against a literal: numeric when both read as numbers.
fn compare_loose(a: &str, b: &str) -> Ordering {
    compare_values(a, b, true)
}

/// The display value of `path` on `row`: a reference's target display column, a choice's
/// label, otherwise the value itself (the rules of servicenow.md §1.3).
fn display_value(row: &RowView<'_>, path: &str) -> String {
    let Some((column, value, _)) = row.walk(path) else {
        return String::new();
    };
    if value.is_empty() {
        return String::new();
    }
    if column.kind() == FieldKind::Reference {
        let target = column.reference.as_deref().unwrap_or("");
        return row
            .db
            .row_view(target, value)
            .map(|t| t.get(t.table.display_column()).to_string())
            .unwrap_or_else(|| value.to_string());
    }
    column.choice_label(value).unwrap_or(value).to_string()
}

/// The aggregates a request asks for, by function, in the order they are rendered.
struct Requested {
    count: bool,
    fields: Vec<(Func, &'static str, Vec<String>)>,
}

impl Requested {
    fn stats(&self, evaluator: &Evaluator<'_>, rows: &[RowView<'_>]) -> Map<String, Value> {
        let mut stats = Map::new();
        if self.count {
            stats.insert("count".into(), Value::String(rows.len().to_string()));
        }
        for (func, name, fields) in &self.fields {
            if fields.is_empty() {
                continue;
            }
            let mut values = Map::new();
            for field in fields {
                let value = evaluator.compute(rows, *func, field).unwrap_or_default();
                values.insert(field.clone(), Value::String(value));
            }
            stats.insert((*name).into(), Value::Object(values));
        }
        stats
    }
}

fn aggregate(
    instance: &Instance,
    caller: &Caller,
    request: &StatsRequest,
    head: bool,
) -> Result<Response, SnError> {
    let table = request.table.as_str();
    if instance.db.read().table_def(table).is_none() {
        return Err(SnError::invalid_table(table));
    }
    if !acl::allowed(&instance.db.read(), &caller.actor, table, Operation::Read) {
        return Err(SnError::read_denied());
    }
    let pairs = query_pairs(request.raw_query.as_deref());
    let raw_query = filter_query(instance, table, &pairs);
    let bound = bind_query(instance, &caller.actor, table, &raw_query)
        .ok_or_else(|| SnError::invalid_table(table))?;
    instance.ensure_indexes(table, &bound);
    let display = DisplayMode::parse(param(&pairs, "sysparm_display_value").unwrap_or("false"));
    let grouped = param(&pairs, "sysparm_group_by").is_some_and(|g| !g.trim().is_empty());
    let having = parse_having(param(&pairs, "sysparm_having").unwrap_or(""));
    let order = parse_order(param(&pairs, "sysparm_order_by").unwrap_or(""));

    let db = instance.db.read();
    let def = db
        .table_def(table)
        .ok_or_else(|| SnError::invalid_table(table))?;
    let evaluator = Evaluator {
        db: &db,
        table: def,
    };
    // Unknown fields are dropped, as the Table API drops them from sysparm_fields (§1.2).
    let known = |fields: Vec<String>| -> Vec<String> {
        fields
            .into_iter()
            .filter(|f| evaluator.column(f).is_some())
            .collect()
    };
    let requested = Requested {
        count: flag(&pairs, "sysparm_count"),
        fields: vec![
            (
                Func::Avg,
                "avg",
                known(field_list(&pairs, "sysparm_avg_fields")),
            ),
            (
                Func::Min,
                "min",
                known(field_list(&pairs, "sysparm_min_fields")),
            ),
            (
                Func::Max,
                "max",
                known(field_list(&pairs, "sysparm_max_fields")),
            ),
            (
                Func::Sum,
                "sum",
                known(field_list(&pairs, "sysparm_sum_fields")),
            ),
        ],
    };
    let group_by = known(field_list(&pairs, "sysparm_group_by"));

    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    if !grouped {
        groups.push(Group {
            key: Vec::new(),
            rows: Vec::new(),
        });
    }
    for row in db.select_rows(table, &bound) {
        let key: Vec<String> = group_by.iter().map(|f| row.value(f).into_owned()).collect();
        let slot = if grouped {
            *index.entry(key.clone()).or_insert_with(|| {
                groups.push(Group {
                    key,
                    rows: Vec::new(),
                });
                groups.len() - 1
            })
        } else {
            0
        };
        groups[slot].rows.push(row);
    }

    let passes = |group: &Group<'_>| {
        having.iter().all(|h| {
            evaluator
                .compute(&group.rows, h.func, &h.field)
                .is_some_and(|v| h.op.holds(compare_loose(&v, &h.value)))
        })
    };

    if !grouped {
        let group = &groups[0];
        let stats = if passes(group) {
            requested.stats(&evaluator, &group.rows)
        } else {
            Map::new()
        };
        let body = json!({ "result": { "stats": Value::Object(stats) } });
        return Ok(json_response(StatusCode::OK, &body, head));
    }

    groups.retain(|g| passes(g));
    // Groups come back in group-value order unless sysparm_order_by says otherwise.
    let numeric: Vec<bool> = group_by.iter().map(|f| evaluator.is_numeric(f)).collect();
    groups.sort_by(|a, b| {
        a.key
            .iter()
            .zip(&b.key)
            .zip(&numeric)
            .map(|((x, y), n)| compare_values(x, y, *n))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    if !order.is_empty() {
        groups.sort_by(|a, b| {
            for (key, descending) in &order {
                let ordering = match key {
                    OrderKey::Field(field) => match group_by.iter().position(|f| f == field) {
                        Some(i) => compare_values(&a.key[i], &b.key[i], numeric[i]),
                        None => Ordering::Equal,
                    },
                    OrderKey::Aggregate(func, field) => {
                        let x = evaluator.compute(&a.rows, *func, field);
                        let y = evaluator.compute(&b.rows, *func, field);
                        match (x, y) {
                            (Some(x), Some(y)) => compare_loose(&x, &y),
                            (x, y) => x.is_some().cmp(&y.is_some()),
                        }
                    }
                };
                let ordering = if *descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            Ordering::Equal
        });
    }

    let result: Vec<Value> = groups
        .iter()
        .map(|group| {
            let fields: Vec<Value> = group_by
                .iter()
                .zip(&group.key)
                .map(|(field, value)| {
                    let mut entry = Map::new();
                    entry.insert("field".into(), Value::String(field.clone()));
                    entry.insert("value".into(), Value::String(value.clone()));
                    if display != DisplayMode::Value {
                        let shown = group
                            .rows
                            .first()
                            .map(|r| display_value(r, field))
                            .unwrap_or_default();
                        entry.insert("display_value".into(), Value::String(shown));
                    }
                    Value::Object(entry)
                })
                .collect();
            json!({
                "stats": Value::Object(requested.stats(&evaluator, &group.rows)),
                "groupby_fields": fields,
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": result }),
        head,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn having_clauses_parse_with_and_without_a_field() {
        let h =
            parse_having("count^priority^>^3,avg^priority^<=^2.5,count^>^1,bogus^x^>^1,sum^x^~^1");
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].func, Func::Count);
        assert_eq!(h[0].field, "priority");
        assert_eq!(h[0].op, CompareOp::Gt);
        assert_eq!(h[1].op, CompareOp::Le);
        assert_eq!(h[2].field, "");
    }

    #[test]
    fn order_entries_read_fields_aggregates_and_direction() {
        let o = parse_order("state^DESC,COUNT,AVG^priority^ASC");
        assert!(matches!(&o[0], (OrderKey::Field(f), true) if f == "state"));
        assert!(matches!(
            &o[1],
            (OrderKey::Aggregate(Func::Count, _), false)
        ));
        assert!(matches!(&o[2], (OrderKey::Aggregate(Func::Avg, f), false) if f == "priority"));
    }

    #[test]
    fn numbers_format_like_the_instance() {
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(compare_loose("10", "9"), Ordering::Greater);
        assert_eq!(compare_values("10", "9", false), Ordering::Less);
    }
}
