//! The switchboard: every agent, queue and call of a process, driven by `(now, input)`.
//!
//! The work is split by subject: `agents.rs` (presence), `inbound.rs` (queues, offers, answers),
//! `outbound.rs` (click-to-dial), `in_call.rs` (transfer, hold, hang-up) and `ending.rs` (the
//! single place a call ends). This file holds the state, the entry points and the queries.

mod agents;
mod ending;
mod grace;
mod in_call;
mod inbound;
mod outbound;
mod reconfigure;

pub use grace::{ResumedCall, Resumption};
pub use reconfigure::Memberships;

use std::collections::{BTreeMap, BTreeSet};

use callbridge_core::{AgentId, CallId, QueueId, TenantId, Timestamp};
use callbridge_kernel::time::{Now, WallTime};

use crate::agent::{Agent, AgentState};
use crate::call::{Call, CallView};
use crate::config::{ConfigError, SwitchboardConfig};
use crate::input::Input;
use crate::output::Output;
use crate::queues::Queues;
use crate::refusal::Refusal;
use crate::timers::{Timer, Timers};

/// Counters of what the switchboard ignored or refused, for diagnostics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwitchboardStats {
    /// Inputs about call ids the switchboard never saw.
    pub ignored_unknown_call: u64,
    /// Inputs about calls that already ended (late or duplicated).
    pub ignored_ended_call: u64,
    /// Inputs that no longer apply to the call's or agent's state (duplicates, races).
    pub ignored_stale: u64,
    /// Inputs about agents who are not logged in (other than requests, which are refused).
    pub ignored_unknown_agent: u64,
    /// Agent requests turned down (each produced an [`Output::Refused`]).
    pub refusals: u64,
    /// Calls that ended (each produced exactly one `Ended` and one record).
    pub calls_ended: u64,
}

/// How busy a queue is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStatus {
    /// Agents logged in to the queue, whatever their state.
    pub logged_in: usize,
    /// Agents available for its calls now.
    pub available: usize,
    /// Calls waiting (not counting calls ringing an agent).
    pub waiting: usize,
}

/// The sans-IO call router.
///
/// Feed it with [`handle`](Switchboard::handle); when [`poll_timeout`](Switchboard::poll_timeout)
/// is reached, call [`handle_timeout`](Switchboard::handle_timeout). Both return the outputs to
/// execute, in order. Time only moves forward: a `now` earlier than one already seen counts as
/// that one.
#[derive(Debug)]
pub struct Switchboard {
    config: SwitchboardConfig,
    /// The latest monotonic reading: every timer and deadline runs on it.
    now: Timestamp,
    /// The latest wall reading: only call-detail records carry it.
    wall: WallTime,
    queues: Queues,
    /// Settings of queues removed by [`reconfigure`](Switchboard::reconfigure) while calls from
    /// them were still ringing or connected: their treatment and wrap-up still apply to those.
    retired: BTreeMap<crate::config::QueueKey, crate::config::QueueConfig>,
    agents: BTreeMap<AgentId, Agent>,
    calls: BTreeMap<CallId, Call>,
    /// Ended calls remembered for a while, so late inputs cannot start them again.
    ended: BTreeSet<CallId>,
    /// Calls that ended while their agent's softphone was away: what the agent's next
    /// connection is told (until they log in again, or `ended_call_memory` passes).
    farewells: BTreeMap<AgentId, grace::Farewell>,
    timers: Timers,
    /// Source of unique ids for rings, queue stays, wrap-ups and tie-breaks.
    sequence: u64,
    stats: SwitchboardStats,
}

impl Switchboard {
    /// A switchboard with no agents and no calls.
    pub fn new(config: SwitchboardConfig) -> Result<Self, ConfigError> {
        let queues = Queues::new(config.index_queues()?);
        Ok(Switchboard {
            config,
            now: Timestamp::ZERO,
            wall: WallTime::UNIX_EPOCH,
            queues,
            retired: BTreeMap::new(),
            agents: BTreeMap::new(),
            calls: BTreeMap::new(),
            ended: BTreeSet::new(),
            farewells: BTreeMap::new(),
            timers: Timers::default(),
            sequence: 0,
            stats: SwitchboardStats::default(),
        })
    }

    /// Processes one input and returns what to do, in order.
    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Output> {
        self.advance(now);
        let mut out = Vec::new();
        match input {
            Input::AgentOnline {
                agent,
                tenant,
                queues,
                available,
            } => self.agent_online(agent, tenant, queues, available, &mut out),
            Input::SetAvailable { agent } => self.set_available(agent, &mut out),
            Input::SetUnavailable { agent, reason } => {
                self.set_unavailable(agent, reason, &mut out)
            }
            Input::AgentOffline { agent } => self.agent_offline(agent, &mut out),
            Input::AgentLost { agent } => self.agent_lost(agent, &mut out),
            Input::InboundCall {
                call,
                tenant,
                queue,
                customer,
                dialled,
            } => self.inbound_call(call, tenant, queue, customer, dialled, &mut out),
            Input::Answer { agent, call } => self.answer(agent, call, &mut out),
            Input::Decline { agent, call } => self.decline(agent, call, &mut out),
            Input::Dial { agent, call, to } => self.dial(agent, call, to, &mut out),
            Input::OutboundRinging { call } => self.outbound_ringing(call, &mut out),
            Input::OutboundAnswered { call } => self.outbound_answered(call, &mut out),
            Input::OutboundFailed { call, failure } => {
                self.outbound_failed(call, failure, &mut out)
            }
            Input::Transfer { agent, call, to } => self.transfer(agent, call, to, &mut out),
            Input::Hold { agent, call } => self.hold(agent, call, true, &mut out),
            Input::Resume { agent, call } => self.hold(agent, call, false, &mut out),
            Input::AgentHangUp { agent, call } => self.agent_hang_up(agent, call, &mut out),
            Input::CustomerHungUp { call } => self.customer_hung_up(call, &mut out),
            Input::PromptFinished { call } => self.prompt_finished(call, &mut out),
            Input::MediaTimeout { call, leg } => self.media_timeout(call, leg, &mut out),
            Input::TrunkFailed { call, detail } => self.trunk_failed(call, detail, &mut out),
        }
        out
    }

    /// The next instant at which [`handle_timeout`](Switchboard::handle_timeout) has work to do.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.next()
    }

    /// Runs every deadline due at `now`: ring timeouts, maximum waits, outbound answer timeouts,
    /// the ends of wrap-ups and of grace periods, and forgetting ended calls.
    pub fn handle_timeout(&mut self, now: Now) -> Vec<Output> {
        self.advance(now);
        let mut out = Vec::new();
        while let Some(timer) = self.timers.pop_due(self.now) {
            match timer {
                Timer::Ring { call, ring_id } => self.ring_timed_out(call, ring_id, &mut out),
                Timer::MaxWait { call, visit } => self.max_wait_reached(call, visit, &mut out),
                Timer::OutboundAnswer { call } => self.outbound_not_answered(call, &mut out),
                Timer::WrapUp { agent, wrap_up_id } => {
                    self.wrap_up_over(agent, wrap_up_id, &mut out)
                }
                Timer::Forget { call } => {
                    self.ended.remove(&call);
                }
                Timer::Grace { agent, lost_id } => self.grace_over(agent, lost_id, &mut out),
                Timer::Farewell { agent, farewell_id } => {
                    if self
                        .farewells
                        .get(&agent)
                        .is_some_and(|f| f.id == farewell_id)
                    {
                        self.farewells.remove(&agent);
                    }
                }
            }
        }
        out
    }

    /// Takes the clocks' readings: the monotonic one only moves forward (an earlier reading
    /// counts as the latest), the wall one is taken as it is, since records should say what the
    /// wall clock said.
    fn advance(&mut self, now: Now) {
        self.now = self.now.max(now.monotonic);
        self.wall = now.wall;
    }

    /// Both readings, for records.
    fn clock(now: Timestamp, wall: WallTime) -> Now {
        Now::new(now, wall)
    }

    // ----- queries ----------------------------------------------------------------------------

    /// The latest time the switchboard was given.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// What the agent is doing (`Offline` if not logged in).
    pub fn agent_state(&self, agent: &AgentId) -> AgentState {
        self.agents
            .get(agent)
            .map(|a| a.state.clone())
            .unwrap_or(AgentState::Offline)
    }

    /// The queues a logged-in agent serves.
    pub fn agent_queues(&self, agent: &AgentId) -> Option<&[QueueId]> {
        self.agents.get(agent).map(|a| a.queues.as_slice())
    }

    /// A call in progress.
    pub fn call(&self, call: &CallId) -> Option<CallView> {
        self.calls.get(call).map(Call::view)
    }

    /// The agent who answered the call first, while the call is in progress.
    pub fn first_answerer(&self, call: &CallId) -> Option<AgentId> {
        self.calls.get(call)?.cdr.first_agent.clone()
    }

    /// The agent who holds the call now (connected to it, or holding it).
    pub fn holder(&self, call: &CallId) -> Option<AgentId> {
        self.calls.get(call)?.holder().cloned()
    }

    /// Whether the call ended recently enough that its id is still remembered.
    pub fn has_ended(&self, call: &CallId) -> bool {
        self.ended.contains(call)
    }

    /// How busy a queue is, if it exists.
    pub fn queue_status(&self, tenant: &TenantId, queue: &QueueId) -> Option<QueueStatus> {
        self.queues.get(tenant, queue).map(|q| QueueStatus {
            logged_in: q.members.len(),
            available: q.idle.len(),
            waiting: q.waiting.len(),
        })
    }

    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Logged-in agents.
    pub fn online_agents(&self) -> usize {
        self.agents.len()
    }

    /// Deadlines pending (diagnostics).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    /// What the switchboard ignored or refused so far.
    pub fn stats(&self) -> &SwitchboardStats {
        &self.stats
    }

    // ----- helpers shared by the submodules ---------------------------------------------------

    fn next_id(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    fn refuse(
        &mut self,
        agent: AgentId,
        call: Option<CallId>,
        refusal: Refusal,
        out: &mut Vec<Output>,
    ) {
        self.stats.refusals += 1;
        out.push(Output::Refused {
            agent,
            call,
            refusal,
        });
    }

    /// Counts an input about a call that is not in progress, and refuses it if an agent asked.
    fn missing_call(&mut self, call: &CallId, requester: Option<&AgentId>, out: &mut Vec<Output>) {
        if self.ended.contains(call) {
            self.stats.ignored_ended_call += 1;
        } else {
            self.stats.ignored_unknown_call += 1;
        }
        if let Some(agent) = requester {
            self.refuse(
                agent.clone(),
                Some(call.clone()),
                Refusal::CallNotFound { call: call.clone() },
                out,
            );
        }
    }
}
