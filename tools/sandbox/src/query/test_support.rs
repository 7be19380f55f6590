//! In-memory catalog and rows shared by the unit tests and property tests.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{parse, Catalog, FieldKind, MatchOptions, QueryContext, Row};

/// A table schema given as (path, kind) pairs; dot-walked paths are listed explicitly.
pub(crate) struct TestCatalog {
    fields: HashMap<&'static str, FieldKind>,
}

impl TestCatalog {
    pub(crate) fn new(fields: &[(&'static str, FieldKind)]) -> Self {
        TestCatalog {
            fields: fields.iter().copied().collect(),
        }
    }

    /// A contact-like table with one column of each kind and a dot-walkable reference.
    pub(crate) fn contacts() -> Self {
        TestCatalog::new(&[
            ("name", FieldKind::String),
            ("phone", FieldKind::String),
            ("alt_phone", FieldKind::String),
            ("email", FieldKind::String),
            ("short_description", FieldKind::String),
            ("category", FieldKind::String),
            ("active", FieldKind::Boolean),
            ("priority", FieldKind::Integer),
            ("score", FieldKind::Decimal),
            ("opened_at", FieldKind::DateTime),
            ("caller_id", FieldKind::Reference),
            ("company", FieldKind::Reference),
            ("company.name", FieldKind::String),
            ("company.stock_symbol", FieldKind::String),
            ("sys_class_name", FieldKind::Other),
        ])
    }
}

impl Catalog for TestCatalog {
    fn field_kind(&self, path: &str) -> Option<FieldKind> {
        self.fields.get(path).copied()
    }

    fn text_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = self
            .fields
            .iter()
            .filter(|(path, kind)| **kind == FieldKind::String && !path.contains('.'))
            .map(|(path, _)| path.to_string())
            .collect();
        columns.sort();
        columns
    }
}

/// A record as path → value; dot-walked values are stored under their full path.
#[derive(Debug, Clone, Default)]
pub(crate) struct TestRow {
    values: HashMap<String, String>,
}

impl TestRow {
    pub(crate) fn new(values: &[(&str, &str)]) -> Self {
        TestRow {
            values: values
                .iter()
                .map(|(path, value)| (path.to_string(), value.to_string()))
                .collect(),
        }
    }

    pub(crate) fn from_map(values: HashMap<String, String>) -> Self {
        TestRow { values }
    }
}

impl Row for TestRow {
    fn value(&self, path: &str) -> Cow<'_, str> {
        Cow::Borrowed(self.values.get(path).map_or("", String::as_str))
    }
}

pub(crate) fn context() -> QueryContext {
    QueryContext {
        user_sys_id: "6816f79cc0a8016401c5a33be04be441".to_owned(),
        user_name: "fred.luddy".to_owned(),
        now_utc: "2024-01-15 12:00:00".to_owned(),
    }
}

/// Names of the rows `query` matches under `opts`, in input order.
pub(crate) fn names_matching_with(
    query: &str,
    opts: MatchOptions,
    catalog: &TestCatalog,
    rows: &[TestRow],
) -> Vec<String> {
    let bound = parse(query).bind(catalog, &context(), &opts);
    rows.iter()
        .filter(|row| bound.matches(*row))
        .map(|row| row.value("name").into_owned())
        .collect()
}
