//! HTTPS on the web edge's own listener: a certificate generated for 127.0.0.1 by a test CA,
//! configured by `[server] tls_certificate` / `tls_private_key`; the softphone page and the
//! health check over https, the agent's WebSocket over wss, and what a bad file is told.

use std::path::Path;
use std::sync::Arc;

use callbridge_config::{Config, TlsFiles};
use callbridge_integration::crm::CrmRegistry;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_servicenow::adapter::ServiceNowKind;
use callbridge_store::SecretKey;
use futures::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::ServerName;
use tokio_tungstenite::tungstenite::Message;

/// A CA and a server certificate it signed for 127.0.0.1, as PEM: (ca, chain, key).
fn certificates() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

fn config(dir: &Path, master_key: &str) -> Config {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
database_url = "sqlite://{db}"
master_key = "{master_key}"
tls_certificate = "cert.pem"
tls_private_key = "key.pem"

[[tenant]]
id = "acme"

[tenant.servicenow]
instance_url = "https://acme.service-now.com"
client_id = "unused"
client_secret = "unused"
"#,
        db = dir.join("callbridge.db").display(),
    );
    Config::parse("test.toml", &text, dir, &|_| None).unwrap()
}

#[tokio::test]
async fn the_page_and_the_softphone_websocket_are_served_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, chain, key) = certificates();
    std::fs::write(dir.path().join("cert.pem"), &chain).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    let master_key = SecretKey::generate().to_base64();
    let config = config(dir.path(), &master_key);
    let registry = CrmRegistry::new().with(Arc::new(ServiceNowKind));
    let server = callbridge_web::start(&config, OutboxOptions::default(), &registry)
        .await
        .unwrap();
    let port = server.addr.port();

    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = http
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    let page = http
        .get(format!("https://127.0.0.1:{port}/?tenant=acme"))
        .send()
        .await
        .unwrap();
    let expected = if callbridge_web::ui::bundled() {
        200
    } else {
        503
    };
    assert_eq!(page.status().as_u16(), expected);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    // The page names the tenant's CRM as a framer; the "not built" page frames nothing.
    let framers = if expected == 200 {
        "frame-ancestors 'self' https://acme.service-now.com;"
    } else {
        "frame-ancestors 'self';"
    };
    assert!(csp.contains(framers), "{csp}");

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.is_err(), "{plain:?}");

    // wss: our own TLS client (trusting only the test CA) under the WebSocket handshake.
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ticket = callbridge_web::softphone_ticket(&config.server.master_key, "acme", "alice", now);
    let url = format!(
        "wss://127.0.0.1:{port}/api/v1/tenants/acme/agents/alice/softphone?ticket={ticket}"
    );
    let (mut socket, response) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    assert_eq!(response.status().as_u16(), 101);
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    let pong = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) if text.contains("\"pong\"") => return text,
                Some(Ok(_)) => continue,
                other => panic!("the socket ended before pong: {other:?}"),
            }
        }
    })
    .await
    .expect("pong within 5 s");
    assert!(pong.contains("pong"));
    server.shutdown().await;
}

fn load_error(dir: &Path, certificate: &str, key: &str) -> String {
    std::fs::write(dir.join("cert.pem"), certificate).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
    let files = TlsFiles {
        certificate: dir.join("cert.pem"),
        private_key: dir.join("key.pem"),
    };
    match callbridge_web::tls::load(&files) {
        Ok(_) => panic!("{certificate:?} / {key:?} were accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_bad_file_is_named_with_its_key_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_, chain, key) = certificates();
    let (_, _, other_key) = certificates();

    let error = load_error(dir.path(), &key, &key);
    assert!(error.starts_with("server.tls_certificate: "), "{error}");
    assert!(
        error.contains("cert.pem holds no -----BEGIN CERTIFICATE-----"),
        "{error}"
    );

    let error = load_error(dir.path(), &chain, &chain);
    assert!(error.starts_with("server.tls_private_key: "), "{error}");
    assert!(error.contains("key.pem"), "{error}");
    assert!(
        error.contains("unencrypted key of the certificate"),
        "{error}"
    );

    let error = load_error(dir.path(), &chain, &other_key);
    assert!(error.starts_with("server.tls_private_key: "), "{error}");
    assert!(
        error.contains("give the private key that belongs to the first certificate"),
        "{error}"
    );

    let missing = TlsFiles {
        certificate: dir.path().join("nowhere.pem"),
        private_key: dir.path().join("key.pem"),
    };
    let error = callbridge_web::tls::load(&missing)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("nowhere.pem"), "{error}");
}
