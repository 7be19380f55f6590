//! What the core asks the runtime to do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::caller::CallerNumber;
use crate::event::Direction;
use crate::ids::{AgentId, CallId, CaseRef, ContactRef, PartyRefs, TenantId};
use callbridge_phone::E164;

/// Why a Case is being created.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseTrigger {
    /// The first answerer was linked and the agent and customer got connected.
    Automatic,
    /// A linked agent on the call asked for it.
    Manual { requested_by: AgentId },
}

/// The content of a new Case, as plain data. The CRM adapter maps each field to the tenant's
/// configured table and columns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseFields {
    /// The caller's number (the adapter writes the usable number; see [`CallerNumber`]).
    pub caller: CallerNumber,
    /// Our permanent link to the call's recording page. Known at creation, so the Case needs no
    /// second write when the recording is stored.
    pub recording_link: String,
    /// The matched contact / consumer / account, when exactly one person was found or chosen.
    pub party: PartyRefs,
    /// The agent the Case is assigned to.
    pub assigned_agent: AgentId,
    /// Who placed the call.
    pub direction: Direction,
    /// Rendered from the tenant's short-description template.
    pub short_description: String,
}

/// Something an agent is told, with a message they can act on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotifyReason {
    /// No automatic Case: the agent who answered first had no linked CRM account then.
    CaseSuppressedFirstAgentNotLinked { first_agent: AgentId },
    /// No automatic Case: the tenant does not create Cases for calls in this direction.
    CaseNotAutomaticForDirection { direction: Direction },
    /// No screen pop: the caller withheld their number.
    CallerIdWithheld,
    /// No screen pop: the caller ID is not a usable number.
    CallerIdUnusable,
    /// The agent has no linked CRM account, so there is no pop and they cannot create Cases.
    AgentNotLinked,
    /// The screen-pop lookup failed.
    LookupFailed { detail: String },
    /// The agent's CRM authorisation expired or was revoked.
    RelinkRequired,
    /// Creating the Case failed for now; the outbox retries it.
    CaseCreationDelayed { detail: String },
    /// Creating the Case failed for good; it is in the dead-letter list.
    CaseCreationFailed { detail: String },
    /// The Case is already being created.
    CaseCreationInProgress,
    /// The call is unknown or no longer active.
    CallNotFound,
    /// The agent is not on the call.
    NotOnCall,
}

impl NotifyReason {
    /// The message shown to the agent.
    pub fn message(&self) -> String {
        match self {
            NotifyReason::CaseSuppressedFirstAgentNotLinked { first_agent } => format!(
                "No Case was created automatically for this call: {first_agent}, who answered it \
                 first, had no linked CRM account. You can create the Case by hand."
            ),
            NotifyReason::CaseNotAutomaticForDirection { direction } => format!(
                "Cases are not created automatically for {direction} calls in this contact \
                 center. You can create the Case by hand."
            ),
            NotifyReason::CallerIdWithheld => "The caller withheld their number, so the CRM \
                was not searched. Search for the customer by hand."
                .to_owned(),
            NotifyReason::CallerIdUnusable => "The caller ID is not a usable phone number, so \
                the CRM was not searched. Search for the customer by hand."
                .to_owned(),
            NotifyReason::AgentNotLinked => "Your CRM account is not linked: screen pops and \
                Cases need it. Link it in the softphone setup."
                .to_owned(),
            NotifyReason::LookupFailed { detail } => format!(
                "Searching the CRM for this caller failed ({detail}). Search for the customer by \
                 hand."
            ),
            NotifyReason::RelinkRequired => "Your CRM sign-in expired or was revoked. Link your \
                CRM account again in the softphone setup."
                .to_owned(),
            NotifyReason::CaseCreationDelayed { detail } => format!(
                "Creating the Case for this call is delayed ({detail}); it is retried \
                 automatically."
            ),
            NotifyReason::CaseCreationFailed { detail } => format!(
                "The Case for this call could not be created ({detail}). An administrator can \
                 replay it from the failed-writes list."
            ),
            NotifyReason::CaseCreationInProgress => {
                "The Case for this call is already being created; it opens when ready.".to_owned()
            }
            NotifyReason::CallNotFound => {
                "This call is unknown or no longer active; nothing was created.".to_owned()
            }
            NotifyReason::NotOnCall => {
                "You are not on this call, so you cannot create its Case.".to_owned()
            }
        }
    }
}

impl fmt::Display for NotifyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// An output of the [`Engine`](crate::Engine), for the runtime to execute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Ask the CRM (as `agent`) which person records have this number; answer with
    /// [`Event::LookupCompleted`](crate::Event::LookupCompleted).
    LookupContacts {
        tenant: TenantId,
        call: CallId,
        agent: AgentId,
        /// The caller's validated number ([`CallerNumber::lookup_number`]).
        number: E164,
    },
    /// Open this contact on the agent's screen.
    PopContact {
        agent: AgentId,
        call: CallId,
        contact: ContactRef,
    },
    /// Several records match: let the agent choose (never guess).
    ShowChooser {
        agent: AgentId,
        call: CallId,
        candidates: Vec<ContactRef>,
    },
    /// Nobody matches: offer the agent to create a contact with this number.
    OfferNewContact {
        agent: AgentId,
        call: CallId,
        number: String,
    },
    /// Create the call's Case through the durable outbox. Emitted at most once per call.
    /// Answer with [`Event::CaseCreated`](crate::Event::CaseCreated) or
    /// [`Event::CaseCreateFailed`](crate::Event::CaseCreateFailed).
    CreateCase {
        tenant: TenantId,
        call: CallId,
        /// The call id: written to the correlation column and looked up before any retry creates.
        idempotency_key: CallId,
        trigger: CaseTrigger,
        fields: CaseFields,
    },
    /// Set the Case's person references (the agent chose a contact after the Case was created).
    UpdateCaseContact {
        tenant: TenantId,
        call: CallId,
        case: CaseRef,
        party: PartyRefs,
    },
    /// Find the Case whose correlation column holds this call id; answer with
    /// [`Event::CaseFound`](crate::Event::CaseFound) or
    /// [`Event::CaseNotFound`](crate::Event::CaseNotFound).
    FindCase { tenant: TenantId, call: CallId },
    /// Open the call's Case on the agent's screen.
    ShowCase {
        agent: AgentId,
        call: CallId,
        case: CaseRef,
    },
    /// Tell the agent something did not happen, and why.
    NotifyAgent {
        agent: AgentId,
        call: CallId,
        reason: NotifyReason,
    },
}

impl Command {
    /// The call this command is about.
    pub fn call(&self) -> &CallId {
        match self {
            Command::LookupContacts { call, .. }
            | Command::PopContact { call, .. }
            | Command::ShowChooser { call, .. }
            | Command::OfferNewContact { call, .. }
            | Command::CreateCase { call, .. }
            | Command::UpdateCaseContact { call, .. }
            | Command::FindCase { call, .. }
            | Command::ShowCase { call, .. }
            | Command::NotifyAgent { call, .. } => call,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notify_reason_has_an_actionable_message() {
        let reasons = [
            NotifyReason::CaseSuppressedFirstAgentNotLinked {
                first_agent: AgentId::parse("acme:ann").unwrap(),
            },
            NotifyReason::CaseNotAutomaticForDirection {
                direction: Direction::Outbound,
            },
            NotifyReason::CallerIdWithheld,
            NotifyReason::CallerIdUnusable,
            NotifyReason::AgentNotLinked,
            NotifyReason::LookupFailed {
                detail: "timeout".into(),
            },
            NotifyReason::RelinkRequired,
            NotifyReason::CaseCreationDelayed {
                detail: "429".into(),
            },
            NotifyReason::CaseCreationFailed {
                detail: "column missing".into(),
            },
            NotifyReason::CaseCreationInProgress,
            NotifyReason::CallNotFound,
            NotifyReason::NotOnCall,
        ];
        for reason in reasons {
            let message = reason.to_string();
            assert!(message.len() > 30, "{message}");
            assert!(message.ends_with('.'), "{message}");
        }
        let suppressed = NotifyReason::CaseSuppressedFirstAgentNotLinked {
            first_agent: AgentId::parse("acme:ann").unwrap(),
        };
        assert!(suppressed.message().contains("ann"));
        assert!(suppressed.message().contains("by hand"));
    }
}
