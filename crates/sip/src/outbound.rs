//! Click-to-dial: our INVITE through the trunk, from first byte to answered or failed.

use std::sync::Arc;

use rsipstack::dialog::authenticate::Credential;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invitation::{InviteAsyncResult, InviteOption};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{HostWithPort, Response, StatusCodeKind};
use rsipstack::transport::SipAddr;
use tokio::task::JoinHandle;

use crate::config::{OutboundInvite, Transport};
use crate::endpoint::Shared;
use crate::error::SipError;
use crate::event::{LegId, SipEvent};
use crate::legs::{Direction, Leg, Phase};
use crate::lifecycle::{follow_dialog, forget, sip_uri, text_body};

/// Characters allowed unescaped in a SIP URI user part (RFC 3261 §25.1: unreserved and
/// user-unreserved). Caller ids and dialled numbers never need anything else.
fn valid_user(user: &str) -> bool {
    !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/#".contains(c))
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
}

pub(crate) fn start(shared: &Arc<Shared>, request: OutboundInvite) -> Result<LegId, SipError> {
    if !valid_user(&request.from_user) {
        return Err(SipError::InvalidTarget(format!(
            "caller id {:?} is not a valid SIP user part",
            request.from_user
        )));
    }
    if !valid_user(&request.to_user) {
        return Err(SipError::InvalidTarget(format!(
            "dialled number {:?} is not a valid SIP user part",
            request.to_user
        )));
    }
    let target = &request.target;
    if !valid_host(&target.host) || target.port == 0 {
        return Err(SipError::InvalidTarget(format!(
            "trunk address {}:{} is not a host and port",
            target.host, target.port
        )));
    }
    let local = shared.advertised(target.transport).ok_or_else(|| {
        SipError::Config(format!(
            "the trunk uses {} but no {} listener is configured",
            target.transport, target.transport
        ))
    })?;
    let host_port = HostWithPort::try_from(format!("{}:{}", target.host, target.port))
        .map_err(|error| SipError::InvalidTarget(format!("trunk address: {error}")))?;
    let stack_transport = match target.transport {
        Transport::Udp => rsipstack::sip::Transport::Udp,
        Transport::Tcp => rsipstack::sip::Transport::Tcp,
    };
    let mut callee = sip_uri(Some(&request.to_user), local, target.transport);
    callee.host_with_port = host_port.clone();

    let option = InviteOption {
        caller_display_name: request.from_display.clone(),
        caller: sip_uri(Some(&request.from_user), local, Transport::Udp),
        callee,
        destination: Some(SipAddr {
            r#type: Some(stack_transport),
            addr: host_port,
        }),
        content_type: Some("application/sdp".to_string()),
        offer: Some(request.sdp_offer.into_bytes()),
        contact: sip_uri(Some(&request.from_user), local, Transport::Udp),
        // Our own Call-ID, scoped to the address we send from (rsipstack's default suffix names
        // its authors' domain).
        call_id: Some(format!("{}@{}", uuid::Uuid::new_v4().simple(), local.ip())),
        credential: request.credentials.map(|credentials| Credential {
            username: credentials.username,
            password: credentials.password,
            realm: credentials.realm,
            auth_username: None,
        }),
        ..InviteOption::default()
    };

    let leg = shared.legs.allocate();
    let (states_tx, states) = shared.dialogs.new_dialog_state_channel();
    let (dialog, invite) = shared
        .dialogs
        .do_invite_async(option, states_tx)
        .map_err(SipError::stack)?;
    shared.legs.insert(
        leg,
        Leg {
            dialog: dialog.clone(),
            direction: Direction::Outbound,
            phase: Phase::Calling,
            ended_locally: false,
            session_interval: None,
        },
    );
    tokio::spawn(run(shared.clone(), leg, dialog, invite, states));
    Ok(leg)
}

/// Reports progress until the INVITE transaction ends, then follows the call if answered.
async fn run(
    shared: Arc<Shared>,
    leg: LegId,
    dialog: InviteDialog,
    mut invite: JoinHandle<InviteAsyncResult>,
    mut states: DialogStateReceiver,
) {
    let outcome = loop {
        tokio::select! {
            biased;
            state = states.recv() => match state {
                Some(DialogState::Early(_, response)) => {
                    shared.emit(SipEvent::OutboundProgress {
                        leg,
                        status: response.status_code.code(),
                        sdp: text_body(&response.body),
                    }).await;
                }
                Some(_) => {}
                None => break (&mut invite).await,
            },
            joined = &mut invite => break joined,
        }
    };
    let final_response = match outcome {
        Ok(Ok((_, Some(response)))) => response,
        Ok(Ok((_, None))) => {
            return fail(
                &shared,
                leg,
                &dialog,
                408,
                "no response from the trunk".into(),
            )
            .await;
        }
        Ok(Err(error)) => {
            return fail(
                &shared,
                leg,
                &dialog,
                503,
                format!("trunk unreachable: {error}"),
            )
            .await;
        }
        Err(error) => {
            return fail(
                &shared,
                leg,
                &dialog,
                503,
                format!("INVITE task failed: {error}"),
            )
            .await;
        }
    };
    if final_response.status_code.kind() != StatusCodeKind::Successful {
        let status = final_response.status_code.code();
        return fail(
            &shared,
            leg,
            &dialog,
            status,
            reason_phrase(&final_response),
        )
        .await;
    }
    let answered = shared
        .legs
        .with(leg, |entry| {
            Ok(entry.phase == Phase::Calling && {
                entry.phase = Phase::Confirmed;
                true
            })
        })
        .unwrap_or(false);
    if answered {
        shared
            .emit(SipEvent::OutboundAnswered {
                leg,
                sdp: text_body(&final_response.body),
            })
            .await;
    }
    // Answered after our CANCEL: rsipstack ACKs and BYEs that 2xx; follow it to the end all
    // the same so the leg is removed when the dialog terminates.
    follow_dialog(shared, leg, dialog, states).await;
}

async fn fail(shared: &Shared, leg: LegId, dialog: &InviteDialog, status: u16, reason: String) {
    let Some(entry) = forget(shared, leg, dialog) else {
        return;
    };
    if !entry.ended_locally {
        shared
            .emit(SipEvent::OutboundFailed {
                leg,
                status,
                reason,
            })
            .await;
    }
}

/// The phrase the carrier sent (it often says more than the standard text).
fn reason_phrase(response: &Response) -> String {
    response
        .wire_reason
        .clone()
        .unwrap_or_else(|| response.status_code.text().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_parts_and_hosts_are_checked() {
        assert!(valid_user("+4930123456"));
        assert!(valid_user("*21#"));
        assert!(!valid_user(""));
        assert!(!valid_user("bob@evil"));
        assert!(!valid_user("a b"));
        assert!(!valid_user("x\r\nVia: forged"));
        assert!(valid_host("sip.carrier.example"));
        assert!(valid_host("192.0.2.7"));
        assert!(!valid_host("host;transport=tls"));
        assert!(!valid_host(""));
    }
}
