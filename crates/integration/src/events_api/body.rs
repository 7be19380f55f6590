//! The wire form of a call event and its translation into the core's [`Event`]. Everything a
//! PBX sends is checked here, against exactly the rules `docs/openapi/call-events.yaml` states
//! (per event type: which fields are required and which are allowed; lengths; patterns), so a
//! body the schema accepts is accepted and one it refuses is refused. The caller ID is classified
//! with the tenant's default region and only a validated E.164 number ever travels further.

use callbridge_core::{
    AccountRef, AgentId, CallId, CallerNumber, ContactRef, Direction, EndCause, Event, PartyKind,
    QueueId, RecordId, RecordingLocator, TenantId, TransferTarget,
};
use callbridge_phone::{classify, Region};
use serde::{Deserialize, Deserializer};

/// One call event as a PBX posts it. Every optional field may be absent but never `null`: the
/// schema types them as strings (or objects), so `null` is refused like any other wrong type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEventBody {
    /// Unique per event within the tenant (the PBX's own id); see `docs/openapi/call-events.yaml`
    /// for how long ids are remembered and what a reused id gets.
    pub event_id: String,
    pub call_id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The agent the event is about (offered, answered, connected; the transferring agent for
    /// transferred; the choosing or requesting agent for contact_chosen and case_requested).
    #[serde(default, deserialize_with = "present")]
    pub agent: Option<String>,
    /// offered: `inbound` (default) or `outbound`.
    #[serde(default, deserialize_with = "present")]
    pub direction: Option<Direction>,
    /// offered: the customer's number as received (From / P-Asserted-Identity user part).
    #[serde(default, deserialize_with = "present")]
    pub caller: Option<String>,
    /// transferred: exactly one of these.
    #[serde(default, deserialize_with = "present")]
    pub to_agent: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub to_queue: Option<String>,
    /// ended: why.
    #[serde(default, deserialize_with = "present")]
    pub cause: Option<Cause>,
    #[serde(default, deserialize_with = "present")]
    pub detail: Option<String>,
    /// recording_ready: where the recording is stored.
    #[serde(default, deserialize_with = "present")]
    pub recording: Option<String>,
    /// contact_chosen: the record the agent chose, as the `crm` chooser notice listed it.
    #[serde(default, deserialize_with = "present")]
    pub contact: Option<ContactBody>,
}

/// A field that is there must hold a value: `null` fails like a wrong type would.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A CRM person record as a chooser notice gives it (`kind`, `id`, `name`, `account`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub kind: PartyKind,
    pub id: String,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    /// `null` when the contact has no account, as the notice gives it.
    #[serde(default)]
    pub account: Option<AccountBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    pub id: String,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Offered,
    Answered,
    Connected,
    Transferred,
    Held,
    Resumed,
    Ended,
    RecordingReady,
    ContactChosen,
    CaseRequested,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Offered => "offered",
            EventKind::Answered => "answered",
            EventKind::Connected => "connected",
            EventKind::Transferred => "transferred",
            EventKind::Held => "held",
            EventKind::Resumed => "resumed",
            EventKind::Ended => "ended",
            EventKind::RecordingReady => "recording_ready",
            EventKind::ContactChosen => "contact_chosen",
            EventKind::CaseRequested => "case_requested",
        }
    }

    /// The optional fields this type uses besides `event_id`, `call_id` and `type`: (required,
    /// allowed). The schema's per-type variants list the same.
    fn fields(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            EventKind::Offered => (&["agent"], &["agent", "direction", "caller"]),
            EventKind::Answered | EventKind::Connected | EventKind::CaseRequested => {
                (&["agent"], &["agent"])
            }
            // Exactly one of to_agent and to_queue is checked where the target is built.
            EventKind::Transferred => (&["agent"], &["agent", "to_agent", "to_queue"]),
            EventKind::Held | EventKind::Resumed => (&[], &[]),
            EventKind::Ended => (&["cause"], &["cause", "detail"]),
            EventKind::RecordingReady => (&["recording"], &["recording"]),
            EventKind::ContactChosen => (&["agent", "contact"], &["agent", "contact"]),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    CustomerHungUp,
    AgentHungUp,
    Abandoned,
    Failed,
}

/// What was wrong with a body, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BodyError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> BodyError {
    BodyError {
        field,
        message: message.into(),
    }
}

/// Ids the PBX chooses: printable ASCII without spaces, at most `max` characters.
fn check_id(field: &'static str, value: &str, max: usize) -> Result<(), BodyError> {
    if value.is_empty() || value.len() > max || !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad(
            field,
            format!("use 1-{max} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

/// Free text with a length limit counted in characters, as JSON Schema's `maxLength` counts.
fn check_text(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), BodyError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(bad(
            field,
            format!("{n} characters; use {min}-{max} characters"),
        ));
    }
    Ok(())
}

/// Call ids end up in the Case's correlation column (max length 100 on a stock instance) and in
/// recording links; 64 leaves room and keeps links short.
const MAX_CALL_ID: usize = 64;
const MAX_EVENT_ID: usize = 128;
const MAX_QUEUE: usize = 128;
/// A caller ID as received is a SIP user part: 64 characters is far beyond any real number.
const MAX_CALLER: usize = 64;
const MAX_DETAIL: usize = 200;
const MAX_RECORDING: usize = 1024;
const MAX_NAME: usize = 256;

/// A CRM record id as ServiceNow gives it (a sys_id): 32 lowercase hexadecimal digits.
fn check_record_id(field: &'static str, value: &str) -> Result<RecordId, BodyError> {
    if value.len() != 32 || !value.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(bad(
            field,
            "give the record's sys_id as the chooser listed it: 32 lowercase hexadecimal digits",
        ));
    }
    Ok(RecordId::new(value))
}

impl CallEventBody {
    /// The names of the optional fields this body carries.
    fn present_fields(&self) -> Vec<&'static str> {
        let mut present = Vec::new();
        let mut note = |name: &'static str, there: bool| {
            if there {
                present.push(name);
            }
        };
        note("agent", self.agent.is_some());
        note("direction", self.direction.is_some());
        note("caller", self.caller.is_some());
        note("to_agent", self.to_agent.is_some());
        note("to_queue", self.to_queue.is_some());
        note("cause", self.cause.is_some());
        note("detail", self.detail.is_some());
        note("recording", self.recording.is_some());
        note("contact", self.contact.is_some());
        present
    }

    /// Refuses a field the event type does not use, and names a required one that is missing.
    fn check_fields(&self) -> Result<(), BodyError> {
        let kind = self.kind.name();
        let (required, allowed) = self.kind.fields();
        let present = self.present_fields();
        if let Some(extra) = present.iter().find(|f| !allowed.contains(f)) {
            let uses = if allowed.is_empty() {
                "no fields besides event_id, call_id and type".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(bad(
                extra,
                format!("not used by {kind} events (they take {uses}); remove it"),
            ));
        }
        if let Some(missing) = required.iter().find(|f| !present.contains(f)) {
            return Err(bad(missing, format!("required for {kind} events")));
        }
        Ok(())
    }

    pub fn into_event(self, tenant: &TenantId, region: Region) -> Result<Event, BodyError> {
        check_id("event_id", &self.event_id, MAX_EVENT_ID)?;
        check_id("call_id", &self.call_id, MAX_CALL_ID)?;
        self.check_fields()?;
        let call = CallId::new(self.call_id.clone());
        let agent = |field: &'static str, value: &Option<String>| {
            let name = value
                .as_deref()
                .ok_or_else(|| bad(field, "required for this event type"))?;
            AgentId::in_tenant(tenant, name)
                .map_err(|_| bad(field, "use 1-64 letters, digits, '.', '_', '-' or '@'"))
        };
        Ok(match self.kind {
            EventKind::Offered => {
                let raw = self.caller.as_deref().unwrap_or("");
                check_text("caller", raw, 0, MAX_CALLER)?;
                Event::CallOffered {
                    call,
                    tenant: tenant.clone(),
                    direction: self.direction.unwrap_or(Direction::Inbound),
                    customer: CallerNumber::from(classify(raw, region)),
                    agent: agent("agent", &self.agent)?,
                }
            }
            EventKind::Answered => Event::AgentAnswered {
                call,
                agent: agent("agent", &self.agent)?,
            },
            EventKind::Connected => Event::Connected {
                call,
                agent: agent("agent", &self.agent)?,
            },
            EventKind::Transferred => {
                let to = match (&self.to_agent, &self.to_queue) {
                    (Some(_), None) => TransferTarget::Agent(agent("to_agent", &self.to_agent)?),
                    (None, Some(queue)) => {
                        check_id("to_queue", queue, MAX_QUEUE)?;
                        TransferTarget::Queue(QueueId::new(queue.clone()))
                    }
                    _ => return Err(bad("to_agent", "give exactly one of to_agent and to_queue")),
                };
                Event::Transferred {
                    call,
                    from: agent("agent", &self.agent)?,
                    to,
                }
            }
            EventKind::Held => Event::Held { call },
            EventKind::Resumed => Event::Resumed { call },
            EventKind::Ended => {
                let detail = self.detail.unwrap_or_default();
                check_text("detail", &detail, 0, MAX_DETAIL)?;
                Event::Ended {
                    call,
                    cause: match self.cause.ok_or_else(|| bad("cause", "required"))? {
                        Cause::CustomerHungUp => EndCause::CustomerHungUp,
                        Cause::AgentHungUp => EndCause::AgentHungUp,
                        Cause::Abandoned => EndCause::Abandoned,
                        Cause::Failed => EndCause::Failed(detail),
                    },
                }
            }
            EventKind::RecordingReady => {
                let recording = self.recording.unwrap_or_default();
                check_text("recording", &recording, 1, MAX_RECORDING)?;
                Event::RecordingReady {
                    call,
                    recording: RecordingLocator::new(recording),
                }
            }
            EventKind::ContactChosen => {
                let chosen = self.contact.ok_or_else(|| bad("contact", "required"))?;
                Event::ContactChosen {
                    agent: agent("agent", &self.agent)?,
                    call,
                    contact: chosen.into_contact()?,
                }
            }
            EventKind::CaseRequested => Event::ManualCaseRequested {
                agent: agent("agent", &self.agent)?,
                call,
            },
        })
    }
}

impl ContactBody {
    fn into_contact(self) -> Result<ContactRef, BodyError> {
        let name = self.name.unwrap_or_default();
        check_text("contact.name", &name, 0, MAX_NAME)?;
        let account = match self.account {
            Some(account) => {
                let account_name = account.name.unwrap_or_default();
                check_text("contact.account.name", &account_name, 0, MAX_NAME)?;
                Some(AccountRef {
                    id: check_record_id("contact.account.id", &account.id)?,
                    name: account_name,
                })
            }
            None => None,
        };
        Ok(ContactRef {
            kind: self.kind,
            id: check_record_id("contact.id", &self.id)?,
            name,
            account,
        })
    }
}

#[cfg(test)]
mod tests {
    use callbridge_core::E164;

    use super::*;

    fn body(json: &str) -> Result<Event, BodyError> {
        let body: CallEventBody = serde_json::from_str(json).expect("json");
        body.into_event(&TenantId::new("acme"), Region::parse("JP").unwrap())
    }

    #[test]
    fn an_offer_classifies_the_caller_in_the_tenant_region() {
        let event = body(r#"{"event_id":"e1","call_id":"c1","type":"offered","agent":"alice","caller":"03-1234-5678"}"#).unwrap();
        let Event::CallOffered {
            customer,
            agent,
            direction,
            ..
        } = event
        else {
            panic!("not an offer")
        };
        assert_eq!(
            customer,
            CallerNumber::Dialable(E164::parse("+81312345678").unwrap())
        );
        assert_eq!(agent.to_string(), "acme:alice");
        assert_eq!(direction, Direction::Inbound);
    }

    #[test]
    fn hostile_caller_ids_never_become_dialable() {
        for caller in [
            "x^NQactive=true",
            "javascript:gs.getUserID()",
            "anonymous",
            "",
        ] {
            let json = format!(
                r#"{{"event_id":"e1","call_id":"c1","type":"offered","agent":"alice","caller":{caller:?}}}"#
            );
            let Event::CallOffered { customer, .. } = body(&json).unwrap() else {
                panic!()
            };
            assert!(
                !matches!(customer, CallerNumber::Dialable(_)),
                "{caller}: {customer:?}"
            );
        }
    }

    fn field_of(json: &str) -> &'static str {
        body(json).unwrap_err().field
    }

    #[test]
    fn ended_requires_a_cause_as_the_schema_says() {
        assert_eq!(
            field_of(r#"{"event_id":"e1","call_id":"c1","type":"ended"}"#),
            "cause"
        );
    }

    #[test]
    fn recording_ready_requires_a_recording_as_the_schema_says() {
        assert_eq!(
            field_of(r#"{"event_id":"e1","call_id":"c1","type":"recording_ready"}"#),
            "recording"
        );
        assert_eq!(
            field_of(r#"{"event_id":"e1","call_id":"c1","type":"recording_ready","recording":""}"#),
            "recording"
        );
    }

    #[test]
    fn caller_longer_than_its_max_length_is_refused() {
        let long = "1".repeat(MAX_CALLER + 1);
        let json = format!(
            r#"{{"event_id":"e1","call_id":"c1","type":"offered","agent":"a","caller":"{long}"}}"#
        );
        assert_eq!(field_of(&json), "caller");
        // maxLength counts characters, not bytes: 64 multi-byte characters are within it.
        let wide = "\u{ff11}".repeat(MAX_CALLER);
        let json = format!(
            r#"{{"event_id":"e1","call_id":"c1","type":"offered","agent":"a","caller":"{wide}"}}"#
        );
        assert!(body(&json).is_ok());
    }

    #[test]
    fn fields_another_event_type_uses_are_refused_by_name() {
        assert_eq!(
            field_of(r#"{"event_id":"e1","call_id":"c1","type":"held","agent":"a"}"#),
            "agent"
        );
        assert_eq!(
            field_of(
                r#"{"event_id":"e1","call_id":"c1","type":"answered","agent":"a","caller":"1"}"#
            ),
            "caller"
        );
    }

    #[test]
    fn null_is_not_an_absent_field() {
        let parsed: Result<CallEventBody, _> = serde_json::from_str(
            r#"{"event_id":"e1","call_id":"c1","type":"offered","agent":null}"#,
        );
        assert!(parsed.is_err());
    }

    #[test]
    fn an_agents_choice_and_case_request_become_core_events() {
        let id = "0123456789abcdef0123456789abcdef";
        let json = format!(
            r#"{{"event_id":"e1","call_id":"c1","type":"contact_chosen","agent":"alice","contact":{{"kind":"contact","id":"{id}","name":"Yui Sato","account":null}}}}"#
        );
        // Passed on exactly as the chooser listed it: `account` is null for a contact without one.
        let Event::ContactChosen { agent, contact, .. } = body(&json).unwrap() else {
            panic!("not a choice")
        };
        assert_eq!(agent.to_string(), "acme:alice");
        assert_eq!(contact.id.as_str(), id);
        assert_eq!(contact.kind, PartyKind::Contact);
        let bad_id = json.replace(id, "x^NQactive=true");
        assert_eq!(field_of(&bad_id), "contact.id");
        let Event::ManualCaseRequested { agent, .. } =
            body(r#"{"event_id":"e2","call_id":"c1","type":"case_requested","agent":"bob"}"#)
                .unwrap()
        else {
            panic!("not a request")
        };
        assert_eq!(agent.to_string(), "acme:bob");
    }

    #[test]
    fn missing_or_malformed_fields_are_named() {
        let err = body(r#"{"event_id":"e1","call_id":"c1","type":"answered"}"#).unwrap_err();
        assert_eq!(err.field, "agent");
        let err = body(r#"{"event_id":"e 1","call_id":"c1","type":"held"}"#).unwrap_err();
        assert_eq!(err.field, "event_id");
        let err = body(r#"{"event_id":"e1","call_id":"c1","type":"transferred","agent":"a","to_agent":"b","to_queue":"q"}"#).unwrap_err();
        assert_eq!(err.field, "to_agent");
        let err =
            body(r#"{"event_id":"e1","call_id":"c1","type":"connected","agent":"acme:alice"}"#)
                .unwrap_err();
        assert_eq!(err.field, "agent");
    }
}
