//! An in-memory CRM behind the CRM port. It decides nothing about calls: like any adapter it
//! answers what it is asked, so the runtime's rules (one Case per call, the transfer rule) are
//! what a test observes.

use std::collections::{HashMap, HashSet, VecDeque};

use async_trait::async_trait;
use callbridge_core::{
    AgentId, CallId, CaseFields, CaseRef, ContactRef, PartyRefs, RecordId, TenantId,
};
use callbridge_crm::{Crm, CrmError};
use callbridge_phone::E164;
use parking_lot::Mutex;

/// A port operation, to inject failures into and to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Lookup,
    FindCase,
    CreateCase,
    UpdateCaseParties,
    AddWorkNote,
    MayReadCase,
}

/// A Case as the in-memory CRM holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub case: CaseRef,
    pub tenant: TenantId,
    pub call: CallId,
    pub fields: CaseFields,
    pub work_notes: Vec<String>,
    /// Agents who may read it (besides none: the in-memory CRM has no roles).
    pub readers: HashSet<AgentId>,
}

#[derive(Default)]
struct State {
    contacts: HashMap<(TenantId, String), Vec<ContactRef>>,
    linked: HashSet<AgentId>,
    cases: Vec<StoredCase>,
    failures: HashMap<Operation, VecDeque<CrmError>>,
    calls: HashMap<Operation, usize>,
}

/// A CRM in memory. Cheap to share: hold it in an `Arc` and hand a clone of that `Arc` to the
/// runtime as its `Arc<dyn Crm>`, keeping one to inspect.
#[derive(Default)]
pub struct MemoryCrm {
    state: Mutex<State>,
}

impl MemoryCrm {
    pub fn new() -> MemoryCrm {
        MemoryCrm::default()
    }

    /// `contact` holds `number` in `tenant`.
    pub fn add_contact(&self, tenant: &TenantId, number: &E164, contact: ContactRef) {
        self.state
            .lock()
            .contacts
            .entry((tenant.clone(), number.as_str().to_string()))
            .or_default()
            .push(contact);
    }

    /// `agent` has linked their CRM account (lookups with their rights succeed).
    pub fn link(&self, agent: &AgentId) {
        self.state.lock().linked.insert(agent.clone());
    }

    /// `agent`'s link is gone: their lookups answer "re-link".
    pub fn unlink(&self, agent: &AgentId) {
        self.state.lock().linked.remove(agent);
    }

    /// The next call of `operation` fails with `error` (queued: several calls queue several).
    pub fn fail_next(&self, operation: Operation, error: CrmError) {
        self.state
            .lock()
            .failures
            .entry(operation)
            .or_default()
            .push_back(error);
    }

    /// Lets `agent` read the Case of `call`.
    pub fn allow_read(&self, call: &CallId, agent: &AgentId) {
        for case in self.state.lock().cases.iter_mut() {
            if &case.call == call {
                case.readers.insert(agent.clone());
            }
        }
    }

    /// Every Case written for `call`, in creation order.
    pub fn cases_for(&self, call: &CallId) -> Vec<StoredCase> {
        self.state
            .lock()
            .cases
            .iter()
            .filter(|c| &c.call == call)
            .cloned()
            .collect()
    }

    /// How often `operation` was called (failed calls included).
    pub fn calls(&self, operation: Operation) -> usize {
        self.state
            .lock()
            .calls
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }

    /// Counts the call and returns the failure queued for it, if any.
    fn enter(&self, operation: Operation) -> Result<(), CrmError> {
        let mut state = self.state.lock();
        *state.calls.entry(operation).or_default() += 1;
        match state
            .failures
            .get_mut(&operation)
            .and_then(VecDeque::pop_front)
        {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn with_case<T>(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        f: impl FnOnce(&mut StoredCase) -> T,
    ) -> Result<T, CrmError> {
        let mut state = self.state.lock();
        state
            .cases
            .iter_mut()
            .find(|c| &c.tenant == tenant && c.case.id == case.id)
            .map(f)
            .ok_or_else(|| CrmError::Rejected(format!("no Case {}", case.id.as_str())))
    }
}

#[async_trait]
impl Crm for MemoryCrm {
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        self.enter(Operation::Lookup)?;
        let state = self.state.lock();
        if !state.linked.contains(agent) {
            return Err(CrmError::RelinkRequired);
        }
        Ok(state
            .contacts
            .get(&(tenant.clone(), caller.as_str().to_string()))
            .cloned()
            .unwrap_or_default())
    }

    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError> {
        self.enter(Operation::FindCase)?;
        Ok(self
            .state
            .lock()
            .cases
            .iter()
            .find(|c| &c.tenant == tenant && &c.call == call)
            .map(|c| c.case.clone()))
    }

    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        self.enter(Operation::CreateCase)?;
        let mut state = self.state.lock();
        let number = state.cases.len() + 1;
        let case = CaseRef {
            id: RecordId::from(format!("case-{number}").as_str()),
            label: format!("CASE{number:07}"),
        };
        state.cases.push(StoredCase {
            case: case.clone(),
            tenant: tenant.clone(),
            call: call.clone(),
            fields: fields.clone(),
            work_notes: Vec::new(),
            readers: HashSet::from([fields.assigned_agent.clone()]),
        });
        Ok(case)
    }

    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError> {
        self.enter(Operation::UpdateCaseParties)?;
        self.with_case(tenant, case, |stored| {
            let party = &mut stored.fields.party;
            for (slot, value) in [
                (&mut party.contact, &parties.contact),
                (&mut party.consumer, &parties.consumer),
                (&mut party.account, &parties.account),
            ] {
                if value.is_some() {
                    slot.clone_from(value);
                }
            }
        })
    }

    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError> {
        self.enter(Operation::AddWorkNote)?;
        if note.trim().is_empty() {
            return Err(CrmError::Rejected("a work note must not be empty".into()));
        }
        self.with_case(tenant, case, |stored| {
            stored.work_notes.push(note.to_string())
        })
    }

    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case: &CaseRef,
    ) -> Result<bool, CrmError> {
        self.enter(Operation::MayReadCase)?;
        if !self.state.lock().linked.contains(agent) {
            return Err(CrmError::RelinkRequired);
        }
        Ok(self
            .with_case(tenant, case, |stored| stored.readers.contains(agent))
            .unwrap_or(false))
    }
}
