use async_trait::async_trait;
use callbridge_core::TenantId;
use callbridge_kernel::check::Check;

/// An agent with a stored CRM link, as doctor hands it to the adapter.
#[derive(Clone)]
pub struct LinkedAgent {
    pub agent: String,
    pub crm_user_name: String,
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
}

impl std::fmt::Debug for LinkedAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkedAgent")
            .field("agent", &self.agent)
            .field("crm_user_name", &self.crm_user_name)
            .field("tokens", &"<redacted>")
            .finish()
    }
}

/// What doctor asks of a CRM adapter for one tenant.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    /// The server's public URL (the agents' sign-in redirect is below it).
    pub public_url: String,
    /// Whether a probe Case may be written (and deleted).
    pub write_probe: bool,
    /// The tenant's linked agents, or why they could not be read.
    pub linked_agents: Result<Vec<LinkedAgent>, String>,
}

/// The CRM's setup checks for `callbridge doctor`.
#[async_trait]
pub trait CrmDoctor: Send + Sync + 'static {
    /// Every check of the tenant's CRM setup, in order; a check whose prerequisite failed is
    /// reported skipped, with why.
    async fn checks(&self, tenant: &TenantId, request: &DoctorRequest) -> Vec<Check>;
}
