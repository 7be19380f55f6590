//! The running instance: data, durability, clock and the server-side rules that a real instance
//! applies on every write (defaults, numbering, system fields, max_length, password hashing, and
//! the "business rules" that turn `sys_db_object`/`sys_dictionary` inserts into schema).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use serde_json::{Map, Value};

use crate::api::metrics::RequestMetrics;
use crate::auth::password;
use crate::auth::tokens::Tokens;
use crate::auth::Sessions;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::ratelimit::RateLimiter;
use crate::schema::{builtin_tables, Column, TableDef};
use crate::store::persist::{committed, Change, Loaded, Persist};
use crate::store::{column_from_dictionary, table_def_from_spec, Db, Record};

/// Property names the sandbox honours (servicenow.md §1.2, §2.1) plus its own switches.
pub mod props {
    pub const INVALID_QUERY_RETURNS_NO_ROWS: &str = "glide.invalid_query.returns_no_rows";
    pub const CC_GRANT_ENABLED: &str = "glide.oauth.inbound.client.credential.grant_type.enabled";
    pub const ROPC_DISABLED: &str = "glide.oauth.inbound.ropc.grant_type.disabled";
    pub const PARAMS_IN_BODY_ONLY: &str = "glide.oauth.allow.parameters.in.post.body.only";
    /// `true`: a session created by an OAuth request ends with its token.
    pub const OAUTH_COOKIE_AFTER_EXPIRY_DISABLED: &str =
        "glide.authenticate.oauth.post.token.expiration.cookie_auth.disabled";
    /// Sandbox switch ([INF] in the reference): `true` makes `=` compare strings case-sensitively.
    pub const CASE_SENSITIVE_EQUALITY: &str = "x_cb_sandbox.case_sensitive_equality";
    /// Sandbox switch: `reject` refuses values longer than max_length; default truncates
    /// (servicenow.md §1.5 [INF]).
    pub const STRING_OVERFLOW: &str = "x_cb_sandbox.string_overflow";
    /// Sandbox switch: `rfc6749` makes /oauth_token.do answer with RFC error codes instead of the
    /// real instance's one `server_error/access_denied` body (servicenow.md §2.3).
    pub const OAUTH_ERROR_STYLE: &str = "x_cb_sandbox.oauth_error_style";
    /// servicenow.md §5.1: origins the UI pages' OpenFrame host exchanges messages with.
    pub const OPENFRAME_ORIGIN_WHITELIST: &str =
        "glide.ui.concourse.onmessage_enforce_same_origin_whitelist";
    /// Sandbox switch: the click-to-dial payload shape sent to the OpenFrame panel
    /// (servicenow.md §5.3): `outgoing_call` (default) or `phone_number`.
    pub const OPENFRAME_COMMUNICATION_SHAPE: &str = "x_cb_sandbox.openframe.communication_shape";
}

/// State key (`number:<table>`) of a table's last issued number, saved when records are deleted.
const NUMBER_STATE_PREFIX: &str = "number:";

/// Who is acting: the authenticated user with the roles of their session or token.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_sys_id: String,
    pub user_name: String,
    pub roles: Arc<HashSet<String>>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_sys_id: "6816f79cc0a8016401c5a33be04be441".into(),
            user_name: "system".into(),
            roles: Arc::new(["admin".to_string()].into_iter().collect()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains("admin")
    }
}

/// Why a write was refused, in terms the Table API maps to ServiceNow's error catalogue.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("no record {sys_id} in {table}")]
    NotFound { table: String, sys_id: String },
    #[error("a record with sys_id {sys_id} already exists in {table}")]
    Duplicate { table: String, sys_id: String },
    #[error("value for {column} is {len} characters; max_length is {max}")]
    TooLong {
        column: String,
        len: usize,
        max: usize,
    },
    #[error("invalid table {0}")]
    InvalidTable(String),
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// How input values are read (sysparm_input_display_value).
#[derive(Debug, Clone, Copy, Default)]
pub struct InputOptions {
    pub display_values: bool,
}

pub struct Instance {
    pub db: RwLock<Db>,
    persist: Persist,
    pub clock: Clock,
    pub sessions: Sessions,
    /// Browser sessions of the UI pages (`/login.do`), apart from the REST API's.
    pub ui_sessions: crate::ui::session::UiSessions,
    pub tokens: Tokens,
    pub rate_limits: RateLimiter,
    pub faults: Faults,
    pub metrics: RequestMetrics,
    base_url: OnceLock<String>,
}

impl Instance {
    /// Rebuilds the instance from what `persist` loaded; an empty database gets the built-in
    /// schema's dictionary rows (the seed adds data afterwards).
    pub fn boot(persist: Persist, loaded: Loaded) -> anyhow::Result<Arc<Instance>> {
        let mut db = Db::default();
        for spec in builtin_tables() {
            let def = table_def_from_spec(&spec, &db.schema);
            db.define_table(def);
        }
        let tokens = Tokens::new(persist.clone(), &loaded.state);
        let instance = Arc::new(Instance {
            db: RwLock::new(db),
            persist,
            clock: Clock::default(),
            sessions: Sessions::default(),
            ui_sessions: Default::default(),
            tokens,
            rate_limits: RateLimiter::default(),
            faults: Faults::default(),
            metrics: RequestMetrics::default(),
            base_url: OnceLock::new(),
        });
        {
            let mut db = instance.db.write();
            // Custom tables first, so their rows can be loaded into them.
            let (meta, rest): (Vec<_>, Vec<_>) = loaded
                .records
                .into_iter()
                .partition(|(t, _, _)| t == "sys_db_object" || t == "sys_dictionary");
            for (table, sys_id, data) in &meta {
                load_row(&mut db, table, sys_id, data)?;
            }
            apply_schema_rows(&mut db);
            for (table, sys_id, data) in &rest {
                load_row(&mut db, table, sys_id, data)?;
            }
            for (key, number) in &loaded.state {
                if let Some(table) = key.strip_prefix(NUMBER_STATE_PREFIX) {
                    db.observe_number(table, number);
                }
            }
            for (table, column) in [
                ("sys_user", "user_name"),
                ("sys_user_has_role", "user"),
                ("oauth_entity", "client_id"),
                ("sys_properties", "name"),
                ("sys_dictionary", "name"),
                ("sys_security_acl", "name"),
                ("sys_security_acl_role", "sys_security_acl"),
                ("sys_user_role", "name"),
                ("sys_user_role_contains", "role"),
                ("sys_rate_limit_rules", "active"),
            ] {
                let slot = db.schema.table(table).and_then(|t| t.slot(column));
                if let Some(slot) = slot {
                    db.build_indexes(table, &[slot]);
                }
            }
        }
        Ok(instance)
    }

    /// Builds the indexes a query on `table` (and the tables extending it) can use but that do
    /// not exist yet, so the read that follows needs no full scan.
    pub fn ensure_indexes(&self, table: &str, query: &crate::query::BoundQuery) {
        let missing = self.db.read().missing_indexes_in_hierarchy(table, query);
        if !missing.is_empty() {
            let mut db = self.db.write();
            for (name, slots) in missing {
                db.build_indexes(&name, &slots);
            }
        }
    }

    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }

    pub fn persist(&self) -> &Persist {
        &self.persist
    }

    /// Value of a `sys_properties` row, read on every call so changes apply at once.
    pub fn property(&self, name: &str) -> Option<String> {
        let db = self.db.read();
        db.find_eq("sys_properties", "name", name)
            .first()
            .map(|row| row.get("value").to_string())
    }

    pub fn property_is_true(&self, name: &str) -> bool {
        self.property(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Inserts a record as a real instance would (servicenow.md §1.5): unknown fields ignored,
    /// `sys_` fields not writable except a client-supplied sys_id, defaults and numbers filled.
    pub async fn insert(
        &self,
        table: &str,
        fields: &Map<String, Value>,
        actor: &Actor,
        options: InputOptions,
    ) -> Result<String, WriteError> {
        let reject_overflow = self.reject_overflow();
        let now = self.clock.now_glide();
        let (sys_id, waits) = {
            let mut db = self.db.write();
            let def = db
                .table_def(table)
                .cloned()
                .ok_or_else(|| WriteError::InvalidTable(table.to_string()))?;
            let sys_id = match fields.get("sys_id").map(value_to_string) {
                Some(id) if !id.is_empty() => id,
                _ => password::random_hex32(),
            };
            if db.data(table).and_then(|d| d.position(&sys_id)).is_some() {
                return Err(WriteError::Duplicate {
                    table: table.into(),
                    sys_id,
                });
            }
            let mut record = Record::with_slots(def.columns.len());
            for (slot, column) in def.columns.iter().enumerate() {
                if let Some(default) = &column.default_value {
                    record.set(slot, default);
                }
            }
            let mut set = |name: &str, value: &str| {
                if let Some(slot) = def.slot(name) {
                    record.set(slot, value);
                }
            };
            set("sys_id", &sys_id);
            set("sys_class_name", table);
            set("sys_created_on", &now);
            set("sys_updated_on", &now);
            set("sys_created_by", &actor.user_name);
            set("sys_updated_by", &actor.user_name);
            set("sys_mod_count", "0");
            set("opened_by", &actor.user_sys_id);
            set("opened_at", &now);
            apply_input(&db, &def, &mut record, fields, options, reject_overflow)?;
            calculate_full_name(&def, &mut record, fields);
            if let Some(slot) = def.slot("number") {
                if record.get(slot).is_empty() {
                    if let Some(n) = db.next_number(table) {
                        record.set(slot, &n);
                    }
                } else {
                    let n = record.get(slot).to_string();
                    db.observe_number(table, &n);
                }
            }
            if table == "oauth_entity" {
                fill_oauth_client_defaults(&def, &mut record);
            }
            let journal = take_journal_entries(&def, &mut record);
            let mut changed = vec![(table.to_string(), sys_id.clone())];
            db.tables
                .get_mut(table)
                .expect("defined table has data")
                .insert(&sys_id, record);
            changed.extend(after_insert_rules(&mut db, table, &sys_id, &now));
            changed.extend(write_journal(
                &mut db, table, &sys_id, &journal, actor, &now,
            ));
            (sys_id, self.enqueue_rows(&db, &changed))
        };
        for wait in waits {
            committed(wait).await?;
        }
        Ok(sys_id)
    }

    /// Partial update (PUT and PATCH behave the same, servicenow.md §1.1).
    pub async fn update(
        &self,
        table: &str,
        sys_id: &str,
        fields: &Map<String, Value>,
        actor: &Actor,
        options: InputOptions,
    ) -> Result<(), WriteError> {
        let reject_overflow = self.reject_overflow();
        let now = self.clock.now_glide();
        let waits = {
            let mut db = self.db.write();
            let def = db
                .table_def(table)
                .cloned()
                .ok_or_else(|| WriteError::InvalidTable(table.to_string()))?;
            let not_found = || WriteError::NotFound {
                table: table.into(),
                sys_id: sys_id.into(),
            };
            let data = db.data(table).ok_or_else(not_found)?;
            let pos = data.position(sys_id).ok_or_else(not_found)?;
            let mut record = data.get(pos).cloned().ok_or_else(not_found)?;
            apply_input(&db, &def, &mut record, fields, options, reject_overflow)?;
            calculate_full_name(&def, &mut record, fields);
            let mods = def
                .slot("sys_mod_count")
                .map(|s| record.get(s).parse::<u64>().unwrap_or(0) + 1)
                .unwrap_or(1);
            for (name, value) in [
                ("sys_updated_on", now.clone()),
                ("sys_updated_by", actor.user_name.clone()),
                ("sys_mod_count", mods.to_string()),
            ] {
                if let Some(slot) = def.slot(name) {
                    record.set(slot, &value);
                }
            }
            let journal = take_journal_entries(&def, &mut record);
            db.tables
                .get_mut(table)
                .expect("checked")
                .replace(pos, record);
            let mut changed = vec![(table.to_string(), sys_id.to_string())];
            changed.extend(write_journal(&mut db, table, sys_id, &journal, actor, &now));
            if table == "sys_db_object" || table == "sys_dictionary" {
                apply_schema_rows(&mut db);
            }
            changed.dedup();
            self.enqueue_rows(&db, &changed)
        };
        for wait in waits {
            committed(wait).await?;
        }
        Ok(())
    }

    pub async fn delete(&self, table: &str, sys_id: &str) -> Result<(), WriteError> {
        let waits = {
            let mut db = self.db.write();
            let data = db
                .tables
                .get_mut(table)
                .ok_or_else(|| WriteError::InvalidTable(table.to_string()))?;
            data.remove(sys_id).ok_or_else(|| WriteError::NotFound {
                table: table.into(),
                sys_id: sys_id.into(),
            })?;
            let mut waits = vec![self.persist.enqueue(Change::Delete {
                table: table.into(),
                sys_id: sys_id.into(),
            })];
            // Like sys_number_counter, numbering never goes back: the deleted record's number
            // may have been the highest, so the counter is saved (restored in `boot`).
            if let Some(number) = db.last_number(table) {
                waits.push(self.persist.enqueue(Change::PutState {
                    key: format!("{NUMBER_STATE_PREFIX}{table}"),
                    value: number,
                }));
            }
            waits
        };
        for wait in waits {
            committed(wait).await?;
        }
        Ok(())
    }

    fn reject_overflow(&self) -> bool {
        self.property(props::STRING_OVERFLOW)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("reject"))
    }

    fn enqueue_rows(
        &self,
        db: &Db,
        rows: &[(String, String)],
    ) -> Vec<tokio::sync::oneshot::Receiver<()>> {
        rows.iter()
            .filter_map(|(table, sys_id)| {
                let row = db.row_view(table, sys_id)?;
                Some(self.persist.enqueue(Change::Upsert {
                    table: table.clone(),
                    sys_id: sys_id.clone(),
                    data: row_json(&row.table.columns, row.record),
                }))
            })
            .collect()
    }
}

/// A record's non-empty values as a JSON object (the persisted form).
pub fn row_json(columns: &[Column], record: &Record) -> String {
    let mut map = Map::new();
    for (slot, column) in columns.iter().enumerate() {
        let v = record.get(slot);
        if !v.is_empty() {
            map.insert(column.name.clone(), Value::String(v.to_string()));
        }
    }
    Value::Object(map).to_string()
}

/// JSON input to ServiceNow's string form: numbers and booleans as text, null as "", a
/// reference object by its `value` (or `sys_id`).
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => o
            .get("value")
            .or_else(|| o.get("sys_id"))
            .map(value_to_string)
            .unwrap_or_default(),
        Value::Array(a) => a.iter().map(value_to_string).collect::<Vec<_>>().join(","),
    }
}

fn apply_input(
    db: &Db,
    def: &TableDef,
    record: &mut Record,
    fields: &Map<String, Value>,
    options: InputOptions,
    reject_overflow: bool,
) -> Result<(), WriteError> {
    for (name, value) in fields {
        let Some(slot) = def.slot(name) else {
            continue; // unknown fields are silently ignored (servicenow.md §1.5)
        };
        let column = &def.columns[slot];
        if column.is_system() {
            continue;
        }
        let mut text = value_to_string(value);
        if column.internal_type == "boolean" {
            text = normalise_boolean(&text);
        }
        if column.kind() == crate::query::FieldKind::Reference
            && options.display_values
            && !text.is_empty()
        {
            if let Some(target) = column.reference.as_deref() {
                text = resolve_display_value(db, target, &text).unwrap_or(text);
            }
        }
        if options.display_values && !column.choices.is_empty() {
            if let Some((v, _)) = column
                .choices
                .iter()
                .find(|(_, l)| l.eq_ignore_ascii_case(&text))
            {
                text = v.clone();
            }
        }
        if matches!(column.internal_type.as_str(), "password" | "password2") && !text.is_empty() {
            if !password::is_hashed(&text) {
                text = password::hash(&text);
            }
        } else {
            let len = text.chars().count();
            if len > column.max_length {
                if reject_overflow {
                    return Err(WriteError::TooLong {
                        column: column.name.clone(),
                        len,
                        max: column.max_length,
                    });
                }
                text = text.chars().take(column.max_length).collect();
            }
        }
        record.set(slot, &text);
    }
    Ok(())
}

/// `name` on user-like tables (sys_user and its extensions, consumers) is calculated from the
/// first and last name unless written explicitly.
fn calculate_full_name(def: &TableDef, record: &mut Record, fields: &Map<String, Value>) {
    let (Some(name), Some(first), Some(last)) = (
        def.slot("name"),
        def.slot("first_name"),
        def.slot("last_name"),
    ) else {
        return;
    };
    if fields.contains_key("name")
        || !(fields.contains_key("first_name") || fields.contains_key("last_name"))
    {
        return;
    }
    let full = format!("{} {}", record.get(first), record.get(last))
        .trim()
        .to_string();
    record.set(name, &full);
}

fn normalise_boolean(text: &str) -> String {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => "true".into(),
        "false" | "0" | "no" => "false".into(),
        "" => String::new(),
        other => other.to_string(),
    }
}

/// Finds a record of `table` by its display value (sysparm_input_display_value).
fn resolve_display_value(db: &Db, table: &str, display: &str) -> Option<String> {
    let def = db.table_def(table)?;
    let column = def.display_column().to_string();
    db.find_eq(table, &column, display)
        .first()
        .map(|r| r.get("sys_id").to_string())
}

fn fill_oauth_client_defaults(def: &TableDef, record: &mut Record) {
    // servicenow.md §2.1: client id auto-generated (32 hex), secret generated if left blank.
    for (column, generate) in [
        ("client_id", password::random_hex32 as fn() -> String),
        ("client_secret", || {
            password::hash(&password::random_token(20))
        }),
    ] {
        if let Some(slot) = def.slot(column) {
            if record.get(slot).is_empty() {
                record.set(slot, &generate());
            }
        }
    }
}

fn load_row(db: &mut Db, table: &str, sys_id: &str, data: &str) -> anyhow::Result<()> {
    let Some(def) = db.table_def(table).cloned() else {
        tracing::warn!(%table, %sys_id, "row of an unknown table skipped at load");
        return Ok(());
    };
    let fields: HashMap<&str, std::borrow::Cow<'_, str>> =
        serde_json::from_str(data).map_err(|e| {
            anyhow::anyhow!("corrupt row {table}/{sys_id} in the sandbox database: {e}")
        })?;
    let mut record = Record::with_slots(def.columns.len());
    for (name, value) in &fields {
        if let Some(slot) = def.slot(name) {
            record.set(slot, value);
        }
    }
    if let Some(slot) = def.slot("number") {
        let n = record.get(slot).to_string();
        db.observe_number(table, &n);
    }
    let rows = db.tables.get_mut(table).expect("defined");
    match rows.position(sys_id) {
        Some(pos) => rows.replace(pos, record),
        None => {
            rows.insert(sys_id, record);
        }
    }
    Ok(())
}

/// "Business rules" run after an insert; returns the other rows they wrote.
/// The journal columns (`work_notes`, `comments`) a write filled, taken out of the record: on an
/// instance a journal column holds nothing itself; each write to it is one `sys_journal_field`
/// entry (servicenow.md, the Case table), which is how it is read back.
fn take_journal_entries(def: &TableDef, record: &mut Record) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    for (slot, column) in def.columns.iter().enumerate() {
        if column.internal_type != "journal_input" {
            continue;
        }
        let value = record.get(slot).to_string();
        if !value.trim().is_empty() {
            entries.push((column.name.clone(), value));
        }
        record.set(slot, "");
    }
    entries
}

/// Writes one `sys_journal_field` entry per journal column a write filled, by the writer, and
/// returns the rows written (to persist).
fn write_journal(
    db: &mut Db,
    table: &str,
    sys_id: &str,
    entries: &[(String, String)],
    actor: &Actor,
    now: &str,
) -> Vec<(String, String)> {
    let mut written = Vec::new();
    for (element, value) in entries {
        let entry = db.insert_system(
            JOURNAL_TABLE,
            &[
                ("name", table),
                ("element", element),
                ("element_id", sys_id),
                ("value", value),
                ("sys_created_by", &actor.user_name),
                ("sys_updated_by", &actor.user_name),
            ],
            now,
        );
        written.push((JOURNAL_TABLE.to_string(), entry));
    }
    written
}

/// Where journal entries are kept.
pub const JOURNAL_TABLE: &str = "sys_journal_field";

fn after_insert_rules(db: &mut Db, table: &str, sys_id: &str, now: &str) -> Vec<(String, String)> {
    match table {
        "sys_db_object" | "sys_dictionary" => {
            let before: HashSet<String> = db.schema.tables.keys().cloned().collect();
            apply_schema_rows(db);
            let created: Vec<String> = db
                .schema
                .tables
                .keys()
                .filter(|t| !before.contains(*t))
                .cloned()
                .collect();
            let mut written = Vec::new();
            for new_table in created {
                written.extend(crate::seed::dictionary_for_new_table(db, &new_table, now));
                written.extend(crate::seed::access_for_new_table(db, &new_table, now));
            }
            let _ = sys_id;
            written
        }
        _ => Vec::new(),
    }
}

/// Compiles custom tables and columns from `sys_db_object` and `sys_dictionary` rows. Idempotent:
/// existing columns keep their slot (and their choice lists), new ones are appended, and a new
/// column on a parent table reaches every table extending it.
pub fn apply_schema_rows(db: &mut Db) {
    let tables: Vec<(String, String, Option<String>, String)> = db
        .data("sys_db_object")
        .map(|data| {
            let def = db.table_def("sys_db_object").expect("builtin");
            data.iter()
                .map(|(_, r)| {
                    let get = |c: &str| {
                        def.slot(c)
                            .map(|s| r.get(s).to_string())
                            .unwrap_or_default()
                    };
                    let parent_id = get("super_class");
                    let parent = db
                        .row_view("sys_db_object", &parent_id)
                        .map(|p| p.get("name").to_string());
                    (get("name"), get("label"), parent, get("number_prefix"))
                })
                .collect()
        })
        .unwrap_or_default();
    for (name, label, parent, prefix) in tables {
        if name.is_empty() || db.schema.tables.contains_key(&name) {
            continue;
        }
        let mut def = TableDef::new(&name, &label, parent.as_deref());
        def.number_prefix = Some(prefix).filter(|p| !p.is_empty());
        let inherited: Vec<Column> = match parent.as_deref().and_then(|p| db.table_def(p)) {
            Some(p) => p.columns.clone(),
            None => crate::schema::system_columns()
                .iter()
                .map(crate::store::column_from_spec)
                .collect(),
        };
        for c in inherited {
            def.upsert_column(c);
        }
        db.define_table(def);
    }
    let columns: Vec<(String, Column)> = db
        .data("sys_dictionary")
        .map(|data| {
            let def = db.table_def("sys_dictionary").expect("builtin");
            data.iter()
                .filter_map(|(_, r)| {
                    let row = crate::store::RowView {
                        db,
                        table: def,
                        record: r,
                    };
                    if row.get("active") == "false" {
                        return None;
                    }
                    Some((row.get("name").to_string(), column_from_dictionary(&row)?))
                })
                .collect()
        })
        .unwrap_or_default();
    for (table, column) in columns {
        for target in db.schema.descendants(&table) {
            let Some(def) = db.schema.tables.get(&target) else {
                continue;
            };
            let existing = def.column(&column.name);
            if existing.is_some_and(|e| same_definition(e, &column)) {
                continue;
            }
            let mut merged = column.clone();
            if let Some(e) = existing {
                merged.choices = e.choices.clone();
                merged.display = merged.display || e.display;
            }
            let mut def = (**def).clone();
            def.upsert_column(merged);
            db.schema.tables.insert(target, Arc::new(def));
        }
    }
}

fn same_definition(a: &Column, b: &Column) -> bool {
    a.internal_type == b.internal_type
        && a.max_length == b.max_length
        && a.reference == b.reference
        && a.label == b.label
        && a.default_value == b.default_value
}
