//! The single place a call ends (exactly once: the call leaves the table here), and the inputs
//! and decisions that end calls: hang-ups, failures, and queues that cannot serve a caller.

use callbridge_core::{CallId, EndCause, Event, QueueId};

use super::Switchboard;
use crate::call::{Phase, QueueVisit};
use crate::cdr::Outcome;
use crate::config::Unserved;
use crate::input::Leg;
use crate::outbound::OutboundFailure;
use crate::output::{Output, Prompt, StopRinging};
use crate::timers::Timer;

/// What to do with the customer's leg when a call ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CustomerLeg {
    /// It is already gone (the customer or the network ended it).
    Gone,
    /// Release it: hang up if answered, cancel an unanswered outbound attempt, or reject an
    /// unanswered inbound call with this status.
    Reject { status: u16, reason: &'static str },
}

impl CustomerLeg {
    pub const RELEASE: CustomerLeg = CustomerLeg::Reject {
        status: 480,
        reason: "Temporarily Unavailable",
    };
}

/// How a call ends.
#[derive(Clone, Debug)]
pub(super) struct Ending {
    pub cause: EndCause,
    /// The outcome if no agent ever answered (an answered call's outcome is `Answered`).
    pub outcome: Outcome,
    pub customer: CustomerLeg,
}

impl Switchboard {
    /// Ends the call: releases what it holds (queue place, ringing agent, bridge, recording,
    /// timers), emits `Ended` and the record, and frees its agent. Does nothing for a call that
    /// is not in progress, so no call ends twice.
    pub(super) fn end_call(&mut self, call_id: CallId, ending: Ending, out: &mut Vec<Output>) {
        self.end_call_telling(call_id, ending, None, out);
    }

    /// [`end_call`](Self::end_call), telling the call's agent `note` (why their call ended).
    pub(super) fn end_call_telling(
        &mut self,
        call_id: CallId,
        ending: Ending,
        note: Option<String>,
        out: &mut Vec<Output>,
    ) {
        self.end_call_as(call_id, ending, note, false, out);
    }

    /// [`end_call_telling`](Self::end_call_telling); `agent_lost`: the call ends because its
    /// agent's softphone did not come back within the grace period.
    pub(super) fn end_call_as(
        &mut self,
        call_id: CallId,
        ending: Ending,
        note: Option<String>,
        agent_lost: bool,
        out: &mut Vec<Output>,
    ) {
        let Some(mut call) = self.calls.remove(&call_id) else {
            return;
        };
        let customer = call.customer.for_display().to_owned();
        let customer_left = matches!(ending.cause, EndCause::Abandoned | EndCause::CustomerHungUp);
        let phase = std::mem::replace(&mut call.phase, Phase::Routing);
        // Agent follow-ups run after the call is gone, so a freed agent is never offered it.
        let mut follow_up: Option<(callbridge_core::AgentId, AgentFollowUp)> = None;
        match phase {
            Phase::Routing | Phase::Announcing { .. } => {}
            Phase::Queued(visit) => self.leave_queue(&call.tenant, &call_id, &visit),
            Phase::Ringing {
                agent,
                ring_id,
                deadline,
                route,
            } => {
                self.timers.cancel(
                    deadline,
                    Timer::Ring {
                        call: call_id.clone(),
                        ring_id,
                    },
                );
                if let crate::call::Route::Queue(visit) = &route {
                    self.cancel_max_wait(&call_id, visit);
                }
                out.push(Output::StopRinging {
                    agent: agent.clone(),
                    call: call_id.clone(),
                    why: if customer_left {
                        StopRinging::CustomerHungUp
                    } else {
                        StopRinging::CallEnded
                    },
                });
                follow_up = Some((agent, AgentFollowUp::RingWithdrawn));
            }
            Phase::Connected {
                agent,
                queue,
                held,
                away,
                ..
            } => {
                // A held call is already unbridged, and so is one whose agent's softphone is
                // away (the grace period).
                if !held && !away {
                    out.push(Output::Unbridge {
                        call: call_id.clone(),
                    });
                }
                follow_up = Some((agent, AgentFollowUp::AfterCall(queue)));
            }
            Phase::Dialing {
                agent, deadline, ..
            } => {
                self.timers.cancel(
                    deadline,
                    Timer::OutboundAnswer {
                        call: call_id.clone(),
                    },
                );
                follow_up = Some((agent, AgentFollowUp::DialEnded));
            }
        }
        if let CustomerLeg::Reject { status, reason } = ending.customer {
            out.push(
                if call.direction == callbridge_core::Direction::Outbound && !call.answered {
                    Output::CancelOriginate {
                        call: call_id.clone(),
                    }
                } else if call.answered {
                    Output::HangUpCustomer {
                        call: call_id.clone(),
                    }
                } else {
                    Output::RejectCustomer {
                        call: call_id.clone(),
                        status,
                        reason: reason.to_owned(),
                    }
                },
            );
        }
        if call.recording {
            out.push(Output::StopRecording {
                call: call_id.clone(),
            });
        }
        out.push(Output::Integration {
            tenant: call.tenant.clone(),
            event: Event::Ended {
                call: call_id.clone(),
                cause: ending.cause.clone(),
            },
        });
        let outcome = if call.cdr.first_answered_at.is_some() {
            Outcome::Answered
        } else {
            ending.outcome
        };
        // The agent who was on the answered call is told it is over, and why, before the
        // update that moves them on.
        if let Some((agent, AgentFollowUp::AfterCall(_))) = &follow_up {
            out.push(Output::CallEnded {
                agent: agent.clone(),
                call: call_id.clone(),
                cause: ending.cause.clone(),
                agent_lost,
            });
        }
        let cause = ending.cause.clone();
        let record = call
            .cdr
            .finish(Self::clock(self.now, self.wall), outcome, ending.cause);
        out.push(Output::CallRecord(Box::new(record)));
        self.stats.calls_ended += 1;
        self.ended.insert(call_id.clone());
        self.timers.set(
            self.now.saturating_add(self.config.ended_call_memory),
            Timer::Forget {
                call: call_id.clone(),
            },
        );

        let Some((agent, follow_up)) = follow_up else {
            return;
        };
        match follow_up {
            AgentFollowUp::RingWithdrawn => {
                // Not the agent's doing: they keep their place in the idle order.
                let since = self
                    .agents
                    .get_mut(&agent)
                    .and_then(|a| a.resume_since.take())
                    .unwrap_or(self.now);
                let message = note.unwrap_or_else(|| {
                    format!("The call from {customer} ended before you answered.")
                });
                self.make_available(&agent, since, message, out);
            }
            AgentFollowUp::AfterCall(_) if self.is_lost(&agent) => {
                // Their softphone is away: no wrap-up nor calls without one. The next
                // connection is told how the call ended, then logs in afresh.
                self.farewell(&agent, call_id, cause, agent_lost);
                self.agent_offline(agent, out);
            }
            AgentFollowUp::AfterCall(queue) => {
                let message = note.unwrap_or_else(|| format!("The call with {customer} ended."));
                self.after_call(&agent, &call_id, queue.as_ref(), message, out);
            }
            AgentFollowUp::DialEnded => {
                let message = note.unwrap_or_else(|| format!("The call to {customer} ended."));
                self.make_available(&agent, self.now, message, out);
            }
        }
    }

    /// The queue cannot serve the call (nobody logged in, full, waited too long): the queue's
    /// configured behaviour.
    pub(super) fn unserved(
        &mut self,
        call_id: CallId,
        queue: QueueId,
        outcome: Outcome,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let Some(config) = self.queues.get(&call.tenant, &queue).map(|q| &q.config) else {
            // A queue removed while this call rang an agent from it: its last settings decide.
            let Some(config) = self.retired.get(&(call.tenant.clone(), queue.clone())) else {
                return self.end_in_missing_queue(call_id, &queue, out);
            };
            let behaviour = match outcome {
                Outcome::NoAgent => config.no_agent,
                _ => config.overflow,
            };
            return self.unserved_as(call_id, queue, outcome, behaviour, out);
        };
        let behaviour = match outcome {
            Outcome::NoAgent => config.no_agent,
            _ => config.overflow,
        };
        self.unserved_as(call_id, queue, outcome, behaviour, out)
    }

    /// Gives the call the treatment `behaviour` of `queue`.
    fn unserved_as(
        &mut self,
        call_id: CallId,
        queue: QueueId,
        outcome: Outcome,
        behaviour: Unserved,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let (status, reason) = match behaviour {
            Unserved::Busy => (486, "Busy Here"),
            Unserved::HangUp => (480, "Temporarily Unavailable"),
            Unserved::Announcement => {
                if let Phase::Queued(visit) = std::mem::replace(&mut call.phase, Phase::Routing) {
                    let tenant = call.tenant.clone();
                    self.leave_queue(&tenant, &call_id, &visit);
                }
                let Some(call) = self.calls.get_mut(&call_id) else {
                    return;
                };
                if !call.answered {
                    call.answered = true;
                    out.push(Output::AnswerCustomer {
                        call: call_id.clone(),
                    });
                }
                out.push(Output::PlayToCustomer {
                    call: call_id,
                    prompt: Prompt::Announcement(queue.clone()),
                });
                call.phase = Phase::Announcing { queue, outcome };
                return;
            }
        };
        let why = unserved_reason(&outcome, &queue);
        let ending = Ending {
            cause: EndCause::Failed(why),
            outcome,
            customer: CustomerLeg::Reject { status, reason },
        };
        self.end_call(call_id, ending, out);
    }

    /// A call routed to a queue that does not exist (and whose settings are not kept either)
    /// ends instead of being left nowhere.
    pub(super) fn end_in_missing_queue(
        &mut self,
        call_id: CallId,
        queue: &QueueId,
        out: &mut Vec<Output>,
    ) {
        let why = format!("queue {queue} does not exist");
        let ending = Ending {
            cause: EndCause::Failed(why.clone()),
            outcome: Outcome::Failed(why),
            customer: CustomerLeg::RELEASE,
        };
        self.end_call(call_id, ending, out);
    }

    pub(super) fn customer_hung_up(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        let ever_answered = call.cdr.first_answered_at.is_some();
        let (ending, note) = match &call.phase {
            Phase::Dialing { .. } => {
                let failure = OutboundFailure::EndedBeforeAnswer;
                let note = failure.message();
                let ending = Ending {
                    cause: EndCause::Failed(note.clone()),
                    outcome: Outcome::OutboundFailed(failure),
                    customer: CustomerLeg::Gone,
                };
                (ending, Some(note))
            }
            Phase::Announcing { outcome, .. } => (
                Ending {
                    cause: EndCause::Abandoned,
                    outcome: outcome.clone(),
                    customer: CustomerLeg::Gone,
                },
                None,
            ),
            _ => (
                Ending {
                    cause: if ever_answered {
                        EndCause::CustomerHungUp
                    } else {
                        EndCause::Abandoned
                    },
                    outcome: Outcome::Abandoned,
                    customer: CustomerLeg::Gone,
                },
                None,
            ),
        };
        self.end_call_telling(call_id, ending, note, out);
    }

    pub(super) fn prompt_finished(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        let Phase::Announcing { queue, outcome } = &call.phase else {
            self.stats.ignored_stale += 1;
            return;
        };
        let ending = Ending {
            cause: EndCause::Failed(unserved_reason(outcome, queue)),
            outcome: outcome.clone(),
            customer: CustomerLeg::RELEASE,
        };
        self.end_call(call_id, ending, out);
    }

    pub(super) fn media_timeout(&mut self, call_id: CallId, leg: Leg, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        // A carrier owes us no audio before the customer's leg is answered (a queued call
        // hearing ringback is not answered): silence then is not a dead call.
        if leg == Leg::Customer && !call.answered {
            self.stats.ignored_stale += 1;
            return;
        }
        let side = match leg {
            Leg::Customer => "customer",
            Leg::Agent => "agent",
        };
        let why = format!("no audio from the {side} for too long");
        let ending = Ending {
            cause: EndCause::Failed(why.clone()),
            outcome: Outcome::Failed(why.clone()),
            customer: CustomerLeg::RELEASE,
        };
        self.end_call_telling(
            call_id,
            ending,
            Some(format!("The call ended: {why}.")),
            out,
        );
    }

    pub(super) fn trunk_failed(&mut self, call_id: CallId, detail: String, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        let (outcome, note) = if matches!(call.phase, Phase::Dialing { .. }) {
            let failure = OutboundFailure::Unreachable;
            let note = failure.message();
            (Outcome::OutboundFailed(failure), note)
        } else {
            (
                Outcome::Failed(detail.clone()),
                "The call ended: the phone network dropped it.".to_owned(),
            )
        };
        let ending = Ending {
            cause: EndCause::Failed(detail),
            outcome,
            customer: CustomerLeg::Gone,
        };
        self.end_call_telling(call_id, ending, Some(note), out);
    }

    /// The agent on (or dialing) the call lost their softphone.
    pub(super) fn end_for_agent_disconnect(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let why = "agent disconnected".to_owned();
        let ending = Ending {
            cause: EndCause::Failed(why.clone()),
            outcome: Outcome::Failed(why),
            customer: CustomerLeg::RELEASE,
        };
        self.end_call(call_id, ending, out);
    }

    /// Removes a waiting call from its queue's waiting order and drops its max-wait deadline.
    pub(super) fn leave_queue(
        &mut self,
        tenant: &callbridge_core::TenantId,
        call_id: &CallId,
        visit: &QueueVisit,
    ) {
        if let Some(q) = self.queues.get_mut(tenant, &visit.queue) {
            q.waiting.remove(&visit.wait_key);
        }
        self.cancel_max_wait(call_id, visit);
    }

    pub(super) fn cancel_max_wait(&mut self, call_id: &CallId, visit: &QueueVisit) {
        self.timers.cancel(
            visit.deadline,
            Timer::MaxWait {
                call: call_id.clone(),
                visit: visit.wait_key.1,
            },
        );
    }
}

/// What happens to the call's agent once the call is gone.
enum AgentFollowUp {
    /// The call was ringing at them.
    RingWithdrawn,
    /// They were connected; wrap-up of the queue they took the call from.
    AfterCall(Option<QueueId>),
    /// Their outbound call ended before it was answered.
    DialEnded,
}

fn unserved_reason(outcome: &Outcome, queue: &QueueId) -> String {
    match outcome {
        Outcome::NoAgent => format!("nobody is logged in to queue {queue}"),
        _ => format!("queue {queue} is full or the caller waited too long"),
    }
}
