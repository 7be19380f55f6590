//! Checks 4 and 5: every configured table exists and every configured column exists (inherited
//! columns included) with a type and length that can hold what Callbridge writes there, read
//! from `sys_db_object` and `sys_dictionary` with the service account.

use std::collections::{BTreeMap, HashSet};

use crate::{
    describe_table, ColumnInfo, ColumnName, DictionaryError, TableClient, TableInfo, TableName,
};
use callbridge_core::CallId;

use super::access::retry_fix;
use super::connection::{skipped_because, Service};
use super::TenantConfig;
use callbridge_kernel::check::{Check, Status, Text};

pub const DICTIONARY: &str = "access.dictionary";

fn dictionary_title() -> Text {
    Text::new(
        "Service account can read table definitions",
        "サービス アカウントがテーブル定義を読める",
    )
}

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
    title: Text,
    column: ColumnName,
    rule: Rule,
    /// The configuration key naming the column.
    key: String,
}

#[derive(Debug, Clone)]
struct TablePlan {
    id: String,
    title: Text,
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
    pub case_blocker: Option<Text>,
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
                title: Text::new(
                    format!("Phone column {t}.{c}"),
                    format!("電話番号の列 {t}.{c}"),
                ),
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
            title: Text::new(
                format!("Name column {t}.{}", lookup.name_column),
                format!("名前の列 {t}.{}", lookup.name_column),
            ),
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
                title: Text::new(
                    format!("Account column {t}.{account}"),
                    format!("取引先の列 {t}.{account}"),
                ),
                column: account.clone(),
                rule: Rule::Reference {
                    expected: "customer_account",
                },
                key: format!("{key}.account_column"),
            });
        }
        tables.push(TablePlan {
            id: table_lookup_id(t),
            title: Text::new(format!("Lookup table {t}"), format!("検索テーブル {t}")),
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
            title: Text::new(
                format!("Correlation column {t}.{}", case.correlation_column),
                format!("相関 ID の列 {t}.{}", case.correlation_column),
            ),
            column: case.correlation_column.clone(),
            rule: Rule::Text {
                min: MAX_CALL_ID_LEN as u32,
                comfortable: Some(CORRELATION_COMFORT),
            },
            key: format!("{key}.correlation_column"),
        },
        ColumnPlan {
            id: "column.case.recording_url".into(),
            title: Text::new(
                format!("Recording link column {t}.{}", case.recording_url_column),
                format!("録音リンクの列 {t}.{}", case.recording_url_column),
            ),
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
            title: Text::new(
                format!("Caller number column {t}.{c}"),
                format!("発信者番号の列 {t}.{c}"),
            ),
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
            ("Contact", "担当者"),
            &case.contact_column,
            "customer_contact",
        ),
        (
            "account",
            ("Account", "取引先"),
            &case.account_column,
            "customer_account",
        ),
        (
            "consumer",
            ("Consumer", "個人顧客"),
            &case.consumer_column,
            "csm_consumer",
        ),
        (
            "assigned_to",
            ("Assigned-to", "割り当て先"),
            &case.assigned_to_column,
            "sys_user",
        ),
    ];
    for (name, (label, label_ja), column, expected) in references {
        if let Some(c) = column {
            columns.push(ColumnPlan {
                id: format!("column.case.{name}"),
                title: Text::new(
                    format!("{label} column {t}.{c}"),
                    format!("{label_ja}の列 {t}.{c}"),
                ),
                column: c.clone(),
                rule: Rule::Reference { expected },
                key: format!("{key}.{name}_column"),
            });
        }
    }
    tables.push(TablePlan {
        id: TABLE_CASE.into(),
        title: Text::new(format!("Case table {t}"), format!("ケース テーブル {t}")),
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
    let (user, user_ja) = (&service.user, &service.user_ja);
    if let Some(reason) = forbidden {
        checks.push(Check::fail(
            DICTIONARY,
            dictionary_title(),
            Text::new(
                reason.clone(),
                format!("テーブル定義の読み取りが拒否されました: {reason}"),
            ),
            Text::new(
                format!(
                    "User Administration > Users: grant role personalize_dictionary to {user}, then have them log in \
                     again (roles apply to new tokens); doctor reads sys_db_object and sys_dictionary to check tables \
                     and columns"
                ),
                format!(
                    "User Administration > Users: {user_ja} にロール personalize_dictionary を付与し、ログインし直して\
                     もらってください（ロールは新しいトークンから有効です）。doctor はテーブルと列の確認に \
                     sys_db_object と sys_dictionary を読みます"
                ),
            ),
        ));
        skip_plans(&plans, &skipped_because(DICTIONARY), checks);
        return outcome;
    }
    checks.push(Check::pass(
        DICTIONARY,
        dictionary_title(),
        Text::new(
            format!("{user} can read sys_db_object and sys_dictionary"),
            format!("{user_ja} は sys_db_object と sys_dictionary を読めます"),
        ),
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
                        outcome.case_blocker = Some(skipped_because("column.case.correlation"));
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
                    outcome.case_blocker = Some(skipped_because(TABLE_CASE));
                }
                let fix = if not_found {
                    missing_table_fix(p)
                } else {
                    retry_fix()
                };
                checks.push(Check::fail(p.id.clone(), &p.title, table_error(e), fix));
                for c in &p.columns {
                    checks.push(Check::skipped(
                        c.id.clone(),
                        &c.title,
                        skipped_because(&p.id),
                    ));
                }
            }
        }
    }
    outcome
}

fn table_error(error: &DictionaryError) -> Text {
    match error {
        DictionaryError::TableNotFound { table } => Text::new(
            format!("no table named {table} exists on the instance (no sys_db_object row)"),
            format!("インスタンスに {table} という名前のテーブルはありません（sys_db_object に行がありません）"),
        ),
        other => Text::new(
            other.to_string(),
            format!("テーブル定義を読めませんでした: {other}"),
        ),
    }
}

fn missing_table_fix(p: &TablePlan) -> Text {
    let guess = did_you_mean(p.table.as_str());
    let suggestion = guess
        .map(|t| format!(" (did you mean {t}?)"))
        .unwrap_or_default();
    let suggestion_ja = guess
        .map(|t| format!("（{t} の誤りではありませんか？）"))
        .unwrap_or_default();
    let (what, what_ja) = match p.role {
        Role::Lookup => ("a table of callers to search", "発信者を検索するテーブル"),
        Role::Case => ("the Case table", "ケース テーブル"),
    };
    let (key, table) = (&p.key, &p.table);
    Text::new(
        format!(
            "System Definition > Tables: find the exact name of {what} and correct {key} = \"{table}\" in the \
             configuration{suggestion}; if the table should exist, activate the plugin that provides it (System \
             Definition > Plugins, e.g. Customer Service Management)"
        ),
        format!(
            "System Definition > Tables: {what_ja}の正確な名前を確認し、設定の {key} = \"{table}\" を直してください\
             {suggestion_ja}。テーブルがあるはずなら、それを提供するプラグインを有効にしてください（System Definition > \
             Plugins、例: Customer Service Management）"
        ),
    )
}

fn table_found(p: &TablePlan, info: &TableInfo) -> Check {
    let (extends, extends_ja) = if info.super_classes.is_empty() {
        (String::new(), String::new())
    } else {
        let chain: Vec<&str> = info.super_classes.iter().map(|t| t.as_str()).collect();
        let chain = chain.join(" > ");
        (format!(", extends {chain}"), format!("、{chain} を拡張"))
    };
    let (label, count) = (&info.label, info.columns.len());
    Check::pass(
        p.id.clone(),
        &p.title,
        Text::new(
            format!("\"{label}\"{extends}, {count} columns"),
            format!("\"{label}\"{extends_ja}、列 {count} 個"),
        ),
    )
}

/// The plans' checks, all skipped for `reason`.
fn skip_plans(plans: &[TablePlan], reason: &Text, checks: &mut Vec<Check>) {
    for p in plans {
        checks.push(Check::skipped(p.id.clone(), &p.title, reason));
        for c in &p.columns {
            checks.push(Check::skipped(c.id.clone(), &c.title, reason));
        }
    }
}

/// The checks 4 and 5 would have produced, when the service credential failed.
pub fn skip(tenant: &TenantConfig, reason: &Text, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(DICTIONARY, dictionary_title(), reason));
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

/// " (inherited from task)", in English and Japanese; empty for a column of the table itself.
fn where_defined(table: &TableName, info: &ColumnInfo) -> (String, String) {
    if &info.defined_on == table {
        (String::new(), String::new())
    } else {
        (
            format!(" (inherited from {})", info.defined_on),
            format!("（{} から継承）", info.defined_on),
        )
    }
}

fn judge_column(p: &TablePlan, c: &ColumnPlan, table: &TableInfo) -> Check {
    let (id, title) = (c.id.clone(), &c.title);
    let (column, key) = (&c.column, &c.key);
    if column.is_dot_walked() {
        return Check::skipped(
            id,
            title,
            Text::new(
                format!("{column} is dot-walked; only plain columns are checked"),
                format!("{column} はドットウォークの列です。確認するのは通常の列だけです"),
            ),
        );
    }
    let t = &p.table;
    let Some(info) = table.column(column.as_str()) else {
        let detail = if table.super_classes.is_empty() {
            Text::new(
                format!("{t} has no column {column}"),
                format!("{t} に列 {column} がありません"),
            )
        } else {
            let chain: Vec<&str> = table.super_classes.iter().map(|s| s.as_str()).collect();
            let chain = chain.join(", ");
            Text::new(
                format!("neither {t} nor the tables it extends ({chain}) have a column {column}"),
                format!("{t} にも、その拡張元のテーブル（{chain}）にも列 {column} がありません"),
            )
        };
        return Check::fail(id, title, detail, missing_column_fix(p, c));
    };
    let (inherited, inherited_ja) = where_defined(t, info);
    let (length, defaulted) = max_length(info);
    let (shown_length, shown_length_ja) = if defaulted {
        (
            format!("max length {length} (platform default)"),
            format!("最大長 {length}（プラットフォームの既定値）"),
        )
    } else {
        (format!("max length {length}"), format!("最大長 {length}"))
    };
    let kind = &info.internal_type;
    let entry = format!("{column} on {}", info.defined_on);
    let entry_ja = format!("{} の {column}", info.defined_on);
    match &c.rule {
        Rule::Text { min, comfortable } => {
            if !is_text(kind) {
                return Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{t}.{column} is of type {kind}, not a text type{inherited}"),
                        format!("{t}.{column} の型は {kind} で、テキスト型ではありません{inherited_ja}"),
                    ),
                    Text::new(
                        format!(
                            "System Definition > Dictionary: use a String or Phone Number column here: correct {key} in \
                             the configuration, or create a String column on {t}"
                        ),
                        format!(
                            "System Definition > Dictionary: ここには String か Phone Number の列を使います。設定の {key} を\
                             直すか、{t} に String の列を作成してください"
                        ),
                    ),
                );
            }
            if length < *min {
                let wanted = comfortable.unwrap_or(*min).max(*min);
                return Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{kind} {shown_length}{inherited}; Callbridge writes up to {min} characters"),
                        format!("{kind}、{shown_length_ja}{inherited_ja}。Callbridge は最大 {min} 文字を書き込みます"),
                    ),
                    Text::new(
                        format!(
                            "System Definition > Dictionary: open {entry} and raise Max length to at least {wanted} (or \
                             configure a longer column in {key})"
                        ),
                        format!(
                            "System Definition > Dictionary: {entry_ja} を開き、Max length を {wanted} 以上にしてください\
                             （または {key} にもっと長い列を設定してください）"
                        ),
                    ),
                );
            }
            if let Some(good) = comfortable.filter(|good| length < *good) {
                return Check::warn(
                    id,
                    title,
                    Text::new(
                        format!(
                            "{kind} {shown_length}{inherited}: enough for today's {min}-character call ids, with no margin"
                        ),
                        format!(
                            "{kind}、{shown_length_ja}{inherited_ja}: 現在の {min} 文字の通話 ID は入りますが、余裕がありません"
                        ),
                    ),
                    Text::new(
                        format!("System Definition > Dictionary: open {entry} and raise Max length to {good}"),
                        format!("System Definition > Dictionary: {entry_ja} を開き、Max length を {good} にしてください"),
                    ),
                );
            }
            Check::pass(
                id,
                title,
                Text::new(
                    format!("{kind} {shown_length}{inherited}"),
                    format!("{kind}、{shown_length_ja}{inherited_ja}"),
                ),
            )
        }
        Rule::Link { min } => {
            if !is_text(kind) {
                return Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{t}.{column} is of type {kind}; a link needs a URL or String column{inherited}"),
                        format!(
                            "{t}.{column} の型は {kind} です。リンクには URL か String の列が必要です{inherited_ja}"
                        ),
                    ),
                    Text::new(
                        format!(
                            "System Definition > Dictionary: create a column on {t} of type URL, max length ≥ {min} \
                             ({URL_RECOMMENDED} recommended), and set {key} to it"
                        ),
                        format!(
                            "System Definition > Dictionary: {t} に型 URL、最大長 {min} 以上（推奨 {URL_RECOMMENDED}）の列を\
                             作成し、{key} にその列を設定してください"
                        ),
                    ),
                );
            }
            if length < *min {
                return Check::fail(
                    id,
                    title,
                    Text::new(
                        format!(
                            "{kind} {shown_length}{inherited}, but recording links are up to {min} characters \
                             (<public_url>/recordings/<64-character call id>)"
                        ),
                        format!(
                            "{kind}、{shown_length_ja}{inherited_ja}。録音リンクは最大 {min} 文字なので足りません\
                             （<public_url>/recordings/<64 文字の通話 ID>）"
                        ),
                    ),
                    Text::new(
                        format!(
                            "System Definition > Dictionary: open {entry}, raise Max length to at least {min} \
                             ({URL_RECOMMENDED} recommended) or change its type to URL; or shorten server.public_url"
                        ),
                        format!(
                            "System Definition > Dictionary: {entry_ja} を開き、Max length を {min} 以上（推奨 \
                             {URL_RECOMMENDED}）にするか、型を URL に変えてください。または server.public_url を短くしてください"
                        ),
                    ),
                );
            }
            Check::pass(
                id,
                title,
                Text::new(
                    format!("{kind} {shown_length}{inherited}; links are up to {min} characters"),
                    format!("{kind}、{shown_length_ja}{inherited_ja}。リンクは最大 {min} 文字です"),
                ),
            )
        }
        Rule::Reference { expected } => {
            if kind != "reference" {
                return Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{t}.{column} is of type {kind}, not a reference to {expected}{inherited}"),
                        format!("{t}.{column} の型は {kind} で、{expected} への参照ではありません{inherited_ja}"),
                    ),
                    Text::new(
                        format!(
                            "System Definition > Dictionary: use a Reference column to {expected} here: correct {key} in \
                             the configuration (or set it to \"\" to leave it unset)"
                        ),
                        format!(
                            "System Definition > Dictionary: ここには {expected} への Reference の列を使います。設定の \
                             {key} を直してください（\"\" にすると未設定になります）"
                        ),
                    ),
                );
            }
            match info.reference.as_deref() {
                Some(target) if target == *expected => Check::pass(
                    id,
                    title,
                    Text::new(
                        format!("reference to {target}{inherited}"),
                        format!("{target} への参照{inherited_ja}"),
                    ),
                ),
                other => {
                    let (target, target_ja) = match other {
                        Some(target) => (target, target),
                        None => ("(no table)", "（テーブルなし）"),
                    };
                    Check::warn(
                        id,
                        title,
                        Text::new(
                            format!(
                                "references {target}, but Callbridge writes {expected} records here{inherited}; the \
                                 instance may reject or blank the value"
                            ),
                            format!(
                                "{target_ja} を参照しています{inherited_ja}。Callbridge はここに {expected} のレコードを\
                                 書き込むため、インスタンスが値を拒否するか空にすることがあります"
                            ),
                        ),
                        Text::new(
                            format!(
                                "Configuration: set {key} to a column that references {expected} (System Definition > \
                                 Dictionary shows each column's Reference), or \"\" to leave it unset; if {entry} is a \
                                 custom column meant for this, point its Reference at {expected}"
                            ),
                            format!(
                                "設定: {key} を {expected} を参照する列にするか（各列の Reference は System Definition > \
                                 Dictionary で確認できます）、\"\" で未設定にしてください。{entry_ja} がこのための\
                                 カスタム列なら、Reference を {expected} にしてください"
                            ),
                        ),
                    )
                }
            }
        }
    }
}

fn missing_column_fix(p: &TablePlan, c: &ColumnPlan) -> Text {
    let t = &p.table;
    let (column, key) = (&c.column, &c.key);
    match (&c.rule, p.role) {
        (Rule::Link { min }, _) => Text::new(
            format!(
                "System Definition > Dictionary: create column {column} on {t}, type URL, max length ≥ {min} \
                 ({URL_RECOMMENDED} recommended); or set {key} to an existing URL column"
            ),
            format!(
                "System Definition > Dictionary: {t} に列 {column} を型 URL、最大長 {min} 以上（推奨 \
                 {URL_RECOMMENDED}）で作成してください。または {key} に既存の URL 列を設定してください"
            ),
        ),
        (Rule::Reference { expected }, _) => Text::new(
            format!(
                "System Definition > Dictionary: create column {column} on {t}, type Reference to {expected}; or \
                 correct {key} in the configuration (\"\" leaves it unset)"
            ),
            format!(
                "System Definition > Dictionary: {t} に列 {column} を {expected} への Reference 型で作成してください。\
                 または設定の {key} を直してください（\"\" で未設定になります）"
            ),
        ),
        (Rule::Text { min, comfortable }, Role::Case) => {
            let length = comfortable.unwrap_or(40).max(*min);
            Text::new(
                format!(
                    "System Definition > Dictionary: create column {column} on {t}, type String, max length ≥ \
                     {length}; or correct {key} in the configuration"
                ),
                format!(
                    "System Definition > Dictionary: {t} に列 {column} を型 String、最大長 {length} 以上で作成して\
                     ください。または設定の {key} を直してください"
                ),
            )
        }
        (Rule::Text { .. }, Role::Lookup) => Text::new(
            format!(
                "System Definition > Tables: open {t} and check its column names (Columns tab), then correct {key} in \
                 the configuration"
            ),
            format!(
                "System Definition > Tables: {t} を開いて列名（Columns タブ）を確認し、設定の {key} を直してください"
            ),
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
            title: Text::new("X", "エックス"),
            column: ColumnName::new("u_x").unwrap(),
            rule,
            key: "tenant.servicenow.case.x_column".into(),
        };
        let p = TablePlan {
            id: TABLE_CASE.into(),
            title: Text::new("Case", "ケース"),
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
        assert_eq!(
            short.ja.fix.as_deref(),
            Some(
                "System Definition > Dictionary: sn_customerservice_case の u_x を開き、Max length を 99 以上\
                 （推奨 1024）にするか、型を URL に変えてください。または server.public_url を短くしてください"
            )
        );
        assert_eq!(
            short.ja.detail.as_deref(),
            Some(
                "string、最大長 40。録音リンクは最大 99 文字なので足りません（<public_url>/recordings/<64 文字の通話 ID>）"
            )
        );
        let missing = status(rule, None);
        assert!(missing.missing_japanese().is_empty(), "{missing:#?}");
        assert_eq!(
            missing.ja.detail.as_deref(),
            Some(
                "sn_customerservice_case にも、その拡張元のテーブル（task）にも列 u_x がありません"
            )
        );
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
