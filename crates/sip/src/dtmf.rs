//! DTMF carried in SIP INFO bodies (`application/dtmf-relay`, `application/dtmf`).
//! RFC 4733 telephone-events travel in RTP and belong to the media crate.

/// A digit and, when the body says, how long it was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DtmfDigit {
    pub digit: char,
    pub duration_ms: Option<u32>,
}

/// Parses an INFO body by its content type; `None` when it is not a DTMF body we understand.
pub(crate) fn parse_info(content_type: &str, body: &str) -> Option<DtmfDigit> {
    let media_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match media_type.as_str() {
        "application/dtmf-relay" => parse_relay(body),
        "application/dtmf" => Some(DtmfDigit {
            digit: digit_from(body.trim())?,
            duration_ms: None,
        }),
        _ => None,
    }
}

/// `Signal=5\r\nDuration=160` (key case and spacing vary between vendors).
fn parse_relay(body: &str) -> Option<DtmfDigit> {
    let mut digit = None;
    let mut duration_ms = None;
    for line in body.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "signal" => digit = digit_from(value.trim()),
            "duration" => duration_ms = value.trim().parse().ok(),
            _ => {}
        }
    }
    Some(DtmfDigit {
        digit: digit?,
        duration_ms,
    })
}

/// One DTMF symbol; some gateways send the RFC 4733 event numbers 10 and 11 for `*` and `#`.
fn digit_from(value: &str) -> Option<char> {
    match value {
        "10" => return Some('*'),
        "11" => return Some('#'),
        _ => {}
    }
    let mut chars = value.chars();
    let symbol = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() {
        return None;
    }
    matches!(symbol, '0'..='9' | '*' | '#' | 'A'..='D').then_some(symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_relay_bodies_give_digit_and_duration() {
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
            Some(DtmfDigit {
                digit: '5',
                duration_ms: Some(160)
            })
        );
        assert_eq!(
            parse_info(
                "Application/DTMF-Relay; charset=x",
                "signal= #\nduration = 250"
            ),
            Some(DtmfDigit {
                digit: '#',
                duration_ms: Some(250)
            })
        );
        assert_eq!(
            parse_info("application/dtmf-relay", "Signal=10\r\n").map(|d| d.digit),
            Some('*')
        );
    }

    #[test]
    fn plain_dtmf_bodies_and_refusals() {
        assert_eq!(
            parse_info("application/dtmf", "b\r\n").map(|d| d.digit),
            Some('B')
        );
        assert_eq!(parse_info("application/dtmf-relay", "Signal=55"), None);
        assert_eq!(parse_info("application/dtmf-relay", "Duration=100"), None);
        assert_eq!(parse_info("text/plain", "Signal=5"), None);
        assert_eq!(parse_info("application/dtmf", "E"), None);
    }
}
