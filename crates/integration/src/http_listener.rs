//! The HTTP listener's limits (the `[server]` settings). The listener that applies them is the
//! web edge's (`callbridge-web`, `listener.rs`).
//!
//! - **Header-read timeout**: a connection must deliver a request's complete headers within
//!   `header_read_timeout` of being accepted or of the previous response; otherwise it is
//!   closed without a response. The same timer is the keep-alive idle limit, because hyper
//!   starts it as soon as it waits for the next request.
//! - **Request-header size**: request line plus headers over `max_header_bytes` are answered
//!   `431 Request Header Fields Too Large` and the connection is closed.
//! - **Per-source connections**: a source IP address with `max_connections_per_source` live
//!   connections gets `503 Service Unavailable` (with `Retry-After` and `Connection: close`)
//!   on the next one. Agents behind one NAT address share the count: each softphone holds one
//!   WebSocket plus the page's short-lived requests, so the default (1,000) serves several
//!   hundred agents behind one address.
//!
//! WebSocket upgrades (the softphone) are served on the same connections: once upgraded, the
//! header timeout no longer applies and the connection lives as long as the WebSocket does.
//!
//! **HTTPS**: with [`TlsFiles`] (`tls_certificate` and `tls_private_key`) the same listener, with
//! the same limits, speaks TLS; the web edge reads and parses the files.

use std::path::PathBuf;
use std::time::Duration;

/// Limits of the HTTP listener (`[server]` settings).
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

/// The listener's certificate chain and private key, PEM files (`[server] tls_certificate`,
/// `tls_private_key`), as paths resolved against the configuration file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}
