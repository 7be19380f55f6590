//! The configuration file (`docs/configuration.md`): read once, validated once, and handed to
//! each subsystem as typed sections: [`ServerConfig`] to the web edge and the integration,
//! [`TenantConfig`]s (each with its CRM section kept opaque as a [`CrmSection`] for the adapter
//! of its `kind`) to the integration, [`TelephonyConfig`] to telephony.
//!
//! Every mistake, of whatever kind (TOML syntax, an unknown key, a wrong type, a missing key, a
//! bad value, a cross-reference such as an agent naming an unknown queue), is a [`ConfigError`]
//! shown as ``FILE:LINE:COL: key `a.b.c`: what is wrong. Fix: what to write instead.``; one pass
//! reports all the mistakes of a file ([`ConfigErrors`]), not just the first. The CRM adapter's
//! own checks of its section produce the same type, located by the section
//! ([`CrmSection::error`]).
//!
//! Phone numbers (DIDs, the trunk's caller id) are read by `callbridge-phone` only; the
//! configuration holds [`callbridge_phone::E164`] values.
//!
//! Invariant: no CRM is named here; no network IO (files named by the configuration, secrets
//! and WAV prompts, are read or checked).

mod crm_section;
mod error;
mod link;
mod reader;
mod secret;
mod server;
mod stored;
pub mod telephony;
mod tenant;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use toml_edit::ImDocument;

pub use callbridge_kernel::Secret;
pub use crm_section::{checked_base_url, origin_of, CrmSection};
pub use error::{ConfigError, ConfigErrors, Location};
pub use link::{IdentityField, LinkPolicy};
pub use secret::SecretSource;
pub use server::{
    ForwardedHeader, HttpLimits, ServerConfig, TlsFiles, TrustedProxies, MIN_HEADER_BYTES,
};
pub use stored::{replace_section, Composed, EditError, OnDuplicate, StoredTenant};
pub use telephony::IpNetwork;
pub use telephony::TelephonyConfig;
pub use tenant::{AuditPolicy, RecordingPolicy, TenantConfig, TenantSource};
/// The TOML editing library whose [`toml_edit::Table`] [`replace_section`] takes.
pub use toml_edit;

use reader::{Node, Reader, Section};

/// The whole file, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub tenants: Vec<TenantConfig>,
    /// `[telephony]` with every tenant's `[tenant.telephony]`; None when the file has no
    /// `[telephony]` (the server then runs the CRM integration alone).
    pub telephony: Option<TelephonyConfig>,
    /// The directory the file's relative paths start at (the file's own directory); the texts
    /// of the tenants kept in the store use it too.
    pub dir: PathBuf,
}

impl Config {
    /// Reads and validates a configuration file; secrets given as `{ env = ".." }` come from
    /// the process environment, relative paths start at the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            location: None,
            key: String::new(),
            problem: format!("cannot read the file: {e}"),
            fix: "give the path of a readable configuration file (callbridge demo writes one \
                  to start from)"
                .to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&file, &text, base, &|k| std::env::var(k).ok())
    }

    /// Parses configuration text. `file` is how errors name it, `base` resolves relative file
    /// paths, `env` looks variables up.
    pub fn parse(
        file: &str,
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        let document = ImDocument::parse(text).map_err(|e| syntax_error(file, text, &e))?;
        let reader = Reader::new(file, text);
        let config = read(&reader, document.as_table(), base, env);
        match (ConfigErrors::from_vec(reader.into_errors()), config) {
            (Some(errors), _) => Err(errors),
            (None, Some(config)) => Ok(config),
            // Every refusal is reported where it is found; should one slip through, the file
            // is still refused rather than half-read.
            (None, None) => Err(ConfigError {
                file: file.to_string(),
                location: None,
                key: String::new(),
                problem: "the file could not be read into a configuration".to_string(),
                fix: "compare it with docs/configuration.md".to_string(),
            }
            .into()),
        }
    }
}

pub(crate) fn syntax_error(file: &str, text: &str, e: &toml_edit::TomlError) -> ConfigError {
    let message = e.message().trim();
    ConfigError {
        file: file.to_string(),
        location: e.span().map(|s| Location::of(text, s.start)),
        key: String::new(),
        problem: format!("this is not valid TOML: {}", message.replace('\n', " ")),
        fix: "correct the syntax at this position (strings in double quotes, one key = value \
              per line, [section] headers)"
            .to_string(),
    }
}

fn read(
    reader: &Reader<'_>,
    root: &toml_edit::Table,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Config> {
    let root = Section::new(reader, String::new(), Node::Table(root), Some(0..0))?;
    let server = match root.table("server") {
        Some(section) => {
            let server = server::read(&section, base, env);
            section.finish();
            server
        }
        None => {
            if !root.has("server") {
                root.missing(
                    "server",
                    "add a [server] section with at least master_key = { file = \"master.key\" }",
                );
            }
            None
        }
    };
    let telephony_settings = root
        .table("telephony")
        .and_then(|section| telephony::read::settings(section, base));
    let has_telephony = root.has("telephony");
    let tenant_sections = root.tables("tenant");
    if tenant_sections.is_empty() && !root.has("tenant") {
        root.missing(
            "tenant",
            "add a [[tenant]] section with at least id = \"acme\" and its CRM",
        );
    }
    let mut ids = HashSet::new();
    let mut tenants = Vec::new();
    let mut telephony_tenants = Vec::new();
    let mut number_keys = Vec::new();
    let public_url = server.as_ref().map(|s| s.public_url.as_str());
    for section in tenant_sections {
        let id_key = section.node("id").map(|n| (n.key, n.span));
        let tenant = tenant::read(&section, public_url, base, env);
        if let (Some(t), Some((key, span))) = (&tenant, &id_key) {
            if !ids.insert(t.id.clone()) {
                reader.report(
                    key,
                    span,
                    format!("tenant id {:?} is used twice", t.id.as_str()),
                    "give each [[tenant]] its own id",
                );
            }
        }
        match section.table("telephony") {
            Some(t) if has_telephony => {
                let id = tenant.as_ref().map(|t| t.id.clone());
                let region = tenant.as_ref().map(|t| t.default_region);
                let read = telephony::read::tenant(
                    t,
                    id.unwrap_or_else(|| callbridge_core::TenantId::new("?")),
                    region,
                    base,
                    env,
                );
                if let Some((t, keys)) = read {
                    telephony_tenants.push(t);
                    number_keys.push(keys);
                }
            }
            // Without [telephony] a tenant's telephony section is not used (as before).
            _ => {}
        }
        section.finish();
        if let Some(t) = tenant {
            tenants.push(t);
        }
    }
    root.finish();
    telephony::read::unique_numbers(reader, &telephony_tenants, &number_keys);
    if reader.has_errors() {
        return None;
    }
    let telephony = match (has_telephony, telephony_settings) {
        (true, Some((sip, media, spool_dir, agent_grace))) => Some(TelephonyConfig {
            sip,
            media,
            spool_dir,
            agent_grace,
            tenants: telephony_tenants,
        }),
        _ => None,
    };
    Some(Config {
        server: server?,
        tenants,
        telephony,
        dir: base.to_path_buf(),
    })
}
