//! `GET /api/v1/console/wall`, a WebSocket: the tenant's whole live wall (`wall`), then the
//! rows that changed (`changes`), as telephony's wall task publishes them. The client sends
//! nothing (anything it sends is ignored). A client that accepts nothing for
//! [`WRITE_TIMEOUT`] is cut off; one that falls too far behind gets the whole wall again; one
//! whose session ends is closed with `4401 signed_out`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use callbridge_core::TenantId;
use callbridge_telephony::runtime::wall::{WallSubscription, WallWatch};
use tokio::sync::broadcast::error::RecvError;

use super::Supervision;
use crate::account::ApiError;

/// How long one message may wait for the client's connection to take it.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the connection checks that its session still holds.
const SESSION_RECHECK: Duration = Duration::from_secs(30);

pub(super) async fn connect(
    State(supervision): State<Arc<Supervision>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let signed = match supervision.supervisor(&headers).await {
        Ok(signed) => signed,
        Err(refusal) => return refusal.into_response(),
    };
    let tenant = signed.view.tenant.clone();
    let Some(watch) = supervision
        .telephony
        .as_ref()
        .filter(|t| t.serves_tenant(&tenant))
        .map(|t| t.wall().clone())
    else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "no_telephony",
            "your contact center has no telephony in Callbridge, so there is no live wall (calls from another phone system appear in the call history)",
        )
        .into_response();
    };
    // Checked last, so that a page whose socket failed can GET this address to learn why.
    let Ok(upgrade) = upgrade else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_websocket",
            "this address is a WebSocket: open it with new WebSocket(...) (a plain GET only tells whether you may)",
        )
        .into_response();
    };
    upgrade
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            let session = signed.digest;
            serve(socket, watch, TenantId::new(tenant), || {
                let supervision = supervision.clone();
                async move { session_holds(&supervision, &session).await }
            })
            .await;
        })
}

async fn session_holds(supervision: &Supervision, digest: &[u8; 32]) -> bool {
    match supervision
        .store
        .session(digest, time::OffsetDateTime::now_utc())
        .await
    {
        Ok(found) => found.is_some_and(|s| super::may_supervise(s.role)),
        // A store that cannot answer keeps the connection: the next check decides.
        Err(_) => true,
    }
}

/// Pushes the tenant's wall to `socket` until the client goes, is cut off, or `still_allowed`
/// says no (checked every 30 s). Public for the push benchmark, which serves it without a
/// session.
pub async fn serve<F, Fut>(
    mut socket: WebSocket,
    watch: WallWatch,
    tenant: TenantId,
    still_allowed: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let Some(WallSubscription { wall, mut changes }) = watch.subscribe(&tenant).await else {
        return;
    };
    if send(&mut socket, wall).await.is_err() {
        return;
    }
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    loop {
        let next = tokio::select! {
            biased;
            change = changes.recv() => match change {
                Ok(text) => text.to_string(),
                // Too far behind: start again from the whole wall.
                Err(RecvError::Lagged(_)) => match watch.subscribe(&tenant).await {
                    Some(again) => {
                        changes = again.changes;
                        again.wall
                    }
                    None => return,
                },
                Err(RecvError::Closed) => return,
            },
            _ = recheck.tick() => {
                if still_allowed().await {
                    continue;
                }
                let frame = CloseFrame { code: 4401, reason: "signed_out".into() };
                let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
                return;
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
        };
        if send(&mut socket, next).await.is_err() {
            return;
        }
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), ()> {
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(()),
        Err(_) => {
            tracing::info!(
                "a wall viewer accepted nothing for {WRITE_TIMEOUT:?}; disconnecting it"
            );
            Err(())
        }
    }
}
