//! `callbridge doctor`: checks a tenant's ServiceNow setup end to end and says, for every
//! failure, which setup step fixes it.
//!
//! Per tenant, in order (a check whose prerequisite failed is reported `Skipped`, with why):
//!
//! 1. `instance.reachable`: the instance answers like ServiceNow over TLS we trust;
//! 2. `oauth.service_grant`: the service credential (client_credentials or password) gets a token;
//! 3. `oauth.authorize_redirect`: `/oauth_auth.do` accepts our callback (agents' link step);
//! 4. `access.dictionary`, `table.lookup.<table>`, `column.lookup.<table>.<column>`: the caller
//!    tables and their phone, name and account columns;
//! 5. `table.case`, `column.case.<role>`: the Case table, and columns long enough for call ids,
//!    recording links and caller numbers, with references to the expected tables;
//! 6. `access.read.<table>`, `access.create_case`: the service account reads every caller table
//!    and creates, finds (by correlation id) and deletes a probe Case (`write_probe`);
//! 7. `rate_limit`: the rule that governs the service account against `requests_per_hour`;
//! 8. `agent.<agent>.crm_access`: every agent with a stored CRM link, with their own (refreshed)
//!    token, can read every lookup table and the Case table, the rule the link step applies
//!    (`agents.linked` passes when nobody has linked and is skipped when the instance is
//!    unreachable; `agents.store` fails when the links cannot be read).
//!
//! Check ids are stable: they depend only on the configuration, except check 8's, which name
//! the agents that have linked.

mod access;
mod agents;
mod connection;
mod rate;
mod report;
mod schema;

use std::time::{SystemTime, UNIX_EPOCH};

use callbridge_servicenow::TableClient;
use callbridge_store::Store;

pub use access::{PROBE_DESCRIPTION, PROBE_PREFIX};
pub use agents::{agent_id as agent_check_id, LINKED as AGENTS_LINKED};
pub use connection::{redirect_uri, CALLBACK_PATH};
pub use report::{render_text, Check, Report, Status, TenantReport};
pub use schema::MAX_CALL_ID_LEN;

use callbridge_core::TenantId;
use callbridge_servicenow::adapter::ServiceNowConfig;

use crate::config::Config;

/// A tenant as doctor checks it: its id and its ServiceNow settings.
pub(crate) struct TenantConfig {
    pub id: TenantId,
    pub policy: callbridge_core::TenantPolicy,
    pub servicenow: ServiceNowConfig,
}

impl TenantConfig {
    fn of(tenant: &crate::config::TenantConfig) -> Result<TenantConfig, Check> {
        match ServiceNowConfig::from_section(&tenant.crm) {
            Ok(servicenow) => Ok(TenantConfig {
                id: tenant.id.clone(),
                policy: tenant.policy.clone(),
                servicenow,
            }),
            Err(e) => Err(Check::fail(
                "config.crm",
                "CRM section valid",
                e.to_string(),
                format!("Configuration: fix {}", e.key),
            )),
        }
    }
}

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
pub async fn run(config: &Config, tenant: Option<&str>) -> Report {
    run_with(config, tenant, DoctorOptions::default()).await
}

/// Checks every tenant, or only `tenant`.
pub async fn run_with(config: &Config, tenant: Option<&str>, options: DoctorOptions) -> Report {
    let store = agents::open_store(config).await;
    let mut tenants = Vec::new();
    match tenant {
        Some(wanted) => match config.tenants.iter().find(|t| t.id.as_str() == wanted) {
            Some(t) => tenants.push(check_configured(config, t, &store, options).await),
            None => {
                let known: Vec<&str> = config.tenants.iter().map(|t| t.id.as_str()).collect();
                tenants.push(TenantReport {
                    tenant: wanted.to_string(),
                    checks: vec![Check::fail(
                        "config.tenant",
                        "Tenant configured",
                        format!("no [[tenant]] with id \"{wanted}\" in the configuration"),
                        format!(
                            "Configuration: use one of the configured tenant ids: {}",
                            known.join(", ")
                        ),
                    )],
                });
            }
        },
        None => {
            for t in &config.tenants {
                tenants.push(check_configured(config, t, &store, options).await);
            }
        }
    }
    if let Ok(Some(store)) = store {
        store.close().await;
    }
    Report { tenants }
}

async fn check_configured(
    config: &Config,
    tenant: &crate::config::TenantConfig,
    store: &Result<Option<Store>, String>,
    options: DoctorOptions,
) -> TenantReport {
    match TenantConfig::of(tenant) {
        Ok(t) => check_tenant(config, &t, store, options).await,
        Err(check) => TenantReport {
            tenant: tenant.id.as_str().to_string(),
            checks: vec![check],
        },
    }
}

async fn check_tenant(
    config: &Config,
    tenant: &TenantConfig,
    store: &Result<Option<Store>, String>,
    options: DoctorOptions,
) -> TenantReport {
    let mut checks = Vec::new();
    let Some(instance) = connection::reachable(tenant, &mut checks).await else {
        connection::skip_after_unreachable(tenant, &mut checks);
        skip_service_checks(
            tenant,
            &format!("skipped: {} failed", connection::REACHABLE),
            options,
            &mut checks,
        );
        agents::skip(
            &format!("skipped: {} failed", connection::REACHABLE),
            &mut checks,
        );
        return finish(tenant, checks);
    };
    let service = connection::service_grant(tenant, &instance, &mut checks).await;
    connection::authorize_redirect(tenant, &config.server.public_url, &instance, &mut checks).await;
    match service {
        None => {
            let reason = format!("skipped: {} failed", connection::SERVICE_GRANT);
            skip_service_checks(tenant, &reason, options, &mut checks);
        }
        Some(service) => {
            let client = TableClient::new(instance.clone());
            let known = schema::check(tenant, &client, &service, &mut checks).await;
            access::check(
                tenant,
                &client,
                &service,
                &known,
                options.write_probe,
                &mut checks,
            )
            .await;
            rate::check(tenant, &instance, &service, &mut checks).await;
        }
    }
    match store {
        Ok(store) => agents::check(tenant, &instance, store.as_ref(), &mut checks).await,
        Err(reason) => agents::store_failed(reason, &mut checks),
    }
    finish(tenant, checks)
}

fn skip_service_checks(
    tenant: &TenantConfig,
    reason: &str,
    options: DoctorOptions,
    checks: &mut Vec<Check>,
) {
    schema::skip(tenant, reason, checks);
    access::skip(tenant, reason, options.write_probe, checks);
    rate::skip(reason, checks);
}

fn finish(tenant: &TenantConfig, checks: Vec<Check>) -> TenantReport {
    TenantReport {
        tenant: tenant.id.as_str().to_string(),
        checks,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
