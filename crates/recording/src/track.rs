//! One leg's audio on the recording's timeline: where each RTP packet goes.
//!
//! The timeline counts 8 kHz samples since the writer was created. A stream's first packet is
//! placed at its arrival time (the anchor); later packets of the same SSRC are placed by their RTP
//! timestamp relative to the anchor, so network jitter does not move audio and a lost packet
//! leaves exactly its length of silence. A new SSRC, or a timestamp that disagrees with the
//! arrival clock by more than [`MAX_DRIFT_SAMPLES`], starts a new anchor at arrival time.
//!
//! Samples not yet written to the file wait in `pending`, which starts at the writer's
//! `written` position; anything placed before it is late and dropped.

use crate::seq_window::SeqWindow;
use callbridge_audio::mulaw_decode;

/// How far (3 s) a packet's timestamp-derived position may stray from its arrival before the
/// timestamp is considered implausible (a sender restart, a splice by a media server).
pub const MAX_DRIFT_SAMPLES: i64 = 3 * 8_000;
/// The furthest (30 s) ahead of the written position audio may be buffered; protects memory
/// when arrival times run far ahead of the writer's ticks.
pub const MAX_AHEAD_SAMPLES: u64 = 30 * 8_000;
/// The largest payload accepted: 1 s of PCMU. Real packets carry 10 to 60 ms.
pub const MAX_PAYLOAD_BYTES: usize = 8_000;

/// An RTP packet's audio as the recorder needs it (PCMU payload, header fields already parsed).
#[derive(Debug, Clone, Copy)]
pub struct RtpAudio<'a> {
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: &'a [u8],
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Placed by its timestamp on the current anchor.
    Placed,
    /// Placed at its arrival time, starting a new anchor.
    Anchored(AnchorReason),
    /// Already received; ignored.
    Duplicate,
    /// Its audio position is already written to the file; dropped.
    Late,
    /// Its position is more than 30 s beyond the written audio; dropped.
    TooFarAhead,
    /// Payload larger than one second of audio; dropped.
    Oversized,
}

/// Why a packet started a new anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorReason {
    FirstPacket,
    NewSsrc,
    TimestampJump,
}

#[derive(Debug, Clone)]
struct Stream {
    ssrc: u32,
    seen: SeqWindow,
    /// A reference packet: its RTP timestamp and its timeline position.
    anchor_timestamp: u32,
    anchor_position: u64,
}

/// One leg's placement state and its not-yet-written samples.
#[derive(Debug, Clone, Default)]
pub struct ChannelTrack {
    stream: Option<Stream>,
    /// Samples for timeline positions `written..written + pending.len()`.
    pending: Vec<i16>,
}

impl ChannelTrack {
    /// Places `packet`, which arrived at timeline position `arrival`, given that everything
    /// before `written` is already in the file.
    pub fn place(&mut self, written: u64, arrival: u64, packet: &RtpAudio<'_>) -> Placement {
        if packet.payload.len() > MAX_PAYLOAD_BYTES {
            return Placement::Oversized;
        }
        let (position, outcome) = match &mut self.stream {
            Some(stream) if stream.ssrc == packet.ssrc => {
                if !stream.seen.insert(packet.sequence) {
                    return Placement::Duplicate;
                }
                let delta = packet.timestamp.wrapping_sub(stream.anchor_timestamp) as i32;
                let by_timestamp = stream.anchor_position as i64 + i64::from(delta);
                if (by_timestamp - arrival as i64).abs() > MAX_DRIFT_SAMPLES {
                    (arrival, Placement::Anchored(AnchorReason::TimestampJump))
                } else {
                    (by_timestamp.max(0) as u64, Placement::Placed)
                }
            }
            Some(_) => (arrival, Placement::Anchored(AnchorReason::NewSsrc)),
            None => (arrival, Placement::Anchored(AnchorReason::FirstPacket)),
        };
        if let Placement::Anchored(_) = outcome {
            let mut seen = SeqWindow::default();
            seen.insert(packet.sequence);
            self.stream = Some(Stream {
                ssrc: packet.ssrc,
                seen,
                anchor_timestamp: packet.timestamp,
                anchor_position: position,
            });
        } else if let Some(stream) = &mut self.stream {
            // Keep the anchor near the newest audio so timestamp deltas stay small.
            if position > stream.anchor_position {
                stream.anchor_timestamp = packet.timestamp;
                stream.anchor_position = position;
            }
        }

        let end = position + packet.payload.len() as u64;
        if end <= written {
            return Placement::Late;
        }
        if end - written > MAX_AHEAD_SAMPLES {
            return Placement::TooFarAhead;
        }
        // A packet straddling the written position keeps only its unwritten tail.
        let skip = written.saturating_sub(position) as usize;
        let offset = position.saturating_sub(written) as usize;
        let needed = offset + packet.payload.len() - skip;
        if self.pending.len() < needed {
            self.pending.resize(needed, 0);
        }
        for (slot, &byte) in self.pending[offset..needed]
            .iter_mut()
            .zip(&packet.payload[skip..])
        {
            *slot = mulaw_decode(byte);
        }
        outcome
    }

    /// The sample `index` positions after the written position (silence if nothing arrived).
    #[inline]
    pub fn sample(&self, index: usize) -> i16 {
        self.pending.get(index).copied().unwrap_or(0)
    }

    /// Forgets the first `count` pending samples once they are written.
    pub fn advance(&mut self, count: usize) {
        let count = count.min(self.pending.len());
        self.pending.drain(..count);
    }

    /// How many samples are buffered past the written position.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_audio::mulaw_encode;

    fn packet(ssrc: u32, sequence: u16, timestamp: u32, payload: &[u8]) -> RtpAudio<'_> {
        RtpAudio {
            ssrc,
            sequence,
            timestamp,
            payload,
        }
    }

    fn frame(value: i16) -> Vec<u8> {
        vec![mulaw_encode(value); 160]
    }

    #[test]
    fn first_packet_anchors_at_arrival_and_later_ones_follow_timestamps() {
        let mut track = ChannelTrack::default();
        let a = frame(1000);
        let b = frame(2000);
        assert_eq!(
            track.place(0, 800, &packet(7, 1, 50_000, &a)),
            Placement::Anchored(AnchorReason::FirstPacket)
        );
        // Arrives 30 ms late, but its timestamp says it directly follows.
        assert_eq!(
            track.place(0, 1200, &packet(7, 2, 50_160, &b)),
            Placement::Placed
        );
        assert_eq!(track.sample(799), 0);
        assert_eq!(track.sample(800), mulaw_decode(mulaw_encode(1000)));
        assert_eq!(track.sample(959), mulaw_decode(mulaw_encode(1000)));
        assert_eq!(track.sample(960), mulaw_decode(mulaw_encode(2000)));
        assert_eq!(track.pending_len(), 1120);
    }

    #[test]
    fn timestamps_wrap_around_u32() {
        let mut track = ChannelTrack::default();
        let a = frame(1000);
        track.place(0, 0, &packet(7, 1, u32::MAX - 79, &a));
        assert_eq!(
            track.place(0, 160, &packet(7, 2, 80, &a)),
            Placement::Placed
        );
        assert_eq!(track.pending_len(), 320);
    }

    #[test]
    fn straddling_packets_keep_their_tail_and_old_ones_are_late() {
        let mut track = ChannelTrack::default();
        let a = frame(1000);
        track.place(0, 0, &packet(7, 1, 0, &a));
        track.advance(240);
        // Packet 2 covers 160..320; 240 is written, so 80 samples remain to place.
        assert_eq!(
            track.place(240, 320, &packet(7, 2, 160, &a)),
            Placement::Placed
        );
        assert_eq!(track.pending_len(), 80);
        assert_eq!(
            track.place(240, 330, &packet(7, 0, 0u32.wrapping_sub(160), &a)),
            Placement::Late
        );
    }

    #[test]
    fn new_ssrc_and_timestamp_jumps_reanchor_at_arrival() {
        let mut track = ChannelTrack::default();
        let a = frame(1000);
        track.place(0, 0, &packet(7, 1, 0, &a));
        assert_eq!(
            track.place(0, 1600, &packet(8, 900, 123_456, &a)),
            Placement::Anchored(AnchorReason::NewSsrc)
        );
        assert_eq!(
            track.place(0, 3200, &packet(8, 901, 123_456 + 80_000, &a)),
            Placement::Anchored(AnchorReason::TimestampJump)
        );
        assert_eq!(track.pending_len(), 3360);
    }

    #[test]
    fn hostile_packets_are_bounded() {
        let mut track = ChannelTrack::default();
        assert_eq!(
            track.place(0, 0, &packet(7, 1, 0, &vec![0xFF; MAX_PAYLOAD_BYTES + 1])),
            Placement::Oversized
        );
        assert_eq!(
            track.place(0, MAX_AHEAD_SAMPLES, &packet(7, 1, 0, &frame(5))),
            Placement::TooFarAhead
        );
        assert_eq!(track.pending_len(), 0);
    }
}
