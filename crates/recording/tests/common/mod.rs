//! Shared test fixtures: a simulated call feeding a writer, and a real S3 server (s3s-fs).
#![allow(dead_code)]

use callbridge_audio::{mulaw_encode, DetectOptions, Span, ToneGenerator, PCMU_RATE};
use callbridge_recording::{Channel, Placement, RecordingMeta, RecordingWriter, RtpAudio};
use std::time::Duration;

pub const FRAME: Duration = Duration::from_millis(20);
#[allow(unused_imports)] // each test binary uses a different subset
pub use callbridge_recording::testing::{S3Server, ACCESS_KEY, BUCKET, SECRET_KEY};

pub fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

pub fn meta(call_id: &str) -> RecordingMeta {
    RecordingMeta {
        call_id: call_id.into(),
        tenant: "acme".into(),
        // 2026-03-04T12:00:00Z
        started_at_unix_ms: 1_772_625_600_000,
    }
}

/// One RTP packet as a peer would send it, with the time it reaches the recorder.
#[derive(Debug, Clone)]
pub struct Sent {
    pub channel: Channel,
    pub arrival: Duration,
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: Vec<u8>,
}

impl Sent {
    pub fn audio(&self) -> RtpAudio<'_> {
        RtpAudio {
            ssrc: self.ssrc,
            sequence: self.sequence,
            timestamp: self.timestamp,
            payload: &self.payload,
        }
    }
}

/// A talk spurt: a tone sent as 20 ms packets from `start` to `end` (call time).
pub struct Stream {
    pub channel: Channel,
    pub ssrc: u32,
    pub first_sequence: u16,
    pub first_timestamp: u32,
    pub freq_hz: f64,
    pub start: Duration,
    pub end: Duration,
}

impl Stream {
    pub fn tone(channel: Channel, freq_hz: f64, start: Duration, end: Duration) -> Self {
        Self {
            channel,
            ssrc: 0x1000 + channel as u32,
            first_sequence: 1000,
            first_timestamp: 90_000,
            freq_hz,
            start,
            end,
        }
    }

    /// The packets, each arriving `delay(i)` after it was sent.
    pub fn packets(&self, delay: impl Fn(usize) -> Duration) -> Vec<Sent> {
        let mut tone = ToneGenerator::new(self.freq_hz, 8000.0, PCMU_RATE);
        let count = ((self.end - self.start).as_millis() / FRAME.as_millis()) as usize;
        (0..count)
            .map(|i| Sent {
                channel: self.channel,
                arrival: self.start + FRAME * i as u32 + delay(i),
                ssrc: self.ssrc,
                sequence: self.first_sequence.wrapping_add(i as u16),
                timestamp: self.first_timestamp.wrapping_add(160 * i as u32),
                payload: tone.next_pcmu_frame().to_vec(),
            })
            .collect()
    }
}

/// Deterministic network jitter in `0..max_ms` (none for the first packet, which anchors).
pub fn jitter(max_ms: u64) -> impl Fn(usize) -> Duration {
    move |i| {
        if i == 0 {
            Duration::ZERO
        } else {
            ms((i as u64 * 7919 + 13) % max_ms)
        }
    }
}

/// Plays packets into the writer in arrival order, ticking every 20 ms as a runtime would, and
/// finishes at `hangup`. Returns each packet's placement in the order pushed.
pub fn play(
    writer: &mut RecordingWriter,
    mut packets: Vec<Sent>,
    until: Duration,
) -> Vec<Placement> {
    packets.sort_by_key(|p| p.arrival);
    let mut placements = Vec::new();
    let mut next = packets.into_iter().peekable();
    let mut now = Duration::ZERO;
    while now <= until {
        while let Some(packet) = next.next_if(|p| p.arrival <= now) {
            placements.push(writer.push(packet.channel, packet.arrival, packet.audio()));
        }
        writer.tick(now).unwrap();
        now += FRAME;
    }
    placements
}

/// Spans of `freq` with the recording's PCMU-quantised audio.
pub fn spans(samples: &[i16], freq: f64) -> Vec<Span> {
    callbridge_audio::tone_spans(samples, 8_000, freq, &DetectOptions::default())
}

pub fn silence_payload() -> Vec<u8> {
    vec![mulaw_encode(0); 160]
}
