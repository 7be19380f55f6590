//! Carrying out the switchboard's decisions against SIP, media, the recorder, the softphones,
//! the integration feed and the store.

use callbridge_core::{CallId, QueueId, TenantId};
use callbridge_sip::{DigestCredentials, LegId, OutboundInvite, TrunkTarget};
use callbridge_switchboard::{Cdr, Input, OutboundFailure, Output, Prompt};

use super::{cdr_row, error, log_sip, Switch};
use crate::runtime::words;
use crate::softphone::protocol::ServerMessage;
use callbridge_config::telephony::Transport;

impl Switch {
    /// Carries out the switchboard's outputs in order. Inputs they cause are queued in
    /// `pending`.
    pub(super) fn execute(&mut self, outputs: Vec<Output>) {
        let at = self.clock.wall();
        for output in outputs {
            self.wall.observe(at, &output);
            self.carry_out(output);
        }
    }

    fn leg(&self, call: &CallId) -> Option<LegId> {
        self.calls.leg_of(call)
    }

    fn carry_out(&mut self, output: Output) {
        match output {
            Output::Integration { tenant, event } => self.feed.send(tenant.as_str(), event),
            Output::RingbackCustomer { call } => {
                if let Some(leg) = self.leg(&call) {
                    log_sip(&call, self.sip.ringing(leg, None));
                }
            }
            Output::AnswerCustomer { call } => {
                let Some(entry) = self.calls.get(&call) else {
                    return;
                };
                // Silence before the answer meant nothing; from now on it means a dead call.
                let _ = self.media.expect_media(&call);
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
                match self.recorder.start_call(&call, &tenant, self.clock.wall()) {
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
                let (customer, customer_kind) = words::customer(&customer);
                self.phones.send(
                    &agent,
                    ServerMessage::Ringing {
                        call: call.to_string(),
                        direction: direction.to_string(),
                        customer,
                        customer_kind,
                        queue: queue.map(|q| q.to_string()),
                        transferred_by: transferred_by.map(|a| a.name().to_string()),
                    },
                );
            }
            Output::StopRinging { agent, call, why } => {
                let (reason, detail) = words::stop_ringing(why);
                self.phones.send(
                    &agent,
                    ServerMessage::CallStatus {
                        call: call.to_string(),
                        status: "ring_stopped",
                        reason,
                        detail: detail.into(),
                    },
                );
            }
            Output::CallEnded {
                agent,
                call,
                cause,
                agent_lost,
            } => {
                self.last_ended.insert(agent.clone(), call.clone());
                let (cause, detail) = words::call_ended(&cause, agent_lost);
                self.phones.send(
                    &agent,
                    ServerMessage::CallEnded {
                        call: call.to_string(),
                        cause,
                        detail: detail.into(),
                    },
                );
            }
            Output::AgentUpdate {
                agent,
                state,
                message,
            } => {
                // Entering after-call work: the state, then what the wrap-up is about and
                // until when (the switchboard makes the agent available then).
                let wrap_up = match &state {
                    callbridge_switchboard::AgentState::WrapUp { until } => {
                        self.last_ended.remove(&agent).map(|call| (call, *until))
                    }
                    _ => None,
                };
                self.phones
                    .send(&agent, words::agent_state(&state, message));
                if let Some((call, until)) = wrap_up {
                    let message =
                        words::wrap_up(&call, self.clock.wall_at(until), self.clock.until(until));
                    self.phones.send(&agent, message);
                }
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
                if let Err(failure) = self.originate(&call, &tenant, &to) {
                    tracing::warn!(%call, %agent, ?failure, "outbound call could not be placed");
                    self.pending
                        .push_back(Input::OutboundFailed { call, failure });
                }
            }
            Output::CancelOriginate { call } => {
                if let Some(leg) = self.leg(&call) {
                    log_sip(&call, self.sip.hang_up(leg));
                }
            }
            Output::CallRecord(cdr) => self.finish_call(*cdr),
            // Only for observers (the wall has it already).
            Output::CallQueued { .. } => {}
        }
    }

    /// Opens the media leg and INVITEs the tenant's trunk; an error says why the trunk was never
    /// asked (or could not be reached), for the switchboard and the agent.
    fn originate(
        &mut self,
        call: &CallId,
        tenant: &TenantId,
        to: &str,
    ) -> Result<(), OutboundFailure> {
        let trunk = self
            .tenants
            .get(tenant)
            .and_then(|t| t.telephony.trunk.clone())
            .ok_or(OutboundFailure::NoTrunk)?;
        // The caller id the agent chose for this call, where the trunk allows it (checked when
        // the call was dialled), else the trunk's own.
        let caller_id = self
            .calls
            .get(call)
            .and_then(|entry| entry.caller_id.clone())
            .unwrap_or_else(|| trunk.caller_id.clone());
        self.media.open_trunk_leg(call).map_err(media_failure)?;
        let offer = self.media.trunk_offer(call).map_err(media_failure)?;
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
                from_user: caller_id.as_str().to_string(),
                from_display: None,
                to_user: to.to_string(),
                credentials,
                sdp_offer: offer,
            })
            .map_err(sip_failure)?;
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

/// Why a media leg for an outbound call could not be opened, as the agent's reason.
fn media_failure(error: callbridge_media::MediaError) -> OutboundFailure {
    match error {
        callbridge_media::MediaError::PortsExhausted => OutboundFailure::NoAudioPort,
        other => OutboundFailure::NotPlaced {
            detail: other.to_string(),
        },
    }
}

/// Why the INVITE could not be sent. Every error the endpoint returns at once is a problem on
/// our side (a caller id or trunk address that is no SIP URI, no listener for the trunk's
/// transport); network failures arrive later as the INVITE's final status.
fn sip_failure(error: callbridge_sip::SipError) -> OutboundFailure {
    OutboundFailure::NotPlaced {
        detail: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_originate_that_fails_on_our_side_keeps_its_cause() {
        assert_eq!(
            media_failure(callbridge_media::MediaError::PortsExhausted),
            OutboundFailure::NoAudioPort
        );
        let no_leg = callbridge_media::MediaError::UnknownCall(CallId::new("o1"));
        assert!(matches!(
            media_failure(no_leg),
            OutboundFailure::NotPlaced { detail } if detail.contains("o1")
        ));
        let bad_target = callbridge_sip::SipError::InvalidTarget("trunk address x:0".into());
        assert!(matches!(
            sip_failure(bad_target),
            OutboundFailure::NotPlaced { detail } if detail.contains("trunk address")
        ));
    }
}
