//! Tone detection: where, in a signal, is a given frequency present?
//!
//! The signal is cut into short windows (10 ms by default). In each, the Goertzel algorithm
//! measures the power at the wanted frequency, and that power is compared with the window's total
//! energy: a window "has the tone" when the tone carries most of its energy. Being relative, the
//! test ignores loudness, and a different tone or broadband noise in the same window does not count
//! (a loud 1200 Hz tone leaks almost nothing into a 700 Hz measurement). A window half covered by
//! the tone measures about one half, which is why the default threshold sits there: span edges
//! then land within half a window of the truth.

use std::f64::consts::TAU;
use std::time::Duration;

/// Where a tone was present, measured from the first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Duration,
    pub end: Duration,
}

impl Span {
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }

    /// True when both edges are within `tolerance` of the expected ones.
    pub fn matches(&self, start: Duration, end: Duration, tolerance: Duration) -> bool {
        self.start.abs_diff(start) <= tolerance && self.end.abs_diff(end) <= tolerance
    }
}

/// Tuning of [`tone_spans`]. The defaults suit PCMU speech-band tones at 8 kHz.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// Analysis window; shorter gives sharper edges but blurs nearby frequencies together
    /// (resolution is roughly 1 / window: 100 Hz at 10 ms).
    pub window: Duration,
    /// Share of a window's energy that must be at the tone's frequency, in `0..=1`.
    pub min_fraction: f64,
    /// Windows quieter than this RMS (linear 16-bit units) never count, so that dither or
    /// comfort noise made of a few LSBs is not mistaken for a tone. 50 is about -56 dBFS.
    pub min_rms: f64,
    /// Absences shorter than this inside a span are bridged (a lost packet concealed oddly, a
    /// glitch at a frame boundary).
    pub max_gap: Duration,
    /// Spans shorter than this are dropped as noise.
    pub min_span: Duration,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            window: Duration::from_millis(10),
            min_fraction: 0.5,
            min_rms: 50.0,
            max_gap: Duration::from_millis(20),
            min_span: Duration::from_millis(30),
        }
    }
}

/// The squared magnitude of the signal's spectrum at `freq_hz` (the generalised Goertzel
/// algorithm, so the frequency need not fall on a DFT bin). A full-scale-`A` sine at `freq_hz`
/// over `N` samples measures about `(A·N/2)²`.
pub fn goertzel_power(samples: &[i16], rate: u32, freq_hz: f64) -> f64 {
    let coeff = 2.0 * (TAU * freq_hz / f64::from(rate)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// The share of the energy of `samples` that lies at `freq_hz`: about 1 for a pure tone at that
/// frequency, about 0 for silence, another tone or white noise.
pub fn tone_fraction(samples: &[i16], rate: u32, freq_hz: f64) -> f64 {
    let energy: f64 = samples.iter().map(|&x| f64::from(x).powi(2)).sum();
    if energy == 0.0 {
        return 0.0;
    }
    goertzel_power(samples, rate, freq_hz) / (energy * samples.len() as f64 / 2.0)
}

/// Where `freq_hz` is present in `samples` (sampled at `rate` Hz), in time order.
///
/// # Panics
/// If `rate` is zero or the window is shorter than one sample.
pub fn tone_spans(samples: &[i16], rate: u32, freq_hz: f64, options: &DetectOptions) -> Vec<Span> {
    assert!(rate > 0, "sample rate must be positive");
    let window = (options.window.as_secs_f64() * f64::from(rate)).round() as usize;
    assert!(window > 0, "detection window is shorter than one sample");
    let at = |window_index: usize| sample_time(window_index * window, rate);

    let mut spans: Vec<Span> = Vec::new();
    let mut run_start: Option<usize> = None;
    let windows = samples.len() / window;
    for index in 0..=windows {
        let present = index < windows && {
            let chunk = &samples[index * window..(index + 1) * window];
            window_has_tone(chunk, rate, freq_hz, options)
        };
        match (present, run_start) {
            (true, None) => run_start = Some(index),
            (false, Some(first)) => {
                push_span(&mut spans, at(first), at(index), options.max_gap);
                run_start = None;
            }
            _ => {}
        }
    }
    spans.retain(|span| span.duration() >= options.min_span);
    spans
}

fn window_has_tone(chunk: &[i16], rate: u32, freq_hz: f64, options: &DetectOptions) -> bool {
    let energy: f64 = chunk.iter().map(|&x| f64::from(x).powi(2)).sum();
    let rms = (energy / chunk.len() as f64).sqrt();
    rms >= options.min_rms && tone_fraction(chunk, rate, freq_hz) >= options.min_fraction
}

/// Appends a span, merging it into the previous one when the gap between them is short.
fn push_span(spans: &mut Vec<Span>, start: Duration, end: Duration, max_gap: Duration) {
    if let Some(last) = spans.last_mut() {
        if start.saturating_sub(last.end) <= max_gap {
            last.end = end;
            return;
        }
    }
    spans.push(Span { start, end });
}

fn sample_time(index: usize, rate: u32) -> Duration {
    Duration::from_nanos((index as u128 * 1_000_000_000 / u128::from(rate)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::{mulaw_decode, mulaw_encode};
    use crate::tone::ToneGenerator;

    const RATE: u32 = 8_000;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    fn silence(duration_ms: usize) -> Vec<i16> {
        vec![0; duration_ms * RATE as usize / 1000]
    }

    fn tone(freq: f64, amplitude: f64, duration_ms: usize) -> Vec<i16> {
        ToneGenerator::new(freq, amplitude, RATE).samples(duration_ms * RATE as usize / 1000)
    }

    /// A deterministic pseudo-random noise source (xorshift), so the tests need no RNG crate.
    fn noise(amplitude: i32, len: usize, mut state: u32) -> Vec<i16> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                ((state % (2 * amplitude as u32 + 1)) as i32 - amplitude) as i16
            })
            .collect()
    }

    #[test]
    fn goertzel_measures_a_sine_as_expected() {
        let samples = tone(700.0, 1000.0, 100);
        let n = samples.len() as f64;
        let expected = (1000.0 * n / 2.0).powi(2);
        let measured = goertzel_power(&samples, RATE, 700.0);
        assert!(
            (measured / expected - 1.0).abs() < 0.02,
            "{measured} vs {expected}"
        );
        assert!(goertzel_power(&samples, RATE, 1200.0) < expected * 1e-3);
    }

    #[test]
    fn finds_a_tone_between_silences() {
        let mut signal = silence(1000);
        signal.extend(tone(700.0, 8000.0, 2000));
        signal.extend(silence(1000));
        let spans = tone_spans(&signal, RATE, 700.0, &DetectOptions::default());
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(spans[0].matches(ms(1000), ms(3000), ms(10)), "{spans:?}");
        assert!(tone_spans(&signal, RATE, 1200.0, &DetectOptions::default()).is_empty());
    }

    #[test]
    fn edges_are_accurate_off_the_window_grid() {
        let mut signal = silence(1234);
        signal.extend(tone(440.0, 3000.0, 777));
        signal.extend(silence(500));
        let spans = tone_spans(&signal, RATE, 440.0, &DetectOptions::default());
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(spans[0].matches(ms(1234), ms(2011), ms(6)), "{spans:?}");
    }

    #[test]
    fn another_tone_or_noise_does_not_count() {
        let mut signal = tone(1200.0, 12_000.0, 1000);
        signal.extend(noise(6000, 8000, 0x1234_5678));
        assert!(tone_spans(&signal, RATE, 700.0, &DetectOptions::default()).is_empty());
    }

    #[test]
    fn tone_is_found_under_moderate_noise_and_pcmu_quantisation() {
        let clean = tone(700.0, 6000.0, 1500);
        let hiss = noise(800, clean.len(), 42);
        let noisy: Vec<i16> = clean
            .iter()
            .zip(&hiss)
            .map(|(&a, &b)| mulaw_decode(mulaw_encode(a.saturating_add(b))))
            .collect();
        let spans = tone_spans(&noisy, RATE, 700.0, &DetectOptions::default());
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(spans[0].matches(ms(0), ms(1500), ms(10)), "{spans:?}");
    }

    #[test]
    fn a_quiet_hum_below_the_floor_is_ignored() {
        let hum = tone(700.0, 20.0, 500);
        assert!(tone_spans(&hum, RATE, 700.0, &DetectOptions::default()).is_empty());
    }

    #[test]
    fn short_gaps_are_bridged_and_long_ones_split() {
        let mut signal = tone(700.0, 8000.0, 500);
        signal.extend(silence(10));
        signal.extend(tone(700.0, 8000.0, 500));
        signal.extend(silence(300));
        signal.extend(tone(700.0, 8000.0, 500));
        let spans = tone_spans(&signal, RATE, 700.0, &DetectOptions::default());
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert!(spans[0].matches(ms(0), ms(1010), ms(10)), "{spans:?}");
        assert!(spans[1].matches(ms(1310), ms(1810), ms(10)), "{spans:?}");
    }

    #[test]
    fn blips_shorter_than_the_minimum_span_are_dropped() {
        let mut signal = silence(200);
        signal.extend(tone(700.0, 8000.0, 20));
        signal.extend(silence(200));
        assert!(tone_spans(&signal, RATE, 700.0, &DetectOptions::default()).is_empty());
    }

    #[test]
    fn works_at_48_khz() {
        let mut signal = vec![0i16; 48_000 / 2];
        signal.extend(ToneGenerator::new(1000.0, 5000.0, 48_000).samples(48_000));
        let spans = tone_spans(&signal, 48_000, 1000.0, &DetectOptions::default());
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(spans[0].matches(ms(500), ms(1500), ms(10)), "{spans:?}");
    }
}
