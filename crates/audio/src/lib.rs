//! Audio primitives shared by the media relay, the call recorder and the tests.
//!
//! - [`g711`]: ITU-T G.711 µ-law (PCMU), the only codec Callbridge carries.
//! - [`tone`]: phase-continuous sine generation in 20 ms PCMU frames, and silence frames.
//! - [`detect`]: Goertzel power and [`tone_spans`], which says where a tone is present so a test
//!   can check "700 Hz in the left channel from 1.00 s to 3.00 s".
//! - [`wav`]: tone WAV fixtures for real peers (baresip, Chromium's fake capture) and reading a WAV
//!   back into per-channel samples.
//!
//! Everything here is pure computation except [`wav`], which touches files.

pub mod detect;
pub mod g711;
pub mod tone;
pub mod wav;

pub use detect::{goertzel_power, tone_spans, DetectOptions, Span};
pub use g711::{mulaw_decode, mulaw_encode};
pub use tone::{silence_frame, ToneGenerator, PCMU_FRAME_BYTES, PCMU_RATE, PCMU_SILENCE};
pub use wav::{read_wav, read_wav_bytes, write_tone_wav, write_wav, WavAudio, WavError};
