//! The web edge: the one place Callbridge speaks HTTP. It owns every route (the call-events API,
//! the agent's WebSocket, the CRM-link pages and callback, the recording pages, the health
//! check, the console's API) and the listener with its limits, over HTTP or HTTPS (`tls`), and the browser softphone's
//! and the console's pages (`ui`, embedded at compile time). Handlers translate and delegate: the integration and telephony expose
//! handles and know nothing of HTTP.

pub mod account;
pub mod audit_retention;
pub mod client_address;
pub mod console;
pub mod csv;
pub mod demo_customer;
pub mod events;
pub mod gateway;
pub mod html;
pub mod link;
pub mod listener;
pub mod recordings;
pub mod supervision;
pub mod tls;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use callbridge_config::Config;
use callbridge_integration::linking::Linking;
use callbridge_integration::runtime::{OutboxOptions, RuntimeHandle};
use callbridge_integration::server::{Owner, Prepared};
use callbridge_store::Store;
use callbridge_telephony::TelephonyHandle;

pub use gateway::ticket::softphone_ticket;

/// The server, listening.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub runtime: RuntimeHandle,
    pub linking: Arc<Linking>,
    /// The recording pages (tests and servers without telephony give it the tenants' stores).
    pub recordings: Arc<recordings::Recordings>,
    /// Every tenant, the file's and the store's; a stored tenant is changed through it.
    pub directory: Arc<callbridge_integration::tenants::TenantDirectory>,
    owner: Owner,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    notices: tokio::task::JoinHandle<()>,
    retention: tokio::task::JoinHandle<()>,
    audit_retention: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops listening, then the integration (pending CRM writes stay queued).
    pub async fn shutdown(self) {
        self.server.abort();
        let _ = self.server.await;
        self.notices.abort();
        let _ = self.notices.await;
        self.retention.abort();
        let _ = self.retention.await;
        self.audit_retention.abort();
        let _ = self.audit_retention.await;
        self.owner.shutdown().await;
    }

    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await??;
        Ok(())
    }
}

/// Starts the integration from `config` and serves it (no telephony).
pub async fn start(
    config: &Config,
    outbox: OutboxOptions,
    crms: &callbridge_integration::crm::CrmRegistry,
) -> anyhow::Result<RunningServer> {
    let prepared = callbridge_integration::server::prepare(config, outbox, crms).await?;
    serve(prepared, None).await
}

/// [`start`] with the CRM adapter given (any implementation of the port): the same runtime and
/// routes whatever the CRM.
pub async fn start_with(
    config: &Config,
    outbox: OutboxOptions,
    crm: callbridge_integration::server::CrmAdapter,
) -> anyhow::Result<RunningServer> {
    let prepared = callbridge_integration::server::prepare_with(config, outbox, crm).await?;
    serve(prepared, None).await
}

/// Binds the configured address and serves every route for `integration`, and the telephony
/// side of the agents' WebSocket when telephony runs.
pub async fn serve(
    integration: Prepared,
    telephony: Option<TelephonyHandle>,
) -> anyhow::Result<RunningServer> {
    serve_with_demo(integration, telephony, None).await
}

/// [`serve`], plus the demo's customer page when `demo_customer` is given (`callbridge demo`
/// only: no configuration file turns it on).
pub async fn serve_with_demo(
    integration: Prepared,
    telephony: Option<TelephonyHandle>,
    demo_customer: Option<demo_customer::DemoCustomerPage>,
) -> anyhow::Result<RunningServer> {
    let tls = integration.tls.as_ref().map(tls::load).transpose()?;
    let (agent_notices, notices) =
        gateway::notices::AgentNotices::start(integration.runtime.subscribe());
    let sockets = Arc::new(gateway::sockets::Sockets::default());
    let accounts = Arc::new(account::Accounts::new(
        &integration.config,
        integration.store.clone(),
        integration.linking.clone(),
        telephony.clone(),
        sockets.clone(),
    ));
    let recordings = Arc::new(recordings::Recordings::new(
        &integration.config,
        integration.store.clone(),
        integration.linking.clone(),
        accounts.clone(),
        telephony.clone(),
        integration.master_key.clone(),
    ));
    let retention = recordings::spawn_retention(recordings.clone());
    let audit_policies = Arc::new(audit_retention::AuditRetention::new(
        &integration.config,
        integration.store.clone(),
    ));
    let audit_retention = audit_retention::spawn(
        audit_policies.clone(),
        audit_retention::AUDIT_RETENTION_INTERVAL,
    );
    let supervision = Arc::new(supervision::Supervision {
        accounts: accounts.clone(),
        store: integration.store.clone(),
        linking: integration.linking.clone(),
        telephony: telephony.clone(),
        public_url: integration
            .config
            .server
            .public_url
            .trim_end_matches('/')
            .to_string(),
    });
    let telephony_console = telephony
        .clone()
        .map(|handle| console::telephony::TelephonySources {
            handle,
            directory: integration.directory.clone(),
        });
    let gateway = Arc::new(gateway::Gateway {
        tenants: parking_lot::RwLock::new(
            integration
                .tenants
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
        ),
        key: integration.master_key.clone(),
        notices: agent_notices,
        crm: gateway::crm::CrmRequests::new(integration.store.clone(), integration.runtime.clone()),
        telephony,
        accounts: accounts.clone(),
        sockets,
    });
    let mut ui_config = ui::UiConfig::new(&integration.crm_page_origins);
    ui_config.demo_customer_page = demo_customer.is_some();
    // A saved tenant kept in the store reaches the web edge's readers of the tenants without a
    // restart (after the integration's parts, registered before: its CRM is built by then).
    accounts.look_for_new_tenants_in(integration.directory.clone());
    integration.directory.on_change(Arc::new(WebTenants {
        accounts: accounts.clone(),
        recordings: recordings.clone(),
        audit: audit_policies,
        gateway: gateway.clone(),
        crms: integration.crm_tenants.clone(),
        ui: ui_config.clone(),
    }));
    let mut app = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(events::router(integration.events.clone()))
        .merge(link::router(
            integration.linking.clone(),
            recordings.clone(),
        ))
        .merge(recordings::router(recordings.clone()))
        .merge(gateway::router(gateway))
        .merge(console::router(
            accounts.clone(),
            integration.crm.clone(),
            console::setup::SetupSources {
                directory: integration.directory.clone(),
                crms: integration.crm_tenants.clone(),
            },
            telephony_console,
        ))
        .merge(supervision::router(supervision))
        .merge(account::router(accounts))
        .merge(ui::router(ui_config));
    if let Some(page) = demo_customer {
        app = app.merge(demo_customer::router(page, integration.master_key.clone()));
    }
    let listener = tokio::net::TcpListener::bind(integration.listen)
        .await
        .with_context(|| format!("binding {}", integration.listen))?;
    let addr = listener.local_addr()?;
    let proxies = integration.config.server.proxies.clone();
    let server = tokio::spawn(listener::serve(
        listener,
        app,
        integration.http_limits,
        proxies,
        tls,
    ));
    Ok(RunningServer {
        addr,
        store: integration.store,
        runtime: integration.runtime,
        linking: integration.linking,
        recordings,
        directory: integration.directory,
        owner: integration.owner,
        server,
        notices,
        retention,
        audit_retention,
    })
}

/// The web edge's readers of the tenants, swapped when a tenant kept in the store is saved:
/// sign-in and the account pages (name, region, allowed origins, disposition codes), the
/// recording page (policy, name), the audit retention, the agents' WebSocket (which tenants exist) and the
/// softphone page's CRM origin. The console reads the directory at each request. A removed
/// tenant's sessions end here: sign-in and every session check stop knowing it, and its
/// softphones are closed (`4401`).
struct WebTenants {
    accounts: Arc<account::Accounts>,
    recordings: Arc<recordings::Recordings>,
    audit: Arc<audit_retention::AuditRetention>,
    gateway: Arc<gateway::Gateway>,
    crms: Arc<callbridge_integration::crm::TenantCrms>,
    ui: ui::UiConfig,
}

#[callbridge_crm::async_trait]
impl callbridge_integration::tenants::ApplyTenants for WebTenants {
    async fn apply(
        &self,
        config: &callbridge_config::Config,
        changed: &callbridge_core::TenantId,
    ) -> anyhow::Result<()> {
        let Some(tenant) = config.tenants.iter().find(|t| &t.id == changed) else {
            // Removed. Its recordings and audits stay in the store, readable after a restart
            // that brings the tenant back; nobody of it can sign in to see them meanwhile.
            self.accounts.remove_tenant(changed.as_str());
            self.gateway.tenants.write().remove(changed.as_str());
            let closed = self.gateway.sockets.close_tenant(changed.as_str());
            self.ui.set_page_origin(changed.as_str(), None);
            if let Err(error) = self
                .accounts
                .store
                .delete_tenant_sessions(changed.as_str())
                .await
            {
                // Sessions of a tenant this server does not know are refused anyway.
                tracing::warn!(tenant = %changed, %error, "a removed tenant's sessions were not deleted");
            }
            tracing::info!(tenant = %changed, softphones_closed = closed, "tenant removed: its sessions ended");
            return Ok(());
        };
        self.accounts.replace_tenant(config, tenant);
        self.recordings.replace_tenant(tenant);
        self.audit.replace_tenant(tenant);
        self.gateway
            .tenants
            .write()
            .insert(changed.as_str().to_string());
        self.ui.set_page_origin(
            changed.as_str(),
            self.crms.tenant(changed).and_then(|c| c.page_origin),
        );
        Ok(())
    }
}
