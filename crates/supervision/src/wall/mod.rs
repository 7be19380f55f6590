//! The supervisor's live wall as a pure state machine.
//!
//! [`Wall::observe`] takes one switchboard [`Output`] and the wall-clock time it was carried
//! out; [`Wall::snapshot`] gives a tenant's whole wall and [`Wall::take_changes`] the rows that
//! changed since it was last called. The runtime that feeds it decides nothing: which output
//! means what is decided here.
//!
//! # Rules
//!
//! - A call **waits** in a queue from [`Output::CallQueued`] until an agent answers it (the
//!   agent's state becomes on-call with it) or it ends; ringing at an agent is still waiting.
//!   The queue's longest wait is its oldest waiting call's.
//! - An **answer** counts once per stay in a queue, for that queue, *in time* when the caller had
//!   waited at most the queue's service-level target (`service_level_secs`). A blind transfer
//!   to a queue is a new stay there.
//! - An **abandon** is a call that ends while waiting in a queue because the customer hung up.
//!   Calls the queue could not serve (overflow, nobody logged in) and failures count as
//!   neither.
//! - **Service level** = answered in time ÷ (answered + abandoned); none before the first.
//! - **Today** is each tenant's day in its time zone ([`TenantSetup::timezone`]): its counts
//!   start at zero at its local midnight ([`Wall::roll_over`] at
//!   [`Wall::next_rollover`]; a count made on a new day resets its queue first, so late calls
//!   never add to yesterday).
//! - An **agent row** holds the state the switchboard last gave the agent, since when (a repeat
//!   of the same state keeps the time), and for ringing, dialling and on-call the call:
//!   direction, the number as agents see it, when the call began, whether it is on hold.
//!   Configured agents are listed from the start (offline); others appear when first seen.
//! - **New settings** ([`Wall::reconfigure`]) add rows for new queues and agents, and take
//!   away at once the rows of queues and tenants they no longer name, and of agents they no
//!   longer list who are logged out; an unlisted agent's row goes when they log out. A queue
//!   gone takes today's counts with it; its last calls count nowhere. The tenants that lost
//!   rows are in [`Wall::take_lost_rows`]: changed rows cannot say that a row went.

mod model;
mod view;

pub use model::{AgentSetup, QueueSetup, TenantSetup, Wall, WallSetup};
pub use view::{AgentRow, CallRow, QueueRow, TenantChanges, TenantWall};

#[cfg(test)]
mod tests;
