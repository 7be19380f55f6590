//! HTTP Range requests on a recording (RFC 9110 §14): one range per request, which is what media
//! elements send when the listener seeks.

use std::ops::Range;

/// What to send for a `Range` header against a body of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slice {
    /// No (usable) Range header: the whole body, 200.
    Whole,
    /// 206 with these bytes.
    Partial(Range<u64>),
    /// 416: the range starts past the end.
    Unsatisfiable,
}

/// Reads a `Range` header. Anything but a single `bytes=` range is ignored (the whole body is a
/// valid answer to any Range request); a range running past the end is cut at the end.
pub fn slice(header: Option<&str>, len: u64) -> Slice {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Slice::Whole;
    };
    if spec.contains(',') {
        return Slice::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Slice::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                Slice::Unsatisfiable
            } else {
                Slice::Partial(len.saturating_sub(suffix)..len)
            }
        }
        (false, Some(start), end) if last.is_empty() || end.is_some() => {
            if start >= len {
                return Slice::Unsatisfiable;
            }
            match end {
                Some(end) if end < start => Slice::Whole,
                Some(end) => Slice::Partial(start..end.min(len - 1) + 1),
                None => Slice::Partial(start..len),
            }
        }
        _ => Slice::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_honoured_and_cut_at_the_end() {
        assert_eq!(slice(Some("bytes=0-99"), 1000), Slice::Partial(0..100));
        assert_eq!(slice(Some("bytes=900-"), 1000), Slice::Partial(900..1000));
        assert_eq!(
            slice(Some("bytes=900-5000"), 1000),
            Slice::Partial(900..1000)
        );
        assert_eq!(slice(Some("bytes=-10"), 1000), Slice::Partial(990..1000));
        assert_eq!(slice(Some("bytes=-5000"), 1000), Slice::Partial(0..1000));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(slice(Some("bytes=1000-"), 1000), Slice::Unsatisfiable);
        assert_eq!(slice(Some("bytes=-0"), 1000), Slice::Unsatisfiable);
        assert_eq!(slice(Some("bytes=0-"), 0), Slice::Unsatisfiable);
    }

    #[test]
    fn anything_else_gets_the_whole_body() {
        for h in [
            None,
            Some("items=0-1"),
            Some("bytes=0-1,5-6"),
            Some("bytes=5-1"),
            Some("bytes=x-1"),
            Some("bytes=-"),
            Some("bytes=+1-2"),
        ] {
            assert_eq!(slice(h, 1000), Slice::Whole, "{h:?}");
        }
    }
}
