//! Assembles a running integration from a configuration: the store, the CRM adapter, the engine
//! runtime, the call-events API and the link flow. The web edge (`callbridge-web`) serves them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use callbridge_core::{EngineConfig, TenantId};
use callbridge_store::{SecretKey, Store};
use time::OffsetDateTime;

use crate::crm::{build_tenant, build_tenants, Crm, CrmRegistry, TenantCrms};
use crate::events_api::EventsApi;
use crate::linking::Linking;
use crate::runtime::{replay_recent, OutboxOptions, Runtime, RuntimeHandle};
use crate::tenants::{ApplyTenants, TenantDirectory};
use callbridge_config::{Config, Secret};
use callbridge_config::{HttpLimits, TlsFiles};

/// How far back accepted call events are replayed at start: longer than any contact wait, so a
/// call connected just before a stop still gets its Case.
const REPLAY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The integration with its store and runtime running: what the web edge (`callbridge-web`)
/// serves over HTTP and what telephony starts against. Nothing listens yet.
pub struct Prepared {
    pub store: Store,
    /// Every tenant's CRM, as the runtime uses it (the console's match tester asks it too).
    pub crm: Arc<dyn Crm>,
    pub runtime: RuntimeHandle,
    pub linking: Arc<Linking>,
    pub events: Arc<EventsApi>,
    /// Every configured tenant.
    pub tenants: Vec<TenantId>,
    /// Signs and checks agents' tickets.
    pub master_key: Secret,
    pub listen: SocketAddr,
    pub http_limits: HttpLimits,
    /// HTTPS on the listener (`None`: plain HTTP).
    pub tls: Option<TlsFiles>,
    /// Each tenant's CRM page origin (the tenants whose CRM has pages): who may frame the
    /// softphone page and serve its embedding script.
    pub crm_page_origins: HashMap<TenantId, String>,
    /// Each tenant's CRM as the registry built it (empty when the adapter was given whole):
    /// the console's setup shows its values and runs its doctor. A saved tenant's is swapped
    /// in it.
    pub crm_tenants: Arc<TenantCrms>,
    /// The effective configuration it was prepared from: the file's tenants and the store's
    /// (the web edge's account pages read the tenants' names, regions and the public URL).
    pub config: Config,
    /// Every tenant, the file's and the store's, and the one way a store tenant changes.
    pub directory: Arc<TenantDirectory>,
    /// Stops the runtime and closes the store.
    pub owner: Owner,
}

/// How often a server looks for tenants another process created or saved in the store.
pub const TENANT_REFRESH: Duration = Duration::from_secs(5);

/// What must be stopped, in order, when the server stops.
pub struct Owner {
    runtime: Runtime,
    store: Store,
    refresh: tokio::task::JoinHandle<()>,
}

impl Owner {
    /// Stops the engine (pending CRM writes stay queued in the store), then closes the store.
    pub async fn shutdown(self) {
        self.refresh.abort();
        let _ = self.refresh.await;
        self.runtime.shutdown().await;
        self.store.close().await;
    }
}

/// Builds a tenant set's CRM adapter from the open store.
pub type CrmAdapter = Box<dyn FnOnce(&Config, Store) -> anyhow::Result<Arc<dyn Crm>> + Send>;

/// The integration prepared with every tenant's CRM built from its section by `crms` (a
/// mistake in a section fails here, before anything is served).
pub async fn prepare(
    config: &Config,
    outbox: OutboxOptions,
    crms: &CrmRegistry,
) -> anyhow::Result<Prepared> {
    let registry = crms.clone();
    let crms = crms.clone();
    prepare_built(
        config,
        outbox,
        Some(registry),
        Box::new(move |config, store| {
            let tenants = Arc::new(TenantCrms::new(&build_tenants(&crms, config, Some(store))?));
            Ok((tenants.clone() as Arc<dyn Crm>, tenants))
        }),
    )
    .await
}

/// The runtime's CRM and each tenant's CRM (for the link flow), built from the open store.
type CrmBuild =
    Box<dyn FnOnce(&Config, Store) -> anyhow::Result<(Arc<dyn Crm>, Arc<TenantCrms>)> + Send>;

/// [`prepare`] with the CRM adapter built by `crm`, which gets the open store (no tenant has
/// the link flow then).
pub async fn prepare_with(
    config: &Config,
    outbox: OutboxOptions,
    crm: CrmAdapter,
) -> anyhow::Result<Prepared> {
    prepare_built(
        config,
        outbox,
        None,
        Box::new(move |config, store| {
            Ok((
                crm(config, store)?,
                Arc::new(TenantCrms::new(&HashMap::new())),
            ))
        }),
    )
    .await
}

async fn prepare_built(
    file: &Config,
    outbox: OutboxOptions,
    registry: Option<CrmRegistry>,
    crm: CrmBuild,
) -> anyhow::Result<Prepared> {
    let config = file;
    let key = SecretKey::from_base64(config.server.master_key.expose())
        .context("server.master_key must be 32 random bytes in base64 (generate one with `openssl rand -base64 32`)")?;
    let store = Store::open(&config.server.database_url, key)
        .await
        .with_context(|| format!("opening the database {}", config.server.database_url))?;
    // The tenants kept in the store join the file's, validated together.
    let directory = Arc::new(
        TenantDirectory::start(
            file,
            store.clone(),
            registry.clone(),
            Arc::new(|name: &str| std::env::var(name).ok()),
        )
        .await?,
    );
    let effective = directory.config();
    let config = &*effective;
    // `Arc<dyn Crm>` is itself a `Crm`: the runtime is the same for every adapter.
    let (crm, tenant_crms) = crm(config, store.clone())?;
    let shared_crm = crm.clone();
    let crm = Arc::new(crm);
    let mut engine = EngineConfig::default();
    for tenant in &config.tenants {
        engine
            .tenants
            .insert(tenant.id.clone(), tenant.policy.clone());
    }
    let tenant_ids: Vec<TenantId> = config.tenants.iter().map(|t| t.id.clone()).collect();
    let runtime = Runtime::start(engine, &tenant_ids, crm, store.clone(), outbox).await?;
    let handle = runtime.handle();
    for tenant in &tenant_ids {
        let replayed = replay_recent(
            &store,
            &handle,
            tenant,
            OffsetDateTime::now_utc(),
            REPLAY_WINDOW,
        )
        .await?;
        if replayed > 0 {
            tracing::info!(tenant = %tenant, replayed, "replayed recent call events");
        }
    }
    let events = Arc::new(EventsApi::new(
        &config.tenants,
        store.clone(),
        handle.clone(),
    ));
    let crm_page_origins = tenant_crms
        .all()
        .iter()
        .filter_map(|(tenant, crm)| Some((tenant.clone(), crm.page_origin.clone()?)))
        .collect();
    let linking = Arc::new(Linking::new(
        &config.tenants,
        &tenant_crms.all(),
        &config.server.public_url,
        config.server.master_key.clone(),
        store.clone(),
        handle.clone(),
    )?);
    // A saved tenant's CRM, link flow, call-events secret and Case policy follow without a
    // restart (only with the registry: a CRM given whole cannot be rebuilt).
    if let Some(registry) = registry {
        directory.on_change(Arc::new(IntegrationTenants {
            registry,
            store: store.clone(),
            crms: tenant_crms.clone(),
            linking: linking.clone(),
            events: events.clone(),
            runtime: handle.clone(),
        }));
    }
    let directory_for_refresh = directory.clone();
    Ok(Prepared {
        store: store.clone(),
        crm: shared_crm,
        runtime: handle,
        linking,
        events,
        tenants: tenant_ids,
        master_key: config.server.master_key.clone(),
        listen: config.server.listen,
        http_limits: config.server.http_limits,
        tls: config.server.tls.clone(),
        crm_page_origins,
        crm_tenants: tenant_crms,
        config: config.clone(),
        directory,
        owner: Owner {
            runtime,
            store,
            refresh: tokio::spawn(refresh_tenants(directory_for_refresh)),
        },
    })
}

/// Takes in, every [`TENANT_REFRESH`], the tenants other processes created or saved.
async fn refresh_tenants(directory: Arc<TenantDirectory>) {
    let mut every = tokio::time::interval(TENANT_REFRESH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(error) = directory.refresh().await {
            tracing::error!("the tenants kept in the store could not be read again: {error}");
        }
    }
}

/// The integration's parts built per tenant, swapped when a tenant kept in the store is saved:
/// its CRM (rebuilt by the registry with the store, as at start), its link flow, its
/// call-events secret and region, and its Case policy in the engine.
struct IntegrationTenants {
    registry: CrmRegistry,
    store: Store,
    crms: Arc<TenantCrms>,
    linking: Arc<Linking>,
    events: Arc<EventsApi>,
    runtime: RuntimeHandle,
}

#[async_trait::async_trait]
impl ApplyTenants for IntegrationTenants {
    async fn apply(&self, config: &Config, changed: &TenantId) -> anyhow::Result<()> {
        let Some(tenant) = config.tenants.iter().find(|t| &t.id == changed) else {
            // Removed: nothing is built for it any more. The engine keeps its Case policy for
            // the calls it still follows (their CRM writes find no CRM and stay in the outbox).
            self.linking.remove_tenant(changed);
            self.crms.replace(changed, None);
            self.events.remove_tenant(changed);
            return Ok(());
        };
        let crm = build_tenant(
            &self.registry,
            tenant,
            &config.server.public_url,
            Some(self.store.clone()),
        )?;
        self.linking.replace_tenant(tenant, Some(&crm));
        self.crms.replace(changed, Some(crm));
        self.events.replace_tenant(tenant);
        self.runtime
            .set_tenant_policy(changed.clone(), tenant.policy.clone());
        Ok(())
    }
}
