//! Identifiers and references to records the core does not own.
//!
//! The ids every crate shares (tenant, agent, call, CRM record, Case) are the kernel's, re-exported
//! here; the ones below are the core's own. All are opaque to the core: it compares and copies
//! them, never parses them.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use callbridge_kernel::ids::{
    AgentId, AgentIdError, AgentName, CallId, CaseRef, RecordId, TenantId,
};

use callbridge_kernel::text_id;

text_id!(
    /// A queue a call can be transferred to.
    QueueId
);
text_id!(
    /// Where a call's recording is stored (an object-store key); opaque to the core.
    RecordingLocator
);

/// Which kind of CRM person record a contact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A person at a customer account (business to business).
    Contact,
    /// An individual consumer (business to consumer).
    Consumer,
}

/// The account (customer company) a contact belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccountRef {
    /// The account record.
    pub id: RecordId,
    /// What the agent sees.
    pub name: String,
}

/// A CRM person record that matched a caller, as the CRM adapter reported it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContactRef {
    /// Contact or consumer.
    pub kind: PartyKind,
    /// The person record.
    pub id: RecordId,
    /// What the agent sees in a pop or a chooser.
    pub name: String,
    /// The contact's account, if it has one.
    pub account: Option<AccountRef>,
}

impl ContactRef {
    /// Whether two references name the same CRM record (names may differ between lookups).
    pub fn same_record(&self, other: &ContactRef) -> bool {
        self.kind == other.kind && self.id == other.id
    }
}

/// The person references a Case holds: the contact or consumer the caller was matched to, and the
/// contact's account. Empty when the caller was not matched to exactly one record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartyRefs {
    /// Set when the caller is a contact.
    pub contact: Option<RecordId>,
    /// Set when the caller is a consumer.
    pub consumer: Option<RecordId>,
    /// The contact's account, when known.
    pub account: Option<RecordId>,
}

impl PartyRefs {
    /// The references a Case gets for this matched person.
    pub fn of(contact: &ContactRef) -> Self {
        let id = Some(contact.id.clone());
        let account = contact.account.as_ref().map(|a| a.id.clone());
        match contact.kind {
            PartyKind::Contact => PartyRefs {
                contact: id,
                consumer: None,
                account,
            },
            PartyKind::Consumer => PartyRefs {
                contact: None,
                consumer: id,
                account,
            },
        }
    }

    /// True when no reference is set.
    pub fn is_empty(&self) -> bool {
        self.contact.is_none() && self.consumer.is_none() && self.account.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_refs_put_consumers_and_contacts_in_their_own_columns() {
        let consumer = ContactRef {
            kind: PartyKind::Consumer,
            id: "c1".into(),
            name: "Ada".into(),
            account: None,
        };
        let refs = PartyRefs::of(&consumer);
        assert_eq!(refs.consumer, Some(RecordId::from("c1")));
        assert_eq!(refs.contact, None);

        let contact = ContactRef {
            kind: PartyKind::Contact,
            id: "p1".into(),
            name: "Bob".into(),
            account: Some(AccountRef {
                id: "acme".into(),
                name: "Acme".into(),
            }),
        };
        let refs = PartyRefs::of(&contact);
        assert_eq!(refs.contact, Some(RecordId::from("p1")));
        assert_eq!(refs.account, Some(RecordId::from("acme")));
        assert!(PartyRefs::default().is_empty());
    }
}
