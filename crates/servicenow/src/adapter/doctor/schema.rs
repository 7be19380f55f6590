//! Checks 4 and 5: every configured table exists and every configured column exists (inherited
//! columns included) with a type and length that can hold what Callbridge writes there, read
//! from `sys_db_object` and `sys_dictionary` with the service account.

use std::collections::{BTreeMap, HashSet};

use crate::{
    describe_table, ColumnInfo, ColumnName, DictionaryError, TableClient, TableInfo, TableName,
};
use callbridge_core::CallId;

use super::connection::Service;
use super::TenantConfig;
use callbridge_kernel::check::{Check, Status};

pub const DICTIONARY: &str = "access.dictionary";
const DICTIONARY_TITLE: &str = "Service account can read table definitions";

/// Call ids are at most this long; the correlation column and the recording link hold one.
pub const MAX_CALL_ID_LEN: usize = 64;
/// The correlation column's length below which doctor warns (the platform's own `correlation_id`).
const CORRELATION_COMFORT: u32 = 100;
/// Longest caller number written to the caller-number column (E.164 with `+` is 16).
const CALLER_NUMBER_MIN: u32 = 16;
/// What to suggest for a new URL column.
const URL_RECOMMENDED: u32 = 1024;

/// Column types that hold free text (phone numbers, names, ids, links).
const TEXT_TYPES: &[&str] = &[
    "string",
    "string_full_utf8",
    "ph_number",
    "phone_number_e164",
    "phone_number",
    "email",
    "url",
    "translated_text",
    "translated_field",
    "char",
    "nchar",
    "varchar",
    "nvarchar",
];

/// Tables doctor knows, for "did you mean" on a misspelt configured name.
const WELL_KNOWN_TABLES: &[&str] = &[
    "customer_contact",
    "customer_account",
    "csm_consumer",
    "sn_customerservice_case",
    "sys_user",
    "interaction",
    "task",
];

/// What a configured column must be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// Free text at least `min` long; warn below `comfortable`.
    Text { min: u32, comfortable: Option<u32> },
    /// A link of up to `min` characters: a URL column, or text that long.
    Link { min: u32 },
    /// A reference to `expected`.
    Reference { expected: &'static str },
}

#[derive(Debug, Clone, PartialEq, Eq, Copy)]
enum Role {
    Lookup,
    Case,
}

#[derive(Debug, Clone)]
struct ColumnPlan {
    id: String,
    title: String,
    column: ColumnName,
    rule: Rule,
    /// The configuration key naming the column.
    key: String,
}

#[derive(Debug, Clone)]
struct TablePlan {
    id: String,
    title: String,
    table: TableName,
    role: Role,
    key: String,
    columns: Vec<ColumnPlan>,
}

/// What checks 4 and 5 learnt, for check 6.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Tables known not to exist.
    pub missing_tables: HashSet<String>,
    /// Why a probe Case cannot be written (the Case table or its correlation column is unusable).
    pub case_blocker: Option<String>,
}

pub fn table_lookup_id(table: &TableName) -> String {
    format!("table.lookup.{table}")
}

pub const TABLE_CASE: &str = "table.case";

/// The longest recording link this tenant writes: `<public_url>/recordings/<64-char call id>`.
pub fn longest_link(tenant: &TenantConfig) -> usize {
    let call = CallId::new("x".repeat(MAX_CALL_ID_LEN));
    tenant.recording_links.link_for(&call).chars().count()
}

fn plan(tenant: &TenantConfig) -> Vec<TablePlan> {
    let sn = &tenant.servicenow;
    let mut tables = Vec::new();
    for (i, lookup) in sn.lookup.tables.iter().enumerate() {
        let key = format!("tenant.servicenow.lookup.tables[{i}]");
        let t = &lookup.table;
        let mut columns: Vec<ColumnPlan> = lookup
            .phone_columns
            .iter()
            .enumerate()
            .map(|(j, c)| ColumnPlan {
                id: format!("column.lookup.{t}.{c}"),
                title: format!("Phone column {t}.{c}"),
                column: c.clone(),
                rule: Rule::Text {
                    min: 1,
                    comfortable: None,
                },
                key: format!("{key}.phone_columns[{j}]"),
            })
            .collect();
        columns.push(ColumnPlan {
            id: format!("column.lookup.{t}.{}", lookup.name_column),
            title: format!("Name column {t}.{}", lookup.name_column),
            column: lookup.name_column.clone(),
            rule: Rule::Text {
                min: 1,
                comfortable: None,
            },
            key: format!("{key}.name_column"),
        });
        if let Some(account) = &lookup.account_column {
            columns.push(ColumnPlan {
                id: format!("column.lookup.{t}.{account}"),
                title: format!("Account column {t}.{account}"),
                column: account.clone(),
                rule: Rule::Reference {
                    expected: "customer_account",
                },
                key: format!("{key}.account_column"),
            });
        }
        tables.push(TablePlan {
            id: table_lookup_id(t),
            title: format!("Lookup table {t}"),
            table: t.clone(),
            role: Role::Lookup,
            key: format!("{key}.table"),
            columns,
        });
    }
    let case = &sn.case;
    let t = &case.table;
    let key = "tenant.servicenow.case";
    let mut columns = vec![
        ColumnPlan {
            id: "column.case.correlation".into(),
            title: format!("Correlation column {t}.{}", case.correlation_column),
            column: case.correlation_column.clone(),
            rule: Rule::Text {
                min: MAX_CALL_ID_LEN as u32,
                comfortable: Some(CORRELATION_COMFORT),
            },
            key: format!("{key}.correlation_column"),
        },
        ColumnPlan {
            id: "column.case.recording_url".into(),
            title: format!("Recording link column {t}.{}", case.recording_url_column),
            column: case.recording_url_column.clone(),
            rule: Rule::Link {
                min: longest_link(tenant) as u32,
            },
            key: format!("{key}.recording_url_column"),
        },
    ];
    if let Some(c) = &case.caller_number_column {
        columns.push(ColumnPlan {
            id: "column.case.caller_number".into(),
            title: format!("Caller number column {t}.{c}"),
            column: c.clone(),
            rule: Rule::Text {
                min: CALLER_NUMBER_MIN,
                comfortable: None,
            },
            key: format!("{key}.caller_number_column"),
        });
    }
    let references = [
        (
            "contact",
            "Contact",
            &case.contact_column,
            "customer_contact",
        ),
        (
            "account",
            "Account",
            &case.account_column,
            "customer_account",
        ),
        (
            "consumer",
            "Consumer",
            &case.consumer_column,
            "csm_consumer",
        ),
        (
            "assigned_to",
            "Assigned-to",
            &case.assigned_to_column,
            "sys_user",
        ),
    ];
    for (name, label, column, expected) in references {
        if let Some(c) = column {
            columns.push(ColumnPlan {
                id: format!("column.case.{name}"),
                title: format!("{label} column {t}.{c}"),
                column: c.clone(),
                rule: Rule::Reference { expected },
                key: format!("{key}.{name}_column"),
            });
        }
    }
    tables.push(TablePlan {
        id: TABLE_CASE.into(),
        title: format!("Case table {t}"),
        table: t.clone(),
        role: Role::Case,
        key: format!("{key}.table"),
        columns,
    });
    tables
}

/// Checks 4 and 5 with a working service credential.
pub async fn check(
    tenant: &TenantConfig,
    client: &TableClient,
    service: &Service,
    checks: &mut Vec<Check>,
) -> Outcome {
    let plans = plan(tenant);
    let mut described: BTreeMap<TableName, Result<TableInfo, DictionaryError>> = BTreeMap::new();
    for p in &plans {
        if !described.contains_key(&p.table) {
            let info = describe_table(client, &service.auth, &p.table).await;
            described.insert(p.table.clone(), info);
        }
    }
    let forbidden = described.values().find_map(|r| match r {
        Err(e @ DictionaryError::Forbidden { .. }) => Some(e.to_string()),
        _ => None,
    });
    let mut outcome = Outcome::default();
    if let Some(reason) = forbidden {
        checks.push(Check::fail(
            DICTIONARY,
            DICTIONARY_TITLE,
            reason,
            format!(
                "User Administration > Users: grant role personalize_dictionary to {}, then have them log in again \
                 (roles apply to new tokens); doctor reads sys_db_object and sys_dictionary to check tables and columns",
                service.user
            ),
        ));
        skip_plans(&plans, &format!("skipped: {DICTIONARY} failed"), checks);
        return outcome;
    }
    checks.push(Check::pass(
        DICTIONARY,
        DICTIONARY_TITLE,
        format!("{} can read sys_db_object and sys_dictionary", service.user),
    ));
    for p in &plans {
        let result = described
            .get(&p.table)
            .expect("every planned table was described");
        match result {
            Ok(info) => {
                checks.push(table_found(p, info));
                for c in &p.columns {
                    let check = judge_column(p, c, info);
                    if p.role == Role::Case
                        && c.id == "column.case.correlation"
                        && check.status == Status::Fail
                    {
                        outcome.case_blocker =
                            Some("skipped: column.case.correlation failed".into());
                    }
                    checks.push(check);
                }
            }
            Err(e) => {
                let not_found = matches!(e, DictionaryError::TableNotFound { .. });
                if not_found {
                    outcome.missing_tables.insert(p.table.to_string());
                }
                if p.role == Role::Case {
                    outcome.case_blocker = Some(format!("skipped: {TABLE_CASE} failed"));
                }
                let fix = if not_found {
                    missing_table_fix(p)
                } else {
                    "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats)".into()
                };
                checks.push(Check::fail(
                    p.id.clone(),
                    p.title.clone(),
                    table_error(e),
                    fix,
                ));
                for c in &p.columns {
                    checks.push(Check::skipped(
                        c.id.clone(),
                        c.title.clone(),
                        format!("skipped: {} failed", p.id),
                    ));
                }
            }
        }
    }
    outcome
}

fn table_error(error: &DictionaryError) -> String {
    match error {
        DictionaryError::TableNotFound { table } => {
            format!("no table named {table} exists on the instance (no sys_db_object row)")
        }
        other => other.to_string(),
    }
}

fn missing_table_fix(p: &TablePlan) -> String {
    let suggestion = did_you_mean(p.table.as_str())
        .map(|t| format!(" (did you mean {t}?)"))
        .unwrap_or_default();
    let what = match p.role {
        Role::Lookup => "a table of callers to search",
        Role::Case => "the Case table",
    };
    format!(
        "System Definition > Tables: find the exact name of {what} and correct {} = \"{}\" in the configuration{suggestion}; \
         if the table should exist, activate the plugin that provides it (System Definition > Plugins, e.g. \
         Customer Service Management)",
        p.key, p.table
    )
}

fn table_found(p: &TablePlan, info: &TableInfo) -> Check {
    let extends = if info.super_classes.is_empty() {
        String::new()
    } else {
        let chain: Vec<&str> = info.super_classes.iter().map(|t| t.as_str()).collect();
        format!(", extends {}", chain.join(" > "))
    };
    Check::pass(
        p.id.clone(),
        p.title.clone(),
        format!(
            "\"{}\"{extends}, {} columns",
            info.label,
            info.columns.len()
        ),
    )
}

/// The plans' checks, all skipped for `reason`.
fn skip_plans(plans: &[TablePlan], reason: &str, checks: &mut Vec<Check>) {
    for p in plans {
        checks.push(Check::skipped(p.id.clone(), p.title.clone(), reason));
        for c in &p.columns {
            checks.push(Check::skipped(c.id.clone(), c.title.clone(), reason));
        }
    }
}

/// The checks 4 and 5 would have produced, when the service credential failed.
pub fn skip(tenant: &TenantConfig, reason: &str, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(DICTIONARY, DICTIONARY_TITLE, reason));
    skip_plans(&plan(tenant), reason, checks);
}

/// Whether a column can hold recording links of up to `min` characters: the rule of the
/// recording-link check, which the console's setup uses to offer columns.
pub fn holds_link(info: &ColumnInfo, min: u32) -> bool {
    is_text(&info.internal_type) && max_length(info).0 >= min
}

fn is_text(internal_type: &str) -> bool {
    TEXT_TYPES.contains(&internal_type)
}

/// The column's maximum length, and whether it is the platform default (empty in the dictionary).
fn max_length(info: &ColumnInfo) -> (u32, bool) {
    match info.max_length {
        Some(n) => (n, false),
        None if info.internal_type == "url" => (URL_RECOMMENDED, true),
        None => (40, true),
    }
}

fn where_defined(table: &TableName, info: &ColumnInfo) -> String {
    if &info.defined_on == table {
        String::new()
    } else {
        format!(" (inherited from {})", info.defined_on)
    }
}

fn judge_column(p: &TablePlan, c: &ColumnPlan, table: &TableInfo) -> Check {
    let (id, title) = (c.id.clone(), c.title.clone());
    if c.column.is_dot_walked() {
        return Check::skipped(
            id,
            title,
            format!("{} is dot-walked; only plain columns are checked", c.column),
        );
    }
    let t = &p.table;
    let Some(info) = table.column(c.column.as_str()) else {
        let detail = if table.super_classes.is_empty() {
            format!("{t} has no column {}", c.column)
        } else {
            let chain: Vec<&str> = table.super_classes.iter().map(|s| s.as_str()).collect();
            format!(
                "neither {t} nor the tables it extends ({}) have a column {}",
                chain.join(", "),
                c.column
            )
        };
        return Check::fail(id, title, detail, missing_column_fix(p, c));
    };
    let inherited = where_defined(t, info);
    let (length, defaulted) = max_length(info);
    let shown_length = if defaulted {
        format!("max length {length} (platform default)")
    } else {
        format!("max length {length}")
    };
    let entry = format!("{} on {}", c.column, info.defined_on);
    match &c.rule {
        Rule::Text { min, comfortable } => {
            if !is_text(&info.internal_type) {
                return Check::fail(
                    id,
                    title,
                    format!("{}.{} is of type {}, not a text type{inherited}", t, c.column, info.internal_type),
                    format!(
                        "System Definition > Dictionary: use a String or Phone Number column here: correct {} in the \
                         configuration, or create a String column on {t}",
                        c.key
                    ),
                );
            }
            if length < *min {
                return Check::fail(
                    id,
                    title,
                    format!("{} {shown_length}{inherited}; Callbridge writes up to {min} characters", info.internal_type),
                    format!(
                        "System Definition > Dictionary: open {entry} and raise Max length to at least {} (or configure \
                         a longer column in {})",
                        comfortable.unwrap_or(*min).max(*min),
                        c.key
                    ),
                );
            }
            if let Some(good) = comfortable.filter(|good| length < *good) {
                return Check::warn(
                    id,
                    title,
                    format!(
                        "{} {shown_length}{inherited}: enough for today's {min}-character call ids, with no margin",
                        info.internal_type
                    ),
                    format!("System Definition > Dictionary: open {entry} and raise Max length to {good}"),
                );
            }
            Check::pass(
                id,
                title,
                format!("{} {shown_length}{inherited}", info.internal_type),
            )
        }
        Rule::Link { min } => {
            if !is_text(&info.internal_type) {
                return Check::fail(
                    id,
                    title,
                    format!("{}.{} is of type {}; a link needs a URL or String column{inherited}", t, c.column, info.internal_type),
                    format!(
                        "System Definition > Dictionary: create a column on {t} of type URL, max length ≥ {min} \
                         ({URL_RECOMMENDED} recommended), and set {} to it",
                        c.key
                    ),
                );
            }
            if length < *min {
                return Check::fail(
                    id,
                    title,
                    format!(
                        "{} {shown_length}{inherited}, but recording links are up to {min} characters \
                         (<public_url>/recordings/<64-character call id>)",
                        info.internal_type
                    ),
                    format!(
                        "System Definition > Dictionary: open {entry}, raise Max length to at least {min} \
                         ({URL_RECOMMENDED} recommended) or change its type to URL; or shorten server.public_url"
                    ),
                );
            }
            Check::pass(
                id,
                title,
                format!(
                    "{} {shown_length}{inherited}; links are up to {min} characters",
                    info.internal_type
                ),
            )
        }
        Rule::Reference { expected } => {
            if info.internal_type != "reference" {
                return Check::fail(
                    id,
                    title,
                    format!("{}.{} is of type {}, not a reference to {expected}{inherited}", t, c.column, info.internal_type),
                    format!(
                        "System Definition > Dictionary: use a Reference column to {expected} here: correct {} in the \
                         configuration (or set it to \"\" to leave it unset)",
                        c.key
                    ),
                );
            }
            match info.reference.as_deref() {
                Some(target) if target == *expected => {
                    Check::pass(id, title, format!("reference to {target}{inherited}"))
                }
                other => {
                    let target = other.unwrap_or("(no table)");
                    Check::warn(
                        id,
                        title,
                        format!(
                            "references {target}, but Callbridge writes {expected} records here{inherited}; the \
                             instance may reject or blank the value"
                        ),
                        format!(
                            "Configuration: set {} to a column that references {expected} (System Definition > \
                             Dictionary shows each column's Reference), or \"\" to leave it unset; if {entry} is a \
                             custom column meant for this, point its Reference at {expected}",
                            c.key
                        ),
                    )
                }
            }
        }
    }
}

fn missing_column_fix(p: &TablePlan, c: &ColumnPlan) -> String {
    let t = &p.table;
    let column = &c.column;
    match (&c.rule, p.role) {
        (Rule::Link { min }, _) => format!(
            "System Definition > Dictionary: create column {column} on {t}, type URL, max length ≥ {min} \
             ({URL_RECOMMENDED} recommended); or set {} to an existing URL column",
            c.key
        ),
        (Rule::Reference { expected }, _) => format!(
            "System Definition > Dictionary: create column {column} on {t}, type Reference to {expected}; or correct {} \
             in the configuration (\"\" leaves it unset)",
            c.key
        ),
        (Rule::Text { min, comfortable }, Role::Case) => format!(
            "System Definition > Dictionary: create column {column} on {t}, type String, max length ≥ {}; or correct {} \
             in the configuration",
            comfortable.unwrap_or(40).max(*min),
            c.key
        ),
        (Rule::Text { .. }, Role::Lookup) => format!(
            "System Definition > Tables: open {t} and check its column names (Columns tab), then correct {} in the \
             configuration",
            c.key
        ),
    }
}

/// A well-known table within two edits of `name`.
fn did_you_mean(name: &str) -> Option<&'static str> {
    WELL_KNOWN_TABLES
        .iter()
        .copied()
        .filter(|known| *known != name)
        .map(|known| (edit_distance(name, known), known))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(internal_type: &str, max_length: Option<u32>, reference: Option<&str>) -> ColumnInfo {
        ColumnInfo {
            internal_type: internal_type.into(),
            max_length,
            reference: reference.map(str::to_string),
            label: "X".into(),
            defined_on: TableName::new("sn_customerservice_case").unwrap(),
        }
    }

    fn table(columns: &[(&str, ColumnInfo)]) -> TableInfo {
        TableInfo {
            name: TableName::new("sn_customerservice_case").unwrap(),
            label: "Case".into(),
            super_classes: vec![TableName::new("task").unwrap()],
            columns: columns
                .iter()
                .map(|(n, c)| (n.to_string(), c.clone()))
                .collect(),
        }
    }

    fn plan_with(rule: Rule) -> (TablePlan, ColumnPlan) {
        let c = ColumnPlan {
            id: "column.case.x".into(),
            title: "X".into(),
            column: ColumnName::new("u_x").unwrap(),
            rule,
            key: "tenant.servicenow.case.x_column".into(),
        };
        let p = TablePlan {
            id: TABLE_CASE.into(),
            title: "Case".into(),
            table: TableName::new("sn_customerservice_case").unwrap(),
            role: Role::Case,
            key: "tenant.servicenow.case.table".into(),
            columns: vec![c.clone()],
        };
        (p, c)
    }

    fn status(rule: Rule, info: Option<ColumnInfo>) -> Check {
        let (p, c) = plan_with(rule);
        let t = match info {
            Some(i) => table(&[("u_x", i)]),
            None => table(&[]),
        };
        judge_column(&p, &c, &t)
    }

    #[test]
    fn correlation_lengths_fail_below_64_and_warn_below_100() {
        let rule = Rule::Text {
            min: 64,
            comfortable: Some(100),
        };
        assert_eq!(
            status(rule.clone(), Some(column("string", Some(40), None))).status,
            Status::Fail
        );
        assert_eq!(
            status(rule.clone(), Some(column("string", Some(64), None))).status,
            Status::Warn
        );
        assert_eq!(
            status(rule.clone(), Some(column("string", Some(100), None))).status,
            Status::Pass
        );
        assert_eq!(
            status(rule.clone(), Some(column("integer", Some(100), None))).status,
            Status::Fail
        );
        // An empty max_length is the platform default: 40 for strings.
        assert_eq!(
            status(rule, Some(column("string", None, None))).status,
            Status::Fail
        );
    }

    #[test]
    fn links_need_a_url_or_long_enough_text() {
        let rule = Rule::Link { min: 99 };
        assert_eq!(
            status(rule.clone(), Some(column("url", Some(1024), None))).status,
            Status::Pass
        );
        assert_eq!(
            status(rule.clone(), Some(column("url", None, None))).status,
            Status::Pass
        );
        assert_eq!(
            status(rule.clone(), Some(column("string", Some(255), None))).status,
            Status::Pass
        );
        let short = status(rule.clone(), Some(column("string", Some(40), None)));
        assert_eq!(short.status, Status::Fail);
        assert!(short
            .fix
            .unwrap()
            .contains("raise Max length to at least 99"));
        let missing = status(rule, None);
        assert!(missing
            .fix
            .unwrap()
            .contains("create column u_x on sn_customerservice_case, type URL, max length ≥ 99"));
    }

    #[test]
    fn references_must_point_at_the_expected_table() {
        let rule = Rule::Reference {
            expected: "customer_contact",
        };
        let ok = Some(column("reference", Some(32), Some("customer_contact")));
        assert_eq!(status(rule.clone(), ok).status, Status::Pass);
        let elsewhere = Some(column("reference", Some(32), Some("sys_user")));
        assert_eq!(status(rule.clone(), elsewhere).status, Status::Warn);
        assert_eq!(
            status(rule, Some(column("string", Some(32), None))).status,
            Status::Fail
        );
    }

    #[test]
    fn misspelt_tables_get_a_suggestion() {
        assert_eq!(did_you_mean("customer_contacts"), Some("customer_contact"));
        assert_eq!(did_you_mean("csm_consumers"), Some("csm_consumer"));
        assert_eq!(did_you_mean("u_callers"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
