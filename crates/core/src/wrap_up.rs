//! After-call work: the tenant's disposition codes, whether an agent's wrap-up submission is
//! accepted, and the work note written to the call's Case. Pure decisions; the edges only
//! translate (the configuration reads the codes, the WebSocket gateway the submission, the
//! outbox writes the note).

use std::fmt;

use crate::{AgentId, CallSnapshot, CaseRef};

/// The longest `notes` an agent may submit, in characters (Unicode scalar values).
pub const MAX_NOTES_CHARS: usize = 4000;

/// The most disposition codes a tenant may list (the softphone shows them in one list).
pub const MAX_DISPOSITION_CODES: usize = 100;

/// The longest label of a disposition code, in characters.
pub const MAX_LABEL_CHARS: usize = 80;

/// One disposition code of a tenant: what the agent picks after a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispositionCode {
    code: String,
    label_en: String,
    label_ja: String,
}

/// Why a disposition code cannot be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispositionCodeError {
    #[error(
        "{0:?} cannot be a disposition code: use 1-64 lowercase letters, digits, '_', '-' or '.'"
    )]
    Code(String),
    #[error("a disposition code's label must not be empty")]
    EmptyLabel,
    #[error("the label {0:?} is longer than {MAX_LABEL_CHARS} characters")]
    LongLabel(String),
}

impl DispositionCode {
    /// `code` is what the softphone sends and the work note records; `label_ja` defaults to
    /// the English label when the tenant gives none.
    pub fn new(
        code: &str,
        label_en: &str,
        label_ja: Option<&str>,
    ) -> Result<DispositionCode, DispositionCodeError> {
        if !valid_code(code) {
            return Err(DispositionCodeError::Code(code.to_string()));
        }
        let label = |text: &str| {
            let text = text.trim();
            if text.is_empty() {
                Err(DispositionCodeError::EmptyLabel)
            } else if text.chars().count() > MAX_LABEL_CHARS {
                Err(DispositionCodeError::LongLabel(text.to_string()))
            } else {
                Ok(text.to_string())
            }
        };
        let label_en = label(label_en)?;
        let label_ja = match label_ja {
            Some(ja) => label(ja)?,
            None => label_en.clone(),
        };
        Ok(DispositionCode {
            code: code.to_string(),
            label_en,
            label_ja,
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn label_en(&self) -> &str {
        &self.label_en
    }

    pub fn label_ja(&self) -> &str {
        &self.label_ja
    }
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' || c == '.'
        })
}

/// A tenant's disposition codes, in the order the admin listed them, each code once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispositionCodes(Vec<DispositionCode>);

/// Why a list of disposition codes cannot be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispositionListError {
    #[error("the disposition code {0:?} is listed twice")]
    Duplicate(String),
    #[error("{0} disposition codes are listed; at most {MAX_DISPOSITION_CODES} are allowed")]
    TooMany(usize),
}

impl DispositionCodes {
    pub fn new(codes: Vec<DispositionCode>) -> Result<DispositionCodes, DispositionListError> {
        if codes.len() > MAX_DISPOSITION_CODES {
            return Err(DispositionListError::TooMany(codes.len()));
        }
        for (i, code) in codes.iter().enumerate() {
            if codes[..i].iter().any(|c| c.code == code.code) {
                return Err(DispositionListError::Duplicate(code.code.clone()));
            }
        }
        Ok(DispositionCodes(codes))
    }

    pub fn iter(&self) -> impl Iterator<Item = &DispositionCode> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn find(&self, code: &str) -> Option<&DispositionCode> {
        self.0.iter().find(|c| c.code == code)
    }
}

/// What the agent sent in `submit_wrap_up`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrapUpSubmission {
    pub disposition: Option<String>,
    pub notes: String,
}

/// Why a submission is refused (answered with an `error`, nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WrapUpRefusal {
    #[error("the wrap-up of this call was already submitted; it is written once")]
    AlreadySubmitted,
    #[error("notes are limited to {MAX_NOTES_CHARS} characters")]
    NotesTooLong,
    #[error("{0:?} is not one of this tenant's disposition codes; pick one from the profile's disposition_codes, or send null")]
    UnknownDisposition(String),
    #[error("you were not on this call; only the agents who answered it can write its wrap-up")]
    NotOnCall,
}

/// Whether `agent` may write the wrap-up of the call `snapshot` describes: the agent who
/// answered it first or the one it is (or was last) with. `None` (the engine no longer holds
/// the call, hours after it ended) leaves the decision to the Case's tenant check.
pub fn may_submit(snapshot: Option<&CallSnapshot>, agent: &AgentId) -> Result<(), WrapUpRefusal> {
    let Some(call) = snapshot else {
        return Ok(());
    };
    let answered_first = call
        .first_answer
        .as_ref()
        .is_some_and(|f| &f.agent == agent);
    let current = call.current_agent.as_ref() == Some(agent);
    if answered_first || current {
        Ok(())
    } else {
        Err(WrapUpRefusal::NotOnCall)
    }
}

/// The outcome of an accepted submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrapUpOutcome {
    /// Write this note to the call's Case (through the outbox, once).
    Write { case: CaseRef, note: WorkNote },
    /// Accepted, but the call has no Case: answered `failed` with this detail.
    NoCase,
}

/// The `detail` of a `failed` status for a call without a Case.
pub const NO_CASE_DETAIL: &str = "This call has no Case to write to.";

/// Decides a submission: `already_submitted` is whether this call's wrap-up was accepted
/// before, `case` the call's Case if it has one.
pub fn decide(
    codes: &DispositionCodes,
    already_submitted: bool,
    submission: &WrapUpSubmission,
    case: Option<&CaseRef>,
) -> Result<WrapUpOutcome, WrapUpRefusal> {
    if already_submitted {
        return Err(WrapUpRefusal::AlreadySubmitted);
    }
    if submission.notes.chars().count() > MAX_NOTES_CHARS {
        return Err(WrapUpRefusal::NotesTooLong);
    }
    let disposition = match &submission.disposition {
        None => None,
        Some(code) => Some(
            codes
                .find(code)
                .ok_or_else(|| WrapUpRefusal::UnknownDisposition(code.clone()))?,
        ),
    };
    let Some(case) = case else {
        return Ok(WrapUpOutcome::NoCase);
    };
    Ok(WrapUpOutcome::Write {
        case: case.clone(),
        note: WorkNote::compose(disposition, &submission.notes),
    })
}

/// The text of the work note written to the Case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkNote(String);

impl WorkNote {
    /// `Disposition: <English label> (<code>)` on the first line when one was picked, then the
    /// agent's notes as written (trimmed). The English label: the Case is read by people of
    /// every language the tenant has; the code keeps it searchable.
    pub fn compose(disposition: Option<&DispositionCode>, notes: &str) -> WorkNote {
        let notes = notes.trim();
        let mut text = String::new();
        if let Some(d) = disposition {
            text.push_str(&format!("Disposition: {} ({})", d.label_en, d.code));
        }
        if !notes.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(notes);
        }
        if text.is_empty() {
            text.push_str("After-call work: no disposition and no notes.");
        }
        WorkNote(text)
    }

    /// A note read back from a stored intent.
    pub fn from_stored(text: String) -> WorkNote {
        WorkNote(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordId;

    fn codes() -> DispositionCodes {
        DispositionCodes::new(vec![
            DispositionCode::new("resolved", "Resolved", Some("解決")).unwrap(),
            DispositionCode::new("callback", "Call back", None).unwrap(),
        ])
        .unwrap()
    }

    fn case() -> CaseRef {
        CaseRef {
            id: RecordId::from("c1"),
            label: "CS0001001".into(),
        }
    }

    fn submission(disposition: Option<&str>, notes: &str) -> WrapUpSubmission {
        WrapUpSubmission {
            disposition: disposition.map(str::to_string),
            notes: notes.to_string(),
        }
    }

    #[test]
    fn codes_are_lowercase_words_and_labels_are_required() {
        assert!(DispositionCode::new("no-answer.2", "x", None).is_ok());
        assert_eq!(
            DispositionCode::new("Resolved", "x", None),
            Err(DispositionCodeError::Code("Resolved".into()))
        );
        assert!(DispositionCode::new("", "x", None).is_err());
        assert_eq!(
            DispositionCode::new("a", "  ", None),
            Err(DispositionCodeError::EmptyLabel)
        );
        assert!(DispositionCode::new("a", &"x".repeat(81), None).is_err());
        let c = DispositionCode::new("a", "Call back", None).unwrap();
        assert_eq!(c.label_ja(), "Call back");
    }

    #[test]
    fn a_code_is_listed_once() {
        let a = DispositionCode::new("a", "A", None).unwrap();
        assert_eq!(
            DispositionCodes::new(vec![a.clone(), a]),
            Err(DispositionListError::Duplicate("a".into()))
        );
    }

    #[test]
    fn an_accepted_submission_writes_the_label_code_and_notes() {
        let outcome = decide(
            &codes(),
            false,
            &submission(Some("resolved"), " Replaced the router.\n"),
            Some(&case()),
        )
        .unwrap();
        assert_eq!(
            outcome,
            WrapUpOutcome::Write {
                case: case(),
                note: WorkNote("Disposition: Resolved (resolved)\n\nReplaced the router.".into()),
            }
        );
    }

    #[test]
    fn notes_alone_or_nothing_still_make_a_note() {
        let Ok(WrapUpOutcome::Write { note, .. }) =
            decide(&codes(), false, &submission(None, "hi"), Some(&case()))
        else {
            panic!("accepted")
        };
        assert_eq!(note.as_str(), "hi");
        let Ok(WrapUpOutcome::Write { note, .. }) =
            decide(&codes(), false, &submission(None, ""), Some(&case()))
        else {
            panic!("accepted")
        };
        assert_eq!(
            note.as_str(),
            "After-call work: no disposition and no notes."
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            decide(&codes(), true, &submission(None, ""), Some(&case())),
            Err(WrapUpRefusal::AlreadySubmitted)
        );
        let long = "あ".repeat(MAX_NOTES_CHARS + 1);
        assert_eq!(
            decide(&codes(), false, &submission(None, &long), Some(&case())),
            Err(WrapUpRefusal::NotesTooLong)
        );
        assert_eq!(
            WrapUpRefusal::NotesTooLong.to_string(),
            "notes are limited to 4000 characters"
        );
        let exactly = "あ".repeat(MAX_NOTES_CHARS);
        assert!(decide(&codes(), false, &submission(None, &exactly), Some(&case())).is_ok());
        assert_eq!(
            decide(
                &codes(),
                false,
                &submission(Some("nope"), ""),
                Some(&case())
            ),
            Err(WrapUpRefusal::UnknownDisposition("nope".into()))
        );
    }

    #[test]
    fn only_the_agents_on_the_call_may_submit_while_the_engine_holds_it() {
        use crate::{
            CallId, CallerNumber, Direction, Engine, EngineConfig, Event, TenantId, Timestamp,
            TransferTarget,
        };
        let agent = |name: &str| AgentId::parse(&format!("acme:{name}")).unwrap();
        let call = CallId::new("c1");
        let mut engine = Engine::new(EngineConfig::default());
        let now = Timestamp::ZERO;
        engine.handle(
            now,
            Event::CallOffered {
                call: call.clone(),
                tenant: TenantId::new("acme"),
                direction: Direction::Inbound,
                customer: CallerNumber::Withheld,
                agent: agent("alice"),
            },
        );
        engine.handle(
            now,
            Event::AgentAnswered {
                call: call.clone(),
                agent: agent("alice"),
            },
        );
        engine.handle(
            now,
            Event::Transferred {
                call: call.clone(),
                from: agent("alice"),
                to: TransferTarget::Agent(agent("bob")),
            },
        );
        engine.handle(
            now,
            Event::AgentAnswered {
                call: call.clone(),
                agent: agent("bob"),
            },
        );
        let snapshot = engine.call_state(&call);
        assert!(snapshot.is_some());
        assert_eq!(may_submit(snapshot.as_ref(), &agent("alice")), Ok(()));
        assert_eq!(may_submit(snapshot.as_ref(), &agent("bob")), Ok(()));
        assert_eq!(
            may_submit(snapshot.as_ref(), &agent("carol")),
            Err(WrapUpRefusal::NotOnCall)
        );
        assert_eq!(may_submit(None, &agent("carol")), Ok(()));
    }

    #[test]
    fn a_call_without_a_case_is_accepted_as_no_case() {
        assert_eq!(
            decide(&codes(), false, &submission(Some("resolved"), "x"), None),
            Ok(WrapUpOutcome::NoCase)
        );
    }
}
