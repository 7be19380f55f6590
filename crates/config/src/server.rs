//! `[server]`: where the HTTP listener binds, how it is reached, the database, the master key,
//! and the listener's limits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callbridge_kernel::Secret;

use crate::crm_section::checked_base_url;
use crate::reader::{Reader, Section};
use crate::secret::secret;
use crate::telephony::IpNetwork;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// How browsers and the CRM reach this server (recording links, OAuth redirects).
    pub public_url: String,
    pub database_url: String,
    /// 32 bytes, base64: encrypts tokens and secrets at rest.
    pub master_key: Secret,
    /// Timeouts and size and connection limits of the HTTP listener.
    pub http_limits: HttpLimits,
    /// HTTPS on the listener; `None`: plain HTTP (loopback, or TLS at a reverse proxy).
    pub tls: Option<TlsFiles>,
    /// Who may say which client a request is from (reverse proxies), and in which header.
    pub proxies: TrustedProxies,
}

/// `[server] trusted_proxies` and `forwarded_header`: only a connection whose peer address is
/// in `networks` has its client's address taken from `header`; every other connection's client
/// is its peer. Empty (the default): no header is ever trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    pub networks: Vec<IpNetwork>,
    pub header: ForwardedHeader,
}

impl TrustedProxies {
    /// Whether `peer` is one of the trusted proxies.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(peer))
    }
}

/// The header a trusted proxy appends the address of the client it serves to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx's `$proxy_add_x_forwarded_for`,
    /// HAProxy's `option forwardfor`).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name, as HTTP writes it.
    pub fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "X-Forwarded-For",
            ForwardedHeader::Forwarded => "Forwarded",
        }
    }
}

/// The listener's certificate chain and private key, PEM files (`[server] tls_certificate`,
/// `tls_private_key`), as paths resolved against the configuration file's directory. The web
/// edge reads and parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

/// Limits of the HTTP listener (`[server]` settings), applied by the web edge's listener.
///
/// - **Header-read timeout**: a connection must deliver a request's complete headers within
///   `header_read_timeout` of being accepted or of the previous response; otherwise it is
///   closed without a response. The same timer is the keep-alive idle limit, because hyper
///   starts it as soon as it waits for the next request.
/// - **Request-header size**: request line plus headers over `max_header_bytes` are answered
///   `431 Request Header Fields Too Large` and the connection is closed.
/// - **Per-source connections**: a source IP address with `max_connections_per_source` live
///   connections gets `503 Service Unavailable` (with `Retry-After` and `Connection: close`)
///   on the next one. Agents behind one NAT address share the count: each softphone holds one
///   WebSocket plus the page's short-lived requests, so the default (1,000) serves several
///   hundred agents behind one address.
///
/// WebSocket upgrades (the softphone) are served on the same connections: once upgraded, the
/// header timeout no longer applies and the connection lives as long as the WebSocket does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub header_read_timeout: Duration,
    /// Request line plus headers; hyper needs at least 8192.
    pub max_header_bytes: usize,
    pub max_connections_per_source: usize,
}

/// hyper's smallest read buffer.
pub const MIN_HEADER_BYTES: usize = 8192;

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            max_connections_per_source: 1000,
        }
    }
}

/// Reads `[server]`; None when a mistake was reported.
pub(crate) fn read(
    section: &Section<'_, '_>,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<ServerConfig> {
    let reader: &Reader<'_> = section.reader;
    let listen = match section.string("listen") {
        None if section.has("listen") => None,
        None => Some("127.0.0.1:8080".parse().expect("a valid default")),
        Some(v) => match v.value.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(e) => {
                v.report(
                    reader,
                    format!("{:?} is not an IP address and port: {e}", v.value),
                    "write an address like listen = \"127.0.0.1:8080\" (or \"0.0.0.0:8080\" \
                     for every interface)",
                );
                None
            }
        },
    };
    let public_url = match (section.string("public_url"), listen) {
        (Some(v), _) => match checked_base_url(&v.value) {
            Ok(url) => Some(url),
            Err((problem, fix)) => {
                v.report(reader, problem, fix);
                None
            }
        },
        (None, Some(listen)) if !section.has("public_url") => Some(format!("http://{listen}")),
        (None, _) => None,
    };
    let database_url = section.or(
        "database_url",
        section.string("database_url"),
        "sqlite://callbridge.db".into(),
    );
    let master_key = if section.has("master_key") {
        secret(section, "master_key", base, env)
    } else {
        section.missing(
            "master_key",
            "add master_key = { file = \"master.key\" } naming a file with 32 random bytes in \
             base64 (openssl rand -base64 32 > master.key)",
        );
        None
    };
    let http_limits = http_limits(section);
    let tls = tls(section, base);
    let proxies = proxies(section);
    Some(ServerConfig {
        listen: listen?,
        public_url: public_url?,
        database_url: database_url?,
        master_key: master_key?.value,
        http_limits: http_limits?,
        tls: tls?,
        proxies: proxies?,
    })
}

/// `trusted_proxies` (addresses or networks) and `forwarded_header`.
fn proxies(section: &Section<'_, '_>) -> Option<TrustedProxies> {
    let reader = section.reader;
    let listed = section.strings("trusted_proxies");
    let mut ok = listed.is_some() || !section.has("trusted_proxies");
    let mut networks = Vec::new();
    for entry in listed.unwrap_or_default() {
        match IpNetwork::parse(&entry.value) {
            Ok(network) => networks.push(network),
            Err(problem) => {
                entry.report(
                    reader,
                    problem,
                    "write the reverse proxy's IP address as the server sees it (\"10.0.0.5\") \
                     or its network (\"10.0.0.0/24\"); host names are not resolved",
                );
                ok = false;
            }
        }
    }
    let header = match section.string("forwarded_header") {
        None if section.has("forwarded_header") => None,
        None => Some(ForwardedHeader::default()),
        Some(v) => {
            let known = [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded];
            let found = known
                .into_iter()
                .find(|h| h.name().eq_ignore_ascii_case(v.value.trim()));
            if found.is_none() {
                v.report(
                    reader,
                    format!("{:?} is not a forwarding header Callbridge reads", v.value),
                    "write \"X-Forwarded-For\" or \"Forwarded\": the header your proxy appends \
                     the client's address to",
                );
            }
            found
        }
    };
    if ok && !networks.is_empty() {
        Some(TrustedProxies {
            networks,
            header: header?,
        })
    } else if ok {
        header.map(|header| TrustedProxies {
            networks: Vec::new(),
            header,
        })
    } else {
        None
    }
}

/// Both TLS files or neither; each must be a readable file (its PEM is parsed by the web edge,
/// which reports a bad one with the same key).
fn tls(section: &Section<'_, '_>, base: &Path) -> Option<Option<TlsFiles>> {
    let reader = section.reader;
    let certificate = section.string("tls_certificate");
    let private_key = section.string("tls_private_key");
    let readable = |value: &crate::reader::Val<String>| {
        let path = base.join(&value.value);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Some(path),
            Ok(_) => {
                value.report(
                    reader,
                    format!("{} is not a file", path.display()),
                    "point it at a PEM file this user can read",
                );
                None
            }
            Err(e) => {
                value.report(
                    reader,
                    format!("cannot read {}: {e}", path.display()),
                    "point it at a PEM file this user can read",
                );
                None
            }
        }
    };
    match (certificate, private_key) {
        (None, None) => {
            (!section.has("tls_certificate") && !section.has("tls_private_key")).then_some(None)
        }
        (Some(certificate), Some(private_key)) => {
            let certificate = readable(&certificate);
            let private_key = readable(&private_key);
            Some(Some(TlsFiles {
                certificate: certificate?,
                private_key: private_key?,
            }))
        }
        (Some(_), None) if !section.has("tls_private_key") => {
            section.missing(
                "tls_private_key",
                "tls_certificate is set but tls_private_key is not: HTTPS needs both (add the \
                 PEM file of the certificate's private key), or remove tls_certificate to serve \
                 plain HTTP",
            );
            None
        }
        (None, Some(_)) if !section.has("tls_certificate") => {
            section.missing(
                "tls_certificate",
                "tls_private_key is set but tls_certificate is not: HTTPS needs both (add the \
                 PEM file of the certificate chain, server certificate first), or remove \
                 tls_private_key to serve plain HTTP",
            );
            None
        }
        _ => None,
    }
}

fn http_limits(section: &Section<'_, '_>) -> Option<HttpLimits> {
    let defaults = HttpLimits::default();
    let timeout = section.or(
        "header_read_timeout_secs",
        section.integer("header_read_timeout_secs", 1, None, "seconds"),
        defaults.header_read_timeout.as_secs(),
    );
    let header_bytes = section.or(
        "max_header_bytes",
        section.integer("max_header_bytes", MIN_HEADER_BYTES as u64, None, "bytes"),
        defaults.max_header_bytes as u64,
    );
    let per_source = section.or(
        "max_connections_per_source",
        section.integer(
            "max_connections_per_source",
            1,
            None,
            "connections (raise it for many agents behind one NAT address)",
        ),
        defaults.max_connections_per_source as u64,
    );
    Some(HttpLimits {
        header_read_timeout: Duration::from_secs(timeout?),
        max_header_bytes: usize::try_from(header_bytes?).unwrap_or(usize::MAX),
        max_connections_per_source: usize::try_from(per_source?).unwrap_or(usize::MAX),
    })
}
