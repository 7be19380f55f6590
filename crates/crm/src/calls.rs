use std::sync::Arc;

use async_trait::async_trait;
use callbridge_core::{AgentId, CallId, CaseFields, CaseRef, ContactRef, PartyRefs, TenantId};
use callbridge_phone::E164;

use crate::{CrmError, LookupRights, LookupTrace};

/// A CRM as the integration runtime uses it during and after calls. One value serves every
/// tenant it was built for; each call names the tenant.
#[async_trait]
pub trait Crm: Send + Sync + 'static {
    /// Records whose phone numbers hold `caller`, searched with `agent`'s own CRM rights and
    /// re-checked client-side. Several results mean the agent must choose.
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError>;

    /// The lookup of [`Crm::lookup`] with its evidence (formats searched, tables and columns,
    /// every record the CRM returned and which stored value matched by which rule), run with
    /// `rights`. An adapter whose lookup is this trace's [`LookupTrace::contacts`] implements it;
    /// the default says the adapter cannot show its evidence.
    async fn trace_lookup(
        &self,
        tenant: &TenantId,
        rights: &LookupRights,
        caller: &E164,
    ) -> Result<LookupTrace, CrmError> {
        let _ = (tenant, rights, caller);
        Err(CrmError::Rejected(
            "this CRM adapter does not show how its lookups match".into(),
        ))
    }

    /// The Case holding `call` in its correlation field, if one exists.
    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError>;

    /// Creates the Case for `call` in one write.
    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError>;

    /// Sets the contact/consumer/account of an existing Case.
    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError>;

    /// Adds a work note (visible to the CRM's agents, not to the customer) to a Case, written
    /// with the tenant's service credential like every Case write.
    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError>;

    /// Whether `agent`'s CRM user, with their own stored token, may read `case`. A Case that
    /// does not exist (or that the user's rights hide) is `false`; an agent without a usable
    /// link is [`CrmError::RelinkRequired`].
    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case: &CaseRef,
    ) -> Result<bool, CrmError>;
}

/// A shared adapter is an adapter: the runtime can hold `Arc<dyn Crm>` wherever it holds a
/// `Crm`.
#[async_trait]
impl<T: Crm + ?Sized> Crm for Arc<T> {
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        (**self).lookup(tenant, agent, caller).await
    }

    async fn trace_lookup(
        &self,
        tenant: &TenantId,
        rights: &LookupRights,
        caller: &E164,
    ) -> Result<LookupTrace, CrmError> {
        (**self).trace_lookup(tenant, rights, caller).await
    }

    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError> {
        (**self).find_case(tenant, call).await
    }

    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        (**self).create_case(tenant, call, fields).await
    }

    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError> {
        (**self).update_case_parties(tenant, case, parties).await
    }

    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError> {
        (**self).add_work_note(tenant, case, note).await
    }

    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case: &CaseRef,
    ) -> Result<bool, CrmError> {
        (**self).may_read_case(tenant, agent, case).await
    }
}
