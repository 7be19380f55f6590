//! Callbridge's switchboard: the sans-IO call router (ACD) of the contact center.
//!
//! # What it decides
//!
//! - **Agents**: Offline, Available (idle since when they last became available), Unavailable
//!   (with a reason), Ringing, Dialing, OnCall, WrapUp.
//! - **Inbound calls** join their queue and are offered to the *longest-idle available agent*
//!   serving it; a ring timeout moves the call to the next agent (the one who let it ring becomes
//!   Unavailable by default); a decline moves it on without penalty. An agent who becomes
//!   available is offered the *longest-waiting call* among the queues they serve. Callers wait
//!   with ringback (not answered) or music (answered). Full queues, callers who waited too long
//!   and queues nobody is logged in to get the queue's configured treatment: busy, an
//!   announcement then hang-up, or hang-up.
//! - **Answer** bridges the agent and the customer, starts the call's one recording and emits
//!   `AgentAnswered` then `Connected` for the integration engine.
//! - **A lost softphone** ([`Input::AgentLost`]: a reload, a blip, another tab) keeps its agent's
//!   call in progress for a grace period; the agent's next login takes it back.
//! - **Click-to-dial**, **blind transfer** (to an agent or a queue, keeping the call id),
//!   **hold/resume**, **hang-ups and failures**.
//! - A **call-detail record** ([`Cdr`]) when every call ends.
//!
//! # Architecture invariants
//!
//! - **No IO, no clock, no randomness.** [`Switchboard::handle`] takes `(now, input)` and returns
//!   [`Output`]s for the runtime to execute; deadlines come out of
//!   [`Switchboard::poll_timeout`] and are run by [`Switchboard::handle_timeout`]. `now` holds
//!   both clocks' readings ([`Now`](callbridge_kernel::time::Now)): every timer runs on the
//!   monotonic one, and call-detail records carry the wall one (their durations are measured on
//!   the monotonic one), so a step of the system clock moves no deadline.
//! - **Deterministic**: the same inputs at the same times give the same outputs (every collection
//!   iterates in a fixed order; ties are broken by arrival order).
//! - **Every call ends exactly once**, with one `Ended` event and one record, whatever the
//!   duplicates and races (answer after hang-up, a second hang-up, an agent vanishing while
//!   ringing). A call's state lives in one table; the one function that ends a call removes it
//!   from that table first.
//! - **No waiting call while an agent who serves its queue is idle** (after each input's outputs).
//! - Agent requests that cannot be carried out are answered with an [`Output::Refused`] carrying
//!   a typed [`Refusal`] with a message for the agent; runtime inputs that no longer apply are
//!   ignored and counted in [`SwitchboardStats`].
//!
//! # Driving it
//!
//! ```
//! use callbridge_core::{AgentId, CallerNumber, Timestamp, E164};
//! use callbridge_kernel::time::{Now, WallTime};
//! use callbridge_switchboard::{Input, Output, QueueConfig, Switchboard, SwitchboardConfig};
//!
//! let config = SwitchboardConfig {
//!     queues: vec![QueueConfig::new("acme", "support")],
//!     ..SwitchboardConfig::default()
//! };
//! let mut switchboard = Switchboard::new(config).unwrap();
//! let t = Now::new(Timestamp::from_millis(1_000), WallTime::from_millis(1_700_000_000_000));
//! switchboard.handle(t, Input::AgentOnline {
//!     agent: AgentId::parse("acme:ann").unwrap(),
//!     tenant: "acme".into(),
//!     queues: vec!["support".into()],
//!     available: true,
//! });
//! let outputs = switchboard.handle(t, Input::InboundCall {
//!     call: "c1".into(),
//!     tenant: "acme".into(),
//!     queue: "support".into(),
//!     customer: CallerNumber::Dialable(E164::parse("+442071234567").unwrap()),
//!     dialled: "+441134960000".into(),
//! });
//! assert!(outputs.iter().any(|o| matches!(o, Output::RingAgent { .. })));
//! // The runtime executes the outputs and wakes the switchboard at its next deadline.
//! if let Some(due) = switchboard.poll_timeout() {
//!     let wall = WallTime::from_millis(1_700_000_000_000 + due.as_millis() - 1_000);
//!     let _ring_timeout = switchboard.handle_timeout(Now::new(due, wall));
//! }
//! ```

mod agent;
mod call;
mod cdr;
mod config;
mod input;
mod outbound;
mod output;
mod queues;
mod refusal;
mod switchboard;
mod timers;

pub use agent::{AgentState, UnavailableReason};
pub use call::{CallStatus, CallView};
pub use cdr::{Cdr, OfferRecord, OfferResult, Outcome, TransferRecord};
pub use config::{
    ConfigError, MissedCallPolicy, QueueConfig, SwitchboardConfig, Unserved, Waiting,
};
pub use input::{Input, Leg};
pub use outbound::OutboundFailure;
pub use output::{Output, Prompt, StopRinging};
pub use refusal::Refusal;
pub use switchboard::{
    Memberships, QueueStatus, ResumedCall, Resumption, Switchboard, SwitchboardStats,
};
