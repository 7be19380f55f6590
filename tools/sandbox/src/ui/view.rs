//! How a record's values look on the pages: which columns a list and a form show, and each
//! value as HTML (escaped; phone numbers click-to-dial, references and URLs as links).

use crate::schema::{Column, TableDef};
use crate::store::RowView;

use super::html::esc;
use super::openframe::{communication_payload, CommunicationShape};

/// Columns a list shows for the tables of the navigation; other tables get their display
/// column and the first few ordinary ones. Missing columns (a custom one not created) are
/// skipped.
fn preset(table: &str) -> Option<&'static [&'static str]> {
    Some(match table {
        "customer_contact" => &["name", "email", "phone", "mobile_phone", "account"],
        "csm_consumer" => &[
            "name",
            "number",
            "email",
            "business_phone",
            "mobile_phone",
            "home_phone",
        ],
        "customer_account" => &["name", "number", "phone", "city", "country"],
        "sn_customerservice_case" => &[
            "number",
            "short_description",
            "contact",
            "consumer",
            "account",
            "state",
            "u_caller_number",
            "u_recording_url",
            "opened_at",
        ],
        _ => return None,
    })
}

/// Columns shown as values on a page: not passwords, not journals (write-only, §3.1).
fn is_shown(column: &Column) -> bool {
    !column.is_write_only()
}

pub fn list_columns(def: &TableDef) -> Vec<&Column> {
    let display = def.display_column();
    let mut out: Vec<&Column> = def.column(display).into_iter().collect();
    match preset(&def.name) {
        Some(names) => out.extend(
            names
                .iter()
                .filter(|n| **n != display)
                .filter_map(|n| def.column(n))
                .filter(|c| is_shown(c)),
        ),
        None => out.extend(
            def.columns
                .iter()
                .filter(|c| c.name != display && !c.is_system() && is_shown(c))
                .take(5),
        ),
    }
    out
}

/// Every column a read-only form shows, then the record's system times.
pub fn form_columns(def: &TableDef) -> Vec<&Column> {
    def.columns
        .iter()
        .filter(|c| !c.is_system() && is_shown(c))
        .chain(
            ["sys_created_on", "sys_updated_on"]
                .iter()
                .filter_map(|n| def.column(n)),
        )
        .collect()
}

/// Columns a new-record form lets the user type: plain values, not references, booleans,
/// journals or passwords, and not `number` (the instance assigns it).
pub fn editable_columns(def: &TableDef) -> Vec<&Column> {
    def.columns
        .iter()
        .filter(|c| !c.is_system() && is_shown(c))
        .filter(|c| c.reference.is_none() && c.choices.is_empty())
        .filter(|c| {
            matches!(
                c.internal_type.as_str(),
                "string" | "ph_number" | "email" | "url" | "integer"
            )
        })
        // `name` of a person is calculated from first and last name.
        .filter(|c| c.name != "number" && !(c.name == "name" && def.column("first_name").is_some()))
        .collect()
}

pub fn is_phone(column: &Column) -> bool {
    matches!(
        column.internal_type.as_str(),
        "ph_number" | "phone_number_e164" | "phone_number"
    )
}

/// The `tel:` target of a stored number: `+` and digits only, up to an extension (`ext.`, `x`,
/// `;`, `,`, `#`); None when it has no digit.
pub fn tel_target(stored: &str) -> Option<String> {
    let mut out = String::new();
    let number = stored
        .trim()
        .split(|c: char| c.is_ascii_alphabetic() || matches!(c, ';' | ',' | '#'))
        .next()
        .unwrap_or("");
    for (i, c) in number.chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && i == 0) {
            out.push(c);
        }
    }
    out.chars()
        .any(|c| c.is_ascii_digit())
        .then(|| format!("tel:{out}"))
}

fn is_web_url(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// One value as HTML. `row` is the record holding it (its own table and sys_id are the context
/// of a click-to-dial).
pub fn cell(row: &RowView<'_>, column: &Column, shape: CommunicationShape) -> String {
    let value = row.get(&column.name);
    if value.is_empty() || column.is_write_only() {
        return String::new();
    }
    if let Some(target) = column.reference.as_deref() {
        let display = row
            .db
            .row_view(target, value)
            .map(|t| t.get(t.table.display_column()).to_string())
            .filter(|d| !d.is_empty());
        return match display {
            Some(display) => format!(
                "<a href=\"/{}.do?sys_id={}\">{}</a>",
                esc(target),
                esc(value),
                esc(&display)
            ),
            None => esc(value),
        };
    }
    if is_phone(column) {
        let Some(tel) = tel_target(value) else {
            return esc(value);
        };
        let sys_id = row.get("sys_id");
        let payload = communication_payload(shape, value, &row.table.name, sys_id);
        return format!(
            "<a class=\"phone\" href=\"{}\" data-openframe=\"{}\" title=\"Call {}\">{}</a>",
            esc(&tel),
            esc(&payload.to_string()),
            esc(value),
            esc(value)
        );
    }
    if column.internal_type == "url" && is_web_url(value) {
        return format!(
            "<a class=\"url\" href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
            esc(value.trim()),
            esc(value)
        );
    }
    esc(column.choice_label(value).unwrap_or(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tel_targets_keep_a_leading_plus_and_digits() {
        assert_eq!(
            tel_target("+1 (858) 287-7834").as_deref(),
            Some("tel:+18582877834")
        );
        assert_eq!(
            tel_target("03-1234-5678").as_deref(),
            Some("tel:0312345678")
        );
        assert_eq!(tel_target("ext. none"), None);
        assert_eq!(tel_target("1+2").as_deref(), Some("tel:12"));
        assert_eq!(
            tel_target("858-287-7800 ext. 12").as_deref(),
            Some("tel:8582877800")
        );
        assert_eq!(
            tel_target("+1 555 0100 x7").as_deref(),
            Some("tel:+15550100")
        );
    }

    #[test]
    fn only_web_urls_become_links() {
        assert!(is_web_url("https://cb.example/recordings/1"));
        assert!(is_web_url("HTTP://x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("data:text/html,x"));
    }
}
