//! Softphone tickets: what lets a browser open an agent's WebSocket (purpose `softphone`, valid
//! one shift; see `callbridge_kernel::ticket`). Until the browser UI has its own sign-in, the
//! admin hands agents a URL with one (`callbridge softphone-url`).

use callbridge_config::Secret;
use callbridge_kernel::ticket::{self, Subject, SOFTPHONE};

/// How long a softphone ticket is valid.
pub const TICKET_TTL_SECS: i64 = SOFTPHONE.lifetime_secs;

/// A ticket that opens `agent` of `tenant`'s WebSocket until `now + TICKET_TTL_SECS`, made with
/// the server's master key (so `callbridge softphone-url` can issue one without a running
/// server).
pub fn softphone_ticket(key: &Secret, tenant: &str, agent: &str, now: i64) -> String {
    ticket::issue(
        key.expose().as_bytes(),
        SOFTPHONE,
        Subject { tenant, agent },
        now,
    )
}

/// Whether `ticket` lets `agent` of `tenant` in at `now`.
pub fn verify(key: &Secret, tenant: &str, agent: &str, ticket: &str, now: i64) -> bool {
    ticket::verify(
        key.expose().as_bytes(),
        SOFTPHONE,
        Subject { tenant, agent },
        ticket,
        now,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_ticket_opens_only_its_own_agents_softphone_until_it_expires() {
        let key = Secret::new("k".repeat(44));
        let t = softphone_ticket(&key, "acme", "alice", NOW);
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
