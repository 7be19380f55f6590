//! What a softphone that reconnects during a call needs to redraw the call's CRM side: the
//! contact (chosen, or the one record that holds the number), the chooser's candidates while
//! the agent has not chosen, the Case, or the reason there is no Case (yet).

use serde::Serialize;

use crate::call::{CallSnapshot, CaseStatus, LookupStatus};
use crate::command::NotifyReason;
use crate::ids::{CaseRef, ContactRef};

/// The CRM side of a call, as a reconnecting softphone redraws it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CrmRedraw {
    /// The contact the call is about.
    pub contact: Option<ContactRef>,
    /// Several records hold the number and nobody chose yet: the chooser's records.
    pub candidates: Vec<ContactRef>,
    /// The call's Case, once created.
    pub case: Option<CaseRef>,
    /// Why there is no Case (yet), when there is a reason to tell.
    pub no_case: Option<NoCase>,
}

/// Why a call has no Case, as a `crm` `message` notice says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoCase {
    pub reason: NotifyReason,
    pub text: String,
}

impl CrmRedraw {
    /// The redraw of the engine's view of a call; an unknown call (no CRM, or forgotten) has
    /// nothing to redraw.
    pub fn of(snapshot: Option<&CallSnapshot>) -> CrmRedraw {
        let Some(call) = snapshot else {
            return CrmRedraw::default();
        };
        let (contact, candidates) = match (&call.chosen_contact, &call.lookup) {
            (Some(chosen), _) => (Some(chosen.clone()), Vec::new()),
            (None, LookupStatus::Done(found)) if found.len() == 1 => {
                (found.first().cloned(), Vec::new())
            }
            (None, LookupStatus::Done(found)) => (None, found.clone()),
            (None, _) => (None, Vec::new()),
        };
        let (case, why) = match &call.case {
            CaseStatus::Created(case) => (Some(case.clone()), None),
            CaseStatus::Suppressed(suppression) => (None, Some(suppression.reason())),
            CaseStatus::Failed { detail } => (
                None,
                Some(NotifyReason::CaseCreationFailed {
                    detail: detail.clone(),
                }),
            ),
            CaseStatus::Finding { detail } => (
                None,
                Some(NotifyReason::CaseCreationDelayed {
                    detail: detail.clone(),
                }),
            ),
            CaseStatus::Creating | CaseStatus::AwaitingContact { .. } => {
                (None, Some(NotifyReason::CaseCreationInProgress))
            }
            CaseStatus::NotStarted => (None, None),
        };
        CrmRedraw {
            contact,
            candidates,
            case,
            no_case: why.map(|reason| NoCase {
                text: reason.message(),
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{CallPhase, Suppression};
    use crate::caller::CallerNumber;
    use crate::event::Direction;
    use crate::ids::{AgentId, PartyKind, RecordId, TenantId};

    fn contact(id: &str) -> ContactRef {
        ContactRef {
            kind: PartyKind::Contact,
            id: RecordId::new(id),
            name: format!("Contact {id}"),
            account: None,
        }
    }

    fn snapshot(
        lookup: LookupStatus,
        chosen: Option<ContactRef>,
        case: CaseStatus,
    ) -> CallSnapshot {
        CallSnapshot {
            tenant: TenantId::new("acme"),
            direction: Direction::Inbound,
            caller: CallerNumber::Withheld,
            phase: CallPhase::Connected,
            on_hold: false,
            first_answer: None,
            current_agent: None,
            ringing: Vec::new(),
            lookup,
            chosen_contact: chosen,
            case,
            case_create_emitted: false,
            recording: None,
            end_cause: None,
            last_transfer: None,
        }
    }

    #[test]
    fn an_unknown_call_has_nothing_to_redraw() {
        assert_eq!(CrmRedraw::of(None), CrmRedraw::default());
    }

    #[test]
    fn the_one_match_or_the_agents_choice_is_the_contact_and_several_are_the_chooser() {
        let one = CrmRedraw::of(Some(&snapshot(
            LookupStatus::Done(vec![contact("a")]),
            None,
            CaseStatus::NotStarted,
        )));
        assert_eq!(one.contact, Some(contact("a")));
        assert!(one.candidates.is_empty());
        let several = snapshot(
            LookupStatus::Done(vec![contact("a"), contact("b")]),
            None,
            CaseStatus::NotStarted,
        );
        let chooser = CrmRedraw::of(Some(&several));
        assert_eq!(chooser.contact, None);
        assert_eq!(chooser.candidates, vec![contact("a"), contact("b")]);
        let chosen = CrmRedraw::of(Some(&CallSnapshot {
            chosen_contact: Some(contact("b")),
            ..several
        }));
        assert_eq!(chosen.contact, Some(contact("b")));
        assert!(chosen.candidates.is_empty());
    }

    #[test]
    fn the_case_or_why_there_is_none() {
        let case = CaseRef {
            id: RecordId::new("cs1"),
            label: "CS0001001".into(),
        };
        let created = CrmRedraw::of(Some(&snapshot(
            LookupStatus::NotStarted,
            None,
            CaseStatus::Created(case.clone()),
        )));
        assert_eq!((created.case, created.no_case), (Some(case), None));
        let first_agent = AgentId::parse("acme:bob").unwrap();
        let suppressed = CrmRedraw::of(Some(&snapshot(
            LookupStatus::NotStarted,
            None,
            CaseStatus::Suppressed(Suppression::FirstAnswererNotLinked {
                agent: first_agent.clone(),
            }),
        )));
        let reason = NotifyReason::CaseSuppressedFirstAgentNotLinked { first_agent };
        assert_eq!(
            suppressed.no_case,
            Some(NoCase {
                text: reason.message(),
                reason,
            })
        );
        let creating = CrmRedraw::of(Some(&snapshot(
            LookupStatus::NotStarted,
            None,
            CaseStatus::Creating,
        )));
        assert_eq!(
            creating.no_case.map(|n| n.reason),
            Some(NotifyReason::CaseCreationInProgress)
        );
        let not_yet = CrmRedraw::of(Some(&snapshot(
            LookupStatus::NotStarted,
            None,
            CaseStatus::NotStarted,
        )));
        assert_eq!(not_yet.no_case, None);
    }

    #[test]
    fn it_serialises_with_the_protocols_field_names() {
        let json = serde_json::to_value(CrmRedraw::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"contact": null, "candidates": [], "case": null, "no_case": null})
        );
    }
}
