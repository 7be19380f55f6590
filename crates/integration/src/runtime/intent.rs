//! The CRM writes the engine asks for, as the outbox keeps them: one enum, written and read
//! here only, so the executor that enqueues an intent and the worker that performs it cannot
//! disagree about its shape.
//!
//! A row is `(kind, payload)`: the kind names the write (`create_case`, `update_case_parties`,
//! `add_wrap_up_note`) and the payload carries its data and the payload's format version (`"v"`). Rows written before
//! the version existed have version 1's fields without `"v"` and are read as version 1; a newer
//! version or an unknown kind is refused with an error naming it, and the worker dead-letters
//! the row with that reason instead of guessing.

use callbridge_core::{
    AgentId, CallId, CaseFields, CaseRef, CaseTrigger, PartyRefs, TenantId, WorkNote,
};
use callbridge_store::OutboxItem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const CREATE_CASE: &str = "create_case";
pub const UPDATE_CASE_PARTIES: &str = "update_case_parties";
/// Added after version 1's kinds: older builds refuse such a row by its kind (dead-lettered with
/// "unknown outbox kind"), never misread it.
pub const ADD_WRAP_UP_NOTE: &str = "add_wrap_up_note";

/// The suffix of an after-call note's idempotency key (`<call id>:wrap_up`): one note per call.
pub const WRAP_UP_KEY_SUFFIX: &str = ":wrap_up";

/// The payload version [`Intent::into_item`] writes.
pub const VERSION: u64 = 1;

/// One CRM write the engine asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Create the call's Case (unique per call: the row's key is the call id).
    CreateCase {
        call: CallId,
        trigger: CaseTrigger,
        /// Boxed: the Case's content is much larger than the other intents.
        fields: Box<CaseFields>,
    },
    /// Set the person references of the call's Case.
    UpdateCaseParties {
        call: CallId,
        case: CaseRef,
        party: PartyRefs,
    },
    /// Write the agent's after-call work to the call's Case as one work note (unique per call:
    /// the row's key is `<call id>:wrap_up`).
    AddWrapUpNote {
        call: CallId,
        /// Who submitted it: told `written` or `failed` when the write is over.
        agent: AgentId,
        case: CaseRef,
        note: WorkNote,
    },
}

/// Why an outbox row cannot be read as an [`Intent`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntentError {
    #[error("unknown outbox kind {0}")]
    UnknownKind(String),
    #[error(
        "outbox payload version {0} is not known to this build (it reads versions up to \
         {VERSION}); it was written by a newer Callbridge"
    )]
    UnknownVersion(String),
    #[error("unreadable payload: {0}")]
    Unreadable(String),
}

#[derive(Serialize, Deserialize)]
struct CreateCasePayload {
    call: CallId,
    trigger: CaseTrigger,
    fields: CaseFields,
}

#[derive(Serialize, Deserialize)]
struct UpdateCasePartiesPayload {
    call: CallId,
    case: CaseRef,
    party: PartyRefs,
}

#[derive(Serialize, Deserialize)]
struct AddWrapUpNotePayload {
    call: CallId,
    agent: AgentId,
    case: CaseRef,
    note: String,
}

#[derive(Serialize)]
struct Versioned<T> {
    v: u64,
    #[serde(flatten)]
    body: T,
}

impl Intent {
    /// The row's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Intent::CreateCase { .. } => CREATE_CASE,
            Intent::UpdateCaseParties { .. } => UPDATE_CASE_PARTIES,
            Intent::AddWrapUpNote { .. } => ADD_WRAP_UP_NOTE,
        }
    }

    /// The call the write is for.
    pub fn call(&self) -> &CallId {
        match self {
            Intent::CreateCase { call, .. }
            | Intent::UpdateCaseParties { call, .. }
            | Intent::AddWrapUpNote { call, .. } => call,
        }
    }

    /// The row's idempotency key: the call id (a wrap-up note: `<call id>:wrap_up`).
    pub fn key(&self) -> String {
        match self {
            Intent::AddWrapUpNote { call, .. } => format!("{call}{WRAP_UP_KEY_SUFFIX}"),
            _ => self.call().as_str().to_string(),
        }
    }

    /// The outbox row for `tenant`, unique per (tenant, kind, key).
    pub fn into_item(self, tenant: &TenantId) -> OutboxItem {
        let kind = self.kind();
        let key = self.key();
        let payload = match self {
            Intent::CreateCase {
                call,
                trigger,
                fields,
            } => versioned(CreateCasePayload {
                call,
                trigger,
                fields: *fields,
            }),
            Intent::UpdateCaseParties { call, case, party } => {
                versioned(UpdateCasePartiesPayload { call, case, party })
            }
            Intent::AddWrapUpNote {
                call,
                agent,
                case,
                note,
            } => versioned(AddWrapUpNotePayload {
                call,
                agent,
                case,
                note: note.as_str().to_string(),
            }),
        };
        OutboxItem::new(tenant.as_str(), kind, key, payload)
    }

    /// Reads a row, whichever version wrote it.
    pub fn read(kind: &str, payload: &Value) -> Result<Intent, IntentError> {
        match payload.get("v") {
            None => {}
            Some(v) if v.as_u64().is_some_and(|v| (1..=VERSION).contains(&v)) => {}
            Some(other) => return Err(IntentError::UnknownVersion(other.to_string())),
        }
        let unreadable = |e: serde_json::Error| IntentError::Unreadable(e.to_string());
        match kind {
            CREATE_CASE => {
                let p = CreateCasePayload::deserialize(payload).map_err(unreadable)?;
                Ok(Intent::CreateCase {
                    call: p.call,
                    trigger: p.trigger,
                    fields: Box::new(p.fields),
                })
            }
            UPDATE_CASE_PARTIES => {
                let p = UpdateCasePartiesPayload::deserialize(payload).map_err(unreadable)?;
                Ok(Intent::UpdateCaseParties {
                    call: p.call,
                    case: p.case,
                    party: p.party,
                })
            }
            ADD_WRAP_UP_NOTE => {
                let p = AddWrapUpNotePayload::deserialize(payload).map_err(unreadable)?;
                Ok(Intent::AddWrapUpNote {
                    call: p.call,
                    agent: p.agent,
                    case: p.case,
                    note: WorkNote::from_stored(p.note),
                })
            }
            other => Err(IntentError::UnknownKind(other.to_string())),
        }
    }
}

fn versioned<T: Serialize>(body: T) -> Value {
    serde_json::to_value(Versioned { v: VERSION, body }).expect("outbox payloads serialise")
}

/// The call id in a row's payload, when it has one (to report a write that cannot be read).
pub fn call_of(payload: &Value) -> Option<CallId> {
    payload.get("call").and_then(Value::as_str).map(CallId::new)
}

#[cfg(test)]
mod tests {
    use callbridge_core::{AgentId, CallerNumber, Direction, RecordId, E164};
    use serde_json::json;

    use super::*;

    fn fields() -> CaseFields {
        CaseFields {
            caller: CallerNumber::Dialable(E164::parse("+442071234567").unwrap()),
            recording_link: "https://cb.example.com/recordings/call-1".into(),
            party: PartyRefs {
                contact: Some(RecordId::new("6816f79cc0a8016401c5a33be04be441")),
                consumer: None,
                account: Some(RecordId::new("86837a386f0331003b3c498f5d3ee4ca")),
            },
            assigned_agent: AgentId::parse("acme:alice").unwrap(),
            direction: Direction::Inbound,
            short_description: "Phone call (inbound) with +442071234567".into(),
        }
    }

    /// Rows exactly as the version before this enum wrote them (`json!` in the executor).
    #[test]
    fn rows_in_the_previous_shape_still_read() {
        let create = json!({
            "call": "call-1",
            "trigger": {"kind": "manual", "requested_by": "acme:alice"},
            "fields": {
                "caller": {"kind": "dialable", "value": "+442071234567"},
                "recording_link": "https://cb.example.com/recordings/call-1",
                "party": {
                    "contact": "6816f79cc0a8016401c5a33be04be441",
                    "consumer": null,
                    "account": "86837a386f0331003b3c498f5d3ee4ca"
                },
                "assigned_agent": "acme:alice",
                "direction": "inbound",
                "short_description": "Phone call (inbound) with +442071234567"
            }
        });
        assert_eq!(
            Intent::read(CREATE_CASE, &create),
            Ok(Intent::CreateCase {
                call: CallId::new("call-1"),
                trigger: CaseTrigger::Manual {
                    requested_by: AgentId::parse("acme:alice").unwrap()
                },
                fields: Box::new(fields()),
            })
        );
        let update = json!({
            "call": "call-1",
            "case": {"id": "46d44a23a9fe19810012d100cca80666", "label": "CS0001234"},
            "party": {"contact": null, "consumer": "a1b2c3", "account": null}
        });
        assert_eq!(
            Intent::read(UPDATE_CASE_PARTIES, &update),
            Ok(Intent::UpdateCaseParties {
                call: CallId::new("call-1"),
                case: CaseRef {
                    id: RecordId::new("46d44a23a9fe19810012d100cca80666"),
                    label: "CS0001234".into(),
                },
                party: PartyRefs {
                    contact: None,
                    consumer: Some(RecordId::new("a1b2c3")),
                    account: None,
                },
            })
        );
    }

    #[test]
    fn intents_are_written_with_their_version_and_read_back() {
        let tenant = TenantId::new("acme");
        let intent = Intent::CreateCase {
            call: CallId::new("call-1"),
            trigger: CaseTrigger::Automatic,
            fields: Box::new(fields()),
        };
        let item = intent.clone().into_item(&tenant);
        assert_eq!(
            (
                item.tenant.as_str(),
                item.kind.as_str(),
                item.idempotency_key.as_str()
            ),
            ("acme", CREATE_CASE, "call-1")
        );
        assert_eq!(item.payload["v"], 1);
        assert_eq!(item.payload["call"], "call-1");
        assert_eq!(item.payload["trigger"]["kind"], "automatic");
        assert_eq!(Intent::read(&item.kind, &item.payload), Ok(intent));
    }

    #[test]
    fn a_wrap_up_note_is_keyed_by_call_and_wrap_up_and_read_back() {
        let tenant = TenantId::new("acme");
        let intent = Intent::AddWrapUpNote {
            call: CallId::new("call-1"),
            agent: AgentId::parse("acme:alice").unwrap(),
            case: CaseRef {
                id: RecordId::new("46d44a23a9fe19810012d100cca80666"),
                label: "CS0001234".into(),
            },
            note: WorkNote::from_stored("Disposition: Resolved (resolved)".into()),
        };
        let item = intent.clone().into_item(&tenant);
        assert_eq!(
            (item.kind.as_str(), item.idempotency_key.as_str()),
            (ADD_WRAP_UP_NOTE, "call-1:wrap_up")
        );
        assert_eq!(
            item.payload,
            json!({"v": 1, "call": "call-1", "agent": "acme:alice",
                   "case": {"id": "46d44a23a9fe19810012d100cca80666", "label": "CS0001234"},
                   "note": "Disposition: Resolved (resolved)"})
        );
        assert_eq!(Intent::read(&item.kind, &item.payload), Ok(intent));
        assert_eq!(call_of(&item.payload), Some(CallId::new("call-1")));
    }

    #[test]
    fn unknown_kinds_versions_and_shapes_are_named() {
        assert_eq!(
            Intent::read("close_case", &json!({"call": "c1"})),
            Err(IntentError::UnknownKind("close_case".into()))
        );
        let error = Intent::read(CREATE_CASE, &json!({"v": 2, "call": "c1"})).unwrap_err();
        assert_eq!(error, IntentError::UnknownVersion("2".into()));
        assert!(error.to_string().contains("version 2"), "{error}");
        assert!(matches!(
            Intent::read(UPDATE_CASE_PARTIES, &json!({"call": "c1"})),
            Err(IntentError::Unreadable(_))
        ));
        assert_eq!(call_of(&json!({"call": "c1"})), Some(CallId::new("c1")));
    }
}
