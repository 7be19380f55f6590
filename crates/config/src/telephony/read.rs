//! Reading and validating `[telephony]` and each `[tenant.telephony]`.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use callbridge_core::{QueueId, TenantId};
use callbridge_kernel::ids::AgentName;
use callbridge_phone::{classify, CallerId, Region, E164};

use super::{
    AgentSettings, IpNetwork, MediaSettings, NumberRoute, QueueSettings, RecordingStorage,
    S3Credentials, SipSettings, TenantTelephony, Transport, TrunkSettings, Unserved,
    WaitingTreatment,
};
use crate::reader::{Reader, Section, Span, Val};
use crate::secret::secret;

type Env<'e> = &'e dyn Fn(&str) -> Option<String>;

/// The longest `agent_grace_secs`: the customer hears hold music all that time, and the agent
/// is shown `offline` to colleagues; a softphone that is not back within two minutes is not
/// coming back from a blip.
pub const MAX_AGENT_GRACE_SECS: u64 = 120;

/// The top-level settings of `[telephony]` (the tenants are added by [`tenant`]): SIP, media,
/// the spool directory and the agents' grace period.
pub(crate) fn settings(
    section: Section<'_, '_>,
    base: &Path,
) -> Option<(SipSettings, MediaSettings, PathBuf, Duration)> {
    let sip = sip(&section);
    let media = media(&section);
    let spool = section.or(
        "spool_dir",
        section.string("spool_dir"),
        "spool".to_string(),
    );
    let grace = section.or(
        "agent_grace_secs",
        section.integer(
            "agent_grace_secs",
            0,
            Some(MAX_AGENT_GRACE_SECS),
            "seconds (0 ends a call at once when its agent's softphone goes away; the customer \
             hears hold music meanwhile, so keep it short)",
        ),
        20,
    );
    section.finish();
    Some((sip?, media?, base.join(spool?), Duration::from_secs(grace?)))
}

fn socket(section: &Section<'_, '_>, name: &str) -> Option<Option<SocketAddr>> {
    match section.string(name) {
        None if section.has(name) => None,
        None => Some(None),
        Some(v) => match v.value.parse() {
            Ok(addr) => Some(Some(addr)),
            Err(_) => {
                v.report(
                    section.reader,
                    format!("{:?} is not an IP address and port", v.value),
                    format!("write an address like {name} = \"0.0.0.0:5060\""),
                );
                None
            }
        },
    }
}

fn ip(reader: &Reader<'_>, v: &Val<String>) -> Option<IpAddr> {
    match v.value.parse() {
        Ok(ip) => Some(ip),
        Err(_) => {
            v.report(
                reader,
                format!("{:?} is not an IP address", v.value),
                "write an IPv4 or IPv6 address such as \"203.0.113.7\" (not a host name)",
            );
            None
        }
    }
}

fn sip(section: &Section<'_, '_>) -> Option<SipSettings> {
    let udp = socket(section, "sip_udp");
    let tcp = socket(section, "sip_tcp");
    let public_ip = match section.string("sip_public_ip") {
        None if section.has("sip_public_ip") => None,
        None => Some(None),
        Some(v) => ip(section.reader, &v).map(Some),
    };
    let flood_limit = section.or(
        "sip_flood_limit",
        section.integer(
            "sip_flood_limit",
            1,
            Some(u64::from(u32::MAX)),
            "requests per second",
        ),
        1000,
    );
    if let (Some(None), Some(None)) = (udp, tcp) {
        section.missing(
            "sip_udp",
            "set sip_udp and/or sip_tcp, for example sip_udp = \"0.0.0.0:5060\"",
        );
        return None;
    }
    Some(SipSettings {
        udp: udp?,
        tcp: tcp?,
        public_ip: public_ip?,
        flood_limit: u32::try_from(flood_limit?).ok()?,
    })
}

fn media(section: &Section<'_, '_>) -> Option<MediaSettings> {
    let reader = section.reader;
    let bind_ip = match section.string("media_bind_ip") {
        None if section.has("media_bind_ip") => None,
        None => Some(IpAddr::from([0, 0, 0, 0])),
        Some(v) => ip(reader, &v),
    };
    let public_ip = match (section.string("public_ip"), bind_ip) {
        (Some(v), _) => ip(reader, &v),
        (None, _) if section.has("public_ip") => None,
        (None, Some(bind)) if !bind.is_unspecified() => Some(bind),
        (None, Some(_)) => {
            section.missing(
                "public_ip",
                "media_bind_ip is a wildcard address, so add public_ip = \"...\" with the \
                 address carriers and browsers reach this server at",
            );
            None
        }
        (None, None) => None,
    };
    let rtp_ports = match section.string("rtp_ports") {
        None if section.has("rtp_ports") => None,
        None => Some(20000..=29999),
        Some(v) => {
            let fix = "write at least 16 ports above 1023 as \"low-high\", e.g. \
                       rtp_ports = \"20000-29999\" (each call uses one, each agent one)";
            match v.value.split_once('-').and_then(|(a, b)| {
                Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
            }) {
                None => {
                    v.report(reader, format!("{:?} is not a port range", v.value), fix);
                    None
                }
                Some((low, high)) if low < 1024 || high < low || high - low < 16 => {
                    v.report(
                        reader,
                        format!("{:?} is too small or starts below 1024", v.value),
                        fix,
                    );
                    None
                }
                Some((low, high)) => Some(low..=high),
            }
        }
    };
    let media_timeout = section.or(
        "media_timeout_secs",
        section.integer(
            "media_timeout_secs",
            5,
            None,
            "seconds (short network hiccups must not end calls)",
        ),
        30,
    );
    Some(MediaSettings {
        bind_ip: bind_ip?,
        public_ip: public_ip?,
        rtp_ports: rtp_ports?,
        media_timeout: Duration::from_secs(media_timeout?),
    })
}

/// One tenant's `[tenant.telephony]`. `region` reads its DIDs (None when the tenant's own
/// `default_region` was refused: the DIDs are then not checked, to avoid a second error).
pub(crate) fn tenant(
    section: Section<'_, '_>,
    tenant: TenantId,
    region: Option<Region>,
    base: &Path,
    env: Env<'_>,
) -> Option<(TenantTelephony, Vec<(String, Span)>)> {
    let reader = section.reader;
    let trunk = match section.table("trunk") {
        None if section.has("trunk") => None,
        None => Some(None),
        Some(t) => trunk(t, base, env).map(Some),
    };
    let mut ok = true;
    let mut allowed_sources = Vec::new();
    let listed = section.strings("allowed_sources");
    ok &= listed.is_some() || !section.has("allowed_sources");
    for source in listed.unwrap_or_default() {
        match IpNetwork::parse(&source.value) {
            Ok(net) => allowed_sources.push(net),
            Err(problem) => {
                source.report(
                    reader,
                    problem,
                    "write an IP address (\"192.0.2.10\") or a network (\"198.51.100.0/24\")",
                );
                ok = false;
            }
        }
    }
    // Queues first: numbers and agents name them.
    let mut queues = Vec::new();
    let mut queue_ids = HashSet::new();
    for q in section.tables("queue") {
        let id_node = q.node("id");
        let id_text = id_node
            .as_ref()
            .and_then(|n| n.value.as_str().map(str::to_string));
        match queue(q, base) {
            Some(settings) => {
                if !queue_ids.insert(settings.id.clone()) {
                    let (key, span) = id_node.map(|n| (n.key, n.span)).unwrap_or_default();
                    reader.report(
                        &key,
                        &span,
                        format!("queue {:?} is defined twice", settings.id.as_str()),
                        "give each [[tenant.telephony.queue]] its own id",
                    );
                    ok = false;
                }
                queues.push(settings);
            }
            None => {
                // A queue refused for another key still exists for the numbers and agents
                // naming it: one mistake, one error.
                if let Some(id) = id_text {
                    queue_ids.insert(QueueId::new(id));
                }
                ok = false;
            }
        }
    }
    let known_queue = |v: &Val<String>| -> Option<QueueId> {
        let id = QueueId::new(v.value.as_str());
        if queue_ids.contains(&id) {
            Some(id)
        } else {
            let mut defined: Vec<String> = queue_ids
                .iter()
                .map(|q| format!("{:?}", q.as_str()))
                .collect();
            defined.sort();
            v.report(
                reader,
                format!("no queue {:?} is defined for this tenant", v.value),
                if defined.is_empty() {
                    "add a [[tenant.telephony.queue]] with this id".to_string()
                } else {
                    format!("name one of its queues ({}), or add a [[tenant.telephony.queue]] with this id", defined.join(", "))
                },
            );
            None
        }
    };
    let mut numbers = Vec::new();
    let mut number_keys = Vec::new();
    for n in section.tables("number") {
        let did = n.required_string("did", "did = \"+15551230001\" (the number customers dial)");
        let did_key = did.as_ref().map(|d| (d.key.clone(), d.span.clone()));
        let number = match (did, region) {
            (Some(did), Some(region)) => match classify(&did.value, region) {
                CallerId::Dialable(number) => Some(number),
                CallerId::Withheld => {
                    did.report(
                        reader,
                        format!("{:?} is not a phone number", did.value),
                        did_fix(region),
                    );
                    None
                }
                CallerId::Invalid { reason, .. } => {
                    did.report(
                        reader,
                        format!("{:?} is not a phone number: {reason}", did.value),
                        did_fix(region),
                    );
                    None
                }
            },
            _ => None,
        };
        let queue = n
            .required_string("queue", "queue = \"support\" (the queue the number rings)")
            .and_then(|q| known_queue(&q));
        n.finish();
        match (number, queue) {
            (Some(number), Some(queue)) => {
                numbers.push(NumberRoute { number, queue });
                number_keys.push(did_key.unwrap_or_default());
            }
            _ => ok = false,
        }
    }
    if !numbers.is_empty() && allowed_sources.is_empty() && ok {
        reader.report(
            &section.child_key("allowed_sources"),
            &section.span,
            "numbers are routed but no carrier may send calls to them",
            "list the carrier's signalling addresses, e.g. allowed_sources = [\"192.0.2.10\", \
             \"198.51.100.0/24\"]; calls from anywhere else are refused",
        );
        ok = false;
    }
    let mut agents = Vec::new();
    let mut agent_names = HashSet::new();
    for a in section.tables("agent") {
        let name = a
            .required_string("name", "name = \"alice\" (the agent's name)")
            .and_then(|name| {
                if AgentName::parse(&name.value).is_err() {
                    name.report(
                        reader,
                        format!("{:?} is not an agent name", name.value),
                        "use 1-64 letters, digits, '.', '_', '-' or '@'",
                    );
                    None
                } else if !agent_names.insert(name.value.clone()) {
                    name.report(
                        reader,
                        format!("agent {:?} is listed twice", name.value),
                        "keep one [[tenant.telephony.agent]] per agent, listing all its queues",
                    );
                    None
                } else {
                    Some(name.value)
                }
            });
        let listed = a.strings("queues");
        let queues_ok = listed.is_some() || !a.has("queues");
        let queues: Vec<Option<QueueId>> = listed
            .unwrap_or_default()
            .iter()
            .map(&known_queue)
            .collect();
        a.finish();
        match (name, queues_ok && queues.iter().all(Option::is_some)) {
            (Some(name), true) => agents.push(AgentSettings {
                name,
                queues: queues.into_iter().flatten().collect(),
            }),
            _ => ok = false,
        }
    }
    let recordings = match section.table("recordings") {
        None if section.has("recordings") => None,
        None => Some(RecordingStorage::Local {
            root: base.join("recordings"),
        }),
        Some(r) => recordings(r, &tenant, base, env),
    };
    section.finish();
    let (trunk, recordings) = (trunk?, recordings?);
    ok.then_some((
        TenantTelephony {
            tenant,
            trunk,
            allowed_sources,
            numbers,
            queues,
            agents,
            recordings,
        },
        number_keys,
    ))
}

fn did_fix(region: Region) -> String {
    format!(
        "write the number customers dial, e.g. \"+15551230001\" (without a '+' it is read as \
         a number in the tenant's default_region, {})",
        region.as_str()
    )
}

fn trunk(section: Section<'_, '_>, base: &Path, env: Env<'_>) -> Option<TrunkSettings> {
    let reader = section.reader;
    let host = section
        .required_string("host", "host = \"sip.carrier.example\" (the carrier's SIP host)")
        .and_then(|h| {
            if h.value.is_empty() || h.value.contains(['/', ' ', '@']) {
                h.report(
                    reader,
                    format!("{:?} is not a host name or IP address", h.value),
                    "write the host alone, without scheme or user, e.g. host = \"sip.carrier.example\"",
                );
                None
            } else {
                Some(h.value)
            }
        });
    let port = section.or(
        "port",
        section.integer("port", 1, Some(65535), "a UDP/TCP port"),
        5060,
    );
    let transport = match section.string("transport") {
        None if section.has("transport") => None,
        None => Some(Transport::Udp),
        Some(v) => match v.value.as_str() {
            "udp" => Some(Transport::Udp),
            "tcp" => Some(Transport::Tcp),
            other => {
                v.report(
                    reader,
                    format!("{other:?} is not a transport"),
                    "write transport = \"udp\" or transport = \"tcp\"",
                );
                None
            }
        },
    };
    let username = section.string("username");
    let username_ok = username.is_some() || !section.has("username");
    let password = if section.has("password") {
        secret(&section, "password", base, env).map(Some)
    } else {
        Some(None)
    };
    let mut pair_ok = true;
    if let (Some(p), true) = (&password, username_ok) {
        if p.is_some() != username.is_some() {
            let (key, span) = match &username {
                Some(u) => (u.key.clone(), u.span.clone()),
                None => (section.child_key("username"), section.span.clone()),
            };
            reader.report(
                &key,
                &span,
                "only one of username and password is set",
                "set both username and password for digest authentication, or neither",
            );
            pair_ok = false;
        }
    }
    let caller_id = section
        .required_string(
            "caller_id",
            "caller_id = \"+15551230000\" (the number customers see)",
        )
        .and_then(|v| match E164::parse(v.value.trim()) {
            Ok(number) => Some(number),
            Err(e) => {
                v.report(
                    reader,
                    format!("{:?} is not an E.164 number: {e}", v.value),
                    "write '+', the country code and the number, digits only, e.g. \
                     caller_id = \"+15551230000\"",
                );
                None
            }
        });
    let caller_id_per_call = section.or(
        "caller_id_per_call",
        section.bool("caller_id_per_call"),
        false,
    );
    section.finish();
    let password = password?;
    if !(username_ok && pair_ok) {
        return None;
    }
    Some(TrunkSettings {
        host: host?,
        port: u16::try_from(port?).ok()?,
        transport: transport?,
        username: username.map(|u| u.value),
        password: password.map(|p| p.value),
        caller_id: caller_id?,
        caller_id_per_call: caller_id_per_call?,
    })
}

fn choice<T: Copy>(
    section: &Section<'_, '_>,
    name: &str,
    default: T,
    options: &[(&str, T)],
) -> Option<T> {
    match section.string(name) {
        None if section.has(name) => None,
        None => Some(default),
        Some(v) => match options.iter().find(|(word, _)| *word == v.value) {
            Some((_, value)) => Some(*value),
            None => {
                let words: Vec<String> = options.iter().map(|(w, _)| format!("\"{w}\"")).collect();
                v.report(
                    section.reader,
                    format!("{:?} is not one of the choices", v.value),
                    format!("write {name} = one of {}", words.join(", ")),
                );
                None
            }
        },
    }
}

fn queue(section: Section<'_, '_>, base: &Path) -> Option<QueueSettings> {
    let reader = section.reader;
    // Queue ids follow the agent-name rule.
    let id = section
        .required_string("id", "id = \"support\"")
        .and_then(|id| {
            if AgentName::parse(&id.value).is_err() {
                id.report(
                    reader,
                    format!("{:?} cannot be a queue id", id.value),
                    "use 1-64 letters, digits, '.', '_', '-'",
                );
                None
            } else {
                Some(QueueId::new(id.value))
            }
        });
    let waiting = choice(
        &section,
        "waiting",
        WaitingTreatment::Ringback,
        &[
            ("ringback", WaitingTreatment::Ringback),
            ("music", WaitingTreatment::Music),
        ],
    );
    let unserved = [
        ("busy", Unserved::Busy),
        ("announcement", Unserved::Announcement),
        ("hang_up", Unserved::HangUp),
    ];
    let overflow = choice(&section, "overflow", Unserved::Busy, &unserved);
    let no_agent = choice(&section, "no_agent", Unserved::Busy, &unserved);
    let file = |name: &str| -> Option<Option<PathBuf>> {
        match section.string(name) {
            None if section.has(name) => None,
            None => Some(None),
            Some(v) => {
                let full = base.join(&v.value);
                if full.is_file() {
                    Some(Some(full))
                } else {
                    v.report(
                        reader,
                        format!("{} is not a readable file", full.display()),
                        "name a mono WAV file (relative paths start at the configuration \
                         file's directory)",
                    );
                    None
                }
            }
        }
    };
    let music = file("music");
    let announcement = file("announcement");
    let ring_timeout = section.or(
        "ring_timeout_secs",
        section.integer("ring_timeout_secs", 5, Some(120), "seconds"),
        20,
    );
    let max_waiting = section.or(
        "max_waiting",
        section.integer("max_waiting", 0, Some(u64::from(u32::MAX)), "calls"),
        100,
    );
    let max_wait = section.or(
        "max_wait_secs",
        section.integer("max_wait_secs", 1, None, "seconds"),
        600,
    );
    let wrap_up = section.or(
        "wrap_up_secs",
        section.integer("wrap_up_secs", 0, None, "seconds"),
        0,
    );
    let service_level = section.or(
        "service_level_secs",
        section.integer("service_level_secs", 1, Some(3600), "seconds"),
        20,
    );
    let mut announcement_ok = true;
    if let (Some(None), Some(o), Some(n)) = (&announcement, overflow, no_agent) {
        if o == Unserved::Announcement || n == Unserved::Announcement {
            section.missing(
                "announcement",
                "overflow or no_agent is \"announcement\", so add announcement = \"file.wav\" \
                 naming the WAV file to play",
            );
            announcement_ok = false;
        }
    }
    section.finish();
    if !announcement_ok {
        return None;
    }
    Some(QueueSettings {
        id: id?,
        ring_timeout: Duration::from_secs(ring_timeout?),
        waiting: waiting?,
        music: music?,
        announcement: announcement?,
        max_waiting: u32::try_from(max_waiting?).ok()?,
        max_wait: Duration::from_secs(max_wait?),
        overflow: overflow?,
        no_agent: no_agent?,
        wrap_up: Duration::from_secs(wrap_up?),
        service_level: Duration::from_secs(service_level?),
    })
}

fn recordings(
    section: Section<'_, '_>,
    tenant: &TenantId,
    base: &Path,
    env: Env<'_>,
) -> Option<RecordingStorage> {
    let reader = section.reader;
    #[derive(Clone, Copy, PartialEq)]
    enum Store {
        Local,
        S3,
    }
    let store = choice(
        &section,
        "store",
        Store::Local,
        &[("local", Store::Local), ("s3", Store::S3)],
    );
    let path = section.string("path");
    let bucket = section.string("bucket");
    let region = section.string("region");
    let endpoint = section.string("endpoint");
    let access_key_id = section.string("access_key_id");
    let secret_access_key = if section.has("secret_access_key") {
        secret(&section, "secret_access_key", base, env).map(Some)
    } else {
        Some(None)
    };
    let prefix = section.string("prefix");
    let result = match store? {
        Store::Local => Some(RecordingStorage::Local {
            root: base.join(path.map_or_else(|| "recordings".to_string(), |p| p.value)),
        }),
        Store::S3 => {
            let bucket = match bucket.filter(|b| !b.value.is_empty()) {
                Some(b) => Some(b.value),
                None => {
                    section.missing(
                        "bucket",
                        "add bucket = \"...\" naming the S3 bucket the tenant created",
                    );
                    None
                }
            };
            let credentials = match (access_key_id, secret_access_key?) {
                (Some(id), Some(secret)) => Some(S3Credentials::AccessKey {
                    id: id.value,
                    secret: secret.value,
                }),
                (None, None) => Some(S3Credentials::Role),
                (id, _) => {
                    let span = id.map(|i| i.span).unwrap_or_else(|| section.span.clone());
                    reader.report(
                        &section.child_key("access_key_id"),
                        &span,
                        "only one of access_key_id and secret_access_key is set",
                        "set both access_key_id and secret_access_key (an IAM user's key), or \
                         neither to use the machine's role",
                    );
                    None
                }
            };
            let endpoint_ok = match &endpoint {
                Some(e)
                    if !(e.value.starts_with("https://")
                        || e.value.starts_with("http://127.0.0.1")
                        || e.value.starts_with("http://localhost")) =>
                {
                    e.report(
                        reader,
                        format!("{} is not an https:// endpoint", e.value),
                        "use an https:// endpoint (plain http only on loopback)",
                    );
                    false
                }
                _ => true,
            };
            match (bucket, credentials, endpoint_ok) {
                (Some(bucket), Some(credentials), true) => Some(RecordingStorage::S3 {
                    bucket,
                    region: region.map_or_else(|| "us-east-1".to_string(), |r| r.value),
                    endpoint: endpoint.map(|e| e.value),
                    credentials,
                    prefix: prefix.map_or_else(|| tenant.as_str().to_string(), |p| p.value),
                }),
                _ => None,
            }
        }
    };
    section.finish();
    result
}

/// A number routed by two tenants is refused: a number belongs to one queue. `keys` holds each
/// tenant's DIDs' keys and positions, in the order of its numbers.
pub(crate) fn unique_numbers(
    reader: &Reader<'_>,
    tenants: &[TenantTelephony],
    keys: &[Vec<(String, Span)>],
) {
    let mut seen: HashMap<&str, &TenantId> = HashMap::new();
    for (t, keys) in tenants.iter().zip(keys) {
        for (n, (key, span)) in t.numbers.iter().zip(keys) {
            if let Some(other) = seen.insert(n.number.as_str(), &t.tenant) {
                reader.report(
                    key,
                    span,
                    format!("{} is routed twice (also by tenant {other})", n.number),
                    "route each number from one tenant's queue only",
                );
            }
        }
    }
}
