//! Fuzzes the strict gate every SIP datagram from the trunk passes before rsipstack's
//! transaction layer sees it.
//!
//! Contract under test (`callbridge_sip::inspect_message`): any bytes yield a summary or a
//! typed error, never a panic. Beyond that, two promises the adapter relies on:
//! - a valid message's body length cannot exceed the datagram it came in;
//! - a [`Defect`]'s text is sent back verbatim as the reason phrase of our `400`, so it must
//!   never contain a line break (that would let a caller inject headers into our answer).
#![no_main]

use callbridge_sip::{inspect_message, Defect, MessageKind, SipError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match inspect_message(bytes) {
        Ok(summary) => {
            assert!(
                summary.body_len <= bytes.len(),
                "body of {} bytes in a {}-byte datagram",
                summary.body_len,
                bytes.len()
            );
            if let MessageKind::Request { method, .. } = &summary.kind {
                assert_eq!(
                    method, &summary.cseq_method,
                    "a request passed the gate with a CSeq for another method"
                );
                assert!(
                    summary.from_tag.is_some(),
                    "a request passed without From tag"
                );
            }
            assert!(
                !summary.call_id.is_empty(),
                "a message passed with an empty Call-ID"
            );
        }
        Err(SipError::Invalid(defect)) => assert_reason_phrase_is_one_line(&defect),
        Err(other) => {
            // Rendering the error is what the adapter's logging does with it.
            let _ = other.to_string();
        }
    }
});

fn assert_reason_phrase_is_one_line(defect: &Defect) {
    let phrase = defect.to_string();
    assert!(
        !phrase.contains(['\r', '\n']),
        "400 reason phrase would span lines: {phrase:?}"
    );
}
