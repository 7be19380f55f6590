use async_trait::async_trait;
use callbridge_core::TenantId;
use callbridge_kernel::check::Check;
use callbridge_store::Store;

/// What doctor asks of a CRM adapter for one tenant.
#[derive(Clone)]
pub struct DoctorRequest {
    /// Whether a probe Case may be written (and deleted).
    pub write_probe: bool,
    /// Where agents' CRM links are stored: `Ok(None)` when the database does not exist yet
    /// (nobody has linked), `Err` with why it cannot be read. An adapter that checks linked
    /// agents refreshes their tokens and saves them there, as its runtime would.
    pub links: Result<Option<Store>, String>,
}

impl std::fmt::Debug for DoctorRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoctorRequest")
            .field("write_probe", &self.write_probe)
            .field("links", &self.links.as_ref().map(|s| s.is_some()))
            .finish()
    }
}

/// The CRM's setup checks for `callbridge doctor`.
#[async_trait]
pub trait CrmDoctor: Send + Sync + 'static {
    /// Every check of the tenant's CRM setup, in order; a check whose prerequisite failed is
    /// reported skipped, with why.
    async fn checks(&self, tenant: &TenantId, request: &DoctorRequest) -> Vec<Check>;
}
