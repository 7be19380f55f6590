//! The call history's rules: which filters a request may carry and what each must look like,
//! the paging cursor, and CSV cells a spreadsheet cannot take for formulas.
//!
//! Filters arrive as text (a query string); [`HistoryQuery::parse`] turns them into a typed
//! [`HistoryQuery`] or the first mistake, as a [`FilterError`] naming the parameter, what was
//! wrong and what to write instead.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use callbridge_phone::{classify, CallerId, Region};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Rows per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The parameters the history understands.
pub const PARAMETERS: [&str; 9] = [
    "from",
    "to",
    "agent",
    "queue",
    "number",
    "direction",
    "outcome",
    "limit",
    "after",
];

/// Outcome words as call records store them.
pub const OUTCOMES: [&str; 7] = [
    "answered",
    "abandoned",
    "no_agent",
    "overflow",
    "outbound_failed",
    "cancelled",
    "failed",
];

/// A filter the history cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The query parameter at fault.
    pub parameter: String,
    /// What was wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where the previous page ended: the last row's start time and call id (rows are ordered
/// newest first, ties by call id, descending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// Unix milliseconds.
    pub started_at: i64,
    pub call_id: String,
}

impl Cursor {
    /// The opaque text the API hands out as `next`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.started_at, self.call_id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (at, call) = text.split_once(':')?;
        let started_at = at.parse().ok()?;
        (!call.is_empty()).then(|| Cursor {
            started_at,
            call_id: call.to_string(),
        })
    }
}

/// A validated history request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Calls that started at or after this (Unix milliseconds).
    pub from: Option<i64>,
    /// Calls that started before this.
    pub to: Option<i64>,
    /// An agent's name: calls they answered first or had last.
    pub agent: Option<String>,
    pub queue: Option<String>,
    /// E.164, as call records store the customer's number.
    pub number: Option<String>,
    pub direction: Option<&'static str>,
    pub outcome: Option<&'static str>,
    pub limit: u32,
    pub after: Option<Cursor>,
}

pub(crate) fn error(parameter: &str, message: String) -> FilterError {
    FilterError {
        parameter: parameter.to_string(),
        message,
    }
}

pub(crate) fn instant(parameter: &str, value: &str) -> Result<i64, FilterError> {
    let parsed = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        error(
            parameter,
            format!(
                "{parameter}: {value:?} is not a date and time; write it as RFC 3339 with its \
                 offset, e.g. 2026-12-06T09:00:00+09:00 or 2026-12-06T00:00:00Z"
            ),
        )
    })?;
    Ok((parsed.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// The pairs of a query string that carry a value: each key one of `known`, given once; values
/// trimmed, empty ones dropped (an empty value does not filter). `what` says what a parameter
/// is, in the message for an unknown one ("a filter of the call history").
pub(crate) fn known_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    known: &[&'static str],
    what: &str,
) -> Result<Vec<(&'static str, &'a str)>, FilterError> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (key, value) in pairs {
        let Some(parameter) = known.iter().find(|p| **p == key).copied() else {
            return Err(error(
                key,
                format!("{key:?} is not {what}; use {}", known.join(", ")),
            ));
        };
        if seen.contains(&parameter) {
            return Err(error(
                parameter,
                format!("{parameter} is given twice; give it once"),
            ));
        }
        seen.push(parameter);
        let value = value.trim();
        if !value.is_empty() {
            out.push((parameter, value));
        }
    }
    Ok(out)
}

/// Letters, digits, `.`, `_`, `-`, `@`: the characters queue ids and agent names are made of.
pub(crate) fn name(parameter: &str, value: &str, what: &str) -> Result<String, FilterError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(error(
            parameter,
            format!(
                "{parameter}: {value:?} is not {what}; write it as configured (1-64 letters, \
                 digits, '.', '_', '-', '@')"
            ),
        ))
    }
}

fn one_of(
    parameter: &str,
    value: &str,
    words: &'static [&'static str],
) -> Result<&'static str, FilterError> {
    words.iter().find(|w| **w == value).copied().ok_or_else(|| {
        error(
            parameter,
            format!(
                "{parameter}: {value:?} is not one of {}",
                words
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

impl HistoryQuery {
    /// Reads `pairs` (a query string's decoded pairs; empty values count as absent). `region`
    /// reads numbers written without a country code.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        region: Region,
    ) -> Result<HistoryQuery, FilterError> {
        let mut query = HistoryQuery {
            limit: DEFAULT_LIMIT,
            ..HistoryQuery::default()
        };
        for (parameter, value) in known_pairs(pairs, &PARAMETERS, "a filter of the call history")? {
            match parameter {
                "from" => query.from = Some(instant(parameter, value)?),
                "to" => query.to = Some(instant(parameter, value)?),
                "agent" => query.agent = Some(name(parameter, value, "an agent's name")?),
                "queue" => query.queue = Some(name(parameter, value, "a queue id")?),
                "number" => query.number = Some(number(value, region)?),
                "direction" => {
                    query.direction = Some(one_of(parameter, value, &["inbound", "outbound"])?)
                }
                "outcome" => query.outcome = Some(one_of(parameter, value, &OUTCOMES)?),
                "limit" => {
                    query.limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            error(
                                parameter,
                                format!(
                                    "limit: {value:?} is not a number of rows from 1 to {MAX_LIMIT}"
                                ),
                            )
                        })?
                }
                "after" => {
                    query.after = Some(Cursor::decode(value).ok_or_else(|| {
                        error(
                            parameter,
                            "after: this is not a cursor the history handed out; pass the \
                             `next` of the previous page unchanged, or leave it out for the \
                             first page"
                                .to_string(),
                        )
                    })?)
                }
                _ => unreachable!("every parameter is handled"),
            }
        }
        if let (Some(from), Some(to)) = (query.from, query.to) {
            if from >= to {
                return Err(error(
                    "to",
                    "to: the range is empty; `to` must be later than `from`".to_string(),
                ));
            }
        }
        Ok(query)
    }
}

fn number(value: &str, region: Region) -> Result<String, FilterError> {
    match classify(value, region) {
        CallerId::Dialable(number) => Ok(number.as_str().to_string()),
        CallerId::Withheld => Err(error(
            "number",
            format!("number: {value:?} is not a phone number; type the customer's number"),
        )),
        CallerId::Invalid { reason, .. } => Err(error(
            "number",
            format!(
                "number: {value:?} is not a phone number ({reason}); type it with its country \
                 code (+81 3 1234 5678) or as dialled in {region}"
            ),
        )),
    }
}

/// One CSV cell: quoted when it holds a comma, quote or line break, and prefixed with `'`
/// when a spreadsheet would read it as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return), so an attacker-chosen value can never run as one.
pub fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// One CSV line (CRLF-terminated, RFC 4180).
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jp() -> Region {
        "JP".parse().unwrap()
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<HistoryQuery, FilterError> {
        HistoryQuery::parse(pairs.iter().copied(), jp())
    }

    #[test]
    fn no_filter_is_the_newest_page_of_fifty() {
        let q = parse(&[]).unwrap();
        assert_eq!(q.limit, 50);
        assert_eq!(
            q,
            HistoryQuery {
                limit: 50,
                ..HistoryQuery::default()
            }
        );
    }

    #[test]
    fn every_filter_is_read_into_its_type() {
        let after = Cursor {
            started_at: 1_700_000_000_000,
            call_id: "c:9".into(),
        };
        let cursor = after.encode();
        let q = parse(&[
            ("from", "2026-12-06T09:00:00+09:00"),
            ("to", "2026-12-07T00:00:00Z"),
            ("agent", "alice"),
            ("queue", "support"),
            ("number", "03-1234-5678"),
            ("direction", "inbound"),
            ("outcome", "abandoned"),
            ("limit", "10"),
            ("after", &cursor),
        ])
        .unwrap();
        assert_eq!(q.from, Some(1_796_515_200_000));
        assert_eq!(q.to, Some(1_796_601_600_000));
        assert_eq!(q.agent.as_deref(), Some("alice"));
        assert_eq!(q.number.as_deref(), Some("+81312345678"));
        assert_eq!(
            (q.direction, q.outcome, q.limit),
            (Some("inbound"), Some("abandoned"), 10)
        );
        assert_eq!(q.after, Some(after));
    }

    #[test]
    fn empty_values_are_absent_filters() {
        assert_eq!(
            parse(&[("agent", ""), ("number", " ")]).unwrap(),
            parse(&[]).unwrap()
        );
    }

    #[test]
    fn each_mistake_names_its_parameter_and_what_to_write() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: [Case; 10] = [
            (&[("from", "yesterday")], "from", "RFC 3339"),
            (&[("to", "2026-12-06")], "to", "RFC 3339"),
            (
                &[
                    ("from", "2026-12-07T00:00:00Z"),
                    ("to", "2026-12-06T00:00:00Z"),
                ],
                "to",
                "later than `from`",
            ),
            (&[("agent", "al ice")], "agent", "agent's name"),
            (&[("queue", "<b>")], "queue", "queue id"),
            (&[("number", "hello")], "number", "country code"),
            (
                &[("direction", "sideways")],
                "direction",
                "\"inbound\", \"outbound\"",
            ),
            (&[("outcome", "won")], "outcome", "\"abandoned\""),
            (&[("limit", "1000")], "limit", "from 1 to 200"),
            (&[("after", "bm9wZQ")], "after", "`next`"),
        ];
        for (pairs, parameter, says) in cases {
            let e = parse(pairs).unwrap_err();
            assert_eq!(e.parameter, parameter, "{pairs:?}");
            assert!(e.message.contains(says), "{pairs:?}: {}", e.message);
        }
        let e = parse(&[("sort", "asc")]).unwrap_err();
        assert!(e.message.contains("from, to, agent"), "{}", e.message);
        let e = parse(&[("agent", "a"), ("agent", "b")]).unwrap_err();
        assert!(e.message.contains("twice"), "{}", e.message);
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_no_cursor() {
        let c = Cursor {
            started_at: -5,
            call_id: "x:y".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "!!", "MTIz", "YTpi"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+81312345678"), "'+81312345678");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_line(&["a", "=1"]), "a,'=1\r\n");
    }
}
