//! What agents are told: the screen pop, the chooser, the Case, and every "why not". The
//! softphone's connection subscribes to these; nothing here knows how they are displayed.

use callbridge_core::{AgentId, CallId, CaseRef, Command, ContactRef, NotifyReason};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// Open this contact.
    ScreenPop { contact: ContactRef },
    /// Several records hold the caller's number: let the agent choose.
    ChooseContact { candidates: Vec<ContactRef> },
    /// Nobody holds the number: offer to create a contact.
    NewContact { number: String },
    /// The call's Case.
    ShowCase { case: CaseRef },
    /// Something did not happen, and why.
    Message { reason: NotifyReason, text: String },
    /// Where the agent's after-call work note stands (sent as a `wrap_up_status` message).
    WrapUpStatus {
        status: WrapUpStatus,
        detail: String,
    },
}

/// `queued` when accepted into the outbox, then `written` or `failed` once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WrapUpStatus {
    Queued,
    Written,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentNotice {
    pub agent: AgentId,
    pub call: CallId,
    #[serde(flatten)]
    pub notice: Notice,
}

/// The notice a command asks for, if it is one.
pub fn notice_for(command: &Command) -> Option<AgentNotice> {
    let (agent, call, notice) = match command {
        Command::PopContact {
            agent,
            call,
            contact,
        } => (
            agent,
            call,
            Notice::ScreenPop {
                contact: contact.clone(),
            },
        ),
        Command::ShowChooser {
            agent,
            call,
            candidates,
        } => (
            agent,
            call,
            Notice::ChooseContact {
                candidates: candidates.clone(),
            },
        ),
        Command::OfferNewContact {
            agent,
            call,
            number,
        } => (
            agent,
            call,
            Notice::NewContact {
                number: number.clone(),
            },
        ),
        Command::ShowCase { agent, call, case } => {
            (agent, call, Notice::ShowCase { case: case.clone() })
        }
        Command::NotifyAgent {
            agent,
            call,
            reason,
        } => (
            agent,
            call,
            Notice::Message {
                text: reason.message(),
                reason: reason.clone(),
            },
        ),
        _ => return None,
    };
    Some(AgentNotice {
        agent: agent.clone(),
        call: call.clone(),
        notice,
    })
}
