//! The instance's data: the compiled schema plus every table's rows, in memory, with
//! dictionary-driven schema changes. Durability is `persist`'s job: every change made here is
//! also sent, in the same order, to the SQLite writer.

pub mod persist;
mod record;
mod table;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

pub use record::Record;
pub use table::{RowPos, TableData};

use crate::query::{BoundQuery, Catalog, FieldKind, Row};
use crate::schema::{default_max_length, system_columns, Column, Schema, TableDef, TableSpec};

#[derive(Debug, Default)]
pub struct Db {
    pub schema: Schema,
    pub tables: HashMap<String, TableData>,
    /// Next number per table with a number prefix (CS0001001, ...).
    number_counters: HashMap<String, u64>,
}

/// A record together with the table it belongs to, readable by path (dot-walks included).
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    pub db: &'a Db,
    pub table: &'a TableDef,
    pub record: &'a Record,
}

impl<'a> RowView<'a> {
    pub fn get(&self, column: &str) -> &'a str {
        match self.table.slot(column) {
            Some(slot) => self.record.get(slot),
            None => "",
        }
    }

    /// Follows a dot-walked path; each hop goes through a reference column.
    pub fn walk(&self, path: &str) -> Option<(&'a Column, &'a str, RowView<'a>)> {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let column = self.table.column(head)?;
        let value = self.get(head);
        match rest {
            None => Some((column, value, *self)),
            Some(rest) => {
                let target = self.db.row_view(column.reference.as_deref()?, value)?;
                target.walk(rest)
            }
        }
    }
}

impl Row for RowView<'_> {
    fn value(&self, path: &str) -> Cow<'_, str> {
        if !path.contains('.') {
            return Cow::Borrowed(self.get(path));
        }
        Cow::Borrowed(self.walk(path).map(|(_, v, _)| v).unwrap_or(""))
    }
}

/// The schema of one table as the query engine sees it.
pub struct TableCatalog<'a> {
    pub schema: &'a Schema,
    pub table: &'a TableDef,
}

impl Catalog for TableCatalog<'_> {
    fn field_kind(&self, path: &str) -> Option<FieldKind> {
        self.schema.resolve_path(self.table, path).map(Column::kind)
    }

    fn text_columns(&self) -> Vec<String> {
        self.table
            .columns
            .iter()
            .filter(|c| c.kind() == FieldKind::String && !c.is_system())
            .map(|c| c.name.clone())
            .collect()
    }
}

impl Db {
    pub fn table_def(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.schema.table(name)
    }

    pub fn data(&self, name: &str) -> Option<&TableData> {
        self.tables.get(name)
    }

    pub fn row_view<'a>(&'a self, table: &str, sys_id: &str) -> Option<RowView<'a>> {
        let def = self.schema.table(table)?;
        let record = self.tables.get(table)?.by_sys_id(sys_id)?;
        Some(RowView {
            db: self,
            table: def,
            record,
        })
    }

    pub fn catalog<'a>(&'a self, table: &str) -> Option<TableCatalog<'a>> {
        Some(TableCatalog {
            schema: &self.schema,
            table: self.schema.table(table)?,
        })
    }

    /// Registers a table definition (empty data if new).
    pub fn define_table(&mut self, def: TableDef) {
        self.tables.entry(def.name.clone()).or_default();
        self.schema.tables.insert(def.name.clone(), Arc::new(def));
    }

    /// Columns a query could look up through an index but that have none yet. The caller builds
    /// them under the write lock (`build_indexes`) and re-runs the read.
    /// Indexes a query on `table` needs, in it and every table extending it.
    pub fn missing_indexes_in_hierarchy(
        &self,
        table: &str,
        query: &BoundQuery,
    ) -> Vec<(String, Vec<usize>)> {
        self.schema
            .descendants(table)
            .into_iter()
            .map(|name| {
                let missing = self.missing_indexes(&name, query);
                (name, missing)
            })
            .filter(|(_, missing)| !missing.is_empty())
            .collect()
    }

    pub fn missing_indexes(&self, table: &str, query: &BoundQuery) -> Vec<usize> {
        let (Some(def), Some(data)) = (self.schema.table(table), self.tables.get(table)) else {
            return Vec::new();
        };
        let Some(candidates) = query.index_candidates() else {
            return Vec::new();
        };
        let mut missing: Vec<usize> = candidates
            .iter()
            .filter_map(|(field, _)| def.slot(field))
            .filter(|slot| !data.has_index(*slot))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    pub fn build_indexes(&mut self, table: &str, slots: &[usize]) {
        if let Some(data) = self.tables.get_mut(table) {
            for &slot in slots {
                data.build_index(slot);
            }
        }
    }

    /// Rows of `table` and of every table extending it that match `query`, as a real instance
    /// returns them (a parent table holds its children's records: `sys_user` lists contacts,
    /// `task` lists cases). Ordered as the query asks, else table by table in insertion order.
    pub fn select_rows<'a>(&'a self, table: &str, query: &BoundQuery) -> Vec<RowView<'a>> {
        let mut rows = Vec::new();
        for name in self.schema.descendants(table) {
            let (Some(def), Some(data)) = (self.schema.table(&name), self.tables.get(&name)) else {
                continue;
            };
            rows.extend(self.select(&name, query).into_iter().filter_map(|pos| {
                Some(RowView {
                    db: self,
                    table: def,
                    record: data.get(pos)?,
                })
            }));
        }
        if query.has_order() {
            rows.sort_by(|a, b| query.compare(a, b));
        }
        rows
    }

    /// A record of `table` or of a table extending it, by sys_id.
    pub fn find_in_hierarchy<'a>(&'a self, table: &str, sys_id: &str) -> Option<RowView<'a>> {
        self.schema
            .descendants(table)
            .iter()
            .find_map(|name| self.row_view(name, sys_id))
    }

    /// Row positions of `table` itself matching `query`, ordered as the query asks (insertion
    /// order otherwise).
    pub fn select(&self, table: &str, query: &BoundQuery) -> Vec<RowPos> {
        let (Some(def), Some(data)) = (self.schema.table(table), self.tables.get(table)) else {
            return Vec::new();
        };
        if query.matches_nothing() {
            return Vec::new();
        }
        let view = |record| RowView {
            db: self,
            table: def,
            record,
        };
        let mut hits: Vec<RowPos> = match self.index_plan(def, data, query) {
            Some(candidates) => candidates
                .into_iter()
                .filter(|&pos| data.get(pos).is_some_and(|r| query.matches(&view(r))))
                .collect(),
            None => data
                .iter()
                .filter(|(_, r)| query.matches(&view(r)))
                .map(|(pos, _)| pos)
                .collect(),
        };
        if query.has_order() {
            hits.sort_by(|&a, &b| {
                let (ra, rb) = (data.get(a).expect("live"), data.get(b).expect("live"));
                query.compare(&view(ra), &view(rb))
            });
        }
        hits
    }

    /// Candidate positions from indexes, when every candidate column is indexed.
    fn index_plan(
        &self,
        def: &TableDef,
        data: &TableData,
        query: &BoundQuery,
    ) -> Option<Vec<RowPos>> {
        let candidates = query.index_candidates()?;
        let mut positions = Vec::new();
        for (field, value) in &candidates {
            let slot = def.slot(field)?;
            if !data.has_index(slot) {
                return None;
            }
            positions.extend_from_slice(data.lookup(slot, value));
        }
        positions.sort_unstable();
        positions.dedup();
        Some(positions)
    }

    /// Next number for a table with a number prefix (ServiceNow's CS0001001 style: prefix and
    /// seven digits).
    pub fn next_number(&mut self, table: &str) -> Option<String> {
        let prefix = self.number_prefix(table)?;
        let counter = self.number_counters.entry(prefix.clone()).or_insert(1000);
        *counter += 1;
        Some(format!("{prefix}{:07}", *counter))
    }

    /// The highest number issued or seen so far for the table's prefix, if any.
    pub fn last_number(&self, table: &str) -> Option<String> {
        let prefix = self.number_prefix(table)?;
        let n = *self.number_counters.get(&prefix)?;
        Some(format!("{prefix}{n:07}"))
    }

    /// Remembers numbers that were written explicitly or loaded, so generated ones never collide.
    pub fn observe_number(&mut self, table: &str, number: &str) {
        let Some(prefix) = self.number_prefix(table) else {
            return;
        };
        if let Some(n) = number
            .strip_prefix(prefix.as_str())
            .and_then(|d| d.parse::<u64>().ok())
        {
            let counter = self.number_counters.entry(prefix).or_insert(1000);
            *counter = (*counter).max(n);
        }
    }

    fn number_prefix(&self, table: &str) -> Option<String> {
        let mut current = self.schema.table(table)?;
        loop {
            if let Some(p) = &current.number_prefix {
                return Some(p.clone());
            }
            current = self.schema.table(current.super_class.as_deref()?)?;
        }
    }
}

/// Compiles a built-in table spec into a definition (system columns first, then inherited ones).
pub fn table_def_from_spec(spec: &TableSpec, schema: &Schema) -> TableDef {
    let mut def = TableDef::new(spec.name, spec.label, spec.super_class);
    def.number_prefix = spec.number_prefix.map(str::to_string);
    match spec.super_class.and_then(|p| schema.table(p)) {
        Some(parent) => {
            for c in &parent.columns {
                def.upsert_column(c.clone());
            }
        }
        None => {
            for c in system_columns() {
                def.upsert_column(column_from_spec(&c));
            }
        }
    }
    for c in &spec.columns {
        def.upsert_column(column_from_spec(c));
    }
    def
}

pub fn column_from_spec(c: &crate::schema::ColumnSpec) -> Column {
    Column {
        name: c.name.to_string(),
        label: c.label.to_string(),
        internal_type: c.internal_type.to_string(),
        max_length: c.max_length,
        reference: c.reference.map(str::to_string),
        default_value: c.default_value.map(str::to_string),
        choices: c
            .choices
            .iter()
            .map(|(v, l)| (v.to_string(), l.to_string()))
            .collect(),
        display: c.display,
    }
}

/// A column as an admin defines it through a `sys_dictionary` row.
pub fn column_from_dictionary(row: &RowView<'_>) -> Option<Column> {
    let name = row.get("element");
    if name.is_empty() {
        return None;
    }
    let internal_type = match row.get("internal_type") {
        "" => "string",
        t => t,
    };
    let max_length = row
        .get("max_length")
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or_else(|| default_max_length(internal_type));
    Some(Column {
        name: name.to_string(),
        label: match row.get("column_label") {
            "" => name.to_string(),
            l => l.to_string(),
        },
        internal_type: internal_type.to_string(),
        max_length,
        reference: Some(row.get("reference"))
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        default_value: Some(row.get("default_value"))
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        choices: Vec::new(),
        display: row.get("display") == "true",
    })
}

impl Db {
    /// Rows whose `column` equals `value` exactly; uses the column's index when it has one.
    pub fn find_eq<'a>(&'a self, table: &str, column: &str, value: &str) -> Vec<RowView<'a>> {
        let (Some(def), Some(data)) = (self.schema.table(table), self.tables.get(table)) else {
            return Vec::new();
        };
        let Some(slot) = def.slot(column) else {
            return Vec::new();
        };
        let view = |record| RowView {
            db: self,
            table: def,
            record,
        };
        if data.has_index(slot) {
            data.lookup(slot, value)
                .iter()
                .filter_map(|&pos| data.get(pos))
                .filter(|r| r.get(slot) == value)
                .map(view)
                .collect()
        } else {
            data.iter()
                .filter(|(_, r)| r.get(slot) == value)
                .map(|(_, r)| view(r))
                .collect()
        }
    }

    /// Inserts a record as the system would (seeding, business rules): system fields and
    /// defaults filled, values taken verbatim. Returns the sys_id.
    pub fn insert_system(&mut self, table: &str, fields: &[(&str, &str)], now: &str) -> String {
        let def = self
            .table_def(table)
            .cloned()
            .unwrap_or_else(|| panic!("insert_system into undefined table {table}"));
        let sys_id = fields
            .iter()
            .find(|(k, _)| *k == "sys_id")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(crate::auth::password::random_hex32);
        let mut record = Record::with_slots(def.columns.len());
        for (slot, column) in def.columns.iter().enumerate() {
            if let Some(default) = &column.default_value {
                record.set(slot, default);
            }
        }
        for (name, value) in [
            ("sys_id", sys_id.as_str()),
            ("sys_class_name", table),
            ("sys_created_on", now),
            ("sys_updated_on", now),
            ("sys_created_by", "system"),
            ("sys_updated_by", "system"),
            ("sys_mod_count", "0"),
        ] {
            if let Some(slot) = def.slot(name) {
                record.set(slot, value);
            }
        }
        for (name, value) in fields {
            if let Some(slot) = def.slot(name) {
                record.set(slot, value);
            }
        }
        if let Some(slot) = def.slot("number") {
            if record.get(slot).is_empty() {
                if let Some(n) = self.next_number(table) {
                    record.set(slot, &n);
                }
            }
        }
        self.tables
            .get_mut(table)
            .expect("defined table has data")
            .insert(&sys_id, record);
        sys_id
    }
}
