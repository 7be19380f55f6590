//! A call in progress survives its agent's softphone going away without signing out (a reload,
//! a network blip, another tab taking over, the audio session dying): the call waits for the
//! grace period with the customer hearing the queue's music, and the agent's next login within
//! it takes the call back. What a reconnecting softphone is told ([`Resumption`]) is decided
//! here too.

use callbridge_core::{AgentId, CallId, CallerNumber, Direction, EndCause, QueueId};
use callbridge_kernel::time::WallTime;

use super::ending::{CustomerLeg, Ending};
use super::Switchboard;
use crate::agent::{AgentState, Lost};
use crate::call::Phase;
use crate::cdr::Outcome;
use crate::output::{Output, Prompt};
use crate::timers::Timer;

/// A call that ended while its agent's softphone was away, kept for their next connection.
#[derive(Clone, Debug)]
pub(crate) struct Farewell {
    pub id: u64,
    pub call: CallId,
    pub cause: EndCause,
    pub agent_lost: bool,
}

/// What a softphone that connects for an agent is told about the agent's call, beyond their
/// state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resumption {
    /// The agent's call waits for them (their softphone went away during it): redraw it, and
    /// the audio is bridged again once their audio session is up.
    Call(ResumedCall),
    /// The call the agent was on ended while their softphone was away.
    Ended {
        call: CallId,
        cause: EndCause,
        /// Ended because the softphone did not come back within the grace period.
        agent_lost: bool,
    },
    /// The agent's softphone went away during their after-call work for `call`, which waits
    /// for them until `ends_at` (monotonic; the switchboard makes them available then if their
    /// audio is back, and logs them out if not).
    WrapUp {
        call: CallId,
        ends_at: callbridge_core::Timestamp,
    },
    /// Nothing to catch up on.
    Nothing,
}

/// The call a reconnecting agent is still on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumedCall {
    pub call: CallId,
    pub direction: Direction,
    pub customer: CallerNumber,
    /// The queue the call belongs to.
    pub queue: Option<QueueId>,
    /// When this agent was connected to it.
    pub since: WallTime,
    pub held: bool,
    /// When the call ends unless the agent's audio is back (monotonic).
    pub grace_until: callbridge_core::Timestamp,
}

impl Switchboard {
    pub(super) fn agent_lost(&mut self, agent: AgentId, out: &mut Vec<Output>) {
        let Some(a) = self.agents.get(&agent) else {
            self.stats.ignored_unknown_agent += 1;
            return;
        };
        if a.lost.is_some() {
            // Already waiting (the audio died, then the socket): the first deadline holds.
            self.stats.ignored_stale += 1;
            return;
        }
        let call_id = match &a.state {
            AgentState::OnCall { call } if !self.config.agent_grace.is_zero() => call.clone(),
            // After-call work waits too: the disposition form comes back with the softphone.
            AgentState::WrapUp { .. } if !self.config.agent_grace.is_zero() => {
                return self.keep_wrap_up(agent);
            }
            // Not talking to anyone: a ringing call moves on at once, an unanswered dial is
            // cancelled, and the agent is logged out, as at a sign-out.
            _ => return self.agent_offline(agent, out),
        };
        let Some(call) = self.calls.get_mut(&call_id) else {
            return self.agent_offline(agent, out);
        };
        let held = match &mut call.phase {
            Phase::Connected {
                agent: holder,
                held,
                away,
                ..
            } if *holder == agent => {
                *away = true;
                *held
            }
            _ => return self.agent_offline(agent, out),
        };
        let queue = call.queue.clone();
        let until = self.now.saturating_add(self.config.agent_grace);
        let id = self.next_id();
        if let Some(a) = self.agents.get_mut(&agent) {
            a.lost = Some(Lost { until, id });
        }
        self.timers.set(
            until,
            Timer::Grace {
                agent: agent.clone(),
                lost_id: id,
            },
        );
        // A held call already hears music; a bridged one hears it instead of the agent, so
        // the customer knows the line is alive and the carrier keeps receiving audio.
        if !held {
            out.push(Output::Unbridge {
                call: call_id.clone(),
            });
            out.push(Output::PlayToCustomer {
                call: call_id,
                prompt: Prompt::Music(queue),
            });
        }
    }

    /// The agent's softphone went away during their after-call work: they stay in it for the
    /// grace period (or until the wrap-up's own end, if sooner), taking no calls.
    fn keep_wrap_up(&mut self, agent: AgentId) {
        let until = self.now.saturating_add(self.config.agent_grace);
        let id = self.next_id();
        if let Some(a) = self.agents.get_mut(&agent) {
            a.lost = Some(Lost { until, id });
        }
        self.timers.set(until, Timer::Grace { agent, lost_id: id });
    }

    /// The agent whose softphone went away logged in again (their audio session is up) within
    /// the grace period: their call is theirs again.
    pub(super) fn agent_returned(&mut self, agent: &AgentId, out: &mut Vec<Output>) {
        let Some(lost) = self.agents.get_mut(agent).and_then(|a| a.lost.take()) else {
            return;
        };
        self.timers.cancel(
            lost.until,
            Timer::Grace {
                agent: agent.clone(),
                lost_id: lost.id,
            },
        );
        let state = self.agent_state(agent);
        let AgentState::OnCall { call: call_id } = &state else {
            let message = format!("You are logged in and {}.", state.describe());
            out.push(Output::AgentUpdate {
                agent: agent.clone(),
                state,
                message,
            });
            return;
        };
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let customer = call.customer.for_display().to_owned();
        let held = match &mut call.phase {
            Phase::Connected { held, away, .. } => {
                *away = false;
                *held
            }
            _ => false,
        };
        let message = if held {
            format!("You are back on your call; {customer} is on hold.")
        } else {
            out.push(Output::Bridge {
                call: call_id.clone(),
                agent: agent.clone(),
            });
            format!("You are back on your call with {customer}.")
        };
        out.push(Output::AgentUpdate {
            agent: agent.clone(),
            state: state.clone(),
            message,
        });
    }

    /// The grace period of the agent's loss `lost_id` is over and they are not back: the call
    /// ends, and the agent is logged out.
    pub(super) fn grace_over(&mut self, agent: AgentId, lost_id: u64, out: &mut Vec<Output>) {
        let current = self
            .agents
            .get(&agent)
            .and_then(|a| a.lost)
            .is_some_and(|l| l.id == lost_id);
        if !current {
            self.stats.ignored_stale += 1;
            return;
        }
        let Some(call) = self.agent_state(&agent).call().cloned() else {
            return self.agent_offline(agent, out);
        };
        let why = format!(
            "the agent's softphone did not come back within {} s",
            self.config.agent_grace.as_secs()
        );
        let ending = Ending {
            cause: EndCause::Failed(why.clone()),
            outcome: Outcome::Failed(why),
            customer: CustomerLeg::RELEASE,
        };
        // The call's end logs the agent out (their softphone is away) and keeps the farewell.
        self.end_call_as(call, ending, None, true, out);
        if self.agents.contains_key(&agent) {
            self.agent_offline(agent, out);
        }
    }

    /// Whether the agent's softphone is away while their call waits.
    pub(super) fn is_lost(&self, agent: &AgentId) -> bool {
        self.agents.get(agent).is_some_and(|a| a.lost.is_some())
    }

    /// Keeps what the agent's next connection is told about `call`, which ended while their
    /// softphone was away.
    pub(super) fn farewell(
        &mut self,
        agent: &AgentId,
        call: CallId,
        cause: EndCause,
        agent_lost: bool,
    ) {
        let id = self.next_id();
        self.farewells.insert(
            agent.clone(),
            Farewell {
                id,
                call,
                cause,
                agent_lost,
            },
        );
        self.timers.set(
            self.now.saturating_add(self.config.ended_call_memory),
            Timer::Farewell {
                agent: agent.clone(),
                farewell_id: id,
            },
        );
    }

    /// What a softphone connecting for `agent` now is told about their call: the call that
    /// waits for them, the after-call work that waits for them, or how the call ended while
    /// they were away, or nothing.
    pub fn resumption(&self, agent: &AgentId) -> Resumption {
        if let Some(a) = self.agents.get(agent) {
            if let (Some(_), AgentState::WrapUp { until }, Some(call)) =
                (a.lost, &a.state, &a.wrap_up_call)
            {
                return Resumption::WrapUp {
                    call: call.clone(),
                    ends_at: *until,
                };
            }
            if let (Some(lost), AgentState::OnCall { call }) = (a.lost, &a.state) {
                if let Some(c) = self.calls.get(call) {
                    if let Phase::Connected { held, since, .. } = &c.phase {
                        return Resumption::Call(ResumedCall {
                            call: call.clone(),
                            direction: c.direction,
                            customer: c.customer.clone(),
                            queue: c.queue.clone(),
                            since: *since,
                            held: *held,
                            grace_until: lost.until,
                        });
                    }
                }
            }
        }
        match self.farewells.get(agent) {
            Some(f) => Resumption::Ended {
                call: f.call.clone(),
                cause: f.cause.clone(),
                agent_lost: f.agent_lost,
            },
            None => Resumption::Nothing,
        }
    }
}
