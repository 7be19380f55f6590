//! RTP relay, SDP for the trunk, WebRTC agent sessions on str0m, bridging, prompts and
//! recording taps.
//!
//! Callbridge is a back-to-back user agent. The customer's leg is SIP with plain RTP (PCMU,
//! 20 ms) to a carrier; the agent's leg is WebRTC from the browser (ICE-lite, DTLS-SRTP, PCMU).
//! Audio is relayed, never transcoded. An agent's WebRTC session is persistent (opened at
//! login, kept between calls), so answering only switches where audio goes.
//!
//! - [`rtp`], [`sdp`], [`rewrite`]: sans-IO building blocks (packets, the trunk's SDP, one
//!   continuous outgoing stream across source switches).
//! - [`Media`]: the handle the telephony runtime drives; it runs one task per trunk leg
//!   (`trunk`) and per agent session (`agent`), each owning its UDP port, and reports
//!   [`MediaEvent`]s.
//! - `testing` (feature `testing`): a str0m softphone for other crates' tests and benches.

mod agent;
mod config;
mod events;
mod frame;
mod media;
mod ports;
mod prompt;
pub mod rewrite;
pub mod rtp;
pub mod sdp;
mod tap;
mod trunk;

#[cfg(feature = "testing")]
pub mod testing;

pub use agent::WebRtcError;
pub use config::{ConfigError, MediaConfig};
pub use events::{DisconnectReason, MediaEvent};
pub use frame::{Payload, PayloadKind, MAX_PAYLOAD};
pub use media::{Media, MediaError, TrunkLegInfo};
pub use prompt::{Prompt, PromptError};
pub use tap::{Side, TapPacket, TapSender};

pub use callbridge_core::{AgentId, CallId};
