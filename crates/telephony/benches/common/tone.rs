//! The customer's audio for sipp's `rtp_stream`: a steady tone as a mono µ-law WAV.

use std::path::Path;

/// Writes `seconds` of a `freq` Hz tone at 8 kHz, µ-law (WAVE_FORMAT_MULAW), the format
/// sipp's `rtp_stream` plays as PCMU.
pub fn write_mulaw_wav(path: &Path, freq: f64, seconds: f64) -> std::io::Result<()> {
    let samples = (8000.0 * seconds) as usize;
    let mut tone = callbridge_audio::ToneGenerator::new(freq, 8000.0, 8000);
    let data: Vec<u8> = (0..samples)
        .map(|_| callbridge_audio::mulaw_encode(tone.next_sample()))
        .collect();
    let data_len = data.len() as u32;
    let mut wav = Vec::with_capacity(58 + data.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(50 + data_len).to_le_bytes());
    // A non-PCM format chunk is 18 bytes (with cbSize) and needs a fact chunk.
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&18u32.to_le_bytes());
    wav.extend_from_slice(&7u16.to_le_bytes()); // WAVE_FORMAT_MULAW
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes()); // samples per second
    wav.extend_from_slice(&8000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    wav.extend_from_slice(b"fact");
    wav.extend_from_slice(&4u32.to_le_bytes());
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav)
}
