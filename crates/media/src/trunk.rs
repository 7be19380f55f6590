//! A trunk leg: the customer's plain-RTP stream, one UDP socket, one task.
//!
//! The task owns everything on the leg's hot path (socket, latched address, rewriter, prompt
//! player, tap), so no packet takes a lock. It:
//! - receives the carrier's RTP, latches the destination to where it actually comes from
//!   (symmetric RTP: NATs and SBCs often send from an address other than their SDP's), reports
//!   DTMF once per key, taps it, and hands PCMU to the bridged agent session;
//! - sends the carrier one continuous stream rewritten from whatever the current source is
//!   (a prompt ticking every 20 ms, or the agent's frames as they arrive);
//! - watches for the customer's silence and reports [`MediaEvent::MediaTimeout`] once.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use callbridge_audio::PCMU_FRAME_BYTES;
use callbridge_core::CallId;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{interval_at, sleep_until, Interval, MissedTickBehavior};

use crate::events::MediaEvent;
use crate::frame::{next_from_peer, BridgeEnd, Frame, Payload, PayloadKind};
use crate::ports::PortLease;
use crate::prompt::PromptPlayer;
use crate::rewrite::StreamRewriter;
use crate::rtp::{
    looks_like_rtcp, write_rtp, DtmfDeduplicator, RtpHeader, RtpPacket, TelephoneEvent,
};
use crate::sdp::TrunkSdp;
use crate::tap::{Side, Tap, TapPacket};

/// How long the latched source must be silent before another address may take over (the
/// carrier's NAT rebinding); shorter would let a stray sender hijack the stream.
const RELATCH_AFTER: Duration = Duration::from_secs(1);

/// Packet time of the prompts we generate.
const PROMPT_PTIME: Duration = Duration::from_millis(20);

/// Commands from the [`crate::Media`] handle.
#[derive(Debug)]
pub(crate) enum LegControl {
    /// The carrier's SDP (from its offer or its answer, or a re-INVITE).
    Remote(TrunkSdp),
    /// Relay with an agent session from now on.
    Attach(BridgeEnd),
    /// Stop relaying with the agent (the call stays up).
    Detach,
    Play(PromptPlayer),
    StopPrompt,
    Record(Tap),
    StopRecording,
    /// Media is owed from now on (the call was just answered): restart the silence watchdog
    /// with a full timeout, even if it already fired while the call was unanswered.
    ExpectMedia,
}

/// Counters of one leg, for logs and tests.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LegStats {
    pub received: u64,
    pub sent: u64,
    pub malformed: u64,
    pub dropped_to_agent: u64,
    pub send_errors: u64,
}

pub(crate) struct TrunkLeg {
    pub call: CallId,
    pub socket: UdpSocket,
    pub lease: PortLease,
    pub control: mpsc::UnboundedReceiver<LegControl>,
    pub events: mpsc::UnboundedSender<MediaEvent>,
    pub media_timeout: Duration,
}

/// What the task loop must do after a command (the timers live in the loop).
enum Applied {
    Nothing,
    PromptStarted,
    RemoteChanged,
    Closed,
}

struct LegState {
    call: CallId,
    events: mpsc::UnboundedSender<MediaEvent>,
    remote: Option<TrunkSdp>,
    latched: Option<SocketAddr>,
    last_received: Option<Instant>,
    rewriter: StreamRewriter,
    /// The bridged agent session.
    agent: Option<BridgeEnd>,
    prompt: Option<PromptPlayer>,
    tap: Option<Tap>,
    dtmf: DtmfDeduplicator,
    /// The watchdog fired and has not been re-armed by new media.
    timed_out: bool,
    stats: LegStats,
    send_buf: [u8; 1500],
}

impl TrunkLeg {
    pub(crate) async fn run(self) {
        let TrunkLeg {
            call,
            socket,
            lease,
            mut control,
            events,
            media_timeout,
        } = self;
        let mut state = LegState {
            call,
            events,
            remote: None,
            latched: None,
            last_received: None,
            rewriter: StreamRewriter::random(),
            agent: None,
            prompt: None,
            tap: None,
            dtmf: DtmfDeduplicator::default(),
            timed_out: false,
            stats: LegStats::default(),
            send_buf: [0; 1500],
        };
        let mut ticker = prompt_ticker();
        let watchdog = sleep_until(tokio::time::Instant::now() + media_timeout);
        tokio::pin!(watchdog);

        loop {
            tokio::select! {
                biased;
                command = control.recv() => match state.apply(command) {
                    Applied::Nothing => {}
                    // A new prompt starts its 20 ms cadence now.
                    Applied::PromptStarted => ticker = prompt_ticker(),
                    // Media is due from now on: give the customer a full timeout.
                    Applied::RemoteChanged => {
                        watchdog.as_mut().reset(tokio::time::Instant::now() + media_timeout);
                    }
                    Applied::Closed => break,
                },
                readable = socket.readable() => {
                    if readable.is_ok() {
                        state.drain_socket(&socket);
                    }
                }
                frame = next_from_peer(&mut state.agent) => match frame {
                    Some(frame) => state.on_agent_frame(&socket, frame),
                    None => state.agent = None,
                },
                _ = ticker.tick(), if state.prompt.is_some() => state.on_prompt_tick(&socket),
                () = &mut watchdog, if state.watchdog_armed() => {
                    let deadline = state.last_received.unwrap_or_else(Instant::now) + media_timeout;
                    if Instant::now() >= deadline {
                        state.timed_out = true;
                        let _ = state.events.send(MediaEvent::MediaTimeout { call: state.call.clone() });
                    } else {
                        watchdog.as_mut().reset(deadline.into());
                    }
                }
            }
        }
        let stats = state.stats;
        tracing::debug!(
            call = %state.call,
            port = lease.port(),
            received = stats.received,
            sent = stats.sent,
            malformed = stats.malformed,
            dropped_to_agent = stats.dropped_to_agent,
            tap_dropped = state.tap.as_ref().map_or(0, Tap::dropped),
            "trunk leg closed"
        );
        drop(lease);
    }
}

fn prompt_ticker() -> Interval {
    let mut ticker = interval_at(tokio::time::Instant::now(), PROMPT_PTIME);
    // After a stall, keep the 20 ms spacing rather than bursting the missed frames at the
    // carrier: its jitter buffer copes with a gap better than with a burst.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}

impl LegState {
    /// Applies a command from the handle; `None` means the handle closed the leg.
    fn apply(&mut self, command: Option<LegControl>) -> Applied {
        let Some(command) = command else {
            return Applied::Closed;
        };
        match command {
            LegControl::Remote(sdp) => {
                self.on_remote(sdp);
                self.last_received = Some(Instant::now());
                return Applied::RemoteChanged;
            }
            LegControl::Play(player) => {
                self.rewriter.switch_source();
                self.prompt = Some(player);
                return Applied::PromptStarted;
            }
            LegControl::Attach(end) => {
                self.agent = Some(end);
                // Agent audio replaces whatever prompt was playing.
                self.prompt = None;
                self.rewriter.switch_source();
            }
            LegControl::Detach => {
                self.agent = None;
                self.rewriter.switch_source();
            }
            LegControl::ExpectMedia => {
                self.timed_out = false;
                self.last_received = Some(Instant::now());
                return Applied::RemoteChanged;
            }
            LegControl::StopPrompt => self.prompt = None,
            LegControl::Record(tap) => self.tap = Some(tap),
            LegControl::StopRecording => self.tap = None,
        }
        Applied::Nothing
    }

    fn on_remote(&mut self, sdp: TrunkSdp) {
        let moved = self
            .remote
            .as_ref()
            .is_none_or(|old| old.media_destination() != sdp.media_destination());
        if moved {
            // A re-INVITE that moves the media starts latching afresh.
            self.latched = None;
        }
        self.remote = Some(sdp);
    }

    /// The watchdog runs while the customer is expected to send: SDP known, not on hold. Media
    /// arriving after a timeout clears `timed_out`; the elapsed timer then fires at once and
    /// re-arms itself from the new `last_received`.
    fn watchdog_armed(&self) -> bool {
        !self.timed_out
            && self
                .remote
                .as_ref()
                .is_some_and(|r| r.direction.sends() && !r.address.is_unspecified())
    }

    fn destination(&self) -> Option<SocketAddr> {
        let remote = self.remote.as_ref()?;
        let sdp_destination = remote.media_destination()?;
        Some(self.latched.unwrap_or(sdp_destination))
    }

    /// Handles every datagram waiting on the socket (several per wake-up under load, which
    /// saves a trip through the scheduler each).
    fn drain_socket(&mut self, socket: &UdpSocket) {
        let mut buf = [0u8; 2048];
        loop {
            match socket.try_recv_from(&mut buf) {
                Ok((len, from)) => self.on_datagram(&buf[..len], from),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return,
                // Linux reports an earlier send's ICMP port-unreachable here: the carrier's
                // port is not open yet or any more. Not our socket's fault; carry on.
                Err(error) => {
                    tracing::debug!(call = %self.call, %error, "trunk leg receive error");
                    return;
                }
            }
        }
    }

    fn on_datagram(&mut self, datagram: &[u8], from: SocketAddr) {
        if looks_like_rtcp(datagram) {
            return;
        }
        let packet = match RtpPacket::parse(datagram) {
            Ok(packet) => packet,
            Err(error) => {
                self.stats.malformed += 1;
                if self.stats.malformed % 1000 == 1 {
                    tracing::debug!(call = %self.call, %from, %error, "dropping malformed RTP");
                }
                return;
            }
        };
        let Some(remote) = &self.remote else {
            // No SDP yet: we do not know the payload types, and nobody should be sending.
            return;
        };
        let now = Instant::now();
        match self.latched {
            Some(latched) if latched != from => {
                let quiet = self
                    .last_received
                    .is_none_or(|at| now.duration_since(at) >= RELATCH_AFTER);
                if !quiet {
                    return;
                }
                tracing::info!(call = %self.call, old = %latched, new = %from, "re-latching RTP source");
                self.latched = Some(from);
            }
            Some(_) => {}
            None => self.latched = Some(from),
        }
        self.last_received = Some(now);
        self.timed_out = false;
        self.stats.received += 1;

        let header = packet.header;
        let kind = if header.payload_type == remote.pcmu_payload_type {
            PayloadKind::Pcmu
        } else if Some(header.payload_type) == remote.telephone_event_payload_type {
            PayloadKind::TelephoneEvent
        } else {
            return;
        };
        if kind == PayloadKind::TelephoneEvent {
            if let Ok(event) = TelephoneEvent::parse(packet.payload) {
                if let Some(digit) = self.dtmf.observe(header.timestamp, &event) {
                    let _ = self.events.send(MediaEvent::Dtmf {
                        call: self.call.clone(),
                        digit,
                    });
                }
            }
            return;
        }
        let Some(payload) = Payload::copy_from(packet.payload) else {
            return;
        };
        if let Some(tap) = &mut self.tap {
            if !tap.offer(TapPacket {
                side: Side::Customer,
                received_at: now,
                header,
                payload,
            }) {
                self.tap = None;
            }
        }
        if let Some(agent) = &self.agent {
            let frame = Frame {
                received_at: now,
                kind,
                ssrc: header.ssrc,
                sequence: header.sequence,
                timestamp: header.timestamp,
                marker: header.marker,
                payload,
            };
            if agent.to_peer.try_send(frame).is_err() {
                self.stats.dropped_to_agent += 1;
            }
        }
    }

    fn on_agent_frame(&mut self, socket: &UdpSocket, frame: Frame) {
        if frame.kind == PayloadKind::Pcmu {
            if let Some(tap) = &mut self.tap {
                let header = RtpHeader {
                    marker: frame.marker,
                    payload_type: 0,
                    sequence: frame.sequence,
                    timestamp: frame.timestamp,
                    ssrc: frame.ssrc,
                };
                if !tap.offer(TapPacket {
                    side: Side::Agent,
                    received_at: frame.received_at,
                    header,
                    payload: frame.payload,
                }) {
                    self.tap = None;
                }
            }
        }
        if self.prompt.is_some() {
            // A prompt played over a bridged call (e.g. an announcement) wins until it ends.
            return;
        }
        let samples = match frame.kind {
            PayloadKind::Pcmu => frame.payload.as_bytes().len() as u32,
            PayloadKind::TelephoneEvent => 0,
        };
        self.send(
            socket,
            frame.kind,
            frame.ssrc,
            frame.sequence,
            frame.timestamp,
            frame.marker,
            samples,
            &frame.payload,
        );
    }

    fn on_prompt_tick(&mut self, socket: &UdpSocket) {
        let Some(player) = &mut self.prompt else {
            return;
        };
        let mut audio = [0u8; PCMU_FRAME_BYTES];
        if !player.next_frame(&mut audio) {
            self.prompt = None;
            self.rewriter.switch_source();
            let _ = self.events.send(MediaEvent::PromptFinished {
                call: self.call.clone(),
            });
            return;
        }
        let (ssrc, sequence, timestamp) = (player.ssrc, player.sequence, player.timestamp);
        let payload = Payload::copy_from(&audio).expect("one frame fits");
        self.send(
            socket,
            PayloadKind::Pcmu,
            ssrc,
            sequence,
            timestamp,
            false,
            PCMU_FRAME_BYTES as u32,
            &payload,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        socket: &UdpSocket,
        kind: PayloadKind,
        ssrc: u32,
        sequence: u16,
        timestamp: u32,
        marker: bool,
        samples: u32,
        payload: &Payload,
    ) {
        let Some(destination) = self.destination() else {
            return;
        };
        let Some(remote) = &self.remote else {
            return;
        };
        let payload_type = match kind {
            PayloadKind::Pcmu => remote.pcmu_payload_type,
            PayloadKind::TelephoneEvent => match remote.telephone_event_payload_type {
                Some(pt) => pt,
                None => return,
            },
        };
        let out = self
            .rewriter
            .rewrite(Instant::now(), ssrc, sequence, timestamp, marker, samples);
        let header = RtpHeader {
            marker: out.marker,
            payload_type,
            sequence: out.sequence,
            timestamp: out.timestamp,
            ssrc: out.ssrc,
        };
        let Ok(len) = write_rtp(&header, payload.as_bytes(), &mut self.send_buf) else {
            return;
        };
        match socket.try_send_to(&self.send_buf[..len], destination) {
            Ok(_) => self.stats.sent += 1,
            Err(_) => self.stats.send_errors += 1,
        }
    }
}
