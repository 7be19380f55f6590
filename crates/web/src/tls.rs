//! HTTPS on the web edge's listener: the `[server] tls_certificate` and `tls_private_key` PEM
//! files, read and parsed into a rustls acceptor (aws-lc-rs, the binary's one TLS stack). Every
//! problem names the configuration key, the file and what to do.

use std::sync::Arc;

use callbridge_config::TlsFiles;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The listener's TLS side, ready to accept.
pub type Acceptor = tokio_rustls::TlsAcceptor;

/// Reads both files and builds the acceptor (HTTP/1.1 only, as the listener is).
pub fn load(files: &TlsFiles) -> anyhow::Result<Acceptor> {
    let certificate = files.certificate.display();
    let private_key = files.private_key.display();
    let chain = CertificateDer::pem_file_iter(&files.certificate)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            anyhow::anyhow!(
                "server.tls_certificate: cannot read a PEM certificate chain from {certificate}: \
                 {e}; give the server's certificate first, then its intermediates, each as \
                 -----BEGIN CERTIFICATE-----"
            )
        })?;
    anyhow::ensure!(
        !chain.is_empty(),
        "server.tls_certificate: {certificate} holds no -----BEGIN CERTIFICATE----- block; give \
         the PEM file of the server's certificate chain (is it the private key's file?)"
    );
    let key = PrivateKeyDer::from_pem_file(&files.private_key).map_err(|e| {
        anyhow::anyhow!(
            "server.tls_private_key: cannot read a PEM private key from {private_key}: {e}; give \
             the unencrypted key of the certificate (PKCS#8 -----BEGIN PRIVATE KEY-----, \
             PKCS#1 RSA or SEC1 EC)"
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("TLS protocol versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            anyhow::anyhow!(
                "server.tls_private_key: {private_key} cannot serve the certificate in \
                 {certificate}: {e}; give the private key that belongs to the first certificate"
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
