//! Status codes the runtime picks, turned into rsipstack's type with a proper reason phrase.

use rsipstack::sip::StatusCode;

use crate::error::SipError;

/// A final failure response (300-699). Codes rsipstack does not know get a phrase naming
/// their class instead of its placeholder text.
pub(crate) fn final_failure(status: u16) -> Result<StatusCode, SipError> {
    if !(300..=699).contains(&status) {
        return Err(SipError::InvalidStatus(status));
    }
    Ok(match StatusCode::from(status) {
        StatusCode::Other(code, _) => StatusCode::Other(code, class_phrase(code).to_string()),
        known => known,
    })
}

fn class_phrase(code: u16) -> &'static str {
    match code {
        300..=399 => "Redirection",
        400..=499 => "Request Failure",
        500..=599 => "Server Failure",
        _ => "Global Failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_keep_their_phrase_and_unknown_ones_get_their_class() {
        assert_eq!(final_failure(486).unwrap().text(), "Busy Here");
        assert_eq!(final_failure(403).unwrap().text(), "Forbidden");
        assert_eq!(final_failure(499).unwrap().text(), "Request Failure");
        assert_eq!(final_failure(499).unwrap().code(), 499);
        assert_eq!(final_failure(200), Err(SipError::InvalidStatus(200)));
        assert_eq!(final_failure(700), Err(SipError::InvalidStatus(700)));
    }
}
