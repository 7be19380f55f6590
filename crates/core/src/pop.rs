//! What a screen pop shows for the records a lookup found: the one rule, used by the call
//! machine and by the console's match tester (which says, in words, what an agent would see).

use crate::ids::ContactRef;

/// The screen pop for a lookup's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScreenPop {
    /// No record holds the number: the agent is offered a new contact, prefilled.
    NewContact,
    /// Exactly one record (counted once however many of its numbers matched): it pops.
    Contact(ContactRef),
    /// Several records: the agent chooses among them; no Case names a contact until then.
    Chooser(Vec<ContactRef>),
}

impl ScreenPop {
    /// The pop for `found`, each record once (a record matched by several numbers is one
    /// person), in the order found.
    pub fn of(found: Vec<ContactRef>) -> ScreenPop {
        let mut matches = distinct(found);
        match matches.len() {
            0 => ScreenPop::NewContact,
            1 => ScreenPop::Contact(matches.remove(0)),
            _ => ScreenPop::Chooser(matches),
        }
    }
}

/// The records found, each once.
pub(crate) fn distinct(found: Vec<ContactRef>) -> Vec<ContactRef> {
    let mut matches: Vec<ContactRef> = Vec::with_capacity(found.len());
    for contact in found {
        if !matches.iter().any(|m| m.same_record(&contact)) {
            matches.push(contact);
        }
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PartyKind, RecordId};

    fn person(id: &str, name: &str) -> ContactRef {
        ContactRef {
            kind: PartyKind::Contact,
            id: RecordId::from(id),
            name: name.into(),
            account: None,
        }
    }

    #[test]
    fn none_offers_a_new_contact_one_pops_and_several_records_ask() {
        assert_eq!(ScreenPop::of(vec![]), ScreenPop::NewContact);
        assert_eq!(
            ScreenPop::of(vec![person("a", "Aiko")]),
            ScreenPop::Contact(person("a", "Aiko"))
        );
        assert_eq!(
            ScreenPop::of(vec![person("a", "Aiko"), person("b", "Ben")]),
            ScreenPop::Chooser(vec![person("a", "Aiko"), person("b", "Ben")])
        );
    }

    #[test]
    fn one_record_found_twice_is_one_person_and_pops() {
        assert_eq!(
            ScreenPop::of(vec![person("a", "Aiko"), person("a", "Aiko (mobile)")]),
            ScreenPop::Contact(person("a", "Aiko"))
        );
    }
}
