//! One continuous outgoing RTP stream made of several sources.
//!
//! What a carrier (or a browser) receives from us is one stream, though its audio comes from
//! ringback, then music, then agent A, then, after a transfer, agent B. Each source has its own
//! SSRC, sequence numbers and timestamps; receivers that see those jump may reset their jitter
//! buffer badly, drop packets as "old", or (some SBCs) latch onto the first SSRC and ignore the
//! rest. [`StreamRewriter`] maps every source onto one SSRC with one sequence space:
//!
//! - Within a source, offsets are kept, so the source's own gaps (lost packets) and timestamp
//!   jumps (silence suppression) reach the receiver unchanged.
//! - When the source changes, the next packet gets the next sequence number and a timestamp
//!   advanced by the wall time elapsed since our last packet (at least one packet's worth), and
//!   the marker bit, so the receiver's playout stays in step with real time.

use std::time::{Duration, Instant};

/// A sequence jump larger than this inside one source is treated as a new source: the source
/// restarted its counters (a softphone re-negotiated, a carrier's media server switched).
const MAX_SEQUENCE_JUMP: u16 = 1000;

/// RTP clock rate of the audio we carry (PCMU).
const CLOCK_RATE: u64 = 8000;

/// The rewritten header fields of one outgoing packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
}

#[derive(Debug, Clone, Copy)]
struct SourceMapping {
    ssrc: u32,
    sequence_offset: u16,
    timestamp_offset: u32,
    last_in_sequence: u16,
}

#[derive(Debug, Clone, Copy)]
struct LastOutput {
    at: Instant,
    timestamp: u32,
    sequence: u16,
    /// Duration of the last packet in timestamp units, to advance by at least this much.
    samples: u32,
}

/// Rewrites SSRC, sequence number and timestamp so that switching sources is seamless.
#[derive(Debug, Clone)]
pub struct StreamRewriter {
    ssrc: u32,
    source: Option<SourceMapping>,
    last: Option<LastOutput>,
    /// Where the first packet's sequence and timestamp start (random, RFC 3550 §5.1).
    initial_sequence: u16,
    initial_timestamp: u32,
}

impl StreamRewriter {
    /// A stream with the given outgoing SSRC and starting sequence number and timestamp.
    pub fn new(ssrc: u32, initial_sequence: u16, initial_timestamp: u32) -> Self {
        StreamRewriter {
            ssrc,
            source: None,
            last: None,
            initial_sequence,
            initial_timestamp,
        }
    }

    /// A stream with random SSRC, sequence and timestamp origins.
    pub fn random() -> Self {
        StreamRewriter::new(rand::random(), rand::random(), rand::random())
    }

    /// The SSRC every outgoing packet carries.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Makes the next packet start a new source even if it carries the previous SSRC (the
    /// bridge calls this when it switches where audio comes from).
    pub fn switch_source(&mut self) {
        self.source = None;
    }

    /// Rewrites one packet of `samples` timestamp units from the current source, sent at `now`.
    pub fn rewrite(
        &mut self,
        now: Instant,
        in_ssrc: u32,
        in_sequence: u16,
        in_timestamp: u32,
        in_marker: bool,
        samples: u32,
    ) -> Rewritten {
        let continuing = self.source.filter(|s| {
            s.ssrc == in_ssrc
                && sequence_distance(s.last_in_sequence, in_sequence) <= MAX_SEQUENCE_JUMP
        });
        let (mapping, new_source) = match continuing {
            Some(mapping) => (mapping, false),
            None => (
                self.start_source(now, in_ssrc, in_sequence, in_timestamp),
                true,
            ),
        };
        let sequence = in_sequence.wrapping_add(mapping.sequence_offset);
        let timestamp = in_timestamp.wrapping_add(mapping.timestamp_offset);
        let forward = self
            .last
            .is_none_or(|last| sequence_is_newer(sequence, last.sequence));
        self.source = Some(SourceMapping {
            last_in_sequence: if forward {
                in_sequence
            } else {
                mapping.last_in_sequence
            },
            ..mapping
        });
        if forward {
            self.last = Some(LastOutput {
                at: now,
                timestamp,
                sequence,
                samples,
            });
        }
        Rewritten {
            ssrc: self.ssrc,
            sequence,
            timestamp,
            marker: in_marker || new_source,
        }
    }

    fn start_source(
        &self,
        now: Instant,
        in_ssrc: u32,
        in_sequence: u16,
        in_timestamp: u32,
    ) -> SourceMapping {
        let (out_sequence, out_timestamp) = match self.last {
            None => (self.initial_sequence, self.initial_timestamp),
            Some(last) => {
                let elapsed = samples_in(now.saturating_duration_since(last.at));
                (
                    last.sequence.wrapping_add(1),
                    last.timestamp.wrapping_add(elapsed.max(last.samples)),
                )
            }
        };
        SourceMapping {
            ssrc: in_ssrc,
            sequence_offset: out_sequence.wrapping_sub(in_sequence),
            timestamp_offset: out_timestamp.wrapping_sub(in_timestamp),
            last_in_sequence: in_sequence,
        }
    }
}

/// Wall time in 8 kHz timestamp units (wrapping like RTP timestamps do).
fn samples_in(elapsed: Duration) -> u32 {
    (elapsed.as_micros() as u64 * CLOCK_RATE / 1_000_000) as u32
}

/// How far apart two sequence numbers are, either way round.
fn sequence_distance(a: u16, b: u16) -> u16 {
    let forward = b.wrapping_sub(a);
    forward.min(a.wrapping_sub(b))
}

/// RFC 3550 serial-number comparison: `a` is after `b`.
fn sequence_is_newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FRAME: u32 = 160;

    fn feed(
        rw: &mut StreamRewriter,
        start: Instant,
        ms: u64,
        ssrc: u32,
        seq: u16,
        ts: u32,
    ) -> Rewritten {
        rw.rewrite(
            start + Duration::from_millis(ms),
            ssrc,
            seq,
            ts,
            false,
            FRAME,
        )
    }

    #[test]
    fn one_source_keeps_its_spacing_and_the_first_packet_is_marked() {
        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(77, 1000, 50_000);
        let a = feed(&mut rw, t0, 0, 5, 40, 9000);
        let b = feed(&mut rw, t0, 20, 5, 41, 9160);
        // A lost packet (seq 42) stays a gap for the receiver to conceal.
        let c = feed(&mut rw, t0, 60, 5, 43, 9480);
        assert_eq!(
            (a.ssrc, a.sequence, a.timestamp, a.marker),
            (77, 1000, 50_000, true)
        );
        assert_eq!((b.sequence, b.timestamp, b.marker), (1001, 50_160, false));
        assert_eq!((c.sequence, c.timestamp), (1003, 50_480));
    }

    #[test]
    fn a_new_source_continues_the_stream_in_wall_time() {
        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(77, 65_534, u32::MAX - 100);
        for i in 0..3u16 {
            feed(&mut rw, t0, u64::from(i) * 20, 1, i, u32::from(i) * FRAME);
        }
        // The agent's stream starts 20 ms after the music's last packet...
        let switched = feed(&mut rw, t0, 60, 0xA, 30_000, 123_456);
        assert_eq!(switched.ssrc, 77);
        assert_eq!(switched.sequence, 1, "65534, 65535, 0, then 1");
        assert_eq!(switched.timestamp, (u32::MAX - 100).wrapping_add(3 * FRAME));
        assert!(switched.marker);
        // ...and a second switch after a 500 ms pause jumps the timestamp by 500 ms.
        rw.switch_source();
        let after_pause = feed(&mut rw, t0, 560, 0xA, 30_001, 123_616);
        assert_eq!(after_pause.sequence, 2);
        assert_eq!(after_pause.timestamp, switched.timestamp.wrapping_add(4000));
        assert!(after_pause.marker);
    }

    #[test]
    fn a_switch_without_elapsed_time_still_advances_one_packet() {
        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(1, 0, 0);
        feed(&mut rw, t0, 0, 1, 10, 10);
        let next = feed(&mut rw, t0, 0, 2, 500, 7);
        assert_eq!((next.sequence, next.timestamp), (1, FRAME));
    }

    #[test]
    fn a_restarted_source_with_the_same_ssrc_is_resynchronised() {
        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(1, 0, 0);
        feed(&mut rw, t0, 0, 9, 100, 1000);
        let restarted = feed(&mut rw, t0, 20, 9, 40_000, 5);
        assert_eq!((restarted.sequence, restarted.timestamp), (1, FRAME));
        assert!(restarted.marker);
    }

    #[test]
    fn a_late_packet_keeps_its_place_without_moving_the_stream_back() {
        let t0 = Instant::now();
        let mut rw = StreamRewriter::new(1, 0, 0);
        feed(&mut rw, t0, 0, 9, 10, 0);
        feed(&mut rw, t0, 40, 9, 12, 320);
        let late = feed(&mut rw, t0, 41, 9, 11, 160);
        assert_eq!((late.sequence, late.timestamp), (1, 160));
        rw.switch_source();
        let next = feed(&mut rw, t0, 60, 3, 0, 0);
        assert_eq!(next.sequence, 3);
    }

    proptest! {
        /// Whatever the sources do, the receiver sees sequence numbers that advance by exactly
        /// one per packet when each source is itself gapless.
        #[test]
        fn switching_sources_never_breaks_the_sequence(
            segments in proptest::collection::vec((any::<u32>(), any::<u16>(), any::<u32>(), 1usize..20), 1..8),
        ) {
            let t0 = Instant::now();
            let mut rw = StreamRewriter::random();
            let mut previous: Option<Rewritten> = None;
            let mut ms = 0u64;
            for (ssrc, seq0, ts0, len) in segments {
                rw.switch_source();
                for i in 0..len {
                    let out = feed(&mut rw, t0, ms, ssrc, seq0.wrapping_add(i as u16),
                        ts0.wrapping_add(i as u32 * FRAME));
                    if let Some(prev) = previous {
                        prop_assert_eq!(out.sequence, prev.sequence.wrapping_add(1));
                        prop_assert_eq!(out.timestamp.wrapping_sub(prev.timestamp), FRAME);
                    }
                    previous = Some(out);
                    ms += 20;
                }
            }
        }
    }
}
