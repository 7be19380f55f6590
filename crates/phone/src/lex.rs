//! The strict front door: turns untrusted text into `+`/digits plus an
//! optional extension, or a reason. Nothing else reaches the numbering
//! library, so its lenient text extraction (letters mapped to digits,
//! numbers found inside prose, Unicode digits) never applies to our input.

use crate::reason::{InvalidReason, MAX_INPUT_CHARS};

/// Longest extension kept, in digits.
const MAX_EXTENSION_DIGITS: usize = 10;

/// Texts that mean "the caller withheld or does not have a number",
/// compared case-insensitively after URI stripping.
const WITHHELD_TOKENS: &[&str] = &[
    "anonymous",
    "restricted",
    "unavailable",
    "private",
    "unknown",
    "withheld",
    "blocked",
];

/// The phone-number part of an input, and where it starts in that input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserPart<'a> {
    pub text: &'a str,
    /// Characters of the input before `text` (for 1-based positions).
    pub offset: usize,
}

/// A lexically clean number: only what the numbering library gets to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexed {
    /// A leading `+` was written.
    pub plus: bool,
    /// ASCII digits, separators removed, extension excluded.
    pub digits: String,
    /// Extension digits, when a marker was present.
    pub extension: Option<String>,
}

/// True when `raw` exceeds [`MAX_INPUT_CHARS`]; costs at most that many steps.
pub(crate) fn too_long(raw: &str) -> bool {
    raw.len() > MAX_INPUT_CHARS && raw.chars().nth(MAX_INPUT_CHARS).is_some()
}

/// Trims blanks and removes a `tel:`, `sip:` or `sips:` scheme (and a SIP
/// URI's `@host;params`). Any other scheme is refused by name.
pub(crate) fn strip_uri(raw: &str) -> Result<UserPart<'_>, InvalidReason> {
    let blanks: &[char] = &[' ', '\t'];
    let start = raw.len() - raw.trim_start_matches(blanks).len();
    let text = raw.trim_matches(blanks);
    let mut part = UserPart {
        text,
        offset: raw[..start].chars().count(),
    };
    let Some(colon) = text.find(':') else {
        return Ok(part);
    };
    let scheme = &text[..colon];
    let looks_like_scheme =
        !scheme.is_empty() && scheme.len() <= 16 && scheme.bytes().all(|b| b.is_ascii_alphabetic());
    if !looks_like_scheme {
        // A stray ':' inside a number; the lexer reports it by position.
        return Ok(part);
    }
    let rest = &text[colon + 1..];
    part.offset += colon + 1; // the scheme is ASCII, so bytes == chars
    match scheme.to_ascii_lowercase().as_str() {
        "tel" => part.text = rest,
        "sip" | "sips" => {
            part.text = match rest.find('@') {
                Some(at) => {
                    check_sip_host(&rest[at + 1..])?;
                    &rest[..at]
                }
                None => rest,
            };
        }
        other => {
            return Err(InvalidReason::UnsupportedScheme {
                scheme: other.to_owned(),
            })
        }
    }
    Ok(part)
}

/// A host with optional URI parameters (`host;user=phone`): the host is
/// dropped, but garbage in it still makes the whole input suspect.
fn check_sip_host(host: &str) -> Result<(), InvalidReason> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b".-_:[];=".contains(&b);
    if host.is_empty() || !host.bytes().all(allowed) {
        return Err(InvalidReason::BadSipHost);
    }
    Ok(())
}

/// `anonymous`, `Restricted`, blank, ... (see [`WITHHELD_TOKENS`]).
pub(crate) fn is_withheld_token(text: &str) -> bool {
    let text = text.trim_matches([' ', '\t']);
    text.is_empty()
        || WITHHELD_TOKENS
            .iter()
            .any(|token| text.eq_ignore_ascii_case(token))
}

/// Reads digits, a leading `+`, separators (space `-` `.` `(` `)` `/`) and
/// one optional extension (`ext`, `ext.`, `x`, `#`, `;ext=` then digits).
/// The first character outside that alphabet is reported by position.
pub(crate) fn lex_number(part: UserPart<'_>) -> Result<Lexed, InvalidReason> {
    let chars: Vec<char> = part.text.chars().collect();
    let position = |index: usize| part.offset + index + 1;
    let mut lexed = Lexed {
        plus: false,
        digits: String::new(),
        extension: None,
    };
    let mut started = false;
    let mut index = 0;
    while index < chars.len() {
        let ch = chars[index];
        let has_digits = !lexed.digits.is_empty();
        let marker_end = match ch {
            ';' if starts_with_ignore_case(&chars[index..], ";ext=") => Some(index + 5),
            ';' => {
                return Err(InvalidReason::UnsupportedParameter {
                    name: parameter_name(&chars[index + 1..]),
                })
            }
            'e' | 'E' if has_digits && starts_with_ignore_case(&chars[index..], "ext") => {
                let after = index + 3;
                Some(if chars.get(after) == Some(&'.') {
                    after + 1
                } else {
                    after
                })
            }
            'x' | 'X' | '#' if has_digits => Some(index + 1),
            _ => None,
        };
        if let Some(end) = marker_end {
            lexed.extension =
                Some(extension(&chars[end..]).ok_or(InvalidReason::BadExtension {
                    position: position(index),
                })?);
            break;
        }
        match ch {
            '0'..='9' => lexed.digits.push(ch),
            '+' if !started => lexed.plus = true,
            '+' => {
                return Err(InvalidReason::MisplacedPlus {
                    position: position(index),
                })
            }
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            '%' => {
                return Err(InvalidReason::PercentEncoded {
                    position: position(index),
                })
            }
            '@' => return Err(InvalidReason::SipUriWithoutScheme),
            _ if ch.is_ascii_alphabetic() => {
                return Err(InvalidReason::Letter {
                    ch,
                    position: position(index),
                })
            }
            _ if ch.is_numeric() => {
                return Err(InvalidReason::NonAsciiDigit {
                    ch,
                    position: position(index),
                })
            }
            _ => {
                return Err(InvalidReason::DisallowedCharacter {
                    ch,
                    position: position(index),
                })
            }
        }
        started |= ch != ' ';
        index += 1;
    }
    Ok(lexed)
}

/// `" 12 "` -> `"12"`; anything but 1..=10 ASCII digits (blanks around
/// them allowed) -> `None`.
fn extension(rest: &[char]) -> Option<String> {
    let text: String = rest.iter().collect();
    let digits = text.trim_matches(' ');
    let ok = (1..=MAX_EXTENSION_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.to_owned())
}

fn starts_with_ignore_case(chars: &[char], prefix: &str) -> bool {
    chars.len() >= prefix.len()
        && chars
            .iter()
            .zip(prefix.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

/// The name of a `;name=value` parameter when it is short plain ASCII
/// (safe to show); empty otherwise.
fn parameter_name(rest: &[char]) -> String {
    let name: String = rest
        .iter()
        .take_while(|c| **c != '=' && **c != ';')
        .collect();
    let safe = !name.is_empty()
        && name.len() <= 16
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if safe {
        name.to_ascii_lowercase()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(raw: &str) -> Result<Lexed, InvalidReason> {
        lex_number(strip_uri(raw)?)
    }

    #[test]
    fn lexer_keeps_only_plus_and_digits() {
        let lexed = lex(" +1 (669) 262-7777 ").unwrap();
        assert!(lexed.plus);
        assert_eq!(lexed.digits, "16692627777");
        assert_eq!(lexed.extension, None);
    }

    #[test]
    fn lexer_splits_every_extension_spelling() {
        for raw in [
            "858-287-7800 ext. 12",
            "858-287-7800 ext 12",
            "858-287-7800 EXT.12",
            "858-287-7800 x12",
            "858-287-7800 X 12",
            "858-287-7800#12",
            "858-287-7800;ext=12",
            "tel:858-287-7800;ext=12",
        ] {
            let lexed = lex(raw).unwrap();
            assert_eq!(lexed.digits, "8582877800", "{raw}");
            assert_eq!(lexed.extension.as_deref(), Some("12"), "{raw}");
        }
    }

    #[test]
    fn lexer_rejects_an_extension_marker_without_digits() {
        for raw in [
            "555 1234 x",
            "555 1234 ext.",
            "555 1234 x12a",
            "555 1234 #12#3",
        ] {
            assert!(matches!(lex(raw), Err(InvalidReason::BadExtension { .. })));
        }
    }

    #[test]
    fn lexer_strips_sip_uri_and_reports_positions_in_the_original() {
        let lexed = lex("sip:+15551234567@example.com;user=phone").unwrap();
        assert_eq!(lexed.digits, "15551234567");
        assert_eq!(
            lex("sip:+1555^1234@host"),
            Err(InvalidReason::DisallowedCharacter {
                ch: '^',
                position: 10
            })
        );
    }

    #[test]
    fn lexer_rejects_garbage_in_the_sip_host() {
        assert_eq!(
            lex("sip:+15551234567@host^NQactive=true"),
            Err(InvalidReason::BadSipHost)
        );
        assert_eq!(lex("sip:+15551234567@"), Err(InvalidReason::BadSipHost));
    }

    #[test]
    fn lexer_names_the_unsupported_parameter() {
        assert_eq!(
            lex("+15551234567;isub=1"),
            Err(InvalidReason::UnsupportedParameter {
                name: "isub".into()
            })
        );
    }

    #[test]
    fn too_long_counts_characters_not_bytes() {
        assert!(!too_long(&"1".repeat(64)));
        assert!(too_long(&"1".repeat(65)));
        assert!(!too_long(&"０".repeat(64)));
        assert!(too_long(&"０".repeat(65)));
    }
}
