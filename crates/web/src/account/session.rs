//! Session ids and the session cookie.
//!
//! A session id is 256 random bits, base64url; the browser holds it in an `HttpOnly` cookie and
//! the store keeps only its SHA-256. The cookie is `Secure; SameSite=None; Partitioned` because
//! the softphone runs inside the CRM's iframe, a third-party context: `SameSite=None` lets the
//! framed page send it, and `Partitioned` (CHIPS) keys it to the top-level site, which browsers
//! that drop unpartitioned third-party cookies still accept. CSRF is then the CSRF token's and
//! the `Origin` check's job (`csrf.rs`, `origins.rs`).

use std::time::Duration;

use axum::http::header::{HeaderMap, COOKIE};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "callbridge_session";
/// One agent's shift with margin: 14 hours. Use does not extend it.
pub const LIFETIME: Duration = Duration::from_secs(14 * 60 * 60);

/// A fresh session id.
pub fn new_id() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a session id.
pub fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The `Set-Cookie` value that gives the browser `id` for `max_age`.
pub fn set_cookie(id: &str, max_age: Duration) -> String {
    format!(
        "{COOKIE_NAME}={id}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned; Max-Age={}",
        max_age.as_secs()
    )
}

/// The `Set-Cookie` value that makes the browser forget its session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; Secure; SameSite=None; Partitioned; Max-Age=0")
}

/// The session id the request's cookies carry, if any (the first well-formed one).
pub fn from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .find(|value| well_formed(value))
        .map(str::to_string)
}

/// 32 bytes in base64url, as [`new_id`] makes them.
fn well_formed(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn ids_are_random_and_only_their_digest_is_kept() {
        let a = new_id();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_id());
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&new_id()));
    }

    #[test]
    fn the_cookie_works_in_a_third_party_frame() {
        let c = set_cookie("abc", LIFETIME);
        assert_eq!(
            c,
            "callbridge_session=abc; Path=/; HttpOnly; Secure; SameSite=None; Partitioned; Max-Age=50400"
        );
        assert!(clear_cookie().ends_with("Max-Age=0"));
    }

    #[test]
    fn the_id_is_read_from_the_cookie_header_among_others() {
        let id = new_id();
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("callbridge_link=x; other=y"),
        );
        assert_eq!(from_headers(&headers), None);
        headers.append(
            COOKIE,
            HeaderValue::from_str(&format!(
                "a=b; callbridge_session=junk; callbridge_session={id}"
            ))
            .unwrap(),
        );
        assert_eq!(from_headers(&headers), Some(id));
    }
}
