//! The agent's WebSocket: `GET /api/v1/tenants/{tenant}/agents/{agent}/softphone?ticket=...`
//! (documented in `docs/softphone-protocol.md`).
//!
//! The connection carries two streams to the agent: the CRM's news about calls (`crm`
//! messages), which it subscribes to itself for every agent of every configured tenant, whatever
//! the source of the call; and, when telephony serves the tenant, telephony's call control and
//! audio signalling. What the agent sends goes to telephony, or, without telephony, CRM requests
//! go to the engine and the rest is answered with an `error`. The ticket, or the agent's
//! session cookie from an allowed origin, is checked before the upgrade; a second connection of
//! the same agent replaces the first (closed with `4001 replaced`), and a connection whose
//! session ends (signed out, expired, account disabled) is closed with `4401 signed_out`.

pub mod crm;
pub mod notices;
pub mod sockets;
pub mod ticket;

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use callbridge_config::Secret;
use callbridge_core::{AgentId, CallId, Event, TenantId};
use callbridge_integration::runtime::{AgentNotice, Notice, WrapUpStatus};
use callbridge_telephony::runtime::Attached;
use callbridge_telephony::softphone::protocol::{
    parse_client_message, ClientMessage, ServerMessage, MAX_ACCEPTED_BYTES,
};
use callbridge_telephony::TelephonyHandle;
use serde::{Deserialize, Serialize};
use serde_json::json;

use notices::{AgentNotices, Subscription};
use sockets::{CloseReason, Registered, SessionKey, Sockets};

use crate::account::origins::Verdict;
use crate::account::Accounts;

/// How often a connection opened with a session checks that the session still holds (expiry,
/// a disabled account, a sign-out in another process).
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// How long one message may take to be accepted by the client's connection before the client
/// is taken for gone (a socket whose peer stopped reading would otherwise hold a write forever).
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub const SOFTPHONE_PATH: &str = "/api/v1/tenants/{tenant}/agents/{agent}/softphone";

/// What an agent asks for that only telephony can do, on a tenant without telephony.
const NO_TELEPHONY: &str = "calls and audio are not available: your contact center has no \
                            telephony in Callbridge (only choose_contact, create_case and ping \
                            work on this connection)";

/// Everything the agents' connections share.
pub struct Gateway {
    /// Every configured tenant (a tenant created in the store joins it).
    pub tenants: parking_lot::RwLock<HashSet<String>>,
    /// Checks softphone tickets.
    pub key: Secret,
    pub notices: AgentNotices,
    pub crm: crm::CrmRequests,
    /// Running telephony, if the configuration has a `[telephony]` section.
    pub telephony: Option<TelephonyHandle>,
    /// Sessions and allowed origins, for connections opened with the session cookie.
    pub accounts: Arc<Accounts>,
    /// Each agent's current connection, and the signal that closes the others.
    pub sockets: Arc<Sockets>,
}

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route(SOFTPHONE_PATH, get(connect))
        .with_state(gateway)
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// One accepted agent.
struct Agent {
    id: AgentId,
    tenant: String,
    name: String,
    /// Telephony, when it serves the agent's tenant.
    telephony: Option<TelephonyHandle>,
    /// The session it was opened with (none with a ticket).
    session: Option<SessionKey>,
}

/// Who answers an agent of a tenant on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ServedBy {
    /// Telephony: it lists the tenant's agents and their queues.
    Telephony,
    /// The CRM's news only: the tenant's calls come from elsewhere (a PBX's call events).
    CrmOnly,
    /// No such tenant.
    Nobody,
}

/// `telephony_serves`: None without telephony, else whether it serves the tenant. A server
/// with telephony answers for an unknown tenant as it always has (telephony's "not configured
/// for telephony").
fn served_by(telephony_serves: Option<bool>, tenant_configured: bool) -> ServedBy {
    match (telephony_serves, tenant_configured) {
        (Some(true), _) | (Some(false), false) => ServedBy::Telephony,
        (_, true) => ServedBy::CrmOnly,
        (None, false) => ServedBy::Nobody,
    }
}

async fn connect(
    State(gateway): State<Arc<Gateway>>,
    Path((tenant, agent)): Path<(String, String)>,
    Query(query): Query<TicketQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Ok(id) = AgentId::in_tenant(&TenantId::new(tenant.clone()), &agent) else {
        return problem(StatusCode::NOT_FOUND, "unknown_agent", "no such agent");
    };
    let telephony = gateway.telephony.as_ref();
    let served = served_by(
        telephony.map(|t| t.serves_tenant(&tenant)),
        gateway.tenants.read().contains(&tenant),
    );
    let (queues, telephony) = match served {
        ServedBy::Telephony => match telephony.and_then(|t| t.agent_queues(&tenant, &agent)) {
            Some(queues) => (queues, telephony),
            None => {
                return problem(
                    StatusCode::NOT_FOUND,
                    "unknown_agent",
                    "this agent is not configured for telephony in this tenant",
                )
            }
        },
        ServedBy::CrmOnly => (Vec::new(), None),
        ServedBy::Nobody => {
            return problem(
                StatusCode::NOT_FOUND,
                "unknown_agent",
                "this tenant is not configured",
            )
        }
    };
    let session = match admit(&gateway, &tenant, &agent, query.ticket, &headers).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let accepted = Agent {
        id,
        tenant,
        name: agent,
        telephony: telephony.cloned(),
        session,
    };
    // An idle softphone is a few small messages a minute: small buffers keep a logged-in agent
    // cheap (the library's default read buffer alone is 128 KiB per connection); they grow for
    // the occasional SDP offer. Frames over the protocol's 64 KiB are still read (up to
    // MAX_ACCEPTED_BYTES) so that they get the documented `error`, not a closed socket.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_frame_size(MAX_ACCEPTED_BYTES)
        .max_message_size(MAX_ACCEPTED_BYTES)
        .on_upgrade(move |socket| serve(socket, gateway, accepted, queues))
}

/// Who may open the agent's softphone: the bearer of a softphone ticket (`Ok(None)`), or the
/// agent's own session from one of the tenant's allowed origins (`Ok(Some(session))`).
async fn admit(
    gateway: &Gateway,
    tenant: &str,
    agent: &str,
    ticket: Option<String>,
    headers: &HeaderMap,
) -> Result<Option<SessionKey>, Response> {
    let bad_ticket = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "bad_ticket",
            "the softphone ticket is missing, wrong or expired, and no session of this agent came with the request; sign in again, or ask your admin for a new softphone link",
        )
    };
    if let Some(ticket) = ticket {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        return if ticket::verify(&gateway.key, tenant, agent, &ticket, now) {
            Ok(None)
        } else {
            Err(bad_ticket())
        };
    }
    let signed = match gateway.accounts.session_of(headers).await {
        Ok(Some(signed)) => signed,
        Ok(None) => return Err(bad_ticket()),
        Err(e) => return Err(e.into_response()),
    };
    match gateway.accounts.origin(tenant, headers) {
        Verdict::Allowed => {}
        Verdict::Foreign => return Err(crate::account::ApiError::bad_origin().into_response()),
        // A page always says where it comes from; a session cookie without it is not a page's.
        Verdict::Absent => return Err(bad_ticket()),
    }
    let view = &signed.view;
    if view.tenant != tenant
        || view.user_name != agent
        || view.role != callbridge_store::Role::Agent
    {
        return Err(bad_ticket());
    }
    Ok(Some(SessionKey {
        digest: signed.digest,
        tenant: view.tenant.clone(),
        user: view.user_name.clone(),
    }))
}

async fn serve(mut socket: WebSocket, gateway: Arc<Gateway>, agent: Agent, queues: Vec<String>) {
    // Registered first: an older connection learns it was replaced before its telephony
    // stream or notices end, so it says so in its close frame.
    let mut registered = gateway.sockets.register(&agent.id, agent.session.clone());
    // Telephony next: attaching replaces (and logs out) an older connection before its
    // notices end, so the older one cannot detach what is already this one's.
    let mut attached = agent.telephony.as_ref().map(|t| t.attach(&agent.id));
    let mut notices = gateway.notices.subscribe(&agent.id);
    let replaced = attached.as_ref().is_some_and(|a| a.replaced);
    tracing::info!(agent = %agent.id, replaced, "softphone connected");
    // Read again once attached: a reconfiguration from here on sends its `queues` news to this
    // connection, one before it is in this list (the welcome is never older than the news).
    let queues = agent
        .telephony
        .as_ref()
        .and_then(|t| t.agent_queues(&agent.tenant, &agent.name))
        .unwrap_or(queues);
    let welcome = ServerMessage::Welcome {
        tenant: agent.tenant.clone(),
        agent: agent.name.clone(),
        queues,
    };
    let mut signed_out = false;
    if send(&mut socket, text(&welcome)).await.is_ok() {
        // The agent's state comes from the switch loop, after the welcome (the outbox is only
        // written from here on).
        if let Some(telephony) = &agent.telephony {
            telephony.welcomed(&agent.id);
        }
        let closing = converse(
            &mut socket,
            &gateway,
            &agent,
            &mut attached,
            &mut notices,
            &mut registered,
        )
        .await;
        signed_out = closing == Some(CloseReason::SignedOut);
        if let Some(reason) = closing {
            tracing::info!(agent = %agent.id, reason = reason.text(), "closing the softphone");
            let frame = CloseFrame {
                code: reason.code(),
                reason: reason.text().into(),
            };
            let _ =
                tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
        }
    }
    gateway.sockets.unregister(&agent.id, registered.id);
    // However the conversation ended, telephony's table tells the switch loop (once): a
    // sign-out ends the agent's call, anything else lets it wait for their next connection.
    if let (Some(telephony), Some(attached)) = (&agent.telephony, &attached) {
        telephony.detach(&agent.id, attached.id, signed_out);
    }
    gateway.notices.unsubscribe(&agent.id, notices.id);
}

/// Carries messages both ways until the socket ends, fails, or the connection is dropped
/// (replaced, signed out, or cut off for not reading); the reason to give the client in a
/// close frame, if the server ends it for one.
async fn converse(
    socket: &mut WebSocket,
    gateway: &Gateway,
    agent: &Agent,
    attached: &mut Option<Attached>,
    notices: &mut Subscription,
    registered: &mut Registered,
) -> Option<CloseReason> {
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    // Why the server ended the connection, if it was told (else: cut off, no close frame).
    let told = |registered: &Registered| *registered.closed.borrow();
    loop {
        // Biased towards writing: what the server has to say goes out before more requests are
        // read, so a client that sends fast cannot make its own answers pile up.
        let reply = tokio::select! {
            biased;
            changed = registered.closed.changed() => match (told(registered), changed) {
                (Some(reason), _) => return Some(reason),
                (None, Ok(())) => continue,
                // The signal's sender is gone without a word: nothing more will come.
                (None, Err(_)) => return None,
            },
            outgoing = from_telephony(attached) => match outgoing {
                Some(mut message) => {
                    if let ServerMessage::CallSnapshot { call, crm, .. } = &mut message {
                        // Telephony knows the call; the CRM engine knows its CRM side.
                        **crm = gateway.crm.redraw(&CallId::new(call.clone())).await;
                    }
                    if let ServerMessage::WrapUp { call, .. } = &message {
                        // Telephony knows the wrap-up; the integration knows whether its note
                        // was submitted already. Told again after the `wrap_up` (a reconnect
                        // during after-call work), so the page shows where it stands.
                        let call = CallId::new(call.clone());
                        let progress = gateway.crm.wrap_up_progress(&agent.id, &call).await;
                        if send(socket, text(&message)).await.is_err() {
                            return None;
                        }
                        match progress {
                            Some((status, detail)) => wrap_up_status_text(&call, status, &detail),
                            None => continue,
                        }
                    } else {
                        text(&message)
                    }
                }
                // Replaced by a newer connection, or cut off for not reading.
                None => return told(registered),
            },
            notice = notices.notices.recv() => match notice {
                Some(notice) => {
                    if matches!(notice.notice, Notice::ScreenPop { .. }) {
                        // The pop's last server-side hop, for the speed harness (ui/e2e/bench).
                        tracing::debug!(target: "callbridge::timing", call = %notice.call, "screen pop sent");
                    }
                    crm_text(&notice)
                }
                None => return told(registered),
            },
            _ = recheck.tick(), if agent.session.is_some() => {
                if !session_holds(gateway, agent).await {
                    return Some(CloseReason::SignedOut);
                }
                continue;
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(frame))) => match parse_client_message(frame.as_str()) {
                    // Answered here, not through the outbox: a ping is the client's own
                    // request, and waiting on the socket to write the pong is what slows a
                    // client that pings faster than it reads.
                    Ok(ClientMessage::Ping {}) => text(&ServerMessage::Pong),
                    Ok(ClientMessage::SubmitWrapUp { call, disposition, notes }) => {
                        wrap_up(gateway, agent, call, disposition, notes).await
                    }
                    Ok(message) => match request(gateway, agent, message).await {
                        Some(refusal) => text(&refusal),
                        None => continue,
                    },
                    Err(message) => text(&ServerMessage::Error { message }),
                },
                Some(Ok(Message::Binary(_))) => text(&ServerMessage::Error {
                    message: "softphone messages are JSON text frames".to_string(),
                }),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            },
        };
        if send(socket, reply).await.is_err() {
            return None;
        }
    }
}

/// Whether the session the connection was opened with is still live (a store that cannot be
/// read keeps the connection: the next check decides).
async fn session_holds(gateway: &Gateway, agent: &Agent) -> bool {
    let Some(session) = &agent.session else {
        return true;
    };
    match gateway
        .accounts
        .store
        .session(&session.digest, time::OffsetDateTime::now_utc())
        .await
    {
        Ok(found) => found.is_some(),
        Err(error) => {
            tracing::warn!(agent = %agent.id, %error, "could not re-check the softphone's session");
            true
        }
    }
}

/// The next message telephony queued for the agent; never, without telephony.
async fn from_telephony(attached: &mut Option<Attached>) -> Option<ServerMessage> {
    match attached {
        Some(attached) => attached.messages.recv().await,
        None => std::future::pending().await,
    }
}

/// Hands the agent's request on; the answer to send at once, if any.
async fn request(
    gateway: &Gateway,
    agent: &Agent,
    message: ClientMessage,
) -> Option<ServerMessage> {
    if let Some(telephony) = &agent.telephony {
        telephony.message(&agent.id, message);
        return None;
    }
    // CRM choices go to the engine for every call it knows; whether this agent may make them
    // is the engine's rule, and it answers a refusal with a notice the agent sees.
    let event = match message {
        ClientMessage::ChooseContact { call, contact } => Event::ContactChosen {
            call,
            agent: agent.id.clone(),
            contact,
        },
        ClientMessage::CreateCase { call } => Event::ManualCaseRequested {
            call,
            agent: agent.id.clone(),
        },
        _ => {
            return Some(ServerMessage::Error {
                message: NO_TELEPHONY.to_string(),
            })
        }
    };
    gateway.crm.submit(&agent.tenant, event).await;
    None
}

/// Takes the agent's after-call work; the answer: `wrap_up_status` (`queued`, or `failed` for
/// a call without a Case) or an `error` saying why it was refused.
async fn wrap_up(
    gateway: &Gateway,
    agent: &Agent,
    call: CallId,
    disposition: Option<String>,
    notes: String,
) -> String {
    let empty = callbridge_core::DispositionCodes::default();
    let facts = gateway.accounts.tenant(&agent.tenant);
    let codes = facts.as_ref().map_or(&empty, |t| &t.disposition_codes);
    let submission = callbridge_core::WrapUpSubmission { disposition, notes };
    match gateway
        .crm
        .submit_wrap_up(&agent.id, &call, codes, &submission)
        .await
    {
        Ok((status, detail)) => wrap_up_status_text(&call, status, &detail),
        Err(error) => text(&ServerMessage::Error {
            message: error.to_string(),
        }),
    }
}

/// A `wrap_up_status` message.
fn wrap_up_status_text(call: &CallId, status: WrapUpStatus, detail: &str) -> String {
    json!({"type": "wrap_up_status", "call": call, "status": status, "detail": detail}).to_string()
}

fn text(message: &ServerMessage) -> String {
    serde_json::to_string(message).expect("messages serialise")
}

/// A `crm` message: CRM news about a call.
#[derive(Serialize)]
#[serde(tag = "type", rename = "crm")]
struct CrmMessage<'a> {
    call: &'a CallId,
    notice: &'a Notice,
}

fn crm_text(notice: &AgentNotice) -> String {
    if let Notice::WrapUpStatus { status, detail } = &notice.notice {
        return wrap_up_status_text(&notice.call, *status, detail);
    }
    serde_json::to_string(&CrmMessage {
        call: &notice.call,
        notice: &notice.notice,
    })
    .expect("notices serialise")
}

/// Writes one message; a client that accepts nothing for [`WRITE_TIMEOUT`] is gone.
async fn send(socket: &mut WebSocket, text: String) -> Result<(), ()> {
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(()),
        Err(_) => {
            tracing::warn!("softphone accepted nothing for {WRITE_TIMEOUT:?}; disconnecting it");
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephony_answers_for_its_tenants_and_the_crm_for_the_others() {
        assert_eq!(served_by(Some(true), true), ServedBy::Telephony);
        assert_eq!(served_by(Some(false), true), ServedBy::CrmOnly);
        assert_eq!(served_by(Some(false), false), ServedBy::Telephony);
        assert_eq!(served_by(None, true), ServedBy::CrmOnly);
        assert_eq!(served_by(None, false), ServedBy::Nobody);
    }

    #[test]
    fn a_crm_message_is_shaped_as_it_always_was() {
        let notice = AgentNotice {
            agent: AgentId::parse("acme:alice").unwrap(),
            call: CallId::new("c-1"),
            notice: Notice::NewContact {
                number: "+18582877834".into(),
            },
        };
        assert_eq!(
            crm_text(&notice),
            r#"{"type":"crm","call":"c-1","notice":{"type":"new_contact","number":"+18582877834"}}"#
        );
    }
}
