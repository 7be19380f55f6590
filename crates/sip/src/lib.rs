//! The SIP trunk adapter: rsipstack wrapped behind typed events and commands (UDP and TCP).
//!
//! Customers reach the contact center through a carrier's SIP trunk; this crate is that
//! carrier-facing signalling. [`SipEndpoint::start`] binds the listeners and returns a stream
//! of [`SipEvent`]s (a call arrives, is confirmed, cancelled, hung up, re-INVITEd, ...); the
//! runtime answers with commands on the endpoint (`ringing`, `answer`, `reject`, `hang_up`,
//! `invite`). SDP is carried as opaque text; the media crate parses it.
//!
//! rsipstack does transactions, retransmissions, dialogs, CANCEL matching and digest
//! authentication. In front of it sits a gate (`screen`): per-source flood limiting, and a
//! strict inspection ([`inspect_message`]) that answers a request missing Call-ID, CSeq,
//! From, To or Via, or with a lying Content-Length, with `400 <what was wrong>` where the
//! stack alone would drop it silently. No rsipstack type appears in this crate's API.

mod caller;
mod config;
mod dispatch;
mod dtmf;
mod endpoint;
mod error;
mod event;
mod flood;
mod inspect;
mod legs;
mod lifecycle;
mod outbound;
mod screen;
mod status;
mod tcp_gate;
mod transport;

pub use config::{DigestCredentials, OutboundInvite, SipConfig, Transport, TrunkTarget};
pub use endpoint::{LocalAddrs, SipEndpoint};
pub use error::{Defect, SipError};
pub use event::{IncomingCall, LegId, ReinviteReply, SipEvent};
pub use flood::{FloodLimit, SourceLogThrottle};
pub use inspect::{inspect_message, MessageKind, MessageSummary};
pub use screen::GateCounters;
pub use tcp_gate::TcpLimits;
