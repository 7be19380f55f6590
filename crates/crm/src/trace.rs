//! A contact lookup with its evidence: what the console's match tester shows. The adapter
//! builds it on the same path as the screen pop's lookup ([`Crm::lookup`] is
//! [`LookupTrace::contacts`] of it), so the tester can never disagree with a pop about which
//! records hold a number.
//!
//! [`Crm::lookup`]: crate::Crm::lookup

use callbridge_core::{AgentId, ContactRef, PartyKind};
use callbridge_phone::NumberMatch;

/// Whose CRM rights a lookup runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupRights {
    /// The agent's own linked CRM account: what a screen pop uses.
    Agent(AgentId),
    /// The tenant's service credential (the one Case writes use): what an admin's match
    /// tester uses, since admins hold those credentials already and have no CRM link.
    Service,
}

/// One table the lookup searched and the columns it compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchedTable {
    pub table: String,
    pub kind: PartyKind,
    pub phone_columns: Vec<String>,
}

/// One non-empty phone column of a record the CRM returned, and whether it holds the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhone {
    pub column: String,
    /// The value exactly as the CRM holds it.
    pub stored: String,
    /// The rule that matched, with its sentence; `None`: this value is not the caller's number.
    pub matched: Option<NumberMatch>,
}

/// A record the CRM's query returned, before and after the client-side re-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedRecord {
    pub table: String,
    /// The record as a pop would show it (kind, id, name, account).
    pub contact: ContactRef,
    /// Its non-empty phone columns, in the configured order.
    pub phones: Vec<StoredPhone>,
}

impl TracedRecord {
    /// The first phone column that holds the caller's number: the one a pop trusts.
    pub fn matched_by(&self) -> Option<&StoredPhone> {
        self.phones.iter().find(|p| p.matched.is_some())
    }
}

/// A lookup as it ran: the formats asked for, the tables and columns searched, and every record
/// the CRM answered with, each re-checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupTrace {
    /// The stored formats of the number the query asked for, in order.
    pub formats: Vec<String>,
    /// The trailing digits also searched with "contains" (the tenant's suffix fallback), if on.
    pub suffix: Option<String>,
    pub tables: Vec<SearchedTable>,
    /// At most the adapter's per-table limit from each table, in table order.
    pub records: Vec<TracedRecord>,
}

impl LookupTrace {
    /// The records whose re-check matched: what [`Crm::lookup`](crate::Crm::lookup) answers.
    pub fn contacts(&self) -> Vec<ContactRef> {
        self.records
            .iter()
            .filter(|r| r.matched_by().is_some())
            .map(|r| r.contact.clone())
            .collect()
    }
}
