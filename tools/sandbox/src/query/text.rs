//! Allocation-free string comparisons for the per-row hot path.
//!
//! Case folding is ASCII-only (`to_ascii_lowercase` / `eq_ignore_ascii_case`): query values are
//! folded once at bind time and stored values are compared byte by byte, so a full scan over a
//! million rows allocates nothing. Non-ASCII letters therefore compare exactly; the index plan
//! (`BoundQuery::index_candidates`) follows the same rule.

use std::cmp::Ordering;

/// How text is compared for `=`, `!=`, `IN`, `STARTSWITH`, ranges and ordering. Equality's case
/// sensitivity depends on the instance's database collation (servicenow.md §1.2), hence the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collation {
    Exact,
    AsciiCaseInsensitive,
}

impl Collation {
    pub(crate) fn new(case_sensitive: bool) -> Self {
        if case_sensitive {
            Collation::Exact
        } else {
            Collation::AsciiCaseInsensitive
        }
    }

    /// The form a query value is stored in at bind time (and the form of index keys).
    pub(crate) fn fold(self, value: &str) -> String {
        match self {
            Collation::Exact => value.to_owned(),
            Collation::AsciiCaseInsensitive => value.to_ascii_lowercase(),
        }
    }

    pub(crate) fn eq(self, a: &str, b: &str) -> bool {
        match self {
            Collation::Exact => a == b,
            Collation::AsciiCaseInsensitive => a.eq_ignore_ascii_case(b),
        }
    }

    pub(crate) fn cmp(self, a: &str, b: &str) -> Ordering {
        match self {
            Collation::Exact => a.cmp(b),
            Collation::AsciiCaseInsensitive => {
                let fold = |byte: u8| byte.to_ascii_lowercase();
                a.bytes().map(fold).cmp(b.bytes().map(fold))
            }
        }
    }

    pub(crate) fn starts_with(self, haystack: &str, prefix: &str) -> bool {
        haystack
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| self.bytes_eq(head, prefix.as_bytes()))
    }

    pub(crate) fn ends_with(self, haystack: &str, suffix: &str) -> bool {
        haystack
            .len()
            .checked_sub(suffix.len())
            .is_some_and(|start| self.bytes_eq(&haystack.as_bytes()[start..], suffix.as_bytes()))
    }

    fn bytes_eq(self, a: &[u8], b: &[u8]) -> bool {
        match self {
            Collation::Exact => a == b,
            Collation::AsciiCaseInsensitive => a.eq_ignore_ascii_case(b),
        }
    }
}

/// Whether `haystack` contains `needle`, ignoring ASCII case. `needle` must already be
/// ASCII-lowercased. Works on bytes: folding never touches non-ASCII bytes and a UTF-8 needle
/// can only match at a character boundary, so this agrees with a char-wise search.
pub(crate) fn contains_ignore_ascii_case(haystack: &str, lowercase_needle: &str) -> bool {
    let needle = lowercase_needle.as_bytes();
    let Some((&first, _)) = needle.split_first() else {
        return true;
    };
    let haystack = haystack.as_bytes();
    if haystack.len() < needle.len() {
        return false;
    }
    (0..=haystack.len() - needle.len()).any(|start| {
        haystack[start].to_ascii_lowercase() == first
            && haystack[start..start + needle.len()].eq_ignore_ascii_case(needle)
    })
}
