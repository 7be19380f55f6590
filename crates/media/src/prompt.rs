//! What a caller hears when no agent is talking: ringback, music, announcements, silence.
//!
//! Every prompt is PCMU prepared once and shared ([`Clip`]): ringback is generated on first
//! use, a WAV file is decoded, mixed to mono, resampled to 8 kHz and encoded when first
//! played, and then each call only keeps a position in it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use callbridge_audio::{mulaw_encode, read_wav, ToneGenerator, WavError, PCMU_FRAME_BYTES};
use thiserror::Error;

/// What to play to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// North American ringback (ANSI T1.401): 440 Hz + 480 Hz, 2 s on, 4 s off, looped.
    Ringback,
    /// A WAV file looped until something else is played or the call is connected.
    Music(PathBuf),
    /// A WAV file played once; [`crate::MediaEvent::PromptFinished`] follows its end.
    Announcement(PathBuf),
    /// PCMU silence, so the carrier keeps receiving RTP (some end calls without it).
    Silence,
}

/// A prompt file that could not be used.
#[derive(Debug, Error)]
pub enum PromptError {
    #[error("cannot read prompt {path}: {source}")]
    Read { path: PathBuf, source: WavError },
    #[error("prompt {path} holds no audio")]
    Empty { path: PathBuf },
}

/// Prepared PCMU audio, shared between all calls playing it.
pub(crate) type Clip = Arc<[u8]>;

/// The ringback cadence as one 6-second PCMU cycle (48 kB, generated once per process).
pub(crate) fn ringback_clip() -> Clip {
    static RINGBACK: OnceLock<Clip> = OnceLock::new();
    RINGBACK
        .get_or_init(|| {
            const RATE: u32 = 8000;
            let on = 2 * RATE as usize;
            let off = 4 * RATE as usize;
            // Each tone at about -19 dBm0, the level of a network ringback.
            let mut low = ToneGenerator::new(440.0, 3000.0, RATE);
            let mut high = ToneGenerator::new(480.0, 3000.0, RATE);
            let mut clip = Vec::with_capacity(on + off);
            for _ in 0..on {
                let sample = i32::from(low.next_sample()) + i32::from(high.next_sample());
                clip.push(mulaw_encode(sample as i16));
            }
            clip.resize(on + off, mulaw_encode(0));
            clip.into()
        })
        .clone()
}

/// One frame of PCMU silence, looped.
pub(crate) fn silence_clip() -> Clip {
    static SILENCE: OnceLock<Clip> = OnceLock::new();
    SILENCE
        .get_or_init(|| vec![mulaw_encode(0); PCMU_FRAME_BYTES].into())
        .clone()
}

/// Decodes a WAV file (16-bit PCM, any rate, any channel count) into 8 kHz mono PCMU.
pub(crate) fn load_wav(path: &Path) -> Result<Clip, PromptError> {
    let audio = read_wav(path).map_err(|source| PromptError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mono = mix_to_mono(&audio.channels);
    let resampled = resample_linear(&mono, audio.rate, 8000);
    if resampled.is_empty() {
        return Err(PromptError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(resampled.into_iter().map(mulaw_encode).collect())
}

fn mix_to_mono(channels: &[Vec<i16>]) -> Vec<i16> {
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    let count = channels.len().max(1) as i32;
    (0..frames)
        .map(|i| (channels.iter().map(|c| i32::from(c[i])).sum::<i32>() / count) as i16)
        .collect()
}

/// Linear interpolation is enough for hold music and announcements on a telephone channel
/// (the 3.4 kHz band hides its aliasing); a prompt is converted once, not per call.
fn resample_linear(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || samples.is_empty() || from == 0 {
        return samples.to_vec();
    }
    let out_len = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let step = f64::from(from) / f64::from(to);
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * step;
            let index = pos as usize;
            let frac = pos - index as f64;
            let a = f64::from(samples[index]);
            let b = f64::from(*samples.get(index + 1).unwrap_or(&samples[index]));
            (a + (b - a) * frac).round() as i16
        })
        .collect()
}

/// A call's position in a clip, producing one 20 ms frame per tick.
#[derive(Debug)]
pub(crate) struct PromptPlayer {
    clip: Clip,
    position: usize,
    looped: bool,
    /// The player's own RTP numbering; the leg's rewriter maps it into the outgoing stream.
    pub(crate) ssrc: u32,
    pub(crate) sequence: u16,
    pub(crate) timestamp: u32,
}

impl PromptPlayer {
    pub(crate) fn new(clip: Clip, looped: bool) -> Self {
        PromptPlayer {
            clip,
            position: 0,
            looped,
            ssrc: rand::random(),
            sequence: 0,
            timestamp: 0,
        }
    }

    /// Fills `frame` with the next 20 ms, or returns `false` when a one-shot clip has ended.
    /// The last frame of a one-shot clip is padded with silence.
    pub(crate) fn next_frame(&mut self, frame: &mut [u8; PCMU_FRAME_BYTES]) -> bool {
        if self.position >= self.clip.len() {
            if !self.looped {
                return false;
            }
            self.position = 0;
        }
        for slot in frame.iter_mut() {
            if self.position == self.clip.len() {
                if self.looped {
                    self.position = 0;
                } else {
                    *slot = mulaw_encode(0);
                    continue;
                }
            }
            *slot = self.clip[self.position];
            self.position += 1;
        }
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(PCMU_FRAME_BYTES as u32);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_audio::{goertzel_power, mulaw_decode, write_wav};

    fn decode(clip: &[u8]) -> Vec<i16> {
        clip.iter().map(|b| mulaw_decode(*b)).collect()
    }

    #[test]
    fn ringback_is_two_seconds_of_440_and_480_then_four_of_silence() {
        let clip = ringback_clip();
        assert_eq!(clip.len(), 48_000);
        let samples = decode(&clip);
        let on = &samples[..16_000];
        let off = &samples[16_000..];
        assert!(goertzel_power(on, 8000, 440.0) > 100.0 * goertzel_power(on, 8000, 1000.0));
        assert!(goertzel_power(on, 8000, 480.0) > 100.0 * goertzel_power(on, 8000, 1000.0));
        assert!(off.iter().all(|s| s.abs() < 16));
    }

    #[test]
    fn a_wav_is_mixed_resampled_and_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("music.wav");
        let left: Vec<i16> = ToneGenerator::new(500.0, 8000.0, 16_000).samples(16_000);
        write_wav(&path, 16_000, &[left.clone(), left]).unwrap();
        let clip = load_wav(&path).unwrap();
        assert_eq!(clip.len(), 8000);
        let samples = decode(&clip);
        assert!(
            goertzel_power(&samples, 8000, 500.0) > 100.0 * goertzel_power(&samples, 8000, 1500.0)
        );
    }

    #[test]
    fn unreadable_or_empty_files_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_wav(&dir.path().join("missing.wav")),
            Err(PromptError::Read { .. })
        ));
        let empty = dir.path().join("empty.wav");
        write_wav(&empty, 8000, &[vec![]]).unwrap();
        assert!(matches!(load_wav(&empty), Err(PromptError::Empty { .. })));
    }

    #[test]
    fn a_one_shot_clip_ends_and_a_looped_one_wraps() {
        let clip: Clip = (0..200u8).collect::<Vec<_>>().into();
        let mut frame = [0u8; PCMU_FRAME_BYTES];
        let mut once = PromptPlayer::new(clip.clone(), false);
        assert!(once.next_frame(&mut frame));
        assert!(once.next_frame(&mut frame));
        assert_eq!(frame[39], 199);
        assert_eq!(frame[40], mulaw_encode(0));
        assert!(!once.next_frame(&mut frame));
        let mut looped = PromptPlayer::new(clip, true);
        looped.next_frame(&mut frame);
        looped.next_frame(&mut frame);
        assert_eq!(frame[40], 0, "wrapped to the start");
        assert_eq!(looped.timestamp, 320);
    }
}
