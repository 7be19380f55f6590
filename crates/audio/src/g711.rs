//! ITU-T G.711 µ-law (PCMU) companding.
//!
//! Decoding goes through a 256-entry table built at compile time (a memory load per sample on the
//! hot path of every recording). Encoding finds the segment with a leading-zero count instead of
//! a 64 k table, which keeps the cache free for the rest of the relay.

/// Added before companding so that every segment boundary falls on a power of two (G.711 §3.2).
const BIAS: i32 = 0x84;
/// The largest magnitude that still encodes without overflowing the top segment after biasing.
const CLIP: i32 = 32_635;

/// Decodes one µ-law byte to a 16-bit linear sample.
#[inline]
pub fn mulaw_decode(byte: u8) -> i16 {
    DECODE_TABLE[byte as usize]
}

/// Encodes one 16-bit linear sample as µ-law.
#[inline]
pub fn mulaw_encode(sample: i16) -> u8 {
    let sample = i32::from(sample);
    let (sign, magnitude) = if sample < 0 {
        (0x80u8, (-sample).min(CLIP))
    } else {
        (0x00u8, sample.min(CLIP))
    };
    let biased = (magnitude + BIAS) as u16;
    // `biased` is in [132, 32767]: its top set bit is between bit 7 (segment 0) and bit 14 (segment 7).
    let top_bit = 15 - biased.leading_zeros() as u8;
    let exponent = top_bit - 7;
    let mantissa = ((biased >> (exponent + 3)) & 0x0F) as u8;
    !(sign | (exponent << 4) | mantissa)
}

/// Decodes a PCMU payload, appending the linear samples to `out`.
pub fn decode_into(payload: &[u8], out: &mut Vec<i16>) {
    out.extend(payload.iter().map(|&b| mulaw_decode(b)));
}

/// Encodes linear samples, appending the PCMU bytes to `out`.
pub fn encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&s| mulaw_encode(s)));
}

const fn decode_formula(byte: u8) -> i16 {
    let inverted = !byte;
    let exponent = (inverted >> 4) & 0x07;
    let mantissa = (inverted & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    if inverted & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

const DECODE_TABLE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = decode_formula(i as u8);
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values_from_the_standard_tables() {
        // Zero is 0xFF (and 0x7F is "negative zero"); full scale is 0x80 / 0x00.
        assert_eq!(mulaw_decode(0xFF), 0);
        assert_eq!(mulaw_decode(0x7F), 0);
        assert_eq!(mulaw_decode(0x80), 32_124);
        assert_eq!(mulaw_decode(0x00), -32_124);
        assert_eq!(mulaw_decode(0xF0), 120);
        assert_eq!(mulaw_decode(0x70), -120);
        assert_eq!(mulaw_decode(0xEF), 132);
        assert_eq!(mulaw_decode(0xDF), 396);
        assert_eq!(mulaw_encode(0), 0xFF);
        assert_eq!(mulaw_encode(i16::MAX), 0x80);
        assert_eq!(mulaw_encode(i16::MIN), 0x00);
        assert_eq!(mulaw_encode(-1), 0x7F);
        assert_eq!(mulaw_encode(120), 0xF0);
        assert_eq!(mulaw_encode(1000), 0xCE);
        assert_eq!(mulaw_encode(-1000), 0x4E);
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for byte in 0..=255u8 {
            let back = mulaw_encode(mulaw_decode(byte));
            // Negative zero has no linear representation of its own.
            let expected = if byte == 0x7F { 0xFF } else { byte };
            assert_eq!(back, expected, "code {byte:#04x}");
        }
    }

    #[test]
    fn decoding_is_odd_symmetric() {
        for byte in 0..0x80u8 {
            assert_eq!(mulaw_decode(byte), -mulaw_decode(byte | 0x80));
        }
    }

    #[test]
    fn slice_helpers_match_the_scalar_functions() {
        let samples = [0i16, 5, -5, 1000, -32768, 32767];
        let mut bytes = Vec::new();
        encode_into(&samples, &mut bytes);
        let mut decoded = Vec::new();
        decode_into(&bytes, &mut decoded);
        for ((&s, &b), &d) in samples.iter().zip(&bytes).zip(&decoded) {
            assert_eq!(b, mulaw_encode(s));
            assert_eq!(d, mulaw_decode(b));
        }
    }

    /// Half the width of the quantisation step µ-law uses at this magnitude.
    fn max_error(magnitude: i32) -> i32 {
        let magnitude = magnitude.min(CLIP);
        let segment = 15 - ((magnitude + BIAS) as u16).leading_zeros() as i32 - 7;
        // Step is 2^(segment+3); decoded values sit mid-step, so the error is at most half of it.
        (1 << (segment + 3)) / 2 + 1
    }

    proptest! {
        #[test]
        fn round_trip_error_is_within_half_a_step(sample in any::<i16>()) {
            let decoded = i32::from(mulaw_decode(mulaw_encode(sample)));
            let original = i32::from(sample).clamp(-CLIP, CLIP);
            prop_assert!((decoded - original).abs() <= max_error(original.abs()),
                "sample {} decoded {}", sample, decoded);
        }

        #[test]
        fn encoding_is_monotonic(a in any::<i16>(), b in any::<i16>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(mulaw_decode(mulaw_encode(lo)) <= mulaw_decode(mulaw_encode(hi)));
        }
    }
}
