//! `SipEndpoint`: starts rsipstack on our listeners and turns the runtime's commands into
//! SIP. Legs run in their own tasks (`lifecycle.rs`); new requests arrive in `dispatch.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, SipConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use tokio::sync::mpsc;
use tracing::warn;

use crate::config::{OutboundInvite, SipConfig, Transport};
use crate::error::SipError;
use crate::event::{LegId, SipEvent};
use crate::legs::{Direction, Legs, Phase};
use crate::screen::{GateCounters, Screen};
use crate::tcp_gate::{accept_loop, TcpGate};
use crate::transport::{GuardedUdpSocket, Oversized, StreamGate};
use crate::{dispatch, lifecycle, outbound, status};

/// The addresses the endpoint actually listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddrs {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
}

/// The addresses we put in Via, Contact and From: the public IP when configured, otherwise
/// the bound address (a wildcard resolved to an interface address).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Advertised {
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
}

/// State shared by the endpoint handle, the dispatcher and every leg task.
pub(crate) struct Shared {
    pub(crate) dialogs: Arc<DialogLayer>,
    pub(crate) legs: Legs,
    pub(crate) events: mpsc::Sender<SipEvent>,
    pub(crate) screen: Arc<Screen>,
    pub(crate) local: LocalAddrs,
    pub(crate) advertised: Advertised,
    pub(crate) session_expires: Option<Duration>,
    /// Kept to disconnect its oversized-datagram path at shutdown.
    udp_socket: Option<Arc<GuardedUdpSocket>>,
    pub(crate) cancel: CancellationToken,
}

impl Shared {
    /// Our address for `transport` as peers must see it (public IP when configured).
    pub(crate) fn advertised(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => self.advertised.udp,
            Transport::Tcp => self.advertised.tcp,
        }
    }

    /// Delivers an event; waits while the runtime catches up rather than losing it.
    pub(crate) async fn emit(&self, event: SipEvent) {
        if self.events.send(event).await.is_err() {
            warn!("SIP event dropped: the event receiver is gone");
        }
    }
}

/// The trunk-side SIP endpoint. Cheap to clone; dropping every clone does not stop it, call
/// [`SipEndpoint::shutdown`].
#[derive(Clone)]
pub struct SipEndpoint {
    shared: Arc<Shared>,
}

impl SipEndpoint {
    /// Binds the listeners and starts the stack. Events arrive on the returned receiver.
    pub async fn start(
        config: SipConfig,
    ) -> Result<(SipEndpoint, mpsc::Receiver<SipEvent>), SipError> {
        if config.udp.is_none() && config.tcp.is_none() {
            return Err(SipError::Config("no UDP or TCP listener configured".into()));
        }
        if config.event_capacity == 0 {
            return Err(SipError::Config("event_capacity must be at least 1".into()));
        }
        let cancel = CancellationToken::new();
        let screen = Arc::new(Screen::new(config.flood_limit, config.user_agent.clone()));
        let transports = TransportLayer::new(cancel.child_token());
        let mut local = LocalAddrs {
            udp: None,
            tcp: None,
        };

        let mut advertised = Advertised::default();
        let mut udp = None;
        if let Some(addr) = config.udp {
            let socket = Arc::new(GuardedUdpSocket::bind(addr, screen.clone()).await?);
            let bound = socket.bound_addr()?;
            let external = config.public_ip.map(|ip| SocketAddr::new(ip, bound.port()));
            let connection =
                UdpConnection::from_socket(socket.clone(), external, Some(cancel.child_token()))
                    .await
                    .map_err(SipError::stack)?;
            udp = Some((socket, connection.clone()));
            // rsipstack resolves a wildcard bind to an interface address for Via; use the same.
            advertised.udp = Some(
                connection
                    .get_addr()
                    .get_socketaddr()
                    .map_err(SipError::stack)?,
            );
            local.udp = Some(bound);
            transports.add_transport(SipConnection::Udp(connection));
        }
        let mut tcp = None;
        if let Some(addr) = config.tcp {
            let listener =
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|error| SipError::Bind {
                        transport: "TCP",
                        addr,
                        reason: error.to_string(),
                    })?;
            let bound = listener.local_addr().map_err(SipError::stack)?;
            let ip =
                match (config.public_ip, advertised.udp) {
                    (Some(ip), _) => ip,
                    (None, _) if !bound.ip().is_unspecified() => bound.ip(),
                    (None, Some(udp)) => udp.ip(),
                    (None, None) => return Err(SipError::Config(
                        "a TCP listener on a wildcard address needs public_ip (or a UDP listener) \
                         to know which address to advertise"
                            .into(),
                    )),
                };
            let external = SocketAddr::new(ip, bound.port());
            tcp = Some((listener, external));
            local.tcp = Some(bound);
            advertised.tcp = Some(external);
        }
        // Applies to every stream connection rsipstack serves, accepted or opened by us.
        transports.set_stream_idle_timeout(config.tcp_limits.idle_timeout);
        let tcp_gate = Arc::new(TcpGate::new(config.tcp_limits));

        let endpoint = EndpointBuilder::new()
            .with_user_agent(&config.user_agent)
            .with_transport_layer(transports)
            .with_cancel_token(cancel.clone())
            .with_transport_inspector(Box::new(StreamGate {
                screen: screen.clone(),
                tcp: tcp_gate.clone(),
            }))
            .build();
        let incoming = endpoint.incoming_transactions().map_err(SipError::stack)?;
        let stack = endpoint.inner.clone();
        let udp_socket = udp.map(|(socket, connection)| {
            socket.set_oversized(Some(Oversized {
                stack: stack.clone(),
                connection,
            }));
            socket
        });
        tokio::spawn(async move { endpoint.serve().await });
        if let Some((listener, external)) = tcp {
            let via = SipAddr {
                r#type: Some(rsipstack::sip::Transport::Tcp),
                addr: external.into(),
            };
            tokio::spawn(accept_loop(
                listener,
                tcp_gate,
                Arc::downgrade(&stack),
                via,
                cancel.child_token(),
            ));
        }

        let (events, receiver) = mpsc::channel(config.event_capacity);
        let shared = Arc::new(Shared {
            dialogs: Arc::new(DialogLayer::new(stack)),
            legs: Legs::default(),
            events,
            screen,
            local,
            advertised,
            session_expires: config.session_expires,
            udp_socket,
            cancel,
        });
        tokio::spawn(dispatch::run(shared.clone(), incoming));
        Ok((SipEndpoint { shared }, receiver))
    }

    /// The bound listen addresses (the real ports when port 0 was asked for).
    pub fn local_addrs(&self) -> LocalAddrs {
        self.shared.local
    }

    /// What the gate kept from the stack (malformed, invalid, flood).
    pub fn gate_counters(&self) -> GateCounters {
        self.shared.screen.counters()
    }

    /// Legs currently alive (for metrics and leak checks).
    pub fn live_legs(&self) -> usize {
        self.shared.legs.len()
    }

    /// `180 Ringing`, or `183 Session Progress` carrying early-media SDP.
    pub fn ringing(&self, leg: LegId, early_media_sdp: Option<String>) -> Result<(), SipError> {
        self.shared.legs.with(leg, |entry| {
            expect(
                leg,
                entry.direction == Direction::Inbound,
                "ring",
                entry.phase,
            )?;
            expect(leg, entry.phase == Phase::Offered, "ring", entry.phase)?;
            let headers = early_media_sdp.as_ref().map(|_| vec![sdp_content_type()]);
            entry
                .dialog
                .ringing(headers, early_media_sdp.map(String::into_bytes))
                .map_err(SipError::stack)
        })
    }

    /// `200 OK` with our SDP (an answer, or the offer when the INVITE had none); the stack
    /// retransmits it until the ACK arrives (`SipEvent::Confirmed`).
    pub fn answer(&self, leg: LegId, sdp: String) -> Result<(), SipError> {
        self.shared.legs.with(leg, |entry| {
            expect(
                leg,
                entry.direction == Direction::Inbound,
                "answer",
                entry.phase,
            )?;
            expect(leg, entry.phase == Phase::Offered, "answer", entry.phase)?;
            let mut headers = vec![sdp_content_type()];
            if let Some(interval) = entry.session_interval {
                headers.extend(lifecycle::session_timer_headers(interval));
            }
            entry
                .dialog
                .accept(Some(headers), Some(sdp.into_bytes()))
                .map_err(SipError::stack)?;
            entry.phase = Phase::Answered;
            Ok(())
        })
    }

    /// Refuses an unanswered inbound call with `status` (300-699) and its standard reason
    /// phrase: 403 for an unknown trunk or DID, 486 busy, 480 no agent, 488 bad SDP, 503 ...
    pub fn reject(&self, leg: LegId, status: u16) -> Result<(), SipError> {
        let code = status::final_failure(status)?;
        self.shared.legs.with(leg, |entry| {
            expect(
                leg,
                entry.direction == Direction::Inbound,
                "reject",
                entry.phase,
            )?;
            expect(leg, entry.phase == Phase::Offered, "reject", entry.phase)?;
            reject_now(entry, code)
        })
    }

    /// Ends the leg however its state requires: BYE once answered, CANCEL for our unanswered
    /// INVITE, `480 Temporarily Unavailable` for an unanswered inbound call. No event follows.
    /// Ending a leg that is already ending is a no-op.
    pub fn hang_up(&self, leg: LegId) -> Result<(), SipError> {
        enum Then {
            Nothing,
            Bye,
            Cancel,
        }
        let (dialog, then) = self.shared.legs.with(leg, |entry| {
            let then = match (entry.direction, entry.phase) {
                (_, Phase::Ending) => Then::Nothing,
                (Direction::Inbound, Phase::Offered) => {
                    reject_now(entry, StatusCode::TemporarilyUnavailable)?;
                    Then::Nothing
                }
                (Direction::Outbound, Phase::Calling) => Then::Cancel,
                _ => Then::Bye,
            };
            if !matches!(then, Then::Nothing) {
                entry.phase = Phase::Ending;
                entry.ended_locally = true;
            }
            Ok((entry.dialog.clone(), then))
        })?;
        match then {
            Then::Nothing => {}
            Then::Bye => {
                tokio::spawn(async move {
                    if let Err(error) = dialog.bye().await {
                        warn!(%leg, %error, "BYE failed");
                    }
                });
            }
            Then::Cancel => {
                tokio::spawn(async move {
                    if let Err(error) = dialog.cancel().await {
                        warn!(%leg, %error, "CANCEL failed");
                    }
                });
            }
        }
        Ok(())
    }

    /// Sends an INVITE through the trunk; progress arrives as `OutboundProgress`, then
    /// `OutboundAnswered` or `OutboundFailed`. A 401/407 challenge is answered once with
    /// `credentials`.
    pub fn invite(&self, request: OutboundInvite) -> Result<LegId, SipError> {
        outbound::start(&self.shared, request)
    }

    /// Stops listening and ends the stack's tasks. Live calls are abandoned without BYE.
    pub fn shutdown(&self) {
        self.shared.cancel.cancel();
        if let Some(socket) = &self.shared.udp_socket {
            socket.set_oversized(None);
        }
    }
}

fn expect(leg: LegId, ok: bool, action: &'static str, phase: Phase) -> Result<(), SipError> {
    if ok {
        Ok(())
    } else {
        Err(SipError::WrongState {
            leg,
            action,
            state: phase.describe(),
        })
    }
}

fn reject_now(entry: &mut crate::legs::Leg, code: StatusCode) -> Result<(), SipError> {
    entry
        .dialog
        .reject(Some(code), None)
        .map_err(SipError::stack)?;
    entry.phase = Phase::Ending;
    entry.ended_locally = true;
    Ok(())
}

pub(crate) fn sdp_content_type() -> Header {
    Header::ContentType("application/sdp".into())
}
