//! Agents' presence: logging in and out, availability, wrap-up, and the agent side of routing
//! (an agent who becomes available is offered the longest-waiting call they serve).

use std::time::Duration;

use callbridge_core::{AgentId, CallId, QueueId, TenantId, Timestamp};

use super::Switchboard;
use crate::agent::{Agent, AgentState, UnavailableReason};
use crate::output::Output;
use crate::refusal::Refusal;
use crate::timers::Timer;

impl Switchboard {
    pub(super) fn agent_online(
        &mut self,
        agent: AgentId,
        tenant: TenantId,
        mut queues: Vec<QueueId>,
        available: bool,
        out: &mut Vec<Output>,
    ) {
        if self.agents.get(&agent).is_some_and(|a| a.tenant != tenant) {
            return self.refuse(agent, None, Refusal::TenantMismatch, out);
        }
        if let Some(unknown) = queues.iter().find(|q| !self.queues.contains(&tenant, q)) {
            let refusal = Refusal::UnknownQueue {
                queue: unknown.clone(),
            };
            return self.refuse(agent, None, refusal, out);
        }
        queues.sort();
        queues.dedup();
        let returning = self.agents.contains_key(&agent);
        if !returning {
            self.agents.insert(
                agent.clone(),
                Agent {
                    tenant: tenant.clone(),
                    queues: Vec::new(),
                    state: AgentState::Offline,
                    idle_key: None,
                    wrap_up_id: 0,
                    wrap_up_call: None,
                    resume_since: None,
                    lost: None,
                },
            );
        }
        let left = self.set_queues(&agent, queues);
        if !returning {
            // A new login: what the agent's connections were told about an older call is moot.
            self.farewells.remove(&agent);
        }
        if returning && self.agents.get(&agent).is_some_and(|a| a.lost.is_some()) {
            self.agent_returned(&agent, out);
            // Back and available (the queues this login names may hold a waiting call).
            self.offer_waiting_call(&agent, out);
        } else if returning {
            // A reconnecting softphone keeps the agent's state; confirm it to the new session.
            let state = self.agent_state(&agent);
            let message = format!("You are logged in and {}.", state.describe());
            out.push(Output::AgentUpdate {
                agent: agent.clone(),
                state,
                message,
            });
            self.offer_waiting_call(&agent, out);
        } else if available {
            self.make_available(&agent, self.now, "You are available.".to_owned(), out);
        } else {
            let state = AgentState::Unavailable {
                reason: UnavailableReason::Away,
            };
            self.set_state(&agent, state, "You are logged in and away.".to_owned(), out);
        }
        self.drain_unstaffed_queues(&tenant, &left, out);
    }

    pub(super) fn set_available(&mut self, agent: AgentId, out: &mut Vec<Output>) {
        let Some(state) = self.agents.get(&agent).map(|a| a.state.clone()) else {
            return self.refuse(agent, None, Refusal::NotLoggedIn, out);
        };
        match state {
            AgentState::Available { .. } => self.stats.ignored_stale += 1,
            // Calls would ring a softphone that is not there: first the audio, then calls. Not
            // only from after-call work: an agent who went unavailable while reconnecting is
            // still reconnecting.
            AgentState::WrapUp { .. } | AgentState::Unavailable { .. } if self.is_lost(&agent) => {
                self.refuse(agent, None, Refusal::AudioReconnectingAfterCall, out)
            }
            AgentState::Unavailable { .. } | AgentState::WrapUp { .. } | AgentState::Offline => {
                self.make_available(&agent, self.now, "You are available.".to_owned(), out)
            }
            AgentState::Ringing { call }
            | AgentState::Dialing { call }
            | AgentState::OnCall { call } => {
                let refusal = Refusal::BusyWithCall { call: call.clone() };
                self.refuse(agent, Some(call), refusal, out)
            }
        }
    }

    pub(super) fn set_unavailable(
        &mut self,
        agent: AgentId,
        reason: UnavailableReason,
        out: &mut Vec<Output>,
    ) {
        let Some(state) = self.agents.get(&agent).map(|a| a.state.clone()) else {
            return self.refuse(agent, None, Refusal::NotLoggedIn, out);
        };
        match state {
            AgentState::Ringing { call }
            | AgentState::Dialing { call }
            | AgentState::OnCall { call } => {
                let refusal = Refusal::BusyWithCall { call: call.clone() };
                self.refuse(agent, Some(call), refusal, out)
            }
            _ => {
                let message = format!("You are unavailable ({reason}).");
                self.set_state(&agent, AgentState::Unavailable { reason }, message, out);
            }
        }
    }

    pub(super) fn agent_offline(&mut self, agent: AgentId, out: &mut Vec<Output>) {
        let Some(gone) = self.agents.remove(&agent) else {
            self.stats.ignored_unknown_agent += 1;
            return;
        };
        for queue in &gone.queues {
            if let Some(q) = self.queues.get_mut(&gone.tenant, queue) {
                q.members.remove(&agent);
                if let Some(key) = gone.idle_key {
                    q.idle.remove(&key);
                }
            }
        }
        if let AgentState::WrapUp { until } = gone.state {
            let timer = Timer::WrapUp {
                agent: agent.clone(),
                wrap_up_id: gone.wrap_up_id,
            };
            self.timers.cancel(until, timer);
        }
        if let Some(lost) = gone.lost {
            let timer = Timer::Grace {
                agent: agent.clone(),
                lost_id: lost.id,
            };
            self.timers.cancel(lost.until, timer);
        }
        out.push(Output::AgentUpdate {
            agent: agent.clone(),
            state: AgentState::Offline,
            message: "You are offline.".to_owned(),
        });
        match gone.state {
            AgentState::Ringing { call } => {
                self.ring_ended(call, &agent, super::inbound::RingEnd::AgentOffline, out)
            }
            AgentState::Dialing { call } | AgentState::OnCall { call } => {
                self.end_for_agent_disconnect(call, out)
            }
            _ => {}
        }
        self.drain_unstaffed_queues(&gone.tenant, &gone.queues, out);
    }

    pub(super) fn wrap_up_over(&mut self, agent: AgentId, wrap_up_id: u64, out: &mut Vec<Output>) {
        let current = self.agents.get(&agent).is_some_and(|a| {
            matches!(a.state, AgentState::WrapUp { .. }) && a.wrap_up_id == wrap_up_id
        });
        if current && self.is_lost(&agent) {
            // Their softphone is away: never available (offered calls) without one.
            self.agent_offline(agent, out);
        } else if current {
            self.make_available(&agent, self.now, "You are available.".to_owned(), out);
        }
    }

    // ----- transitions ------------------------------------------------------------------------

    /// Replaces the agent's queues, keeping the queue indexes in line. Returns the queues the
    /// agent left.
    pub(super) fn set_queues(&mut self, agent: &AgentId, queues: Vec<QueueId>) -> Vec<QueueId> {
        let Some(a) = self.agents.get_mut(agent) else {
            return Vec::new();
        };
        let left: Vec<QueueId> = a
            .queues
            .iter()
            .filter(|q| !queues.contains(q))
            .cloned()
            .collect();
        for queue in &left {
            if let Some(q) = self.queues.get_mut(&a.tenant, queue) {
                q.members.remove(agent);
                if let Some(key) = a.idle_key {
                    q.idle.remove(&key);
                }
            }
        }
        for queue in &queues {
            if let Some(q) = self.queues.get_mut(&a.tenant, queue) {
                q.members.insert(agent.clone());
                if let Some(key) = a.idle_key {
                    q.idle.insert(key, agent.clone());
                }
            }
        }
        a.queues = queues;
        left
    }

    /// Sets the agent's state, moves them in or out of their queues' idle order, and tells them.
    pub(super) fn set_state(
        &mut self,
        agent: &AgentId,
        state: AgentState,
        message: String,
        out: &mut Vec<Output>,
    ) {
        let idle_key = match state {
            AgentState::Available { since } => Some((since, self.next_id())),
            _ => None,
        };
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        if let AgentState::WrapUp { until } = a.state {
            // Leaving wrap-up early (or for any other state): its deadline is moot.
            let timer = Timer::WrapUp {
                agent: agent.clone(),
                wrap_up_id: a.wrap_up_id,
            };
            self.timers.cancel(until, timer);
        }
        if let Some(old) = a.idle_key.take() {
            for queue in &a.queues {
                if let Some(q) = self.queues.get_mut(&a.tenant, queue) {
                    q.idle.remove(&old);
                }
            }
        }
        if let Some(key) = idle_key {
            for queue in &a.queues {
                if let Some(q) = self.queues.get_mut(&a.tenant, queue) {
                    q.idle.insert(key, agent.clone());
                }
            }
            a.idle_key = Some(key);
        }
        a.state = state.clone();
        out.push(Output::AgentUpdate {
            agent: agent.clone(),
            state,
            message,
        });
    }

    /// Makes the agent available (idle since `since`) and offers them the longest-waiting call.
    pub(super) fn make_available(
        &mut self,
        agent: &AgentId,
        since: Timestamp,
        message: String,
        out: &mut Vec<Output>,
    ) {
        if !self.agents.contains_key(agent) {
            return;
        }
        self.set_state(agent, AgentState::Available { since }, message, out);
        self.offer_waiting_call(agent, out);
    }

    /// After `call`: wrap-up (the queue's, or the global one), or available at once.
    pub(super) fn after_call(
        &mut self,
        agent: &AgentId,
        call: &CallId,
        queue: Option<&QueueId>,
        message: String,
        out: &mut Vec<Output>,
    ) {
        let Some(tenant) = self.agents.get(agent).map(|a| a.tenant.clone()) else {
            return;
        };
        let wrap_up: Duration = queue
            .and_then(|q| self.queue_config(&tenant, q))
            .and_then(|q| q.wrap_up)
            .unwrap_or(self.config.wrap_up);
        if wrap_up.is_zero() {
            return self.make_available(agent, self.now, message, out);
        }
        let until = self.now.saturating_add(wrap_up);
        let wrap_up_id = self.next_id();
        if let Some(a) = self.agents.get_mut(agent) {
            a.wrap_up_id = wrap_up_id;
            a.wrap_up_call = Some(call.clone());
        }
        self.timers.set(
            until,
            Timer::WrapUp {
                agent: agent.clone(),
                wrap_up_id,
            },
        );
        self.set_state(agent, AgentState::WrapUp { until }, message, out);
    }

    /// If the agent is available, rings them with the longest-waiting call among their queues.
    pub(super) fn offer_waiting_call(&mut self, agent: &AgentId, out: &mut Vec<Output>) {
        let Some(a) = self.agents.get(agent) else {
            return;
        };
        if !matches!(a.state, AgentState::Available { .. }) {
            return;
        }
        let longest = a
            .queues
            .iter()
            .filter_map(|queue| self.queues.get(&a.tenant, queue)?.longest_waiting())
            .min_by_key(|(key, _)| **key)
            .map(|(_, call)| call.clone());
        if let Some(call) = longest {
            self.ring_from_queue(call, agent.clone(), out);
        }
    }

    /// Queues in `queues` that nobody is logged in to any more: their waiting callers get the
    /// queue's no-agent treatment.
    pub(super) fn drain_unstaffed_queues(
        &mut self,
        tenant: &TenantId,
        queues: &[QueueId],
        out: &mut Vec<Output>,
    ) {
        for queue in queues {
            let waiting: Vec<_> = match self.queues.get(tenant, queue) {
                Some(q) if q.members.is_empty() => q.waiting.values().cloned().collect(),
                _ => continue,
            };
            for call in waiting {
                self.unserved_no_agent(call, out);
            }
        }
    }
}
