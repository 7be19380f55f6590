//! Inbound calls: joining a queue, offering to the longest-idle agent, ring timeouts, declines
//! and answers.

use callbridge_core::{
    AgentId, CallId, CallerNumber, Direction, Event, QueueId, TenantId, Timestamp,
};

use super::ending::{CustomerLeg, Ending};
use super::Switchboard;
use crate::agent::{AgentState, UnavailableReason};
use crate::call::{Call, Phase, QueueVisit, Route};
use crate::cdr::{CdrDraft, OfferResult, Outcome};
use crate::config::{MissedCallPolicy, Waiting};
use crate::output::{Output, Prompt, StopRinging};
use crate::refusal::Refusal;
use crate::timers::Timer;

/// Why a ring ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RingEnd {
    Missed,
    Declined,
    AgentOffline,
}

impl Switchboard {
    pub(super) fn inbound_call(
        &mut self,
        call: CallId,
        tenant: TenantId,
        queue: QueueId,
        customer: CallerNumber,
        dialled: String,
        out: &mut Vec<Output>,
    ) {
        if self.calls.contains_key(&call) || self.ended.contains(&call) {
            self.stats.ignored_stale += 1;
            return;
        }
        let cdr = CdrDraft::new(
            call.clone(),
            tenant.clone(),
            Direction::Inbound,
            customer.clone(),
            dialled,
            Self::clock(self.now, self.wall),
        );
        self.calls.insert(
            call.clone(),
            Call {
                tenant,
                direction: Direction::Inbound,
                customer,
                answered: false,
                recording: false,
                queue: None,
                phase: Phase::Routing,
                cdr,
            },
        );
        self.join_queue(call, queue, self.now, None, out);
    }

    /// Puts a call that is `Routing` into `queue`: refused if the queue cannot take it, otherwise
    /// the caller hears the queue's treatment and the longest-idle agent is rung.
    pub(super) fn join_queue(
        &mut self,
        call_id: CallId,
        queue: QueueId,
        waiting_since: Timestamp,
        transferred_by: Option<AgentId>,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get(&call_id) else {
            return;
        };
        let Some(q) = self.queues.get(&call.tenant, &queue) else {
            let reason = format!("the number routes to queue {queue}, which does not exist");
            let ending = Ending {
                cause: callbridge_core::EndCause::Failed(reason.clone()),
                outcome: Outcome::Failed(reason),
                customer: CustomerLeg::Reject {
                    status: 404,
                    reason: "Not Found",
                },
            };
            return self.end_call(call_id, ending, out);
        };
        if q.members.is_empty() {
            return self.unserved(call_id, queue, Outcome::NoAgent, out);
        }
        if q.idle.is_empty() && q.is_full() {
            return self.unserved(call_id, queue, Outcome::Overflow, out);
        }
        let waiting = q.config.waiting;
        let deadline = self.now.saturating_add(q.config.max_wait);
        let visit = QueueVisit {
            queue: queue.clone(),
            wait_key: (waiting_since, self.next_id()),
            deadline,
            tried: Vec::new(),
            transferred_by,
        };
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.queue = Some(queue.clone());
        call.cdr
            .joined_queue(&queue, Self::clock(self.now, self.wall));
        out.push(Output::CallQueued {
            tenant: call.tenant.clone(),
            call: call_id.clone(),
            queue: queue.clone(),
            customer: call.customer.clone(),
            direction: call.direction,
        });
        if !call.answered && waiting == Waiting::Ringback {
            out.push(Output::RingbackCustomer {
                call: call_id.clone(),
            });
        } else {
            if !call.answered {
                call.answered = true;
                out.push(Output::AnswerCustomer {
                    call: call_id.clone(),
                });
            }
            out.push(Output::PlayToCustomer {
                call: call_id.clone(),
                prompt: Prompt::Music(Some(queue.clone())),
            });
        }
        self.timers.set(
            deadline,
            Timer::MaxWait {
                call: call_id.clone(),
                visit: visit.wait_key.1,
            },
        );
        self.wait_in_queue(call_id, visit, out);
    }

    /// Makes the call wait in its queue, then rings an agent if one is idle. A call coming back
    /// from an unanswered ring may find the queue unstaffed or its wait already too long.
    fn wait_in_queue(&mut self, call_id: CallId, visit: QueueVisit, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let Some(q) = self.queues.get_mut(&call.tenant, &visit.queue) else {
            // The queue was removed while the call rang an agent from it: the removed queue's
            // no-agent treatment, as its waiting callers got.
            return self.unserved(call_id, visit.queue, Outcome::NoAgent, out);
        };
        q.waiting.insert(visit.wait_key, call_id.clone());
        let unstaffed = q.members.is_empty();
        let too_long = visit.deadline <= self.now;
        let queue = visit.queue.clone();
        let agent = q.longest_idle(&visit.tried).cloned();
        call.phase = Phase::Queued(visit);
        if unstaffed {
            self.unserved(call_id, queue, Outcome::NoAgent, out);
        } else if too_long {
            self.unserved(call_id, queue, Outcome::Overflow, out);
        } else if let Some(agent) = agent {
            self.ring_from_queue(call_id, agent, out);
        }
    }

    /// Takes a waiting call out of its queue and rings `agent` with it.
    pub(super) fn ring_from_queue(
        &mut self,
        call_id: CallId,
        agent: AgentId,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let Phase::Queued(visit) = std::mem::replace(&mut call.phase, Phase::Routing) else {
            unreachable!("only waiting calls are offered from a queue")
        };
        if let Some(q) = self.queues.get_mut(&call.tenant, &visit.queue) {
            q.waiting.remove(&visit.wait_key);
        }
        self.ring(call_id, agent, Route::Queue(visit), out);
    }

    /// Rings `agent` with the call (which is `Routing`).
    pub(super) fn ring(
        &mut self,
        call_id: CallId,
        agent: AgentId,
        route: Route,
        out: &mut Vec<Output>,
    ) {
        let ring_id = self.next_id();
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let ring_timeout = match &route {
            Route::Queue(visit) => self
                .queues
                .get(&call.tenant, &visit.queue)
                .map(|q| q.config.ring_timeout)
                .unwrap_or(self.config.transfer_ring_timeout),
            Route::Direct { .. } => self.config.transfer_ring_timeout,
        };
        let deadline = self.now.saturating_add(ring_timeout);
        if let Some(a) = self.agents.get_mut(&agent) {
            a.resume_since = match a.state {
                AgentState::Available { since } => Some(since),
                _ => None,
            };
        }
        out.push(Output::RingAgent {
            agent: agent.clone(),
            call: call_id.clone(),
            customer: call.customer.clone(),
            queue: route.queue().or(call.queue.as_ref()).cloned(),
            direction: call.direction,
            transferred_by: route.transferred_by().cloned(),
        });
        out.push(Output::Integration {
            tenant: call.tenant.clone(),
            event: Event::CallOffered {
                call: call_id.clone(),
                tenant: call.tenant.clone(),
                direction: call.direction,
                customer: call.customer.clone(),
                agent: agent.clone(),
            },
        });
        let message = format!("Call from {}.", call.customer.for_display());
        call.cdr.offered(&agent, Self::clock(self.now, self.wall));
        call.phase = Phase::Ringing {
            agent: agent.clone(),
            ring_id,
            deadline,
            route,
        };
        self.timers.set(
            deadline,
            Timer::Ring {
                call: call_id.clone(),
                ring_id,
            },
        );
        self.set_state(&agent, AgentState::Ringing { call: call_id }, message, out);
    }

    pub(super) fn answer(&mut self, agent: AgentId, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return self.missing_call(&call_id, Some(&agent), out);
        };
        let (ring_id, deadline, visit) = match &call.phase {
            Phase::Ringing {
                agent: ringing,
                ring_id,
                deadline,
                route,
            } if *ringing == agent => (
                *ring_id,
                *deadline,
                match route {
                    Route::Queue(visit) => Some(visit.clone()),
                    Route::Direct { .. } => None,
                },
            ),
            _ => {
                self.stats.ignored_stale += 1;
                let refusal = Refusal::NotRingingForYou {
                    call: call_id.clone(),
                };
                return self.refuse(agent, Some(call_id), refusal, out);
            }
        };
        self.timers.cancel(
            deadline,
            Timer::Ring {
                call: call_id.clone(),
                ring_id,
            },
        );
        let route_queue = visit.as_ref().map(|v| v.queue.clone());
        // The caller's stay in the queue is over.
        if let Some(visit) = &visit {
            self.cancel_max_wait(&call_id, visit);
        }
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        call.cdr.offer_ended(&agent, OfferResult::Answered);
        call.cdr
            .answered_by(&agent, Self::clock(self.now, self.wall));
        if !call.answered {
            call.answered = true;
            out.push(Output::AnswerCustomer {
                call: call_id.clone(),
            });
        }
        out.push(Output::Bridge {
            call: call_id.clone(),
            agent: agent.clone(),
        });
        if !call.recording {
            call.recording = true;
            out.push(Output::StartRecording {
                call: call_id.clone(),
            });
        }
        out.push(Output::Integration {
            tenant: call.tenant.clone(),
            event: Event::AgentAnswered {
                call: call_id.clone(),
                agent: agent.clone(),
            },
        });
        out.push(Output::Integration {
            tenant: call.tenant.clone(),
            event: Event::Connected {
                call: call_id.clone(),
                agent: agent.clone(),
            },
        });
        let message = format!("Connected to {}.", call.customer.for_display());
        call.phase = Phase::Connected {
            agent: agent.clone(),
            held: false,
            queue: route_queue.or_else(|| call.queue.clone()),
            since: self.wall,
            away: false,
        };
        if let Some(a) = self.agents.get_mut(&agent) {
            a.resume_since = None;
        }
        self.set_state(&agent, AgentState::OnCall { call: call_id }, message, out);
    }

    pub(super) fn decline(&mut self, agent: AgentId, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, Some(&agent), out);
        };
        if matches!(&call.phase, Phase::Ringing { agent: ringing, .. } if *ringing == agent) {
            self.ring_ended(call_id, &agent, RingEnd::Declined, out);
        } else {
            self.stats.ignored_stale += 1;
            let refusal = Refusal::NotRingingForYou {
                call: call_id.clone(),
            };
            self.refuse(agent, Some(call_id), refusal, out);
        }
    }

    pub(super) fn ring_timed_out(&mut self, call_id: CallId, ring_id: u64, out: &mut Vec<Output>) {
        let ringing = match self.calls.get(&call_id).map(|c| &c.phase) {
            Some(Phase::Ringing {
                agent, ring_id: id, ..
            }) if *id == ring_id => agent.clone(),
            _ => return,
        };
        self.ring_ended(call_id, &ringing, RingEnd::Missed, out);
    }

    /// The ring at `agent` ended unanswered: the call moves on first (to the next agent, back
    /// to its queue, or after a failed transfer to its queue), then the agent's state changes.
    pub(super) fn ring_ended(
        &mut self,
        call_id: CallId,
        agent: &AgentId,
        why: RingEnd,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let (ring_id, deadline) = match &call.phase {
            Phase::Ringing {
                agent: ringing,
                ring_id,
                deadline,
                ..
            } if ringing == agent => (*ring_id, *deadline),
            _ => return,
        };
        let Phase::Ringing { route, .. } = std::mem::replace(&mut call.phase, Phase::Routing)
        else {
            unreachable!("checked above")
        };
        self.timers.cancel(
            deadline,
            Timer::Ring {
                call: call_id.clone(),
                ring_id,
            },
        );
        let (result, stop) = match why {
            RingEnd::Missed => (OfferResult::Missed, StopRinging::NotAnswered),
            RingEnd::Declined => (OfferResult::Declined, StopRinging::Declined),
            RingEnd::AgentOffline => (OfferResult::Withdrawn, StopRinging::AgentOffline),
        };
        call.cdr.offer_ended(agent, result);
        let customer = call.customer.for_display().to_owned();
        let fallback_queue = call.queue.clone();
        let first_waited = call.cdr.waiting_since();
        out.push(Output::StopRinging {
            agent: agent.clone(),
            call: call_id.clone(),
            why: stop,
        });
        if let Some(a) = self.agents.get_mut(agent) {
            a.resume_since = None;
        }
        match route {
            Route::Queue(mut visit) => {
                visit.tried.push(agent.clone());
                self.wait_in_queue(call_id, visit, out);
            }
            Route::Direct { transferred_by } => match fallback_queue {
                Some(queue) => {
                    self.join_queue(call_id, queue, first_waited, Some(transferred_by), out)
                }
                None => {
                    let reason = "the agent the call was transferred to did not take it";
                    let ending = Ending {
                        cause: callbridge_core::EndCause::Failed(reason.to_owned()),
                        outcome: Outcome::Failed(reason.to_owned()),
                        customer: CustomerLeg::RELEASE,
                    };
                    self.end_call(call_id, ending, out);
                }
            },
        }
        match why {
            RingEnd::Missed => match self.config.missed_call {
                MissedCallPolicy::MakeUnavailable => {
                    let message = format!(
                        "You missed a call from {customer}. You are unavailable until you make \
                         yourself available."
                    );
                    let state = AgentState::Unavailable {
                        reason: UnavailableReason::MissedCall,
                    };
                    self.set_state(agent, state, message, out);
                }
                MissedCallPolicy::StayAvailable => {
                    let message = format!("You missed a call from {customer}.");
                    self.make_available(agent, self.now, message, out);
                }
            },
            RingEnd::Declined => {
                let message = format!("You declined the call from {customer}.");
                self.make_available(agent, self.now, message, out);
            }
            RingEnd::AgentOffline => {}
        }
    }

    pub(super) fn max_wait_reached(&mut self, call_id: CallId, visit: u64, out: &mut Vec<Output>) {
        let queue = match self.calls.get(&call_id).map(|c| &c.phase) {
            Some(Phase::Queued(v)) if v.wait_key.1 == visit => v.queue.clone(),
            // Ringing: the ring finishes first; the wait is checked again if it goes unanswered.
            _ => return,
        };
        self.unserved(call_id, queue, Outcome::Overflow, out);
    }

    pub(super) fn unserved_no_agent(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let queue = match self.calls.get(&call_id).map(|c| &c.phase) {
            Some(Phase::Queued(v)) => v.queue.clone(),
            _ => return,
        };
        self.unserved(call_id, queue, Outcome::NoAgent, out);
    }
}
