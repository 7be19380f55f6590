//! The softphone's WebSocket messages (JSON text frames, one message each, `type` names the
//! message). `docs/softphone-protocol.md` is the reference for UI authors; this module is the
//! parser that treats every frame as hostile until it has a type.

use callbridge_core::{CallId, ContactRef};
use callbridge_switchboard::UnavailableReason;
use serde::{Deserialize, Serialize};

/// The largest message a softphone may send. A browser's SDP offer is 3-8 kB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// The largest message the connection reads at all: anything from [`MAX_FRAME_BYTES`] up to
/// this is read and answered with an `error`; beyond it the connection is closed (code 1009),
/// so a hostile client cannot make the server buffer without bound.
pub const MAX_ACCEPTED_BYTES: usize = 1024 * 1024;

/// What a softphone asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Start (or restart) the agent's persistent audio session: the browser's WebRTC offer,
    /// as `RTCSessionDescription` JSON (`{"type":"offer","sdp":"..."}`).
    MediaOffer { offer: serde_json::Value },
    /// Ready for calls, or not (with a reason the supervisor sees, e.g. "break").
    SetAvailability {
        available: bool,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Take the call that is ringing.
    Answer { call: CallId },
    /// Pass on the ringing call.
    Decline { call: CallId },
    /// End the call (or stop dialling).
    HangUp { call: CallId },
    /// Call a customer (click-to-dial): digits with an optional `+` and common punctuation.
    /// `caller_id` (E.164) is presented instead of the trunk's `caller_id`, only where the
    /// tenant's trunk allows it (`caller_id_per_call`).
    Dial {
        number: String,
        #[serde(default)]
        caller_id: Option<String>,
    },
    /// Hand the call to another agent or a queue.
    Transfer { call: CallId, to: TransferTo },
    /// Put the customer on hold (`on: true`) or take them off it.
    Hold { call: CallId, on: bool },
    /// The agent picked a contact in the chooser or created one.
    ChooseContact { call: CallId, contact: ContactRef },
    /// Create the call's Case now (when it was not created automatically).
    CreateCase { call: CallId },
    /// The agent's after-call work for a call: a disposition code (or none) and notes, written
    /// once to the call's Case. The web edge takes it (answered with `wrap_up_status`).
    SubmitWrapUp {
        call: CallId,
        #[serde(default)]
        disposition: Option<String>,
        #[serde(default)]
        notes: String,
    },
    /// Keep-alive; answered with `pong`. A struct variant, not a unit one: serde's
    /// `deny_unknown_fields` does not reach a unit variant of an internally tagged enum, and
    /// `{"type":"ping","x":1}` must be refused like any other unknown field.
    Ping {},
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TransferTo {
    Agent(String),
    Queue(String),
}

/// What telephony tells a softphone. The web edge adds the CRM's news (`crm` messages) itself,
/// for every agent whatever the source of the call, so they are not telephony's to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message after the connection is accepted.
    Welcome {
        tenant: String,
        agent: String,
        queues: Vec<String>,
    },
    /// The agent's queues changed while connected (telephony reconfigured): they replace the
    /// welcome's.
    Queues {
        queues: Vec<String>,
    },
    /// The answer to `media_offer`, for `setRemoteDescription`.
    MediaAnswer {
        answer: serde_json::Value,
    },
    /// The agent's audio session is up (or went down).
    Media {
        connected: bool,
    },
    /// The agent's routing state, in words.
    AgentState {
        state: String,
        /// The call the state is about (ringing, dialing, on a call).
        call: Option<String>,
        /// Why the agent is unavailable (`{"kind":"missed_call"}`, ...); null in other states.
        reason: Option<UnavailableReason>,
        detail: String,
    },
    /// A call is ringing at this agent.
    Ringing {
        call: String,
        direction: String,
        /// The customer as it can be shown: see `customer_kind`.
        customer: String,
        /// `number` (`customer` is the number), `withheld` or `unknown` (the caller ID is not
        /// a phone number; its text is never shown).
        customer_kind: &'static str,
        queue: Option<String>,
        /// The colleague who transferred the call here.
        transferred_by: Option<String>,
    },
    /// A call's progress, in words the agent can act on.
    CallStatus {
        call: String,
        status: &'static str,
        /// Machine-readable why (for `ring_stopped`: `not_answered`, `declined`, ...).
        reason: &'static str,
        detail: String,
    },
    /// The answered call this agent was connected to (or holding) is over.
    CallEnded {
        call: String,
        /// `customer_hung_up`, `agent_hung_up` or `failed`.
        cause: &'static str,
        detail: String,
    },
    /// The agent is in after-call work for `call` (comes after the `agent_state` `wrap_up`).
    WrapUp {
        call: String,
        /// The call's Case; always null today (the `crm` `show_case` notice gave it).
        case: Option<serde_json::Value>,
        /// RFC 3339: when the server makes the agent available by itself.
        ends_at: Option<String>,
        /// How long until then when this was sent (ms): the countdown, free of any difference
        /// between the browser's clock and ours.
        ends_in_ms: u64,
    },
    /// After `welcome`, on a connection of an agent whose softphone went away during a call
    /// that still waits for them (a reload, a blip, another tab): the call, to redraw it.
    CallSnapshot {
        call: String,
        direction: String,
        /// The customer as it can be shown: see `customer_kind`.
        customer: String,
        customer_kind: &'static str,
        queue: Option<String>,
        /// RFC 3339: when this agent was connected to the call.
        answered_at: String,
        /// How long this agent had been connected to the call when this was sent (ms): the
        /// call timer, free of any difference between the browser's clock and ours.
        elapsed_ms: u64,
        held: bool,
        /// RFC 3339: when the call ends unless the agent's audio is back (`media_offer`).
        grace_ends_at: String,
        /// The call's CRM side (contact, chooser, Case or why none); the web edge fills it in
        /// from the CRM engine, which telephony does not ask.
        #[serde(flatten)]
        crm: Box<callbridge_core::CrmRedraw>,
    },
    /// A request could not be carried out, and why.
    Error {
        message: String,
    },
    Pong,
}

/// A frame that is not a message we understand, explained for the UI's developer.
pub fn parse_client_message(frame: &str) -> Result<ClientMessage, String> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(format!(
            "the message is {} bytes; the limit is {MAX_FRAME_BYTES}",
            frame.len()
        ));
    }
    serde_json::from_str(frame).map_err(|e| format!("not a softphone message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrap_up_parses_with_or_without_a_disposition() {
        assert_eq!(
            parse_client_message(
                r#"{"type":"submit_wrap_up","call":"c1","disposition":"resolved","notes":"ok"}"#
            )
            .unwrap(),
            ClientMessage::SubmitWrapUp {
                call: CallId::new("c1"),
                disposition: Some("resolved".into()),
                notes: "ok".into()
            }
        );
        assert_eq!(
            parse_client_message(r#"{"type":"submit_wrap_up","call":"c1","disposition":null}"#)
                .unwrap(),
            ClientMessage::SubmitWrapUp {
                call: CallId::new("c1"),
                disposition: None,
                notes: String::new()
            }
        );
    }

    #[test]
    fn messages_parse_by_type() {
        assert_eq!(
            parse_client_message(r#"{"type":"answer","call":"c1"}"#).unwrap(),
            ClientMessage::Answer {
                call: CallId::new("c1")
            }
        );
        assert_eq!(
            parse_client_message(r#"{"type":"transfer","call":"c1","to":{"queue":"sales"}}"#)
                .unwrap(),
            ClientMessage::Transfer {
                call: CallId::new("c1"),
                to: TransferTo::Queue("sales".into())
            }
        );
        assert_eq!(
            parse_client_message(
                r#"{"type":"set_availability","available":false,"reason":"break"}"#
            )
            .unwrap(),
            ClientMessage::SetAvailability {
                available: false,
                reason: Some("break".into())
            }
        );
        assert_eq!(
            parse_client_message(r#"{"type":"ping"}"#).unwrap(),
            ClientMessage::Ping {}
        );
    }

    #[test]
    fn junk_is_explained_not_obeyed() {
        let e = parse_client_message(r#"{"type":"format_disk"}"#).unwrap_err();
        assert!(e.contains("unknown variant `format_disk`"), "{e}");
        let e = parse_client_message(r#"{"type":"answer"}"#).unwrap_err();
        assert!(e.contains("missing field `call`"), "{e}");
        let e = parse_client_message(r#"{"type":"ping","x":1}"#).unwrap_err();
        assert!(e.contains("unknown field `x`"), "{e}");
        let e = parse_client_message(r#"{"type":"answer","call":"c1","admin":true}"#).unwrap_err();
        assert!(e.contains("unknown field `admin`"), "{e}");
        let e = parse_client_message("not json").unwrap_err();
        assert!(e.starts_with("not a softphone message"), "{e}");
        let huge = format!(
            r#"{{"type":"dial","number":"{}"}}"#,
            "1".repeat(MAX_FRAME_BYTES)
        );
        assert!(parse_client_message(&huge).unwrap_err().contains("limit"));
    }

    #[test]
    fn server_messages_serialise_with_their_type() {
        let m = ServerMessage::CallStatus {
            call: "c1".into(),
            status: "ring_stopped",
            reason: "declined",
            detail: "You declined the call.".into(),
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"call_status","call":"c1","status":"ring_stopped","reason":"declined","detail":"You declined the call."}"#
        );
    }
}
