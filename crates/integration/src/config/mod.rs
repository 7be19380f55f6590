//! The configuration file: tenants, their CRM connection, tables and columns, default region and
//! Case template. Parsed into validated types at start; an invalid file fails with the file, the
//! key and the reason. Every key is documented in `docs/configuration.md`.

mod link;
mod secret;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callbridge_core::{
    PartyKind, RecordingLinks, ShortDescriptionTemplate, TenantId, TenantPolicy,
};
use callbridge_phone::Region;
use callbridge_servicenow::{ColumnName, TableName};
use serde::Deserialize;

pub use link::{IdentityField, LinkPolicy};
pub use secret::{Secret, SecretSource};

/// A configuration problem: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub tenants: Vec<TenantConfig>,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// How browsers and the CRM reach this server (recording links, OAuth redirects).
    pub public_url: String,
    pub database_url: String,
    /// 32 bytes, base64: encrypts tokens and secrets at rest.
    pub master_key: Secret,
    /// Timeouts and size and connection limits of the HTTP listener.
    pub http_limits: crate::http_listener::HttpLimits,
}

#[derive(Debug, Clone)]
pub struct TenantConfig {
    pub id: TenantId,
    pub name: String,
    pub default_region: Region,
    /// Signs requests to the call-events API; None disables the API for this tenant.
    pub call_events_secret: Option<Secret>,
    pub policy: TenantPolicy,
    pub servicenow: ServiceNowConfig,
}

#[derive(Debug, Clone)]
pub struct ServiceNowConfig {
    /// Base URL without a trailing slash.
    pub instance_url: String,
    /// Extra trust root (PEM), e.g. the sandbox's CA.
    pub ca_pem: Option<String>,
    pub client_id: String,
    pub client_secret: Secret,
    pub service_grant: ServiceGrant,
    /// The instance's hourly rate-limit budget for our service account; None: no limiter.
    pub requests_per_hour: Option<u32>,
    pub lookup: LookupConfig,
    pub case: CaseConfig,
    /// Which CRM user may be linked to which agent.
    pub link: LinkPolicy,
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

// ---- the file as written ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: RawServer,
    #[serde(default, rename = "tenant")]
    tenants: Vec<RawTenant>,
    /// The telephony section belongs to `callbridge-telephony`, which validates it.
    #[serde(default)]
    #[allow(dead_code)]
    telephony: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    #[serde(default = "default_listen")]
    listen: String,
    public_url: Option<String>,
    #[serde(default = "default_database")]
    database_url: String,
    master_key: SecretSource,
    header_read_timeout_secs: Option<u64>,
    max_header_bytes: Option<usize>,
    max_connections_per_source: Option<usize>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_database() -> String {
    "sqlite://callbridge.db".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    id: String,
    name: Option<String>,
    #[serde(default = "default_region")]
    default_region: String,
    call_events_secret: Option<SecretSource>,
    #[serde(default = "yes")]
    auto_case_inbound: bool,
    #[serde(default)]
    auto_case_outbound: bool,
    #[serde(default = "default_contact_wait")]
    contact_wait_secs: u64,
    short_description: Option<String>,
    /// The tenant's CRM, chosen by `kind` (`[tenant.crm] kind = "servicenow"`).
    crm: Option<RawCrm>,
    /// The older form of `[tenant.crm] kind = "servicenow"`, accepted unchanged.
    servicenow: Option<RawServiceNow>,
    /// Validated by `callbridge-telephony`.
    #[serde(default)]
    #[allow(dead_code)]
    telephony: Option<toml::Value>,
}

/// `[tenant.crm]`: the CRM section, tagged by `kind`; the other keys are the kind's own.
#[derive(Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
enum RawCrm {
    #[serde(rename = "servicenow")]
    ServiceNow(RawServiceNow),
}

fn default_region() -> String {
    "US".into()
}

fn yes() -> bool {
    true
}

fn default_contact_wait() -> u64 {
    10
}

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
    #[serde(default)]
    link: link::RawLink,
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

// ---- loading and validation ----------------------------------------------------------------

impl Config {
    /// Reads and validates a configuration file; secrets given as `{ env = ".." }` come from
    /// the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            key: String::new(),
            reason: format!("cannot read the file: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&path.display().to_string(), &text, base, &|k| {
            std::env::var(k).ok()
        })
    }

    /// Parses configuration text. `base` resolves relative file paths; `env` looks variables up.
    pub fn parse(
        file: &str,
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            key: e.span().map(|s| locate(text, s.start)).unwrap_or_default(),
            reason: e.message().to_string(),
        })?;
        let v = Validator { file, base, env };
        v.config(raw)
    }
}

/// "line L, column C" for a byte offset.
fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    format!("line {line}, column {column}")
}

struct Validator<'a> {
    file: &'a str,
    base: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Validator<'_> {
    fn error(&self, key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }

    fn secret(&self, key: &str, source: &SecretSource) -> Result<Secret, ConfigError> {
        source
            .resolve(self.base, self.env)
            .map_err(|reason| self.error(key, reason))
    }

    fn table(&self, key: &str, value: &str) -> Result<TableName, ConfigError> {
        TableName::new(value).map_err(|e| self.error(key, e.to_string()))
    }

    fn column(&self, key: &str, value: &str) -> Result<ColumnName, ConfigError> {
        ColumnName::new(value).map_err(|e| self.error(key, e.to_string()))
    }

    fn optional_column(&self, key: &str, value: &str) -> Result<Option<ColumnName>, ConfigError> {
        if value.is_empty() {
            Ok(None)
        } else {
            self.column(key, value).map(Some)
        }
    }

    fn url(&self, key: &str, value: &str) -> Result<String, ConfigError> {
        let url = reqwest::Url::parse(value)
            .map_err(|e| self.error(key, format!("{value:?} is not a URL: {e}")))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(self.error(
                    key,
                    format!("{value} uses plain http to a non-loopback host; use https"),
                ))
            }
            other => return Err(self.error(key, format!("unsupported scheme {other}; use https"))),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(self.error(key, "the URL must not have a query or fragment"));
        }
        Ok(value.trim_end_matches('/').to_string())
    }

    fn http_limits(
        &self,
        raw: &RawServer,
    ) -> Result<crate::http_listener::HttpLimits, ConfigError> {
        use crate::http_listener::{HttpLimits, MIN_HEADER_BYTES};
        let defaults = HttpLimits::default();
        let header_read_timeout = match raw.header_read_timeout_secs {
            None => defaults.header_read_timeout,
            Some(0) => {
                return Err(self.error(
                    "server.header_read_timeout_secs",
                    "must be at least 1 (seconds a client has to send a request's headers)",
                ))
            }
            Some(secs) => Duration::from_secs(secs),
        };
        let max_header_bytes = raw.max_header_bytes.unwrap_or(defaults.max_header_bytes);
        if max_header_bytes < MIN_HEADER_BYTES {
            return Err(self.error(
                "server.max_header_bytes",
                format!("{max_header_bytes} is below the minimum of {MIN_HEADER_BYTES} bytes"),
            ));
        }
        let max_connections_per_source = raw
            .max_connections_per_source
            .unwrap_or(defaults.max_connections_per_source);
        if max_connections_per_source == 0 {
            return Err(self.error(
                "server.max_connections_per_source",
                "must be at least 1; raise it for many agents behind one NAT address",
            ));
        }
        Ok(HttpLimits {
            header_read_timeout,
            max_header_bytes,
            max_connections_per_source,
        })
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let listen: SocketAddr = raw.server.listen.parse().map_err(|e| {
            self.error(
                "server.listen",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080: {e}",
                    raw.server.listen
                ),
            )
        })?;
        let public_url = match &raw.server.public_url {
            Some(u) => self.url("server.public_url", u)?,
            None => format!("http://{listen}"),
        };
        let server = ServerConfig {
            listen,
            public_url,
            database_url: raw.server.database_url.clone(),
            master_key: self.secret("server.master_key", &raw.server.master_key)?,
            http_limits: self.http_limits(&raw.server)?,
        };
        if raw.tenants.is_empty() {
            return Err(self.error("tenant", "no [[tenant]] is configured; add at least one"));
        }
        let mut seen = HashSet::new();
        let mut tenants = Vec::new();
        for (i, t) in raw.tenants.into_iter().enumerate() {
            let key = format!("tenant[{i}]");
            if !seen.insert(t.id.clone()) {
                return Err(self.error(
                    format!("{key}.id"),
                    format!("tenant id {:?} is used twice", t.id),
                ));
            }
            tenants.push(self.tenant(&key, t, &server.public_url)?);
        }
        Ok(Config { server, tenants })
    }

    fn tenant(
        &self,
        key: &str,
        t: RawTenant,
        public_url: &str,
    ) -> Result<TenantConfig, ConfigError> {
        let id_ok = !t.id.is_empty()
            && t.id.len() <= 64
            && t.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(self.error(
                format!("{key}.id"),
                format!(
                    "{:?}: use 1-64 letters, digits, '-' or '_' (it appears in URLs)",
                    t.id
                ),
            ));
        }
        let default_region = Region::parse(&t.default_region)
            .map_err(|e| self.error(format!("{key}.default_region"), e.to_string()))?;
        let short_description = match &t.short_description {
            Some(s) => ShortDescriptionTemplate::parse(s)
                .map_err(|e| self.error(format!("{key}.short_description"), e.to_string()))?,
            None => ShortDescriptionTemplate::default(),
        };
        let recording_links = RecordingLinks::parse(&format!("{public_url}/recordings"))
            .map_err(|e| self.error("server.public_url", e.to_string()))?;
        let policy = TenantPolicy {
            auto_case_inbound: t.auto_case_inbound,
            auto_case_outbound: t.auto_case_outbound,
            contact_wait: Duration::from_secs(t.contact_wait_secs),
            short_description,
            recording_links,
            ..TenantPolicy::default()
        };
        let call_events_secret = t
            .call_events_secret
            .as_ref()
            .map(|s| self.secret(&format!("{key}.call_events_secret"), s))
            .transpose()?;
        Ok(TenantConfig {
            id: TenantId::new(t.id.clone()),
            name: t.name.unwrap_or_else(|| t.id.clone()),
            default_region,
            call_events_secret,
            policy,
            servicenow: self.crm(key, t.crm, t.servicenow)?,
        })
    }

    /// The tenant's CRM from `[tenant.crm]`, or from the older `[tenant.servicenow]`: both forms
    /// give the same configuration, and exactly one must be present.
    fn crm(
        &self,
        key: &str,
        crm: Option<RawCrm>,
        servicenow: Option<RawServiceNow>,
    ) -> Result<ServiceNowConfig, ConfigError> {
        match (crm, servicenow) {
            (Some(RawCrm::ServiceNow(section)), None) => {
                self.servicenow(&format!("{key}.crm"), section)
            }
            (None, Some(section)) => self.servicenow(&format!("{key}.servicenow"), section),
            (Some(_), Some(_)) => Err(self.error(
                format!("{key}.crm"),
                "both [tenant.crm] and [tenant.servicenow] are given; keep one (they are two \
                 spellings of the same settings: [tenant.crm] with kind = \"servicenow\" is the \
                 newer)",
            )),
            (None, None) => Err(self.error(
                format!("{key}.crm"),
                "no CRM is configured for this tenant; add a [tenant.crm] section with \
                 kind = \"servicenow\" and the instance's keys (see docs/configuration.md)",
            )),
        }
    }

    fn servicenow(&self, key: &str, s: RawServiceNow) -> Result<ServiceNowConfig, ConfigError> {
        let instance_url = self.url(&format!("{key}.instance_url"), &s.instance_url)?;
        let ca_pem = match &s.ca_file {
            Some(path) => {
                let path = self.base.join(path);
                let pem = std::fs::read_to_string(&path).map_err(|e| {
                    self.error(
                        format!("{key}.ca_file"),
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                if !pem.contains("BEGIN CERTIFICATE") {
                    return Err(self.error(
                        format!("{key}.ca_file"),
                        format!("{} holds no PEM certificate", path.display()),
                    ));
                }
                Some(pem)
            }
            None => None,
        };
        if s.client_id.trim().is_empty() {
            return Err(self.error(
                format!("{key}.client_id"),
                "empty; copy the Client ID from System OAuth > Application Registry",
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
                            format!("{key}.service_user"),
                            "required when service_grant = \"password\"",
                        )
                    })?;
                let password = s.service_password.as_ref().ok_or_else(|| {
                    self.error(
                        format!("{key}.service_password"),
                        "required when service_grant = \"password\"",
                    )
                })?;
                ServiceGrant::Password {
                    user,
                    password: self.secret(&format!("{key}.service_password"), password)?,
                }
            }
            other => {
                return Err(self.error(
                    format!("{key}.service_grant"),
                    format!("{other:?}: use \"client_credentials\" or \"password\""),
                ))
            }
        };
        if s.requests_per_hour == Some(0) {
            return Err(self.error(
                format!("{key}.requests_per_hour"),
                "must be at least 1 (omit it for no limit)",
            ));
        }
        Ok(ServiceNowConfig {
            instance_url,
            ca_pem,
            client_id: s.client_id.trim().to_string(),
            client_secret: self.secret(&format!("{key}.client_secret"), &s.client_secret)?,
            service_grant,
            requests_per_hour: s.requests_per_hour,
            lookup: self.lookup(&format!("{key}.lookup"), s.lookup)?,
            case: self.case(&format!("{key}.case"), s.case)?,
            link: self.link(&format!("{key}.link"), s.link)?,
        })
    }

    fn lookup(&self, key: &str, l: RawLookup) -> Result<LookupConfig, ConfigError> {
        if let Some(n) = l.suffix_digits {
            if !(7..=10).contains(&n) {
                return Err(self.error(
                    format!("{key}.suffix_digits"),
                    format!("{n}: use 7 to 10, or omit it"),
                ));
            }
        }
        if l.tables.is_empty() {
            return Err(self.error(
                format!("{key}.tables"),
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
                        format!("{k}.kind"),
                        format!("{other:?}: use \"contact\" or \"consumer\""),
                    ))
                }
            };
            if t.phone_columns.is_empty() {
                return Err(self.error(
                    format!("{k}.phone_columns"),
                    "list at least one phone column",
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

#[cfg(test)]
mod tests;
