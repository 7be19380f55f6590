//! RTP (RFC 3550) packets and RFC 4733 telephone events, without copying.
//!
//! [`RtpPacket::parse`] borrows the datagram and hands out the header fields, the CSRC list, the
//! header extension and the payload as views into it. Every length is checked against the buffer
//! before it is used, so a malformed or hostile datagram becomes an [`RtpError`], never a panic or
//! an out-of-bounds read. [`write_rtp`] does the reverse into a caller-owned buffer, so relaying a
//! packet allocates nothing.

use thiserror::Error;

/// Size of the fixed RTP header (no CSRCs, no extension).
pub const RTP_HEADER_LEN: usize = 12;

/// Why a datagram is not a usable RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    #[error("RTP packet of {len} bytes is shorter than the 12-byte header")]
    TooShort { len: usize },
    #[error("RTP version {version} is not 2")]
    BadVersion { version: u8 },
    #[error("RTP packet declares {count} CSRCs but is only {len} bytes long")]
    TruncatedCsrcs { count: u8, len: usize },
    #[error("RTP header extension runs past the end of the {len}-byte packet")]
    TruncatedExtension { len: usize },
    #[error("RTP padding of {padding} bytes is larger than the {available}-byte payload area")]
    BadPadding { padding: u8, available: usize },
    #[error("payload type {payload_type} is outside 0..=127")]
    BadPayloadType { payload_type: u8 },
    #[error("output buffer of {capacity} bytes cannot hold a {needed}-byte packet")]
    BufferTooSmall { needed: usize, capacity: usize },
}

/// The fields of an RTP header that a relay reads or rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// An RTP header extension (RFC 3550 §5.3.1): the profile-defined word and its raw data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the datagram it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    csrcs: &'a [u8],
    pub extension: Option<RtpExtension<'a>>,
    /// The payload with any padding removed.
    pub payload: &'a [u8],
    /// Padding bytes that followed the payload (0 when the P bit is clear).
    pub padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// Parses `buf` as an RTP packet. Never panics, whatever the bytes.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let len = buf.len();
        if len < RTP_HEADER_LEN {
            return Err(RtpError::TooShort { len });
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { version });
        }
        let has_padding = buf[0] & 0x20 != 0;
        let has_extension = buf[0] & 0x10 != 0;
        let csrc_count = buf[0] & 0x0F;
        let header = RtpHeader {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7F,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
        };

        let csrc_end = RTP_HEADER_LEN + 4 * usize::from(csrc_count);
        let csrcs = buf
            .get(RTP_HEADER_LEN..csrc_end)
            .ok_or(RtpError::TruncatedCsrcs {
                count: csrc_count,
                len,
            })?;

        let mut payload_start = csrc_end;
        let extension = if has_extension {
            let fixed = buf
                .get(csrc_end..csrc_end + 4)
                .ok_or(RtpError::TruncatedExtension { len })?;
            let profile = u16::from_be_bytes([fixed[0], fixed[1]]);
            let words = usize::from(u16::from_be_bytes([fixed[2], fixed[3]]));
            let data_start = csrc_end + 4;
            let data_end = data_start + 4 * words;
            let data = buf
                .get(data_start..data_end)
                .ok_or(RtpError::TruncatedExtension { len })?;
            payload_start = data_end;
            Some(RtpExtension { profile, data })
        } else {
            None
        };

        let rest = &buf[payload_start..];
        let (payload, padding) = if has_padding {
            // The last byte counts the padding, itself included (RFC 3550 §5.1).
            let padding = rest.last().copied().unwrap_or(0);
            if padding == 0 || usize::from(padding) > rest.len() {
                return Err(RtpError::BadPadding {
                    padding,
                    available: rest.len(),
                });
            }
            (&rest[..rest.len() - usize::from(padding)], padding)
        } else {
            (rest, 0)
        };

        Ok(RtpPacket {
            header,
            csrcs,
            extension,
            payload,
            padding,
        })
    }

    /// The contributing sources, in order.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.csrcs
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// True when a datagram on an RTP port is RTCP (RFC 5761 §4: payload types 64..=95 with the
/// marker bit are RTCP packet types 192..=223). Carriers multiplex RTCP onto the RTP port
/// sometimes; the relay must not mistake those for audio.
pub fn looks_like_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && buf[0] >> 6 == 2 && (192..=223).contains(&buf[1])
}

/// Writes a packet with a 12-byte header (no CSRCs, no extension, no padding) and `payload`
/// into `out`, returning the number of bytes written.
pub fn write_rtp(header: &RtpHeader, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
    if header.payload_type > 127 {
        return Err(RtpError::BadPayloadType {
            payload_type: header.payload_type,
        });
    }
    let needed = RTP_HEADER_LEN + payload.len();
    if out.len() < needed {
        return Err(RtpError::BufferTooSmall {
            needed,
            capacity: out.len(),
        });
    }
    out[0] = 0x80;
    out[1] = (u8::from(header.marker) << 7) | header.payload_type;
    out[2..4].copy_from_slice(&header.sequence.to_be_bytes());
    out[4..8].copy_from_slice(&header.timestamp.to_be_bytes());
    out[8..12].copy_from_slice(&header.ssrc.to_be_bytes());
    out[RTP_HEADER_LEN..needed].copy_from_slice(payload);
    Ok(needed)
}

/// Why an RFC 4733 payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TelephoneEventError {
    #[error("telephone-event payload of {len} bytes is shorter than 4")]
    TooShort { len: usize },
}

/// One RFC 4733 named event report (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0–9, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash.
    pub event: u8,
    /// Set on the final report(s) of the event.
    pub end: bool,
    /// Volume in -dBm0 (0..=63).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event report of a payload (senders put one per packet in practice;
    /// RFC 4733 allows redundant reports after it, which a receiver may ignore).
    pub fn parse(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(TelephoneEventError::TooShort { len: payload.len() });
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The 4-byte wire form.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// The DTMF key this event stands for, if it is one (events 0–15).
    pub fn digit(&self) -> Option<char> {
        dtmf_digit(self.event)
    }
}

/// Maps an RFC 4733 DTMF event code to its key.
pub fn dtmf_digit(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + (event - 12)),
        _ => return None,
    })
}

/// Maps a DTMF key to its RFC 4733 event code.
pub fn dtmf_event(digit: char) -> Option<u8> {
    Some(match digit {
        '0'..='9' => digit as u8 - b'0',
        '*' => 10,
        '#' => 11,
        'A'..='D' => digit as u8 - b'A' + 12,
        'a'..='d' => digit as u8 - b'a' + 12,
        _ => return None,
    })
}

/// Reports each DTMF key once, however many reports of its event arrive.
///
/// All reports of one event share the RTP timestamp of its start (RFC 4733 §2.5.1.2), and the
/// end report is sent three times; so an event is new exactly when its timestamp differs from the
/// last one seen. Reporting on the first report (not the end) gives the key with no delay.
#[derive(Debug, Default, Clone)]
pub struct DtmfDeduplicator {
    last_event_timestamp: Option<u32>,
}

impl DtmfDeduplicator {
    /// The key to report for this packet, or `None` if it continues an event already reported
    /// (or is not a DTMF key).
    pub fn observe(&mut self, rtp_timestamp: u32, event: &TelephoneEvent) -> Option<char> {
        if self.last_event_timestamp == Some(rtp_timestamp) {
            return None;
        }
        self.last_event_timestamp = Some(rtp_timestamp);
        event.digit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header() -> RtpHeader {
        RtpHeader {
            marker: true,
            payload_type: 0,
            sequence: 0xBEEF,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x0102_0304,
        }
    }

    #[test]
    fn written_packet_parses_back() {
        let mut buf = [0u8; 200];
        let n = write_rtp(&header(), &[7u8; 160], &mut buf).unwrap();
        assert_eq!(n, 172);
        let packet = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(packet.header, header());
        assert_eq!(packet.payload, &[7u8; 160][..]);
        assert_eq!(packet.csrcs().len(), 0);
        assert!(packet.extension.is_none());
    }

    #[test]
    fn csrcs_extension_and_padding_are_separated_from_the_payload() {
        let mut buf = vec![0xB1, 0x08, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        buf.extend_from_slice(&[0, 0, 0, 9]); // one CSRC
        buf.extend_from_slice(&[0xBE, 0xDE, 0, 1, 1, 2, 3, 4]); // one-word extension
        buf.extend_from_slice(&[0xAA, 0xBB]); // payload
        buf.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let packet = RtpPacket::parse(&buf).unwrap();
        assert_eq!(packet.header.payload_type, 8);
        assert_eq!(packet.csrcs().collect::<Vec<_>>(), vec![9]);
        let ext = packet.extension.unwrap();
        assert_eq!((ext.profile, ext.data), (0xBEDE, &[1, 2, 3, 4][..]));
        assert_eq!(packet.payload, &[0xAA, 0xBB]);
        assert_eq!(packet.padding, 3);
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        assert_eq!(
            RtpPacket::parse(&[0x80; 5]),
            Err(RtpError::TooShort { len: 5 })
        );
        let mut v1 = [0u8; 12];
        v1[0] = 0x40;
        assert_eq!(
            RtpPacket::parse(&v1),
            Err(RtpError::BadVersion { version: 1 })
        );
        let mut csrc = [0u8; 16];
        csrc[0] = 0x82;
        assert!(matches!(
            RtpPacket::parse(&csrc),
            Err(RtpError::TruncatedCsrcs { count: 2, .. })
        ));
        let mut ext = [0u8; 16];
        ext[0] = 0x90;
        ext[14] = 0xFF; // 0xFF.. words of extension data
        assert!(matches!(
            RtpPacket::parse(&ext),
            Err(RtpError::TruncatedExtension { .. })
        ));
        let mut pad = [0u8; 14];
        pad[0] = 0xA0;
        pad[13] = 9;
        assert_eq!(
            RtpPacket::parse(&pad),
            Err(RtpError::BadPadding {
                padding: 9,
                available: 2
            })
        );
        pad[13] = 0;
        assert!(matches!(
            RtpPacket::parse(&pad),
            Err(RtpError::BadPadding { padding: 0, .. })
        ));
    }

    #[test]
    fn write_refuses_small_buffers_and_bad_payload_types() {
        let mut small = [0u8; 20];
        assert_eq!(
            write_rtp(&header(), &[0; 10], &mut small),
            Err(RtpError::BufferTooSmall {
                needed: 22,
                capacity: 20
            })
        );
        let bad = RtpHeader {
            payload_type: 200,
            ..header()
        };
        assert!(write_rtp(&bad, &[], &mut [0u8; 20]).is_err());
    }

    #[test]
    fn rtcp_is_recognised() {
        assert!(looks_like_rtcp(&[0x80, 200, 0, 6]));
        assert!(!looks_like_rtcp(&[0x80, 0, 0, 6]));
        assert!(!looks_like_rtcp(&[0x80, 0x80 | 101, 0, 6]));
    }

    #[test]
    fn telephone_events_parse_and_map_to_keys() {
        let ev = TelephoneEvent::parse(&[11, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(
            ev,
            TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(ev.digit(), Some('#'));
        assert_eq!(TelephoneEvent::parse(&ev.to_bytes()).unwrap(), ev);
        assert_eq!(
            TelephoneEvent::parse(&[1, 2]),
            Err(TelephoneEventError::TooShort { len: 2 })
        );
        for code in 0..16 {
            assert_eq!(dtmf_event(dtmf_digit(code).unwrap()), Some(code));
        }
        assert_eq!(dtmf_digit(16), None);
        assert_eq!(dtmf_event('x'), None);
    }

    #[test]
    fn each_event_is_reported_once() {
        let mut dedup = DtmfDeduplicator::default();
        let start = TelephoneEvent::parse(&[5, 0x0A, 0, 160]).unwrap();
        let end = TelephoneEvent::parse(&[5, 0x8A, 3, 32]).unwrap();
        assert_eq!(dedup.observe(1000, &start), Some('5'));
        assert_eq!(dedup.observe(1000, &start), None);
        for _ in 0..3 {
            assert_eq!(dedup.observe(1000, &end), None);
        }
        // The same key pressed again is a new event with a new timestamp.
        assert_eq!(dedup.observe(2600, &start), Some('5'));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(packet) = RtpPacket::parse(&bytes) {
                prop_assert!(packet.payload.len() <= bytes.len());
            }
            let _ = TelephoneEvent::parse(&bytes);
        }

        #[test]
        fn write_then_parse_round_trips(
            marker in any::<bool>(), pt in 0u8..128, seq in any::<u16>(), ts in any::<u32>(),
            ssrc in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let h = RtpHeader { marker, payload_type: pt, sequence: seq, timestamp: ts, ssrc };
            let mut buf = [0u8; 400];
            let n = write_rtp(&h, &payload, &mut buf).unwrap();
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            prop_assert_eq!(p.header, h);
            prop_assert_eq!(p.payload, &payload[..]);
        }
    }
}
