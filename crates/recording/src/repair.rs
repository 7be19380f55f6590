//! Making a WAV left by a crash valid again.
//!
//! The writer rewrites the header sizes at each checkpoint, but audio appended after the last
//! checkpoint is on disk with stale sizes, and the very last frame may be torn. Repair keeps every
//! whole stereo frame present: it trims a partial frame and writes RIFF and data sizes that match
//! the file. Only the layout the writer produces (PCM, 2 channels, 8 kHz, 16-bit) is accepted;
//! anything else is reported, never guessed at.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Interleaved stereo 16-bit: bytes per frame.
pub const FRAME_BYTES: u64 = 4;
/// Recording sample rate.
pub const RATE: u32 = 8_000;

/// Why a spooled file could not be repaired.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("not a WAV file: {0}")]
    NotWav(&'static str),
    #[error("unexpected WAV format: {0}")]
    WrongFormat(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The outcome of a repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repaired {
    /// Bytes of audio kept (whole frames).
    pub data_bytes: u64,
    /// Bytes of a torn last frame that were cut off.
    pub trimmed_bytes: u64,
    /// Whether the header sizes had to be rewritten.
    pub header_fixed: bool,
}

impl Repaired {
    pub fn frames(&self) -> u64 {
        self.data_bytes / FRAME_BYTES
    }
}

/// Repairs the WAV at `path` in place and syncs it.
pub fn repair_wav(path: &Path) -> Result<Repaired, RepairError> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let file_len = file.metadata()?.len();
    let (data_offset, declared) = locate_data(&mut file, file_len)?;

    // The RIFF size field is 32-bit; stop at the last whole frame it can describe.
    let max_data = (u64::from(u32::MAX) - (data_offset - 8)) / FRAME_BYTES * FRAME_BYTES;
    let present = file_len - data_offset;
    let data_bytes = (present / FRAME_BYTES * FRAME_BYTES).min(max_data);
    let trimmed_bytes = present - data_bytes;
    if trimmed_bytes > 0 {
        file.set_len(data_offset + data_bytes)?;
    }
    let riff_size = (data_offset - 8 + data_bytes) as u32;
    let header_fixed = declared != Some((riff_size, data_bytes as u32));
    if header_fixed {
        file.seek(SeekFrom::Start(4))?;
        file.write_all(&riff_size.to_le_bytes())?;
        file.seek(SeekFrom::Start(data_offset - 4))?;
        file.write_all(&(data_bytes as u32).to_le_bytes())?;
    }
    if header_fixed || trimmed_bytes > 0 {
        file.sync_all()?;
    }
    Ok(Repaired {
        data_bytes,
        trimmed_bytes,
        header_fixed,
    })
}

/// Walks the RIFF chunks up to `data`, checking `fmt ` on the way. Returns the offset of the
/// audio and the (RIFF size, data size) the header currently declares.
fn locate_data(
    file: &mut impl ReadSeek,
    file_len: u64,
) -> Result<(u64, Option<(u32, u32)>), RepairError> {
    let mut riff = [0u8; 12];
    read_exact_or(file, &mut riff, "shorter than a RIFF header")?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(RepairError::NotWav("missing RIFF/WAVE signature"));
    }
    let riff_size = u32::from_le_bytes(riff[4..8].try_into().expect("4 bytes"));
    let mut position = 12u64;
    let mut format_checked = false;
    loop {
        if position + 8 > file_len {
            return Err(RepairError::NotWav("no data chunk"));
        }
        let mut chunk = [0u8; 8];
        file.seek(SeekFrom::Start(position))?;
        read_exact_or(file, &mut chunk, "truncated chunk header")?;
        let size = u32::from_le_bytes(chunk[4..8].try_into().expect("4 bytes"));
        match &chunk[0..4] {
            b"fmt " => {
                check_format(file, size)?;
                format_checked = true;
            }
            b"data" => {
                if !format_checked {
                    return Err(RepairError::NotWav("data chunk before fmt chunk"));
                }
                return Ok((position + 8, Some((riff_size, size))));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        position += 8 + u64::from(size) + u64::from(size & 1);
    }
}

fn check_format(file: &mut impl ReadSeek, size: u32) -> Result<(), RepairError> {
    if size < 16 {
        return Err(RepairError::NotWav("fmt chunk too short"));
    }
    let mut fmt = [0u8; 16];
    read_exact_or(file, &mut fmt, "truncated fmt chunk")?;
    let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
    let tag = u16_at(0);
    let channels = u16_at(2);
    let rate = u32::from_le_bytes(fmt[4..8].try_into().expect("4 bytes"));
    let bits = u16_at(14);
    if tag != 1 || channels != 2 || rate != RATE || bits != 16 {
        return Err(RepairError::WrongFormat(format!(
            "format tag {tag}, {channels} channels, {rate} Hz, {bits} bits \
             (expected PCM, 2 channels, 8000 Hz, 16 bits)"
        )));
    }
    Ok(())
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

fn read_exact_or(
    file: &mut impl ReadSeek,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), RepairError> {
    file.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => RepairError::NotWav(what),
        _ => RepairError::Io(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hound::{SampleFormat, WavSpec, WavWriter};

    fn stereo_spec(rate: u32) -> WavSpec {
        WavSpec {
            channels: 2,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        }
    }

    /// A file as a crash leaves it: header sizes from an early checkpoint, more audio after.
    fn crashed_file(path: &Path, checkpoint_frames: u32, total_frames: u32, torn: usize) {
        let mut writer = WavWriter::create(path, stereo_spec(8_000)).unwrap();
        for i in 0..checkpoint_frames {
            writer.write_sample(i as i16).unwrap();
            writer.write_sample(-(i as i16)).unwrap();
        }
        writer.finalize().unwrap();
        let mut file = OpenOptions::new().append(true).open(path).unwrap();
        for i in checkpoint_frames..total_frames {
            file.write_all(&(i as i16).to_le_bytes()).unwrap();
            file.write_all(&(-(i as i16)).to_le_bytes()).unwrap();
        }
        file.write_all(&vec![7u8; torn]).unwrap();
    }

    #[test]
    fn stale_sizes_and_a_torn_frame_are_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        crashed_file(&path, 100, 1000, 3);
        let repaired = repair_wav(&path).unwrap();
        assert_eq!(repaired.frames(), 1000);
        assert_eq!(repaired.trimmed_bytes, 3);
        assert!(repaired.header_fixed);
        let reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.duration(), 1000);
        let samples: Vec<i16> = reader.into_samples().map(Result::unwrap).collect();
        assert_eq!(samples[1998], 999);
        assert_eq!(samples[1999], -999);
    }

    #[test]
    fn a_healthy_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        crashed_file(&path, 50, 50, 0);
        let before = std::fs::read(&path).unwrap();
        let repaired = repair_wav(&path).unwrap();
        assert_eq!(
            repaired,
            Repaired {
                data_bytes: 200,
                trimmed_bytes: 0,
                header_fixed: false
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn header_only_file_becomes_an_empty_wav() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        crashed_file(&path, 0, 0, 2);
        assert_eq!(repair_wav(&path).unwrap().frames(), 0);
        assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 0);
    }

    #[test]
    fn foreign_files_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        std::fs::write(&path, b"hello").unwrap();
        assert!(matches!(
            repair_wav(&path),
            Err(RepairError::NotWav("shorter than a RIFF header"))
        ));
        std::fs::write(&path, b"RIFF\0\0\0\0AVI LIST\0\0\0\0").unwrap();
        assert!(matches!(
            repair_wav(&path),
            Err(RepairError::NotWav("missing RIFF/WAVE signature"))
        ));
        let mut writer = WavWriter::create(&path, stereo_spec(48_000)).unwrap();
        writer.write_sample(0i16).unwrap();
        writer.write_sample(0i16).unwrap();
        writer.finalize().unwrap();
        let err = repair_wav(&path).unwrap_err();
        assert!(
            matches!(&err, RepairError::WrongFormat(m) if m.contains("48000 Hz")),
            "{err}"
        );
    }
}
