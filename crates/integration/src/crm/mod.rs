//! The CRM port: what the runtime needs from a CRM, in the core's plain types. ServiceNow is the
//! first adapter (`servicenow.rs`); another CRM implements the same trait.

pub mod limiter;
pub mod servicenow;

use std::future::Future;
use std::time::Duration;

use callbridge_core::{AgentId, CallId, CaseFields, CaseRef, ContactRef, PartyRefs, TenantId};
use callbridge_phone::E164;

/// Why a CRM request did not succeed, in the terms the runtime acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// The agent's CRM authorisation is gone (expired refresh token, revoked, never linked).
    #[error("the agent's CRM account must be linked again")]
    RelinkRequired,
    /// The CRM asked us to slow down.
    #[error("the CRM is rate limiting us; retry in {0:?}")]
    RateLimited(Duration),
    /// Down, slow, refused a connection, or answered 5xx: worth retrying.
    #[error("the CRM is unavailable: {0}")]
    Unavailable(String),
    /// The CRM refused the request itself (permissions, a missing column, bad data): retrying
    /// will not help until someone fixes the setup.
    #[error("the CRM refused the request: {0}")]
    Rejected(String),
}

impl CrmError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, CrmError::RateLimited(_) | CrmError::Unavailable(_))
    }
}

/// A CRM as the integration runtime uses it.
pub trait Crm: Send + Sync + 'static {
    /// Records whose phone numbers hold `caller`, searched with `agent`'s own CRM rights and
    /// re-checked client-side. Several results mean the agent must choose.
    fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> impl Future<Output = Result<Vec<ContactRef>, CrmError>> + Send;

    /// The Case holding `call` in its correlation column, if one exists.
    fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> impl Future<Output = Result<Option<CaseRef>, CrmError>> + Send;

    /// Creates the Case for `call` in one write.
    fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> impl Future<Output = Result<CaseRef, CrmError>> + Send;

    /// Sets the contact/consumer/account of an existing Case.
    fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> impl Future<Output = Result<(), CrmError>> + Send;
}
