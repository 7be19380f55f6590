//! A WebRTC "softphone" on str0m, for tests and benchmarks (feature `testing`).
//!
//! It plays the browser's part against [`crate::Media`]: makes an offer (full ICE, not lite),
//! applies the server's answer, connects over loopback UDP, sends PCMU every 20 ms once
//! connected (a tone, or time-stamped frames for latency measurement) and records what it
//! receives with arrival times.
//!
//! ```no_run
//! # async fn demo(media: callbridge_media::Media) {
//! use callbridge_media::testing::{Softphone, SoftphoneOptions};
//! let pending = Softphone::offer(SoftphoneOptions::tone(1200.0)).unwrap();
//! let answer = media.open_agent_session(&callbridge_core::AgentId::parse("acme:agent-1").unwrap(), pending.offer_json()).unwrap();
//! let phone = pending.accept(&answer).unwrap();
//! assert!(phone.wait_connected(std::time::Duration::from_secs(5)).await);
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callbridge_audio::{mulaw_decode, ToneGenerator, PCMU_FRAME_BYTES};
use parking_lot::Mutex;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt, TelephoneEvent};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::{interval_at, sleep_until, MissedTickBehavior};

use crate::agent::{add_telephone_event, install_crypto};

/// Why the test softphone could not start.
#[derive(Debug, Error)]
pub enum SoftphoneError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("WebRTC: {0}")]
    WebRtc(String),
}

/// What the softphone sends once connected.
#[derive(Debug, Clone, Copy)]
pub enum OutgoingAudio {
    /// A sine tone at this frequency.
    Tone(f64),
    /// Frames that carry their send time (see [`stamp_frame`]), for latency measurements.
    Stamped(Instant),
    /// Nothing at all (an idle agent: only ICE consent and RTCP flow).
    Nothing,
}

/// What the softphone keeps of what it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepReceived {
    /// Decoded audio of every frame.
    Audio,
    /// Only send stamps (see [`read_stamp`]) and arrival times: small enough for benchmarks.
    Stamps(Instant),
}

/// Options of a [`Softphone`].
#[derive(Debug, Clone, Copy)]
pub struct SoftphoneOptions {
    pub send: OutgoingAudio,
    pub keep: KeepReceived,
}

impl SoftphoneOptions {
    /// Sends a tone and keeps decoded audio.
    pub fn tone(freq_hz: f64) -> Self {
        SoftphoneOptions {
            send: OutgoingAudio::Tone(freq_hz),
            keep: KeepReceived::Audio,
        }
    }
}

/// One received frame.
#[derive(Debug, Clone)]
pub struct ReceivedFrame {
    pub at: Instant,
    /// RTP time at 8 kHz, as str0m extends it.
    pub rtp_time: u64,
    pub samples: Vec<i16>,
}

/// Latency of one stamped frame: when it was sent and when it arrived.
#[derive(Debug, Clone, Copy)]
pub struct StampedArrival {
    pub sent: Instant,
    pub arrived: Instant,
}

const STAMP_MAGIC: [u8; 4] = *b"CBts";

/// Writes `sent` (relative to `epoch`) into a PCMU frame so that the receiver can tell the
/// one-way delay; the relay passes payloads through untouched.
pub fn stamp_frame(epoch: Instant, sent: Instant, frame: &mut [u8]) {
    let nanos = sent.saturating_duration_since(epoch).as_nanos() as u64;
    frame[..4].copy_from_slice(&STAMP_MAGIC);
    frame[4..12].copy_from_slice(&nanos.to_le_bytes());
}

/// Reads the send time written by [`stamp_frame`].
pub fn read_stamp(epoch: Instant, frame: &[u8]) -> Option<Instant> {
    if frame.len() < 12 || frame[..4] != STAMP_MAGIC {
        return None;
    }
    let nanos = u64::from_le_bytes(frame[4..12].try_into().ok()?);
    Some(epoch + Duration::from_nanos(nanos))
}

/// Goertzel-based check of which tone dominates a signal: the candidate with the most power.
pub fn dominant_tone(samples: &[i16], candidates: &[f64]) -> Option<f64> {
    candidates
        .iter()
        .copied()
        .map(|f| (f, callbridge_audio::goertzel_power(samples, 8000, f)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, power)| *power > 0.0)
        .map(|(f, _)| f)
}

/// A softphone whose offer awaits the server's answer.
pub struct PendingSoftphone {
    rtc: Rtc,
    pending: SdpPendingOffer,
    socket: std::net::UdpSocket,
    local_addr: SocketAddr,
    offer_json: String,
    options: SoftphoneOptions,
    mid: Mid,
}

impl PendingSoftphone {
    /// The offer, as the browser's `{type, sdp}` JSON.
    pub fn offer_json(&self) -> &str {
        &self.offer_json
    }

    /// Applies the server's answer and starts the phone's task (needs a Tokio runtime).
    pub fn accept(mut self, answer_json: &str) -> Result<Softphone, SoftphoneError> {
        let answer: SdpAnswer = serde_json::from_str(answer_json)
            .map_err(|e| SoftphoneError::WebRtc(format!("answer JSON: {e}")))?;
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, answer)
            .map_err(|e| SoftphoneError::WebRtc(e.to_string()))?;
        let shared = Arc::new(Shared::default());
        let (connected_tx, connected) = watch::channel(false);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let task = PhoneTask {
            rtc: self.rtc,
            socket: UdpSocket::from_std(self.socket)?,
            local_addr: self.local_addr,
            options: self.options,
            mid: self.mid,
            shared: Arc::clone(&shared),
            connected: connected_tx,
            commands: commands_rx,
        };
        let handle = tokio::spawn(task.run());
        Ok(Softphone {
            shared,
            connected,
            commands,
            handle,
            local_addr: self.local_addr,
        })
    }
}

#[derive(Default)]
struct Shared {
    frames: Mutex<Vec<ReceivedFrame>>,
    stamps: Mutex<Vec<StampedArrival>>,
    received: AtomicU64,
    sent: AtomicU64,
    sending: AtomicBool,
}

enum Command {
    Tone(Option<f64>),
    Dtmf(char),
}

/// A connected (or connecting) test softphone. Dropping it stops its task.
pub struct Softphone {
    shared: Arc<Shared>,
    connected: watch::Receiver<bool>,
    commands: mpsc::UnboundedSender<Command>,
    handle: tokio::task::JoinHandle<()>,
    local_addr: SocketAddr,
}

impl Drop for Softphone {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Softphone {
    /// Creates the phone's offer, bound to an OS-chosen port on 127.0.0.1.
    pub fn offer(options: SoftphoneOptions) -> Result<PendingSoftphone, SoftphoneError> {
        install_crypto();
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        socket.set_nonblocking(true)?;
        let local_addr = socket.local_addr()?;
        let mut config = RtcConfig::new().clear_codecs().enable_pcmu(true, false);
        add_telephone_event(&mut config);
        let mut rtc = config.build(Instant::now());
        let candidate = Candidate::host(local_addr, "udp")
            .map_err(|e| SoftphoneError::WebRtc(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let mut api = rtc.sdp_api();
        // The offerer gets no MediaAdded event for its own media: keep the mid from here.
        let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| SoftphoneError::WebRtc("no offer produced".into()))?;
        let offer_json =
            serde_json::to_string(&offer).map_err(|e| SoftphoneError::WebRtc(e.to_string()))?;
        Ok(PendingSoftphone {
            rtc,
            pending,
            socket,
            local_addr,
            offer_json,
            options,
            mid,
        })
    }

    /// The phone's UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits until ICE and DTLS are up; false on timeout.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut connected = self.connected.clone();
        tokio::time::timeout(timeout, connected.wait_for(|c| *c))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Changes the tone (or silences the phone with `None`).
    pub fn set_tone(&self, freq_hz: Option<f64>) {
        let _ = self.commands.send(Command::Tone(freq_hz));
    }

    /// Sends a DTMF key (RFC 4733, 100 ms).
    pub fn send_dtmf(&self, digit: char) {
        let _ = self.commands.send(Command::Dtmf(digit));
    }

    /// Decoded audio received at or after `since`, concatenated.
    pub fn samples_since(&self, since: Instant) -> Vec<i16> {
        self.shared
            .frames
            .lock()
            .iter()
            .filter(|f| f.at >= since)
            .flat_map(|f| f.samples.iter().copied())
            .collect()
    }

    /// Every frame received so far (with `KeepReceived::Audio`).
    pub fn received_frames(&self) -> Vec<ReceivedFrame> {
        self.shared.frames.lock().clone()
    }

    /// Removes and returns the stamped arrivals recorded so far (with `KeepReceived::Stamps`).
    pub fn take_stamps(&self) -> Vec<StampedArrival> {
        std::mem::take(&mut *self.shared.stamps.lock())
    }

    /// Frames received and sent so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.received.load(Ordering::Relaxed),
            self.shared.sent.load(Ordering::Relaxed),
        )
    }

    /// Stops or resumes sending (without changing what is sent).
    pub fn set_sending(&self, sending: bool) {
        self.shared.sending.store(sending, Ordering::Relaxed);
    }
}

struct PhoneTask {
    rtc: Rtc,
    socket: UdpSocket,
    local_addr: SocketAddr,
    options: SoftphoneOptions,
    mid: Mid,
    shared: Arc<Shared>,
    connected: watch::Sender<bool>,
    commands: mpsc::UnboundedReceiver<Command>,
}

impl PhoneTask {
    async fn run(mut self) {
        self.shared.sending.store(true, Ordering::Relaxed);
        let mut tone = match self.options.send {
            OutgoingAudio::Tone(f) => Some(ToneGenerator::new(f, 8000.0, 8000)),
            _ => None,
        };
        let mid = self.mid;
        let mut pcmu: Option<Pt> = None;
        let mut is_connected = false;
        let mut rtp_time: u64 = 0;
        let mut pending_dtmf: Option<char> = None;
        let mut ticker = interval_at(tokio::time::Instant::now(), Duration::from_millis(20));
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let timer = sleep_until(tokio::time::Instant::now());
        tokio::pin!(timer);
        let mut buf = vec![0u8; 2000];

        loop {
            let deadline = loop {
                match self.rtc.poll_output() {
                    Ok(Output::Timeout(at)) => break at,
                    Ok(Output::Transmit(t)) => {
                        let _ = self.socket.try_send_to(&t.contents, t.destination);
                    }
                    Ok(Output::Event(event)) => match event {
                        Event::Connected => {
                            is_connected = true;
                            let _ = self.connected.send(true);
                        }
                        Event::MediaData(data) if data.params.spec().codec == Codec::PCMU => {
                            self.shared.received.fetch_add(1, Ordering::Relaxed);
                            let now = Instant::now();
                            match self.options.keep {
                                KeepReceived::Audio => {
                                    self.shared.frames.lock().push(ReceivedFrame {
                                        at: now,
                                        rtp_time: data.time.numer(),
                                        samples: data
                                            .data
                                            .iter()
                                            .map(|b| mulaw_decode(*b))
                                            .collect(),
                                    })
                                }
                                KeepReceived::Stamps(epoch) => {
                                    if let Some(sent) = read_stamp(epoch, &data.data) {
                                        self.shared.stamps.lock().push(StampedArrival {
                                            sent,
                                            arrived: data.network_time,
                                        });
                                    }
                                }
                            }
                        }
                        _ => {}
                    },
                    Err(_) => return,
                }
            };
            if !self.rtc.is_alive() {
                return;
            }
            let deadline = tokio::time::Instant::from_std(deadline);
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Tone(Some(f))) => tone = Some(ToneGenerator::new(f, 8000.0, 8000)),
                    Some(Command::Tone(None)) => tone = None,
                    Some(Command::Dtmf(d)) => pending_dtmf = Some(d),
                    None => return,
                },
                received = self.socket.recv_from(&mut buf) => {
                    let Ok((len, source)) = received else { continue };
                    let Ok(contents) = buf[..len].try_into() else { continue };
                    let _ = self.rtc.handle_input(Input::Receive(
                        Instant::now(),
                        Receive { proto: Protocol::Udp, source, destination: self.local_addr, contents },
                    ));
                }
                _ = ticker.tick() => {
                    if !is_connected {
                        continue;
                    }
                    if pcmu.is_none() {
                        pcmu = self.rtc.writer(mid).and_then(|w| {
                            w.payload_params().find(|p| p.spec().codec == Codec::PCMU).map(|p| p.pt())
                        });
                    }
                    let Some(pt) = pcmu else { continue };
                    let now = Instant::now();
                    rtp_time += PCMU_FRAME_BYTES as u64;
                    let mut frame = [0xFFu8; PCMU_FRAME_BYTES];
                    let send_audio = self.shared.sending.load(Ordering::Relaxed);
                    match (&mut tone, self.options.send) {
                        (Some(generator), _) => frame = generator.next_pcmu_frame(),
                        (None, OutgoingAudio::Stamped(epoch)) => stamp_frame(epoch, now, &mut frame),
                        (None, OutgoingAudio::Nothing) if pending_dtmf.is_none() => continue,
                        _ => {}
                    }
                    let Some(writer) = self.rtc.writer(mid) else { continue };
                    let writer = match pending_dtmf.take().and_then(crate::rtp::dtmf_event) {
                        Some(event) => writer.telephone_event(TelephoneEvent {
                            event,
                            end: true,
                            volume: 10,
                            duration: Duration::from_millis(100),
                        }),
                        None => writer,
                    };
                    let data: &[u8] = if send_audio { &frame } else { &[] };
                    if writer.write(pt, now, MediaTime::new(rtp_time, Frequency::EIGHT_KHZ), data).is_ok() && send_audio {
                        self.shared.sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                () = &mut timer => {
                    let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
                }
            }
        }
    }
}
