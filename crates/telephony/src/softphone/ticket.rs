//! Softphone tickets: what lets a browser open an agent's softphone connection.
//!
//! A ticket is `<expires>.<mac>`: an HMAC-SHA256 with the server's master key over the purpose,
//! tenant, agent and expiry. The purpose ("softphone") keeps a CRM-link ticket from opening a
//! softphone and the other way round. Until the browser softphone has its own sign-in, the admin
//! hands agents a URL with a ticket (`callbridge softphone-url`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use callbridge_integration::config::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A working day and a bit: an agent opens the softphone once per shift.
pub const TICKET_TTL_SECS: i64 = 14 * 60 * 60;

pub fn issue(key: &Secret, tenant: &str, agent: &str, now: i64) -> String {
    let expires = now + TICKET_TTL_SECS;
    format!(
        "{expires}.{}",
        URL_SAFE_NO_PAD.encode(mac(key, tenant, agent, expires))
    )
}

/// Whether `ticket` lets `agent` of `tenant` in at `now` (constant-time on the MAC).
pub fn verify(key: &Secret, tenant: &str, agent: &str, ticket: &str, now: i64) -> bool {
    let Some((expires, signature)) = ticket.split_once('.') else {
        return false;
    };
    let Ok(expires) = expires.parse::<i64>() else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let valid: bool = mac(key, tenant, agent, expires).ct_eq(&signature).into();
    valid && expires >= now
}

fn mac(key: &Secret, tenant: &str, agent: &str, expires: i64) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()).expect("any key length");
    mac.update(format!("softphone\n{tenant}\n{agent}\n{expires}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_ticket_opens_only_its_own_agents_softphone_until_it_expires() {
        let key = Secret::new("k".repeat(44));
        let t = issue(&key, "acme", "alice", NOW);
        assert!(verify(&key, "acme", "alice", &t, NOW));
        assert!(verify(&key, "acme", "alice", &t, NOW + TICKET_TTL_SECS));
        assert!(!verify(
            &key,
            "acme",
            "alice",
            &t,
            NOW + TICKET_TTL_SECS + 1
        ));
        assert!(!verify(&key, "acme", "bob", &t, NOW));
        assert!(!verify(&key, "globex", "alice", &t, NOW));
        assert!(!verify(&Secret::new("other"), "acme", "alice", &t, NOW));
        let (_, mac) = t.split_once('.').unwrap();
        let extended = format!("{}.{mac}", NOW + 10 * TICKET_TTL_SECS);
        assert!(!verify(&key, "acme", "alice", &extended, NOW));
        for junk in ["", ".", "x.y", "1.", "1.!!!"] {
            assert!(!verify(&key, "acme", "alice", junk, NOW), "{junk:?}");
        }
    }

    #[test]
    fn a_crm_link_ticket_is_not_a_softphone_ticket() {
        let key = Secret::new("k".repeat(44));
        let link = callbridge_integration::linking::ticket(&key, "acme", "alice", NOW);
        assert!(!verify(&key, "acme", "alice", &link, NOW));
    }
}
