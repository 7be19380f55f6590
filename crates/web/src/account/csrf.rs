//! CSRF tokens: HMAC-SHA256 of the session id under a key derived from the server's master key,
//! base64url. The page gets it in the session answer and sends it back as `X-CSRF-Token` on
//! every state-changing request; a cross-site page can make the browser send the cookie but
//! cannot read the token. Compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The request header that carries the token.
pub const HEADER: &str = "x-csrf-token";

type HmacSha256 = Hmac<Sha256>;

/// A key for CSRF tokens only, derived from the master key (so that no other MAC made with the
/// master key can pass for a token, nor the reverse).
pub fn derive_key(master_key: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(master_key).expect("HMAC takes any key length");
    mac.update(b"callbridge csrf token key v1");
    mac.finalize().into_bytes().into()
}

/// The session's token.
pub fn token(key: &[u8; 32], session_id: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(session_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `presented` is the session's token.
pub fn verify(key: &[u8; 32], session_id: &str, presented: &str) -> bool {
    let expected = token(key, session_id);
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_one_session_and_one_key() {
        let key = derive_key(b"master key");
        let t = token(&key, "session-a");
        assert!(verify(&key, "session-a", &t));
        assert!(!verify(&key, "session-b", &t));
        assert!(!verify(&derive_key(b"other master"), "session-a", &t));
        assert!(!verify(&key, "session-a", ""));
        assert!(!verify(&key, "session-a", &t[..t.len() - 1]));
        assert_eq!(t.len(), 43);
    }
}
