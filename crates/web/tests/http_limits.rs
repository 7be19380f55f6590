//! The HTTP listener's limits against raw TCP clients: what an unfinished request, an idle
//! keep-alive connection, oversized headers and one address opening too many connections get,
//! and that WebSocket-style upgrades still work through it; and which client address handlers
//! see, with and without trusted proxies (forged forwarding headers change nothing).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::get;
use callbridge_config::{ForwardedHeader, IpNetwork};
use callbridge_web::account::client_address;
use callbridge_web::listener::{serve, HttpLimits, TrustedProxies};
use http::{Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn upgrade(mut request: Request<Body>) -> Response<Body> {
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        let mut buf = [0u8; 64];
        // Echo after a pause longer than the header timeout: upgraded connections live on.
        while let Ok(n) = io.read(&mut buf).await {
            if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(Body::empty())
        .unwrap()
}

async fn start(limits: HttpLimits) -> SocketAddr {
    start_behind(limits, TrustedProxies::default()).await
}

/// A listener whose `/whoami` answers the client address every handler sees.
async fn start_behind(limits: HttpLimits, proxies: TrustedProxies) -> SocketAddr {
    let app = axum::Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route("/upgrade", get(upgrade))
        .route(
            "/whoami",
            get(|request: Request<Body>| async move { client_address(&request).to_string() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, limits, proxies, None));
    addr
}

/// The body of `GET /whoami` sent with `headers` (each `Name: value`).
async fn whoami(addr: SocketAddr, headers: &[&str]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = "GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_string();
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    answer.rsplit("\r\n\r\n").next().unwrap().to_string()
}

fn trusting(networks: &[&str]) -> TrustedProxies {
    TrustedProxies {
        networks: networks
            .iter()
            .map(|n| IpNetwork::parse(n).unwrap())
            .collect(),
        header: ForwardedHeader::XForwardedFor,
    }
}

fn short_timeout() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_secs(1),
        ..HttpLimits::default()
    }
}

/// Reads until the server closes the connection or `wait` passes; `None` if still open.
async fn read_to_close(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&all).to_string()),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn an_unfinished_request_is_closed_after_the_header_read_timeout() {
    let addr = start(short_timeout()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_to_close(&mut stream, Duration::from_secs(4)).await;
    assert_eq!(answer.as_deref(), Some(""), "closed without a response");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let addr = start(short_timeout()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
}

#[tokio::test]
async fn request_headers_over_the_limit_get_431() {
    let addr = start(HttpLimits::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let big = format!(
        "GET /hello HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let _ = stream.write_all(big.as_bytes()).await;
    let answer = read_to_close(&mut stream, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
    // Headers just under the limit are served.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let fits = format!(
        "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(16 * 1024)
    );
    stream.write_all(fits.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut stream, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
}

#[tokio::test]
async fn connections_over_the_per_source_limit_get_503_until_one_closes() {
    let addr = start(HttpLimits {
        max_connections_per_source: 3,
        ..HttpLimits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut extra, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{answer}"
    );
    assert!(answer.contains("retry-after: 10\r\n"), "{answer}");
    assert!(
        answer.contains("server.max_connections_per_source"),
        "{answer}"
    );

    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut next = TcpStream::connect(addr).await.unwrap();
    next.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut next, Duration::from_secs(4))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
}

#[tokio::test]
async fn upgraded_connections_outlive_the_header_read_timeout() {
    let addr = start(short_timeout()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(
        head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{head}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stream.write_all(b"ping").await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
}

#[tokio::test]
async fn forwarding_headers_from_a_peer_that_is_not_a_trusted_proxy_change_nothing() {
    // Nothing trusted (the default), and a trusted proxy that is not this peer.
    for proxies in [TrustedProxies::default(), trusting(&["10.0.0.5"])] {
        let addr = start_behind(HttpLimits::default(), proxies).await;
        let forged = [
            "X-Forwarded-For: 198.51.100.7",
            "Forwarded: for=198.51.100.8",
            "X-Real-IP: 198.51.100.9",
        ];
        assert_eq!(whoami(addr, &forged).await, "127.0.0.1");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_handlers_see_the_rightmost_untrusted_hop() {
    let addr = start_behind(HttpLimits::default(), trusting(&["127.0.0.0/8"])).await;
    assert_eq!(whoami(addr, &[]).await, "127.0.0.1", "no header: the proxy");
    assert_eq!(
        whoami(addr, &["X-Forwarded-For: 1.2.3.4, 198.51.100.7"]).await,
        "198.51.100.7",
        "what the client wrote itself (1.2.3.4) is not believed"
    );
    assert_eq!(
        whoami(addr, &["Forwarded: for=198.51.100.8"]).await,
        "127.0.0.1",
        "only the configured header is read"
    );
}

#[tokio::test]
async fn a_trusted_proxys_connections_are_not_counted_against_the_per_source_limit() {
    let limits = HttpLimits {
        max_connections_per_source: 2,
        ..HttpLimits::default()
    };
    let addr = start_behind(limits, trusting(&["127.0.0.1"])).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 256];
        let n = stream.read(&mut buf).await.unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        held.push(stream);
    }
}
