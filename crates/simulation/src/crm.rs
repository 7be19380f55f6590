//! The fake CRM: contacts found by number, Cases written through an outbox that retries, and
//! outage windows during which lookups or Case writes fail, as a real CRM's would.

use std::collections::BTreeMap;

use callbridge_core::{CallId, CaseRef, ContactRef, PartyKind, Timestamp};

/// A stretch of virtual time during which one kind of CRM request fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Outage {
    pub fn covers(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }

    pub fn minutes(&self) -> u64 {
        self.until.saturating_since(self.from).as_secs() / 60
    }
}

/// What the CRM holds and what it was asked.
#[derive(Default)]
pub struct FakeCrm {
    pub lookup_outages: Vec<Outage>,
    pub case_outages: Vec<Outage>,
    /// Every Case record written, per call: more than one would be a duplicate Case.
    pub cases: BTreeMap<CallId, Vec<CaseRef>>,
    pub lookups_answered: u64,
    pub lookups_failed: u64,
    pub case_writes_failed: u64,
    pub case_updates: u64,
    pub finds: u64,
}

impl FakeCrm {
    pub fn lookups_down(&self, at: Timestamp) -> bool {
        self.lookup_outages.iter().any(|o| o.covers(at))
    }

    pub fn cases_down(&self, at: Timestamp) -> bool {
        self.case_outages.iter().any(|o| o.covers(at))
    }

    /// The contacts stored under `number`: none, one or two, decided by the number itself so
    /// every lookup of it agrees.
    pub fn contacts_for(number: &str) -> Vec<ContactRef> {
        let digits: u64 = number.bytes().filter(u8::is_ascii_digit).fold(0, |acc, d| {
            acc.wrapping_mul(31).wrapping_add(u64::from(d - b'0'))
        });
        let contact = |n: u64| ContactRef {
            kind: PartyKind::Contact,
            id: format!("contact-{digits}-{n}").into(),
            name: format!("Customer {number} #{n}"),
            account: None,
        };
        match digits % 4 {
            0 => Vec::new(),
            3 => vec![contact(1), contact(2)],
            _ => vec![contact(1)],
        }
    }

    /// Writes a Case for `call` and returns it.
    pub fn create_case(&mut self, call: &CallId) -> CaseRef {
        let label = format!("CS{:07}", self.case_count() + 1);
        let cases = self.cases.entry(call.clone()).or_default();
        let case = CaseRef {
            id: format!("case-{}-{}", call.as_str(), cases.len() + 1).into(),
            label,
        };
        cases.push(case.clone());
        case
    }

    pub fn case_count(&self) -> usize {
        self.cases.values().map(Vec::len).sum()
    }

    pub fn case_of(&self, call: &CallId) -> Option<&CaseRef> {
        self.cases.get(call).and_then(|c| c.first())
    }
}
