//! What the runtime tells agents, in words, and the check on numbers they dial.

use callbridge_phone::{classify, CallerId, Region};
use callbridge_switchboard::{AgentState, StopRinging};

/// The number an agent typed, as E.164, or why it cannot be dialled.
pub fn dialable(typed: &str, region: Region) -> Result<String, String> {
    let shown: String = typed.chars().take(40).collect();
    match classify(typed, region) {
        CallerId::Dialable(number) => Ok(number.as_str().to_string()),
        CallerId::Withheld => Err("type the number to call".to_string()),
        CallerId::Invalid { reason, .. } => Err(format!("{shown:?} cannot be dialled: {reason}")),
    }
}

/// Why the softphone stopped ringing.
pub fn stop_ringing(why: StopRinging) -> &'static str {
    match why {
        StopRinging::NotAnswered => "The call was not answered in time and moved to another agent.",
        StopRinging::Declined => "You declined the call.",
        StopRinging::CustomerHungUp => "The caller hung up.",
        StopRinging::CallEnded => "The call ended.",
        StopRinging::AgentOffline => "Your softphone went offline.",
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
mod tests {
    use super::*;

    #[test]
    fn typed_numbers_become_e164_in_the_tenants_region_or_say_why_not() {
        let us = Region::parse("US").unwrap();
        assert_eq!(dialable("(202) 555-0143", us).unwrap(), "+12025550143");
        assert_eq!(dialable("+81 3-1234-5678", us).unwrap(), "+81312345678");
        assert!(dialable("", us).is_err());
        let e = dialable("12;drop", us).unwrap_err();
        assert!(e.starts_with("\"12;drop\" cannot be dialled"), "{e}");
    }
}
