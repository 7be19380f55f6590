//! Property tests: the index plan never loses a match, and no input makes the engine panic.

use std::collections::HashMap;

use proptest::prelude::*;

use super::test_support::{context, TestCatalog, TestRow};
use super::{parse, FieldKind, MatchOptions, Row};

/// Columns of the generated table; "zz" is not a column, "a.b" is a dot-walk.
const FIELDS: &[&str] = &["a", "b", "c", "flag", "zz", "a.b"];
const VALUES: &[&str] = &[
    "x",
    "y",
    "X",
    "",
    "xy",
    "1",
    "0",
    "true",
    "javascript:nope()",
];

fn catalog() -> TestCatalog {
    TestCatalog::new(&[
        ("a", FieldKind::String),
        ("b", FieldKind::String),
        ("c", FieldKind::Integer),
        ("flag", FieldKind::Boolean),
        ("a.b", FieldKind::String),
    ])
}

fn stored_value() -> impl Strategy<Value = String> {
    prop::sample::select(&["x", "y", "X", "", "xy", "1", "0", "true", "false"][..])
        .prop_map(str::to_owned)
}

fn row() -> impl Strategy<Value = TestRow> {
    prop::collection::hash_map(
        prop::sample::select(FIELDS),
        stored_value(),
        0..FIELDS.len(),
    )
    .prop_map(|values| {
        let values: HashMap<String, String> = values
            .into_iter()
            .map(|(field, value)| (field.to_owned(), value))
            .collect();
        TestRow::from_map(values)
    })
}

fn query_value() -> impl Strategy<Value = String> {
    prop::sample::select(VALUES).prop_map(str::to_owned)
}

/// `=`, `IN` (sometimes with spaces), and a few non-indexable operators to exercise `None` plans.
fn term() -> impl Strategy<Value = String> {
    let field = prop::sample::select(FIELDS);
    let operation = prop_oneof![
        4 => query_value().prop_map(|value| format!("={value}")),
        3 => prop::collection::vec(query_value(), 0..4)
            .prop_map(|values| format!("IN{}", values.join(", "))),
        1 => query_value().prop_map(|value| format!("!={value}")),
        1 => query_value().prop_map(|value| format!("LIKE{value}")),
        1 => Just("ISEMPTY".to_owned()),
    ];
    (field, operation).prop_map(|(field, operation)| format!("{field}{operation}"))
}

fn query() -> impl Strategy<Value = String> {
    let joiner = prop::sample::select(&["^", "^OR", "^NQ"][..]);
    (term(), prop::collection::vec((joiner, term()), 0..6)).prop_map(|(first, rest)| {
        rest.into_iter()
            .fold(first, |query, (joiner, term)| query + joiner + &term)
    })
}

fn options() -> impl Strategy<Value = MatchOptions> {
    (any::<bool>(), any::<bool>()).prop_map(|(no_rows, case_sensitive)| MatchOptions {
        invalid_query_returns_no_rows: no_rows,
        case_sensitive_equality: case_sensitive,
    })
}

/// Query-like noise: operators, separators and keywords in random order.
fn noisy_text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(
        &[
            "^",
            "^^",
            "^OR",
            "^NQ",
            "^EQ",
            "ORDERBY",
            "ORDERBYDESC",
            "GOTO",
            "123TEXTQUERY321",
            "a",
            "b",
            "c",
            "a.b",
            ".",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "IN",
            "NOT IN",
            "LIKE",
            "NOT LIKE",
            "BETWEEN",
            "@",
            ",",
            "SAMEAS",
            "ISEMPTY",
            "javascript:",
            "gs.now()",
            "é",
            " ",
            "1",
            "x",
        ][..],
    );
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn index_candidates_cover_every_match(
        rows in prop::collection::vec(row(), 0..8),
        query in query(),
        opts in options(),
    ) {
        // servicenow.md §1.4: the union of the planned equality lookups is a superset of the matches.
        let bound = parse(&query).bind(&catalog(), &context(), &opts);
        let Some(candidates) = bound.index_candidates() else {
            return Ok(());
        };
        let index_key = |value: &str| {
            if opts.case_sensitive_equality { value.to_owned() } else { value.to_ascii_lowercase() }
        };
        for row in rows.iter().filter(|row| bound.matches(*row)) {
            let covered = candidates
                .iter()
                .any(|(field, value)| index_key(&row.value(field)) == *value);
            prop_assert!(covered, "query {query:?} matched {row:?} outside {candidates:?}");
        }
    }

    #[test]
    fn matches_nothing_means_no_row_matches(
        rows in prop::collection::vec(row(), 0..8),
        query in query(),
        opts in options(),
    ) {
        // servicenow.md §1.2: the no-rows shortcut must agree with row-by-row evaluation.
        let bound = parse(&query).bind(&catalog(), &context(), &opts);
        if bound.matches_nothing() {
            prop_assert!(rows.iter().all(|row| !bound.matches(row)));
        }
    }

    #[test]
    fn parse_bind_match_never_panics_on_arbitrary_text(
        text in prop_oneof![any::<String>(), noisy_text()],
        row in row(),
        opts in options(),
    ) {
        // servicenow.md §1.2: an instance ignores what it cannot read; it never errors out.
        let bound = parse(&text).bind(&catalog(), &context(), &opts);
        let _ = bound.matches(&row);
        let _ = bound.compare(&row, &row);
        let _ = bound.index_candidates();
    }
}
