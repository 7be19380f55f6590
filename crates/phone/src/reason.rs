//! [`InvalidReason`]: why a caller ID was refused, worded for the person who
//! has to fix it, and never echoing attacker-controlled text unescaped.

use std::fmt;

use crate::region::Region;

/// Longest input (in characters) that is read at all.
pub const MAX_INPUT_CHARS: usize = 64;

/// Why a caller ID is not dialable. `Display` gives a sentence a person can
/// act on; it only ever contains digits, code points (`U+005E`) and
/// printable ASCII taken from fixed text, never raw input characters other
/// than ASCII letters and punctuation shown in quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidReason {
    /// Longer than [`MAX_INPUT_CHARS`]; not read further.
    TooLong,
    /// A character outside the phone-number alphabet.
    DisallowedCharacter {
        /// The character.
        ch: char,
        /// 1-based character position in the input.
        position: usize,
    },
    /// A letter where a digit or separator was expected.
    Letter {
        /// The letter (ASCII).
        ch: char,
        /// 1-based character position in the input.
        position: usize,
    },
    /// A digit from outside ASCII (fullwidth `０`, Arabic-Indic, ...).
    NonAsciiDigit {
        /// The digit.
        ch: char,
        /// 1-based character position in the input.
        position: usize,
    },
    /// `+` anywhere but at the start.
    MisplacedPlus {
        /// 1-based character position in the input.
        position: usize,
    },
    /// `%`: percent-encoded input is refused rather than decoded.
    PercentEncoded {
        /// 1-based character position in the input.
        position: usize,
    },
    /// A URI scheme other than `tel:`, `sip:` or `sips:`.
    UnsupportedScheme {
        /// The scheme, lower-cased (ASCII letters only).
        scheme: String,
    },
    /// `user@host` without a `sip:` scheme.
    SipUriWithoutScheme,
    /// The host part of a `sip:` URI has characters a host cannot have.
    BadSipHost,
    /// A `;name=value` parameter other than `;ext=`.
    UnsupportedParameter {
        /// The parameter name, when it is short ASCII; empty otherwise.
        name: String,
    },
    /// An extension marker (`ext`, `x`, `#`, `;ext=`) not followed by 1-10
    /// digits and nothing else.
    BadExtension {
        /// 1-based character position of the marker.
        position: usize,
    },
    /// No digits at all.
    NoDigits,
    /// The digits are not a phone number the numbering data can read.
    NotANumber {
        /// The tenant's default region the digits were read in.
        region: Region,
        /// The numbering library's own wording.
        detail: String,
    },
    /// The digits read as a number that its country's numbering plan does
    /// not allow.
    NotPossible {
        /// The digits as read, `+` and digits only.
        read_as: String,
        /// The tenant's default region the digits were read in.
        region: Region,
    },
    /// Read fine, but outside E.164's length (8 to 15 digits after `+`).
    BadLength {
        /// The digits as read, `+` and digits only.
        read_as: String,
    },
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &str = "only digits 0-9, a leading '+', spaces, '-', '.', '(', ')', '/' \
             and an extension such as 'ext. 12' are allowed";
        match self {
            Self::TooLong => write!(
                f,
                "longer than {MAX_INPUT_CHARS} characters; a phone number is far shorter, \
                 so it was not read"
            ),
            Self::DisallowedCharacter { ch, position } => write!(
                f,
                "{} at position {position} is not allowed in a phone number; {ALPHABET}",
                describe_char(*ch)
            ),
            Self::Letter { ch, position } => write!(
                f,
                "letter '{ch}' at position {position}: letters are not allowed \
                 (write vanity numbers like 1-800-FLOWERS as digits); {ALPHABET}"
            ),
            Self::NonAsciiDigit { ch, position } => write!(
                f,
                "non-ASCII digit U+{:04X} at position {position}: fullwidth and other \
                 scripts' digits are not accepted; use 0-9",
                u32::from(*ch)
            ),
            Self::MisplacedPlus { position } => write!(
                f,
                "'+' at position {position}: '+' may only start the number, \
                 before the country code"
            ),
            Self::PercentEncoded { position } => write!(
                f,
                "'%' at position {position}: percent-encoded text is not decoded; \
                 pass the number itself"
            ),
            Self::UnsupportedScheme { scheme } => write!(
                f,
                "'{scheme}:' is not a phone-number scheme; only tel:, sip: and sips: \
                 URIs or plain numbers are accepted"
            ),
            Self::SipUriWithoutScheme => f.write_str(
                "contains '@': pass a SIP URI with its sip: scheme, or only its user part",
            ),
            Self::BadSipHost => {
                f.write_str("the host part of the sip: URI has characters a host name cannot have")
            }
            Self::UnsupportedParameter { name } if name.is_empty() => {
                f.write_str("';' starts a parameter; only ';ext=' (an extension) is accepted")
            }
            Self::UnsupportedParameter { name } => write!(
                f,
                "parameter ';{name}' is not supported; only ';ext=' (an extension) is accepted"
            ),
            Self::BadExtension { position } => write!(
                f,
                "extension marker at position {position} must be followed by 1 to 10 digits \
                 and nothing else (e.g. 'ext. 12', 'x12', '#12', ';ext=12')"
            ),
            Self::NoDigits => f.write_str("contains no digits"),
            Self::NotANumber { region, detail } => write!(
                f,
                "not a phone number ({detail}) when read with default region {region}; \
                 check the digits, or include '+' and the country code"
            ),
            Self::NotPossible { read_as, region } => write!(
                f,
                "reads as {read_as} (default region {region}), which its country's \
                 numbering plan does not allow; check the digits, or if the number is \
                 from another country include '+' and its country code"
            ),
            Self::BadLength { read_as } => write!(
                f,
                "reads as {read_as}, but an E.164 number has 8 to 15 digits after the '+'"
            ),
        }
    }
}

impl std::error::Error for InvalidReason {}

/// `'^' (U+005E)` for visible ASCII, `invisible character U+200F` for
/// controls and formatting marks, `character U+0416` otherwise: the raw
/// character itself is only shown when it is plain ASCII.
pub(crate) fn describe_char(ch: char) -> String {
    let code = u32::from(ch);
    if ch.is_ascii_graphic() {
        format!("character '{ch}' (U+{code:04X})")
    } else if ch.is_control() || is_invisible(ch) {
        format!("invisible character U+{code:04X}")
    } else {
        format!("character U+{code:04X}")
    }
}

/// Formatting characters that change how text renders without showing:
/// bidirectional marks and overrides, zero-width characters, BOM.
fn is_invisible(ch: char) -> bool {
    matches!(
        ch,
        '\u{00A0}'
            | '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Makes text safe to show in an explanation or error: printable ASCII is
/// kept, anything else becomes `\u{XXXX}`, and the result is cut after
/// `max_chars` input characters (marked with `...`).
pub(crate) fn printable(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars * 2));
    for (index, ch) in input.chars().enumerate() {
        if index == max_chars {
            out.push_str("...");
            break;
        }
        if ch == ' ' || ch.is_ascii_graphic() {
            out.push(ch);
        } else {
            out.push_str(&format!("\\u{{{:04X}}}", u32::from(ch)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_char_never_shows_invisible_or_non_ascii_characters() {
        assert_eq!(describe_char('^'), "character '^' (U+005E)");
        assert_eq!(describe_char('\u{200F}'), "invisible character U+200F");
        assert_eq!(describe_char('\u{202E}'), "invisible character U+202E");
        assert_eq!(describe_char('\n'), "invisible character U+000A");
        assert_eq!(describe_char('Ж'), "character U+0416");
    }

    #[test]
    fn printable_escapes_and_truncates() {
        assert_eq!(printable("03-1234", 64), "03-1234");
        assert_eq!(printable("a\u{202E}b", 64), "a\\u{202E}b");
        assert_eq!(printable("abcdef", 3), "abc...");
    }
}
