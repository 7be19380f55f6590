//! Link tickets: a short-lived HMAC over (tenant, agent, expiry) made with the server's master
//! key, issued to an authenticated agent (the softphone, or `callbridge link-url` for an admin).
//! Without one anyone could start linking someone else's agent. Each ticket starts one sign-in:
//! the store keeps the digest of every spent ticket until it expires. The signing itself is
//! `callbridge_kernel::ticket` (purpose `crm-link`); this module keeps the link flow's names.

use callbridge_kernel::ticket::{self as signed, Subject, CRM_LINK};

use callbridge_config::Secret;

/// How long a link ticket is valid.
pub const TICKET_TTL_SECS: i64 = CRM_LINK.lifetime_secs;

/// A link ticket for `agent` of `tenant`, valid until `now + TICKET_TTL_SECS`, made with the
/// server's master key (so `callbridge link-url` can issue one without a running server).
pub fn ticket(key: &Secret, tenant: &str, agent: &str, now: i64) -> String {
    signed::issue(
        key.expose().as_bytes(),
        CRM_LINK,
        Subject { tenant, agent },
        now,
    )
}

/// A ticket that checked out: when it expires, and the digest the store records it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTicket {
    pub expires: i64,
    /// Hex SHA-256 of the ticket's MAC: unique per ticket, and useless to whoever reads it.
    pub digest: String,
}

/// Checks that `ticket` was made for `agent` of `tenant` with `key` and has not expired at
/// `now`. `None` when it is malformed, forged, for someone else or expired.
pub fn check(
    key: &Secret,
    tenant: &str,
    agent: &str,
    ticket: &str,
    now: i64,
) -> Option<ValidTicket> {
    let verified = signed::verify(
        key.expose().as_bytes(),
        CRM_LINK,
        Subject { tenant, agent },
        ticket,
        now,
    )
    .ok()?;
    Some(ValidTicket {
        expires: verified.expires,
        digest: verified.digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Secret {
        Secret::new("master-key-for-tests".to_string())
    }

    #[test]
    fn a_ticket_is_valid_only_for_its_agent_and_tenant_until_it_expires() {
        let t = ticket(&key(), "demo", "alice.agent", 1_000);
        let valid = check(&key(), "demo", "alice.agent", &t, 1_000 + TICKET_TTL_SECS).unwrap();
        assert_eq!(valid.expires, 1_000 + TICKET_TTL_SECS);
        assert!(check(&key(), "demo", "bob.agent", &t, 1_000).is_none());
        assert!(check(&key(), "other", "alice.agent", &t, 1_000).is_none());
        assert!(check(&key(), "demo", "alice.agent", &t, 1_001 + TICKET_TTL_SECS).is_none());
        assert!(check(&key(), "demo", "alice.agent", "garbage", 1_000).is_none());
        let other = Secret::new("another-key".to_string());
        assert!(check(&other, "demo", "alice.agent", &t, 1_000).is_none());
    }

    #[test]
    fn two_tickets_have_different_digests_and_the_digest_is_not_the_ticket() {
        let a = ticket(&key(), "demo", "alice.agent", 1_000);
        let b = ticket(&key(), "demo", "alice.agent", 1_001);
        let da = check(&key(), "demo", "alice.agent", &a, 1_000)
            .unwrap()
            .digest;
        let db = check(&key(), "demo", "alice.agent", &b, 1_000)
            .unwrap()
            .digest;
        assert_ne!(da, db);
        assert!(!a.contains(&da) && !da.contains(a.split_once('.').unwrap().1));
    }
}
