//! Records as the Table API returns them (servicenow.md §1.3): every scalar a string, empty as
//! "", references per the display_value × exclude_reference_link matrix, dot-walked fields as
//! flat keys, write-only columns blank.

use serde_json::{Map, Value};

use crate::query::FieldKind;
use crate::schema::{Column, TableDef};
use crate::store::RowView;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayMode {
    #[default]
    Value,
    Display,
    All,
}

impl DisplayMode {
    /// `sysparm_display_value`: `true`, `false` or `all`; anything else reads as false.
    pub fn parse(raw: &str) -> DisplayMode {
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" => DisplayMode::Display,
            "all" => DisplayMode::All,
            _ => DisplayMode::Value,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub display: DisplayMode,
    pub exclude_reference_link: bool,
    /// `sysparm_fields`; None means every column. Unknown names are silently skipped.
    pub fields: Option<Vec<String>>,
    pub base_url: String,
}

/// Renders `row` with the columns of `shape`: a record read through a parent table (a contact
/// listed from `sys_user`) shows the parent's columns only.
pub fn render_as(
    row: &RowView<'_>,
    shape: &TableDef,
    options: &RenderOptions,
) -> Map<String, Value> {
    let mut out = Map::new();
    match &options.fields {
        Some(fields) => {
            for path in fields {
                if let Some((column, value, owner)) = row.walk(path) {
                    if !is_hidden(column) {
                        out.insert(path.clone(), render_value(&owner, column, value, options));
                    }
                }
            }
        }
        None => {
            for column in &shape.columns {
                if is_hidden(column) {
                    continue;
                }
                let value = row.get(&column.name);
                out.insert(
                    column.name.clone(),
                    render_value(row, column, value, options),
                );
            }
        }
    }
    out
}

/// Password columns are never returned at all.
fn is_hidden(column: &Column) -> bool {
    matches!(column.internal_type.as_str(), "password" | "password2")
}

fn render_value(row: &RowView<'_>, column: &Column, value: &str, options: &RenderOptions) -> Value {
    if column.is_write_only() {
        // Journal fields read back as "" through the Table API (servicenow.md §3.1).
        return Value::String(String::new());
    }
    if column.kind() == FieldKind::Reference {
        return render_reference(row, column, value, options);
    }
    let display = || column.choice_label(value).unwrap_or(value).to_string();
    match options.display {
        DisplayMode::Value => Value::String(value.to_string()),
        DisplayMode::Display => Value::String(display()),
        DisplayMode::All => pair(display(), value),
    }
}

fn render_reference(
    row: &RowView<'_>,
    column: &Column,
    value: &str,
    options: &RenderOptions,
) -> Value {
    if value.is_empty() {
        return match options.display {
            DisplayMode::All => pair(String::new(), ""),
            _ => Value::String(String::new()),
        };
    }
    let target = column.reference.as_deref().unwrap_or("");
    let display = || {
        row.db
            .row_view(target, value)
            .map(|t| t.get(t.table.display_column()).to_string())
            // An unresolvable reference (e.g. sys_domain "global") shows its raw value.
            .unwrap_or_else(|| value.to_string())
    };
    let link = || {
        Value::String(format!(
            "{}/api/now/table/{target}/{value}",
            options.base_url.trim_end_matches('/')
        ))
    };
    let mut object = Map::new();
    match (options.display, options.exclude_reference_link) {
        (DisplayMode::Value, true) => return Value::String(value.to_string()),
        (DisplayMode::Display, true) => return Value::String(display()),
        (DisplayMode::Value, false) => {
            object.insert("link".into(), link());
            object.insert("value".into(), Value::String(value.to_string()));
        }
        (DisplayMode::Display, false) => {
            object.insert("display_value".into(), Value::String(display()));
            object.insert("link".into(), link());
        }
        (DisplayMode::All, exclude) => {
            object.insert("display_value".into(), Value::String(display()));
            if !exclude {
                object.insert("link".into(), link());
            }
            object.insert("value".into(), Value::String(value.to_string()));
        }
    }
    Value::Object(object)
}

fn pair(display: String, value: &str) -> Value {
    let mut object = Map::new();
    object.insert("display_value".into(), Value::String(display));
    object.insert("value".into(), Value::String(value.to_string()));
    Value::Object(object)
}
