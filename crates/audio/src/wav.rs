//! WAV fixtures and readback for tests and real test peers.
//!
//! baresip and Chromium's fake audio capture play a mono 16-bit WAV file; tests read a recording
//! back into one sample vector per channel to look for tones in each.

use crate::tone::ToneGenerator;
use hound::{SampleFormat, WavReader, WavSpec, WavWriter};
use std::io::{Cursor, Read};
use std::path::Path;
use std::time::Duration;

/// Why a WAV file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("WAV file error: {0}")]
    Wav(#[from] hound::Error),
    #[error("unsupported WAV format: {bits}-bit {format:?} (only 16-bit integer PCM is read)")]
    Unsupported { bits: u16, format: SampleFormat },
    #[error(
        "channels must all have the same length (channel {channel} has {len}, expected {expected})"
    )]
    UnevenChannels {
        channel: usize,
        len: usize,
        expected: usize,
    },
    #[error("a WAV file needs 1 to {max} channels, got {got}", max = u16::MAX)]
    ChannelCount { got: usize },
}

/// A decoded WAV file: one sample vector per channel (channel 0 is left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavAudio {
    pub rate: u32,
    pub channels: Vec<Vec<i16>>,
}

impl WavAudio {
    /// Length of the audio (of the longest channel, though all are equal when read from a file).
    pub fn duration(&self) -> Duration {
        let frames = self.channels.iter().map(Vec::len).max().unwrap_or(0);
        Duration::from_secs_f64(frames as f64 / f64::from(self.rate))
    }
}

/// Writes a mono 16-bit WAV holding a sine of `freq_hz` at peak `amplitude` for `duration`.
pub fn write_tone_wav(
    path: &Path,
    rate: u32,
    freq_hz: f64,
    amplitude: f64,
    duration: Duration,
) -> Result<(), WavError> {
    let frames = (duration.as_secs_f64() * f64::from(rate)).round() as usize;
    let samples = ToneGenerator::new(freq_hz, amplitude, rate).samples(frames);
    write_wav(path, rate, &[samples])
}

/// Writes 16-bit PCM channels (all the same length) as one interleaved WAV file.
pub fn write_wav(path: &Path, rate: u32, channels: &[Vec<i16>]) -> Result<(), WavError> {
    let count = u16::try_from(channels.len())
        .ok()
        .filter(|&c| c > 0)
        .ok_or(WavError::ChannelCount {
            got: channels.len(),
        })?;
    let frames = channels[0].len();
    if let Some((channel, samples)) = channels
        .iter()
        .enumerate()
        .find(|(_, samples)| samples.len() != frames)
    {
        return Err(WavError::UnevenChannels {
            channel,
            len: samples.len(),
            expected: frames,
        });
    }
    let spec = WavSpec {
        channels: count,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    let mut writer = WavWriter::create(path, spec)?;
    for frame in 0..frames {
        for channel in channels {
            writer.write_sample(channel[frame])?;
        }
    }
    writer.finalize()?;
    Ok(())
}

/// Reads a 16-bit PCM WAV file into per-channel samples.
pub fn read_wav(path: &Path) -> Result<WavAudio, WavError> {
    decode(WavReader::open(path)?)
}

/// Reads a 16-bit PCM WAV held in memory (an object fetched from a store, say).
pub fn read_wav_bytes(bytes: &[u8]) -> Result<WavAudio, WavError> {
    decode(WavReader::new(Cursor::new(bytes))?)
}

fn decode<R: Read>(mut reader: WavReader<R>) -> Result<WavAudio, WavError> {
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.sample_format != SampleFormat::Int {
        return Err(WavError::Unsupported {
            bits: spec.bits_per_sample,
            format: spec.sample_format,
        });
    }
    let count = usize::from(spec.channels);
    let mut channels = vec![Vec::with_capacity(reader.len() as usize / count.max(1)); count];
    for (index, sample) in reader.samples::<i16>().enumerate() {
        channels[index % count].push(sample?);
    }
    Ok(WavAudio {
        rate: spec.sample_rate,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{tone_spans, DetectOptions};

    #[test]
    fn a_tone_fixture_reads_back_with_its_tone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        write_tone_wav(&path, 48_000, 1000.0, 8000.0, Duration::from_secs(2)).unwrap();
        let audio = read_wav(&path).unwrap();
        assert_eq!(audio.rate, 48_000);
        assert_eq!(audio.channels.len(), 1);
        assert_eq!(audio.channels[0].len(), 96_000);
        assert_eq!(audio.duration(), Duration::from_secs(2));
        let spans = tone_spans(
            &audio.channels[0],
            48_000,
            1000.0,
            &DetectOptions::default(),
        );
        assert_eq!(spans.len(), 1);
        assert!(spans[0].duration() >= Duration::from_millis(1990));
    }

    #[test]
    fn stereo_round_trips_channel_by_channel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stereo.wav");
        let left: Vec<i16> = (0..100).collect();
        let right: Vec<i16> = (0..100).map(|v| -v).collect();
        write_wav(&path, 8_000, &[left.clone(), right.clone()]).unwrap();
        let audio = read_wav_bytes(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(audio.channels, vec![left, right]);
    }

    #[test]
    fn uneven_channels_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_wav(&dir.path().join("x.wav"), 8_000, &[vec![0; 3], vec![0; 2]]);
        assert!(matches!(
            err,
            Err(WavError::UnevenChannels {
                channel: 1,
                len: 2,
                expected: 3
            })
        ));
        let err = write_wav(&dir.path().join("y.wav"), 8_000, &[]);
        assert!(matches!(err, Err(WavError::ChannelCount { got: 0 })));
    }

    #[test]
    fn non_16_bit_files_are_refused_with_their_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("float.wav");
        let spec = WavSpec {
            channels: 1,
            sample_rate: 8_000,
            bits_per_sample: 32,
            sample_format: SampleFormat::Float,
        };
        let mut writer = WavWriter::create(&path, spec).unwrap();
        writer.write_sample(0.5f32).unwrap();
        writer.finalize().unwrap();
        assert!(matches!(
            read_wav(&path),
            Err(WavError::Unsupported {
                bits: 32,
                format: SampleFormat::Float
            })
        ));
    }

    #[test]
    fn garbage_is_a_wav_error() {
        assert!(matches!(
            read_wav_bytes(b"not a wav file at all"),
            Err(WavError::Wav(_))
        ));
    }
}
