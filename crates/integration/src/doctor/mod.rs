//! `callbridge doctor`: checks each tenant's CRM setup end to end and says, for every failure,
//! which setup step fixes it. The checks themselves are the CRM adapter's
//! ([`callbridge_crm::CrmDoctor`], built by the registry from the tenant's CRM section); this
//! module picks the tenants, opens the store of agents' links without creating it, and
//! reports (text or JSON, [`report`]).
//!
//! A tenant whose CRM section does not parse gets one failed `config.crm` check naming the key.

mod report;

use std::path::Path;

use callbridge_crm::{CrmRegistry, DoctorRequest};
use callbridge_store::{SecretKey, Store};

use callbridge_kernel::check::Text;
pub use report::{render_text, render_text_ja, Check, Report, Status, TenantReport};

use callbridge_config::{Config, TenantConfig};

/// What doctor may do besides reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoctorOptions {
    /// Create (and then delete) a probe Case; `--no-write` turns it off.
    pub write_probe: bool,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions { write_probe: true }
    }
}

/// Checks every tenant, or only `tenant`, with the default options (a probe Case is written).
pub async fn run(config: &Config, crms: &CrmRegistry, tenant: Option<&str>) -> Report {
    run_with(config, crms, tenant, DoctorOptions::default()).await
}

/// Checks every tenant, or only `tenant`.
pub async fn run_with(
    config: &Config,
    crms: &CrmRegistry,
    tenant: Option<&str>,
    options: DoctorOptions,
) -> Report {
    let store = open_store(config).await;
    let mut tenants = Vec::new();
    match tenant {
        Some(wanted) => match config.tenants.iter().find(|t| t.id.as_str() == wanted) {
            Some(t) => tenants.push(check_tenant(config, crms, t, &store, options).await),
            None => {
                let known: Vec<&str> = config.tenants.iter().map(|t| t.id.as_str()).collect();
                tenants.push(TenantReport {
                    tenant: wanted.to_string(),
                    checks: vec![Check::fail(
                        "config.tenant",
                        Text::new("Tenant configured", "テナントが設定されている"),
                        Text::new(
                            format!("no [[tenant]] with id \"{wanted}\" in the configuration"),
                            format!("設定に id が \"{wanted}\" の [[tenant]] がありません"),
                        ),
                        Text::new(
                            format!(
                                "Configuration: use one of the configured tenant ids: {}",
                                known.join(", ")
                            ),
                            format!(
                                "設定: 設定にあるテナント id のいずれかを指定してください: {}",
                                known.join(", ")
                            ),
                        ),
                    )],
                });
            }
        },
        None => {
            for t in &config.tenants {
                tenants.push(check_tenant(config, crms, t, &store, options).await);
            }
        }
    }
    if let Ok(Some(store)) = store {
        store.close().await;
    }
    Report { tenants }
}

async fn check_tenant(
    config: &Config,
    crms: &CrmRegistry,
    tenant: &TenantConfig,
    store: &Result<Option<Store>, String>,
    options: DoctorOptions,
) -> TenantReport {
    let report = |checks| TenantReport {
        tenant: tenant.id.as_str().to_string(),
        checks,
    };
    let links = store.clone();
    let built = crate::crm::build_tenant(
        crms,
        tenant,
        &config.server.public_url,
        links.clone().ok().flatten(),
    );
    let crm = match built {
        Ok(crm) => crm,
        Err(e) => {
            return report(vec![Check::fail(
                "config.crm",
                Text::new("CRM section valid", "CRM の設定が正しい"),
                Text::new(e.to_string(), format!("CRM の設定に誤りがあります: {e}")),
                Text::new(
                    format!("Configuration: fix {}", e.key),
                    format!("設定: {} を直してください", e.key),
                ),
            )])
        }
    };
    let Some(doctor) = crm.doctor else {
        return report(Vec::new());
    };
    let request = DoctorRequest {
        write_probe: options.write_probe,
        links,
        scope: callbridge_crm::DoctorScope::All,
    };
    report(doctor.checks(&tenant.id, &request).await)
}

/// The store holding agents' links: `Ok(None)` when it does not exist yet (a SQLite file not
/// created: nobody has linked, and doctor must not create it), `Err` with why it cannot be read.
pub async fn open_store(config: &Config) -> Result<Option<Store>, String> {
    let url = &config.server.database_url;
    if let Some(path) = sqlite_path(url) {
        if !Path::new(path).exists() {
            return Ok(None);
        }
    }
    let key = SecretKey::from_base64(config.server.master_key.expose())
        .map_err(|e| format!("server.master_key: {e}"))?;
    Store::open(url, key)
        .await
        .map(Some)
        .map_err(|e| format!("opening {url}: {e}"))
}

/// The file behind a SQLite URL; None for other databases and in-memory SQLite.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_and_other_databases_none() {
        assert_eq!(sqlite_path("sqlite://callbridge.db"), Some("callbridge.db"));
        assert_eq!(
            sqlite_path("sqlite:/var/lib/cb.db?mode=rwc"),
            Some("/var/lib/cb.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u:p@h/db"), None);
    }
}
