//! One-way hashing for `password`/`password2` columns (user passwords, OAuth client secrets) and
//! token storage, with constant-time verification.
//!
//! A single salted SHA-256 round, not a slow KDF: Basic auth checks the password on every request
//! that carries no session cookie, and the sandbox is a test instance whose throughput is
//! benchmarked. The stored form never contains the secret itself.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const SCHEME: &str = "sha256";

pub fn hash(secret: &str) -> String {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    format!(
        "{SCHEME}${}${}",
        hex::encode(salt),
        hex::encode(digest(&salt, secret))
    )
}

pub fn verify(secret: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (hex::decode(salt), hex::decode(expected)) else {
        return false;
    };
    digest(&salt, secret).ct_eq(&expected).into()
}

/// True when `value` is already in the stored form (so a hashed value is not hashed twice when a
/// record is loaded or copied).
pub fn is_hashed(value: &str) -> bool {
    value.starts_with("sha256$") && value.split('$').count() == 3
}

/// Unsalted digest for looking tokens up by value without storing them.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn digest(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(secret.as_bytes());
    h.finalize().to_vec()
}

/// A URL-safe random string of `len` characters, like ServiceNow's opaque tokens.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 64] as char)
        .collect()
}

/// 32 lowercase hex characters, like a sys_id or a generated client id.
pub fn random_hex32() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_accepts_the_secret_and_nothing_else() {
        let stored = hash("s3cret");
        assert!(verify("s3cret", &stored));
        assert!(!verify("s3cret ", &stored));
        assert!(!verify("s3cret", "plain"));
        assert!(!stored.contains("s3cret"));
        assert!(is_hashed(&stored));
    }

    #[test]
    fn tokens_are_url_safe() {
        let t = random_token(86);
        assert_eq!(t.len(), 86);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(random_hex32().len(), 32);
    }
}
