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
//!
//! # Design
//!
//! - **One task and one UDP port per trunk leg and per agent session.** The kernel
//!   demultiplexes (no session lookup per packet), sessions spread over every core, and each
//!   task owns its hot-path state outright: no lock is taken per packet. A shared port would
//!   save file descriptors but put every session behind one socket and one demultiplexer.
//! - **Bridging is a pair of bounded channels** made at `connect` and handed to both tasks;
//!   frames are fixed-size values (no allocation in our code per packet). A full channel or a
//!   full recording tap drops the packet (counted) rather than delaying the call.
//! - **Prompts are prepared once** (ringback generated, WAV files decoded to PCMU on first
//!   use) and shared between calls; each call only keeps a position.
//! - Every method of [`Media`] must be called from within a Tokio runtime (tasks are spawned
//!   on it).

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
