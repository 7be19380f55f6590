//! Table and column definitions. The source of truth is the instance's own `sys_db_object` and
//! `sys_dictionary` records (so admins extend the schema through the Table API, as on a real
//! instance); this module holds the built-in CSM schema those records are first seeded from and
//! the compiled, lookup-friendly form the rest of the sandbox reads.

use std::collections::HashMap;
use std::sync::Arc;

use crate::query::FieldKind;

/// A column as `sys_dictionary` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub label: String,
    /// `sys_dictionary.internal_type`: `string`, `reference`, `integer`, `boolean`, `url`, ...
    pub internal_type: String,
    pub max_length: usize,
    /// Target table for reference columns.
    pub reference: Option<String>,
    pub default_value: Option<String>,
    /// Choice list as (value, label), used to render display values.
    pub choices: Vec<(String, String)>,
    /// The table's display column (rendered for references pointing at this table).
    pub display: bool,
}

impl Column {
    pub fn kind(&self) -> FieldKind {
        match self.internal_type.as_str() {
            "integer" | "longint" => FieldKind::Integer,
            "decimal" | "float" | "currency" => FieldKind::Decimal,
            "boolean" => FieldKind::Boolean,
            "glide_date_time" | "glide_date" | "due_date" => FieldKind::DateTime,
            "reference" | "domain_id" => FieldKind::Reference,
            "password" | "password2" | "journal_input" => FieldKind::Other,
            _ => FieldKind::String,
        }
    }

    /// Write-only columns: passwords are never returned, journals read back as "" through the
    /// Table API (servicenow.md §3.1).
    pub fn is_write_only(&self) -> bool {
        matches!(
            self.internal_type.as_str(),
            "password" | "password2" | "journal_input"
        )
    }

    /// The platform-maintained columns every table has ([`system_columns`]); they are not
    /// writable through the API (servicenow.md §1.5). Other columns whose names merely start
    /// with `sys_` (`sys_security_acl_role.sys_user_role`, ...) are ordinary, writable columns.
    pub fn is_system(&self) -> bool {
        matches!(
            self.name.as_str(),
            "sys_id"
                | "sys_created_on"
                | "sys_created_by"
                | "sys_updated_on"
                | "sys_updated_by"
                | "sys_mod_count"
                | "sys_domain"
                | "sys_class_name"
        )
    }

    pub fn choice_label(&self, value: &str) -> Option<&str> {
        self.choices
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, l)| l.as_str())
    }
}

/// Default max_length for a column created without one (servicenow.md §1.5: string columns
/// default to 40; a URL is a string and browsers allow 2083 characters).
pub fn default_max_length(internal_type: &str) -> usize {
    match internal_type {
        "url" => 1024,
        "string_full_utf8" => 255,
        "GUID" => 32,
        "reference" | "domain_id" => 32,
        "boolean" => 40,
        "integer" | "longint" | "decimal" | "float" => 40,
        "glide_date_time" | "glide_date" => 40,
        "journal_input" | "html" => 65000,
        _ => 40,
    }
}

/// A table with its own and inherited columns, in slot order.
#[derive(Debug, Clone)]
pub struct TableDef {
    pub name: String,
    pub label: String,
    pub super_class: Option<String>,
    pub number_prefix: Option<String>,
    pub columns: Vec<Column>,
    slots: HashMap<String, usize>,
}

impl TableDef {
    pub fn new(name: &str, label: &str, super_class: Option<&str>) -> Self {
        TableDef {
            name: name.to_string(),
            label: label.to_string(),
            super_class: super_class.map(str::to_string),
            number_prefix: None,
            columns: Vec::new(),
            slots: HashMap::new(),
        }
    }

    pub fn slot(&self, column: &str) -> Option<usize> {
        self.slots.get(column).copied()
    }

    pub fn column(&self, column: &str) -> Option<&Column> {
        self.slot(column).map(|i| &self.columns[i])
    }

    /// Adds a column at the next slot, or replaces the definition of an existing one in place
    /// (slots never move: in-memory records are vectors indexed by slot).
    pub fn upsert_column(&mut self, column: Column) {
        match self.slots.get(&column.name) {
            Some(&i) => self.columns[i] = column,
            None => {
                self.slots.insert(column.name.clone(), self.columns.len());
                self.columns.push(column);
            }
        }
    }

    /// The column rendered as a reference's display value: the one flagged `display`, else
    /// `name`, else `number`, else `sys_id` (the platform's fallback order).
    pub fn display_column(&self) -> &str {
        if let Some(c) = self.columns.iter().find(|c| c.display) {
            return &c.name;
        }
        for candidate in ["name", "number", "user_name"] {
            if self.slots.contains_key(candidate) {
                return candidate;
            }
        }
        "sys_id"
    }
}

/// All tables, keyed by name.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub tables: HashMap<String, Arc<TableDef>>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(name)
    }

    /// Resolves a dot-walked path (`account.name`) to the final column, following references.
    pub fn resolve_path<'a>(&'a self, table: &'a TableDef, path: &str) -> Option<&'a Column> {
        let mut current = table;
        let mut segments = path.split('.').peekable();
        while let Some(segment) = segments.next() {
            let column = current.column(segment)?;
            if segments.peek().is_none() {
                return Some(column);
            }
            let target = column.reference.as_deref()?;
            current = self.tables.get(target)?;
        }
        None
    }

    /// Tables that are `name` or extend it, directly or not.
    pub fn descendants(&self, name: &str) -> Vec<String> {
        let mut out = vec![name.to_string()];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].clone();
            let mut children: Vec<String> = self
                .tables
                .values()
                .filter(|t| t.super_class.as_deref() == Some(parent.as_str()))
                .map(|t| t.name.clone())
                .collect();
            children.sort();
            out.extend(children);
            i += 1;
        }
        out
    }
}

/// Builder used by the built-in schema below: keeps the list of tables readable.
pub struct ColumnSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub internal_type: &'static str,
    pub max_length: usize,
    pub reference: Option<&'static str>,
    pub default_value: Option<&'static str>,
    pub choices: &'static [(&'static str, &'static str)],
    pub display: bool,
}

pub struct TableSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub super_class: Option<&'static str>,
    pub number_prefix: Option<&'static str>,
    pub columns: Vec<ColumnSpec>,
}

const fn col(
    name: &'static str,
    label: &'static str,
    internal_type: &'static str,
    max_length: usize,
) -> ColumnSpec {
    ColumnSpec {
        name,
        label,
        internal_type,
        max_length,
        reference: None,
        default_value: None,
        choices: &[],
        display: false,
    }
}

fn string(name: &'static str, label: &'static str, max_length: usize) -> ColumnSpec {
    col(name, label, "string", max_length)
}

fn reference(name: &'static str, label: &'static str, target: &'static str) -> ColumnSpec {
    ColumnSpec {
        reference: Some(target),
        ..col(name, label, "reference", 32)
    }
}

fn boolean(name: &'static str, label: &'static str, default: &'static str) -> ColumnSpec {
    ColumnSpec {
        default_value: Some(default),
        ..col(name, label, "boolean", 40)
    }
}

fn integer(name: &'static str, label: &'static str) -> ColumnSpec {
    col(name, label, "integer", 40)
}

fn datetime(name: &'static str, label: &'static str) -> ColumnSpec {
    col(name, label, "glide_date_time", 40)
}

fn phone(name: &'static str, label: &'static str) -> ColumnSpec {
    // servicenow.md §3.2/§3.3: CSM phone columns are `ph_number` strings of max length 40,
    // stored verbatim (no E.164 normalisation on write).
    col(name, label, "ph_number", 40)
}

fn displayed(mut spec: ColumnSpec) -> ColumnSpec {
    spec.display = true;
    spec
}

fn with_default(mut spec: ColumnSpec, value: &'static str) -> ColumnSpec {
    spec.default_value = Some(value);
    spec
}

fn with_choices(
    mut spec: ColumnSpec,
    choices: &'static [(&'static str, &'static str)],
) -> ColumnSpec {
    spec.choices = choices;
    spec
}

/// Columns every table has.
pub fn system_columns() -> Vec<ColumnSpec> {
    vec![
        col("sys_id", "Sys ID", "GUID", 32),
        datetime("sys_created_on", "Created"),
        string("sys_created_by", "Created by", 40),
        datetime("sys_updated_on", "Updated"),
        string("sys_updated_by", "Updated by", 40),
        integer("sys_mod_count", "Updates"),
        with_default(
            reference("sys_domain", "Domain", "sys_user_group"),
            "global",
        ),
        col("sys_class_name", "Class", "sys_class_name", 80),
    ]
}

const CASE_STATES: &[(&str, &str)] = &[
    ("1", "New"),
    ("10", "Open"),
    ("18", "Awaiting Info"),
    ("6", "Resolved"),
    ("3", "Closed"),
    ("7", "Cancelled"),
];
const PRIORITIES: &[(&str, &str)] = &[
    ("1", "1 - Critical"),
    ("2", "2 - High"),
    ("3", "3 - Moderate"),
    ("4", "4 - Low"),
];
const CONTACT_TYPES: &[(&str, &str)] = &[
    ("chat", "Chat"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("social", "Social"),
    ("web", "Web"),
];

/// The built-in tables: platform tables the sandbox needs to run (users, roles, ACLs, OAuth,
/// dictionary, properties, rate limits) and the CSM tables (servicenow.md §3).
pub fn builtin_tables() -> Vec<TableSpec> {
    let user_columns = || {
        vec![
            displayed(string("name", "Name", 151)),
            string("user_name", "User ID", 40),
            string("first_name", "First name", 50),
            string("last_name", "Last name", 50),
            col("email", "Email", "email", 100),
            string("title", "Title", 60),
            phone("phone", "Business phone"),
            phone("mobile_phone", "Mobile phone"),
            phone("home_phone", "Home phone"),
            boolean("active", "Active", "true"),
            boolean("locked_out", "Locked out", "false"),
            boolean(
                "web_service_access_only",
                "Web service access only",
                "false",
            ),
            string("time_zone", "Time zone", 40),
            col("user_password", "Password", "password", 255),
            reference("company", "Company", "customer_account"),
        ]
    };
    let contact_columns = vec![
        reference("account", "Account", "customer_account"),
        boolean("vip", "VIP", "false"),
    ];
    vec![
        TableSpec {
            name: "sys_db_object",
            label: "Table",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("label", "Label", 80)),
                string("name", "Name", 80),
                reference("super_class", "Extends table", "sys_db_object"),
                boolean("is_extendable", "Extensible", "false"),
                string("number_prefix", "Number prefix", 10),
            ],
        },
        TableSpec {
            name: "sys_dictionary",
            label: "Dictionary Entry",
            super_class: None,
            number_prefix: None,
            columns: vec![
                string("name", "Table", 80),
                string("element", "Column name", 80),
                displayed(string("column_label", "Column label", 80)),
                string("internal_type", "Type", 40),
                integer("max_length", "Max length"),
                string("reference", "Reference", 80),
                string("default_value", "Default value", 512),
                boolean("mandatory", "Mandatory", "false"),
                boolean("read_only", "Read only", "false"),
                boolean("active", "Active", "true"),
                boolean("display", "Display", "false"),
            ],
        },
        TableSpec {
            name: "sys_journal_field",
            label: "Journal Entry",
            super_class: None,
            number_prefix: None,
            columns: vec![
                string("name", "Table", 80),
                string("element", "Element", 40),
                string("element_id", "Element ID", 32),
                displayed(string("value", "Value", 4000)),
            ],
        },
        TableSpec {
            name: "sys_properties",
            label: "System Property",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 100)),
                string("value", "Value", 4000),
                string("type", "Type", 40),
                string("description", "Description", 512),
            ],
        },
        TableSpec {
            name: "sys_user_group",
            label: "Group",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 80)),
                boolean("active", "Active", "true"),
            ],
        },
        TableSpec {
            name: "sys_user_grmember",
            label: "Group Member",
            super_class: None,
            number_prefix: None,
            columns: vec![
                reference("user", "User", "sys_user"),
                reference("group", "Group", "sys_user_group"),
            ],
        },
        TableSpec {
            name: "sys_user",
            label: "User",
            super_class: None,
            number_prefix: None,
            columns: user_columns(),
        },
        TableSpec {
            name: "sys_user_role",
            label: "Role",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 100)),
                string("description", "Description", 1000),
                boolean("elevated_privilege", "Elevated privilege", "false"),
            ],
        },
        TableSpec {
            name: "sys_user_role_contains",
            label: "Contained Role",
            super_class: None,
            number_prefix: None,
            columns: vec![
                reference("role", "Role", "sys_user_role"),
                reference("contains", "Contains", "sys_user_role"),
            ],
        },
        TableSpec {
            name: "sys_user_has_role",
            label: "User Role",
            super_class: None,
            number_prefix: None,
            columns: vec![
                reference("user", "User", "sys_user"),
                reference("role", "Role", "sys_user_role"),
                string("state", "State", 40),
                boolean("inherited", "Inherited", "false"),
            ],
        },
        TableSpec {
            name: "sys_security_acl",
            label: "Access Control",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 255)),
                string("operation", "Operation", 40),
                with_default(string("type", "Type", 40), "record"),
                boolean("active", "Active", "true"),
                string("description", "Description", 512),
            ],
        },
        TableSpec {
            name: "sys_security_acl_role",
            label: "Access Role",
            super_class: None,
            number_prefix: None,
            columns: vec![
                reference("sys_security_acl", "Access control", "sys_security_acl"),
                reference("sys_user_role", "Role", "sys_user_role"),
            ],
        },
        TableSpec {
            name: "oauth_entity",
            label: "Application Registry",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 100)),
                string("client_id", "Client ID", 32),
                col("client_secret", "Client Secret", "password2", 255),
                string("redirect_url", "Redirect URL", 1024),
                with_default(
                    integer("access_token_lifespan", "Access Token Lifespan"),
                    "1800",
                ),
                with_default(
                    integer("refresh_token_lifespan", "Refresh Token Lifespan"),
                    "8640000",
                ),
                boolean("active", "Active", "true"),
                with_default(string("type", "Type", 40), "client"),
                reference("user", "OAuth Application User", "sys_user"),
            ],
        },
        TableSpec {
            name: "sys_rate_limit_rules",
            label: "Rate Limit Rule",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 100)),
                with_default(string("rest_service", "REST Service", 100), "Table API"),
                with_default(string("http_method", "HTTP Method", 40), "all"),
                with_default(string("type", "Applies to", 40), "all_users"),
                reference("user", "User", "sys_user"),
                reference("role", "Role", "sys_user_role"),
                with_default(integer("request_limit", "Requests per hour"), "100"),
                boolean("active", "Active", "true"),
            ],
        },
        TableSpec {
            name: "customer_account",
            label: "Account",
            super_class: None,
            number_prefix: Some("ACCT"),
            columns: vec![
                displayed(string("name", "Name", 100)),
                string("number", "Number", 40),
                phone("phone", "Phone"),
                phone("fax_phone", "Fax phone"),
                reference("primary_contact", "Primary contact", "customer_contact"),
                string("city", "City", 100),
                string("country", "Country", 40),
                boolean("customer", "Customer", "true"),
                string("notes", "Notes", 4000),
            ],
        },
        TableSpec {
            name: "customer_contact",
            label: "Contact",
            super_class: Some("sys_user"),
            number_prefix: None,
            columns: contact_columns,
        },
        TableSpec {
            name: "csm_consumer",
            label: "Consumer",
            super_class: None,
            number_prefix: Some("CSC"),
            columns: vec![
                displayed(string("name", "Name", 151)),
                string("number", "Number", 40),
                string("first_name", "First name", 50),
                string("last_name", "Last name", 50),
                col("email", "Email", "email", 100),
                phone("business_phone", "Business phone"),
                phone("mobile_phone", "Mobile phone"),
                phone("home_phone", "Home phone"),
                boolean("active", "Active", "true"),
                string("city", "City", 100),
                string("country", "Country", 40),
                string("preferred_language", "Preferred language", 40),
            ],
        },
        TableSpec {
            name: "task",
            label: "Task",
            super_class: None,
            number_prefix: Some("TASK"),
            columns: vec![
                displayed(string("number", "Number", 40)),
                string("short_description", "Short description", 160),
                string("description", "Description", 4000),
                with_default(with_choices(integer("state", "State"), CASE_STATES), "1"),
                with_default(
                    with_choices(integer("priority", "Priority"), PRIORITIES),
                    "4",
                ),
                boolean("active", "Active", "true"),
                reference("assigned_to", "Assigned to", "sys_user"),
                reference("assignment_group", "Assignment group", "sys_user_group"),
                reference("opened_by", "Opened by", "sys_user"),
                datetime("opened_at", "Opened"),
                string("correlation_id", "Correlation ID", 100),
                string("correlation_display", "Correlation display", 100),
                with_choices(string("contact_type", "Channel", 40), CONTACT_TYPES),
                col("work_notes", "Work notes", "journal_input", 4000),
                col("comments", "Additional comments", "journal_input", 4000),
            ],
        },
        TableSpec {
            name: "sn_customerservice_case",
            label: "Case",
            super_class: Some("task"),
            number_prefix: Some("CS"),
            columns: vec![
                reference("contact", "Contact", "customer_contact"),
                reference("account", "Account", "customer_account"),
                reference("consumer", "Consumer", "csm_consumer"),
            ],
        },
        // servicenow.md §5.1: the OpenFrame panel's configuration. Column names as partner setup
        // scripts write them ([OBS]); `user_group` empty means every OpenFrame user.
        TableSpec {
            name: "sn_openframe_configuration",
            label: "OpenFrame Configuration",
            super_class: None,
            number_prefix: None,
            columns: vec![
                displayed(string("name", "Name", 100)),
                string("title", "Title", 256),
                string("subtitle", "Subtitle", 256),
                col("url", "URL", "url", 1024),
                with_default(integer("width", "Width"), "350"),
                with_default(integer("height", "Height"), "500"),
                with_default(integer("order", "Order"), "100"),
                boolean("active", "Active", "true"),
                boolean("default", "Default", "false"),
                reference("user_group", "User Group", "sys_user_group"),
                boolean(
                    "show_presence_indicator",
                    "Show presence indicator",
                    "false",
                ),
                boolean("collapsed_view_enabled", "Enable collapsed view", "false"),
                with_default(string("icon_class", "Icon Class", 40), "icon-phone"),
                string("title_icon", "Title Icon", 1024),
                string("configuration", "Configuration", 4000),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_stable_when_a_column_is_redefined() {
        let mut t = TableDef::new("u_x", "X", None);
        t.upsert_column(Column {
            name: "a".into(),
            label: "A".into(),
            internal_type: "string".into(),
            max_length: 40,
            reference: None,
            default_value: None,
            choices: vec![],
            display: false,
        });
        let mut b = t.columns[0].clone();
        b.name = "b".into();
        t.upsert_column(b);
        let mut a2 = t.columns[0].clone();
        a2.max_length = 100;
        t.upsert_column(a2);
        assert_eq!(t.slot("a"), Some(0));
        assert_eq!(t.slot("b"), Some(1));
        assert_eq!(t.column("a").unwrap().max_length, 100);
    }
}
