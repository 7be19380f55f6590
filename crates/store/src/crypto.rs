//! Encryption at rest for OAuth tokens and tenant service credentials.
//!
//! Every value is sealed with ChaCha20-Poly1305 under the master [`SecretKey`] with a fresh random
//! 96-bit nonce. The stored blob is `version (1 byte) || nonce (12) || ciphertext || tag (16)`.
//! The associated data names where the value belongs (tenant, agent or secret name, field), so a
//! blob copied to another row or column fails authentication instead of decrypting as somebody
//! else's token.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroize;

/// Length of a master key in bytes.
pub const SECRET_KEY_LEN: usize = 32;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_DOMAIN: &[u8] = b"callbridge-store/v1";

/// The 32-byte master key that encrypts secrets at rest.
///
/// Parse it from base64 (`openssl rand -base64 32` makes one; standard and URL-safe alphabets,
/// with or without padding, are accepted). Its `Debug` output never shows the key, and the bytes
/// are wiped from memory when the value is dropped.
#[derive(Clone)]
pub struct SecretKey([u8; SECRET_KEY_LEN]);

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SecretKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; SECRET_KEY_LEN]) -> Self {
        SecretKey(bytes)
    }

    /// A key from its base64 text (surrounding whitespace is ignored).
    pub fn from_base64(text: &str) -> Result<Self, SecretKeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SecretKeyError::Empty);
        }
        let mut bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or(SecretKeyError::NotBase64)?;
        if bytes.len() != SECRET_KEY_LEN {
            let len = bytes.len();
            bytes.zeroize();
            return Err(SecretKeyError::WrongLength(len));
        }
        let mut key = [0u8; SECRET_KEY_LEN];
        key.copy_from_slice(&bytes);
        bytes.zeroize();
        Ok(SecretKey(key))
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0u8; SECRET_KEY_LEN];
        bytes.copy_from_slice(&key);
        SecretKey(bytes)
    }

    /// The key as standard padded base64, the form [`SecretKey::from_base64`] reads (for a
    /// key-generation command; never log it).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

impl FromStr for SecretKey {
    type Err = SecretKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecretKey::from_base64(s)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Why a master key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretKeyError {
    /// Nothing was given.
    #[error("the master key is empty: give 32 random bytes encoded as base64 (generate one with `openssl rand -base64 32`)")]
    Empty,
    /// The text is not base64.
    #[error("the master key is not valid base64: give 32 random bytes encoded as base64 (generate one with `openssl rand -base64 32`)")]
    NotBase64,
    /// The text decodes to the wrong number of bytes.
    #[error("the master key decodes to {0} bytes but must be exactly 32: give 32 random bytes encoded as base64 (generate one with `openssl rand -base64 32`)")]
    WrongLength(usize),
}

/// Where a sealed value lives; bound into the ciphertext as associated data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'a> {
    /// A field of an agent's CRM link.
    AgentLink {
        tenant: &'a str,
        agent: &'a str,
        field: &'a str,
    },
    /// A tenant's named service credential.
    TenantSecret { tenant: &'a str, name: &'a str },
    /// A secret of a tenant kept in the store (`{ store = "name" }` in its text).
    StoreTenantSecret { tenant: &'a str, name: &'a str },
}

impl Slot<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let parts: [&str; 4] = match *self {
            Slot::AgentLink {
                tenant,
                agent,
                field,
            } => ["agent_link", tenant, agent, field],
            Slot::TenantSecret { tenant, name } => ["tenant_secret", tenant, name, "value"],
            Slot::StoreTenantSecret { tenant, name } => {
                ["store_tenant_secret", tenant, name, "value"]
            }
        };
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(AAD_DOMAIN);
        for part in parts {
            // Length-prefixed so that ("a|b", "c") and ("a", "b|c") can never collide.
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }
}

impl fmt::Display for Slot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slot::AgentLink {
                tenant,
                agent,
                field,
            } => write!(f, "{field} of agent {agent:?} in tenant {tenant:?}"),
            Slot::TenantSecret { tenant, name } => {
                write!(f, "secret {name:?} of tenant {tenant:?}")
            }
            Slot::StoreTenantSecret { tenant, name } => {
                write!(f, "stored secret {name:?} of tenant {tenant:?}")
            }
        }
    }
}

/// The cipher built from the master key.
pub(crate) struct Cipher(ChaCha20Poly1305);

impl Cipher {
    pub(crate) fn new(key: &SecretKey) -> Self {
        Cipher(ChaCha20Poly1305::new(Key::from_slice(&key.0)))
    }

    pub(crate) fn seal(&self, slot: Slot<'_>, plaintext: &[u8]) -> Vec<u8> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = slot.associated_data();
        let ciphertext = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("ChaCha20-Poly1305 encryption of an in-memory value cannot fail");
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        blob.push(FORMAT_V1);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        blob
    }

    /// The plaintext, or `None` when the blob is malformed, was sealed under another key, or
    /// belongs to another slot.
    pub(crate) fn open(&self, slot: Slot<'_>, blob: &[u8]) -> Option<Vec<u8>> {
        if blob.len() < 1 + NONCE_LEN + TAG_LEN || blob[0] != FORMAT_V1 {
            return None;
        }
        let nonce = Nonce::from_slice(&blob[1..1 + NONCE_LEN]);
        let aad = slot.associated_data();
        self.0
            .decrypt(
                nonce,
                Payload {
                    msg: &blob[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_slot<'a>(agent: &'a str, field: &'a str) -> Slot<'a> {
        Slot::AgentLink {
            tenant: "acme",
            agent,
            field,
        }
    }

    #[test]
    fn secret_key_round_trips_through_base64() {
        let key = SecretKey::generate();
        let parsed: SecretKey = key.to_base64().parse().unwrap();
        assert_eq!(parsed.0, key.0);
    }

    #[test]
    fn secret_key_accepts_url_safe_and_unpadded_base64_with_whitespace() {
        let bytes = [0xfbu8; 32];
        let url = URL_SAFE_NO_PAD.encode(bytes);
        assert!(url.contains('_') || url.contains('-'));
        assert_eq!(
            SecretKey::from_base64(&format!("  {url}\n")).unwrap().0,
            bytes
        );
    }

    #[test]
    fn secret_key_errors_say_what_is_wrong_and_how_to_fix_it() {
        let short = SecretKey::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err();
        assert_eq!(short, SecretKeyError::WrongLength(16));
        assert!(short
            .to_string()
            .contains("16 bytes but must be exactly 32"));
        assert!(short.to_string().contains("openssl rand -base64 32"));

        let garbage = SecretKey::from_base64("not base64 at all!").unwrap_err();
        assert_eq!(garbage, SecretKeyError::NotBase64);
        assert!(garbage.to_string().contains("not valid base64"));

        assert_eq!(
            SecretKey::from_base64("   ").unwrap_err(),
            SecretKeyError::Empty
        );
    }

    #[test]
    fn secret_key_debug_never_prints_the_key() {
        let key = SecretKey::from_bytes([0x41; 32]);
        let shown = format!("{key:?} {:#?}", key);
        assert!(shown.contains("redacted"));
        assert!(!shown.contains(&key.to_base64()));
        assert!(!shown.contains("65"));
        assert!(!shown.contains("0x41"));
    }

    #[test]
    fn sealing_uses_a_fresh_nonce_every_time() {
        let cipher = Cipher::new(&SecretKey::generate());
        let a = cipher.seal(link_slot("alice", "access_token"), b"token");
        let b = cipher.seal(link_slot("alice", "access_token"), b"token");
        assert_ne!(a, b);
        assert_eq!(
            cipher.open(link_slot("alice", "access_token"), &a).unwrap(),
            b"token"
        );
        assert_eq!(
            cipher.open(link_slot("alice", "access_token"), &b).unwrap(),
            b"token"
        );
    }

    #[test]
    fn a_value_only_opens_in_its_own_slot_and_under_its_own_key() {
        let cipher = Cipher::new(&SecretKey::generate());
        let blob = cipher.seal(link_slot("alice", "access_token"), b"token");
        assert!(cipher
            .open(link_slot("bob", "access_token"), &blob)
            .is_none());
        assert!(cipher
            .open(link_slot("alice", "refresh_token"), &blob)
            .is_none());
        assert!(cipher
            .open(
                Slot::TenantSecret {
                    tenant: "acme",
                    name: "alice"
                },
                &blob
            )
            .is_none());
        let other = Cipher::new(&SecretKey::generate());
        assert!(other
            .open(link_slot("alice", "access_token"), &blob)
            .is_none());

        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(cipher
            .open(link_slot("alice", "access_token"), &tampered)
            .is_none());
        assert!(cipher
            .open(link_slot("alice", "access_token"), &blob[..10])
            .is_none());
    }

    #[test]
    fn associated_data_is_unambiguous() {
        let a = Slot::AgentLink {
            tenant: "a|b",
            agent: "c",
            field: "f",
        };
        let b = Slot::AgentLink {
            tenant: "a",
            agent: "b|c",
            field: "f",
        };
        assert_ne!(a.associated_data(), b.associated_data());
    }
}
