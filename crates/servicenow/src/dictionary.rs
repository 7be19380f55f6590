//! What a table looks like, from `sys_db_object` and `sys_dictionary` (what `doctor` checks the
//! configured tables and columns against): its label, the tables it extends, and every column
//! including inherited ones (e.g. `customer_contact` gets `phone` from `sys_user`, §3.2; the
//! Case gets `correlation_id` from `task`, §3.1).
//!
//! `sys_db_object.super_class` is a reference to another `sys_db_object` row; the chain is
//! walked one row per request. Reading both tables needs the `personalize_dictionary` role
//! (or admin).

use std::collections::BTreeMap;
use std::fmt;

use crate::client::{Auth, TableClient};
use crate::error::ApiError;
use crate::names::{ColumnName, SysId, TableName};
use crate::query::{Condition, Query};
use crate::record::Record;

/// Deepest `extends` chain followed (task → sn_customerservice_case is 2).
const MAX_DEPTH: usize = 16;
/// Dictionary rows read at most for one table and its parents.
const MAX_DICTIONARY_ROWS: usize = 10_000;

/// One column as `sys_dictionary` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// `string`, `ph_number`, `reference`, `url`, `integer`, ...
    pub internal_type: String,
    /// None when the dictionary leaves it empty.
    pub max_length: Option<u32>,
    /// Target table of a reference column.
    pub reference: Option<String>,
    pub label: String,
    /// The table whose dictionary defines the column (the table itself or a parent).
    pub defined_on: TableName,
}

/// A table as the dictionary describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: TableName,
    pub label: String,
    /// The tables it extends, nearest first (`["task"]` for the Case table).
    pub super_classes: Vec<TableName>,
    /// Every column, own and inherited; a table's own definition wins over its parent's.
    pub columns: BTreeMap<String, ColumnInfo>,
}

impl TableInfo {
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.get(name)
    }

    /// Whether the table is `table` or extends it.
    pub fn is_a(&self, table: &str) -> bool {
        self.name.as_str() == table || self.super_classes.iter().any(|t| t.as_str() == table)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DictionaryError {
    /// No `sys_db_object` row of that name is visible.
    TableNotFound {
        table: TableName,
    },
    /// The account may not read `sys_db_object` or `sys_dictionary`.
    Forbidden {
        reading: &'static str,
        message: String,
        detail: Option<String>,
    },
    /// The rows contradict each other (a dangling or circular `super_class`).
    Inconsistent(String),
    Api(ApiError),
}

impl DictionaryError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, DictionaryError::Api(e) if e.is_retryable())
    }
}

impl fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DictionaryError::TableNotFound { table } => write!(
                f,
                "table '{table}' does not exist on the instance (no sys_db_object row named {table} is visible): \
                 check the name in System Definition > Tables, or activate the plugin that provides it \
                 (an instance that filters rows by ACL hides tables from accounts without the \
                 personalize_dictionary role)"
            ),
            DictionaryError::Forbidden { reading, message, detail } => {
                write!(
                    f,
                    "this account needs the personalize_dictionary role, or admin, to read {reading} (403 {message}"
                )?;
                if let Some(d) = detail.as_deref().filter(|d| !d.is_empty()) {
                    write!(f, ": {d}")?;
                }
                f.write_str(")")
            }
            DictionaryError::Inconsistent(what) => write!(f, "the instance's table definitions are inconsistent: {what}"),
            DictionaryError::Api(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DictionaryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DictionaryError::Api(e) => Some(e),
            _ => None,
        }
    }
}

fn names(list: &[&str]) -> Vec<ColumnName> {
    list.iter()
        .map(|n| ColumnName::new(*n).expect("valid field name"))
        .collect()
}

fn reading(table: &'static str) -> impl Fn(ApiError) -> DictionaryError {
    move |error| match error {
        ApiError::Forbidden { message, detail } => DictionaryError::Forbidden {
            reading: table,
            message,
            detail,
        },
        other => DictionaryError::Api(other),
    }
}

/// A `sys_db_object` row: (sys_id, name, label, super_class sys_id).
fn object_row(
    record: &Record,
) -> Result<(String, TableName, String, Option<SysId>), DictionaryError> {
    let bad = |what: String| {
        DictionaryError::Api(ApiError::UnexpectedResponse(format!(
            "sys_db_object: {what}"
        )))
    };
    let sys_id = record
        .sys_id()
        .ok_or_else(|| bad("a row has no sys_id".into()))?
        .to_string();
    let name = TableName::new(record.get_or_empty("name")).map_err(|e| bad(e.to_string()))?;
    let parent = record
        .non_empty("super_class")
        .map(|p| SysId::new(p).map_err(|e| bad(format!("super_class of {name}: {e}"))))
        .transpose()?;
    Ok((
        sys_id,
        name,
        record.get_or_empty("label").to_string(),
        parent,
    ))
}

/// Describes `table`: label, parents and every column (see the module documentation).
pub async fn describe_table(
    client: &TableClient,
    auth: &Auth,
    table: &TableName,
) -> Result<TableInfo, DictionaryError> {
    let sys_db_object = TableName::new("sys_db_object").expect("valid");
    let object_fields = names(&["sys_id", "name", "label", "super_class"]);
    let name_column = ColumnName::new("name").expect("valid");
    let query = Query::from_condition(
        Condition::eq(&name_column, table.as_str()).map_err(|e| DictionaryError::Api(e.into()))?,
    );
    let rows = client
        .list(auth, &sys_db_object, &query, &object_fields, 2)
        .await
        .map_err(reading("sys_db_object"))?;
    // `=` may be case-insensitive on the instance: keep only the exact name.
    let Some(row) = rows.iter().find(|r| r.get("name") == Some(table.as_str())) else {
        return Err(DictionaryError::TableNotFound {
            table: table.clone(),
        });
    };
    let (first_id, _, label, mut parent) = object_row(row)?;
    let mut seen = vec![first_id];
    let mut chain = vec![table.clone()];
    while let Some(parent_id) = parent.take() {
        if seen.iter().any(|s| s == parent_id.as_str()) || chain.len() > MAX_DEPTH {
            return Err(DictionaryError::Inconsistent(format!(
                "the super_class chain of {table} loops or is deeper than {MAX_DEPTH}"
            )));
        }
        let record = client
            .get(auth, &sys_db_object, &parent_id, &object_fields)
            .await
            .map_err(reading("sys_db_object"))?
            .ok_or_else(|| {
                DictionaryError::Inconsistent(format!(
                    "{} extends sys_db_object {parent_id}, which does not exist or is hidden",
                    chain.last().expect("chain starts with the table")
                ))
            })?;
        let (id, name, _, next) = object_row(&record)?;
        seen.push(id);
        chain.push(name);
        parent = next;
    }

    let dictionary = TableName::new("sys_dictionary").expect("valid");
    let element = ColumnName::new("element").expect("valid");
    let by_table = Condition::any(
        chain
            .iter()
            .map(|t| {
                Condition::eq(&name_column, t.as_str()).map_err(|e| DictionaryError::Api(e.into()))
            })
            .collect::<Result<Vec<_>, _>>()?,
    )
    .expect("the chain holds the table");
    let query = Query::from_condition(by_table).and(Condition::is_not_empty(&element));
    let rows = client
        .list(
            auth,
            &dictionary,
            &query,
            &names(&[
                "name",
                "element",
                "internal_type",
                "max_length",
                "reference",
                "column_label",
            ]),
            MAX_DICTIONARY_ROWS,
        )
        .await
        .map_err(reading("sys_dictionary"))?;
    if rows.len() >= MAX_DICTIONARY_ROWS {
        return Err(DictionaryError::Inconsistent(format!(
            "{table} and its parents have {MAX_DICTIONARY_ROWS} or more dictionary entries; not all could be read"
        )));
    }
    let mut columns: BTreeMap<String, (usize, ColumnInfo)> = BTreeMap::new();
    for row in &rows {
        let Some(depth) = chain
            .iter()
            .position(|t| row.get("name") == Some(t.as_str()))
        else {
            continue; // a case-insensitive match on another table's name
        };
        let element = row.get_or_empty("element").trim();
        if element.is_empty() {
            continue;
        }
        let max_length = match row.get_or_empty("max_length").trim() {
            "" => None,
            text => Some(text.parse::<u32>().map_err(|_| {
                DictionaryError::Api(ApiError::UnexpectedResponse(format!(
                    "sys_dictionary: max_length of {}.{element} is '{}', not a number",
                    chain[depth],
                    crate::names::shown(text)
                )))
            })?),
        };
        let info = ColumnInfo {
            internal_type: row.get_or_empty("internal_type").trim().to_string(),
            max_length,
            reference: row.non_empty("reference").map(|r| r.trim().to_string()),
            label: row.get_or_empty("column_label").to_string(),
            defined_on: chain[depth].clone(),
        };
        match columns.get(element) {
            Some((existing, _)) if *existing <= depth => {}
            _ => {
                columns.insert(element.to_string(), (depth, info));
            }
        }
    }
    Ok(TableInfo {
        name: table.clone(),
        label,
        super_classes: chain[1..].to_vec(),
        columns: columns.into_iter().map(|(k, (_, v))| (k, v)).collect(),
    })
}

/// The platform's customer tables callers are searched in (servicenow.md §3.2): a contact of a
/// customer account, and a consumer (B2C). What extends them is a customer table too.
pub const CUSTOMER_TABLES: [(&str, CallerKind); 2] = [
    ("customer_contact", CallerKind::Contact),
    ("csm_consumer", CallerKind::Consumer),
];

/// Where the customer tables get their phone columns (`customer_contact` extends `sys_user`).
const PHONE_SOURCES: [&str; 1] = ["sys_user"];

/// `sys_db_object` rows read at most for the list of caller tables (each request bounded by
/// `sysparm_limit`; an instance with more custom tables than this lists the first ones by
/// name).
pub const MAX_LISTED_TABLES: usize = 500;
/// `sys_dictionary` rows of phone-like columns read at most for that list.
pub const MAX_LISTED_PHONE_COLUMNS: usize = 2_000;

/// Who the records of a caller table are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    Contact,
    Consumer,
}

/// A table an admin could search callers in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerTable {
    pub name: TableName,
    pub label: String,
    /// The tables it extends, nearest first, as far as the rows read tell.
    pub super_classes: Vec<TableName>,
    /// `Consumer` when it is or extends `csm_consumer`, else `Contact`.
    pub kind: CallerKind,
    /// Its phone-like columns, own and inherited: `ph_number` columns, and string columns
    /// whose name mentions `phone`.
    pub phone_columns: Vec<String>,
}

/// The caller tables of an instance, and whether a bound cut the list short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerTables {
    pub tables: Vec<CallerTable>,
    pub truncated: bool,
}

/// Whether a `sys_dictionary` row describes a column that holds a phone number.
fn phone_like(internal_type: &str, element: &str) -> bool {
    internal_type == "ph_number"
        || (matches!(internal_type, "string" | "string_full_utf8") && element.contains("phone"))
}

/// Whether `name` is a table an admin made (`u_` in the global scope, `x_` in an application's).
fn custom(name: &str) -> bool {
    name.starts_with("u_") || name.starts_with("x_")
}

/// The tables an admin could search callers in: `customer_contact`, `csm_consumer` and the
/// tables extending them directly, and the tables an admin made (`u_`, `x_`) that extend them
/// or have a phone-like column of their own or from a parent. Three requests, each bounded
/// ([`MAX_LISTED_TABLES`], [`MAX_LISTED_PHONE_COLUMNS`]); nothing is kept.
pub async fn caller_tables(
    client: &TableClient,
    auth: &Auth,
) -> Result<CallerTables, DictionaryError> {
    let sys_db_object = TableName::new("sys_db_object").expect("valid");
    let fields = names(&["sys_id", "name", "label", "super_class"]);
    let name = ColumnName::new("name").expect("valid");
    let super_class = ColumnName::new("super_class").expect("valid");
    let api = |e: crate::query::QueryError| DictionaryError::Api(e.into());
    let mut truncated = false;

    // The platform's customer tables, where they get their phones, and every custom table.
    let mut wanted = Vec::new();
    for table in CUSTOMER_TABLES.iter().map(|(t, _)| *t).chain(PHONE_SOURCES) {
        wanted.push(Condition::eq(&name, table).map_err(api)?);
    }
    wanted.push(Condition::starts_with(&name, "u_").map_err(api)?);
    wanted.push(Condition::starts_with(&name, "x_").map_err(api)?);
    let query = Query::from_condition(Condition::any(wanted).expect("not empty")).order_by(&name);
    let rows = client
        .list(auth, &sys_db_object, &query, &fields, MAX_LISTED_TABLES)
        .await
        .map_err(reading("sys_db_object"))?;
    truncated |= rows.len() >= MAX_LISTED_TABLES;
    let mut objects: BTreeMap<String, (TableName, String, Option<SysId>)> = BTreeMap::new();
    for row in &rows {
        let (id, table, label, parent) = object_row(row)?;
        objects.insert(id, (table, label, parent));
    }

    // The platform's tables extending a customer table directly (a plugin's, or an older
    // custom table without the prefix).
    let customer_ids: Vec<String> = objects
        .iter()
        .filter(|(_, (t, _, _))| CUSTOMER_TABLES.iter().any(|(c, _)| *c == t.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    if let Some(children) = Condition::any(
        customer_ids
            .iter()
            .map(|id| Condition::eq(&super_class, id).map_err(api))
            .collect::<Result<Vec<_>, _>>()?,
    ) {
        let query = Query::from_condition(children).order_by(&name);
        let rows = client
            .list(auth, &sys_db_object, &query, &fields, MAX_LISTED_TABLES)
            .await
            .map_err(reading("sys_db_object"))?;
        truncated |= rows.len() >= MAX_LISTED_TABLES;
        for row in &rows {
            let (id, table, label, parent) = object_row(row)?;
            objects.insert(id, (table, label, parent));
        }
    }

    // The phone-like columns of every table read.
    let dictionary = TableName::new("sys_dictionary").expect("valid");
    let element = ColumnName::new("element").expect("valid");
    let internal_type = ColumnName::new("internal_type").expect("valid");
    let mut tables_of_interest = Vec::new();
    for (table, _, _) in objects.values() {
        if !custom(table.as_str()) {
            tables_of_interest.push(Condition::eq(&name, table.as_str()).map_err(api)?);
        }
    }
    tables_of_interest.push(Condition::starts_with(&name, "u_").map_err(api)?);
    tables_of_interest.push(Condition::starts_with(&name, "x_").map_err(api)?);
    let query = Query::from_condition(Condition::any(tables_of_interest).expect("not empty"))
        .and(
            Condition::eq(&internal_type, "ph_number")
                .map_err(api)?
                .or(Condition::like(&element, "phone").map_err(api)?),
        )
        .order_by(&element);
    let rows = client
        .list(
            auth,
            &dictionary,
            &query,
            &names(&["name", "element", "internal_type"]),
            MAX_LISTED_PHONE_COLUMNS,
        )
        .await
        .map_err(reading("sys_dictionary"))?;
    truncated |= rows.len() >= MAX_LISTED_PHONE_COLUMNS;
    let mut phones: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &rows {
        let column = row.get_or_empty("element").trim();
        if column.is_empty() || !phone_like(row.get_or_empty("internal_type").trim(), column) {
            continue;
        }
        let list = phones
            .entry(row.get_or_empty("name").trim().to_string())
            .or_default();
        if !list.iter().any(|c| c == column) {
            list.push(column.to_string());
        }
    }

    // Each table with its parents as far as the rows read go.
    let mut tables = Vec::new();
    for (table, label, parent) in objects.values() {
        if PHONE_SOURCES.contains(&table.as_str()) {
            continue;
        }
        let mut chain: Vec<TableName> = Vec::new();
        let mut next = parent.clone();
        while let Some(id) = next.take() {
            let Some((parent, _, grandparent)) = objects.get(id.as_str()) else {
                break; // a platform table not read: its columns are not offered here
            };
            if chain.len() > MAX_DEPTH || chain.contains(parent) || parent == table {
                break;
            }
            chain.push(parent.clone());
            next = grandparent.clone();
        }
        let customer = std::iter::once(table)
            .chain(chain.iter())
            .find_map(|t| CUSTOMER_TABLES.iter().find(|(c, _)| *c == t.as_str()));
        let mut phone_columns: Vec<String> = Vec::new();
        for t in std::iter::once(table).chain(chain.iter()) {
            for column in phones.get(t.as_str()).into_iter().flatten() {
                if !phone_columns.contains(column) {
                    phone_columns.push(column.clone());
                }
            }
        }
        // A customer table or one extending it is always a caller table; a table an admin
        // made is one when it holds a phone number.
        if customer.is_none() && phone_columns.is_empty() {
            continue;
        }
        tables.push(CallerTable {
            name: table.clone(),
            label: label.clone(),
            super_classes: chain,
            kind: customer.map_or(CallerKind::Contact, |(_, kind)| *kind),
            phone_columns,
        });
    }
    tables.sort_by(|a, b| {
        // The platform's tables first, then the ones an admin made, each by name.
        let made = |t: &CallerTable| custom(t.name.as_str());
        made(a)
            .cmp(&made(b))
            .then_with(|| a.name.as_str().cmp(b.name.as_str()))
    });
    Ok(CallerTables { tables, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_columns_are_phone_numbers_or_text_named_for_a_phone() {
        assert!(phone_like("ph_number", "u_direct_line"));
        assert!(phone_like("string", "u_mobile_phone"));
        assert!(phone_like("string_full_utf8", "u_phone"));
        assert!(!phone_like("reference", "u_phone_owner"));
        assert!(!phone_like("string", "u_email"));
        assert!(!phone_like("integer", "u_phone_count"));
    }

    #[test]
    fn custom_tables_are_the_global_and_application_prefixes() {
        assert!(custom("u_vip_customer"));
        assert!(custom("x_acme_member"));
        assert!(!custom("customer_contact"));
        assert!(!custom("sys_user"));
    }
}
