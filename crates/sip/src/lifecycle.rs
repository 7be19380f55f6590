//! One task per leg: turns rsipstack's dialog states into `SipEvent`s, answers mid-call
//! requests (re-INVITE, UPDATE, INFO, OPTIONS), runs the RFC 4028 session timer, and removes
//! the leg when its dialog ends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Auth, Header, Method, Param, Request, Scheme, StatusCode, Uri};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::config::Transport;
use crate::endpoint::{sdp_content_type, Shared};
use crate::event::{IncomingCall, LegId, SipEvent};
use crate::legs::{Direction, Phase};
use crate::{dtmf, status};

/// How long the runtime has to answer a re-INVITE; rsipstack itself gives up (501) after
/// 64*T1 = 32 s, so ours must be shorter to send a meaningful status.
const REINVITE_ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// Contact URI for dialogs on `transport` (no user part: the carrier only needs where).
pub(crate) fn contact_uri(shared: &Shared, transport: Transport) -> Option<Uri> {
    let (addr, transport) = match shared.advertised(transport) {
        Some(addr) => (addr, transport),
        None => {
            let other = match transport {
                Transport::Udp => Transport::Tcp,
                Transport::Tcp => Transport::Udp,
            };
            (shared.advertised(other)?, other)
        }
    };
    Some(sip_uri(None, addr, transport))
}

pub(crate) fn sip_uri(user: Option<&str>, addr: SocketAddr, transport: Transport) -> Uri {
    Uri {
        scheme: Some(Scheme::Sip),
        auth: user.map(|user| Auth {
            user: user.to_string(),
            password: None,
        }),
        host_with_port: addr.into(),
        params: match transport {
            Transport::Udp => vec![],
            Transport::Tcp => vec![Param::Transport(rsipstack::sip::Transport::Tcp)],
        },
        headers: vec![],
    }
}

/// The session interval for an inbound INVITE: only with carriers that support RFC 4028
/// (`Supported`/`Require: timer` or a `Session-Expires` header), never longer than they asked.
pub(crate) fn negotiate_session_timer(
    request: &Request,
    configured: Option<Duration>,
) -> Option<Duration> {
    let configured = configured?;
    let mut supports = false;
    let mut requested: Option<u64> = None;
    for header in request.headers.iter() {
        match header {
            Header::Supported(value) => supports |= has_token(value.value(), "timer"),
            Header::Require(value) => supports |= has_token(value.value(), "timer"),
            Header::SessionExpires(value) => {
                supports = true;
                requested = value
                    .value()
                    .split(';')
                    .next()
                    .and_then(|secs| secs.trim().parse().ok());
            }
            _ => {}
        }
    }
    if !supports {
        return None;
    }
    let seconds = match requested {
        Some(asked) if asked > 0 => asked.min(configured.as_secs().max(1)),
        _ => configured.as_secs().max(1),
    };
    Some(Duration::from_secs(seconds))
}

fn has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Headers of a 2xx that puts the session timer in force with the carrier as refresher.
pub(crate) fn session_timer_headers(interval: Duration) -> Vec<Header> {
    vec![
        Header::SessionExpires(format!("{};refresher=uac", interval.as_secs()).into()),
        Header::Require("timer".into()),
        Header::Supported("timer".into()),
    ]
}

/// Inbound leg: announce it, then follow the dialog until it ends.
pub(crate) async fn run_inbound(
    shared: Arc<Shared>,
    call: IncomingCall,
    dialog: InviteDialog,
    states: DialogStateReceiver,
) {
    let leg = call.leg;
    shared.emit(SipEvent::IncomingCall(call)).await;
    follow_dialog(shared, leg, dialog, states).await;
}

/// The RFC 4028 deadline of one leg.
struct SessionTimer {
    interval: Option<Duration>,
    deadline: Option<Instant>,
}

impl SessionTimer {
    fn arm(&mut self, interval: Option<Duration>) {
        self.interval = interval;
        self.refresh();
    }

    fn refresh(&mut self) {
        self.deadline = self.interval.map(|interval| Instant::now() + interval);
    }

    async fn expired(&self) {
        match self.deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    }
}

/// Follows a dialog's states until it terminates (shared by inbound legs from the start and
/// outbound legs once answered).
pub(crate) async fn follow_dialog(
    shared: Arc<Shared>,
    leg: LegId,
    dialog: InviteDialog,
    mut states: DialogStateReceiver,
) {
    let mut timer = SessionTimer {
        interval: None,
        deadline: None,
    };
    loop {
        let state = tokio::select! {
            biased;
            state = states.recv() => state,
            () = timer.expired() => {
                timer.deadline = None;
                expire_session(&shared, leg, &dialog).await;
                continue;
            }
        };
        let Some(state) = state else {
            // The dialog is gone without a Terminated state (endpoint shut down).
            forget(&shared, leg, &dialog);
            return;
        };
        match state {
            DialogState::Confirmed(..) => {
                if let Some(interval) = confirm_inbound(&shared, leg) {
                    let ack_sdp = dialog
                        .last_remote_ack()
                        .and_then(|ack| text_body(&ack.body));
                    shared.emit(SipEvent::Confirmed { leg, ack_sdp }).await;
                    timer.arm(interval);
                }
            }
            DialogState::Updated(_, request, handle) => {
                timer.refresh();
                let interval = timer.interval;
                tokio::spawn(answer_update(
                    shared.clone(),
                    leg,
                    request,
                    handle,
                    interval,
                ));
            }
            DialogState::Info(_, request, handle) => {
                answer_info(&shared, leg, request, handle).await;
            }
            DialogState::Options(_, _, handle) => {
                tokio::spawn(async move { handle.reply(StatusCode::OK).await.ok() });
            }
            DialogState::Notify(_, _, handle)
            | DialogState::Refer(_, _, handle)
            | DialogState::Message(_, _, handle)
            | DialogState::Publish(_, _, handle) => {
                tokio::spawn(async move { handle.reply(StatusCode::NotImplemented).await.ok() });
            }
            DialogState::Terminated(_, reason) => {
                finish(&shared, leg, &dialog, reason).await;
                return;
            }
            DialogState::Calling(_)
            | DialogState::Trying(_)
            | DialogState::Early(..)
            | DialogState::WaitAck(..) => {}
        }
    }
}

/// The first ACK of an answered inbound leg: `Some(session interval)` when it confirms it.
fn confirm_inbound(shared: &Shared, leg: LegId) -> Option<Option<Duration>> {
    shared
        .legs
        .with(leg, |entry| {
            Ok(
                (entry.direction == Direction::Inbound && entry.phase == Phase::Answered).then(
                    || {
                        entry.phase = Phase::Confirmed;
                        entry.session_interval
                    },
                ),
            )
        })
        .ok()
        .flatten()
}

async fn expire_session(shared: &Shared, leg: LegId, dialog: &InviteDialog) {
    let expired = shared
        .legs
        .with(leg, |entry| {
            Ok(entry.phase == Phase::Confirmed && {
                entry.phase = Phase::Ending;
                entry.ended_locally = true;
                true
            })
        })
        .unwrap_or(false);
    if !expired {
        return;
    }
    warn!(%leg, "session timer expired without a refresh; ending the call");
    shared.emit(SipEvent::SessionExpired { leg }).await;
    let dialog = dialog.clone();
    tokio::spawn(async move {
        if let Err(error) = dialog.bye().await {
            debug!(%leg, %error, "BYE after session expiry failed");
        }
    });
}

/// re-INVITE or UPDATE from the carrier. A bodiless UPDATE is a pure session refresh and is
/// answered here; anything carrying (or asking for) SDP goes to the runtime.
async fn answer_update(
    shared: Arc<Shared>,
    leg: LegId,
    request: Request,
    handle: TransactionHandle,
    session_interval: Option<Duration>,
) {
    let timer_headers = session_interval
        .map(session_timer_headers)
        .unwrap_or_default();
    if !request.body.is_empty() && text_body(&request.body).is_none() {
        handle
            .respond(
                StatusCode::Other(400, "SDP body is not UTF-8".into()),
                None,
                None,
            )
            .await
            .ok();
        return;
    }
    let sdp = text_body(&request.body);
    if request.method == Method::Update && sdp.is_none() {
        handle
            .respond(StatusCode::OK, Some(timer_headers), None)
            .await
            .ok();
        return;
    }
    let (reply, answer) = oneshot::channel();
    shared.emit(SipEvent::Reinvite { leg, sdp, reply }).await;
    let outcome = tokio::time::timeout(REINVITE_ANSWER_TIMEOUT, answer).await;
    let sent = match outcome {
        Ok(Ok(Ok(sdp))) => {
            let mut headers = vec![sdp_content_type()];
            headers.extend(timer_headers);
            handle
                .respond(StatusCode::OK, Some(headers), Some(sdp.into_bytes()))
                .await
        }
        Ok(Ok(Err(refusal))) => {
            let status = status::final_failure(refusal).unwrap_or_else(|_| {
                warn!(%leg, refusal, "re-INVITE refused with a non-failure status; sending 500");
                StatusCode::ServerInternalError
            });
            handle.respond(status, None, None).await
        }
        Ok(Err(_)) | Err(_) => {
            warn!(%leg, "re-INVITE not answered by the runtime; refusing it with 500");
            handle
                .respond(StatusCode::ServerInternalError, None, None)
                .await
        }
    };
    if sent.is_err() {
        debug!(%leg, "re-INVITE transaction ended before our answer");
    }
}

async fn answer_info(shared: &Shared, leg: LegId, request: Request, handle: TransactionHandle) {
    let content_type = request
        .headers
        .iter()
        .find_map(|h| match h {
            Header::ContentType(ct) => Some(ct.value().to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&request.body);
    let status = if request.body.is_empty() {
        // An empty INFO is a keep-alive probe.
        StatusCode::OK
    } else if let Some(digit) = dtmf::parse_info(&content_type, &body) {
        shared
            .emit(SipEvent::Dtmf {
                leg,
                digit: digit.digit,
                duration_ms: digit.duration_ms,
            })
            .await;
        StatusCode::OK
    } else {
        StatusCode::UnsupportedMediaType
    };
    tokio::spawn(async move { handle.reply(status).await.ok() });
}

/// The dialog ended: drop the leg and say why, unless we ended it ourselves.
async fn finish(shared: &Shared, leg: LegId, dialog: &InviteDialog, reason: TerminatedReason) {
    let Some(entry) = forget(shared, leg, dialog) else {
        return;
    };
    if entry.ended_locally {
        return;
    }
    let event = match reason {
        TerminatedReason::UacCancel => SipEvent::Cancelled { leg },
        // We send BYE only when ended locally, so any BYE here came from the far end.
        TerminatedReason::UacBye | TerminatedReason::UasBye => SipEvent::RemoteHangUp { leg },
        TerminatedReason::Timeout if entry.phase == Phase::Answered => SipEvent::Lost {
            leg,
            reason: "no ACK for our 200 OK".into(),
        },
        other => SipEvent::Lost {
            leg,
            reason: format!("dialog ended: {other:?}"),
        },
    };
    shared.emit(event).await;
}

/// Removes the leg from both registries (ours and the dialog layer's).
pub(crate) fn forget(
    shared: &Shared,
    leg: LegId,
    dialog: &InviteDialog,
) -> Option<crate::legs::Leg> {
    shared.dialogs.remove_dialog(&dialog.id());
    shared.legs.remove(leg)
}

/// A body as SDP text; `None` when empty or not UTF-8.
pub(crate) fn text_body(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}
