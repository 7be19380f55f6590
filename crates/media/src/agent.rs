//! An agent's persistent WebRTC media session on str0m: one UDP port, one task.
//!
//! The session is set up when the softphone logs in (ICE-lite, DTLS-SRTP, PCMU only, so audio
//! is relayed and never transcoded) and stays up between calls; bridging a call only tells the
//! task where to send the browser's audio and makes it write the customer's audio into str0m.
//! One port per session lets the kernel demultiplex (no lookup of the session by ICE username
//! or address on the hot path) and lets sessions run in parallel on every core.

use std::net::SocketAddr;
use std::sync::Once;
use std::time::{Duration, Instant};

use callbridge_core::AgentId;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::config::DtlsCert;
use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::sleep_until;

use crate::events::{DisconnectReason, MediaEvent};
use crate::frame::{next_from_peer, BridgeEnd, Frame, Payload, PayloadKind};
use crate::ports::PortLease;
use crate::rewrite::StreamRewriter;

/// The telephone-event payload type we prefer; a browser's offer decides the one used.
const TELEPHONE_EVENT_PT: u8 = 101;

/// Why a browser's offer could not be answered.
#[derive(Debug, Error)]
pub enum WebRtcError {
    /// The offer is not `{"type":"offer","sdp":"..."}` (the message says which part).
    #[error("{0}; send the RTCPeerConnection's localDescription after createOffer, as {{\"type\":\"offer\",\"sdp\":\"...\"}}")]
    OfferShape(String),
    /// The SDP text cannot be read (the parser's reason, without its internal positions).
    #[error(
        "the offer's SDP cannot be read ({0}); send the SDP the RTCPeerConnection made, unchanged"
    )]
    OfferSdp(String),
    #[error("the offer cannot be answered: {0}")]
    Negotiation(String),
    #[error("the ICE candidate {addr} is unusable: {reason}")]
    Candidate { addr: SocketAddr, reason: String },
    #[error(
        "the offer has no audio in PCMU (G.711 µ-law, payload type 0), the only codec the \
         server speaks; offer an audio transceiver with PCMU"
    )]
    NoPcmu,
}

/// Installs aws-lc-rs as str0m's crypto provider, once per process.
pub(crate) fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| str0m::crypto::from_feature_flags().install_process_default());
}

/// One DTLS certificate for every session of the process. Generating a key pair per session
/// costs CPU at every login and memory per session; sharing it is safe because DTLS derives
/// fresh SRTP keys per handshake (ECDHE), the certificate only authenticates the fingerprint
/// in our SDP. `None` (generation failed) makes str0m generate one per session.
pub(crate) fn shared_dtls_cert() -> Option<DtlsCert> {
    str0m::crypto::from_feature_flags()
        .dtls_provider
        .generate_certificate()
}

/// The server side's str0m configuration: ICE-lite, PCMU and telephone-event only.
pub(crate) fn server_config(cert: Option<&DtlsCert>) -> RtcConfig {
    let mut config = RtcConfig::new()
        .set_ice_lite(true)
        .clear_codecs()
        .enable_pcmu(true, false);
    if let Some(cert) = cert {
        config = config.set_dtls_cert(cert.clone());
    }
    add_telephone_event(&mut config);
    config
}

pub(crate) fn add_telephone_event(config: &mut RtcConfig) {
    config.codec_config().add_config(
        TELEPHONE_EVENT_PT.into(),
        None,
        Codec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        FormatParams {
            telephone_event_max: Some(16),
            ..FormatParams::default()
        },
    );
}

/// Answers a browser's offer (`{"type":"offer","sdp":...}`) with a session whose only
/// candidate is `public_addr`. Returns the session and the answer as JSON.
pub(crate) fn answer_offer(
    public_addr: SocketAddr,
    offer_json: &str,
    cert: Option<&DtlsCert>,
) -> Result<(Rtc, String), WebRtcError> {
    let offer = read_offer(offer_json)?;
    // str0m answers an offer it shares no codec with by rejecting the m-line (port 0), which
    // a browser accepts silently: the agent would hear nothing. Refuse it with the reason.
    if !offers_pcmu(&offer.to_sdp_string()) {
        return Err(WebRtcError::NoPcmu);
    }
    let mut rtc = server_config(cert).build(Instant::now());
    let candidate = Candidate::host(public_addr, "udp").map_err(|e| WebRtcError::Candidate {
        addr: public_addr,
        reason: e.to_string(),
    })?;
    rtc.add_local_candidate(candidate);
    let answer: SdpAnswer = rtc
        .sdp_api()
        .accept_offer(offer)
        .map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
    let json =
        serde_json::to_string(&answer).map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
    Ok((rtc, json))
}

/// Reads `{"type":"offer","sdp":"..."}`, saying what is wrong in words a client developer can act
/// on. str0m's own errors are not passed on as they are: its SDP parser's message is a Debug dump
/// holding memory addresses (`PointerOffset(0x7f…)`).
fn read_offer(offer_json: &str) -> Result<SdpOffer, WebRtcError> {
    let description: serde_json::Value = serde_json::from_str(offer_json).map_err(|e| {
        WebRtcError::OfferShape(format!("the offer is not a session description ({e})"))
    })?;
    let text = |field: &str| match description.get(field) {
        Some(serde_json::Value::String(value)) => Ok(value.as_str()),
        Some(_) => Err(WebRtcError::OfferShape(format!(
            "the offer's `{field}` is not a string"
        ))),
        None => Err(WebRtcError::OfferShape(format!(
            "the offer is not a session description (missing field `{field}`)"
        ))),
    };
    let kind = text("type")?;
    if kind != "offer" {
        return Err(WebRtcError::OfferShape(format!(
            "the session description's type is {kind:?}, not \"offer\""
        )));
    }
    SdpOffer::from_sdp_string(text("sdp")?)
        .map_err(|e| WebRtcError::OfferSdp(sdp_parse_reason(&e.to_string())))
}

/// The readable part of str0m's SDP parse error: its "Unexpected …" and "Expected …" lines, with
/// the parser's internal positions and escapes removed, at most 200 characters.
fn sdp_parse_reason(error: &str) -> String {
    let unescaped = error.replace("\\n", "\n").replace("\\\"", "\"");
    let lines: Vec<&str> = unescaped
        .lines()
        .map(|line| line.trim().trim_end_matches("\")").trim_end_matches('"'))
        .filter(|line| line.starts_with("Unexpected") || line.starts_with("Expected"))
        .collect();
    let reason = if lines.is_empty() {
        "not SDP".to_string()
    } else {
        lines.join("; ")
    };
    match reason.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &reason[..cut]),
        None => reason,
    }
}

/// Whether an SDP offers PCMU on an audio m-line: payload type 0 (PCMU by RFC 3551), or a
/// dynamic type mapped to `PCMU/8000`.
fn offers_pcmu(sdp: &str) -> bool {
    // The formats of the audio m-line being read (None outside an active audio section).
    let mut formats: Option<Vec<&str>> = None;
    for line in sdp.lines().map(str::trim) {
        if let Some(media) = line.strip_prefix("m=") {
            let fields: Vec<&str> = media.split_whitespace().collect();
            let active_audio = fields.first() == Some(&"audio") && fields.get(1) != Some(&"0");
            formats = active_audio.then(|| fields.iter().skip(3).copied().collect());
            if formats.as_ref().is_some_and(|f| f.contains(&"0")) {
                return true;
            }
        } else if let (Some(formats), Some(map)) = (&formats, line.strip_prefix("a=rtpmap:")) {
            if let Some((pt, codec)) = map.split_once(' ') {
                if formats.contains(&pt) && codec.to_ascii_uppercase().starts_with("PCMU/8000") {
                    return true;
                }
            }
        }
    }
    false
}

/// Commands from the [`crate::Media`] handle.
#[derive(Debug)]
pub(crate) enum AgentControl {
    Attach(BridgeEnd),
    Detach,
}

pub(crate) struct AgentSession {
    pub agent: AgentId,
    pub rtc: Rtc,
    pub socket: UdpSocket,
    pub lease: PortLease,
    /// The address in our ICE candidate (str0m matches received datagrams against it).
    pub public_addr: SocketAddr,
    pub control: mpsc::UnboundedReceiver<AgentControl>,
    pub events: mpsc::UnboundedSender<MediaEvent>,
    pub timeout: Duration,
}

/// The outgoing (towards the browser) audio state.
struct Outgoing {
    mid: Option<Mid>,
    pcmu: Option<Pt>,
    /// str0m wants a monotonic 64-bit media time; RTP timestamps wrap at 32 bits.
    extended: u64,
    last_timestamp: Option<u32>,
    rewriter: StreamRewriter,
}

impl Outgoing {
    fn media_time(&mut self, timestamp: u32) -> MediaTime {
        match self.last_timestamp {
            None => self.extended = (1u64 << 32) + u64::from(timestamp),
            Some(last) => {
                let delta = timestamp.wrapping_sub(last) as i32;
                self.extended = self.extended.wrapping_add_signed(i64::from(delta));
            }
        }
        self.last_timestamp = Some(timestamp);
        MediaTime::new(self.extended, Frequency::EIGHT_KHZ)
    }
}

impl AgentSession {
    pub(crate) async fn run(self) {
        let AgentSession {
            agent,
            mut rtc,
            socket,
            lease,
            public_addr,
            mut control,
            events,
            timeout,
        } = self;
        let mut bridge: Option<BridgeEnd> = None;
        let mut connected = false;
        let mut out = Outgoing {
            mid: None,
            pcmu: None,
            extended: 0,
            last_timestamp: None,
            rewriter: StreamRewriter::random(),
        };
        // Identifies this browser's stream to the leg's rewriter (str0m hides the SSRC).
        let source_id: u32 = rand::random();
        let mut last_received = Instant::now();
        let str0m_timer = sleep_until(tokio::time::Instant::now());
        tokio::pin!(str0m_timer);
        let silence = sleep_until((last_received + timeout).into());
        tokio::pin!(silence);

        let reason = 'session: loop {
            // Drain everything str0m wants done, up to its next deadline.
            let deadline = loop {
                match rtc.poll_output() {
                    Ok(Output::Timeout(at)) => break at,
                    Ok(Output::Transmit(transmit)) => {
                        let _ = socket.try_send_to(&transmit.contents, transmit.destination);
                    }
                    Ok(Output::Event(event)) => match event {
                        Event::Connected => {
                            connected = true;
                            let _ = events.send(MediaEvent::AgentConnected {
                                agent: agent.clone(),
                            });
                        }
                        Event::IceConnectionStateChange(IceConnectionState::Disconnected)
                        | Event::Closed => break 'session Some(DisconnectReason::PeerGone),
                        Event::MediaAdded(added) => out.mid = Some(added.mid),
                        Event::MediaData(data) => {
                            let Some(leg) = &bridge else {
                                continue;
                            };
                            let kind = match data.params.spec().codec {
                                Codec::PCMU => PayloadKind::Pcmu,
                                Codec::Tele => PayloadKind::TelephoneEvent,
                                _ => continue,
                            };
                            let Some(payload) = Payload::copy_from(&data.data) else {
                                continue;
                            };
                            let frame = Frame {
                                received_at: data.network_time,
                                kind,
                                ssrc: source_id,
                                sequence: **data.seq_range.start() as u16,
                                timestamp: data.time.numer() as u32,
                                marker: false,
                                payload,
                            };
                            // Full means the leg is stalled: drop rather than delay the call.
                            let _ = leg.to_peer.try_send(frame);
                        }
                        _ => {}
                    },
                    Err(error) => {
                        tracing::warn!(%agent, %error, "agent session failed");
                        break 'session Some(DisconnectReason::PeerGone);
                    }
                }
            };
            if !rtc.is_alive() {
                break Some(DisconnectReason::PeerGone);
            }
            // Re-arming a timer costs more than an early wake-up (str0m treats an early
            // timeout as a no-op), so only move the timer earlier, or re-arm a fired one.
            let deadline = tokio::time::Instant::from_std(deadline);
            if str0m_timer.is_elapsed() || deadline < str0m_timer.deadline() {
                str0m_timer.as_mut().reset(deadline);
            }

            tokio::select! {
                biased;
                command = control.recv() => match command {
                    Some(AgentControl::Attach(end)) => {
                        bridge = Some(end);
                        out.rewriter.switch_source();
                    }
                    Some(AgentControl::Detach) => {
                        bridge = None;
                        out.rewriter.switch_source();
                    }
                    None => break None,
                },
                readable = socket.readable() => {
                    if readable.is_ok() && drain_socket(&socket, &mut rtc, public_addr) {
                        last_received = Instant::now();
                    }
                }
                frame = next_from_peer(&mut bridge) => match frame {
                    Some(frame) if connected && frame.kind == PayloadKind::Pcmu => {
                        write_to_browser(&mut rtc, &mut out, &frame);
                    }
                    Some(_) => {}
                    None => bridge = None,
                },
                () = &mut str0m_timer => {
                    if let Err(error) = rtc.handle_input(Input::Timeout(Instant::now())) {
                        tracing::warn!(%agent, %error, "str0m timeout handling failed");
                    }
                }
                () = &mut silence => {
                    let deadline = last_received + timeout;
                    if Instant::now() >= deadline {
                        break Some(DisconnectReason::Silence);
                    }
                    silence.as_mut().reset(deadline.into());
                }
            }
        };
        rtc.disconnect();
        // Close the channels before reporting, so that a `connect` made in response to the
        // event already sees the session gone.
        drop(control);
        drop(bridge);
        if let Some(reason) = reason {
            tracing::info!(%agent, ?reason, "agent media session ended");
            let _ = events.send(MediaEvent::AgentDisconnected { agent, reason });
        }
        drop(lease);
    }
}

/// Feeds str0m every datagram waiting on the socket; true if there was at least one. The
/// buffer lives on the stack only while draining, so an idle session holds none.
fn drain_socket(socket: &UdpSocket, rtc: &mut Rtc, public_addr: SocketAddr) -> bool {
    let mut buf = [0u8; 2048];
    let mut any = false;
    while let Ok((len, source)) = socket.try_recv_from(&mut buf) {
        any = true;
        let Ok(contents) = buf[..len].try_into() else {
            continue;
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto: Protocol::Udp,
                source,
                destination: public_addr,
                contents,
            },
        );
        if let Err(error) = rtc.handle_input(input) {
            tracing::debug!(%error, "str0m refused a datagram");
        }
    }
    any
}

fn write_to_browser(rtc: &mut Rtc, out: &mut Outgoing, frame: &Frame) {
    let Some(mid) = out.mid else { return };
    if out.pcmu.is_none() {
        out.pcmu = rtc.writer(mid).and_then(|writer| {
            writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::PCMU)
                .map(|p| p.pt())
        });
    }
    let Some(pt) = out.pcmu else { return };
    let rewritten = out.rewriter.rewrite(
        Instant::now(),
        frame.ssrc,
        frame.sequence,
        frame.timestamp,
        frame.marker,
        frame.payload.as_bytes().len() as u32,
    );
    let time = out.media_time(rewritten.timestamp);
    let Some(writer) = rtc.writer(mid) else {
        return;
    };
    let result = writer.start_of_talkspurt(rewritten.marker).write(
        pt,
        frame.received_at,
        time,
        frame.payload.as_bytes(),
    );
    if let Err(error) = result {
        tracing::debug!(%error, "writing audio to the browser failed");
    }
}

#[cfg(test)]
mod tests {
    use super::{offers_pcmu, read_offer, WebRtcError};

    fn refusal(offer_json: &str) -> String {
        match read_offer(offer_json) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("{offer_json} was read as an offer"),
        }
    }

    #[test]
    fn a_bad_offer_is_refused_in_words_without_the_parsers_internals() {
        let not_json = refusal("hello");
        assert!(
            not_json.starts_with("the offer is not a session description"),
            "{not_json}"
        );
        let no_sdp = refusal(r#"{"type":"offer"}"#);
        assert!(no_sdp.contains("missing field `sdp`"), "{no_sdp}");
        let an_answer = refusal(r#"{"type":"answer","sdp":"v=0\r\n"}"#);
        assert!(
            an_answer.starts_with(r#"the session description's type is "answer""#),
            "{an_answer}"
        );
        let video_only = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
                          m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n\
                          a=rtpmap:96 VP8/90000\r\na=ice-ufrag:abcd\r\n\
                          a=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11\r\n\
                          a=setup:actpass\r\na=mid:0\r\n";
        for sdp in ["hello", "", video_only] {
            let json = serde_json::json!({"type": "offer", "sdp": sdp}).to_string();
            let message = refusal(&json);
            assert!(
                message.starts_with("the offer's SDP cannot be read ("),
                "{message}"
            );
            assert!(
                !message.contains("PointerOffset") && !message.contains("0x"),
                "{message}"
            );
            assert!(
                !message.contains('\n') && !message.contains("\\n"),
                "{message}"
            );
            assert!(message.chars().count() < 330, "{message}");
        }
        assert!(matches!(
            read_offer(r#"{"type":"offer","sdp":"x"}"#),
            Err(WebRtcError::OfferSdp(_))
        ));
    }

    #[test]
    fn an_offer_is_accepted_only_with_pcmu_on_an_active_audio_line() {
        let browser = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\na=rtpmap:111 opus/48000/2\r\n\
                       a=rtpmap:0 PCMU/8000\r\n";
        assert!(offers_pcmu(browser));
        let dynamic = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 pcmu/8000\r\n";
        assert!(offers_pcmu(dynamic));
        let opus_only = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
        assert!(!offers_pcmu(opus_only));
        let video_pcmu = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n";
        assert!(!offers_pcmu(video_pcmu));
        let rejected = "v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\n";
        assert!(!offers_pcmu(rejected));
    }
}
