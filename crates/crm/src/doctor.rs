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
    /// Which part of the checks to run.
    pub scope: DoctorScope,
}

/// Which part of doctor to run: all of it (`callbridge doctor`), or the part one of the
/// console's Setup steps shows, so that a step's view asks the CRM only what it shows. A part
/// still runs (and reports) the checks it depends on: every part needs the instance reachable,
/// the tables need the service credential; the caller keeps the ids it wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DoctorScope {
    #[default]
    All,
    /// The instance, the service credential, the sign-in redirect, the rate limit, the panel.
    Connection,
    /// The dictionary, the lookup and Case tables and columns, the service account's reads.
    Tables,
    /// Every linked agent's own access.
    Roles,
}

impl DoctorScope {
    /// Whether `part` runs in this scope.
    pub fn runs(self, part: DoctorScope) -> bool {
        self == DoctorScope::All || self == part
    }
}

impl std::fmt::Debug for DoctorRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoctorRequest")
            .field("write_probe", &self.write_probe)
            .field("links", &self.links.as_ref().map(|s| s.is_some()))
            .field("scope", &self.scope)
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
