//! The trunk side's SDP (RFC 4566 / RFC 3264), reduced to what a PCMU relay needs.
//!
//! [`TrunkSdp::parse`] reads a carrier's offer or answer: where to send audio (`c=` and the
//! first usable `m=audio`), which payload type carries PCMU and which carries
//! `telephone-event/8000`, the packet time and the direction (hold by `a=sendonly`/`inactive`
//! or by the old `c=0.0.0.0` convention). [`LocalSdp`] renders our side: PCMU plus
//! telephone-event at our public address. The input is hostile (it comes from the network), so
//! sizes are bounded and every refusal is an [`SdpError`] saying what was wrong; nothing panics.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

/// Largest SDP body accepted. Real offers are well under 2 kB; this leaves room for long
/// codec lists while bounding the work a hostile peer can make us do.
pub const MAX_SDP_BYTES: usize = 16 * 1024;
/// Most `m=` sections read before giving up.
pub const MAX_MEDIA_SECTIONS: usize = 16;
/// Most payload types on one `m=` line.
pub const MAX_PAYLOAD_TYPES: usize = 64;

/// PCMU's static payload type (RFC 3551).
pub const PCMU_PAYLOAD_TYPE: u8 = 0;
/// The payload type we use for telephone-event when we make the offer.
pub const DEFAULT_TELEPHONE_EVENT_PT: u8 = 101;

/// Why an SDP body was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    #[error("SDP body of {len} bytes exceeds the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("SDP is not UTF-8 text")]
    NotText,
    #[error("SDP line {line} is not of the form `x=value`: {text:?}")]
    MalformedLine { line: usize, text: String },
    #[error("SDP has more than {max} media sections")]
    TooManyMedia { max: usize },
    #[error("SDP line {line}: bad connection line {text:?}")]
    BadConnection { line: usize, text: String },
    #[error("SDP line {line}: bad media line {text:?}")]
    BadMedia { line: usize, text: String },
    #[error("SDP line {line}: {text:?} has more than {max} payload types")]
    TooManyPayloadTypes {
        line: usize,
        text: String,
        max: usize,
    },
    #[error("SDP has no audio media section")]
    NoAudio,
    #[error("no usable codec: PCMU/8000 is not among the offered payload types {offered:?}")]
    NoUsableCodec { offered: Vec<u8> },
    #[error("the audio section has no connection address (no c= line at session or media level)")]
    NoConnection,
    #[error("the audio section uses transport {transport:?}, only RTP/AVP is supported")]
    UnsupportedTransport { transport: String },
}

/// Which way media flows, from the point of view of the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The direction an answer takes towards an offer with this direction (RFC 3264 §6.1).
    pub fn answer_to(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// Whether the author of the SDP will send media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author of the SDP wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attribute(name: &str) -> Option<Direction> {
        Some(match name {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// What the relay needs to know from a peer's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkSdp {
    /// The audio connection address (`0.0.0.0` means "on hold", RFC 2543 style).
    pub address: IpAddr,
    /// The audio port (0 means the stream was rejected or disabled).
    pub port: u16,
    /// The payload type carrying PCMU (0 unless the peer mapped PCMU to a dynamic type).
    pub pcmu_payload_type: u8,
    /// The payload type of `telephone-event/8000`, when offered.
    pub telephone_event_payload_type: Option<u8>,
    /// `a=ptime`, in milliseconds, when present.
    pub ptime_ms: Option<u32>,
    /// The direction of the audio section (media level overrides session level).
    pub direction: Direction,
}

impl TrunkSdp {
    /// Parses a peer's SDP offer or answer.
    pub fn parse(text: &[u8]) -> Result<TrunkSdp, SdpError> {
        if text.len() > MAX_SDP_BYTES {
            return Err(SdpError::TooLarge {
                len: text.len(),
                max: MAX_SDP_BYTES,
            });
        }
        let text = std::str::from_utf8(text).map_err(|_| SdpError::NotText)?;
        let mut session = SectionAttrs::default();
        let mut media: Vec<MediaSection> = Vec::new();

        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw).trim_end();
            if line.is_empty() {
                continue;
            }
            let (kind, value) = match line.as_bytes() {
                [k, b'=', ..] => (*k, &line[2..]),
                _ => {
                    return Err(SdpError::MalformedLine {
                        line: line_no,
                        text: clip(line),
                    })
                }
            };
            if kind == b'm' {
                if media.len() == MAX_MEDIA_SECTIONS {
                    return Err(SdpError::TooManyMedia {
                        max: MAX_MEDIA_SECTIONS,
                    });
                }
                media.push(MediaSection::parse(line_no, value)?);
                continue;
            }
            let attrs = match media.last_mut() {
                Some(section) => &mut section.attrs,
                None => &mut session,
            };
            match kind {
                b'c' => attrs.connection = Some(parse_connection(line_no, value)?),
                b'a' => attrs.attribute(value),
                _ => {}
            }
        }

        let audio = media
            .iter()
            .filter(|m| m.media == "audio")
            .find(|m| m.port != 0)
            .or_else(|| media.iter().find(|m| m.media == "audio"))
            .ok_or(SdpError::NoAudio)?;
        if !audio.transport.eq_ignore_ascii_case("RTP/AVP") {
            return Err(SdpError::UnsupportedTransport {
                transport: clip(&audio.transport),
            });
        }
        // Static payload type 0 is PCMU without an rtpmap (RFC 3551), unless the offer
        // explicitly maps 0 to something else.
        let zero_remapped = audio.attrs.rtpmaps.iter().any(|(pt, name, clock)| {
            *pt == PCMU_PAYLOAD_TYPE && !(name.eq_ignore_ascii_case("PCMU") && *clock == 8000)
        });
        let pcmu = audio
            .find_codec("PCMU", 8000)
            .or_else(|| {
                (audio.payload_types.contains(&PCMU_PAYLOAD_TYPE) && !zero_remapped).then_some(0)
            })
            .ok_or_else(|| SdpError::NoUsableCodec {
                offered: audio.payload_types.clone(),
            })?;
        // DTMF needs a payload type of its own.
        let telephone_event = audio
            .find_codec("telephone-event", 8000)
            .filter(|pt| *pt != pcmu);
        let address = audio
            .attrs
            .connection
            .or(session.connection)
            .ok_or(SdpError::NoConnection)?;
        Ok(TrunkSdp {
            address,
            port: audio.port,
            pcmu_payload_type: pcmu,
            telephone_event_payload_type: telephone_event,
            ptime_ms: audio.attrs.ptime_ms.or(session.ptime_ms),
            direction: audio
                .attrs
                .direction
                .or(session.direction)
                .unwrap_or_default(),
        })
    }

    /// Where to send audio, or `None` when the peer asks for none (hold by `0.0.0.0`, port 0,
    /// or a direction in which the peer does not receive).
    pub fn media_destination(&self) -> Option<SocketAddr> {
        if self.port == 0 || self.address.is_unspecified() || !self.direction.receives() {
            return None;
        }
        Some(SocketAddr::new(self.address, self.port))
    }

    /// Whether the peer put the call on hold (it will neither receive nor, usually, send).
    pub fn is_hold(&self) -> bool {
        self.address.is_unspecified() || !self.direction.receives()
    }
}

#[derive(Debug, Default)]
struct SectionAttrs {
    connection: Option<IpAddr>,
    direction: Option<Direction>,
    ptime_ms: Option<u32>,
    /// `a=rtpmap` entries: payload type, encoding name, clock rate.
    rtpmaps: Vec<(u8, String, u32)>,
}

impl SectionAttrs {
    fn attribute(&mut self, value: &str) {
        let (name, arg) = value.split_once(':').unwrap_or((value, ""));
        if let Some(direction) = Direction::from_attribute(name) {
            self.direction = Some(direction);
        } else if name == "ptime" {
            self.ptime_ms = arg.trim().parse().ok().filter(|ms| (1..=1000).contains(ms));
        } else if name == "rtpmap" && self.rtpmaps.len() < MAX_PAYLOAD_TYPES {
            // rtpmap:<pt> <encoding>/<clock>[/<channels>]; malformed ones are ignored, as an
            // unknown codec would be.
            let Some((pt, encoding)) = arg.split_once(' ') else {
                return;
            };
            let mut parts = encoding.trim().split('/');
            let (Ok(pt), Some(name), Some(Ok(clock))) = (
                pt.parse::<u8>(),
                parts.next(),
                parts.next().map(str::parse::<u32>),
            ) else {
                return;
            };
            self.rtpmaps.push((pt, clip(name), clock));
        }
    }
}

#[derive(Debug)]
struct MediaSection {
    media: String,
    port: u16,
    transport: String,
    payload_types: Vec<u8>,
    attrs: SectionAttrs,
}

impl MediaSection {
    fn parse(line: usize, value: &str) -> Result<MediaSection, SdpError> {
        let bad = || SdpError::BadMedia {
            line,
            text: clip(value),
        };
        let mut fields = value.split_ascii_whitespace();
        let media = fields.next().ok_or_else(bad)?;
        // `<port>/<count>` is legal; the count does not matter for one audio stream.
        let port = fields.next().ok_or_else(bad)?;
        let port = port.split('/').next().unwrap_or(port);
        let port: u16 = port.parse().map_err(|_| bad())?;
        let transport = fields.next().ok_or_else(bad)?;
        let mut payload_types = Vec::new();
        for format in fields {
            if payload_types.len() == MAX_PAYLOAD_TYPES {
                return Err(SdpError::TooManyPayloadTypes {
                    line,
                    text: clip(value),
                    max: MAX_PAYLOAD_TYPES,
                });
            }
            match format.parse::<u8>() {
                Ok(pt) if pt <= 127 => payload_types.push(pt),
                // Non-RTP formats in a non-audio section are none of our business.
                _ if media != "audio" => {}
                _ => return Err(bad()),
            }
        }
        Ok(MediaSection {
            media: clip(media),
            port,
            transport: clip(transport),
            payload_types,
            attrs: SectionAttrs::default(),
        })
    }

    /// The offered payload type mapped to `encoding/clock`, in the peer's preference order.
    fn find_codec(&self, encoding: &str, clock: u32) -> Option<u8> {
        self.payload_types.iter().copied().find(|pt| {
            self.attrs
                .rtpmaps
                .iter()
                .any(|(p, name, c)| p == pt && *c == clock && name.eq_ignore_ascii_case(encoding))
        })
    }
}

fn parse_connection(line: usize, value: &str) -> Result<IpAddr, SdpError> {
    let bad = || SdpError::BadConnection {
        line,
        text: clip(value),
    };
    let mut fields = value.split_ascii_whitespace();
    let (Some("IN"), Some(family), Some(address)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err(bad());
    };
    // A multicast address may carry `/ttl[/count]`; we only take the address itself.
    let address = address.split('/').next().unwrap_or(address);
    let ip: IpAddr = address.parse().map_err(|_| bad())?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Ok(ip),
        _ => Err(bad()),
    }
}

/// Keeps error messages bounded whatever a peer sends.
fn clip(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Our side of the trunk's audio: rendered as an offer or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSdp {
    /// The address put in `o=` and `c=` (the configured public IP).
    pub public_ip: IpAddr,
    pub port: u16,
    /// `o=` session id: fixed for the life of the leg.
    pub session_id: u64,
    /// `o=` version: must grow with every new offer or answer of the same session.
    pub session_version: u64,
    pub direction: Direction,
    /// Telephone-event payload type; `None` leaves DTMF out (the peer did not offer it).
    pub telephone_event_payload_type: Option<u8>,
    pub pcmu_payload_type: u8,
}

impl LocalSdp {
    /// The SDP text (CRLF line ends, as SIP requires).
    pub fn render(&self) -> String {
        let family = match self.public_ip {
            IpAddr::V4(_) => "IP4",
            IpAddr::V6(_) => "IP6",
        };
        let mut formats = self.pcmu_payload_type.to_string();
        if let Some(pt) = self.telephone_event_payload_type {
            let _ = write!(formats, " {pt}");
        }
        let mut sdp = String::with_capacity(320);
        let _ = write!(
            sdp,
            "v=0\r\n\
             o=callbridge {id} {version} IN {family} {ip}\r\n\
             s=callbridge\r\n\
             c=IN {family} {ip}\r\n\
             t=0 0\r\n\
             m=audio {port} RTP/AVP {formats}\r\n\
             a=rtpmap:{pcmu} PCMU/8000\r\n",
            id = self.session_id,
            version = self.session_version,
            ip = self.public_ip,
            port = self.port,
            pcmu = self.pcmu_payload_type,
        );
        if let Some(pt) = self.telephone_event_payload_type {
            let _ = write!(
                sdp,
                "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
            );
        }
        let _ = write!(sdp, "a=ptime:20\r\na={}\r\n", self.direction.attribute());
        sdp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CARRIER_OFFER: &str = "v=0\r\n\
        o=- 1 1 IN IP4 203.0.113.5\r\n\
        s=-\r\n\
        c=IN IP4 203.0.113.5\r\n\
        t=0 0\r\n\
        m=audio 30000 RTP/AVP 8 0 18 96\r\n\
        a=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:96 telephone-event/8000\r\n\
        a=fmtp:96 0-15\r\n\
        a=ptime:20\r\n\
        a=sendrecv\r\n";

    #[test]
    fn a_carrier_offer_yields_address_codecs_and_direction() {
        let sdp = TrunkSdp::parse(CARRIER_OFFER.as_bytes()).unwrap();
        assert_eq!(
            sdp,
            TrunkSdp {
                address: "203.0.113.5".parse().unwrap(),
                port: 30000,
                pcmu_payload_type: 0,
                telephone_event_payload_type: Some(96),
                ptime_ms: Some(20),
                direction: Direction::SendRecv,
            }
        );
        assert_eq!(
            sdp.media_destination(),
            Some("203.0.113.5:30000".parse().unwrap())
        );
        assert!(!sdp.is_hold());
    }

    #[test]
    fn payload_type_zero_mapped_to_another_codec_is_not_pcmu() {
        let offer = b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 telephone-event/8000\r\n";
        assert!(matches!(
            TrunkSdp::parse(offer),
            Err(SdpError::NoUsableCodec { .. })
        ));
        let offer = b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
        let sdp = TrunkSdp::parse(offer).unwrap();
        assert_eq!(sdp.pcmu_payload_type, 0);
    }

    #[test]
    fn static_pcmu_without_rtpmap_and_bare_lf_lines_are_accepted() {
        let sdp = TrunkSdp::parse(b"v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\n").unwrap();
        assert_eq!(sdp.pcmu_payload_type, 0);
        assert_eq!(sdp.telephone_event_payload_type, None);
        assert_eq!(sdp.direction, Direction::SendRecv);
    }

    #[test]
    fn media_level_connection_and_direction_override_session_level() {
        let sdp = TrunkSdp::parse(
            b"v=0\r\nc=IN IP4 10.0.0.1\r\na=sendrecv\r\nm=audio 4000 RTP/AVP 0\r\n\
              c=IN IP6 2001:db8::1\r\na=sendonly\r\n",
        )
        .unwrap();
        assert_eq!(sdp.address, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(sdp.direction, Direction::SendOnly);
        assert_eq!(sdp.media_destination(), None);
        assert!(sdp.is_hold());
    }

    #[test]
    fn hold_by_zero_address() {
        let sdp =
            TrunkSdp::parse(b"v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n").unwrap();
        assert!(sdp.is_hold());
        assert_eq!(sdp.media_destination(), None);
    }

    #[test]
    fn the_first_enabled_audio_section_is_used() {
        let sdp = TrunkSdp::parse(
            b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 5000 RTP/AVP 96\r\nm=audio 0 RTP/AVP 0\r\n\
              m=audio 6000 RTP/AVP 0\r\n",
        )
        .unwrap();
        assert_eq!(sdp.port, 6000);
    }

    #[test]
    fn no_usable_codec_is_its_own_error() {
        let err = TrunkSdp::parse(b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8 18\r\n")
            .unwrap_err();
        assert_eq!(
            err,
            SdpError::NoUsableCodec {
                offered: vec![8, 18]
            }
        );
        // A dynamic type mapped to another codec does not count as PCMU.
        let err = TrunkSdp::parse(
            b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n",
        )
        .unwrap_err();
        assert!(matches!(err, SdpError::NoUsableCodec { .. }));
    }

    #[test]
    fn hostile_input_gets_clear_errors() {
        let big = vec![b'a'; MAX_SDP_BYTES + 1];
        assert!(matches!(
            TrunkSdp::parse(&big),
            Err(SdpError::TooLarge { .. })
        ));
        assert_eq!(TrunkSdp::parse(&[0xFF, 0xFE]), Err(SdpError::NotText));
        assert!(matches!(
            TrunkSdp::parse(b"v=0\r\nnonsense\r\n"),
            Err(SdpError::MalformedLine { line: 2, .. })
        ));
        assert!(matches!(
            TrunkSdp::parse(b"c=IN IP4 300.1.1.1\r\n"),
            Err(SdpError::BadConnection { line: 1, .. })
        ));
        assert!(matches!(
            TrunkSdp::parse(b"c=IN IP6 10.0.0.1\r\n"),
            Err(SdpError::BadConnection { .. })
        ));
        assert!(matches!(
            TrunkSdp::parse(b"m=audio 70000 RTP/AVP 0\r\n"),
            Err(SdpError::BadMedia { .. })
        ));
        assert!(matches!(
            TrunkSdp::parse(b"m=audio 4000 RTP/AVP 0 200\r\n"),
            Err(SdpError::BadMedia { .. })
        ));
        assert_eq!(TrunkSdp::parse(b"v=0\r\n"), Err(SdpError::NoAudio));
        assert_eq!(
            TrunkSdp::parse(b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(SdpError::NoConnection)
        );
        assert!(matches!(
            TrunkSdp::parse(b"c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/SAVP 0\r\n"),
            Err(SdpError::UnsupportedTransport { .. })
        ));
        let many_media = "m=audio 1 RTP/AVP 0\r\n".repeat(MAX_MEDIA_SECTIONS + 1);
        assert!(matches!(
            TrunkSdp::parse(many_media.as_bytes()),
            Err(SdpError::TooManyMedia { .. })
        ));
        let many_pts = format!(
            "m=audio 1 RTP/AVP{}\r\n",
            " 0".repeat(MAX_PAYLOAD_TYPES + 1)
        );
        assert!(matches!(
            TrunkSdp::parse(many_pts.as_bytes()),
            Err(SdpError::TooManyPayloadTypes { .. })
        ));
    }

    #[test]
    fn errors_quote_at_most_a_bounded_excerpt() {
        let line = format!("c=IN IP4 {}\r\n", "9".repeat(5000));
        let err = TrunkSdp::parse(line.as_bytes()).unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn our_answer_parses_back_as_what_we_meant() {
        let local = LocalSdp {
            public_ip: "198.51.100.7".parse().unwrap(),
            port: 40002,
            session_id: 42,
            session_version: 2,
            direction: Direction::SendOnly.answer_to(),
            telephone_event_payload_type: Some(96),
            pcmu_payload_type: 0,
        };
        let text = local.render();
        assert!(
            text.contains("o=callbridge 42 2 IN IP4 198.51.100.7\r\n"),
            "{text}"
        );
        let parsed = TrunkSdp::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.address, local.public_ip);
        assert_eq!(parsed.port, 40002);
        assert_eq!(parsed.telephone_event_payload_type, Some(96));
        assert_eq!(parsed.direction, Direction::RecvOnly);
        assert_eq!(parsed.ptime_ms, Some(20));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = TrunkSdp::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_sdp_shaped_text(
            lines in proptest::collection::vec(
                "(v=0|c=IN IP[46] [0-9a-f.:]{0,20}|m=audio [0-9]{1,6} RTP/AVP( [0-9]{1,3}){0,4}|a=rtpmap:[0-9]{1,3} [A-Za-z-]{1,16}/[0-9]{1,5}|a=(sendonly|recvonly|inactive|ptime:[0-9]{0,4})|[a-z]=.{0,10})",
                0..12,
            )
        ) {
            let text = lines.join("\r\n");
            if let Ok(sdp) = TrunkSdp::parse(text.as_bytes()) {
                let _ = sdp.media_destination();
            }
        }
    }
}
