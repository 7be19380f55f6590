//! New server transactions from the stack: in-dialog requests go to their dialog, a fresh
//! INVITE becomes a leg, OPTIONS pings are answered, anything else is refused.

use std::net::SocketAddr;
use std::sync::Arc;

use rsipstack::sip::headers::untyped::ToTypedHeader;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::TransactionReceiver;
use tracing::{debug, warn};

use crate::config::Transport;
use crate::endpoint::Shared;
use crate::event::IncomingCall;
use crate::legs::{Direction, Leg, Phase};
use crate::lifecycle;

/// Methods we implement, advertised in `Allow`.
pub(crate) const ALLOWED: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";

pub(crate) async fn run(shared: Arc<Shared>, mut incoming: TransactionReceiver) {
    while let Some(tx) = incoming.recv().await {
        let in_dialog = tx
            .original
            .to_header()
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        if in_dialog {
            route_in_dialog(&shared, tx);
            continue;
        }
        match tx.original.method {
            Method::Invite => accept_invite(&shared, tx),
            Method::Options => {
                tokio::spawn(answer_options(tx));
            }
            _ => {
                tokio::spawn(refuse_out_of_dialog(tx));
            }
        }
    }
    debug!("SIP dispatcher stopped: the stack closed its transaction channel");
}

fn route_in_dialog(shared: &Shared, mut tx: Transaction) {
    match shared.dialogs.match_dialog(&tx) {
        Some(mut dialog) => {
            tokio::spawn(async move {
                if let Err(error) = dialog.handle(&mut tx).await {
                    debug!(%error, method = %tx.original.method, "in-dialog request failed");
                }
            });
        }
        None => {
            tokio::spawn(async move {
                if tx.original.method != Method::Ack {
                    reply(&mut tx, StatusCode::CallTransactionDoesNotExist, vec![]).await;
                }
            });
        }
    }
}

async fn answer_options(mut tx: Transaction) {
    let headers = vec![
        Header::Allow(ALLOWED.into()),
        Header::Accept("application/sdp".into()),
    ];
    reply(&mut tx, StatusCode::OK, headers).await;
}

async fn refuse_out_of_dialog(mut tx: Transaction) {
    let status = match tx.original.method {
        // These only make sense inside a call we know.
        Method::Bye | Method::Info | Method::Update | Method::PRack => {
            StatusCode::CallTransactionDoesNotExist
        }
        _ => StatusCode::MethodNotAllowed,
    };
    reply(&mut tx, status, vec![Header::Allow(ALLOWED.into())]).await;
}

async fn reply(tx: &mut Transaction, status: StatusCode, headers: Vec<Header>) {
    if let Err(error) = tx.reply_with(status, headers, None).await {
        debug!(%error, "could not send response");
    }
}

/// What the INVITE says about the call, or the response that refuses it.
struct Offer {
    call: IncomingCall,
    session_interval: Option<std::time::Duration>,
}

fn read_invite(
    shared: &Shared,
    tx: &Transaction,
    leg: crate::LegId,
) -> Result<Offer, (StatusCode, Vec<Header>)> {
    let request = &tx.original;
    let bad = |why: &str| (StatusCode::Other(400, why.to_string()), vec![]);
    let from_header = request
        .from_header()
        .map_err(|_| bad("Malformed From header"))?;
    let from = from_header
        .typed()
        .map_err(|_| bad("Malformed From header"))?;
    // The number from the header's text, not from the typed URI (see `caller`).
    let from_user = crate::caller::caller_of(from_header.value());
    let call_id = request
        .call_id_header()
        .map(|id| id.value().trim().to_string())
        .map_err(|_| bad("Missing Call-ID header"))?;
    let to_user = match request.uri.user() {
        Some(user) => user.to_string(),
        None => request
            .to_header()
            .and_then(|to| to.uri())
            .ok()
            .and_then(|uri| uri.user().map(str::to_string))
            .unwrap_or_default(),
    };
    let offer = if request.body.is_empty() {
        None
    } else {
        let content_type = request.headers.iter().find_map(|h| match h {
            Header::ContentType(ct) => Some(ct.value().to_ascii_lowercase()),
            _ => None,
        });
        if !content_type
            .as_deref()
            .is_some_and(|ct| ct.trim_start().starts_with("application/sdp"))
        {
            return Err((
                StatusCode::UnsupportedMediaType,
                vec![Header::Accept("application/sdp".into())],
            ));
        }
        let sdp =
            String::from_utf8(request.body.clone()).map_err(|_| bad("SDP body is not UTF-8"))?;
        Some(sdp)
    };
    let (source, transport) = match &tx.connection {
        Some(connection) => (
            connection
                .get_remote_addr()
                .and_then(|addr| addr.get_socketaddr().ok()),
            match connection.transport() {
                rsipstack::sip::Transport::Udp => Transport::Udp,
                _ => Transport::Tcp,
            },
        ),
        None => (None, Transport::Udp),
    };
    let source = source
        .or_else(|| source_from_via(request))
        .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
    Ok(Offer {
        session_interval: lifecycle::negotiate_session_timer(request, shared.session_expires),
        call: IncomingCall {
            leg,
            source,
            transport,
            call_id,
            from_user,
            from_display: from.display_name.filter(|name| !name.is_empty()),
            to_user,
            offer,
        },
    })
}

/// The source address as the transport recorded it in the top Via (RFC 3581 `received` and
/// `rport`, or the sent-by when it matched). Used when the connection carries no remote
/// address: a datagram too large for rsipstack's buffer reaches the stack over the listener's
/// own connection (see `transport.rs`).
fn source_from_via(request: &rsipstack::sip::Request) -> Option<SocketAddr> {
    let via = request.via_header().ok()?.typed().ok()?;
    let sent_by = via.sent_by();
    let ip = match via.received() {
        Some(received) => received.ok()?,
        None => sent_by.host.to_string().parse().ok()?,
    };
    let port = match via.rport() {
        Some(Some(port)) => port,
        _ => sent_by.port.map_or(5060, |port| port.0),
    };
    Some(SocketAddr::new(ip, port))
}

fn accept_invite(shared: &Arc<Shared>, mut tx: Transaction) {
    let leg = shared.legs.allocate();
    let offer = match read_invite(shared, &tx, leg) {
        Ok(offer) => offer,
        Err((status, headers)) => {
            tokio::spawn(async move { reply(&mut tx, status, headers).await });
            return;
        }
    };
    let contact = lifecycle::contact_uri(shared, offer.call.transport);
    let (states_tx, states) = shared.dialogs.new_dialog_state_channel();
    let dialog = match shared
        .dialogs
        .get_or_create_server_invite(&tx, states_tx, None, contact)
    {
        Ok(dialog) => dialog,
        Err(error) => {
            warn!(%error, "could not create a dialog for an INVITE");
            tokio::spawn(
                async move { reply(&mut tx, StatusCode::ServerInternalError, vec![]).await },
            );
            return;
        }
    };
    shared.legs.insert(
        leg,
        Leg {
            dialog: dialog.clone(),
            direction: Direction::Inbound,
            phase: Phase::Offered,
            ended_locally: false,
            session_interval: offer.session_interval,
        },
    );
    // The INVITE server transaction: sends 100 Trying, then carries our responses, the
    // CANCEL and the ACK.
    let mut transaction_dialog = dialog.clone();
    tokio::spawn(async move {
        if let Err(error) = transaction_dialog.handle(&mut tx).await {
            debug!(%leg, %error, "INVITE transaction ended with an error");
        }
    });
    tokio::spawn(lifecycle::run_inbound(
        shared.clone(),
        offer.call,
        dialog,
        states,
    ));
}
