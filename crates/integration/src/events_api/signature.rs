//! Signatures on the call-events API: `X-Callbridge-Signature: t=<unix seconds>,v1=<hex>` where
//! `v1 = HMAC-SHA256(tenant secret, "<t>.<raw body>")`. Binding the timestamp into the MAC and
//! refusing stale timestamps stops replays of captured requests; idempotency by event id stops
//! the rest. Comparison is constant-time.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER: &str = "x-callbridge-signature";

/// How far a signature's timestamp may be from our clock.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Callbridge-Signature header; sign the body as t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">")]
    Missing,
    #[error(
        "malformed X-Callbridge-Signature header: expected t=<unix seconds>,v1=<64 hex digits>"
    )]
    Malformed,
    #[error("signature timestamp is {skew} s away from the server clock (allowed: {TOLERANCE_SECS} s); check the sender's clock")]
    Stale { skew: i64 },
    #[error("signature does not match the body; check the tenant's call-events secret")]
    Mismatch,
}

pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body))
    )
}

pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok().filter(|s| s.len() == 32),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Malformed);
    };
    let skew = (now - timestamp).abs();
    if skew > TOLERANCE_SECS {
        return Err(SignatureError::Stale { skew });
    }
    let expected = mac(secret, timestamp, body);
    if bool::from(expected.as_slice().ct_eq(&signature)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"tenant-secret";

    #[test]
    fn a_signed_body_verifies() {
        let header = sign(SECRET, 1_000, b"{}");
        assert_eq!(verify(SECRET, Some(&header), b"{}", 1_010), Ok(()));
    }

    #[test]
    fn a_changed_body_or_secret_is_refused() {
        let header = sign(SECRET, 1_000, b"{}");
        assert_eq!(
            verify(SECRET, Some(&header), b"{ }", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some(&header), b"{}", 1_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_signatures_are_refused_to_stop_replays() {
        let header = sign(SECRET, 1_000, b"{}");
        assert_eq!(
            verify(SECRET, Some(&header), b"{}", 1_000 + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale {
                skew: TOLERANCE_SECS + 1
            })
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        assert_eq!(verify(SECRET, None, b"{}", 0), Err(SignatureError::Missing));
        for bad in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz", "t=1,v1=abcd"] {
            assert_eq!(
                verify(SECRET, Some(bad), b"{}", 1),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
