//! The telephony runtime: wires the switchboard (who rings, who talks) to the SIP trunk, the
//! media relay, call recording, the agents' softphone WebSocket and the integration engine.

pub mod doctor;
pub mod prompt_file;
pub mod prompt_library;
pub mod runtime;
pub mod softphone;

pub use runtime::{Telephony, TelephonyHandle};
