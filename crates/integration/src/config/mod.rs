//! The configuration file: the server, tenants, their default region, Case template, link
//! policy and CRM section. Parsed into validated types at start; an invalid file fails with the
//! file, the key and the reason. Every key is documented in `docs/configuration.md`.
//!
//! A tenant's CRM section (`[tenant.crm]`, tagged by `kind`) is opaque here: it is handed on as
//! a [`CrmSection`] and parsed by the adapter of its kind when the registry builds it at start
//! (`server::prepare`, doctor), still before anything is served.

mod link;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use callbridge_core::{RecordingLinks, ShortDescriptionTemplate, TenantId, TenantPolicy};
use callbridge_crm::{CrmSection, SectionError};
use callbridge_phone::Region;
use serde::Deserialize;

pub use callbridge_crm::secret::{Secret, SecretSource};
pub use link::{IdentityField, LinkPolicy};

/// A configuration problem: where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub reason: String,
}

impl From<SectionError> for ConfigError {
    fn from(e: SectionError) -> ConfigError {
        ConfigError {
            file: e.file,
            key: e.key,
            reason: e.reason,
        }
    }
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
    /// HTTPS on the listener; `None`: plain HTTP (loopback, or TLS at a reverse proxy).
    pub tls: Option<crate::http_listener::TlsFiles>,
}

#[derive(Debug, Clone)]
pub struct TenantConfig {
    pub id: TenantId,
    pub name: String,
    pub default_region: Region,
    /// Signs requests to the call-events API; None disables the API for this tenant.
    pub call_events_secret: Option<Secret>,
    pub policy: TenantPolicy,
    /// Which CRM user may be linked to which agent (the section's `link` table).
    pub link: LinkPolicy,
    /// The CRM section, for the adapter of its `kind` (which validates it).
    pub crm: CrmSection,
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
    tls_certificate: Option<String>,
    tls_private_key: Option<String>,
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
    crm: Option<toml::Spanned<toml::Table>>,
    /// The older form of `[tenant.crm] kind = "servicenow"`, accepted unchanged.
    servicenow: Option<toml::Spanned<toml::Table>>,
    /// Validated by `callbridge-telephony`.
    #[serde(default)]
    #[allow(dead_code)]
    telephony: Option<toml::Value>,
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
        let v = Validator {
            file,
            text,
            base,
            env,
        };
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
    text: &'a str,
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

    fn url(&self, key: &str, value: &str) -> Result<String, ConfigError> {
        callbridge_crm::checked_base_url(value).map_err(|reason| self.error(key, reason))
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

    /// Both TLS files or neither; each must be a readable file (its PEM is parsed by the web
    /// edge, which reports a bad one with the same key).
    fn tls(&self, raw: &RawServer) -> Result<Option<crate::http_listener::TlsFiles>, ConfigError> {
        let (certificate, private_key) = match (&raw.tls_certificate, &raw.tls_private_key) {
            (None, None) => return Ok(None),
            (Some(certificate), Some(private_key)) => (certificate, private_key),
            (Some(_), None) => {
                return Err(self.error(
                    "server.tls_private_key",
                    "tls_certificate is set but tls_private_key is not: HTTPS needs both \
                     (the PEM file of the certificate's private key), or remove tls_certificate \
                     to serve plain HTTP",
                ))
            }
            (None, Some(_)) => {
                return Err(self.error(
                    "server.tls_certificate",
                    "tls_private_key is set but tls_certificate is not: HTTPS needs both \
                     (the PEM file of the certificate chain, server certificate first), or \
                     remove tls_private_key to serve plain HTTP",
                ))
            }
        };
        let readable = |key: &str, value: &str| {
            let path = self.base.join(value);
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => Ok(path),
                Ok(_) => Err(self.error(key, format!("{} is not a file", path.display()))),
                Err(e) => Err(self.error(
                    key,
                    format!(
                        "cannot read {}: {e}; point it at a PEM file this user can read",
                        path.display()
                    ),
                )),
            }
        };
        Ok(Some(crate::http_listener::TlsFiles {
            certificate: readable("server.tls_certificate", certificate)?,
            private_key: readable("server.tls_private_key", private_key)?,
        }))
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
            tls: self.tls(&raw.server)?,
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
        let (crm, link) = self.crm(key, t.crm, t.servicenow)?;
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
            link,
            crm,
        })
    }

    /// The tenant's CRM section from `[tenant.crm]`, or from the older `[tenant.servicenow]`
    /// (the same settings with `kind = "servicenow"`): exactly one must be present. Its `link`
    /// table is the tenant's link policy, read here; the rest is the adapter's.
    fn crm(
        &self,
        key: &str,
        crm: Option<toml::Spanned<toml::Table>>,
        servicenow: Option<toml::Spanned<toml::Table>>,
    ) -> Result<(CrmSection, LinkPolicy), ConfigError> {
        let (section_key, kind, spanned) = match (crm, servicenow) {
            (Some(mut section), None) => {
                let section_key = format!("{key}.crm");
                let kind = match section.get_mut().remove("kind") {
                    Some(toml::Value::String(kind)) => kind,
                    Some(other) => {
                        return Err(self.error(
                            format!("{section_key}.kind"),
                            format!("{other}: the kind is a string, e.g. kind = \"servicenow\""),
                        ))
                    }
                    None => {
                        return Err(self.error(
                            format!("{section_key}.kind"),
                            "missing; name the CRM, e.g. kind = \"servicenow\"",
                        ))
                    }
                };
                (section_key, kind, section)
            }
            (None, Some(section)) => (format!("{key}.servicenow"), "servicenow".into(), section),
            (Some(_), Some(_)) => {
                return Err(self.error(
                    format!("{key}.crm"),
                    "both [tenant.crm] and [tenant.servicenow] are given; keep one (they are two \
                     spellings of the same settings: [tenant.crm] with kind = \"servicenow\" is \
                     the newer)",
                ))
            }
            (None, None) => {
                return Err(self.error(
                    format!("{key}.crm"),
                    "no CRM is configured for this tenant; add a [tenant.crm] section with \
                     kind = \"servicenow\" and the instance's keys (see docs/configuration.md)",
                ))
            }
        };
        let position = locate(self.text, spanned.span().start);
        let mut table = spanned.into_inner();
        let raw_link: link::RawLink = match table.remove("link") {
            Some(value) => value.try_into().map_err(|e: toml::de::Error| {
                self.error(format!("{section_key}.link"), e.message().to_string())
            })?,
            None => link::RawLink::default(),
        };
        let link = self.link(&format!("{section_key}.link"), raw_link)?;
        let section = CrmSection::new(kind, table, self.file, section_key, self.base, self.env)
            .at(Some(position));
        Ok((section, link))
    }
}

#[cfg(test)]
mod tests;
