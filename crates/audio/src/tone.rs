//! Sine tone generation for fixtures and test peers.
//!
//! The generator keeps its phase between calls, so consecutive 20 ms frames join without a click
//! (a discontinuity would smear energy over every frequency and confuse tone detection).

use crate::g711::mulaw_encode;
use std::f64::consts::TAU;

/// PCMU's sample rate (RFC 3551 payload type 0).
pub const PCMU_RATE: u32 = 8_000;
/// One 20 ms PCMU packet: 160 samples of one byte each.
pub const PCMU_FRAME_BYTES: usize = 160;
/// The µ-law code for linear zero.
pub const PCMU_SILENCE: u8 = 0xFF;

/// A 20 ms PCMU frame of silence.
pub fn silence_frame() -> [u8; PCMU_FRAME_BYTES] {
    [PCMU_SILENCE; PCMU_FRAME_BYTES]
}

/// A phase-continuous sine generator.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    amplitude: f64,
    /// Phase advance per sample, in radians.
    step: f64,
    /// Current phase in `[0, TAU)`; kept reduced so precision does not decay on long calls.
    phase: f64,
}

impl ToneGenerator {
    /// A sine of `freq_hz` with peak `amplitude` (linear 16-bit units, clamped to `i16::MAX`)
    /// sampled at `rate` Hz, starting at phase zero.
    ///
    /// # Panics
    /// If `rate` is zero or `freq_hz` is not finite.
    pub fn new(freq_hz: f64, amplitude: f64, rate: u32) -> Self {
        assert!(rate > 0, "sample rate must be positive");
        assert!(freq_hz.is_finite(), "tone frequency must be finite");
        Self {
            amplitude: amplitude.clamp(0.0, f64::from(i16::MAX)),
            step: TAU * freq_hz / f64::from(rate),
            phase: 0.0,
        }
    }

    /// The next linear sample.
    #[inline]
    pub fn next_sample(&mut self) -> i16 {
        let value = self.amplitude * self.phase.sin();
        self.phase = (self.phase + self.step).rem_euclid(TAU);
        value.round() as i16
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for slot in out {
            *slot = self.next_sample();
        }
    }

    /// The next `count` samples.
    pub fn samples(&mut self, count: usize) -> Vec<i16> {
        let mut out = vec![0; count];
        self.fill(&mut out);
        out
    }

    /// The next 20 ms as a PCMU payload (meaningful for an 8 kHz generator).
    pub fn next_pcmu_frame(&mut self) -> [u8; PCMU_FRAME_BYTES] {
        let mut frame = [0u8; PCMU_FRAME_BYTES];
        for byte in &mut frame {
            *byte = mulaw_encode(self.next_sample());
        }
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::mulaw_decode;

    #[test]
    fn silence_decodes_to_zero() {
        assert!(silence_frame().iter().all(|&b| mulaw_decode(b) == 0));
    }

    #[test]
    fn phase_is_continuous_across_frames() {
        let mut framed = ToneGenerator::new(700.0, 8000.0, PCMU_RATE);
        let mut continuous = ToneGenerator::new(700.0, 8000.0, PCMU_RATE);
        let reference = continuous.samples(PCMU_FRAME_BYTES * 50);
        let mut joined = Vec::new();
        for _ in 0..50 {
            joined.extend(framed.next_pcmu_frame().iter().map(|&b| mulaw_decode(b)));
        }
        for (i, (&a, &b)) in reference.iter().zip(&joined).enumerate() {
            let expected = mulaw_decode(mulaw_encode(a));
            assert_eq!(b, expected, "sample {i}");
        }
    }

    #[test]
    fn amplitude_and_period_are_right() {
        // 1 kHz at 8 kHz: exactly 8 samples per period.
        let mut tone = ToneGenerator::new(1000.0, 10_000.0, PCMU_RATE);
        let samples = tone.samples(8 * 100);
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert_eq!(peak, 10_000);
        for period in samples.chunks(8).skip(1) {
            for (i, &s) in period.iter().enumerate() {
                assert!((i32::from(s) - i32::from(samples[i])).abs() <= 1);
            }
        }
    }

    #[test]
    fn amplitude_is_clamped_to_full_scale() {
        let mut tone = ToneGenerator::new(400.0, 1e9, 48_000);
        assert!(tone.samples(480).contains(&i16::MAX));
    }
}
