//! Lists and forms at a real instance's URLs: `/<table>_list.do?sysparm_query=…` (filtered and
//! paged) and `/<table>.do?sys_id=<id>` (read-only), and `sys_id=-1` for a new record, prefilled
//! from `sysparm_query=field=value^…`, that can be saved. Every read and write honours the
//! signed-in user's ACLs as the Table API does; a refusal uses the instance's words.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::html::{document, esc, html_response, refusal, NAVIGATION};
use super::openframe::CommunicationShape;
use super::session::SignedIn;
use super::view::{cell, editable_columns, form_columns, is_phone, list_columns};
use super::{same_origin, signed_in, to_login};
use crate::api::gate::{param, query_pairs};
use crate::api::table::bind_query;
use crate::auth::acl::{self, Operation};
use crate::instance::{props, InputOptions, Instance};
use crate::schema::TableDef;

/// What a real instance says when ACLs refuse a page.
pub const SECURITY_CONSTRAINTS: &str = "Security constraints prevent access to requested page";
const DEFAULT_ROWS: usize = 20;
const MAX_ROWS: usize = 100;

#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    List(String),
    Form(String),
}

/// `<table>_list.do` or `<table>.do`, for a well-formed table name.
pub fn target_of(page: &str) -> Option<Target> {
    let stem = page.strip_suffix(".do")?;
    let valid = |t: &str| {
        t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match stem.strip_suffix("_list") {
        Some(table) if valid(table) => Some(Target::List(table.to_string())),
        _ if valid(stem) => Some(Target::Form(stem.to_string())),
        _ => None,
    }
}

/// A browser's top-level navigation (not the workspace's `gsft_main` frame): such a request is
/// sent to the workspace, which shows the page in its frame next to the OpenFrame panel.
fn is_top_level_navigation(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("sec-fetch-dest") == Some("document") && header("sec-fetch-mode") == Some("navigate")
}

fn not_found(what: &str) -> Response {
    html_response(StatusCode::NOT_FOUND, refusal("Not found", what), &[])
}

fn denied() -> Response {
    html_response(
        StatusCode::FORBIDDEN,
        refusal("Access denied", SECURITY_CONSTRAINTS),
        &[],
    )
}

fn shape(instance: &Instance) -> CommunicationShape {
    CommunicationShape::from_property(
        instance
            .property(props::OPENFRAME_COMMUNICATION_SHAPE)
            .as_deref(),
    )
}

fn content(title: &str, body: String) -> Response {
    html_response(StatusCode::OK, document(title, "content", "", &body), &[])
}

fn plural_label(def: &TableDef) -> String {
    NAVIGATION
        .iter()
        .find(|(t, _)| *t == def.name)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| def.label.clone())
}

/// GET /<table>_list.do and /<table>.do
pub async fn page(
    State(instance): State<Arc<Instance>>,
    OriginalUri(uri): OriginalUri,
    Path(page): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    let Some(target) = target_of(&page) else {
        return not_found("There is no page at this address.");
    };
    let Some(session) = signed_in(&instance, &headers) else {
        return to_login(&path_and_query);
    };
    if is_top_level_navigation(&headers) {
        let uri: String = form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect();
        return Redirect::to(&format!("/nav_to.do?uri={uri}")).into_response();
    }
    let pairs = query_pairs(uri.query());
    let table = match &target {
        Target::List(t) | Target::Form(t) => t.clone(),
    };
    if instance.db.read().table_def(&table).is_none() {
        return not_found(&format!("Invalid table {table}"));
    }
    match target {
        Target::List(_) => list(&instance, &session, &table, &pairs),
        Target::Form(_) => match param(&pairs, "sys_id").unwrap_or("") {
            "-1" => new_form(&instance, &session, &table, &pairs, None),
            sys_id => form(&instance, &session, &table, sys_id),
        },
    }
}

fn list(
    instance: &Instance,
    session: &SignedIn,
    table: &str,
    pairs: &[(String, String)],
) -> Response {
    let actor = &session.actor;
    if !acl::allowed(&instance.db.read(), actor, table, Operation::Read) {
        return denied();
    }
    let raw_query = param(pairs, "sysparm_query").unwrap_or("");
    let Some(bound) = bind_query(instance, actor, table, raw_query) else {
        return not_found(&format!("Invalid table {table}"));
    };
    instance.ensure_indexes(table, &bound);
    let first_row = param(pairs, "sysparm_first_row")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    let rows = param(pairs, "sysparm_rows")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(DEFAULT_ROWS)
        .min(MAX_ROWS);
    let shape = shape(instance);
    let db = instance.db.read();
    let def = db.table_def(table).expect("checked by the caller").clone();
    let readable: HashSet<String> = db
        .schema
        .descendants(table)
        .into_iter()
        .filter(|t| t == table || acl::allowed(&db, actor, t, Operation::Read))
        .collect();
    let hits: Vec<_> = db
        .select_rows(table, &bound)
        .into_iter()
        .filter(|row| readable.contains(&row.table.name))
        .collect();
    let total = hits.len();
    let columns = list_columns(&def);
    let display = def.display_column().to_string();
    let mut body = String::new();
    for row in hits.iter().skip(first_row - 1).take(rows) {
        body.push_str("<tr>");
        for column in &columns {
            let value = if column.name == display {
                let text = row.get(&display);
                format!(
                    "<a class=\"record\" href=\"/{}.do?sys_id={}\">{}</a>",
                    esc(&row.table.name),
                    esc(row.get("sys_id")),
                    if text.is_empty() {
                        "(empty)".to_string()
                    } else {
                        esc(text)
                    }
                )
            } else {
                cell(row, column, shape)
            };
            body.push_str(&format!("<td>{value}</td>"));
        }
        body.push_str("</tr>");
    }
    let head: String = columns
        .iter()
        .map(|c| format!("<th scope=\"col\">{}</th>", esc(&c.label)))
        .collect();
    let last_shown = (first_row - 1 + rows).min(total);
    let page_link = |first: usize, label: &str, rel: &str| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !raw_query.is_empty() {
            q.append_pair("sysparm_query", raw_query);
        }
        q.append_pair("sysparm_first_row", &first.to_string());
        q.append_pair("sysparm_rows", &rows.to_string());
        format!(
            "<a rel=\"{rel}\" href=\"/{}_list.do?{}\">{label}</a>",
            esc(table),
            esc(&q.finish())
        )
    };
    let mut pager = String::new();
    if first_row > 1 {
        pager.push_str(&page_link(
            first_row.saturating_sub(rows).max(1),
            "Previous",
            "prev",
        ));
    }
    if last_shown < total {
        pager.push_str(&page_link(first_row + rows, "Next", "next"));
    }
    let new_button = if acl::allowed(&db, actor, table, Operation::Create) {
        format!(
            "<a class=\"button\" id=\"sysverb_new\" href=\"/{}.do?sys_id=-1\">New</a>",
            esc(table)
        )
    } else {
        String::new()
    };
    let title = plural_label(&def);
    let range = if total == 0 {
        "No records".to_string()
    } else {
        format!("{} to {} of {}", first_row.min(total), last_shown, total)
    };
    content(
        &title,
        format!(
            "<main class=\"page\"><header class=\"page-head\"><h1>{}</h1>{new_button}</header>\
             <form class=\"filter\" method=\"get\" action=\"/{}_list.do\">\
             <label for=\"sysparm_query\">Filter (encoded query)</label>\
             <input id=\"sysparm_query\" name=\"sysparm_query\" value=\"{}\" placeholder=\"nameLIKEsmith^active=true\">\
             <button type=\"submit\">Apply</button></form>\
             <p class=\"count\" id=\"row-count\">{range}</p>\
             <table class=\"list\" id=\"{}_table\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\
             <nav class=\"pager\" aria-label=\"Pages\">{pager}</nav></main>",
            esc(&title),
            esc(table),
            esc(raw_query),
            esc(table),
        ),
    )
}

fn form(instance: &Instance, session: &SignedIn, table: &str, sys_id: &str) -> Response {
    let actor = &session.actor;
    // Read before taking the database lock: a property read takes it too.
    let shape = shape(instance);
    let db = instance.db.read();
    if !acl::allowed(&db, actor, table, Operation::Read) {
        return denied();
    }
    let Some(row) = db.find_in_hierarchy(table, sys_id) else {
        return not_found("Record not found");
    };
    if !acl::allowed(&db, actor, &row.table.name, Operation::Read) {
        return denied();
    }
    let fields: String = form_columns(row.table)
        .into_iter()
        .map(|c| {
            format!(
                "<div class=\"field\" id=\"field-{}\"><dt>{}</dt><dd>{}</dd></div>",
                esc(&c.name),
                esc(&c.label),
                cell(&row, c, shape) + &referenced_phones(&db, actor, &row, c, shape)
            )
        })
        .collect();
    let display = row.get(row.table.display_column());
    let title = format!("{}: {}", row.table.label, display);
    let related: String = related_lists(&db, actor, &row.table.name)
        .into_iter()
        .map(|(list, column, label)| {
            let query: String = form_urlencoded::byte_serialize(
                format!("{column}={}", row.get("sys_id")).as_bytes(),
            )
            .collect();
            format!(
                "<a href=\"/{}_list.do?sysparm_query={}\">{}</a>",
                esc(&list),
                esc(&query),
                esc(&label)
            )
        })
        .collect();
    let related = if related.is_empty() {
        String::new()
    } else {
        format!("<nav class=\"related\" aria-label=\"Related lists\">{related}</nav>")
    };
    let activity = activity(&db, actor, &row);
    content(
        &title,
        format!(
            "<main class=\"page\"><header class=\"page-head\"><h1>{}</h1>\
             <a class=\"button secondary\" href=\"/{}_list.do\">Back to list</a></header>\
             <dl class=\"form\" data-table=\"{}\" data-sys-id=\"{}\">{fields}</dl>{activity}{related}</main>",
            esc(&title),
            esc(&row.table.name),
            esc(&row.table.name),
            esc(row.get("sys_id")),
        ),
    )
}

/// The record's journal (work notes and comments), newest first, as a form's activity stream
/// shows it; nothing when it has none or the user may not read journal entries.
fn activity(
    db: &crate::store::Db,
    actor: &crate::instance::Actor,
    row: &crate::store::RowView<'_>,
) -> String {
    let journal = crate::instance::JOURNAL_TABLE;
    if !acl::allowed(db, actor, journal, Operation::Read) {
        return String::new();
    }
    let mut entries = db.find_eq(journal, "element_id", row.get("sys_id"));
    entries.retain(|e| e.get("name") == row.table.name);
    if entries.is_empty() {
        return String::new();
    }
    // Glide date-times sort as text, to the second; within one second the later write (later
    // in the table) comes first.
    entries.reverse();
    entries.sort_by(|a, b| b.get("sys_created_on").cmp(a.get("sys_created_on")));
    let items: String = entries
        .iter()
        .map(|e| {
            let label = row
                .table
                .column(e.get("element"))
                .map(|c| c.label.as_str())
                .unwrap_or(e.get("element"));
            format!(
                "<li class=\"journal-entry\" data-element=\"{}\"><p class=\"journal-meta\">{} \
                 <span>{}</span> <span>{}</span></p><p class=\"journal-value\">{}</p></li>",
                esc(e.get("element")),
                esc(label),
                esc(e.get("sys_created_by")),
                esc(e.get("sys_created_on")),
                esc(e.get("value")),
            )
        })
        .collect();
    format!(
        "<section class=\"activity\" aria-labelledby=\"activity-title\">\
         <h2 id=\"activity-title\">Activity</h2><ol>{items}</ol></section>"
    )
}

/// The workspace's lists that reference a record of `table` and the user may read, as
/// (list table, reference column, link label): a contact's Cases, an account's contacts, ...
fn related_lists(
    db: &crate::store::Db,
    actor: &crate::instance::Actor,
    table: &str,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (list, label) in NAVIGATION {
        let Some(def) = db.table_def(list) else {
            continue;
        };
        if !acl::allowed(db, actor, list, Operation::Read) {
            continue;
        }
        for column in &def.columns {
            if column.reference.as_deref() == Some(table) && !column.is_system() {
                out.push((
                    list.to_string(),
                    column.name.clone(),
                    format!("{label} ({})", column.label),
                ));
            }
        }
    }
    out
}

/// UI16's phone icon on a form's reference (servicenow.md §5.3: the Case's contact and
/// consumer): the referenced record's numbers, click-to-dial with that record as context, when
/// the user may read it.
fn referenced_phones(
    db: &crate::store::Db,
    actor: &crate::instance::Actor,
    row: &crate::store::RowView<'_>,
    column: &crate::schema::Column,
    shape: CommunicationShape,
) -> String {
    let Some(target) = column.reference.as_deref() else {
        return String::new();
    };
    let Some(referenced) = db.find_in_hierarchy(target, row.get(&column.name)) else {
        return String::new();
    };
    if column.is_system() || !acl::allowed(db, actor, &referenced.table.name, Operation::Read) {
        return String::new();
    }
    let phones: Vec<String> = referenced
        .table
        .columns
        .iter()
        .filter(|c| is_phone(c) && !referenced.get(&c.name).is_empty())
        .map(|c| cell(&referenced, c, shape))
        .collect();
    if phones.is_empty() {
        return String::new();
    }
    format!(" <span class=\"ref-phones\">{}</span>", phones.join(" "))
}

/// `field=value` terms of a `sysparm_query` that prefill a new record.
pub fn prefill(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('^')
        .filter_map(|term| term.split_once('='))
        .map(|(f, v)| (f.trim().to_string(), v.to_string()))
        .filter(|(f, _)| !f.is_empty())
        .collect()
}

fn new_form(
    instance: &Instance,
    session: &SignedIn,
    table: &str,
    pairs: &[(String, String)],
    error: Option<(StatusCode, String)>,
) -> Response {
    let db = instance.db.read();
    if !acl::allowed(&db, &session.actor, table, Operation::Create) {
        return denied();
    }
    let def = db.table_def(table).expect("checked by the caller");
    let values: Vec<(String, String)> = match &error {
        // After a failed save the form shows what was typed.
        Some(_) => pairs.to_vec(),
        None => prefill(param(pairs, "sysparm_query").unwrap_or("")),
    };
    let inputs: String = editable_columns(def)
        .into_iter()
        .map(|c| {
            let value = values
                .iter()
                .find(|(f, _)| *f == c.name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let kind = match c.internal_type.as_str() {
                "email" => "email",
                "ph_number" => "tel",
                "url" => "url",
                _ => "text",
            };
            format!(
                "<label for=\"{0}\">{1}</label><input id=\"{0}\" name=\"{0}\" type=\"{kind}\" \
                 maxlength=\"{2}\" value=\"{3}\">",
                esc(&c.name),
                esc(&c.label),
                c.max_length,
                esc(value)
            )
        })
        .collect();
    let (status, error) = match error {
        Some((status, message)) => (
            status,
            format!(
                "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
                esc(&message)
            ),
        ),
        None => (StatusCode::OK, String::new()),
    };
    let title = format!("New {}", def.label);
    html_response(
        status,
        document(
            &title,
            "content",
            "",
            &format!(
                "<main class=\"page\"><header class=\"page-head\"><h1>{}</h1></header>{error}\
                 <form class=\"edit\" method=\"post\" action=\"/{}.do\">\
                 <input type=\"hidden\" name=\"sysparm_ck\" value=\"{}\">{inputs}\
                 <button type=\"submit\" id=\"sysverb_insert\" name=\"sys_action\" value=\"sysverb_insert\">Submit</button>\
                 </form></main>",
                esc(&title),
                esc(table),
                esc(&session.csrf),
            ),
        ),
        &[],
    )
}

/// POST /<table>.do: saves a new record typed in the form.
pub async fn save(
    State(instance): State<Arc<Instance>>,
    Path(page): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(Target::Form(table)) = target_of(&page) else {
        return not_found("There is no page at this address.");
    };
    let Some(session) = signed_in(&instance, &headers) else {
        return to_login(&format!("/{table}.do?sys_id=-1"));
    };
    let pairs = query_pairs(std::str::from_utf8(&body).ok());
    if !same_origin(&instance, &headers)
        || !session.csrf_matches(param(&pairs, "sysparm_ck").unwrap_or(""))
    {
        return html_response(
            StatusCode::FORBIDDEN,
            refusal(
                "Not saved",
                "The form was not sent from this instance's pages or has expired (its security \
                 token does not match): open the form again and resubmit.",
            ),
            &[],
        );
    }
    let fields: Map<String, Value> = {
        let db = instance.db.read();
        let Some(def) = db.table_def(&table) else {
            return not_found(&format!("Invalid table {table}"));
        };
        if !acl::allowed(&db, &session.actor, &table, Operation::Create) {
            return denied();
        }
        let editable: HashSet<&str> = editable_columns(def)
            .into_iter()
            .map(|c| c.name.as_str())
            .collect();
        pairs
            .iter()
            .filter(|(k, v)| editable.contains(k.as_str()) && !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), Value::String(v.trim().to_string())))
            .collect()
    };
    if fields.is_empty() {
        return new_form(
            &instance,
            &session,
            &table,
            &pairs,
            Some((
                StatusCode::BAD_REQUEST,
                "Fill in at least one field.".into(),
            )),
        );
    }
    match instance
        .insert(&table, &fields, &session.actor, InputOptions::default())
        .await
    {
        Ok(sys_id) => Redirect::to(&format!("/{table}.do?sys_id={sys_id}")).into_response(),
        Err(error) => new_form(
            &instance,
            &session,
            &table,
            &pairs,
            Some((
                StatusCode::BAD_REQUEST,
                format!("The record was not saved: {error}."),
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_a_list_or_a_form_of_a_well_formed_table() {
        assert_eq!(
            target_of("customer_contact_list.do"),
            Some(Target::List("customer_contact".into()))
        );
        assert_eq!(
            target_of("sn_customerservice_case.do"),
            Some(Target::Form("sn_customerservice_case".into()))
        );
        assert_eq!(target_of("favicon.ico"), None);
        assert_eq!(target_of("Bad-Name.do"), None);
        assert_eq!(target_of(".do"), None);
    }

    #[test]
    fn a_new_record_is_prefilled_from_field_equals_value_terms() {
        assert_eq!(
            prefill("phone=+15551234567^first_name=Ann^bogus"),
            vec![
                ("phone".to_string(), "+15551234567".to_string()),
                ("first_name".to_string(), "Ann".to_string())
            ]
        );
    }
}
