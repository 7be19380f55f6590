//! The switch loop: one task owns the [`Switchboard`] and everything keyed by call and agent. SIP
//! events, media events, softphone requests and finished recordings come in; the switchboard
//! decides; its outputs are carried out here against SIP, media, the recorder, the softphones,
//! the integration feed and the store.
//!
//! Nothing in here waits on the network: SIP and media calls only queue work for their own
//! tasks, and store writes run in their own tasks, so one slow peer never stalls the others.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use callbridge_core::{AgentId, CallId, CallerNumber, Direction, Event, QueueId, TenantId};
use callbridge_kernel::time::Clock;
use callbridge_media::{Media, MediaError, MediaEvent};
use callbridge_phone::{classify, Region};
use callbridge_sip::{IncomingCall, SipEndpoint, SipEvent};
use callbridge_store::{CallRecordRow, Store};
use callbridge_switchboard::{Cdr, Input, Leg, OutboundFailure, Switchboard};
use tokio::sync::mpsc;

use super::admission::Admission;
use super::calls::{CallLeg, CallTable};
use super::feed::Feed;
use super::recorder::{Recorder, RecordingDone};
use super::softphones::Softphones;
use crate::softphone::protocol::{ClientMessage, ServerMessage};
use callbridge_config::telephony::TenantTelephony;

mod outputs;
mod requests;

/// What softphone connections ask of the switch loop.
#[derive(Debug)]
pub enum Request {
    /// The agent's softphone was welcomed: tell it the agent's state.
    Attached { agent: AgentId },
    /// The agent's softphone went away, whichever way (see `Softphones`): log the agent out
    /// when they signed out; otherwise a call in progress waits for them (the grace period).
    Detached { agent: AgentId, signed_out: bool },
    /// A message from the agent's softphone.
    Message {
        agent: AgentId,
        message: ClientMessage,
    },
    /// New settings, to apply between two inputs (`TelephonyHandle::reconfigure`).
    Reconfigure(Box<Reconfiguration>),
}

/// What the switch loop takes from new settings, and where it says how it went.
#[derive(Debug)]
pub struct Reconfiguration {
    pub board: callbridge_switchboard::SwitchboardConfig,
    pub memberships: callbridge_switchboard::Memberships,
    pub admission: Admission,
    pub tenants: HashMap<TenantId, TenantContext>,
    pub reply: tokio::sync::oneshot::Sender<Result<Applied, callbridge_switchboard::ConfigError>>,
}

/// How a reconfiguration went in the switch loop.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    pub calls_in_progress: usize,
    pub calls_turned_away: usize,
}

/// A tenant as the loop needs it.
#[derive(Debug)]
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
    /// One "inbound call refused" line per source per interval.
    pub refusal_log: callbridge_sip::SourceLogThrottle,
    /// The loop's one reader of the clocks: the switchboard's timers run on its monotonic
    /// reading, its call records carry the wall one.
    pub clock: Clock,
    /// Each agent's last answered call that ended (its `call_ended` comes just before the
    /// `agent_state` that starts the wrap-up): the call a `wrap_up` message is about.
    pub last_ended: HashMap<AgentId, CallId>,
    /// The supervisor's wall sees every output carried out.
    pub wall: super::wall::WallFeed,
}

pub struct Sources {
    pub sip: mpsc::Receiver<SipEvent>,
    pub media: mpsc::UnboundedReceiver<MediaEvent>,
    pub requests: mpsc::UnboundedReceiver<Request>,
    pub recordings: mpsc::UnboundedReceiver<RecordingDone>,
}

impl Switch {
    pub async fn run(mut self, mut sources: Sources) {
        loop {
            let sleep = match self.board.poll_timeout() {
                Some(at) => self.clock.until(at),
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
                    let outputs = self.board.handle_timeout(self.clock.now());
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
            let outputs = self.board.handle(self.clock.now(), next);
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
                // Silence before the answer meant nothing; from now on it means a dead call.
                let _ = self.media.expect_media(&call);
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
                // A source can send a thousand of these a second under the flood limit.
                if let Some(suppressed) = self
                    .refusal_log
                    .should_log(incoming.source.ip(), std::time::Instant::now())
                {
                    tracing::warn!(source = %incoming.source, dialled = %incoming.to_user, ?refused, suppressed, "inbound call refused");
                }
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
        let customer = CallerNumber::from(classify(&incoming.from_user, route.region));
        tracing::info!(%call, leg = %incoming.leg, tenant = %route.tenant, queue = %route.queue, "inbound call");
        self.calls.insert(CallLeg {
            call: call.clone(),
            tenant: route.tenant.clone(),
            leg: Some(incoming.leg),
            local_sdp: Some(local_sdp),
            offerless,
            caller_id: None,
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
                let tenant = agent.tenant().clone();
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
                // Not a sign-out: a call in progress waits for a new audio session.
                Input::AgentLost { agent }
            }
            // Always reported: whether silence ends the call (it does not before the answer)
            // is the switchboard's rule.
            MediaEvent::MediaTimeout { call } => Input::MediaTimeout {
                call,
                leg: Leg::Customer,
            },
            MediaEvent::Dtmf { call, digit } => {
                tracing::debug!(%call, %digit, "DTMF from the customer");
                return;
            }
            MediaEvent::PromptFinished { call } => Input::PromptFinished { call },
        };
        self.input(input);
    }

    fn agent_queues(&self, tenant: &TenantId, agent: &AgentId) -> Vec<QueueId> {
        let name = agent.name().as_str();
        self.tenants
            .get(tenant)
            .and_then(|t| t.telephony.agents.iter().find(|a| a.name == name))
            .map(|a| a.queues.clone())
            .unwrap_or_default()
    }

    // ---- settings ---------------------------------------------------------------------------

    /// New settings: the switchboard decides what happens to calls and agents; what it decides
    /// is carried out while the old tenants' prompts are still known (a removed queue's
    /// announcement), then the numbers, trunks and prompts of the new settings take over, for
    /// the calls that arrive from now on.
    pub(super) fn reconfigure(&mut self, change: Reconfiguration) {
        let Reconfiguration {
            board,
            memberships,
            admission,
            tenants,
            reply,
        } = change;
        let calls_in_progress = self.board.active_calls();
        let ended_before = self.board.stats().calls_ended;
        match self
            .board
            .reconfigure(self.clock.now(), board, &memberships)
        {
            Ok(outputs) => {
                let turned_away = outputs
                    .iter()
                    .filter(|o| {
                        matches!(
                            o,
                            callbridge_switchboard::Output::PlayToCustomer {
                                prompt: callbridge_switchboard::Prompt::Announcement(_),
                                ..
                            }
                        )
                    })
                    .count();
                self.execute(outputs);
                self.drain();
                self.tenants = tenants;
                self.admission = admission;
                let ended = (self.board.stats().calls_ended - ended_before) as usize;
                let _ = reply.send(Ok(Applied {
                    calls_in_progress,
                    calls_turned_away: ended + turned_away,
                }));
            }
            Err(e) => {
                let _ = reply.send(Err(e));
            }
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
}

fn error(message: String) -> ServerMessage {
    ServerMessage::Error { message }
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
        first_agent: cdr.first_agent.as_ref().map(|a| a.name().to_string()),
        last_agent: cdr.last_agent.as_ref().map(|a| a.name().to_string()),
        outcome: cdr.outcome.as_word().to_string(),
        started_at: cdr.created_at.as_millis() as i64,
        ended_at: cdr.ended_at.as_millis() as i64,
        record: serde_json::to_string(cdr).expect("records serialise"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_statuses_become_reasons_an_agent_understands() {
        assert_eq!(outbound_failure(486), OutboundFailure::Busy);
        assert_eq!(outbound_failure(600), OutboundFailure::Busy);
        assert_eq!(outbound_failure(480), OutboundFailure::NoAnswer);
        assert_eq!(outbound_failure(408), OutboundFailure::NoAnswer);
        assert_eq!(outbound_failure(603), OutboundFailure::Declined);
        assert_eq!(outbound_failure(404), OutboundFailure::InvalidNumber);
        assert_eq!(outbound_failure(503), OutboundFailure::Unreachable);
        assert_eq!(
            outbound_failure(403),
            OutboundFailure::Rejected { status: 403 }
        );
    }

    #[test]
    fn offers_we_cannot_use_get_488_and_exhausted_ports_503() {
        let sdp = callbridge_media::sdp::TrunkSdp::parse(b"v=0\r\nm=audio 4000 RTP/AVP 8\r\n")
            .map(|_| ())
            .unwrap_err();
        assert_eq!(sdp_status(&MediaError::Sdp(sdp)), 488);
        assert_eq!(sdp_status(&MediaError::PortsExhausted), 503);
    }
}
