//! The printed credentials at rest: the `sandbox.credentials` state row holds them sealed
//! (ChaCha20-Poly1305) under a key in `credentials.key` (mode 0600) beside the database.
//!
//! Why sealed and not hashed only: the sandbox prints its admin, agents' and OAuth client's
//! secrets at every start and `callbridge demo` signs in as the admin at every start to apply
//! the setup, so the secrets must be recoverable. Sealing them keeps the database (and any
//! copy or backup of it) free of usable secrets; only someone who can also read the owner-only
//! key file can open them.

use std::path::Path;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::seed::{SandboxCredentials, DEMO_USERS};

/// The key file, beside `sandbox.sqlite`.
pub const KEY_FILE: &str = "credentials.key";

const PREFIX: &str = "sealed-v1:";
const NONCE_LEN: usize = 12;
/// Binds a sealed value to its purpose: a blob copied into another state row does not open.
const AAD: &[u8] = b"callbridge-sandbox/sandbox.credentials/v1";

/// What the state row held.
pub enum Stored {
    Sealed(SandboxCredentials),
    /// A row written by a version that kept the credentials in clear (and one password for
    /// every demo account); the caller re-seals it.
    LegacyClear(SandboxCredentials),
}

pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    /// Reads the data directory's key, creating it (owner-only) on first use.
    pub fn open_or_create(dir: &Path) -> anyhow::Result<Sealer> {
        let path = dir.join(KEY_FILE);
        let encoded = match std::fs::read_to_string(&path) {
            Ok(text) => {
                crate::private::tighten(&path)?;
                text
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh = STANDARD.encode(ChaCha20Poly1305::generate_key(&mut OsRng));
                crate::private::write_file(&path, fresh.as_bytes())?;
                fresh
            }
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", path.display()));
            }
        };
        let key = STANDARD
            .decode(encoded.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .with_context(|| {
                format!(
                    "{} is not a base64 32-byte key; restore it, or delete the data directory \
                     to start a fresh sandbox",
                    path.display()
                )
            })?;
        Ok(Sealer {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    pub fn seal(&self, credentials: &SandboxCredentials) -> anyhow::Result<String> {
        let plain = serde_json::to_vec(credentials)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing the sandbox credentials failed"))?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(blob)))
    }

    pub fn unseal(&self, stored: &str) -> anyhow::Result<Stored> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return legacy(stored).map(Stored::LegacyClear);
        };
        let blob = STANDARD
            .decode(encoded)
            .ok()
            .filter(|b| b.len() > NONCE_LEN)
            .context("the sealed sandbox credentials are damaged")?;
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: AAD,
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the sandbox credentials do not open with {KEY_FILE} (the key file was \
                     replaced or the database copied without it); restore the key file, or \
                     delete the data directory to start a fresh sandbox"
                )
            })?;
        Ok(Stored::Sealed(serde_json::from_slice(&plain)?))
    }
}

/// The clear form older versions wrote: one `agent_password` for every demo account.
fn legacy(stored: &str) -> anyhow::Result<SandboxCredentials> {
    #[derive(serde::Deserialize)]
    struct Old {
        admin_user: String,
        admin_password: String,
        client_id: String,
        client_secret: String,
        #[serde(default)]
        agent_password: String,
    }
    let old: Old =
        serde_json::from_str(stored).context("the sandbox credentials row is unreadable")?;
    let users = if old.agent_password.is_empty() {
        Default::default()
    } else {
        DEMO_USERS
            .iter()
            .map(|(name, ..)| (name.to_string(), old.agent_password.clone()))
            .collect()
    };
    Ok(SandboxCredentials {
        admin_user: old.admin_user,
        admin_password: old.admin_password,
        client_id: old.client_id,
        client_secret: old.client_secret,
        users,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SandboxCredentials {
        SandboxCredentials {
            admin_user: "admin".into(),
            admin_password: "admin-pw-123".into(),
            client_id: "cid".into(),
            client_secret: "client-secret-456".into(),
            users: [("alice.agent".to_string(), "alice-pw-789".to_string())].into(),
        }
    }

    #[test]
    fn sealed_credentials_hold_no_secret_in_clear_and_open_with_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::open_or_create(dir.path()).unwrap();
        let sealed = sealer.seal(&sample()).unwrap();
        for secret in ["admin-pw-123", "client-secret-456", "alice-pw-789"] {
            assert!(!sealed.contains(secret), "{secret} in clear in {sealed}");
        }
        let again = Sealer::open_or_create(dir.path()).unwrap();
        match again.unseal(&sealed).unwrap() {
            Stored::Sealed(c) => assert_eq!(c, sample()),
            Stored::LegacyClear(_) => panic!("sealed value read as legacy"),
        }
    }

    #[test]
    fn sealed_credentials_do_not_open_with_another_key() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sealed = Sealer::open_or_create(a.path())
            .unwrap()
            .seal(&sample())
            .unwrap();
        let error = Sealer::open_or_create(b.path())
            .unwrap()
            .unseal(&sealed)
            .err()
            .expect("another key must not open the credentials");
        assert!(error.to_string().contains(KEY_FILE), "{error}");
    }
}
