//! Listeners: where the gate (`screen.rs`) is spliced into rsipstack's transports.
//!
//! UDP: rsipstack reads datagrams through a socket trait, so the gate wraps the socket and sees
//! raw bytes (it can count unparseable datagrams and check Content-Length against the datagram
//! length) before the stack parses them. The socket reads into its own 64 KiB buffer: rsipstack
//! reads with an 8 KiB one and would truncate larger (valid) datagrams, so a datagram that does
//! not fit its buffer is parsed here and handed to the stack directly (`Oversized`). TCP:
//! rsipstack frames the stream itself, so the gate sees each parsed message through the
//! endpoint's transport-event hook; `tcp_gate.rs` owns the accept loop.

use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use rsipstack::sip::SipMessage;
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{SipAddr, SipConnection, TransportEvent};
use tracing::debug;

use crate::error::SipError;
use crate::screen::{Screen, Verdict};
use crate::tcp_gate::TcpGate;

/// The largest UDP payload (RFC 768 length field minus the headers): every valid datagram is
/// received whole.
pub(crate) const MAX_DATAGRAM: usize = 65_535;

/// A bound UDP socket whose receive path runs every datagram through the gate.
pub(crate) struct GuardedUdpSocket {
    socket: tokio::net::UdpSocket,
    screen: Arc<Screen>,
    /// Only one task (rsipstack's receive loop) reads, so this lock is never contended.
    buffer: tokio::sync::Mutex<Vec<u8>>,
    oversized: Mutex<Option<Oversized>>,
}

/// Where a datagram larger than rsipstack's receive buffer goes: straight to the stack, as if
/// its own receive loop had read it.
pub(crate) struct Oversized {
    pub(crate) stack: EndpointInnerRef,
    pub(crate) connection: UdpConnection,
}

impl GuardedUdpSocket {
    pub(crate) async fn bind(addr: SocketAddr, screen: Arc<Screen>) -> Result<Self, SipError> {
        let socket = tokio::net::UdpSocket::bind(addr)
            .await
            .map_err(|error| SipError::Bind {
                transport: "UDP",
                addr,
                reason: error.to_string(),
            })?;
        Ok(GuardedUdpSocket {
            socket,
            screen,
            buffer: tokio::sync::Mutex::new(vec![0; MAX_DATAGRAM]),
            oversized: Mutex::new(None),
        })
    }

    pub(crate) fn bound_addr(&self) -> Result<SocketAddr, SipError> {
        self.socket.local_addr().map_err(SipError::stack)
    }

    /// Connects the oversized path once the stack exists; `None` at shutdown breaks the
    /// socket → connection → socket reference cycle.
    pub(crate) fn set_oversized(&self, oversized: Option<Oversized>) {
        *self.oversized.lock() = oversized;
    }

    /// A datagram that passed the gate but does not fit rsipstack's buffer: parsed and
    /// delivered here with the same Via bookkeeping rsipstack's loop does.
    fn deliver_oversized(&self, datagram: &[u8], source: SocketAddr) {
        let Some((stack, connection)) = self
            .oversized
            .lock()
            .as_ref()
            .map(|o| (o.stack.clone(), o.connection.clone()))
        else {
            return;
        };
        let message = SipMessage::try_from(datagram)
            .map_err(|error| error.to_string())
            .and_then(|message| {
                SipConnection::update_msg_received(message, source, rsipstack::sip::Transport::Udp)
                    .map_err(|error| error.to_string())
            });
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                debug!(%source, %error, "dropping an oversized datagram the stack cannot read");
                return;
            }
        };
        let from = SipAddr {
            r#type: Some(rsipstack::sip::Transport::Udp),
            addr: source.into(),
        };
        tokio::spawn(async move {
            let connection = SipConnection::Udp(connection);
            if let Err(error) = stack.on_received_message(message, connection, &from).await {
                debug!(%source, %error, "the stack refused an oversized datagram");
            }
        });
    }
}

#[async_trait::async_trait]
impl rsipstack::platform::net::UdpSocket for GuardedUdpSocket {
    async fn recv_from(&self, buf: &mut [u8]) -> rsipstack::Result<(usize, SocketAddr)> {
        let mut own = self.buffer.lock().await;
        loop {
            let (len, source) = self.socket.recv_from(&mut own).await?;
            let datagram = &own[..len];
            match self.screen.datagram(datagram, source) {
                Verdict::Pass if len <= buf.len() => {
                    buf[..len].copy_from_slice(datagram);
                    return Ok((len, source));
                }
                Verdict::Pass => self.deliver_oversized(datagram, source),
                Verdict::Drop => continue,
                Verdict::Reply(reply) => {
                    // Answer the address it came from: a message this broken cannot be
                    // trusted to name a better one in its Via.
                    if let Err(error) = self.socket.send_to(&reply.to_bytes(), source).await {
                        debug!(%source, %error, "could not send the refusal");
                    }
                }
            }
        }
    }

    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> rsipstack::Result<usize> {
        Ok(self.socket.send_to(buf, addr).await?)
    }

    fn local_addr(&self) -> rsipstack::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }
}

/// The gate for stream transports, run by the endpoint on every transport event. UDP messages
/// were already screened on the socket and pass straight through; TCP connections' messages
/// and closes are also reported to the TCP gate (first-message deadline, per-source count).
pub(crate) struct StreamGate {
    pub(crate) screen: Arc<Screen>,
    pub(crate) tcp: Arc<TcpGate>,
}

#[async_trait::async_trait]
impl rsipstack::transaction::endpoint::TransportEventInspector for StreamGate {
    async fn handle(&self, event: TransportEvent) -> Option<TransportEvent> {
        let (message, connection, from) = match &event {
            TransportEvent::Incoming(message, connection, from) => (message, connection, from),
            TransportEvent::Closed(SipConnection::Tcp(connection)) => {
                if let Ok(remote) = connection.inner.remote_addr.get_socketaddr() {
                    self.tcp.closed(remote);
                }
                return Some(event);
            }
            _ => return Some(event),
        };
        if matches!(connection, SipConnection::Udp(_)) {
            return Some(event);
        }
        let Ok(source) = from.get_socketaddr() else {
            return Some(event);
        };
        if matches!(connection, SipConnection::Tcp(_)) {
            self.tcp.delivered(source);
        }
        match self.screen.framed(message, source) {
            Verdict::Pass => Some(event),
            Verdict::Drop => None,
            Verdict::Reply(reply) => {
                if let Err(error) = connection.send(*reply, None).await {
                    debug!(%source, %error, "could not send the refusal");
                }
                None
            }
        }
    }
}
