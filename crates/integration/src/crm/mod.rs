//! The CRM port as the runtime uses it: the traits and error live in `callbridge-crm`, so that
//! any adapter crate can implement them. The composition root registers the CRM kinds it
//! offers in a [`CrmRegistry`]; [`build_tenants`] builds every tenant's CRM from its section,
//! and [`TenantCrms`] hands each call to its tenant's adapter.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use callbridge_core::{AgentId, CallId, CaseFields, CaseRef, ContactRef, PartyRefs, TenantId};
use callbridge_phone::E164;
use callbridge_store::Store;

pub use callbridge_crm::{
    Crm, CrmContext, CrmError, CrmRegistry, CrmTenant, LookupRights, LookupTrace,
};

use callbridge_config::{Config, ConfigError, ConfigErrors, TenantConfig};

/// Builds `tenant`'s CRM with the kind its section names; a mistake in the section is a
/// configuration error naming its key.
pub fn build_tenant(
    registry: &CrmRegistry,
    tenant: &TenantConfig,
    public_url: &str,
    store: Option<Store>,
) -> Result<CrmTenant, ConfigError> {
    registry.build(&tenant.crm, &context(tenant, public_url, store))
}

/// What `tenant`'s adapter is built with besides its section.
pub fn context(tenant: &TenantConfig, public_url: &str, store: Option<Store>) -> CrmContext {
    CrmContext {
        tenant: tenant.id.clone(),
        default_region: tenant.default_region,
        public_url: public_url.to_string(),
        redirect_uri: crate::linking::redirect_uri(public_url),
        recording_links: tenant.policy.recording_links.clone(),
        store,
    }
}

/// Every tenant's CRM, by tenant id.
pub fn build_tenants(
    registry: &CrmRegistry,
    config: &Config,
    store: Option<Store>,
) -> Result<HashMap<TenantId, CrmTenant>, ConfigError> {
    config
        .tenants
        .iter()
        .map(|tenant| {
            let built = build_tenant(registry, tenant, &config.server.public_url, store.clone())?;
            Ok((tenant.id.clone(), built))
        })
        .collect()
}

/// Checks every tenant's CRM section with the adapter of its kind (nothing is connected to);
/// every tenant's mistake is reported, not just the first.
pub fn check_tenants(registry: &CrmRegistry, config: &Config) -> Result<(), ConfigErrors> {
    let errors = config
        .tenants
        .iter()
        .filter_map(|tenant| build_tenant(registry, tenant, &config.server.public_url, None).err())
        .collect();
    match ConfigErrors::from_vec(errors) {
        Some(errors) => Err(errors),
        None => Ok(()),
    }
}

/// The tenants' CRMs as one [`Crm`]: each request goes to its tenant's adapter. It is also
/// the one book of every tenant's built CRM (its linking, doctor, setup and page origin) that
/// the link flow, the console's setup and the softphone page read: a saved tenant's CRM is
/// swapped here ([`TenantCrms::replace`]) and the next request uses it.
pub struct TenantCrms {
    tenants: RwLock<HashMap<TenantId, CrmTenant>>,
}

impl TenantCrms {
    pub fn new(tenants: &HashMap<TenantId, CrmTenant>) -> TenantCrms {
        TenantCrms {
            tenants: RwLock::new(tenants.clone()),
        }
    }

    /// `tenant`'s CRM from now on (`None`: it has none); requests under way finish with the
    /// one they started with.
    pub fn replace(&self, tenant: &TenantId, crm: Option<CrmTenant>) {
        let mut tenants = self.tenants.write();
        match crm {
            Some(crm) => tenants.insert(tenant.clone(), crm),
            None => tenants.remove(tenant),
        };
    }

    /// `tenant`'s built CRM now.
    pub fn tenant(&self, tenant: &TenantId) -> Option<CrmTenant> {
        self.tenants.read().get(tenant).cloned()
    }

    /// Every tenant's built CRM now.
    pub fn all(&self) -> HashMap<TenantId, CrmTenant> {
        self.tenants.read().clone()
    }

    fn of(&self, tenant: &TenantId) -> Result<Arc<dyn Crm>, CrmError> {
        self.tenants
            .read()
            .get(tenant)
            .map(|t| t.crm.clone())
            .ok_or_else(|| CrmError::Rejected(format!("tenant {tenant} has no CRM configured")))
    }
}

#[callbridge_crm::async_trait]
impl Crm for TenantCrms {
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        self.of(tenant)?.lookup(tenant, agent, caller).await
    }

    async fn trace_lookup(
        &self,
        tenant: &TenantId,
        rights: &LookupRights,
        caller: &E164,
    ) -> Result<LookupTrace, CrmError> {
        self.of(tenant)?.trace_lookup(tenant, rights, caller).await
    }

    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError> {
        self.of(tenant)?.find_case(tenant, call).await
    }

    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        self.of(tenant)?.create_case(tenant, call, fields).await
    }

    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError> {
        self.of(tenant)?
            .update_case_parties(tenant, case, parties)
            .await
    }

    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError> {
        self.of(tenant)?.add_work_note(tenant, case, note).await
    }

    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case: &CaseRef,
    ) -> Result<bool, CrmError> {
        self.of(tenant)?.may_read_case(tenant, agent, case).await
    }
}
