//! The durable journal's record format: how accepted call events (`processed_events.payload`)
//! and successful lookup outcomes (`lookup_outcomes.payload`) are written, and read back by the
//! replay at start (`runtime::replay`).
//!
//! The records are this module's own types with names pinned here, not the core's [`Event`]
//! serialised: renaming or reshaping a core variant must not silently stop the next version from
//! replaying what this one wrote. Each record carries its format version (`"v"`); rows written
//! before the version existed (the core's `Event` serialised with serde) have exactly the field
//! layout of version 1 without `"v"`, and are read as such. Unknown versions and kinds are
//! refused with an error naming them, so the replay reports and skips them instead of guessing.
//!
//! `tests/fixtures/journal-v0/` keeps rows of the unversioned format and
//! `tests/fixtures/journal-v1/` rows of this one; `tests/journal_replay.rs` reads both.

use callbridge_core::{
    AccountRef, AgentId, CallId, CallerNumber, CaseRef, ContactRef, Direction, EndCause, Event,
    LookupFailure, LookupResult, PartyKind, QueueId, RecordId, RecordingLocator, TenantId,
    TransferTarget,
};
use callbridge_phone::E164;
use serde::{Deserialize, Serialize};

/// The version [`encode`] writes.
pub const VERSION: u64 = 1;

/// Why a journal row cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("not a journal record (a JSON object with a \"type\" is expected): {0}")]
    Malformed(String),
    #[error(
        "journal record version {found} is not known to this build (it reads versions up to \
         {VERSION}); it was written by a newer Callbridge"
    )]
    UnknownVersion { found: String },
    #[error("journal record kind {0:?} is not known to this build")]
    UnknownKind(String),
    #[error("journal record of kind {kind:?} is invalid: {detail}")]
    Invalid { kind: String, detail: String },
}

/// The row for `event`, in the current version.
pub fn encode(event: &Event) -> String {
    let envelope = Envelope {
        v: VERSION,
        record: Record::from(event),
    };
    serde_json::to_string(&envelope).expect("journal records serialise")
}

/// The core event a row holds, whichever version wrote it.
pub fn decode(row: &str) -> Result<Event, JournalError> {
    let value: serde_json::Value =
        serde_json::from_str(row).map_err(|e| JournalError::Malformed(e.to_string()))?;
    match value.get("v") {
        // Rows written before records were versioned have version 1's layout.
        None => {}
        Some(v) if v.as_u64().is_some_and(|v| (1..=VERSION).contains(&v)) => {}
        Some(other) => {
            return Err(JournalError::UnknownVersion {
                found: other.to_string(),
            })
        }
    }
    let kind = value
        .get("type")
        .and_then(|k| k.as_str())
        .ok_or_else(|| JournalError::Malformed("no \"type\"".to_string()))?
        .to_string();
    if !KINDS.contains(&kind.as_str()) {
        return Err(JournalError::UnknownKind(kind));
    }
    let invalid = |detail: String| JournalError::Invalid {
        kind: kind.clone(),
        detail,
    };
    let record = Record::deserialize(&value).map_err(|e| invalid(e.to_string()))?;
    record.into_event().map_err(invalid)
}

#[derive(Serialize)]
struct Envelope {
    v: u64,
    #[serde(flatten)]
    record: Record,
}

/// Every record kind, as written in `"type"`. Never rename one: add a kind or a version.
const KINDS: &[&str] = &[
    "call_offered",
    "agent_answered",
    "connected",
    "transferred",
    "held",
    "resumed",
    "ended",
    "recording_ready",
    "lookup_completed",
    "contact_chosen",
    "case_created",
    "case_found",
    "case_not_found",
    "case_create_failed",
    "agent_link_changed",
    "manual_case_requested",
];

/// One journalled event. Ids are plain text here (agents as `<tenant>:<agent>`), so the record
/// format does not move when an id type does.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type")]
enum Record {
    #[serde(rename = "call_offered")]
    CallOffered {
        call: String,
        tenant: String,
        direction: DirectionRecord,
        customer: CallerRecord,
        agent: String,
    },
    #[serde(rename = "agent_answered")]
    AgentAnswered { call: String, agent: String },
    #[serde(rename = "connected")]
    Connected { call: String, agent: String },
    #[serde(rename = "transferred")]
    Transferred {
        call: String,
        from: String,
        to: TransferRecord,
    },
    #[serde(rename = "held")]
    Held { call: String },
    #[serde(rename = "resumed")]
    Resumed { call: String },
    #[serde(rename = "ended")]
    Ended { call: String, cause: EndCauseRecord },
    #[serde(rename = "recording_ready")]
    RecordingReady { call: String, recording: String },
    #[serde(rename = "lookup_completed")]
    LookupCompleted {
        call: String,
        agent: String,
        result: LookupRecord,
    },
    #[serde(rename = "contact_chosen")]
    ContactChosen {
        call: String,
        agent: String,
        contact: ContactRecord,
    },
    #[serde(rename = "case_created")]
    CaseCreated { call: String, case: CaseRecord },
    #[serde(rename = "case_found")]
    CaseFound { call: String, case: CaseRecord },
    #[serde(rename = "case_not_found")]
    CaseNotFound { call: String },
    #[serde(rename = "case_create_failed")]
    CaseCreateFailed {
        call: String,
        reason: String,
        permanent: bool,
    },
    #[serde(rename = "agent_link_changed")]
    AgentLinkChanged { agent: String, linked: bool },
    #[serde(rename = "manual_case_requested")]
    ManualCaseRequested { call: String, agent: String },
}

#[derive(Serialize, Deserialize)]
enum DirectionRecord {
    #[serde(rename = "inbound")]
    Inbound,
    #[serde(rename = "outbound")]
    Outbound,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "value")]
enum CallerRecord {
    #[serde(rename = "dialable")]
    Dialable(String),
    #[serde(rename = "withheld")]
    Withheld,
    #[serde(rename = "invalid")]
    Invalid(String),
}

#[derive(Serialize, Deserialize)]
enum TransferRecord {
    #[serde(rename = "agent")]
    Agent(String),
    #[serde(rename = "queue")]
    Queue(String),
}

#[derive(Serialize, Deserialize)]
enum EndCauseRecord {
    #[serde(rename = "customer_hung_up")]
    CustomerHungUp,
    #[serde(rename = "agent_hung_up")]
    AgentHungUp,
    #[serde(rename = "abandoned")]
    Abandoned,
    #[serde(rename = "failed")]
    Failed(String),
}

#[derive(Serialize, Deserialize)]
enum LookupRecord {
    #[serde(rename = "matches")]
    Matches(Vec<ContactRecord>),
    #[serde(rename = "failed")]
    Failed(LookupFailureRecord),
}

#[derive(Serialize, Deserialize)]
enum LookupFailureRecord {
    #[serde(rename = "relink_required")]
    RelinkRequired,
    #[serde(rename = "unavailable")]
    Unavailable(String),
}

#[derive(Serialize, Deserialize)]
struct ContactRecord {
    kind: PartyKindRecord,
    id: String,
    name: String,
    account: Option<AccountRecord>,
}

#[derive(Serialize, Deserialize)]
enum PartyKindRecord {
    #[serde(rename = "contact")]
    Contact,
    #[serde(rename = "consumer")]
    Consumer,
}

#[derive(Serialize, Deserialize)]
struct AccountRecord {
    id: String,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct CaseRecord {
    id: String,
    label: String,
}

impl From<&Event> for Record {
    fn from(event: &Event) -> Record {
        let call = |c: &CallId| c.as_str().to_string();
        let agent = |a: &AgentId| a.to_string();
        match event {
            Event::CallOffered {
                call: c,
                tenant,
                direction,
                customer,
                agent: a,
            } => Record::CallOffered {
                call: call(c),
                tenant: tenant.as_str().to_string(),
                direction: match direction {
                    Direction::Inbound => DirectionRecord::Inbound,
                    Direction::Outbound => DirectionRecord::Outbound,
                },
                customer: CallerRecord::from(customer),
                agent: agent(a),
            },
            Event::AgentAnswered { call: c, agent: a } => Record::AgentAnswered {
                call: call(c),
                agent: agent(a),
            },
            Event::Connected { call: c, agent: a } => Record::Connected {
                call: call(c),
                agent: agent(a),
            },
            Event::Transferred { call: c, from, to } => Record::Transferred {
                call: call(c),
                from: agent(from),
                to: match to {
                    TransferTarget::Agent(a) => TransferRecord::Agent(agent(a)),
                    TransferTarget::Queue(q) => TransferRecord::Queue(q.as_str().to_string()),
                },
            },
            Event::Held { call: c } => Record::Held { call: call(c) },
            Event::Resumed { call: c } => Record::Resumed { call: call(c) },
            Event::Ended { call: c, cause } => Record::Ended {
                call: call(c),
                cause: match cause {
                    EndCause::CustomerHungUp => EndCauseRecord::CustomerHungUp,
                    EndCause::AgentHungUp => EndCauseRecord::AgentHungUp,
                    EndCause::Abandoned => EndCauseRecord::Abandoned,
                    EndCause::Failed(detail) => EndCauseRecord::Failed(detail.clone()),
                },
            },
            Event::RecordingReady { call: c, recording } => Record::RecordingReady {
                call: call(c),
                recording: recording.as_str().to_string(),
            },
            Event::LookupCompleted {
                call: c,
                agent: a,
                result,
            } => Record::LookupCompleted {
                call: call(c),
                agent: agent(a),
                result: match result {
                    LookupResult::Matches(contacts) => {
                        LookupRecord::Matches(contacts.iter().map(ContactRecord::from).collect())
                    }
                    LookupResult::Failed(LookupFailure::RelinkRequired) => {
                        LookupRecord::Failed(LookupFailureRecord::RelinkRequired)
                    }
                    LookupResult::Failed(LookupFailure::Unavailable(detail)) => {
                        LookupRecord::Failed(LookupFailureRecord::Unavailable(detail.clone()))
                    }
                },
            },
            Event::ContactChosen {
                call: c,
                agent: a,
                contact,
            } => Record::ContactChosen {
                call: call(c),
                agent: agent(a),
                contact: ContactRecord::from(contact),
            },
            Event::CaseCreated { call: c, case } => Record::CaseCreated {
                call: call(c),
                case: CaseRecord::from(case),
            },
            Event::CaseFound { call: c, case } => Record::CaseFound {
                call: call(c),
                case: CaseRecord::from(case),
            },
            Event::CaseNotFound { call: c } => Record::CaseNotFound { call: call(c) },
            Event::CaseCreateFailed {
                call: c,
                reason,
                permanent,
            } => Record::CaseCreateFailed {
                call: call(c),
                reason: reason.clone(),
                permanent: *permanent,
            },
            Event::AgentLinkChanged { agent: a, linked } => Record::AgentLinkChanged {
                agent: agent(a),
                linked: *linked,
            },
            Event::ManualCaseRequested { call: c, agent: a } => Record::ManualCaseRequested {
                call: call(c),
                agent: agent(a),
            },
        }
    }
}

impl From<&CallerNumber> for CallerRecord {
    fn from(caller: &CallerNumber) -> CallerRecord {
        match caller {
            CallerNumber::Dialable(number) => CallerRecord::Dialable(number.to_string()),
            CallerNumber::Withheld => CallerRecord::Withheld,
            CallerNumber::Invalid(raw) => CallerRecord::Invalid(raw.clone()),
        }
    }
}

impl From<&ContactRef> for ContactRecord {
    fn from(contact: &ContactRef) -> ContactRecord {
        ContactRecord {
            kind: match contact.kind {
                PartyKind::Contact => PartyKindRecord::Contact,
                PartyKind::Consumer => PartyKindRecord::Consumer,
            },
            id: contact.id.as_str().to_string(),
            name: contact.name.clone(),
            account: contact.account.as_ref().map(|a| AccountRecord {
                id: a.id.as_str().to_string(),
                name: a.name.clone(),
            }),
        }
    }
}

impl From<&CaseRef> for CaseRecord {
    fn from(case: &CaseRef) -> CaseRecord {
        CaseRecord {
            id: case.id.as_str().to_string(),
            label: case.label.clone(),
        }
    }
}

/// An agent id as journalled (`<tenant>:<agent>`).
fn agent_from(text: String) -> Result<AgentId, String> {
    AgentId::parse(&text).map_err(|e| e.to_string())
}

impl Record {
    fn into_event(self) -> Result<Event, String> {
        Ok(match self {
            Record::CallOffered {
                call,
                tenant,
                direction,
                customer,
                agent,
            } => Event::CallOffered {
                call: CallId::new(call),
                tenant: TenantId::new(tenant),
                direction: match direction {
                    DirectionRecord::Inbound => Direction::Inbound,
                    DirectionRecord::Outbound => Direction::Outbound,
                },
                customer: customer.into_caller()?,
                agent: agent_from(agent)?,
            },
            Record::AgentAnswered { call, agent } => Event::AgentAnswered {
                call: CallId::new(call),
                agent: agent_from(agent)?,
            },
            Record::Connected { call, agent } => Event::Connected {
                call: CallId::new(call),
                agent: agent_from(agent)?,
            },
            Record::Transferred { call, from, to } => Event::Transferred {
                call: CallId::new(call),
                from: agent_from(from)?,
                to: match to {
                    TransferRecord::Agent(agent) => TransferTarget::Agent(agent_from(agent)?),
                    TransferRecord::Queue(queue) => TransferTarget::Queue(QueueId::new(queue)),
                },
            },
            Record::Held { call } => Event::Held {
                call: CallId::new(call),
            },
            Record::Resumed { call } => Event::Resumed {
                call: CallId::new(call),
            },
            Record::Ended { call, cause } => Event::Ended {
                call: CallId::new(call),
                cause: match cause {
                    EndCauseRecord::CustomerHungUp => EndCause::CustomerHungUp,
                    EndCauseRecord::AgentHungUp => EndCause::AgentHungUp,
                    EndCauseRecord::Abandoned => EndCause::Abandoned,
                    EndCauseRecord::Failed(detail) => EndCause::Failed(detail),
                },
            },
            Record::RecordingReady { call, recording } => Event::RecordingReady {
                call: CallId::new(call),
                recording: RecordingLocator::new(recording),
            },
            Record::LookupCompleted {
                call,
                agent,
                result,
            } => Event::LookupCompleted {
                call: CallId::new(call),
                agent: agent_from(agent)?,
                result: match result {
                    LookupRecord::Matches(contacts) => LookupResult::Matches(
                        contacts
                            .into_iter()
                            .map(ContactRecord::into_contact)
                            .collect(),
                    ),
                    LookupRecord::Failed(LookupFailureRecord::RelinkRequired) => {
                        LookupResult::Failed(LookupFailure::RelinkRequired)
                    }
                    LookupRecord::Failed(LookupFailureRecord::Unavailable(detail)) => {
                        LookupResult::Failed(LookupFailure::Unavailable(detail))
                    }
                },
            },
            Record::ContactChosen {
                call,
                agent,
                contact,
            } => Event::ContactChosen {
                call: CallId::new(call),
                agent: agent_from(agent)?,
                contact: contact.into_contact(),
            },
            Record::CaseCreated { call, case } => Event::CaseCreated {
                call: CallId::new(call),
                case: case.into_case(),
            },
            Record::CaseFound { call, case } => Event::CaseFound {
                call: CallId::new(call),
                case: case.into_case(),
            },
            Record::CaseNotFound { call } => Event::CaseNotFound {
                call: CallId::new(call),
            },
            Record::CaseCreateFailed {
                call,
                reason,
                permanent,
            } => Event::CaseCreateFailed {
                call: CallId::new(call),
                reason,
                permanent,
            },
            Record::AgentLinkChanged { agent, linked } => Event::AgentLinkChanged {
                agent: agent_from(agent)?,
                linked,
            },
            Record::ManualCaseRequested { call, agent } => Event::ManualCaseRequested {
                call: CallId::new(call),
                agent: agent_from(agent)?,
            },
        })
    }
}

impl CallerRecord {
    fn into_caller(self) -> Result<CallerNumber, String> {
        Ok(match self {
            // Validated when it was written; should the numbering data have changed since, the
            // call still replays, only without a lookup.
            CallerRecord::Dialable(number) => match E164::parse(&number) {
                Ok(number) => CallerNumber::Dialable(number),
                Err(error) => CallerNumber::Invalid(error.to_string()),
            },
            CallerRecord::Withheld => CallerNumber::Withheld,
            CallerRecord::Invalid(raw) => CallerNumber::Invalid(raw),
        })
    }
}

impl ContactRecord {
    fn into_contact(self) -> ContactRef {
        ContactRef {
            kind: match self.kind {
                PartyKindRecord::Contact => PartyKind::Contact,
                PartyKindRecord::Consumer => PartyKind::Consumer,
            },
            id: RecordId::new(self.id),
            name: self.name,
            account: self.account.map(|a| AccountRef {
                id: RecordId::new(a.id),
                name: a.name,
            }),
        }
    }
}

impl CaseRecord {
    fn into_case(self) -> CaseRef {
        CaseRef {
            id: RecordId::new(self.id),
            label: self.label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_version_and_read_back() {
        let event = Event::Connected {
            call: "c1".into(),
            agent: AgentId::parse("acme:alice").unwrap(),
        };
        let row = encode(&event);
        assert_eq!(
            row,
            r#"{"v":1,"type":"connected","call":"c1","agent":"acme:alice"}"#
        );
        assert_eq!(decode(&row), Ok(event));
    }

    #[test]
    fn unknown_versions_kinds_and_garbage_are_reported_not_guessed() {
        assert_eq!(
            decode(r#"{"v":2,"type":"connected","call":"c1","agent":"acme:alice"}"#),
            Err(JournalError::UnknownVersion {
                found: "2".to_string()
            })
        );
        assert_eq!(
            decode(r#"{"v":"one","type":"held","call":"c1"}"#),
            Err(JournalError::UnknownVersion {
                found: "\"one\"".to_string()
            })
        );
        assert_eq!(
            decode(r#"{"v":1,"type":"call_parked","call":"c1"}"#),
            Err(JournalError::UnknownKind("call_parked".to_string()))
        );
        assert!(matches!(
            decode(r#"{"v":1,"type":"connected","call":"c1"}"#),
            Err(JournalError::Invalid { kind, .. }) if kind == "connected"
        ));
        assert!(matches!(
            decode("not json"),
            Err(JournalError::Malformed(_))
        ));
        assert!(matches!(decode("[1]"), Err(JournalError::Malformed(_))));
        let message = decode(r#"{"v":7,"type":"held","call":"c1"}"#)
            .unwrap_err()
            .to_string();
        assert!(message.contains("version 7"), "{message}");
    }
}
