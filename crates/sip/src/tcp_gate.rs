//! Our SIP/TCP accept loop: the per-source connection cap and the first-message deadline,
//! in front of rsipstack's connection handling.
//!
//! rsipstack's own listener accepts every connection and keeps it until the peer closes or
//! its idle timeout fires, so 300 connections from one address, each holding its 64 KiB
//! receive buffer, were all kept. Here each accepted stream is counted against its source
//! address first (over the cap it is closed at once), then handed to rsipstack, which frames
//! it (messages over 64 KiB close the connection) and closes it after `idle_timeout` without
//! a byte. A connection that has not delivered a complete SIP message within
//! `first_message_timeout` of being accepted is shut down: that bounds connections opened
//! and left silent, or fed a byte at a time, however the idle timer is kept alive.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rsipstack::platform::CancellationToken;
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transport::tcp::TcpConnection;
use rsipstack::transport::{SipAddr, SipConnection};
use tracing::{debug, warn};

use crate::flood::SourceLogThrottle;

/// Limits on inbound SIP/TCP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Live inbound connections one source IP address may hold; more are closed on accept.
    pub max_connections_per_source: usize,
    /// A new connection must deliver one complete SIP message within this time.
    pub first_message_timeout: Duration,
    /// A connection that carries no byte (message or CRLF keep-alive) for this long is
    /// closed. `Duration::ZERO` keeps idle connections forever.
    pub idle_timeout: Duration,
}

impl Default for TcpLimits {
    /// A carrier's SBC opens one or a few connections and pings or keeps calls flowing on
    /// them; 32 per address leaves room for a carrier pool behind one address. 120 s idle is
    /// what common SIP proxies use (Kamailio's `tcp_connection_lifetime`); a peer that needs
    /// longer sends CRLF keep-alives (RFC 5626).
    fn default() -> Self {
        TcpLimits {
            max_connections_per_source: 32,
            first_message_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

struct Live {
    /// A second handle on the socket, to shut it down under rsipstack's reader.
    socket: std::net::TcpStream,
    delivered: bool,
}

#[derive(Default)]
struct Table {
    per_source: HashMap<IpAddr, usize>,
    live: HashMap<SocketAddr, Live>,
}

/// Counts live inbound connections; the transport-event hook reports messages and closes.
pub(crate) struct TcpGate {
    limits: TcpLimits,
    table: Mutex<Table>,
    refused_log: SourceLogThrottle,
}

impl TcpGate {
    pub(crate) fn new(limits: TcpLimits) -> Self {
        TcpGate {
            limits,
            table: Mutex::new(Table::default()),
            refused_log: SourceLogThrottle::new(Duration::from_secs(10)),
        }
    }

    /// Registers an accepted connection, or `false` when its source is at the cap.
    fn admit(&self, remote: SocketAddr, socket: std::net::TcpStream) -> bool {
        let mut table = self.table.lock();
        let count = table.per_source.entry(remote.ip()).or_insert(0);
        if *count >= self.limits.max_connections_per_source {
            return false;
        }
        *count += 1;
        table.live.insert(
            remote,
            Live {
                socket,
                delivered: false,
            },
        );
        true
    }

    /// A complete message arrived on the connection from `remote`.
    pub(crate) fn delivered(&self, remote: SocketAddr) {
        if let Some(live) = self.table.lock().live.get_mut(&remote) {
            live.delivered = true;
        }
    }

    /// rsipstack closed the connection from `remote` (peer closed, idle, error, shut down).
    pub(crate) fn closed(&self, remote: SocketAddr) {
        let mut table = self.table.lock();
        if table.live.remove(&remote).is_none() {
            return; // one of our outbound connections, never counted
        }
        if let Some(count) = table.per_source.get_mut(&remote.ip()) {
            *count -= 1;
            if *count == 0 {
                table.per_source.remove(&remote.ip());
            }
        }
    }

    /// Shuts the connection down if it has still not delivered a message; rsipstack's reader
    /// then sees end-of-stream and retires it (reported back through [`TcpGate::closed`]).
    fn enforce_first_message(&self, remote: SocketAddr) {
        let table = self.table.lock();
        if let Some(live) = table.live.get(&remote) {
            if !live.delivered {
                debug!(%remote, "closing a SIP/TCP connection that sent no complete message in time");
                let _ = live.socket.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    #[cfg(test)]
    fn live_from(&self, ip: IpAddr) -> usize {
        self.table.lock().per_source.get(&ip).copied().unwrap_or(0)
    }
}

/// Accepts connections on `listener` until `cancel` fires. `local` is the address rsipstack
/// puts in the connections' Via (the advertised one).
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    gate: Arc<TcpGate>,
    stack: Weak<rsipstack::transaction::endpoint::EndpointInner>,
    local: SipAddr,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors and the like: back off instead of spinning.
                warn!(%error, "SIP/TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(stack) = stack.upgrade() else { break };
        if let Err(error) = hand_over(&gate, &stack, stream, remote, &local, &cancel) {
            debug!(%remote, %error, "could not take a SIP/TCP connection");
        }
    }
}

fn hand_over(
    gate: &Arc<TcpGate>,
    stack: &EndpointInnerRef,
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    local: &SipAddr,
    cancel: &CancellationToken,
) -> std::io::Result<()> {
    let std_stream = stream.into_std()?;
    let handle = std_stream.try_clone()?;
    if !gate.admit(remote, handle) {
        if let Some(suppressed) = gate.refused_log.should_log(remote.ip(), Instant::now()) {
            warn!(
                source = %remote.ip(),
                limit = gate.limits.max_connections_per_source,
                suppressed,
                "SIP/TCP: refusing a connection over the per-source limit"
            );
        }
        drop(std_stream); // closes it
        return Ok(());
    }
    let stream = tokio::net::TcpStream::from_std(std_stream)?;
    let connection =
        match TcpConnection::from_stream(stream, local.clone(), Some(cancel.child_token())) {
            Ok(connection) => connection,
            Err(error) => {
                gate.closed(remote);
                return Err(std::io::Error::other(error.to_string()));
            }
        };
    stack
        .transport_layer
        .add_connection(SipConnection::Tcp(connection));
    let deadline = gate.limits.first_message_timeout;
    let gate = Arc::downgrade(gate);
    tokio::spawn(async move {
        tokio::time::sleep(deadline).await;
        if let Some(gate) = gate.upgrade() {
            gate.enforce_first_message(remote);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (std::net::TcpStream, SocketAddr) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, remote) = listener.accept().unwrap();
        drop(client);
        (server, remote)
    }

    #[test]
    fn a_source_at_the_cap_is_refused_until_one_of_its_connections_closes() {
        let gate = TcpGate::new(TcpLimits {
            max_connections_per_source: 2,
            ..TcpLimits::default()
        });
        let connections: Vec<_> = (0..3).map(|_| pair()).collect();
        let admitted: Vec<bool> = connections
            .iter()
            .map(|(socket, remote)| gate.admit(*remote, socket.try_clone().unwrap()))
            .collect();
        assert_eq!(admitted, [true, true, false]);
        let ip = connections[0].1.ip();
        assert_eq!(gate.live_from(ip), 2);
        gate.closed(connections[0].1);
        gate.closed("192.0.2.1:5060".parse().unwrap()); // an outbound one: not counted
        assert_eq!(gate.live_from(ip), 1);
        let (socket, remote) = &connections[2];
        assert!(gate.admit(*remote, socket.try_clone().unwrap()));
    }
}
