//! Fuzzes the carrier-side SDP parser and the answer built from what it accepts.
//!
//! Contract under test (`callbridge_media::sdp`): `TrunkSdp::parse` turns any bytes into a
//! `TrunkSdp` or an `SdpError`, never a panic. When an offer is accepted, the answer is built
//! exactly as `Media::answer_trunk_offer` builds it (same codec payload types, the RFC 3264
//! answer direction) and rendered; that must not panic either, and our own answer must parse
//! back as what we meant, or the carrier would be told something other than what we relay.
#![no_main]

use std::net::SocketAddr;

use callbridge_media::sdp::{LocalSdp, TrunkSdp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let offer = match TrunkSdp::parse(bytes) {
        Ok(offer) => offer,
        Err(error) => {
            // Errors quote the input; rendering them is what the 488 path and the logs do.
            let _ = error.to_string();
            return;
        }
    };
    let destination = offer.media_destination();
    if let Some(destination) = destination {
        assert_eq!(destination, SocketAddr::new(offer.address, offer.port));
        assert!(
            !offer.is_hold(),
            "{offer:?} both on hold and has a destination"
        );
    }

    // The offer's own address and port stand in for our public address: any IPv4 or IPv6
    // value the parser can produce is one the renderer must cope with.
    let answer = LocalSdp {
        public_ip: offer.address,
        port: offer.port,
        session_id: u64::from(offer.port) << 32 | u64::from(offer.pcmu_payload_type),
        session_version: 1,
        direction: offer.direction.answer_to(),
        telephone_event_payload_type: offer.telephone_event_payload_type,
        pcmu_payload_type: offer.pcmu_payload_type,
    };
    let text = answer.render();
    let reparsed = TrunkSdp::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("our answer does not parse ({e}):\n{text}"));
    assert_eq!(reparsed.address, answer.public_ip, "{text}");
    assert_eq!(reparsed.port, answer.port, "{text}");
    assert_eq!(
        reparsed.pcmu_payload_type, answer.pcmu_payload_type,
        "{text}"
    );
    assert_eq!(
        reparsed.telephone_event_payload_type, answer.telephone_event_payload_type,
        "{text}"
    );
    assert_eq!(reparsed.direction, answer.direction, "{text}");
    assert_eq!(reparsed.ptime_ms, Some(20), "{text}");
});
