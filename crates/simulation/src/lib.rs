//! Dev-only: the switchboard, the core engine and a fake CRM run together in virtual time.
//!
//! Each machine has its own tests; this crate checks the rules that only hold across them,
//! the way quinn-proto's `Pair` drives two sans-IO endpoints: no sockets, no tasks, no real
//! clock. [`World`] owns both machines and delivers the switchboard's
//! `Output::Integration` events to the engine (as the runtime's feed does), the engine's CRM
//! commands to a [`FakeCrm`] that answers after a virtual latency or fails during outage
//! windows, and scripted agents' and customers' actions back to the switchboard. The clock
//! jumps to whatever is due next, so a whole day runs in about a second, and a seed decides
//! everything, so a failure is replayed by its seed.
//!
//! The rules checked ([`check`]): every call ends exactly once with exactly one call-detail
//! record; at most one Case per call; one Case per connected call whose first answerer was
//! linked, and none (with the agents told why) when they were not, even after a transfer; no
//! agent is offered a call while they are not free.

mod crm;
mod ledger;
mod rng;
mod world;

pub use crm::{FakeCrm, Outage};
pub use ledger::{check, summary, unlinked_first_then_transferred, Ledger, Violation};
pub use world::{Scenario, World};
