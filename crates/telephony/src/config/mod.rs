//! The `[telephony]` part of the configuration file: SIP listeners, media addresses and ports, the
//! recording spool, and per tenant the trunk, the numbers (DIDs) and where they ring, the queues,
//! the agents and where recordings are stored.
//!
//! The integration crate parses the rest of the same file and leaves these sections to us. Like
//! there, an invalid file fails at start with the file, the key and what to change; every key is
//! documented in `docs/configuration.md`.

mod raw;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callbridge_core::{QueueId, TenantId};
use callbridge_integration::config::{ConfigError, Secret, SecretSource};

use raw::{RawFile, RawQueue, RawRecordings, RawTelephony, RawTenantTelephony, RawTrunk};

/// Everything the telephony runtime needs from the file.
#[derive(Debug, Clone)]
pub struct TelephonyConfig {
    pub sip: SipSettings,
    pub media: MediaSettings,
    /// Where recordings are written while calls run, until their store has them.
    pub spool_dir: PathBuf,
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
    /// The caller id presented on outbound calls (E.164).
    pub caller_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A dialled number (its digits, no `+`) and the queue it rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRoute {
    pub digits: String,
    pub queue: QueueId,
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

/// An IPv4/IPv6 network, `a.b.c.d/nn` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    pub fn parse(text: &str) -> Result<IpNetwork, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network like 192.0.2.0/24"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpNetwork { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V4(net), IpAddr::V6(ip)) => ip
                .to_ipv4_mapped()
                .is_some_and(|ip| prefix_matches(&net.octets(), &ip.octets(), self.prefix)),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if net[..full] != ip[..full] {
        return false;
    }
    let rest = prefix % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    net[full] & mask == ip[full] & mask
}

/// The digits of a dialled number as routes compare them: `+1 (555) 123-0001` and
/// `15551230001` are the same route. None when it has no digits or anything but digits,
/// spaces, `+ - ( ) .`.
pub fn route_digits(number: &str) -> Option<String> {
    if number.len() > 32
        || !number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
    {
        return None;
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

impl TelephonyConfig {
    /// Reads the telephony sections of the configuration file; None when it has none (the
    /// server then runs the integration alone).
    pub fn load(path: &Path) -> Result<Option<TelephonyConfig>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            key: String::new(),
            reason: format!("cannot read the file: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        TelephonyConfig::parse(&path.display().to_string(), &text, base, &|k| {
            std::env::var(k).ok()
        })
    }

    /// Parses configuration text; `base` resolves relative paths, `env` looks variables up.
    pub fn parse(
        file: &str,
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<TelephonyConfig>, ConfigError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            key: String::new(),
            reason: e.message().to_string(),
        })?;
        let Some(telephony) = raw.telephony else {
            return Ok(None);
        };
        let v = Validator { file, base, env };
        let mut tenants = Vec::new();
        for (i, tenant) in raw.tenants.into_iter().enumerate() {
            if let Some(t) = tenant.telephony {
                tenants.push(v.tenant(i, tenant.id, t)?);
            }
        }
        v.unique_numbers(&tenants)?;
        Ok(Some(TelephonyConfig {
            sip: v.sip(&telephony)?,
            media: v.media(&telephony)?,
            spool_dir: base.join(&telephony.spool_dir),
            tenants,
        }))
    }

    pub fn tenant(&self, tenant: &TenantId) -> Option<&TenantTelephony> {
        self.tenants.iter().find(|t| &t.tenant == tenant)
    }
}

struct Validator<'a> {
    file: &'a str,
    base: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Validator<'_> {
    fn error(&self, key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }

    fn secret(&self, key: &str, source: &SecretSource) -> Result<Secret, ConfigError> {
        source
            .resolve(self.base, self.env)
            .map_err(|reason| self.error(key, reason))
    }

    fn socket(&self, key: &str, value: &Option<String>) -> Result<Option<SocketAddr>, ConfigError> {
        value
            .as_deref()
            .map(|v| {
                v.parse().map_err(|_| {
                    self.error(key, format!("{v:?} is not an address like 0.0.0.0:5060"))
                })
            })
            .transpose()
    }

    fn ip(&self, key: &str, value: &str) -> Result<IpAddr, ConfigError> {
        value
            .parse()
            .map_err(|_| self.error(key, format!("{value:?} is not an IP address")))
    }

    fn sip(&self, raw: &RawTelephony) -> Result<SipSettings, ConfigError> {
        let udp = self.socket("telephony.sip_udp", &raw.sip_udp)?;
        let tcp = self.socket("telephony.sip_tcp", &raw.sip_tcp)?;
        if udp.is_none() && tcp.is_none() {
            return Err(self.error(
                "telephony.sip_udp",
                "set sip_udp and/or sip_tcp (for example \"0.0.0.0:5060\")",
            ));
        }
        if raw.sip_flood_limit == 0 {
            return Err(self.error(
                "telephony.sip_flood_limit",
                "must be at least 1 request per second",
            ));
        }
        Ok(SipSettings {
            udp,
            tcp,
            public_ip: raw
                .sip_public_ip
                .as_deref()
                .map(|ip| self.ip("telephony.sip_public_ip", ip))
                .transpose()?,
            flood_limit: raw.sip_flood_limit,
        })
    }

    fn media(&self, raw: &RawTelephony) -> Result<MediaSettings, ConfigError> {
        let bind_ip = self.ip("telephony.media_bind_ip", &raw.media_bind_ip)?;
        let public_ip = match &raw.public_ip {
            Some(ip) => self.ip("telephony.public_ip", ip)?,
            None if !bind_ip.is_unspecified() => bind_ip,
            None => {
                return Err(self.error(
                    "telephony.public_ip",
                    "media_bind_ip is a wildcard address, so set public_ip to the address \
                     carriers and browsers reach this server at",
                ))
            }
        };
        let key = "telephony.rtp_ports";
        let (low, high) = raw
            .rtp_ports
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
            .ok_or_else(|| {
                self.error(
                    key,
                    format!("{:?} is not a range like \"20000-29999\"", raw.rtp_ports),
                )
            })?;
        if low < 1024 || high < low || high - low < 16 {
            return Err(self.error(
                key,
                "use at least 16 ports above 1023, low-high (each call uses one, each agent one)",
            ));
        }
        if raw.media_timeout_secs < 5 {
            return Err(self.error(
                "telephony.media_timeout_secs",
                "must be at least 5 seconds so short network hiccups do not end calls",
            ));
        }
        Ok(MediaSettings {
            bind_ip,
            public_ip,
            rtp_ports: low..=high,
            media_timeout: Duration::from_secs(raw.media_timeout_secs),
        })
    }

    fn tenant(
        &self,
        index: usize,
        id: String,
        raw: RawTenantTelephony,
    ) -> Result<TenantTelephony, ConfigError> {
        let at = format!("tenant[{index}].telephony");
        let tenant = TenantId::new(id);
        let trunk = raw
            .trunk
            .map(|t| self.trunk(&format!("{at}.trunk"), t))
            .transpose()?;
        let allowed_sources = raw
            .allowed_sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                IpNetwork::parse(s).map_err(|e| self.error(format!("{at}.allowed_sources[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut queue_ids = HashSet::new();
        let mut queues = Vec::new();
        for (i, q) in raw.queue.into_iter().enumerate() {
            let q = self.queue(&format!("{at}.queue[{i}]"), q)?;
            if !queue_ids.insert(q.id.clone()) {
                return Err(self.error(
                    format!("{at}.queue[{i}].id"),
                    format!("queue {:?} is defined twice", q.id.as_str()),
                ));
            }
            queues.push(q);
        }
        let known_queue = |key: String, queue: &str| -> Result<QueueId, ConfigError> {
            let id = QueueId::new(queue);
            if queue_ids.contains(&id) {
                Ok(id)
            } else {
                Err(self.error(
                    key,
                    format!("no queue {queue:?} is defined for this tenant"),
                ))
            }
        };
        let mut numbers = Vec::new();
        for (i, n) in raw.number.iter().enumerate() {
            let digits = route_digits(&n.did).ok_or_else(|| {
                self.error(
                    format!("{at}.number[{i}].did"),
                    format!("{:?} is not a phone number like +15551230001", n.did),
                )
            })?;
            let queue = known_queue(format!("{at}.number[{i}].queue"), &n.queue)?;
            numbers.push(NumberRoute { digits, queue });
        }
        if !numbers.is_empty() && allowed_sources.is_empty() {
            return Err(self.error(
                format!("{at}.allowed_sources"),
                "list the carrier's signalling addresses (e.g. [\"192.0.2.10\", \"198.51.100.0/24\"]); \
                 calls from anywhere else are refused",
            ));
        }
        let mut agents = Vec::new();
        let mut agent_names = HashSet::new();
        for (i, a) in raw.agent.into_iter().enumerate() {
            let key = format!("{at}.agent[{i}]");
            if callbridge_core::AgentName::parse(&a.name).is_err() {
                return Err(self.error(
                    format!("{key}.name"),
                    format!("{:?}: use 1-64 letters, digits, '.', '_', '-', '@'", a.name),
                ));
            }
            if !agent_names.insert(a.name.clone()) {
                return Err(self.error(
                    format!("{key}.name"),
                    format!("agent {:?} is listed twice", a.name),
                ));
            }
            let queues = a
                .queues
                .iter()
                .enumerate()
                .map(|(j, q)| known_queue(format!("{key}.queues[{j}]"), q))
                .collect::<Result<Vec<_>, _>>()?;
            agents.push(AgentSettings {
                name: a.name,
                queues,
            });
        }
        let recordings = self.recordings(&format!("{at}.recordings"), raw.recordings, &tenant)?;
        Ok(TenantTelephony {
            tenant,
            trunk,
            allowed_sources,
            numbers,
            queues,
            agents,
            recordings,
        })
    }

    fn trunk(&self, at: &str, raw: RawTrunk) -> Result<TrunkSettings, ConfigError> {
        if raw.host.is_empty() || raw.host.contains(['/', ' ', '@']) {
            return Err(self.error(
                format!("{at}.host"),
                "a host name or IP address, without scheme or user",
            ));
        }
        let transport = match raw.transport.as_str() {
            "udp" => Transport::Udp,
            "tcp" => Transport::Tcp,
            other => {
                return Err(self.error(
                    format!("{at}.transport"),
                    format!("{other:?}: use \"udp\" or \"tcp\""),
                ))
            }
        };
        let password = raw
            .password
            .as_ref()
            .map(|p| self.secret(&format!("{at}.password"), p))
            .transpose()?;
        if password.is_some() != raw.username.is_some() {
            return Err(self.error(
                format!("{at}.username"),
                "set both username and password for digest authentication, or neither",
            ));
        }
        let caller_id = raw.caller_id.trim().to_string();
        if !caller_id.starts_with('+')
            || caller_id.len() < 8
            || caller_id.len() > 16
            || !caller_id[1..].chars().all(|c| c.is_ascii_digit())
        {
            return Err(self.error(
                format!("{at}.caller_id"),
                format!(
                    "{:?} is not an E.164 number like +15551230000",
                    raw.caller_id
                ),
            ));
        }
        Ok(TrunkSettings {
            host: raw.host,
            port: raw.port,
            transport,
            username: raw.username,
            password,
            caller_id,
        })
    }

    fn queue(&self, at: &str, raw: RawQueue) -> Result<QueueSettings, ConfigError> {
        // Queue ids follow the agent-name rule.
        if callbridge_core::AgentName::parse(&raw.id).is_err() {
            return Err(self.error(
                format!("{at}.id"),
                format!("{:?}: use 1-64 letters, digits, '.', '_', '-'", raw.id),
            ));
        }
        let waiting = match raw.waiting.as_str() {
            "ringback" => WaitingTreatment::Ringback,
            "music" => WaitingTreatment::Music,
            other => {
                return Err(self.error(
                    format!("{at}.waiting"),
                    format!("{other:?}: use \"ringback\" or \"music\""),
                ))
            }
        };
        let unserved = |key: &str, value: &str| match value {
            "busy" => Ok(Unserved::Busy),
            "announcement" => Ok(Unserved::Announcement),
            "hang_up" => Ok(Unserved::HangUp),
            other => Err(self.error(
                format!("{at}.{key}"),
                format!("{other:?}: use \"busy\", \"announcement\" or \"hang_up\""),
            )),
        };
        let overflow = unserved("overflow", &raw.overflow)?;
        let no_agent = unserved("no_agent", &raw.no_agent)?;
        let file = |key: &str, path: &Option<PathBuf>| -> Result<Option<PathBuf>, ConfigError> {
            match path {
                None => Ok(None),
                Some(p) => {
                    let full = self.base.join(p);
                    if full.is_file() {
                        Ok(Some(full))
                    } else {
                        Err(self.error(
                            format!("{at}.{key}"),
                            format!("{} is not a readable file", full.display()),
                        ))
                    }
                }
            }
        };
        let music = file("music", &raw.music)?;
        let announcement = file("announcement", &raw.announcement)?;
        if announcement.is_none()
            && (overflow == Unserved::Announcement || no_agent == Unserved::Announcement)
        {
            return Err(self.error(
                format!("{at}.announcement"),
                "overflow or no_agent is \"announcement\", so name the WAV file to play",
            ));
        }
        if !(5..=120).contains(&raw.ring_timeout_secs) {
            return Err(self.error(format!("{at}.ring_timeout_secs"), "use 5 to 120 seconds"));
        }
        if raw.max_wait_secs == 0 {
            return Err(self.error(format!("{at}.max_wait_secs"), "must be at least 1 second"));
        }
        Ok(QueueSettings {
            id: QueueId::new(raw.id),
            ring_timeout: Duration::from_secs(raw.ring_timeout_secs),
            waiting,
            music,
            announcement,
            max_waiting: raw.max_waiting,
            max_wait: Duration::from_secs(raw.max_wait_secs),
            overflow,
            no_agent,
            wrap_up: Duration::from_secs(raw.wrap_up_secs),
        })
    }

    fn recordings(
        &self,
        at: &str,
        raw: RawRecordings,
        tenant: &TenantId,
    ) -> Result<RecordingStorage, ConfigError> {
        match raw.store.as_str() {
            "local" => Ok(RecordingStorage::Local {
                root: self
                    .base
                    .join(raw.path.unwrap_or_else(|| PathBuf::from("recordings"))),
            }),
            "s3" => {
                let bucket = raw.bucket.filter(|b| !b.is_empty()).ok_or_else(|| {
                    self.error(
                        format!("{at}.bucket"),
                        "name the S3 bucket the tenant created",
                    )
                })?;
                let credentials =
                    match (raw.access_key_id, raw.secret_access_key) {
                        (Some(id), Some(secret)) => S3Credentials::AccessKey {
                            id,
                            secret: self.secret(&format!("{at}.secret_access_key"), &secret)?,
                        },
                        (None, None) => S3Credentials::Role,
                        _ => return Err(self.error(
                            format!("{at}.access_key_id"),
                            "set both access_key_id and secret_access_key (an IAM user's key), \
                             or neither to use the machine's role",
                        )),
                    };
                if let Some(e) = &raw.endpoint {
                    if !(e.starts_with("https://")
                        || e.starts_with("http://127.0.0.1")
                        || e.starts_with("http://localhost"))
                    {
                        return Err(self.error(
                            format!("{at}.endpoint"),
                            "use an https:// endpoint (plain http only on loopback)",
                        ));
                    }
                }
                Ok(RecordingStorage::S3 {
                    bucket,
                    region: raw.region.unwrap_or_else(|| "us-east-1".into()),
                    endpoint: raw.endpoint,
                    credentials,
                    prefix: raw.prefix.unwrap_or_else(|| tenant.as_str().to_string()),
                })
            }
            other => Err(self.error(
                format!("{at}.store"),
                format!("{other:?}: use \"local\" or \"s3\""),
            )),
        }
    }

    fn unique_numbers(&self, tenants: &[TenantTelephony]) -> Result<(), ConfigError> {
        let mut seen: HashMap<&str, &TenantId> = HashMap::new();
        for t in tenants {
            for n in &t.numbers {
                if let Some(other) = seen.insert(&n.digits, &t.tenant) {
                    return Err(self.error(
                        format!("tenant {}: telephony.number", t.tenant),
                        format!(
                            "+{} is routed twice (also by tenant {other}); a number belongs to one queue",
                            n.digits
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
