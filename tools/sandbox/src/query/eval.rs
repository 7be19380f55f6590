//! A query bound to a table, and its evaluation over rows.
//!
//! Everything that can be decided once per query (field validity, `javascript:` results, case
//! folding, number parsing) was done by `bind`; `matches` and `compare` only read row values,
//! and allocate nothing themselves.

use std::cmp::Ordering;

use super::text::{contains_ignore_ascii_case, Collation};
use super::Row;

/// A query ready to run against one table's rows.
#[derive(Debug, Clone)]
pub struct BoundQuery {
    /// Top-level OR (`^NQ`). Empty means no filter: every row matches.
    pub(crate) groups: Vec<BoundGroup>,
    pub(crate) sort_keys: Vec<SortKey>,
    pub(crate) dropped_fields: Vec<String>,
    pub(crate) matches_nothing: bool,
}

/// AND of clauses; never empty (a group whose terms were all dropped is removed).
#[derive(Debug, Clone)]
pub(crate) struct BoundGroup {
    pub(crate) clauses: Vec<BoundClause>,
}

/// OR of alternatives (`^OR`); never empty.
#[derive(Debug, Clone)]
pub(crate) struct BoundClause {
    pub(crate) alternatives: Vec<Predicate>,
}

/// One condition on one field.
#[derive(Debug, Clone)]
pub(crate) struct Predicate {
    /// Path handed to `Row::value`, possibly dot-walked. Unused by `TextSearch`.
    pub(crate) field: String,
    pub(crate) test: Test,
    pub(crate) collation: Collation,
}

/// What a predicate checks. Values for equality, `IN` and prefix/suffix tests are already
/// folded to the predicate's collation; `Contains`/`NotContains` needles are always
/// ASCII-lowercased (LIKE ignores case); range limits are raw and folded while comparing.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// Holds for no row (e.g. a `javascript:` value that evaluates to null).
    Never,
    Always,
    Equals(String),
    NotEquals(String),
    OneOf(Vec<String>),
    NoneOf(Vec<String>),
    Contains(String),
    NotContains(String),
    StartsWith(String),
    EndsWith(String),
    IsEmpty,
    IsNotEmpty,
    Range(Range),
    SameAs(String),
    NotSameAs(String),
    TextSearch {
        columns: Vec<String>,
        lowercase_needle: String,
    },
}

/// `<`, `<=`, `>`, `>=` and `BETWEEN` as one shape: optional bounds on either side.
#[derive(Debug, Clone)]
pub(crate) enum Range {
    /// Integer and Decimal fields compare as numbers.
    Numeric {
        low: Option<Limit<f64>>,
        high: Option<Limit<f64>>,
    },
    /// Everything else compares as text ("YYYY-MM-DD HH:MM:SS" dates sort correctly as text).
    Text {
        low: Option<Limit<String>>,
        high: Option<Limit<String>>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Limit<T> {
    pub(crate) value: T,
    pub(crate) inclusive: bool,
}

/// One `ORDERBY` / `ORDERBYDESC` key.
#[derive(Debug, Clone)]
pub(crate) struct SortKey {
    pub(crate) field: String,
    pub(crate) numeric: bool,
    pub(crate) descending: bool,
    pub(crate) collation: Collation,
}

impl BoundQuery {
    /// Whether `row` satisfies the filter.
    pub fn matches(&self, row: &dyn Row) -> bool {
        if self.matches_nothing {
            return false;
        }
        self.groups.is_empty() || self.groups.iter().any(|group| group.matches(row))
    }

    /// Orders two rows by the `ORDERBY` / `ORDERBYDESC` keys, first key first.
    pub fn compare(&self, a: &dyn Row, b: &dyn Row) -> Ordering {
        self.sort_keys
            .iter()
            .map(|key| key.compare(a, b))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    }

    pub fn has_order(&self) -> bool {
        !self.sort_keys.is_empty()
    }

    /// Fields (or raw terms, when no field could be read) that were dropped as invalid.
    pub fn dropped_fields(&self) -> &[String] {
        &self.dropped_fields
    }

    /// True when no row can match, so the caller may skip the scan altogether.
    pub fn matches_nothing(&self) -> bool {
        self.matches_nothing
    }
}

impl BoundGroup {
    fn matches(&self, row: &dyn Row) -> bool {
        self.clauses.iter().all(|clause| clause.matches(row))
    }

    /// A group with a clause that can never hold can never match.
    pub(crate) fn is_impossible(&self) -> bool {
        self.clauses.iter().any(BoundClause::is_impossible)
    }
}

impl BoundClause {
    fn matches(&self, row: &dyn Row) -> bool {
        self.alternatives
            .iter()
            .any(|predicate| predicate.matches(row))
    }

    fn is_impossible(&self) -> bool {
        self.alternatives
            .iter()
            .all(|predicate| matches!(predicate.test, Test::Never))
    }
}

impl Predicate {
    fn matches(&self, row: &dyn Row) -> bool {
        match &self.test {
            Test::Never => false,
            Test::Always => true,
            Test::TextSearch {
                columns,
                lowercase_needle,
            } => columns
                .iter()
                .any(|column| contains_ignore_ascii_case(&row.value(column), lowercase_needle)),
            Test::SameAs(other) => self
                .collation
                .eq(&row.value(&self.field), &row.value(other)),
            Test::NotSameAs(other) => !self
                .collation
                .eq(&row.value(&self.field), &row.value(other)),
            test => test.accepts(&row.value(&self.field), self.collation),
        }
    }
}

impl Test {
    /// Checks a stored value against a single-field test.
    fn accepts(&self, stored: &str, collation: Collation) -> bool {
        match self {
            Test::Equals(wanted) => collation.eq(stored, wanted),
            Test::NotEquals(unwanted) => !collation.eq(stored, unwanted),
            Test::OneOf(values) => values.iter().any(|value| collation.eq(stored, value)),
            Test::NoneOf(values) => !values.iter().any(|value| collation.eq(stored, value)),
            Test::Contains(needle) => contains_ignore_ascii_case(stored, needle),
            Test::NotContains(needle) => !contains_ignore_ascii_case(stored, needle),
            Test::StartsWith(prefix) => collation.starts_with(stored, prefix),
            Test::EndsWith(suffix) => collation.ends_with(stored, suffix),
            Test::IsEmpty => stored.is_empty(),
            Test::IsNotEmpty => !stored.is_empty(),
            Test::Range(range) => range.contains(stored, collation),
            Test::Never => false,
            Test::Always => true,
            // Multi-field tests are handled by `Predicate::matches`.
            Test::SameAs(_) | Test::NotSameAs(_) | Test::TextSearch { .. } => false,
        }
    }
}

impl Range {
    /// An empty stored value is SQL NULL on an instance and satisfies no ordering comparison.
    fn contains(&self, stored: &str, collation: Collation) -> bool {
        if stored.is_empty() {
            return false;
        }
        match self {
            Range::Numeric { low, high } => parse_number(stored)
                .is_some_and(|number| within(low, high, |limit: &f64| cmp_numbers(number, *limit))),
            Range::Text { low, high } => {
                within(low, high, |limit: &String| collation.cmp(stored, limit))
            }
        }
    }
}

/// Whether a value lies between the optional limits; `cmp_to` compares the value with a limit.
fn within<T>(
    low: &Option<Limit<T>>,
    high: &Option<Limit<T>>,
    cmp_to: impl Fn(&T) -> Ordering,
) -> bool {
    let above_low = low.as_ref().is_none_or(|limit| match cmp_to(&limit.value) {
        Ordering::Greater => true,
        Ordering::Equal => limit.inclusive,
        Ordering::Less => false,
    });
    let below_high = high
        .as_ref()
        .is_none_or(|limit| match cmp_to(&limit.value) {
            Ordering::Less => true,
            Ordering::Equal => limit.inclusive,
            Ordering::Greater => false,
        });
    above_low && below_high
}

/// Finite number in plain decimal notation; anything else is "not a number" for comparisons.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

/// Numeric order of two finite numbers (`parse_number` never yields NaN), with `-0 == 0`.
fn cmp_numbers(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

impl SortKey {
    fn compare(&self, a: &dyn Row, b: &dyn Row) -> Ordering {
        let (a, b) = (a.value(&self.field), b.value(&self.field));
        let ascending = if self.numeric {
            // Empty or non-numeric values sort before every number, as NULLs do in ascending SQL order.
            let (a, b) = (parse_number(&a), parse_number(&b));
            match (a, b) {
                (Some(a), Some(b)) => cmp_numbers(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            }
        } else {
            self.collation.cmp(&a, &b)
        };
        if self.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}
