//! Listeners: where the gate (`screen.rs`) is spliced into rsipstack's transports.
//!
//! UDP: rsipstack reads datagrams through a socket trait, so the gate wraps the socket and sees
//! raw bytes (it can count unparseable datagrams and check Content-Length against the datagram
//! length) before the stack parses them. TCP: rsipstack frames the stream itself, so the gate
//! sees each parsed message through the endpoint's transport-event hook.

use std::net::SocketAddr;
use std::sync::Arc;

use rsipstack::transport::{SipConnection, TransportEvent};
use tracing::debug;

use crate::error::SipError;
use crate::screen::{Screen, Verdict};

/// A bound UDP socket whose receive path runs every datagram through the gate.
pub(crate) struct GuardedUdpSocket {
    socket: tokio::net::UdpSocket,
    screen: Arc<Screen>,
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
        Ok(GuardedUdpSocket { socket, screen })
    }

    pub(crate) fn bound_addr(&self) -> Result<SocketAddr, SipError> {
        self.socket.local_addr().map_err(SipError::stack)
    }
}

#[async_trait::async_trait]
impl rsipstack::platform::net::UdpSocket for GuardedUdpSocket {
    async fn recv_from(&self, buf: &mut [u8]) -> rsipstack::Result<(usize, SocketAddr)> {
        loop {
            let (len, source) = self.socket.recv_from(buf).await?;
            match self.screen.datagram(&buf[..len], source) {
                Verdict::Pass => return Ok((len, source)),
                Verdict::Drop => continue,
                Verdict::Reply(reply) => {
                    // Answer the address it came from: a message this broken cannot be
                    // trusted to name a better one in its Via.
                    if let Err(error) = self.socket.send_to(&reply.to_bytes(), source).await {
                        debug!(%source, %error, "could not send 400");
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

/// The gate for stream transports, run by the endpoint on every parsed incoming message.
/// UDP messages were already screened on the socket and pass straight through.
pub(crate) struct StreamGate {
    pub(crate) screen: Arc<Screen>,
}

#[async_trait::async_trait]
impl rsipstack::transaction::endpoint::TransportEventInspector for StreamGate {
    async fn handle(&self, event: TransportEvent) -> Option<TransportEvent> {
        let TransportEvent::Incoming(message, connection, from) = &event else {
            return Some(event);
        };
        if matches!(connection, SipConnection::Udp(_)) {
            return Some(event);
        }
        let Ok(source) = from.get_socketaddr() else {
            return Some(event);
        };
        match self.screen.framed(message, source) {
            Verdict::Pass => Some(event),
            Verdict::Drop => None,
            Verdict::Reply(reply) => {
                if let Err(error) = connection.send(*reply, None).await {
                    debug!(%source, %error, "could not send 400");
                }
                None
            }
        }
    }
}

/// A free TCP port on `addr`'s interface when `addr` asks for port 0.
///
/// rsipstack binds its TCP listener itself and reports the configured address, not the bound
/// one, so an ephemeral port is chosen here first. The window between releasing the probe and
/// rsipstack binding is tiny, and production configurations name a fixed port anyway.
pub(crate) fn concrete_tcp_addr(addr: SocketAddr) -> Result<SocketAddr, SipError> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let probe = std::net::TcpListener::bind(addr).map_err(|error| SipError::Bind {
        transport: "TCP",
        addr,
        reason: error.to_string(),
    })?;
    probe.local_addr().map_err(|error| SipError::Bind {
        transport: "TCP",
        addr,
        reason: error.to_string(),
    })
}
