//! What the wall shows, as plain serialisable rows (the console API's `wall` and `changes`
//! messages, `docs/console-api.md`). Times are milliseconds since the UNIX epoch.

use serde::Serialize;

/// One queue's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueRow {
    pub queue: String,
    /// Calls waiting now (ringing at an agent included).
    pub waiting: u32,
    /// When the longest-waiting call began to wait; none when nobody waits.
    pub longest_waiting_since: Option<u64>,
    /// The queue's service-level target, in seconds.
    pub target_seconds: u64,
    /// Today (UTC): answered calls, those answered within the target, abandoned calls.
    pub answered: u32,
    pub answered_in_time: u32,
    pub abandoned: u32,
    /// `answered_in_time / (answered + abandoned)`, from 0 to 1; none before the first.
    pub service_level: Option<f64>,
}

/// The call an agent is busy with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRow {
    pub id: String,
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// As agents see it: the number, or "withheld number" / "unknown number".
    pub number: String,
    /// When the call began (the customer's wait included).
    pub started_at: u64,
    pub held: bool,
}

/// One agent's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    pub agent: String,
    /// `offline`, `available`, `unavailable`, `ringing`, `dialing`, `on_call` or `wrap_up`.
    pub state: &'static str,
    /// Unavailable only: `away`, `missed_call` or `other`.
    pub reason: Option<&'static str>,
    /// Unavailable for a reason of the agent's own (`other`): its text.
    pub reason_text: Option<String>,
    /// Since when the agent is in this state.
    pub since: u64,
    pub call: Option<CallRow>,
    pub queues: Vec<String>,
}

/// A tenant's whole wall.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenantWall {
    /// The tenant's day (in its time zone) the counts are for, `YYYY-MM-DD`.
    pub day: String,
    pub queues: Vec<QueueRow>,
    pub agents: Vec<AgentRow>,
}

/// The rows of one tenant that changed since the last [`take_changes`](super::Wall::take_changes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenantChanges {
    #[serde(skip)]
    pub tenant: String,
    pub day: String,
    pub queues: Vec<QueueRow>,
    pub agents: Vec<AgentRow>,
}
