//! `[tenant.crm] kind = "servicenow"` (or the older `[tenant.servicenow]`): the instance, the
//! OAuth client, the service credential, the caller tables and the Case columns. Parsed from
//! the tenant's [`CrmSection`] into validated types when the registry builds the adapter;
//! every mistake names the file and the full key. Every key is documented in
//! `docs/configuration.md`. (The section's `link` policy is the configuration's, not ours.)

use std::path::PathBuf;

use callbridge_config::{ConfigError, CrmSection, Secret, SecretSource};
use callbridge_core::PartyKind;
use serde::Deserialize;

use crate::{ColumnName, TableName};

#[derive(Debug, Clone)]
pub struct ServiceNowConfig {
    /// Base URL without a trailing slash.
    pub instance_url: String,
    /// Extra trust root (PEM), e.g. the sandbox's CA.
    pub ca_pem: Option<String>,
    /// The file `ca_pem` was read from (resolved against the configuration's directory).
    pub ca_file: Option<PathBuf>,
    pub client_id: String,
    pub client_secret: Secret,
    pub service_grant: ServiceGrant,
    /// The instance's hourly rate-limit budget for our service account; None: no limiter.
    pub requests_per_hour: Option<u32>,
    pub lookup: LookupConfig,
    pub case: CaseConfig,
}

#[derive(Debug, Clone)]
pub enum ServiceGrant {
    ClientCredentials,
    Password { user: String, password: Secret },
}

#[derive(Debug, Clone)]
pub struct LookupConfig {
    pub tables: Vec<LookupTable>,
    /// Also match on the last N national digits (7..=10); None: exact formats only.
    pub suffix_digits: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct LookupTable {
    pub table: TableName,
    pub kind: PartyKind,
    pub phone_columns: Vec<ColumnName>,
    /// Column shown to agents (default `name`).
    pub name_column: ColumnName,
    /// Reference to the account, for contacts (default `account`); None for consumers.
    pub account_column: Option<ColumnName>,
}

#[derive(Debug, Clone)]
pub struct CaseConfig {
    pub table: TableName,
    pub correlation_column: ColumnName,
    pub caller_number_column: Option<ColumnName>,
    pub recording_url_column: ColumnName,
    pub contact_column: Option<ColumnName>,
    pub account_column: Option<ColumnName>,
    pub consumer_column: Option<ColumnName>,
    pub assigned_to_column: Option<ColumnName>,
    /// Value for `contact_type` ("Channel"); None leaves it unset.
    pub contact_type: Option<String>,
}

/// The Case column Callbridge writes the Case's title to (the short description template's
/// text), whatever the configuration says.
pub const CASE_TITLE_COLUMN: &str = "short_description";

// ---- the section as written ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceNow {
    instance_url: String,
    ca_file: Option<PathBuf>,
    client_id: String,
    client_secret: SecretSource,
    #[serde(default = "default_grant")]
    service_grant: String,
    service_user: Option<String>,
    service_password: Option<SecretSource>,
    requests_per_hour: Option<u32>,
    #[serde(default)]
    lookup: RawLookup,
    #[serde(default)]
    case: RawCase,
}

fn default_grant() -> String {
    "client_credentials".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookup {
    #[serde(default = "default_lookup_tables")]
    tables: Vec<RawLookupTable>,
    suffix_digits: Option<usize>,
}

impl Default for RawLookup {
    fn default() -> Self {
        RawLookup {
            tables: default_lookup_tables(),
            suffix_digits: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookupTable {
    table: String,
    kind: String,
    phone_columns: Vec<String>,
    name_column: Option<String>,
    account_column: Option<String>,
}

fn default_lookup_tables() -> Vec<RawLookupTable> {
    vec![
        RawLookupTable {
            table: "customer_contact".into(),
            kind: "contact".into(),
            phone_columns: vec!["phone".into(), "mobile_phone".into()],
            name_column: None,
            account_column: Some("account".into()),
        },
        RawLookupTable {
            table: "csm_consumer".into(),
            kind: "consumer".into(),
            phone_columns: vec!["business_phone".into(), "mobile_phone".into()],
            name_column: None,
            account_column: None,
        },
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    #[serde(default = "default_case_table")]
    table: String,
    #[serde(default = "default_correlation")]
    correlation_column: String,
    caller_number_column: Option<String>,
    #[serde(default = "default_recording_column")]
    recording_url_column: String,
    #[serde(default = "column_contact")]
    contact_column: String,
    #[serde(default = "column_account")]
    account_column: String,
    #[serde(default = "column_consumer")]
    consumer_column: String,
    #[serde(default = "column_assigned_to")]
    assigned_to_column: String,
    #[serde(default = "default_contact_type")]
    contact_type: String,
}

impl Default for RawCase {
    fn default() -> Self {
        RawCase {
            table: default_case_table(),
            correlation_column: default_correlation(),
            caller_number_column: None,
            recording_url_column: default_recording_column(),
            contact_column: column_contact(),
            account_column: column_account(),
            consumer_column: column_consumer(),
            assigned_to_column: column_assigned_to(),
            contact_type: default_contact_type(),
        }
    }
}

fn default_case_table() -> String {
    "sn_customerservice_case".into()
}
fn default_correlation() -> String {
    "correlation_id".into()
}
fn default_recording_column() -> String {
    "u_recording_url".into()
}
fn column_contact() -> String {
    "contact".into()
}
fn column_account() -> String {
    "account".into()
}
fn column_consumer() -> String {
    "consumer".into()
}
fn column_assigned_to() -> String {
    "assigned_to".into()
}
fn default_contact_type() -> String {
    "phone".into()
}

// ---- validation ----------------------------------------------------------------------------

impl ServiceNowConfig {
    /// The tenant's ServiceNow settings from its CRM section, validated.
    pub fn from_section(section: &CrmSection) -> Result<ServiceNowConfig, ConfigError> {
        let raw: RawServiceNow = section.parse()?;
        Validator { section }.servicenow(raw)
    }
}

struct Validator<'a> {
    section: &'a CrmSection,
}

impl Validator<'_> {
    fn error(&self, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> ConfigError {
        self.section.error(key, problem, fix)
    }

    fn table(&self, key: &str, value: &str) -> Result<TableName, ConfigError> {
        TableName::new(value).map_err(|e| {
            self.error(
                key,
                e.to_string(),
                "write the table's name as ServiceNow shows it in sys_db_object, e.g. \"sn_customerservice_case\"",
            )
        })
    }

    fn column(&self, key: &str, value: &str) -> Result<ColumnName, ConfigError> {
        ColumnName::new(value).map_err(|e| {
            self.error(
                key,
                e.to_string(),
                "write the column's name as ServiceNow shows it in sys_dictionary, e.g. \"u_caller_number\"",
            )
        })
    }

    fn optional_column(&self, key: &str, value: &str) -> Result<Option<ColumnName>, ConfigError> {
        if value.is_empty() {
            Ok(None)
        } else {
            self.column(key, value).map(Some)
        }
    }

    /// The instance's base URL: https, or plain http to this machine (the sandbox).
    fn url(&self, key: &str, value: &str) -> Result<String, ConfigError> {
        callbridge_crm::checked_base_url(value)
            .map_err(|(problem, fix)| self.error(key, problem, fix))
    }

    fn servicenow(&self, s: RawServiceNow) -> Result<ServiceNowConfig, ConfigError> {
        let instance_url = self.url("instance_url", &s.instance_url)?;
        let ca_file = s.ca_file.as_ref().map(|path| self.section.base.join(path));
        let ca_pem = match &ca_file {
            Some(path) => {
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    self.error(
                        "ca_file",
                        format!("cannot read {}: {e}", path.display()),
                        "name a readable PEM file (relative paths start at the configuration file's directory)",
                    )
                })?;
                if !pem.contains("BEGIN CERTIFICATE") {
                    return Err(self.error(
                        "ca_file",
                        format!("{} holds no PEM certificate", path.display()),
                        "name a file holding -----BEGIN CERTIFICATE----- blocks",
                    ));
                }
                Some(pem)
            }
            None => None,
        };
        if s.client_id.trim().is_empty() {
            return Err(self.error(
                "client_id",
                "the client id is empty",
                "copy the Client ID from System OAuth > Application Registry",
            ));
        }
        let service_grant = match s.service_grant.as_str() {
            "client_credentials" => ServiceGrant::ClientCredentials,
            "password" => {
                let user = s
                    .service_user
                    .clone()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| {
                        self.error(
                            "service_user",
                            "missing: service_grant = \"password\" signs in as a user",
                            "add service_user = \"...\" with the integration user's name",
                        )
                    })?;
                let password = s.service_password.as_ref().ok_or_else(|| {
                    self.error(
                        "service_password",
                        "missing: service_grant = \"password\" signs in with a password",
                        "add service_password = { env = \"...\" } with the integration user's password",
                    )
                })?;
                ServiceGrant::Password {
                    user,
                    password: self.section.secret("service_password", password)?,
                }
            }
            other => {
                return Err(self.error(
                    "service_grant",
                    format!("{other:?} is not a grant"),
                    "write service_grant = \"client_credentials\" or \"password\"",
                ))
            }
        };
        if s.requests_per_hour == Some(0) {
            return Err(self.error(
                "requests_per_hour",
                "0 requests per hour would stop every write",
                "write at least 1, or omit it for no limit",
            ));
        }
        Ok(ServiceNowConfig {
            instance_url,
            ca_pem,
            ca_file,
            client_id: s.client_id.trim().to_string(),
            client_secret: self.section.secret("client_secret", &s.client_secret)?,
            service_grant,
            requests_per_hour: s.requests_per_hour,
            lookup: self.lookup("lookup", s.lookup)?,
            case: self.case("case", s.case)?,
        })
    }

    fn lookup(&self, key: &str, l: RawLookup) -> Result<LookupConfig, ConfigError> {
        if let Some(n) = l.suffix_digits {
            if !(7..=10).contains(&n) {
                return Err(self.error(
                    &format!("{key}.suffix_digits"),
                    format!("{n} is out of range"),
                    "write 7 to 10, or omit it",
                ));
            }
        }
        if l.tables.is_empty() {
            return Err(self.error(
                &format!("{key}.tables"),
                "no table to search callers in",
                "list at least one table to search callers in",
            ));
        }
        let mut tables = Vec::new();
        for (i, t) in l.tables.into_iter().enumerate() {
            let k = format!("{key}.tables[{i}]");
            let kind = match t.kind.as_str() {
                "contact" => PartyKind::Contact,
                "consumer" => PartyKind::Consumer,
                other => {
                    return Err(self.error(
                        &format!("{k}.kind"),
                        format!("{other:?} is not a kind of caller"),
                        "write kind = \"contact\" or \"consumer\"",
                    ))
                }
            };
            if t.phone_columns.is_empty() {
                return Err(self.error(
                    &format!("{k}.phone_columns"),
                    "no phone column",
                    "list at least one phone column, e.g. phone_columns = [\"phone\"]",
                ));
            }
            let phone_columns = t
                .phone_columns
                .iter()
                .enumerate()
                .map(|(j, c)| self.column(&format!("{k}.phone_columns[{j}]"), c))
                .collect::<Result<Vec<_>, _>>()?;
            let account_column = match (&t.account_column, kind) {
                (Some(c), _) => self.optional_column(&format!("{k}.account_column"), c)?,
                (None, PartyKind::Contact) => {
                    Some(self.column(&format!("{k}.account_column"), "account")?)
                }
                (None, PartyKind::Consumer) => None,
            };
            tables.push(LookupTable {
                table: self.table(&format!("{k}.table"), &t.table)?,
                kind,
                phone_columns,
                name_column: self.column(
                    &format!("{k}.name_column"),
                    t.name_column.as_deref().unwrap_or("name"),
                )?,
                account_column,
            });
        }
        Ok(LookupConfig {
            tables,
            suffix_digits: l.suffix_digits,
        })
    }

    fn case(&self, key: &str, c: RawCase) -> Result<CaseConfig, ConfigError> {
        // The text columns every Case write fills, each with its own value: two of them naming
        // one column would have one value overwrite the other in the same POST (a recording
        // link in `short_description` is lost to the Case's title).
        let mut written: Vec<(&str, &str)> = vec![
            ("short_description", CASE_TITLE_COLUMN),
            ("correlation_column", c.correlation_column.as_str()),
        ];
        if let Some(caller) = c.caller_number_column.as_deref() {
            written.push(("caller_number_column", caller));
        }
        written.push(("recording_url_column", c.recording_url_column.as_str()));
        for (i, (name, column)) in written.iter().enumerate() {
            if let Some((first, _)) = written[..i].iter().find(|(_, other)| other == column) {
                let taken = if *first == "short_description" {
                    format!("\"{column}\" is the Case's short description, which Callbridge fills itself")
                } else {
                    format!("\"{column}\" is also the {first}")
                };
                return Err(self.error(
                    &format!("{key}.{name}"),
                    format!("{taken}: one value would overwrite the other on every Case"),
                    "choose a column of its own (the Setup page lists the Case table's columns)",
                ));
            }
        }
        Ok(CaseConfig {
            table: self.table(&format!("{key}.table"), &c.table)?,
            correlation_column: self
                .column(&format!("{key}.correlation_column"), &c.correlation_column)?,
            caller_number_column: c
                .caller_number_column
                .as_deref()
                .map(|v| self.column(&format!("{key}.caller_number_column"), v))
                .transpose()?,
            recording_url_column: self.column(
                &format!("{key}.recording_url_column"),
                &c.recording_url_column,
            )?,
            contact_column: self
                .optional_column(&format!("{key}.contact_column"), &c.contact_column)?,
            account_column: self
                .optional_column(&format!("{key}.account_column"), &c.account_column)?,
            consumer_column: self
                .optional_column(&format!("{key}.consumer_column"), &c.consumer_column)?,
            assigned_to_column: self
                .optional_column(&format!("{key}.assigned_to_column"), &c.assigned_to_column)?,
            contact_type: Some(c.contact_type).filter(|v| !v.is_empty()),
        })
    }
}
