//! The agent's softphone connection: a WebSocket carrying call control, WebRTC signalling for
//! the agent's persistent audio session, and CRM notices.
//!
//! `GET /api/v1/tenants/{tenant}/agents/{agent}/softphone?ticket=...` upgrades to the socket.
//! The ticket (see [`ticket`]) is checked before the upgrade; a second connection of the same
//! agent replaces the first.

pub mod protocol;
pub mod ticket;

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use callbridge_core::{AgentId, TenantId};
use callbridge_integration::runtime::AgentNotice;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::runtime::{Attached, Request, Softphones, TelephonyHandle};
use protocol::{parse_client_message, ClientMessage, ServerMessage, MAX_ACCEPTED_BYTES};

/// How long one message may take to be accepted by the client's connection before the client
/// is taken for gone (a socket whose peer stopped reading would otherwise hold a write forever).
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub const SOFTPHONE_PATH: &str = "/api/v1/tenants/{tenant}/agents/{agent}/softphone";

pub fn router(handle: TelephonyHandle) -> Router {
    Router::new()
        .route(SOFTPHONE_PATH, get(connect))
        .with_state(handle)
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

async fn connect(
    State(handle): State<TelephonyHandle>,
    Path((tenant, agent)): Path<(String, String)>,
    Query(query): Query<TicketQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Ok(id) = AgentId::in_tenant(&TenantId::new(tenant.clone()), &agent) else {
        return problem(StatusCode::NOT_FOUND, "unknown_agent", "no such agent");
    };
    let Some(queues) = handle.agent_queues(&tenant, &agent) else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown_agent",
            "this agent is not configured for telephony in this tenant",
        );
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ticket = query.ticket.unwrap_or_default();
    if !ticket::verify(&handle.key, &tenant, &agent, &ticket, now) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "bad_ticket",
            "the softphone ticket is missing, wrong or expired; ask your admin for a new softphone link",
        );
    }
    // An idle softphone is a few small messages a minute: small buffers keep a logged-in agent
    // cheap (the library's default read buffer alone is 128 KiB per connection); they grow for
    // the occasional SDP offer. Frames over the protocol's 64 KiB are still read (up to
    // MAX_ACCEPTED_BYTES) so that they get the documented `error`, not a closed socket.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_frame_size(MAX_ACCEPTED_BYTES)
        .max_message_size(MAX_ACCEPTED_BYTES)
        .on_upgrade(move |socket| serve(socket, handle, id, tenant, agent, queues))
}

async fn serve(
    mut socket: WebSocket,
    handle: TelephonyHandle,
    id: AgentId,
    tenant: String,
    agent: String,
    queues: Vec<String>,
) {
    let mut attached = handle.phones.attach(&id);
    tracing::info!(agent = %id, replaced = attached.replaced, "softphone connected");
    let welcome = ServerMessage::Welcome {
        tenant,
        agent,
        queues,
    };
    if send(&mut socket, &welcome).await.is_ok() {
        // The agent's state comes from the switch loop, after the welcome (the outbox is only
        // written from here on).
        let _ = handle
            .requests
            .send(Request::Attached { agent: id.clone() });
        converse(&mut socket, &handle, &id, &mut attached).await;
    }
    // However the conversation ended, the table tells the switch loop (once).
    handle.phones.detach(&id, attached.id);
}

/// Carries messages both ways until the socket ends, fails, or the connection is dropped
/// from the table (replaced, or cut off for not reading).
async fn converse(
    socket: &mut WebSocket,
    handle: &TelephonyHandle,
    id: &AgentId,
    attached: &mut Attached,
) {
    loop {
        // Biased towards writing: what the server has to say goes out before more requests are
        // read, so a client that sends fast cannot make its own answers pile up.
        let reply = tokio::select! {
            biased;
            outgoing = attached.messages.recv() => match outgoing {
                Some(message) => message,
                // Replaced by a newer connection, or cut off for not reading.
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match parse_client_message(text.as_str()) {
                    // Answered here, not through the outbox: a ping is the client's own
                    // request, and waiting on the socket to write the pong is what slows a
                    // client that pings faster than it reads.
                    Ok(ClientMessage::Ping) => ServerMessage::Pong,
                    Ok(message) => {
                        let _ = handle.requests.send(Request::Message { agent: id.clone(), message });
                        continue;
                    }
                    Err(message) => ServerMessage::Error { message },
                },
                Some(Ok(Message::Binary(_))) => ServerMessage::Error {
                    message: "softphone messages are JSON text frames".to_string(),
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
        };
        if send(socket, &reply).await.is_err() {
            return;
        }
    }
}

/// Writes one message; a client that accepts nothing for [`WRITE_TIMEOUT`] is gone.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> Result<(), ()> {
    let text = serde_json::to_string(message).expect("messages serialise");
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(()),
        Err(_) => {
            tracing::warn!("softphone accepted nothing for {WRITE_TIMEOUT:?}; disconnecting it");
            Err(())
        }
    }
}

/// Forwards the integration engine's notices (screen pop, chooser, Case) to agents' softphones.
pub fn forward_notices(
    mut notices: broadcast::Receiver<AgentNotice>,
    phones: Arc<Softphones>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match notices.recv().await {
                Ok(n) => phones.send(
                    &n.agent,
                    ServerMessage::Crm {
                        call: n.call.to_string(),
                        notice: n.notice,
                    },
                ),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "softphones missed CRM notices (too many at once)");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
