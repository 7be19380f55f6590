//! Signed, purpose-bound tickets: what lets a browser do one thing for one agent of one tenant
//! until a deadline, without a session (open the softphone, start linking a CRM account).
//!
//! A ticket is `<expires>.<mac>`: `expires` in Unix seconds, `mac` the unpadded base64url
//! HMAC-SHA256, under the server's master key, of `"<purpose>\n<tenant>\n<agent>\n<expires>"`.
//! The purpose and the expiry are inside the signed part, so a ticket for one purpose never
//! passes for another and nobody can extend one. This is the format the softphone and CRM-link
//! tickets have always had: URLs printed before this module existed keep working until they
//! expire.
//!
//! Verification compares MACs in constant time. A field holding a newline could make two
//! different (tenant, agent) pairs sign the same text, so such subjects never verify.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a ticket is for, and how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose {
    /// Signed into every ticket; two purposes must never share a name.
    pub name: &'static str,
    /// Seconds from issue to expiry.
    pub lifetime_secs: i64,
}

/// Opens an agent's softphone WebSocket: a working day and a bit (one shift).
pub const SOFTPHONE: Purpose = Purpose {
    name: "softphone",
    lifetime_secs: 14 * 60 * 60,
};

/// Starts linking an agent's CRM account: long enough to sign in to the CRM.
pub const CRM_LINK: Purpose = Purpose {
    name: "crm-link",
    lifetime_secs: 15 * 60,
};

/// Fetches one call's recording audio for one viewer: a signed media URL lives five minutes, so a
/// copied URL is useless soon after (the page asks for a fresh one at every open).
pub const RECORDING_MEDIA: Purpose = Purpose {
    name: "recording-media",
    lifetime_secs: 5 * 60,
};

/// Whom a ticket is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub tenant: &'a str,
    pub agent: &'a str,
}

/// A ticket that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Unix seconds after which it no longer verifies.
    pub expires: i64,
    /// Hex SHA-256 of the ticket's MAC: unique per ticket, useless to whoever reads it (a
    /// single-use ticket is remembered as spent under this).
    pub digest: String,
}

/// Why a ticket was refused. Callers usually show one message for all of them (telling a
/// stranger which part was wrong helps only the stranger); the cause is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not `<digits>.<base64url>`.
    Malformed,
    /// Not signed with this key for this purpose and subject, or altered since.
    BadSignature,
    /// Signed correctly, but its deadline has passed.
    Expired,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Malformed => "the ticket is not in the form <expires>.<signature>",
            Refused::BadSignature => {
                "the ticket was not issued for this purpose, tenant and agent by this server"
            }
            Refused::Expired => "the ticket has expired",
        })
    }
}

impl std::error::Error for Refused {}

/// A ticket for `purpose` and `subject`, valid until `now + purpose.lifetime_secs`.
pub fn issue(key: &[u8], purpose: Purpose, subject: Subject<'_>, now: i64) -> String {
    let expires = now + purpose.lifetime_secs;
    format!(
        "{expires}.{}",
        URL_SAFE_NO_PAD.encode(mac(key, purpose, subject, expires))
    )
}

/// Checks that `ticket` was issued with `key` for `purpose` and `subject` and has not expired
/// at `now` (a ticket is still valid at its expiry second).
pub fn verify(
    key: &[u8],
    purpose: Purpose,
    subject: Subject<'_>,
    ticket: &str,
    now: i64,
) -> Result<Verified, Refused> {
    let (expires, signature) = ticket.split_once('.').ok_or(Refused::Malformed)?;
    if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(Refused::Malformed);
    }
    let expires: i64 = expires.parse().map_err(|_| Refused::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refused::Malformed)?;
    let unambiguous = !subject.tenant.contains('\n') && !subject.agent.contains('\n');
    let signed: bool = mac(key, purpose, subject, expires).ct_eq(&signature).into();
    if !(signed && unambiguous) {
        return Err(Refused::BadSignature);
    }
    if expires < now {
        return Err(Refused::Expired);
    }
    Ok(Verified {
        expires,
        digest: hex(&Sha256::digest(&signature)),
    })
}

fn mac(key: &[u8], purpose: Purpose, subject: Subject<'_>, expires: i64) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(
        format!(
            "{}\n{}\n{}\n{expires}",
            purpose.name, subject.tenant, subject.agent
        )
        .as_bytes(),
    );
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"master-key-for-tests";
    const NOW: i64 = 1_800_000_000;
    const ALICE: Subject<'static> = Subject {
        tenant: "acme",
        agent: "alice",
    };

    #[test]
    fn a_ticket_verifies_for_its_purpose_and_subject_until_its_expiry_second() {
        for purpose in [SOFTPHONE, CRM_LINK, RECORDING_MEDIA] {
            let t = issue(KEY, purpose, ALICE, NOW);
            let ok = verify(KEY, purpose, ALICE, &t, NOW).unwrap();
            assert_eq!(ok.expires, NOW + purpose.lifetime_secs);
            assert!(verify(KEY, purpose, ALICE, &t, NOW + purpose.lifetime_secs).is_ok());
        }
    }

    #[test]
    fn an_expired_ticket_is_refused_as_expired() {
        let t = issue(KEY, CRM_LINK, ALICE, NOW);
        assert_eq!(
            verify(KEY, CRM_LINK, ALICE, &t, NOW + CRM_LINK.lifetime_secs + 1),
            Err(Refused::Expired)
        );
    }

    #[test]
    fn a_ticket_for_another_purpose_is_refused() {
        let link = issue(KEY, CRM_LINK, ALICE, NOW);
        assert_eq!(
            verify(KEY, SOFTPHONE, ALICE, &link, NOW),
            Err(Refused::BadSignature)
        );
        let phone = issue(KEY, SOFTPHONE, ALICE, NOW);
        assert_eq!(
            verify(KEY, CRM_LINK, ALICE, &phone, NOW),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn a_ticket_for_another_tenant_or_agent_or_from_another_key_is_refused() {
        let t = issue(KEY, SOFTPHONE, ALICE, NOW);
        let bob = Subject {
            agent: "bob",
            ..ALICE
        };
        let globex = Subject {
            tenant: "globex",
            ..ALICE
        };
        for subject in [bob, globex] {
            assert_eq!(
                verify(KEY, SOFTPHONE, subject, &t, NOW),
                Err(Refused::BadSignature)
            );
        }
        assert_eq!(
            verify(b"another key", SOFTPHONE, ALICE, &t, NOW),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn a_tampered_ticket_is_refused() {
        let t = issue(KEY, SOFTPHONE, ALICE, NOW);
        let (_, mac) = t.split_once('.').unwrap();
        // A later deadline with the old signature.
        let extended = format!("{}.{mac}", NOW + 10 * SOFTPHONE.lifetime_secs);
        assert_eq!(
            verify(KEY, SOFTPHONE, ALICE, &extended, NOW),
            Err(Refused::BadSignature)
        );
        // One character of the signature changed.
        let mut flipped = t.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify(KEY, SOFTPHONE, ALICE, &flipped, NOW),
            Err(Refused::BadSignature)
        );
        // A truncated signature.
        assert_eq!(
            verify(KEY, SOFTPHONE, ALICE, &t[..t.len() - 4], NOW),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for junk in ["", ".", "x.y", "1.!!!", "+1.AAAA", "abc", " 1.AAAA"] {
            assert_eq!(
                verify(KEY, SOFTPHONE, ALICE, junk, NOW),
                Err(Refused::Malformed),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn subjects_with_newlines_never_verify() {
        // "a\nb" + "c" and "a" + "b\nc" would sign the same text.
        let one = Subject {
            tenant: "a\nb",
            agent: "c",
        };
        let other = Subject {
            tenant: "a",
            agent: "b\nc",
        };
        let t = issue(KEY, SOFTPHONE, one, NOW);
        assert_eq!(
            verify(KEY, SOFTPHONE, other, &t, NOW),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            verify(KEY, SOFTPHONE, one, &t, NOW),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn digests_differ_per_ticket_and_do_not_reveal_it() {
        let a = issue(KEY, CRM_LINK, ALICE, NOW);
        let b = issue(KEY, CRM_LINK, ALICE, NOW + 1);
        let da = verify(KEY, CRM_LINK, ALICE, &a, NOW).unwrap().digest;
        let db = verify(KEY, CRM_LINK, ALICE, &b, NOW).unwrap().digest;
        assert_ne!(da, db);
        assert_eq!(da.len(), 64);
        assert!(!a.contains(&da) && !da.contains(a.split_once('.').unwrap().1));
    }

    /// Tickets printed by the previous release's `callbridge softphone-url` and `callbridge
    /// link-url` (tenant "acme", agent "alice.agent", master key "a2tr...s=", copied from its
    /// output) still verify with this module, until they expire: URLs already handed out keep
    /// working.
    #[test]
    fn tickets_printed_by_the_previous_release_still_verify() {
        let key = b"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=";
        let alice = Subject {
            tenant: "acme",
            agent: "alice.agent",
        };
        let softphone = "1796584488.005ugSZT0g6FkGxBztZ3GeldPvbdeDB5eYTQysF7mmI";
        let link = "1796534983.gfSiEZEXHOG-G2-wmKUxvsHYTk6pmECG6MrrL3KoUWE";
        let issued = 1_796_584_488 - SOFTPHONE.lifetime_secs;
        assert!(verify(key, SOFTPHONE, alice, softphone, issued).is_ok());
        assert_eq!(issue(key, SOFTPHONE, alice, issued), softphone);
        assert_eq!(
            verify(key, SOFTPHONE, alice, softphone, 1_796_584_489),
            Err(Refused::Expired)
        );
        let issued = 1_796_534_983 - CRM_LINK.lifetime_secs;
        assert!(verify(key, CRM_LINK, alice, link, issued).is_ok());
        assert_eq!(issue(key, CRM_LINK, alice, issued), link);
        assert_eq!(
            verify(key, SOFTPHONE, alice, link, issued),
            Err(Refused::BadSignature)
        );
    }
}
