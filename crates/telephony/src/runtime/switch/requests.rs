//! What agents ask for over their softphones: audio sessions, availability, answering, dialling,
//! transfers, hold, and CRM choices.

use callbridge_core::{AgentId, CallId, Event, QueueId, TenantId, TransferTarget};
use callbridge_switchboard::{AgentState, Input, Resumption, UnavailableReason};

use super::{error, Request, Switch};
use crate::runtime::calls::CallLeg;
use crate::runtime::words;
use crate::softphone::protocol::{ClientMessage, ServerMessage, TransferTo};

impl Switch {
    pub(super) fn on_request(&mut self, request: Request) {
        match request {
            Request::Attached { agent } => self.welcome(agent),
            Request::Detached { agent, signed_out } => {
                self.media.close_agent_session(&agent);
                if signed_out {
                    self.input(Input::AgentOffline { agent });
                } else {
                    self.input(Input::AgentLost { agent });
                }
            }
            Request::Message { agent, message } => self.on_message(agent, message),
            Request::Reconfigure(change) => self.reconfigure(*change),
        }
    }

    /// A new connection was welcomed: the call or the after-call work that waits for the agent
    /// (or how the call ended while they were away), then the agent's state.
    fn welcome(&mut self, agent: AgentId) {
        let state = self.board.agent_state(&agent);
        let detail = match self.board.resumption(&agent) {
            Resumption::Call(resumed) => {
                let now = self.clock.wall();
                let grace_ends_at = now.saturating_add(self.clock.until(resumed.grace_until));
                self.phones
                    .send(&agent, words::call_snapshot(&resumed, now, grace_ends_at));
                let customer = resumed.customer.for_display().to_owned();
                format!(
                    "Your call with {customer} is waiting for you: connect your audio (send media_offer)."
                )
            }
            Resumption::WrapUp { call, ends_at } => {
                let message = words::wrap_up(
                    &call,
                    self.clock.wall_at(ends_at),
                    self.clock.until(ends_at),
                );
                self.phones.send(&agent, message);
                "Your after-call work is waiting for you: connect your audio (send media_offer)."
                    .to_string()
            }
            Resumption::Ended {
                call,
                cause,
                agent_lost,
            } => {
                let (cause, detail) = words::call_ended(&cause, agent_lost);
                self.phones.send(
                    &agent,
                    ServerMessage::CallEnded {
                        call: call.to_string(),
                        cause,
                        detail: detail.into(),
                    },
                );
                String::new()
            }
            Resumption::Nothing => String::new(),
        };
        let detail = match (&state, detail.is_empty()) {
            (_, false) => detail,
            (AgentState::Offline, true) => {
                "You are not logged in yet: connect your audio (send media_offer).".to_string()
            }
            (other, true) => format!("You are {}.", other.describe()),
        };
        self.phones.send(&agent, words::agent_state(&state, detail));
    }

    fn on_message(&mut self, agent: AgentId, message: ClientMessage) {
        let tenant = agent.tenant().clone();
        match message {
            // The connection answers pings itself; one that reaches here is answered the same.
            ClientMessage::Ping {} => self.phones.send(&agent, ServerMessage::Pong),
            ClientMessage::MediaOffer { offer } => {
                let reply = match self.media.open_agent_session(&agent, &offer.to_string()) {
                    Ok(answer) => match serde_json::from_str(&answer) {
                        Ok(answer) => ServerMessage::MediaAnswer { answer },
                        Err(e) => error(format!("the audio answer could not be encoded: {e}")),
                    },
                    Err(e) => error(format!("your browser's audio offer was not accepted: {e}")),
                };
                self.phones.send(&agent, reply);
            }
            ClientMessage::SetAvailability {
                available: true, ..
            } => self.input(Input::SetAvailable { agent }),
            ClientMessage::SetAvailability {
                available: false,
                reason,
            } => {
                let reason = match reason.map(|r| r.trim().chars().take(60).collect::<String>()) {
                    Some(r) if !r.is_empty() => UnavailableReason::Other(r),
                    _ => UnavailableReason::Away,
                };
                self.input(Input::SetUnavailable { agent, reason })
            }
            ClientMessage::Answer { call } => self.input(Input::Answer { agent, call }),
            ClientMessage::Decline { call } => self.input(Input::Decline { agent, call }),
            ClientMessage::HangUp { call } => self.input(Input::AgentHangUp { agent, call }),
            ClientMessage::Hold { call, on: true } => self.input(Input::Hold { agent, call }),
            ClientMessage::Hold { call, on: false } => self.input(Input::Resume { agent, call }),
            ClientMessage::Dial { number, caller_id } => {
                self.dial(agent, &tenant, &number, caller_id.as_deref())
            }
            ClientMessage::Transfer { call, to } => {
                let to = match to {
                    TransferTo::Agent(name) => match AgentId::in_tenant(&tenant, &name) {
                        Ok(to) => TransferTarget::Agent(to),
                        Err(_) => {
                            let shown: String = name.chars().take(40).collect();
                            return self
                                .phones
                                .send(&agent, error(format!("{shown:?} is not an agent name")));
                        }
                    },
                    TransferTo::Queue(queue) => TransferTarget::Queue(QueueId::new(queue)),
                };
                self.input(Input::Transfer { agent, call, to })
            }
            // CRM choices go to the engine for every call it knows, wherever the call came from
            // (this switchboard or a PBX posting call events): whether this agent may make them
            // is the engine's rule, and it answers a refusal with a notice the agent sees.
            ClientMessage::ChooseContact { call, contact } => self.feed.send(
                tenant.as_str(),
                Event::ContactChosen {
                    call,
                    agent,
                    contact,
                },
            ),
            ClientMessage::CreateCase { call } => self
                .feed
                .send(tenant.as_str(), Event::ManualCaseRequested { call, agent }),
            // The web edge writes after-call work through the integration's outbox and never
            // hands it here; a client of telephony alone has nowhere to write it.
            ClientMessage::SubmitWrapUp { .. } => self.phones.send(
                &agent,
                error("after-call work is not saved by this connection".into()),
            ),
        }
    }

    fn dial(&mut self, agent: AgentId, tenant: &TenantId, number: &str, caller_id: Option<&str>) {
        let Some(context) = self.tenants.get(tenant) else {
            return self
                .phones
                .send(&agent, error("your contact center has no telephony".into()));
        };
        let Some(trunk) = &context.telephony.trunk else {
            return self.phones.send(
                &agent,
                error(
                    "outbound calls are not set up for your contact center (no trunk configured)"
                        .into(),
                ),
            );
        };
        let to = match words::dialable(number, context.region) {
            Ok(to) => to,
            Err(why) => return self.phones.send(&agent, error(why)),
        };
        let caller_id = match words::presented_caller_id(
            &trunk.caller_id,
            trunk.caller_id_per_call,
            caller_id,
            context.region,
        ) {
            Ok(presented) => caller_id.map(|_| presented),
            Err(why) => return self.phones.send(&agent, error(why)),
        };
        let call = CallId::new(uuid::Uuid::new_v4().to_string());
        self.calls.insert(CallLeg {
            call: call.clone(),
            tenant: tenant.clone(),
            leg: None,
            local_sdp: None,
            offerless: false,
            caller_id,
        });
        self.input(Input::Dial {
            agent,
            call: call.clone(),
            to,
        });
        // A refused dial (the agent was not available) never became a call: forget it.
        if self.board.call(&call).is_none() && !self.board.has_ended(&call) {
            self.calls.remove(&call);
        }
    }
}
