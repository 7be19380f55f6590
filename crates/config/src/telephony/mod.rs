//! The `[telephony]` part of the configuration file: SIP listeners, media addresses and ports, the
//! recording spool, and per tenant the trunk, the numbers (DIDs) and where they ring, the queues,
//! the agents and where recordings are stored. Read by [`read`](self::read) with the rest of the
//! file; every key is documented in `docs/configuration.md`.

mod network;
pub(crate) mod read;

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use callbridge_core::{QueueId, TenantId};
use callbridge_kernel::Secret;
use callbridge_phone::E164;

pub use network::IpNetwork;

/// Everything the telephony runtime needs from the file.
#[derive(Debug, Clone)]
pub struct TelephonyConfig {
    pub sip: SipSettings,
    pub media: MediaSettings,
    /// Where recordings are written while calls run, until their store has them.
    pub spool_dir: PathBuf,
    /// How long an answered call (or after-call work) waits for an agent whose softphone went
    /// away without signing out; zero ends the call at once.
    pub agent_grace: Duration,
    pub tenants: Vec<TenantTelephony>,
}

#[derive(Debug, Clone)]
pub struct SipSettings {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    /// The address carriers should send to, when it differs from the listen address (NAT).
    pub public_ip: Option<IpAddr>,
    /// Requests per second one source address may send before the rest are dropped.
    pub flood_limit: u32,
}

#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Where RTP and WebRTC sockets are bound.
    pub bind_ip: IpAddr,
    /// The address put in SDP and ICE candidates: how carriers and browsers reach us.
    pub public_ip: IpAddr,
    pub rtp_ports: RangeInclusive<u16>,
    /// A call whose customer sends no media for this long is ended.
    pub media_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct TenantTelephony {
    pub tenant: TenantId,
    pub trunk: Option<TrunkSettings>,
    /// Carriers' addresses allowed to send calls to this tenant's numbers.
    pub allowed_sources: Vec<IpNetwork>,
    pub numbers: Vec<NumberRoute>,
    pub queues: Vec<QueueSettings>,
    pub agents: Vec<AgentSettings>,
    pub recordings: RecordingStorage,
}

/// How outbound calls leave.
#[derive(Debug, Clone)]
pub struct TrunkSettings {
    pub host: String,
    pub port: u16,
    pub transport: Transport,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The caller id presented on outbound calls.
    pub caller_id: E164,
    /// Whether an agent may present another caller id on one call (`dial` with `caller_id`):
    /// only for a tenant that stands in for a carrier or its customers, such as the demo's
    /// customer page. Off by default.
    pub caller_id_per_call: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A dialled number (a DID) and the queue it rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRoute {
    pub number: E164,
    pub queue: QueueId,
}

impl NumberRoute {
    /// The number's digits without the `+`, as the dialled number is compared with it.
    pub fn digits(&self) -> &str {
        &self.number.as_str()[1..]
    }
}

#[derive(Debug, Clone)]
pub struct QueueSettings {
    pub id: QueueId,
    pub ring_timeout: Duration,
    pub waiting: WaitingTreatment,
    /// Music while waiting or on hold (mono WAV); None: a generated tone pattern.
    pub music: Option<PathBuf>,
    /// Played before hanging up when the queue is closed or full.
    pub announcement: Option<PathBuf>,
    pub max_waiting: u32,
    pub max_wait: Duration,
    pub overflow: Unserved,
    pub no_agent: Unserved,
    pub wrap_up: Duration,
    /// The queue's service-level target: a call answered within this wait counts as answered
    /// in time on the supervisor's wall.
    pub service_level: Duration,
}

/// What a caller hears while the queue looks for an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitingTreatment {
    /// The call is not answered; the caller hears ringing (and pays nothing).
    Ringback,
    /// The call is answered and music plays.
    Music,
}

/// What happens to a call the queue cannot serve (full, waited too long, nobody logged in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unserved {
    /// Rejected as busy (486).
    Busy,
    /// Answered, the queue's announcement plays, then the call is hung up.
    Announcement,
    /// Rejected as unavailable (480), or hung up when already answered.
    HangUp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSettings {
    /// The tenant-local agent name (the same one the CRM link uses).
    pub name: String,
    pub queues: Vec<QueueId>,
}

/// Where a tenant's recordings go.
#[derive(Debug, Clone)]
pub enum RecordingStorage {
    Local {
        root: PathBuf,
    },
    S3 {
        bucket: String,
        region: String,
        /// An S3-compatible endpoint; None: AWS.
        endpoint: Option<String>,
        credentials: S3Credentials,
        prefix: String,
    },
}

#[derive(Debug, Clone)]
pub enum S3Credentials {
    /// An IAM user's access key.
    AccessKey { id: String, secret: Secret },
    /// The role of the machine or container (instance profile, ECS, web identity).
    Role,
}

impl TelephonyConfig {
    pub fn tenant(&self, tenant: &TenantId) -> Option<&TenantTelephony> {
        self.tenants.iter().find(|t| &t.tenant == tenant)
    }
}
