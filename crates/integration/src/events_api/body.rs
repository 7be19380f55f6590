//! The wire form of a call event and its translation into the core's [`Event`]. Everything a
//! PBX sends is checked here; the caller ID is classified with the tenant's default region and
//! only a validated E.164 number ever travels further.

use callbridge_core::{
    CallId, CallerNumber, Direction, EndCause, Event, QueueId, RecordingLocator, TenantId,
    TransferTarget,
};
use callbridge_phone::{classify, CallerId, Region};
use serde::Deserialize;

use crate::agents::{agent_id, valid_local_name};

/// One call event as a PBX posts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEventBody {
    /// Unique per event (the PBX's own id); a repeated id is acknowledged and ignored.
    pub event_id: String,
    pub call_id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The agent the event is about (offered, answered, connected; the transferring agent for
    /// transferred).
    pub agent: Option<String>,
    /// offered: `inbound` (default) or `outbound`.
    pub direction: Option<Direction>,
    /// offered: the customer's number as received (From / P-Asserted-Identity user part).
    pub caller: Option<String>,
    /// transferred: exactly one of these.
    pub to_agent: Option<String>,
    pub to_queue: Option<String>,
    /// ended: why.
    pub cause: Option<Cause>,
    pub detail: Option<String>,
    /// recording_ready: where the recording is stored.
    pub recording: Option<String>,
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

/// Call ids end up in the Case's correlation column (max length 100 on a stock instance) and in
/// recording links; 64 leaves room and keeps links short.
const MAX_CALL_ID: usize = 64;
const MAX_EVENT_ID: usize = 128;

impl CallEventBody {
    pub fn into_event(self, tenant: &TenantId, region: Region) -> Result<Event, BodyError> {
        check_id("event_id", &self.event_id, MAX_EVENT_ID)?;
        check_id("call_id", &self.call_id, MAX_CALL_ID)?;
        let call = CallId::new(self.call_id.clone());
        let agent = |field: &'static str, value: &Option<String>| {
            let name = value
                .as_deref()
                .ok_or_else(|| bad(field, "required for this event type"))?;
            if !valid_local_name(name) {
                return Err(bad(field, "use 1-64 letters, digits, '.', '_', '-' or '@'"));
            }
            Ok(agent_id(tenant, name))
        };
        Ok(match self.kind {
            EventKind::Offered => {
                let raw = self.caller.as_deref().unwrap_or("");
                Event::CallOffered {
                    call,
                    tenant: tenant.clone(),
                    direction: self.direction.unwrap_or(Direction::Inbound),
                    customer: caller_number(raw, region),
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
                        check_id("to_queue", queue, MAX_EVENT_ID)?;
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
            EventKind::Ended => Event::Ended {
                call,
                cause: match self
                    .cause
                    .ok_or_else(|| bad("cause", "required for ended"))?
                {
                    Cause::CustomerHungUp => EndCause::CustomerHungUp,
                    Cause::AgentHungUp => EndCause::AgentHungUp,
                    Cause::Abandoned => EndCause::Abandoned,
                    Cause::Failed => EndCause::Failed(
                        self.detail.unwrap_or_default().chars().take(200).collect(),
                    ),
                },
            },
            EventKind::RecordingReady => {
                let recording = self
                    .recording
                    .ok_or_else(|| bad("recording", "required for recording_ready"))?;
                if recording.is_empty() || recording.len() > 1024 {
                    return Err(bad(
                        "recording",
                        "give the recording's location, at most 1024 characters",
                    ));
                }
                Event::RecordingReady {
                    call,
                    recording: RecordingLocator::new(recording),
                }
            }
        })
    }
}

/// The caller ID as the core sees it: only a validated E.164 number is dialable.
pub fn caller_number(raw: &str, region: Region) -> CallerNumber {
    match classify(raw, region) {
        CallerId::Dialable(e164) => CallerNumber::Dialable(e164.as_str().to_string()),
        CallerId::Withheld => CallerNumber::Withheld,
        CallerId::Invalid { reason, .. } => CallerNumber::Invalid(reason.to_string()),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(customer, CallerNumber::Dialable("+81312345678".into()));
        assert_eq!(agent.as_str(), "acme:alice");
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
