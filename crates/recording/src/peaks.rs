//! A recording's waveform, computed once: for each of up to [`MAX_BUCKETS`] equal slices of the
//! call, the loudest sample of each channel (customer left, agent right), scaled to 0-255. The
//! recording page draws both channels from it without downloading the audio first. Stored beside
//! the WAV as `<key>.peaks.json` ([`peaks_key`]).
//!
//! Sans IO: [`PeaksBuilder`] is fed the WAV's bytes in any chunking and returns [`Peaks`].

use serde::{Deserialize, Serialize};

/// Slices per recording: enough for a page-wide waveform, small enough to send at every open.
pub const MAX_BUCKETS: usize = 1000;

/// The stored waveform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peaks {
    /// The format's version (1).
    pub version: u32,
    pub sample_rate: u32,
    /// Stereo frames in the recording.
    pub frames: u64,
    /// Frames each value covers (the last slice may cover fewer).
    pub frames_per_bucket: u64,
    /// Loudest customer sample per slice, 0-255.
    pub left: Vec<u8>,
    /// Loudest agent sample per slice, 0-255.
    pub right: Vec<u8>,
}

/// Why a WAV's peaks cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeaksError {
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    #[error("the WAV is not 16-bit stereo PCM, as recordings are")]
    Unsupported,
    #[error("the WAV header ends before its data chunk")]
    Truncated,
}

/// The key of a recording's peaks, beside its WAV.
pub fn peaks_key(wav_key: &str) -> String {
    format!("{wav_key}.peaks.json")
}

/// Builds [`Peaks`] from a WAV streamed in chunks.
#[derive(Debug, Default)]
pub struct PeaksBuilder {
    header: Vec<u8>,
    layout: Option<Layout>,
    /// A sample split across chunks.
    carry: Vec<u8>,
    frame: u64,
    left: Vec<u8>,
    right: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Layout {
    sample_rate: u32,
    frames: u64,
    frames_per_bucket: u64,
    remaining_data: u64,
}

/// Headers larger than this are not recordings of ours.
const MAX_HEADER: usize = 64 * 1024;

impl PeaksBuilder {
    pub fn new() -> PeaksBuilder {
        PeaksBuilder::default()
    }

    /// Feeds the next bytes of the WAV.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), PeaksError> {
        if self.layout.is_none() {
            self.header.extend_from_slice(bytes);
            match parse_header(&self.header)? {
                None if self.header.len() > MAX_HEADER => return Err(PeaksError::Truncated),
                None => return Ok(()),
                Some((offset, layout)) => {
                    self.layout = Some(layout);
                    let rest = std::mem::take(&mut self.header).split_off(offset);
                    let buckets = layout.frames.div_ceil(layout.frames_per_bucket.max(1)) as usize;
                    self.left = vec![0; buckets];
                    self.right = vec![0; buckets];
                    return self.samples(&rest);
                }
            }
        }
        self.samples(bytes)
    }

    fn samples(&mut self, bytes: &[u8]) -> Result<(), PeaksError> {
        let Some(layout) = self.layout.as_mut() else {
            return Ok(());
        };
        let usable = (bytes.len() as u64).min(layout.remaining_data) as usize;
        layout.remaining_data -= usable as u64;
        let joined;
        let bytes = if self.carry.is_empty() {
            &bytes[..usable]
        } else {
            let mut carried = std::mem::take(&mut self.carry);
            carried.extend_from_slice(&bytes[..usable]);
            joined = carried;
            &joined[..]
        };
        let whole = bytes.len() / 4 * 4;
        let per_bucket = layout.frames_per_bucket.max(1);
        for frame in bytes[..whole].chunks_exact(4) {
            let bucket = (self.frame / per_bucket) as usize;
            if bucket < self.left.len() {
                let l = scale(i16::from_le_bytes([frame[0], frame[1]]));
                let r = scale(i16::from_le_bytes([frame[2], frame[3]]));
                self.left[bucket] = self.left[bucket].max(l);
                self.right[bucket] = self.right[bucket].max(r);
            }
            self.frame += 1;
        }
        self.carry = bytes[whole..].to_vec();
        Ok(())
    }

    /// The peaks of everything fed.
    pub fn finish(self) -> Result<Peaks, PeaksError> {
        let layout = match self.layout {
            Some(layout) => layout,
            None => parse_header(&self.header)?.ok_or(PeaksError::Truncated)?.1,
        };
        Ok(Peaks {
            version: 1,
            sample_rate: layout.sample_rate,
            frames: layout.frames,
            frames_per_bucket: layout.frames_per_bucket,
            left: self.left,
            right: self.right,
        })
    }
}

/// |sample| on 0-255.
fn scale(sample: i16) -> u8 {
    (i32::from(sample).unsigned_abs() * 255 / 32768) as u8
}

/// Where the data chunk starts and what it holds, once the header is complete.
fn parse_header(bytes: &[u8]) -> Result<Option<(usize, Layout)>, PeaksError> {
    if bytes.len() < 12 {
        return Ok(None);
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(PeaksError::NotWav);
    }
    let mut at = 12;
    let mut format: Option<(u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let body = at + 8;
        if id == b"data" {
            let (channels, sample_rate, bits) = format.ok_or(PeaksError::Unsupported)?;
            if channels != 2 || bits != 16 {
                return Err(PeaksError::Unsupported);
            }
            let frames = u64::from(size) / 4;
            let frames_per_bucket = frames.div_ceil(MAX_BUCKETS as u64).max(1);
            return Ok(Some((
                body,
                Layout {
                    sample_rate,
                    frames,
                    frames_per_bucket,
                    remaining_data: frames * 4,
                },
            )));
        }
        let next = body + size as usize + (size as usize & 1);
        if id == b"fmt " {
            if bytes.len() < body + 16 {
                return Ok(None);
            }
            let channels = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            let rate = u32::from_le_bytes([
                bytes[body + 4],
                bytes[body + 5],
                bytes[body + 6],
                bytes[body + 7],
            ]);
            let bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
            format = Some((channels, rate, bits));
        }
        at = next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit stereo WAV of `frames` (left, right) samples.
    fn wav(frames: &[(i16, i16)]) -> Vec<u8> {
        let data = (frames.len() * 4) as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&8000u32.to_le_bytes());
        out.extend_from_slice(&32000u32.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data.to_le_bytes());
        for (l, r) in frames {
            out.extend_from_slice(&l.to_le_bytes());
            out.extend_from_slice(&r.to_le_bytes());
        }
        out
    }

    #[test]
    fn each_channel_keeps_its_loudest_sample_per_slice_whatever_the_chunking() {
        let mut frames = vec![(0i16, 0i16); 3000];
        frames[10] = (i16::MIN, 0);
        frames[2999] = (0, 16384);
        let bytes = wav(&frames);
        for chunk in [1, 3, 7, 4096, bytes.len()] {
            let mut b = PeaksBuilder::new();
            for part in bytes.chunks(chunk) {
                b.feed(part).unwrap();
            }
            let peaks = b.finish().unwrap();
            assert_eq!(peaks.frames, 3000);
            assert_eq!(peaks.frames_per_bucket, 3);
            assert_eq!(peaks.left.len(), 1000);
            assert_eq!(peaks.left[3], 255, "chunk {chunk}");
            assert_eq!(peaks.right[999], 127, "chunk {chunk}");
            assert_eq!(peaks.left.iter().filter(|&&v| v > 0).count(), 1);
        }
    }

    #[test]
    fn a_short_recording_has_one_slice_per_frame() {
        let peaks = {
            let mut b = PeaksBuilder::new();
            b.feed(&wav(&[(100, 200), (300, 400)])).unwrap();
            b.finish().unwrap()
        };
        assert_eq!(peaks.left.len(), 2);
        assert_eq!(peaks.frames_per_bucket, 1);
    }

    #[test]
    fn other_files_are_refused() {
        let mut b = PeaksBuilder::new();
        assert_eq!(b.feed(b"ID3\x03junkjunkjunk"), Err(PeaksError::NotWav));
        let mut mono = wav(&[(1, 1)]);
        mono[22] = 1;
        let mut b = PeaksBuilder::new();
        assert_eq!(b.feed(&mono), Err(PeaksError::Unsupported));
        assert_eq!(
            peaks_key("acme/2026/01/02/c.wav"),
            "acme/2026/01/02/c.wav.peaks.json"
        );
    }
}
