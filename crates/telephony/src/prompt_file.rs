//! Music and announcement files an admin uploads: what is accepted, and the words for what is
//! not (pure: bytes in, facts or a refusal out).
//!
//! The media engine decodes any 16-bit PCM WAV (mixing channels, resampling linearly), but a
//! linear resampler without a low-pass filter folds everything above 4 kHz back into the
//! telephone band as noise. An upload is therefore asked to be exactly what a call carries:
//! 16-bit PCM, mono, 8000 Hz. What callers hear is then the file itself, and the admin who
//! listens to it before uploading hears the same.

use std::fmt;

/// What the prompt is for: the limits differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// Looped while a caller waits or is held.
    Music,
    /// Played once before a caller the queue cannot serve is hung up.
    Announcement,
}

impl PromptKind {
    /// The longest file of this kind, in seconds.
    pub fn max_seconds(self) -> u32 {
        match self {
            // A loop: longer adds nothing a caller waiting ten minutes would notice.
            PromptKind::Music => 600,
            // Callers hear all of it before the hang-up.
            PromptKind::Announcement => 120,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PromptKind::Music => "music",
            PromptKind::Announcement => "announcement",
        }
    }
}

/// The only sample rate accepted.
pub const RATE: u32 = 8000;

/// The largest upload: 600 s of 8 kHz 16-bit mono (9.6 MB) plus room for headers.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The command that turns any audio file into what is accepted.
pub const CONVERT: &str = "ffmpeg -i INPUT -ac 1 -ar 8000 -c:a pcm_s16le OUTPUT.wav \
                           (or: sox INPUT -r 8000 -c 1 -b 16 -e signed-integer OUTPUT.wav)";

/// What an accepted file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromptFacts {
    /// Length in milliseconds.
    pub millis: u64,
}

/// Why an upload is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptFileError {
    TooBig { bytes: usize },
    NotWav,
    NotPcm { format: u16 },
    Bits { bits: u16 },
    Channels { channels: u16 },
    Rate { rate: u32 },
    NoAudio,
    TooLong { seconds: u64, kind: PromptKind },
}

impl PromptFileError {
    /// A stable word for the API (`docs/console-api.md`).
    pub fn code(&self) -> &'static str {
        match self {
            PromptFileError::TooBig { .. } => "too_big",
            PromptFileError::NotWav => "not_wav",
            PromptFileError::NotPcm { .. } => "not_pcm",
            PromptFileError::Bits { .. } => "wrong_bits",
            PromptFileError::Channels { .. } => "wrong_channels",
            PromptFileError::Rate { .. } => "wrong_rate",
            PromptFileError::NoAudio => "no_audio",
            PromptFileError::TooLong { .. } => "too_long",
        }
    }

    /// What to do about it.
    pub fn fix(&self) -> String {
        match self {
            PromptFileError::TooLong { kind, .. } => format!(
                "cut it to at most {} seconds (for example: ffmpeg -i INPUT -t {} -ac 1 -ar 8000 \
                 -c:a pcm_s16le OUTPUT.wav)",
                kind.max_seconds(),
                kind.max_seconds()
            ),
            PromptFileError::TooBig { .. } => format!(
                "upload at most {} MiB: 8 kHz 16-bit mono is 16 kB a second; convert it with {CONVERT}",
                MAX_BYTES / (1024 * 1024)
            ),
            _ => format!("convert it to 16-bit PCM, mono, 8000 Hz WAV: {CONVERT}"),
        }
    }
}

impl fmt::Display for PromptFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromptFileError::TooBig { bytes } => write!(
                f,
                "the file is {bytes} bytes; at most {MAX_BYTES} are accepted"
            ),
            PromptFileError::NotWav => f.write_str("the file is not a WAV file (RIFF/WAVE)"),
            PromptFileError::NotPcm { format } => write!(
                f,
                "the WAV file is compressed (format {format}); only uncompressed PCM is accepted"
            ),
            PromptFileError::Bits { bits } => write!(
                f,
                "the WAV file has {bits}-bit samples; 16-bit samples are accepted"
            ),
            PromptFileError::Channels { channels } => write!(
                f,
                "the WAV file has {channels} channels; a mono file (1 channel) is accepted"
            ),
            PromptFileError::Rate { rate } => write!(
                f,
                "the WAV file is sampled at {rate} Hz; 8000 Hz (the telephone rate) is accepted"
            ),
            PromptFileError::NoAudio => f.write_str("the WAV file holds no audio"),
            PromptFileError::TooLong { seconds, kind } => write!(
                f,
                "the file lasts {seconds} seconds; {} lasts at most {} seconds",
                match kind {
                    PromptKind::Music => "music",
                    PromptKind::Announcement => "an announcement",
                },
                kind.max_seconds()
            ),
        }
    }
}

impl std::error::Error for PromptFileError {}

/// Checks an uploaded file of `kind`: a RIFF/WAVE file whose `fmt ` chunk says PCM, 16-bit,
/// mono, 8000 Hz and whose `data` chunk holds between one sample and the kind's longest length.
pub fn check(bytes: &[u8], kind: PromptKind) -> Result<PromptFacts, PromptFileError> {
    if bytes.len() > MAX_BYTES {
        return Err(PromptFileError::TooBig { bytes: bytes.len() });
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(PromptFileError::NotWav);
    }
    let mut format = None;
    let mut data_len = None;
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let body = at + 8;
        let available = bytes.len().saturating_sub(body);
        match id {
            b"fmt " => {
                if len < 16 || available < 16 {
                    return Err(PromptFileError::NotWav);
                }
                let u16_at = |o: usize| u16::from_le_bytes([bytes[body + o], bytes[body + o + 1]]);
                let rate = u32::from_le_bytes([
                    bytes[body + 4],
                    bytes[body + 5],
                    bytes[body + 6],
                    bytes[body + 7],
                ]);
                format = Some((u16_at(0), u16_at(2), rate, u16_at(14)));
            }
            // A writer that did not know the final length (a stream) leaves a data length past
            // the end: the bytes present are the audio.
            b"data" => data_len = Some(len.min(available)),
            _ => {}
        }
        if data_len.is_some() && format.is_some() {
            break;
        }
        // Chunks are padded to an even length.
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    let (audio_format, channels, rate, bits) = format.ok_or(PromptFileError::NotWav)?;
    // 0xFFFE (extensible) carries PCM too, but says so in a sub-format this check does not
    // read: asking for plain PCM keeps one accepted shape.
    if audio_format != 1 {
        return Err(PromptFileError::NotPcm {
            format: audio_format,
        });
    }
    if bits != 16 {
        return Err(PromptFileError::Bits { bits });
    }
    if channels != 1 {
        return Err(PromptFileError::Channels { channels });
    }
    if rate != RATE {
        return Err(PromptFileError::Rate { rate });
    }
    let data_len = data_len.ok_or(PromptFileError::NoAudio)?;
    let samples = (data_len / 2) as u64;
    if samples == 0 {
        return Err(PromptFileError::NoAudio);
    }
    let millis = samples * 1000 / u64::from(RATE);
    if millis > u64::from(kind.max_seconds()) * 1000 {
        return Err(PromptFileError::TooLong {
            seconds: millis.div_ceil(1000),
            kind,
        });
    }
    Ok(PromptFacts { millis })
}

/// Whether a file the settings name by path (not an upload) can be played: the media engine's
/// own rule (any 16-bit PCM WAV with audio), checked before a save so that a file that cannot
/// play is a mistake of the settings, not a save that a restart would still trip over.
pub fn playable(path: &std::path::Path) -> Result<(), String> {
    match callbridge_audio::read_wav(path) {
        Ok(audio) if audio.channels.iter().any(|c| !c.is_empty()) => Ok(()),
        Ok(_) => Err(format!("{} holds no audio", path.display())),
        Err(e) => Err(format!("{} cannot be played: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file's bytes: header fields as given, `samples` samples of silence.
    fn wav(format: u16, channels: u16, rate: u32, bits: u16, samples: usize) -> Vec<u8> {
        let data = samples * usize::from(channels) * usize::from(bits / 8);
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&((36 + data) as u32).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&format.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        let block = channels * bits / 8;
        out.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data as u32).to_le_bytes());
        out.resize(out.len() + data, 0);
        out
    }

    #[test]
    fn telephone_rate_mono_pcm_is_accepted_with_its_length() {
        let facts = check(&wav(1, 1, 8000, 16, 12_000), PromptKind::Music).unwrap();
        assert_eq!(facts.millis, 1500);
    }

    #[test]
    fn a_file_written_by_the_audio_crate_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        callbridge_audio::write_wav(&path, 8000, &[vec![0i16; 8000]]).unwrap();
        let facts = check(&std::fs::read(&path).unwrap(), PromptKind::Announcement).unwrap();
        assert_eq!(facts.millis, 1000);
    }

    #[test]
    fn each_wrong_shape_is_named_with_how_to_convert() {
        let cases = [
            (b"ID3\x03 an mp3".to_vec(), "not_wav"),
            (wav(3, 1, 8000, 32, 100), "not_pcm"),
            (wav(1, 1, 8000, 8, 100), "wrong_bits"),
            (wav(1, 2, 8000, 16, 100), "wrong_channels"),
            (wav(1, 1, 44_100, 16, 100), "wrong_rate"),
            (wav(1, 1, 8000, 16, 0), "no_audio"),
        ];
        for (bytes, code) in cases {
            let err = check(&bytes, PromptKind::Music).unwrap_err();
            assert_eq!(err.code(), code, "{err}");
            assert!(err.fix().contains("ffmpeg"), "{}", err.fix());
        }
        let err = check(&wav(1, 2, 8000, 16, 100), PromptKind::Music).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the WAV file has 2 channels; a mono file (1 channel) is accepted"
        );
    }

    #[test]
    fn the_longest_length_depends_on_the_kind() {
        let two_minutes_and_a_bit = wav(1, 1, 8000, 16, 8000 * 121);
        assert!(check(&two_minutes_and_a_bit, PromptKind::Music).is_ok());
        let err = check(&two_minutes_and_a_bit, PromptKind::Announcement).unwrap_err();
        assert_eq!(err.code(), "too_long");
        assert_eq!(
            err.to_string(),
            "the file lasts 121 seconds; an announcement lasts at most 120 seconds"
        );
        assert!(err.fix().contains("-t 120"), "{}", err.fix());
    }

    #[test]
    fn a_configured_file_is_playable_when_the_media_engine_can_decode_it() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.wav");
        callbridge_audio::write_wav(&good, 44_100, &[vec![1i16; 441], vec![1i16; 441]]).unwrap();
        assert_eq!(playable(&good), Ok(()));
        let notes = dir.path().join("notes.wav");
        std::fs::write(&notes, "meeting notes").unwrap();
        let err = playable(&notes).unwrap_err();
        assert!(err.contains("notes.wav cannot be played"), "{err}");
    }

    #[test]
    fn too_many_bytes_are_refused_before_reading() {
        let big = vec![0u8; MAX_BYTES + 1];
        assert_eq!(
            check(&big, PromptKind::Music).unwrap_err().code(),
            "too_big"
        );
    }

    #[test]
    fn chunks_before_the_format_and_odd_padding_are_skipped() {
        let plain = wav(1, 1, 8000, 16, 800);
        let mut with_list = plain[..12].to_vec();
        with_list.extend_from_slice(b"LIST");
        with_list.extend_from_slice(&3u32.to_le_bytes());
        with_list.extend_from_slice(b"abc\0");
        with_list.extend_from_slice(&plain[12..]);
        assert_eq!(check(&with_list, PromptKind::Music).unwrap().millis, 100);
    }

    #[test]
    fn truncated_headers_are_not_wav_and_never_panic() {
        let plain = wav(1, 1, 8000, 16, 10);
        for cut in 0..44 {
            let _ = check(&plain[..cut], PromptKind::Music);
        }
        assert_eq!(
            check(&plain[..20], PromptKind::Music).unwrap_err().code(),
            "not_wav"
        );
    }
}
