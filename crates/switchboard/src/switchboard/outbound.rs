//! Click-to-dial: an available agent places a call on the tenant's trunk.

use callbridge_core::{AgentId, CallId, CallerNumber, Direction, EndCause, Event, E164};

use super::ending::{CustomerLeg, Ending};
use super::Switchboard;
use crate::agent::AgentState;
use crate::call::{Call, Phase};
use crate::cdr::{CdrDraft, Outcome};
use crate::outbound::OutboundFailure;
use crate::output::Output;
use crate::refusal::Refusal;
use crate::timers::Timer;

impl Switchboard {
    pub(super) fn dial(
        &mut self,
        agent: AgentId,
        call_id: CallId,
        to: E164,
        out: &mut Vec<Output>,
    ) {
        let Some(a) = self.agents.get(&agent) else {
            return self.refuse(agent, Some(call_id), Refusal::NotLoggedIn, out);
        };
        if !matches!(a.state, AgentState::Available { .. }) {
            let refusal = Refusal::NotAvailableToDial {
                state: a.state.describe(),
            };
            return self.refuse(agent, Some(call_id), refusal, out);
        }
        if self.calls.contains_key(&call_id) || self.ended.contains(&call_id) {
            let refusal = Refusal::CallIdInUse {
                call: call_id.clone(),
            };
            return self.refuse(agent, Some(call_id), refusal, out);
        }
        let tenant = a.tenant.clone();
        let customer = CallerNumber::Dialable(to.clone());
        let to = String::from(to);
        let deadline = self.now.saturating_add(self.config.outbound_answer_timeout);
        let mut cdr = CdrDraft::new(
            call_id.clone(),
            tenant.clone(),
            Direction::Outbound,
            customer.clone(),
            to.clone(),
            Self::clock(self.now, self.wall),
        );
        cdr.last_agent = Some(agent.clone());
        self.calls.insert(
            call_id.clone(),
            Call {
                tenant: tenant.clone(),
                direction: Direction::Outbound,
                customer: customer.clone(),
                answered: false,
                recording: false,
                queue: None,
                phase: Phase::Dialing {
                    agent: agent.clone(),
                    far_end_ringing: false,
                    deadline,
                },
                cdr,
            },
        );
        self.timers.set(
            deadline,
            Timer::OutboundAnswer {
                call: call_id.clone(),
            },
        );
        out.push(Output::Originate {
            call: call_id.clone(),
            tenant: tenant.clone(),
            agent: agent.clone(),
            to: to.clone(),
        });
        out.push(Output::Integration {
            tenant: tenant.clone(),
            event: Event::CallOffered {
                call: call_id.clone(),
                tenant,
                direction: Direction::Outbound,
                customer,
                agent: agent.clone(),
            },
        });
        let message = format!("Calling {to}…");
        self.set_state(&agent, AgentState::Dialing { call: call_id }, message, out);
    }

    pub(super) fn outbound_ringing(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        match &mut call.phase {
            Phase::Dialing {
                agent,
                far_end_ringing,
                ..
            } if !*far_end_ringing => {
                *far_end_ringing = true;
                out.push(Output::AgentUpdate {
                    agent: agent.clone(),
                    state: AgentState::Dialing {
                        call: call_id.clone(),
                    },
                    message: format!("{} is ringing…", call.customer.for_display()),
                });
            }
            _ => self.stats.ignored_stale += 1,
        }
    }

    pub(super) fn outbound_answered(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get_mut(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        let Phase::Dialing {
            agent, deadline, ..
        } = &call.phase
        else {
            self.stats.ignored_stale += 1;
            return;
        };
        let (agent, deadline) = (agent.clone(), *deadline);
        self.timers.cancel(
            deadline,
            Timer::OutboundAnswer {
                call: call_id.clone(),
            },
        );
        call.answered = true;
        call.recording = true;
        call.cdr
            .answered_by(&agent, Self::clock(self.now, self.wall));
        call.phase = Phase::Connected {
            agent: agent.clone(),
            held: false,
            queue: None,
            since: self.wall,
            away: false,
        };
        out.push(Output::Bridge {
            call: call_id.clone(),
            agent: agent.clone(),
        });
        out.push(Output::StartRecording {
            call: call_id.clone(),
        });
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
        self.set_state(&agent, AgentState::OnCall { call: call_id }, message, out);
    }

    pub(super) fn outbound_failed(
        &mut self,
        call_id: CallId,
        failure: OutboundFailure,
        out: &mut Vec<Output>,
    ) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, None, out);
        };
        if !matches!(call.phase, Phase::Dialing { .. }) {
            self.stats.ignored_stale += 1;
            return;
        }
        self.end_outbound_attempt(call_id, failure, CustomerLeg::Gone, out);
    }

    pub(super) fn outbound_not_answered(&mut self, call_id: CallId, out: &mut Vec<Output>) {
        let due = matches!(
            self.calls.get(&call_id).map(|c| &c.phase),
            Some(Phase::Dialing { deadline, .. }) if *deadline <= self.now
        );
        if due {
            let failure = OutboundFailure::NoAnswer;
            self.end_outbound_attempt(call_id, failure, CustomerLeg::RELEASE, out);
        }
    }

    fn end_outbound_attempt(
        &mut self,
        call_id: CallId,
        failure: OutboundFailure,
        customer: CustomerLeg,
        out: &mut Vec<Output>,
    ) {
        let note = failure.message();
        let ending = Ending {
            cause: EndCause::Failed(note.clone()),
            outcome: Outcome::OutboundFailed(failure),
            customer,
        };
        self.end_call_telling(call_id, ending, Some(note), out);
    }
}
