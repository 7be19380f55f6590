//! The CRM side of the console's tenant setup: what the tenant's CRM section holds (secrets only
//! as set or not set), what the agents' CRM accounts must be able to read, what the CRM's own
//! schema offers for each configured table, and creating the recording-link column when the
//! CRM has none. CRM-neutral: the adapter names its keys, menus and types.

use async_trait::async_trait;
use serde::Serialize;

use crate::CrmError;

/// One value of the tenant's CRM section as an admin may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupValue {
    /// The key inside the CRM section (`instance_url`, `case.recording_url_column`).
    pub key: String,
    /// The value; `None` for a secret, which is never shown.
    pub value: Option<String>,
    /// Whether the value is a secret (then only `set` says anything).
    pub secret: bool,
    /// Whether it has a value (for a secret: whether one is configured).
    pub set: bool,
}

impl SetupValue {
    pub fn plain(key: &str, value: impl Into<String>) -> SetupValue {
        let value = value.into();
        SetupValue {
            key: key.to_string(),
            set: !value.is_empty(),
            value: Some(value),
            secret: false,
        }
    }

    pub fn optional(key: &str, value: Option<&str>) -> SetupValue {
        SetupValue {
            key: key.to_string(),
            value: value.map(str::to_string),
            secret: false,
            set: value.is_some(),
        }
    }

    pub fn secret(key: &str, set: bool) -> SetupValue {
        SetupValue {
            key: key.to_string(),
            value: None,
            secret: true,
            set,
        }
    }
}

/// Where an admin registers Callbridge in the CRM so agents can link their accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    /// The CRM's menu path to the registration (`System OAuth > Application Registry`).
    pub menu: String,
    /// The redirect URL to register there.
    pub redirect_url: String,
}

/// A table an agent's own CRM account must read, and the role that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleNeed {
    pub table: String,
    /// `caller lookup` or `Cases`.
    pub purpose: &'static str,
    /// The CRM role that grants reading it, when the adapter knows one.
    pub role: Option<&'static str>,
}

/// The tenant's CRM setup as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupView {
    /// The CRM's name as people know it (`ServiceNow`).
    pub crm: &'static str,
    /// The connection values (URL, client id, secret as set / not set).
    pub connection: Vec<SetupValue>,
    pub registration: Option<Registration>,
    /// The tables and columns the tenant's section names.
    pub tables: Vec<SetupValue>,
    /// What the agents' CRM accounts must read.
    pub roles: Vec<RoleNeed>,
}

/// One column as the CRM's schema describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaColumn {
    pub name: String,
    pub label: String,
    /// The CRM's type name (`string`, `url`, `ph_number`, `reference`, ...).
    pub kind: String,
    pub max_length: Option<u32>,
    /// The table a reference column points at.
    pub reference: Option<String>,
}

/// A configured table as the CRM's schema describes it, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaTable {
    /// What the table is for: `case` or `lookup`.
    pub role: &'static str,
    pub name: String,
    pub label: Option<String>,
    /// Every column, own and inherited, by name.
    pub columns: Vec<SchemaColumn>,
    /// Why the table could not be described (`None` when it was).
    pub problem: Option<String>,
}

/// What the CRM's schema offers the configured tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaView {
    pub tables: Vec<SchemaTable>,
    /// The Case table's columns that can hold a recording link (long enough, text or URL).
    pub recording_columns: Vec<String>,
    /// The recording-link column configured, and whether the Case table has it.
    pub recording_column: String,
    pub recording_column_exists: bool,
    /// The shortest column that holds a recording link of this tenant.
    pub recording_min_length: u32,
}

/// A table of the CRM an admin could search callers in, as the console offers it before any
/// save: the CRM's customer tables, the tables extending them, and the tables an admin made
/// that hold a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableChoice {
    pub name: String,
    pub label: String,
    /// The tables it extends, nearest first, as far as the CRM's answer told.
    pub extends: Vec<String>,
    /// Who its records are: `contact` (a person of a customer account) or `consumer`.
    pub kind: &'static str,
    /// Its columns that hold a phone number (own and inherited), by name.
    pub phone_columns: Vec<String>,
}

/// The tables an admin could search callers in, at most `limit` read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableChoices {
    pub tables: Vec<TableChoice>,
    /// The most table definitions read for the list.
    pub limit: u32,
    /// Whether the CRM held more than `limit`, so that some tables may be missing from the
    /// list (a table left out can still be typed in and described by name).
    pub truncated: bool,
}

/// Why one named table could not be described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescribeTableError {
    /// The name cannot be a table of this CRM; says what a name looks like.
    #[error("{problem}")]
    InvalidName { problem: String, fix: String },
    /// The CRM has no table of that name (or hides it); says where to look.
    #[error("{0}")]
    NotFound(String),
    /// The CRM refused the service credential reading its schema; says what to grant.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Crm(#[from] CrmError),
}

/// The type of a new recording-link column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewColumnKind {
    /// A URL column.
    Url,
    /// A text column that holds any Unicode character.
    FullUtf8String,
}

/// A recording-link column to create on the Case table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    /// The column's name (the CRM may require a prefix; the adapter checks it).
    pub name: String,
    pub label: String,
    pub kind: NewColumnKind,
}

/// Who creates the column: a CRM administrator's own sign-in, used for this request only.
pub struct CrmAdmin {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for CrmAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrmAdmin")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why the column was not created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateColumnError {
    /// The request itself is wrong (a name the CRM does not accept); says how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// The sign-in given may not change the schema (not an administrator), or is wrong.
    #[error("{0}")]
    NotAllowed(String),
    /// The column exists already.
    #[error("{0}")]
    Exists(String),
    #[error(transparent)]
    Crm(#[from] CrmError),
}

/// The CRM side of the console's setup flow.
#[async_trait]
pub trait CrmSetup: Send + Sync + 'static {
    /// The section's values, secrets as set / not set.
    fn view(&self) -> SetupView;

    /// The configured tables as the CRM's schema describes them, read with the service
    /// credential.
    async fn schema(&self) -> Result<SchemaView, CrmError>;

    /// The tables an admin could search callers in (read now with the service credential,
    /// kept nowhere).
    async fn lookup_table_choices(&self) -> Result<TableChoices, CrmError>;

    /// One table named by an admin, with every column, as the CRM's schema describes it now
    /// (read with the service credential, kept nowhere); its role is `lookup`.
    async fn describe_table(&self, table: &str) -> Result<SchemaTable, DescribeTableError>;

    /// Creates `column` on the Case table with `admin`'s sign-in.
    async fn create_recording_column(
        &self,
        admin: &CrmAdmin,
        column: &NewColumn,
    ) -> Result<SchemaColumn, CreateColumnError>;
}
