//! Fuzzes the RTP and RFC 4733 telephone-event parsers that read every datagram on the relay's
//! media ports.
//!
//! Contract under test (`callbridge_media::rtp`): `RtpPacket::parse` and
//! `TelephoneEvent::parse` never panic and never read outside the datagram. What an accepted
//! packet reports must account for the bytes it came from, and what the relay writes back out
//! (`write_rtp`, `TelephoneEvent::to_bytes`) must parse back to the same fields, because the
//! bridge rewrites and forwards exactly those.
#![no_main]

use callbridge_media::rtp::{write_rtp, RtpPacket, TelephoneEvent, RTP_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // Any bytes may arrive as a DTMF payload (a peer can mislabel its payload type).
    check_telephone_event(bytes);

    let Ok(packet) = RtpPacket::parse(bytes) else {
        return;
    };
    let csrcs = packet.csrcs();
    let extension_len = packet.extension.map_or(0, |ext| 4 + ext.data.len());
    let accounted = RTP_HEADER_LEN
        + 4 * csrcs.len()
        + extension_len
        + packet.payload.len()
        + usize::from(packet.padding);
    assert_eq!(
        accounted,
        bytes.len(),
        "parsed fields do not add up to the datagram"
    );
    assert!(packet.header.payload_type <= 127);
    let _ = csrcs.collect::<Vec<u32>>();

    // Relaying: the header (possibly rewritten) and payload written out parse back unchanged.
    let mut out = vec![0u8; RTP_HEADER_LEN + packet.payload.len()];
    let written = write_rtp(&packet.header, packet.payload, &mut out)
        .expect("a parsed header and its payload fit a buffer sized for them");
    let relayed = RtpPacket::parse(&out[..written]).expect("our own packet parses");
    assert_eq!(relayed.header, packet.header);
    assert_eq!(relayed.payload, packet.payload);
    assert_eq!(relayed.padding, 0);
    assert!(relayed.extension.is_none());

    check_telephone_event(packet.payload);
});

fn check_telephone_event(payload: &[u8]) {
    let Ok(event) = TelephoneEvent::parse(payload) else {
        assert!(
            payload.len() < 4,
            "a {}-byte payload was refused",
            payload.len()
        );
        return;
    };
    assert_eq!(TelephoneEvent::parse(&event.to_bytes()), Ok(event));
    assert_eq!(event.digit().is_some(), event.event <= 15);
}
