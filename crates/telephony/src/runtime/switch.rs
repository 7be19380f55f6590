//! The switch loop: one task owns the [`Switchboard`] and everything keyed by call and agent. SIP
//! events, media events, softphone requests and finished recordings come in; the switchboard
//! decides; its outputs are carried out here against SIP, media, the recorder, the softphones,
//! the integration feed and the store.
//!
//! Nothing in here waits on the network: SIP and media calls only queue work for their own
//! tasks, and store writes run in their own tasks, so one slow peer never stalls the others.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use callbridge_core::{
    AgentId, CallId, Direction, Event, QueueId, TenantId, Timestamp, TransferTarget,
};
use callbridge_integration::agents::{agent_id, local_name, valid_local_name};
use callbridge_integration::events_api::body::caller_number;
use callbridge_media::{Media, MediaError, MediaEvent};
use callbridge_phone::Region;
use callbridge_sip::{
    DigestCredentials, IncomingCall, LegId, OutboundInvite, SipEndpoint, SipEvent, TrunkTarget,
};
use callbridge_store::{CallRecordRow, Store};
use callbridge_switchboard::{
    Cdr, Input, Leg, OutboundFailure, Output, Prompt, Switchboard, UnavailableReason,
};
use tokio::sync::mpsc;

use super::admission::Admission;
use super::calls::{CallLeg, CallTable};
use super::feed::Feed;
use super::recorder::{Recorder, RecordingDone};
use super::softphones::Softphones;
use super::words;
use crate::config::{TenantTelephony, Transport};
use crate::softphone::protocol::{ClientMessage, ServerMessage, TransferTo};

/// What softphone connections ask of the switch loop.
#[derive(Debug)]
pub enum Request {
    /// The agent's softphone went away (socket closed or replaced by nothing).
    Detached { agent: AgentId },
    /// A message from the agent's softphone.
    Message {
        agent: AgentId,
        message: ClientMessage,
    },
}

/// A tenant as the loop needs it.
pub struct TenantContext {
    pub telephony: TenantTelephony,
    pub region: Region,
}

pub struct Switch {
    pub board: Switchboard,
    pub calls: CallTable,
    pub tenants: HashMap<TenantId, TenantContext>,
    pub admission: Admission,
    pub sip: SipEndpoint,
    pub media: Media,
    pub phones: Arc<Softphones>,
    pub feed: Feed,
    pub recorder: Recorder,
    pub store: Store,
    /// Inputs produced while carrying out outputs (a failed originate), handled next.
    pub pending: VecDeque<Input>,
}

pub struct Sources {
    pub sip: mpsc::Receiver<SipEvent>,
    pub media: mpsc::UnboundedReceiver<MediaEvent>,
    pub requests: mpsc::UnboundedReceiver<Request>,
    pub recordings: mpsc::UnboundedReceiver<RecordingDone>,
}

/// Wall-clock milliseconds: the switchboard's timestamps end up in call records.
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

impl Switch {
    pub async fn run(mut self, mut sources: Sources) {
        loop {
            let sleep = match self.board.poll_timeout() {
                Some(at) => Duration::from_millis(at.as_millis().saturating_sub(now().as_millis())),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                event = sources.sip.recv() => match event {
                    Some(event) => self.on_sip(event),
                    None => break,
                },
                Some(event) = sources.media.recv() => self.on_media(event),
                Some(request) = sources.requests.recv() => self.on_request(request),
                Some(done) = sources.recordings.recv() => self.on_recording(done),
                _ = tokio::time::sleep(sleep) => {
                    let outputs = self.board.handle_timeout(now());
                    self.execute(outputs);
                    self.drain();
                }
            }
        }
    }

    /// Feeds one input to the switchboard and carries out what it decides, including any
    /// inputs that carrying it out produced.
    fn input(&mut self, input: Input) {
        self.pending.push_back(input);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(next) = self.pending.pop_front() {
            let outputs = self.board.handle(now(), next);
            self.execute(outputs);
        }
    }

    // ---- SIP ------------------------------------------------------------------------------

    fn on_sip(&mut self, event: SipEvent) {
        let leg = event.leg();
        if let SipEvent::IncomingCall(call) = event {
            return self.on_incoming(call);
        }
        let Some(call) = self.calls.call_of(leg).cloned() else {
            if let SipEvent::Reinvite { reply, .. } = event {
                let _ = reply.send(Err(481));
            }
            return;
        };
        match event {
            SipEvent::IncomingCall(_) => unreachable!("handled above"),
            SipEvent::Confirmed { ack_sdp, .. } => {
                let offerless = self.calls.get(&call).is_some_and(|c| c.offerless);
                if let (true, Some(sdp)) = (offerless, ack_sdp) {
                    if let Err(e) = self.media.apply_trunk_answer(&call, sdp.as_bytes()) {
                        tracing::warn!(%call, error = %e, "the carrier's answer in the ACK is unusable");
                        self.input(Input::TrunkFailed {
                            call,
                            detail: format!("unusable SDP answer in ACK: {e}"),
                        });
                    }
                }
            }
            SipEvent::Cancelled { .. } | SipEvent::RemoteHangUp { .. } => {
                self.input(Input::CustomerHungUp { call });
            }
            SipEvent::SessionExpired { .. } => {
                self.input(Input::TrunkFailed {
                    call,
                    detail: "SIP session timer expired".into(),
                });
            }
            SipEvent::Lost { reason, .. } => {
                self.input(Input::TrunkFailed {
                    call,
                    detail: reason,
                });
            }
            SipEvent::Reinvite { sdp, reply, .. } => {
                let answer = match sdp {
                    Some(offer) => self
                        .media
                        .answer_trunk_offer(&call, offer.as_bytes())
                        .map_err(|e| sdp_status(&e)),
                    None => self.media.trunk_offer(&call).map_err(|e| sdp_status(&e)),
                };
                let _ = reply.send(answer);
            }
            SipEvent::Dtmf { digit, .. } => {
                tracing::debug!(%call, %digit, "DTMF by SIP INFO");
            }
            SipEvent::OutboundProgress { sdp, .. } => {
                if let Some(sdp) = sdp {
                    if let Err(e) = self.media.apply_trunk_answer(&call, sdp.as_bytes()) {
                        tracing::debug!(%call, error = %e, "early media SDP not usable");
                    }
                }
                self.input(Input::OutboundRinging { call });
            }
            SipEvent::OutboundAnswered { sdp, .. } => {
                let applied = match sdp {
                    Some(sdp) => self.media.apply_trunk_answer(&call, sdp.as_bytes()),
                    None => Ok(()),
                };
                if let Some(c) = self.calls.get_mut(&call) {
                    c.answered = true;
                }
                match applied {
                    Ok(()) => self.input(Input::OutboundAnswered { call }),
                    Err(e) => {
                        self.input(Input::OutboundAnswered { call: call.clone() });
                        self.input(Input::TrunkFailed {
                            call,
                            detail: format!("unusable SDP answer: {e}"),
                        });
                    }
                }
            }
            SipEvent::OutboundFailed { status, reason, .. } => {
                tracing::info!(%call, status, %reason, "outbound call failed");
                self.input(Input::OutboundFailed {
                    call,
                    failure: outbound_failure(status),
                });
            }
        }
    }

    fn on_incoming(&mut self, incoming: IncomingCall) {
        let route = match self
            .admission
            .admit(&incoming.to_user, incoming.source.ip())
        {
            Ok(route) => route,
            Err(refused) => {
                tracing::warn!(source = %incoming.source, dialled = %incoming.to_user, ?refused, "inbound call refused");
                let _ = self.sip.reject(incoming.leg, refused.status());
                return;
            }
        };
        let call = CallId::new(uuid::Uuid::new_v4().to_string());
        if let Err(e) = self.media.open_trunk_leg(&call) {
            tracing::error!(%call, error = %e, "no media for an inbound call");
            let _ = self.sip.reject(incoming.leg, 503);
            return;
        }
        let (local_sdp, offerless) = match &incoming.offer {
            Some(offer) => match self.media.answer_trunk_offer(&call, offer.as_bytes()) {
                Ok(answer) => (answer, false),
                Err(e) => {
                    tracing::info!(%call, error = %e, "inbound offer refused");
                    let _ = self.sip.reject(incoming.leg, sdp_status(&e));
                    self.media.close_trunk_leg(&call);
                    return;
                }
            },
            None => match self.media.trunk_offer(&call) {
                Ok(offer) => (offer, true),
                Err(e) => {
                    tracing::error!(%call, error = %e, "cannot make an offer");
                    let _ = self.sip.reject(incoming.leg, 503);
                    self.media.close_trunk_leg(&call);
                    return;
                }
            },
        };
        let region = self
            .tenants
            .get(&route.tenant)
            .map(|t| t.region)
            .unwrap_or_else(|| Region::parse("US").expect("US is a region"));
        let customer = caller_number(&incoming.from_user, region);
        tracing::info!(%call, leg = %incoming.leg, tenant = %route.tenant, queue = %route.queue, "inbound call");
        self.calls.insert(CallLeg {
            call: call.clone(),
            tenant: route.tenant.clone(),
            leg: Some(incoming.leg),
            local_sdp: Some(local_sdp),
            offerless,
            answered: false,
        });
        self.input(Input::InboundCall {
            call,
            tenant: route.tenant,
            queue: route.queue,
            customer,
            dialled: incoming.to_user,
        });
    }

    // ---- media ----------------------------------------------------------------------------

    fn on_media(&mut self, event: MediaEvent) {
        let input = match event {
            MediaEvent::AgentConnected { agent } => {
                self.phones
                    .send(&agent, ServerMessage::Media { connected: true });
                let tenant = TenantId::new(tenant_of(&agent));
                let queues = self.agent_queues(&tenant, &agent);
                Input::AgentOnline {
                    agent,
                    tenant,
                    queues,
                    available: false,
                }
            }
            MediaEvent::AgentDisconnected { agent, reason } => {
                tracing::info!(%agent, ?reason, "agent media session ended");
                self.phones
                    .send(&agent, ServerMessage::Media { connected: false });
                Input::AgentOffline { agent }
            }
            MediaEvent::MediaTimeout { call } => {
                // A carrier owes us no audio before the call is answered (a queued call
                // that hears ringback is not answered): silence then means nothing.
                if !self.calls.get(&call).is_some_and(|c| c.answered) {
                    tracing::debug!(%call, "no audio before answer; not a dead call");
                    return;
                }
                Input::MediaTimeout {
                    call,
                    leg: Leg::Customer,
                }
            }
            MediaEvent::Dtmf { call, digit } => {
                tracing::debug!(%call, %digit, "DTMF from the customer");
                return;
            }
            MediaEvent::PromptFinished { call } => Input::PromptFinished { call },
        };
        self.input(input);
    }

    fn agent_queues(&self, tenant: &TenantId, agent: &AgentId) -> Vec<QueueId> {
        let name = local_name(agent);
        self.tenants
            .get(tenant)
            .and_then(|t| t.telephony.agents.iter().find(|a| a.name == name))
            .map(|a| a.queues.clone())
            .unwrap_or_default()
    }

    // ---- softphones -----------------------------------------------------------------------

    fn on_request(&mut self, request: Request) {
        match request {
            Request::Detached { agent } => {
                self.media.close_agent_session(&agent);
                self.input(Input::AgentOffline { agent });
            }
            Request::Message { agent, message } => self.on_message(agent, message),
        }
    }

    fn on_message(&mut self, agent: AgentId, message: ClientMessage) {
        let tenant = TenantId::new(tenant_of(&agent));
        match message {
            ClientMessage::Ping => self.phones.send(&agent, ServerMessage::Pong),
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
            ClientMessage::Dial { number } => self.dial(agent, &tenant, &number),
            ClientMessage::Transfer { call, to } => {
                let to = match to {
                    TransferTo::Agent(name) if valid_local_name(&name) => {
                        TransferTarget::Agent(agent_id(&tenant, &name))
                    }
                    TransferTo::Agent(name) => {
                        let shown: String = name.chars().take(40).collect();
                        return self
                            .phones
                            .send(&agent, error(format!("{shown:?} is not an agent name")));
                    }
                    TransferTo::Queue(queue) => TransferTarget::Queue(QueueId::new(queue)),
                };
                self.input(Input::Transfer { agent, call, to })
            }
            ClientMessage::ChooseContact { call, contact } => {
                if self.board.holder(&call).as_ref() == Some(&agent) {
                    self.feed.send(
                        tenant.as_str(),
                        Event::ContactChosen {
                            call,
                            agent,
                            contact,
                        },
                    );
                } else {
                    self.phones
                        .send(&agent, error("you are not connected to that call".into()));
                }
            }
            ClientMessage::CreateCase { call } => {
                if self.board.holder(&call).as_ref() == Some(&agent) {
                    self.feed
                        .send(tenant.as_str(), Event::ManualCaseRequested { call, agent });
                } else {
                    self.phones
                        .send(&agent, error("you are not connected to that call".into()));
                }
            }
        }
    }

    fn dial(&mut self, agent: AgentId, tenant: &TenantId, number: &str) {
        let Some(context) = self.tenants.get(tenant) else {
            return self
                .phones
                .send(&agent, error("your contact center has no telephony".into()));
        };
        if context.telephony.trunk.is_none() {
            return self.phones.send(
                &agent,
                error(
                    "outbound calls are not set up for your contact center (no trunk configured)"
                        .into(),
                ),
            );
        }
        let to = match words::dialable(number, context.region) {
            Ok(to) => to,
            Err(why) => return self.phones.send(&agent, error(why)),
        };
        let call = CallId::new(uuid::Uuid::new_v4().to_string());
        self.calls.insert(CallLeg {
            call: call.clone(),
            tenant: tenant.clone(),
            leg: None,
            local_sdp: None,
            offerless: false,
            answered: false,
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

    // ---- recordings -------------------------------------------------------------------------

    fn on_recording(&mut self, done: RecordingDone) {
        self.feed.send(
            &done.tenant,
            Event::RecordingReady {
                call: CallId::new(done.call_id),
                recording: done.locator,
            },
        );
    }

    // ---- outputs ----------------------------------------------------------------------------

    /// Carries out the switchboard's outputs in order. Inputs they cause are queued in
    /// `pending`.
    fn execute(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            self.carry_out(output);
        }
    }

    fn leg(&self, call: &CallId) -> Option<LegId> {
        self.calls.leg_of(call)
    }

    fn carry_out(&mut self, output: Output) {
        match output {
            Output::Integration(event) => {
                let tenant = event
                    .call()
                    .and_then(|c| self.calls.get(c))
                    .map(|c| c.tenant.as_str().to_string());
                match tenant {
                    Some(tenant) => self.feed.send(&tenant, event),
                    None => tracing::warn!(?event, "integration event for an unknown call"),
                }
            }
            Output::RingbackCustomer { call } => {
                if let Some(leg) = self.leg(&call) {
                    log_sip(&call, self.sip.ringing(leg, None));
                }
            }
            Output::AnswerCustomer { call } => {
                let Some(entry) = self.calls.get_mut(&call) else {
                    return;
                };
                entry.answered = true;
                if let (Some(leg), Some(sdp)) = (entry.leg, entry.local_sdp.clone()) {
                    log_sip(&call, self.sip.answer(leg, sdp));
                }
            }
            Output::PlayToCustomer { call, prompt } => {
                let Some(tenant) = self.calls.get(&call).map(|c| c.tenant.clone()) else {
                    return;
                };
                let prompt = self.media_prompt(&tenant, prompt);
                let media = self.media.clone();
                let mut play = Box::pin(async move {
                    if let Err(e) = media.play(&call, prompt).await {
                        tracing::warn!(%call, error = %e, "prompt could not play");
                    }
                });
                // Prompts are loaded at start, so this completes at once and keeps its order
                // with the bridge that may follow; a file not loaded yet is read off this loop.
                if futures::FutureExt::now_or_never(&mut play).is_none() {
                    tokio::spawn(play);
                }
            }
            Output::RejectCustomer {
                call,
                status,
                reason,
            } => {
                if let Some(leg) = self.leg(&call) {
                    tracing::info!(%call, status, %reason, "rejecting inbound call");
                    log_sip(&call, self.sip.reject(leg, status));
                }
            }
            Output::HangUpCustomer { call } => {
                if let Some(leg) = self.leg(&call) {
                    log_sip(&call, self.sip.hang_up(leg));
                }
            }
            Output::Bridge { call, agent } => {
                if let Err(e) = self.media.connect(&call, &agent) {
                    tracing::warn!(%call, %agent, error = %e, "bridge failed");
                    self.pending.push_back(Input::TrunkFailed {
                        call,
                        detail: format!("media bridge failed: {e}"),
                    });
                }
            }
            Output::Unbridge { call } => {
                if let Err(e) = self.media.disconnect(&call) {
                    tracing::debug!(%call, error = %e, "unbridge");
                }
            }
            Output::StartRecording { call } => {
                let Some(tenant) = self.calls.get(&call).map(|c| c.tenant.clone()) else {
                    return;
                };
                match self.recorder.start_call(&call, &tenant) {
                    Ok(tap) => {
                        if let Err(e) = self.media.record(&call, tap) {
                            tracing::error!(%call, error = %e, "recording tap could not be attached");
                        }
                    }
                    Err(e) => tracing::error!(%call, error = %e, "recording could not start"),
                }
            }
            Output::StopRecording { call } => {
                let _ = self.media.stop_recording(&call);
                self.recorder.stop(&call);
            }
            Output::RingAgent {
                agent,
                call,
                customer,
                queue,
                direction,
                transferred_by,
            } => {
                self.phones.send(
                    &agent,
                    ServerMessage::Ringing {
                        call: call.to_string(),
                        direction: direction.to_string(),
                        customer: customer.for_display().to_string(),
                        queue: queue.map(|q| q.to_string()),
                        transferred_by: transferred_by.map(|a| local_name(&a).to_string()),
                    },
                );
            }
            Output::StopRinging { agent, call, why } => {
                self.phones.send(
                    &agent,
                    ServerMessage::CallStatus {
                        call: call.to_string(),
                        status: "ring_stopped".into(),
                        detail: words::stop_ringing(why).into(),
                    },
                );
            }
            Output::AgentUpdate {
                agent,
                state,
                message,
            } => {
                let call = state.call().map(|c| c.to_string());
                self.phones.send(
                    &agent,
                    ServerMessage::AgentState {
                        state: words::state_word(&state).into(),
                        call,
                        detail: message,
                    },
                );
            }
            Output::Refused { agent, refusal, .. } => {
                self.phones.send(&agent, error(refusal.message()));
            }
            Output::Originate {
                call,
                tenant,
                agent,
                to,
            } => {
                if let Err(detail) = self.originate(&call, &tenant, &to) {
                    tracing::warn!(%call, %agent, %detail, "outbound call could not be placed");
                    self.pending.push_back(Input::OutboundFailed {
                        call,
                        failure: OutboundFailure::Unreachable,
                    });
                }
            }
            Output::CancelOriginate { call } => {
                if let Some(leg) = self.leg(&call) {
                    log_sip(&call, self.sip.hang_up(leg));
                }
            }
            Output::CallRecord(cdr) => self.finish_call(*cdr),
        }
    }

    fn originate(&mut self, call: &CallId, tenant: &TenantId, to: &str) -> Result<(), String> {
        let trunk = self
            .tenants
            .get(tenant)
            .and_then(|t| t.telephony.trunk.clone())
            .ok_or("no trunk configured")?;
        self.media.open_trunk_leg(call).map_err(|e| e.to_string())?;
        let offer = self.media.trunk_offer(call).map_err(|e| e.to_string())?;
        let credentials = match (&trunk.username, &trunk.password) {
            (Some(username), Some(password)) => Some(DigestCredentials {
                username: username.clone(),
                password: password.expose().to_string(),
                realm: None,
            }),
            _ => None,
        };
        let leg = self
            .sip
            .invite(OutboundInvite {
                target: TrunkTarget {
                    host: trunk.host.clone(),
                    port: trunk.port,
                    transport: match trunk.transport {
                        Transport::Udp => callbridge_sip::Transport::Udp,
                        Transport::Tcp => callbridge_sip::Transport::Tcp,
                    },
                },
                from_user: trunk.caller_id.clone(),
                from_display: None,
                to_user: to.to_string(),
                credentials,
                sdp_offer: offer,
            })
            .map_err(|e| e.to_string())?;
        self.calls.set_leg(call, leg);
        Ok(())
    }

    fn media_prompt(&self, tenant: &TenantId, prompt: Prompt) -> callbridge_media::Prompt {
        let queue = |q: &Option<QueueId>| {
            self.tenants.get(tenant).and_then(|t| match q {
                Some(q) => t.telephony.queues.iter().find(|s| &s.id == q),
                None => t.telephony.queues.first(),
            })
        };
        match prompt {
            Prompt::Ringback => callbridge_media::Prompt::Ringback,
            Prompt::Silence => callbridge_media::Prompt::Silence,
            Prompt::Music(q) => match queue(&q).and_then(|s| s.music.clone()) {
                Some(path) => callbridge_media::Prompt::Music(path),
                None => callbridge_media::Prompt::Ringback,
            },
            Prompt::Announcement(q) => match queue(&Some(q)).and_then(|s| s.announcement.clone()) {
                Some(path) => callbridge_media::Prompt::Announcement(path),
                None => callbridge_media::Prompt::Silence,
            },
        }
    }

    /// The call is over: its record is stored and everything the runtime kept for it is let go.
    fn finish_call(&mut self, cdr: Cdr) {
        let entry = self.calls.remove(&cdr.call);
        self.media.close_trunk_leg(&cdr.call);
        self.recorder.stop(&cdr.call);
        let Some(entry) = entry else { return };
        let row = cdr_row(&entry.tenant, &cdr);
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.save_call_record(&row).await {
                tracing::error!(call = %row.call_id, error = %e, "call record not saved");
            }
        });
    }
}

fn error(message: String) -> ServerMessage {
    ServerMessage::Error { message }
}

/// The tenant part of a runtime agent id.
fn tenant_of(agent: &AgentId) -> &str {
    agent.as_str().split_once(':').map(|(t, _)| t).unwrap_or("")
}

fn log_sip(call: &CallId, result: Result<(), callbridge_sip::SipError>) {
    if let Err(e) = result {
        tracing::debug!(%call, error = %e, "SIP command not carried out (the leg has moved on)");
    }
}

/// The SIP status for an offer we cannot use: 488 for SDP we cannot accept, 500 otherwise.
fn sdp_status(error: &MediaError) -> u16 {
    match error {
        MediaError::Sdp(_) => 488,
        MediaError::PortsExhausted => 503,
        _ => 500,
    }
}

/// What a carrier's final status means to the agent who dialled.
pub fn outbound_failure(status: u16) -> OutboundFailure {
    match status {
        486 | 600 => OutboundFailure::Busy,
        408 | 480 | 487 => OutboundFailure::NoAnswer,
        603 => OutboundFailure::Declined,
        404 | 484 | 604 => OutboundFailure::InvalidNumber,
        502..=504 => OutboundFailure::Unreachable,
        status => OutboundFailure::Rejected { status },
    }
}

fn cdr_row(tenant: &TenantId, cdr: &Cdr) -> CallRecordRow {
    CallRecordRow {
        tenant: tenant.as_str().to_string(),
        call_id: cdr.call.to_string(),
        direction: match cdr.direction {
            Direction::Inbound => "inbound".into(),
            Direction::Outbound => "outbound".into(),
        },
        customer: cdr.customer.for_display().to_string(),
        queue: cdr.queues.first().map(|q| q.to_string()),
        first_agent: cdr.first_agent.as_ref().map(|a| local_name(a).to_string()),
        last_agent: cdr.last_agent.as_ref().map(|a| local_name(a).to_string()),
        outcome: cdr.outcome.as_word().to_string(),
        started_at: cdr.created_at.as_millis() as i64,
        ended_at: cdr.ended_at.as_millis() as i64,
        record: serde_json::to_string(cdr).expect("records serialise"),
    }
}
