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
use callbridge_integration::agents::{agent_id, valid_local_name};
use callbridge_integration::runtime::AgentNotice;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::runtime::{Request, Softphones, TelephonyHandle};
use protocol::{parse_client_message, ServerMessage, MAX_FRAME_BYTES};

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
    if !valid_local_name(&agent) {
        return problem(StatusCode::NOT_FOUND, "unknown_agent", "no such agent");
    }
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
    let id = agent_id(&TenantId::new(tenant.clone()), &agent);
    // An idle softphone is a few small messages a minute: small buffers keep a logged-in agent
    // cheap (the library's default read buffer alone is 128 KiB per connection); they grow for
    // the occasional SDP offer.
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(MAX_FRAME_BYTES)
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
    if send(&mut socket, &welcome).await.is_err() {
        handle.phones.detach(&id, attached.id);
        return;
    }
    loop {
        tokio::select! {
            outgoing = attached.messages.recv() => match outgoing {
                Some(message) => {
                    if send(&mut socket, &message).await.is_err() {
                        break;
                    }
                }
                // Replaced by a newer connection, or cut off for not reading.
                None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match parse_client_message(text.as_str()) {
                    Ok(message) => {
                        let _ = handle.requests.send(Request::Message { agent: id.clone(), message });
                    }
                    Err(message) => {
                        if send(&mut socket, &ServerMessage::Error { message }).await.is_err() {
                            break;
                        }
                    }
                },
                Some(Ok(Message::Binary(_))) => {
                    let message = "softphone messages are JSON text frames".to_string();
                    if send(&mut socket, &ServerMessage::Error { message }).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    if handle.phones.detach(&id, attached.id) {
        tracing::info!(agent = %id, "softphone disconnected");
        let _ = handle.requests.send(Request::Detached { agent: id });
    }
}

async fn send(socket: &mut WebSocket, message: &ServerMessage) -> Result<(), axum::Error> {
    let text = serde_json::to_string(message).expect("messages serialise");
    socket.send(Message::Text(text.into())).await
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
