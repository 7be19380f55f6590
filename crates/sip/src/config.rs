//! What the endpoint is told: listeners, identity, limits, and outbound call requests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::flood::FloodLimit;
use crate::tcp_gate::TcpLimits;

/// SIP transport of a listener or a trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

/// How the endpoint listens and presents itself.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// UDP listen address (`127.0.0.1:0` picks a free port; see `SipEndpoint::local_addrs`).
    pub udp: Option<SocketAddr>,
    /// TCP listen address.
    pub tcp: Option<SocketAddr>,
    /// `User-Agent` / `Server` header value.
    pub user_agent: String,
    /// The address carriers must reach us at when we sit behind NAT: it replaces the bound
    /// address in Via and Contact (the bound ports are kept).
    pub public_ip: Option<IpAddr>,
    /// Per-source request limit; `None` disables flood protection.
    pub flood_limit: Option<FloodLimit>,
    /// Per-source connection cap, first-message deadline and idle timeout of inbound TCP.
    pub tcp_limits: TcpLimits,
    /// RFC 4028 session timer offered to carriers that support it: the carrier must refresh the
    /// session within this interval or the leg ends with `SipEvent::SessionExpired`.
    /// `None` disables session timers. RFC 4028 forbids less than 90 s.
    pub session_expires: Option<Duration>,
    /// Capacity of the event channel; a full channel slows the signalling of the legs whose
    /// events wait, never drops events.
    pub event_capacity: usize,
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            udp: Some(SocketAddr::from(([0, 0, 0, 0], 5060))),
            tcp: None,
            user_agent: "Callbridge".to_string(),
            public_ip: None,
            flood_limit: Some(FloodLimit::default()),
            tcp_limits: TcpLimits::default(),
            session_expires: Some(Duration::from_secs(1800)),
            event_capacity: 4096,
        }
    }
}

/// Where the trunk's carrier receives our calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkTarget {
    /// IP address or host name.
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

/// Digest credentials the carrier may challenge an outbound INVITE for (401/407).
#[derive(Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    pub username: String,
    pub password: String,
    /// Only answer challenges for this realm; `None` answers whatever realm is asked.
    pub realm: Option<String>,
}

impl std::fmt::Debug for DigestCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .finish()
    }
}

/// A click-to-dial call out through the trunk.
#[derive(Debug, Clone)]
pub struct OutboundInvite {
    pub target: TrunkTarget,
    /// The tenant's caller id (user part of From).
    pub from_user: String,
    pub from_display: Option<String>,
    /// The number dialled (user part of the Request-URI and To).
    pub to_user: String,
    pub credentials: Option<DigestCredentials>,
    /// SDP offer, carried as opaque text.
    pub sdp_offer: String,
}
