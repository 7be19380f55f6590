//! During a call: blind transfer, hold and resume, and the agent hanging up.

use callbridge_core::{AgentId, CallId, EndCause, Event, TransferTarget};

use super::ending::{CustomerLeg, Ending};
use super::inbound::RingEnd;
use super::Switchboard;
use crate::agent::AgentState;
use crate::call::{Phase, Route};
use crate::cdr::{Outcome, TransferRecord};
use crate::output::{Output, Prompt};
use crate::refusal::Refusal;

impl Switchboard {
    pub(super) fn transfer(
        &mut self,
        agent: AgentId,
        call_id: CallId,
        to: TransferTarget,
        out: &mut Vec<Output>,
    ) {
        if self.is_lost(&agent) {
            return self.refuse(
                agent,
                Some(call_id.clone()),
                Refusal::AudioReconnecting { call: call_id },
                out,
            );
        }
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, Some(&agent), out);
        };
        let (taken_from, held) = match &call.phase {
            Phase::Connected {
                agent: holder,
                queue,
                held,
                ..
            } if *holder == agent => (queue.clone(), *held),
            _ => {
                let refusal = Refusal::NotOnCall {
                    call: call_id.clone(),
                };
                return self.refuse(agent, Some(call_id), refusal, out);
            }
        };
        if let Err(refusal) = self.check_transfer_target(&agent, &call.tenant, &to) {
            return self.refuse(agent, Some(call_id), refusal, out);
        }
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let transferred = call_id.clone();
        if !held {
            out.push(Output::Unbridge {
                call: call_id.clone(),
            });
        }
        call.cdr.transfers.push(TransferRecord {
            at: self.wall,
            from: agent.clone(),
            to: to.clone(),
        });
        out.push(Output::Integration {
            tenant: call.tenant.clone(),
            event: Event::Transferred {
                call: call_id.clone(),
                from: agent.clone(),
                to: to.clone(),
            },
        });
        call.phase = Phase::Routing;
        let target_name = match &to {
            TransferTarget::Agent(target) => {
                // The call is answered, so the caller hears music while the colleague rings.
                out.push(Output::PlayToCustomer {
                    call: call_id.clone(),
                    prompt: Prompt::Music(call.queue.clone()),
                });
                let route = Route::Direct {
                    transferred_by: agent.clone(),
                };
                self.ring(call_id, target.clone(), route, out);
                target.name().to_string()
            }
            TransferTarget::Queue(queue) => {
                self.join_queue(call_id, queue.clone(), self.now, Some(agent.clone()), out);
                format!("queue {queue}")
            }
        };
        // The call is routed before the agent is freed, so it does not bounce straight back.
        let message = format!("You transferred the call to {target_name}.");
        self.after_call(&agent, &transferred, taken_from.as_ref(), message, out);
    }

    /// Whether the call can go to `to` now; if not, the call stays with the agent.
    fn check_transfer_target(
        &self,
        agent: &AgentId,
        tenant: &callbridge_core::TenantId,
        to: &TransferTarget,
    ) -> Result<(), Refusal> {
        match to {
            TransferTarget::Agent(target) => {
                if target == agent {
                    return Err(Refusal::TransferToSelf);
                }
                let Some(t) = self.agents.get(target) else {
                    return Err(Refusal::AgentNotAvailable {
                        agent: target.clone(),
                        state: AgentState::Offline.describe(),
                    });
                };
                if t.tenant != *tenant {
                    return Err(Refusal::AgentInAnotherTenant {
                        agent: target.clone(),
                    });
                }
                if !matches!(t.state, AgentState::Available { .. }) {
                    return Err(Refusal::AgentNotAvailable {
                        agent: target.clone(),
                        state: t.state.describe(),
                    });
                }
                Ok(())
            }
            TransferTarget::Queue(queue) => {
                let Some(q) = self.queues.get(tenant, queue) else {
                    return Err(Refusal::UnknownQueue {
                        queue: queue.clone(),
                    });
                };
                if q.members.is_empty() {
                    return Err(Refusal::QueueHasNoAgents {
                        queue: queue.clone(),
                    });
                }
                if q.idle.is_empty() && q.is_full() {
                    return Err(Refusal::QueueFull {
                        queue: queue.clone(),
                    });
                }
                Ok(())
            }
        }
    }

    pub(super) fn hold(
        &mut self,
        agent: AgentId,
        call_id: CallId,
        hold: bool,
        out: &mut Vec<Output>,
    ) {
        if self.is_lost(&agent) {
            return self.refuse(
                agent,
                Some(call_id.clone()),
                Refusal::AudioReconnecting { call: call_id },
                out,
            );
        }
        let Some(call) = self.calls.get_mut(&call_id) else {
            return self.missing_call(&call_id, Some(&agent), out);
        };
        let held = match &mut call.phase {
            Phase::Connected {
                agent: holder,
                held,
                ..
            } if *holder == agent => held,
            _ => {
                let refusal = Refusal::NotOnCall {
                    call: call_id.clone(),
                };
                return self.refuse(agent, Some(call_id), refusal, out);
            }
        };
        if *held == hold {
            let refusal = if hold {
                Refusal::AlreadyOnHold {
                    call: call_id.clone(),
                }
            } else {
                Refusal::NotOnHold {
                    call: call_id.clone(),
                }
            };
            return self.refuse(agent, Some(call_id), refusal, out);
        }
        *held = hold;
        let customer = call.customer.for_display().to_owned();
        let message = if hold {
            call.cdr.hold_count += 1;
            out.push(Output::Unbridge {
                call: call_id.clone(),
            });
            out.push(Output::PlayToCustomer {
                call: call_id.clone(),
                prompt: Prompt::Music(call.queue.clone()),
            });
            out.push(Output::Integration {
                tenant: call.tenant.clone(),
                event: Event::Held {
                    call: call_id.clone(),
                },
            });
            format!("{customer} is on hold.")
        } else {
            out.push(Output::Bridge {
                call: call_id.clone(),
                agent: agent.clone(),
            });
            out.push(Output::Integration {
                tenant: call.tenant.clone(),
                event: Event::Resumed {
                    call: call_id.clone(),
                },
            });
            format!("Connected to {customer}.")
        };
        out.push(Output::AgentUpdate {
            agent,
            state: AgentState::OnCall { call: call_id },
            message,
        });
    }

    pub(super) fn agent_hang_up(&mut self, agent: AgentId, call_id: CallId, out: &mut Vec<Output>) {
        let Some(call) = self.calls.get(&call_id) else {
            return self.missing_call(&call_id, Some(&agent), out);
        };
        match &call.phase {
            Phase::Ringing { agent: ringing, .. } if *ringing == agent => {
                self.ring_ended(call_id, &agent, RingEnd::Declined, out)
            }
            Phase::Dialing { agent: dialing, .. } if *dialing == agent => {
                let ending = Ending {
                    cause: EndCause::AgentHungUp,
                    outcome: Outcome::Cancelled,
                    customer: CustomerLeg::RELEASE,
                };
                let note = "You cancelled the call.".to_owned();
                self.end_call_telling(call_id, ending, Some(note), out);
            }
            Phase::Connected { agent: holder, .. } if *holder == agent => {
                let ending = Ending {
                    cause: EndCause::AgentHungUp,
                    outcome: Outcome::Answered,
                    customer: CustomerLeg::RELEASE,
                };
                self.end_call(call_id, ending, out);
            }
            _ => {
                let refusal = Refusal::NotOnCall {
                    call: call_id.clone(),
                };
                self.refuse(agent, Some(call_id), refusal, out);
            }
        }
    }
}
