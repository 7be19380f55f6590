//! Starting the whole server from one configuration file: the integration (CRM) side always,
//! telephony when the file has a `[telephony]` section, both served by the web edge on one
//! HTTP listener.

use std::path::Path;
use std::sync::Arc;

use callbridge_core::Event;

use callbridge_config::Config;
use callbridge_integration::crm::CrmRegistry;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_servicenow::adapter::ServiceNowKind;
use callbridge_store::Role;
use callbridge_telephony::Telephony;
use callbridge_web::account::provision::{self, Wanted};
use callbridge_web::RunningServer;

/// Reads the configuration file and validates every tenant's CRM section with the adapter of
/// its kind and the HTTPS certificate and key, so that a mistake anywhere in the file is
/// reported before a command acts.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    let config = Config::load(path)?;
    callbridge_integration::crm::check_tenants(&crm_kinds(), &config)?;
    if let Some(files) = &config.server.tls {
        callbridge_web::tls::load(files).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    Ok(config)
}

/// The CRM kinds this build offers, by their `[tenant.crm] kind`.
pub fn crm_kinds() -> CrmRegistry {
    CrmRegistry::new().with(Arc::new(ServiceNowKind))
}

pub struct Running {
    pub server: RunningServer,
    pub telephony: Option<Telephony>,
}

pub async fn start(config: &Config) -> anyhow::Result<Running> {
    start_with_demo(config, None).await
}

/// [`start`], with the demo's customer page (`callbridge demo` only).
pub async fn start_with_demo(
    config: &Config,
    demo_customer: Option<callbridge_web::demo_customer::DemoCustomerPage>,
) -> anyhow::Result<Running> {
    let prepared =
        callbridge_integration::server::prepare(config, OutboxOptions::default(), &crm_kinds())
            .await?;
    // The effective configuration: the file's tenants and the ones kept in the store.
    let effective = prepared.config.clone();
    let telephony = match &effective.telephony {
        Some(t) => {
            // Telephony feeds the CRM engine through the one call it needs.
            let engine = prepared.runtime.clone();
            let events = Arc::new(move |event: Event| engine.submit(event));
            let telephony = Telephony::start(t, &effective, events, prepared.store.clone()).await?;
            // A saved store tenant's telephony follows without a restart.
            prepared
                .directory
                .on_change(Arc::new(TelephonyFollows(telephony.handle())));
            Some(telephony)
        }
        None => None,
    };
    let server = callbridge_web::serve_with_demo(
        prepared,
        telephony.as_ref().map(|t| t.handle()),
        demo_customer,
    )
    .await?;
    Ok(Running { server, telephony })
}

/// Applies a saved tenant's `[tenant.telephony]` to running telephony
/// (`TelephonyHandle::reconfigure`, docs/ARCHITECTURE.md "Telephony reconfigured live").
struct TelephonyFollows(callbridge_telephony::TelephonyHandle);

#[async_trait::async_trait]
impl callbridge_integration::tenants::ApplyTenants for TelephonyFollows {
    async fn apply(
        &self,
        config: &Config,
        _changed: &callbridge_core::TenantId,
    ) -> anyhow::Result<()> {
        let applied = self.0.reconfigure(config).await?;
        if !applied.restart_needed.is_empty() {
            tracing::warn!(keys = ?applied.restart_needed, "telephony settings that only a restart applies differ from the running ones");
        }
        Ok(())
    }
}

/// The agents the configuration lists (`[[tenant.telephony.agent]]`) become agent accounts the
/// first time `serve` starts with them: each new account gets a one-time password, printed
/// once on standard output (never logged). Existing accounts are left untouched.
pub async fn provision_configured_agents(config: &Config, running: &Running) -> anyhow::Result<()> {
    let Some(telephony) = &config.telephony else {
        return Ok(());
    };
    let wanted: Vec<Wanted> = telephony
        .tenants
        .iter()
        .flat_map(|t| {
            t.agents.iter().map(|a| Wanted {
                tenant: t.tenant.as_str().to_string(),
                user: a.name.clone(),
                display_name: a.name.clone(),
                role: Role::Agent,
            })
        })
        .collect();
    let created = provision::ensure(&running.server.store, &wanted).await?;
    for (account, password) in created {
        println!(
            "account created: tenant {} agent {} one-time password {password} (shown once; `callbridge account reset-password` sets a new one)",
            account.tenant, account.user
        );
    }
    Ok(())
}

impl Running {
    /// Stops taking calls first, then the integration (pending CRM writes stay queued).
    pub async fn shutdown(self) {
        if let Some(telephony) = self.telephony {
            telephony.shutdown().await;
        }
        self.server.shutdown().await;
    }
}
