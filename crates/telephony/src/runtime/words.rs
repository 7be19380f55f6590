//! What the runtime tells agents, in words, and the check on numbers they dial.

use callbridge_core::{CallerNumber, EndCause};
use callbridge_phone::{classify, CallerId, Region, E164};
use callbridge_switchboard::{AgentState, StopRinging};

use crate::softphone::protocol::ServerMessage;

/// The number an agent typed, as E.164, or why it cannot be dialled.
pub fn dialable(typed: &str, region: Region) -> Result<E164, String> {
    let shown: String = typed.chars().take(40).collect();
    match classify(typed, region) {
        CallerId::Dialable(number) => Ok(number),
        CallerId::Withheld => Err("type the number to call".to_string()),
        CallerId::Invalid { reason, .. } => Err(format!("{shown:?} cannot be dialled: {reason}")),
    }
}

/// The caller id an outbound call presents: the trunk's own, or the one the agent asked for when
/// the trunk allows a caller id per call (`caller_id_per_call`), read like a dialled number (a
/// national number in the tenant's region).
pub fn presented_caller_id(
    trunk_caller_id: &E164,
    per_call_allowed: bool,
    requested: Option<&str>,
    region: Region,
) -> Result<E164, String> {
    let Some(requested) = requested else {
        return Ok(trunk_caller_id.clone());
    };
    if !per_call_allowed {
        return Err(
            "a caller id of your own choice is not allowed for your contact center \
                    (its trunk does not set caller_id_per_call): dial without caller_id"
                .to_string(),
        );
    }
    let shown: String = requested.chars().take(40).collect();
    match classify(requested, region) {
        CallerId::Dialable(number) => Ok(number),
        CallerId::Withheld => {
            Err("the caller id is empty: give a number, or leave caller_id out".to_string())
        }
        CallerId::Invalid { reason, .. } => Err(format!(
            "the caller id {shown:?} cannot be presented: {reason}"
        )),
    }
}

/// Why the softphone stopped ringing: the `reason` code and the words.
pub fn stop_ringing(why: StopRinging) -> (&'static str, &'static str) {
    match why {
        StopRinging::NotAnswered => (
            "not_answered",
            "The call was not answered in time and moved to another agent.",
        ),
        StopRinging::Declined => ("declined", "You declined the call."),
        StopRinging::CustomerHungUp => ("customer_hung_up", "The caller hung up."),
        StopRinging::CallEnded => ("call_ended", "The call ended."),
        StopRinging::AgentOffline => ("agent_offline", "Your softphone went offline."),
    }
}

/// Why an answered call ended: the `cause` code and the words. A failure's detail is for the
/// logs (it may name internals), so the agent gets a fixed sentence. `agent_lost`: the agent's
/// softphone did not come back within the grace period.
pub fn call_ended(cause: &EndCause, agent_lost: bool) -> (&'static str, &'static str) {
    if agent_lost {
        return (
            "agent_lost",
            "Your softphone was away too long; the call ended.",
        );
    }
    match cause {
        EndCause::CustomerHungUp | EndCause::Abandoned => {
            ("customer_hung_up", "The customer hung up.")
        }
        EndCause::AgentHungUp => ("agent_hung_up", "You hung up."),
        EndCause::Failed(_) => (
            "failed",
            "The call was cut off by a network or audio failure.",
        ),
    }
}

/// The customer as a softphone shows it, and its kind: the number when there is a usable
/// one, otherwise a fixed phrase (the raw caller ID is attacker-controlled and never shown).
pub fn customer(number: &CallerNumber) -> (String, &'static str) {
    let kind = match number.lookup_number() {
        Ok(_) => "number",
        Err(callbridge_core::NoLookupReason::Withheld) => "withheld",
        Err(callbridge_core::NoLookupReason::Unusable) => "unknown",
    };
    (number.for_display().to_string(), kind)
}

/// The `agent_state` message for `state`.
pub fn agent_state(state: &AgentState, detail: String) -> ServerMessage {
    ServerMessage::AgentState {
        state: state_word(state).into(),
        call: state.call().map(|c| c.to_string()),
        reason: match state {
            AgentState::Unavailable { reason } => Some(reason.clone()),
            _ => None,
        },
        detail,
    }
}

/// A wall time as RFC 3339 (UTC), or None if it is out of range.
pub fn rfc3339(at: callbridge_kernel::time::WallTime) -> Option<String> {
    let nanos = i128::from(at.as_millis()) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

/// The `call_snapshot` message for a call that waits for its reconnecting agent, sent at `now`;
/// `grace_ends_at` is the wall time its grace period ends. The CRM side is left empty for the
/// web edge.
pub fn call_snapshot(
    resumed: &callbridge_switchboard::ResumedCall,
    now: callbridge_kernel::time::WallTime,
    grace_ends_at: callbridge_kernel::time::WallTime,
) -> ServerMessage {
    let (customer, customer_kind) = customer(&resumed.customer);
    ServerMessage::CallSnapshot {
        call: resumed.call.to_string(),
        direction: resumed.direction.to_string(),
        customer,
        customer_kind,
        queue: resumed.queue.as_ref().map(|q| q.to_string()),
        answered_at: rfc3339(resumed.since).unwrap_or_default(),
        elapsed_ms: now.as_millis().saturating_sub(resumed.since.as_millis()),
        held: resumed.held,
        grace_ends_at: rfc3339(grace_ends_at).unwrap_or_default(),
        crm: Box::default(),
    }
}

/// The `wrap_up` message: after-call work for `call` until `ends_at` (wall time), `left` from
/// now.
pub fn wrap_up(
    call: &callbridge_core::CallId,
    ends_at: callbridge_kernel::time::WallTime,
    left: std::time::Duration,
) -> ServerMessage {
    ServerMessage::WrapUp {
        call: call.to_string(),
        case: None,
        ends_at: rfc3339(ends_at),
        ends_in_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The agent's state as one word for the softphone's status display.
pub fn state_word(state: &AgentState) -> &'static str {
    match state {
        AgentState::Offline => "offline",
        AgentState::Available { .. } => "available",
        AgentState::Unavailable { .. } => "unavailable",
        AgentState::Ringing { .. } => "ringing",
        AgentState::Dialing { .. } => "dialing",
        AgentState::OnCall { .. } => "on_call",
        AgentState::WrapUp { .. } => "wrap_up",
    }
}

#[cfg(test)]
mod wrap_up_tests {
    use super::*;

    #[test]
    fn the_wrap_up_message_says_until_when_in_rfc3339() {
        let message = wrap_up(
            &callbridge_core::CallId::new("c-100"),
            callbridge_kernel::time::WallTime::from_millis(1_796_533_830_000),
            std::time::Duration::from_millis(25_000),
        );
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            serde_json::json!({"type": "wrap_up", "call": "c-100", "case": null,
                               "ends_at": "2026-12-06T05:10:30Z", "ends_in_ms": 25_000})
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_id_per_call_is_presented_only_where_the_trunk_allows_it() {
        let trunk = E164::parse("+81312345000").unwrap();
        let jp = Region::parse("JP").unwrap();
        assert_eq!(presented_caller_id(&trunk, false, None, jp).unwrap(), trunk);
        assert_eq!(presented_caller_id(&trunk, true, None, jp).unwrap(), trunk);
        let refused = presented_caller_id(&trunk, false, Some("+819012345678"), jp).unwrap_err();
        assert!(refused.contains("caller_id_per_call"), "{refused}");
        assert_eq!(
            presented_caller_id(&trunk, true, Some("090-1234-5678"), jp)
                .unwrap()
                .as_str(),
            "+819012345678"
        );
        let bad = presented_caller_id(&trunk, true, Some("<script>"), jp).unwrap_err();
        assert!(bad.contains("cannot be presented"), "{bad}");
        assert!(presented_caller_id(&trunk, true, Some(""), jp).is_err());
    }

    #[test]
    fn the_customer_is_a_number_withheld_or_unknown_and_never_the_raw_caller_id() {
        let number = CallerNumber::Dialable(E164::parse("+819012345678").unwrap());
        assert_eq!(customer(&number), ("+819012345678".into(), "number"));
        assert_eq!(
            customer(&CallerNumber::Withheld),
            ("withheld number".into(), "withheld")
        );
        let hostile = CallerNumber::Invalid("<script>".into());
        assert_eq!(customer(&hostile), ("unknown number".into(), "unknown"));
        // A caller ID can no longer be mislabelled dialable: a dialable number is an `E164`.
        assert!(E164::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn typed_numbers_become_e164_in_the_tenants_region_or_say_why_not() {
        let us = Region::parse("US").unwrap();
        assert_eq!(
            dialable("(202) 555-0143", us).unwrap().as_str(),
            "+12025550143"
        );
        assert_eq!(
            dialable("+81 3-1234-5678", us).unwrap().as_str(),
            "+81312345678"
        );
        assert!(dialable("", us).is_err());
        let e = dialable("12;drop", us).unwrap_err();
        assert!(e.starts_with("\"12;drop\" cannot be dialled"), "{e}");
    }
}
