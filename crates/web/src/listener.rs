//! The HTTP listener: accepts connections and serves the router through hyper with the limits
//! an Internet-facing server needs, which `axum::serve` does not expose (their settings,
//! [`HttpLimits`], are part of the integration's `[server]` configuration).
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
//!   hundred agents behind one address. A trusted proxy's connections (`[server]
//!   trusted_proxies`) are not counted: they carry many clients, and which ones is only known
//!   from the requests' headers, after the connection is accepted.
//! - **The client's address**: every request gets a [`ClientAddress`], its connection's peer
//!   or, from a trusted proxy, the client its forwarding header names
//!   ([`crate::client_address`]).
//!
//! WebSocket upgrades (the softphone) are served on the same connections: once upgraded, the
//! header timeout no longer applies and the connection lives as long as the WebSocket does.
//!
//! **HTTPS** (`[server] tls_certificate`, `tls_private_key`): the same loop, limits and router;
//! each accepted connection first completes its TLS handshake, within the header-read timeout
//! (a client that opens a connection and says nothing costs no more than over plain HTTP).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{header, Response, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use parking_lot::Mutex;
use tracing::{debug, warn};

pub use callbridge_config::{HttpLimits, TrustedProxies, MIN_HEADER_BYTES};

use crate::client_address::{client_of, ClientAddress};

/// Live connections per source address.
#[derive(Default)]
struct Sources(Mutex<HashMap<IpAddr, usize>>);

/// Releases its source's slot when the connection ends, however it ends.
struct Slot {
    sources: Arc<Sources>,
    ip: IpAddr,
}

impl Sources {
    fn take(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<Slot> {
        let mut counts = self.0.lock();
        let count = counts.entry(ip).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            sources: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.sources.0.lock();
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until the task is dropped; over TLS when `tls` is given. Only
/// connections from `proxies` may say, in a forwarding header, which client they serve.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: HttpLimits,
    proxies: TrustedProxies,
    tls: Option<crate::tls::Acceptor>,
) -> std::io::Result<()> {
    let proxies = Arc::new(proxies);
    let sources = Arc::new(Sources::default());
    let refused_log = LogEvery::new(Duration::from_secs(10));
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors and the like: back off instead of spinning.
                warn!(%error, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small messages pushed one after another (a softphone's `agent_state`, then its screen
        // pop) must not wait for the client's delayed ACK: with Nagle's algorithm on, the second
        // one sat in the kernel for ~40 ms.
        let _ = stream.set_nodelay(true);
        let slot = if proxies.trusts(remote.ip().to_canonical()) {
            Some(Admission::Proxy)
        } else {
            sources
                .take(remote.ip(), limits.max_connections_per_source)
                .map(|slot| Admission::Counted { _slot: slot })
        };
        if slot.is_none() && refused_log.should_log(remote.ip()) {
            warn!(
                source = %remote.ip(),
                limit = limits.max_connections_per_source,
                "HTTP: refusing connections over the per-source limit (server.max_connections_per_source)"
            );
        }
        let app = app.clone();
        let tls = tls.clone();
        let proxies = proxies.clone();
        tokio::spawn(async move {
            let result = match tls {
                None => serve_connection(stream, remote, app, slot, limits, proxies).await,
                Some(tls) => {
                    let handshake =
                        tokio::time::timeout(limits.header_read_timeout, tls.accept(stream)).await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            serve_connection(stream, remote, app, slot, limits, proxies).await
                        }
                        Ok(Err(error)) => {
                            debug!(%remote, %error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            debug!(%remote, "TLS handshake not completed within the header-read timeout");
                            return;
                        }
                    }
                }
            };
            if let Err(error) = result {
                debug!(%remote, %error, "HTTP connection ended with an error");
            }
        });
    }
}

/// Why a connection was let in: it holds one of its source's slots, or it comes from a trusted
/// proxy (not counted).
enum Admission {
    /// The slot is released when the connection ends (dropped with it).
    Counted {
        _slot: Slot,
    },
    Proxy,
}

/// One connection, plain or TLS: the router within the limits, or the 503 when its source
/// has no slot left.
async fn serve_connection<S>(
    stream: S,
    remote: std::net::SocketAddr,
    app: axum::Router,
    slot: Option<Admission>,
    limits: HttpLimits,
    proxies: Arc<TrustedProxies>,
) -> Result<(), hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(MIN_HEADER_BYTES));
    match slot {
        Some(_admission) => {
            // Handlers that need the client's address (sign-in limits, the listen audit) read
            // it here.
            let app = tower::ServiceExt::map_request(
                app,
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    let client = client_of(remote.ip(), &proxies, request.headers());
                    let extensions = request.extensions_mut();
                    extensions.insert(axum::extract::ConnectInfo(remote));
                    extensions.insert(ClientAddress(client));
                    request
                },
            );
            builder
                .serve_connection(io, TowerToHyperService::new(app))
                .with_upgrades()
                .await
        }
        None => {
            let refuse = hyper::service::service_fn(|_request| async {
                Ok::<_, std::convert::Infallible>(over_the_limit())
            });
            builder.serve_connection(io, refuse).await
        }
    }
}

fn over_the_limit() -> Response<String> {
    let mut response = Response::new(
        "too many connections from your address: close idle ones and retry, or ask the \
         administrator to raise server.max_connections_per_source\n"
            .to_string(),
    );
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("10"));
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// One warning per source address per interval (a refused source retries at will).
struct LogEvery {
    last: Mutex<HashMap<IpAddr, std::time::Instant>>,
    interval: Duration,
}

impl LogEvery {
    fn new(interval: Duration) -> Self {
        LogEvery {
            last: Mutex::new(HashMap::new()),
            interval,
        }
    }

    fn should_log(&self, ip: IpAddr) -> bool {
        let now = std::time::Instant::now();
        let mut last = self.last.lock();
        if last.len() > 4096 {
            let interval = self.interval;
            last.retain(|_, at| now.duration_since(*at) < interval);
        }
        match last.get(&ip) {
            Some(at) if now.duration_since(*at) < self.interval => false,
            _ => {
                last.insert(ip, now);
                true
            }
        }
    }
}
