//! The sandbox's HTTPS identity: a CA generated at start and a server certificate it signs for
//! `127.0.0.1` and `localhost`. The CA is written to a file so clients can trust it
//! (`REQUESTS_CA_BUNDLE`, reqwest's `add_root_certificate`), exactly as they would trust a
//! corporate CA in front of a real instance.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

pub struct TlsMaterial {
    pub ca_path: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn generate(dir: &Path) -> anyhow::Result<TlsMaterial> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Callbridge ServiceNow sandbox CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;

    let server_key = KeyPair::generate()?;
    let mut server =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
    server
        .distinguished_name
        .push(DnType::CommonName, "Callbridge ServiceNow sandbox");
    server.is_ca = IsCa::NoCa;
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    let server_cert = server.signed_by(&server_key, &ca_cert, &ca_key)?;

    let ca_path = dir.join("sandbox-ca.pem");
    // Public, but written owner-only like everything in the data directory: one rule for the
    // whole directory is easier to check than a list of exceptions.
    crate::private::write_file(&ca_path, ca_cert.pem().as_bytes())
        .context("writing the sandbox CA")?;
    Ok(TlsMaterial {
        ca_path,
        cert_pem: server_cert.pem(),
        key_pem: server_key.serialize_pem(),
    })
}
