//! Binding: checks a parsed query against the table's schema and compiles it for evaluation
//! (servicenow.md §1.2 and §1.4).
//!
//! A dropped term behaves exactly as if it had not been written: an `^OR` alternative
//! disappears from its clause, a clause with no alternatives left disappears from its group,
//! and a group with no clauses left disappears from the query. A query with no groups left
//! has no filter at all, which is why a wholly invalid query returns every row on an instance.

use super::ast::{Clause, EncodedQuery, Operator, OrderBy, QueryGroup, Term};
use super::eval::{
    parse_number, BoundClause, BoundGroup, BoundQuery, Limit, Predicate, Range, SortKey, Test,
};
use super::parse::is_field_name;
use super::script::{is_script, resolve};
use super::text::Collation;
use super::{Catalog, FieldKind, MatchOptions, QueryContext};

impl EncodedQuery {
    /// Resolves fields against `catalog`, evaluates `javascript:` values with `ctx`, and
    /// applies the instance switches in `opts`.
    pub fn bind(
        &self,
        catalog: &dyn Catalog,
        ctx: &QueryContext,
        opts: &MatchOptions,
    ) -> BoundQuery {
        let mut binder = Binder {
            catalog,
            ctx,
            collation: Collation::new(opts.case_sensitive_equality),
            dropped_fields: Vec::new(),
            dropped_filter_term: false,
        };
        let groups: Vec<BoundGroup> = self
            .groups
            .iter()
            .filter_map(|group| binder.bind_group(group))
            .collect();
        let sort_keys = self
            .order_by
            .iter()
            .filter_map(|order| binder.bind_order(order))
            .collect();
        // Ordering never filters, so an invalid ORDERBY field does not trigger the switch.
        let invalid_means_empty = opts.invalid_query_returns_no_rows && binder.dropped_filter_term;
        let all_groups_impossible =
            !groups.is_empty() && groups.iter().all(BoundGroup::is_impossible);
        BoundQuery {
            groups,
            sort_keys,
            dropped_fields: binder.dropped_fields,
            matches_nothing: invalid_means_empty || all_groups_impossible,
        }
    }
}

struct Binder<'a> {
    catalog: &'a dyn Catalog,
    ctx: &'a QueryContext,
    collation: Collation,
    dropped_fields: Vec<String>,
    /// Whether any filter term (not ordering) was dropped.
    dropped_filter_term: bool,
}

impl Binder<'_> {
    fn bind_group(&mut self, group: &QueryGroup) -> Option<BoundGroup> {
        let clauses: Vec<BoundClause> = group
            .clauses
            .iter()
            .filter_map(|clause| self.bind_clause(clause))
            .collect();
        (!clauses.is_empty()).then_some(BoundGroup { clauses })
    }

    fn bind_clause(&mut self, clause: &Clause) -> Option<BoundClause> {
        let alternatives: Vec<Predicate> = clause
            .terms
            .iter()
            .filter_map(|term| self.bind_term(term))
            .collect();
        (!alternatives.is_empty()).then_some(BoundClause { alternatives })
    }

    /// `None` when the term is dropped.
    fn bind_term(&mut self, term: &Term) -> Option<Predicate> {
        let bound = match term {
            Term::Condition {
                field,
                operator,
                value,
            } => self.bind_condition(field, *operator, value),
            Term::TextSearch { text } => Ok(self.bind_text_search(text)),
            Term::Invalid { raw } => Err(raw.clone()),
        };
        match bound {
            Ok(predicate) => Some(predicate),
            Err(culprit) => {
                self.dropped_fields.push(culprit);
                self.dropped_filter_term = true;
                None
            }
        }
    }

    fn bind_order(&mut self, order: &OrderBy) -> Option<SortKey> {
        let Some(kind) = self.field_kind(&order.field) else {
            self.dropped_fields.push(order.field.clone());
            return None;
        };
        Some(SortKey {
            field: order.field.clone(),
            numeric: is_numeric(kind),
            descending: order.descending,
            collation: self.collation,
        })
    }

    fn field_kind(&self, field: &str) -> Option<FieldKind> {
        if is_field_name(field) {
            self.catalog.field_kind(field)
        } else {
            None
        }
    }

    fn bind_text_search(&self, text: &str) -> Predicate {
        let test = match resolve(text, self.ctx) {
            Some(needle) => Test::TextSearch {
                columns: self.catalog.text_columns(),
                lowercase_needle: needle.to_ascii_lowercase(),
            },
            None => Test::Never,
        };
        self.predicate("", test)
    }

    /// Drops the term, naming the culprit field, when the field (or the `SAMEAS` partner) is
    /// invalid or the operator never applies to reads.
    fn bind_condition(
        &self,
        field: &str,
        operator: Operator,
        value: &str,
    ) -> Result<Predicate, String> {
        let kind = self.field_kind(field).ok_or_else(|| field.to_owned())?;
        let test = match operator {
            Operator::Equals | Operator::Dynamic => {
                self.evaluated(value, |v| self.equality_key(kind, v), Test::Equals)
            }
            Operator::NotEquals => {
                self.evaluated(value, |v| self.equality_key(kind, v), Test::NotEquals)
            }
            Operator::In => self.one_of(kind, value),
            Operator::NotIn => self.none_of(kind, value),
            Operator::LessThan => self.range(kind, None, Some((value, false))),
            Operator::LessOrEqual => self.range(kind, None, Some((value, true))),
            Operator::GreaterThan => self.range(kind, Some((value, false)), None),
            Operator::GreaterOrEqual => self.range(kind, Some((value, true)), None),
            Operator::Between => self.between(kind, value),
            Operator::Like => self.evaluated(value, str::to_ascii_lowercase, Test::Contains),
            Operator::NotLike => self.evaluated(value, str::to_ascii_lowercase, Test::NotContains),
            Operator::StartsWith => {
                self.evaluated(value, |v| self.collation.fold(v), Test::StartsWith)
            }
            Operator::EndsWith => self.evaluated(value, |v| self.collation.fold(v), Test::EndsWith),
            // Stored values are plain strings here, so NULL and "" are the same thing.
            Operator::IsEmpty | Operator::EmptyString => Test::IsEmpty,
            Operator::IsNotEmpty => Test::IsNotEmpty,
            Operator::Anything => Test::Always,
            Operator::SameAs => Test::SameAs(self.partner_field(value)?),
            Operator::NotSameAs => Test::NotSameAs(self.partner_field(value)?),
            Operator::InstanceOf
            | Operator::InHierarchy
            | Operator::ValChanges
            | Operator::ChangesFrom
            | Operator::ChangesTo => return Err(field.to_owned()),
        };
        Ok(self.predicate(field, test))
    }

    fn predicate(&self, field: &str, test: Test) -> Predicate {
        Predicate {
            field: field.to_owned(),
            test,
            collation: self.collation,
        }
    }

    /// The other field of `SAMEAS` / `NSAMEAS`; `Err` names it when it is invalid.
    fn partner_field(&self, value: &str) -> Result<String, String> {
        match self.field_kind(value) {
            Some(_) => Ok(value.to_owned()),
            None => Err(value.to_owned()),
        }
    }

    /// Evaluates `value`, brings it into the form `test` compares with, and builds the test.
    /// A failing script gives `Never`: on an instance the value is null, which nothing equals.
    fn evaluated(
        &self,
        value: &str,
        prepare: impl Fn(&str) -> String,
        test: fn(String) -> Test,
    ) -> Test {
        match resolve(value, self.ctx) {
            Some(value) => test(prepare(&value)),
            None => Test::Never,
        }
    }

    /// The form in which a value is compared for equality, which is also its index key.
    fn equality_key(&self, kind: FieldKind, value: &str) -> String {
        let value = match kind {
            FieldKind::Boolean => canonical_boolean(value),
            _ => value,
        };
        self.collation.fold(value)
    }

    /// `IN`: a failing script item matches nothing, so it simply adds no value.
    fn one_of(&self, kind: FieldKind, value: &str) -> Test {
        let items: Vec<String> = self.list_items(kind, value).into_iter().flatten().collect();
        if items.is_empty() {
            Test::Never
        } else {
            Test::OneOf(items)
        }
    }

    /// `NOT IN`: as in SQL, a null item (failing script) makes the test hold for no row.
    fn none_of(&self, kind: FieldKind, value: &str) -> Test {
        match self.list_items(kind, value).into_iter().collect() {
            Some(items) => Test::NoneOf(items),
            None => Test::Never,
        }
    }

    /// Items of an `IN` / `NOT IN` list, trimmed, evaluated (`None` for a failing script) and
    /// normalised. A value that is a script as a whole is evaluated before splitting, because
    /// scripts contain commas.
    fn list_items(&self, kind: FieldKind, value: &str) -> Vec<Option<String>> {
        let items: Vec<&str> = if is_script(value) {
            vec![value]
        } else {
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .collect()
        };
        items
            .into_iter()
            .map(|item| resolve(item, self.ctx).map(|item| self.equality_key(kind, &item)))
            .collect()
    }

    /// `BETWEEN low@high`, both ends inclusive. `@` has no escape (servicenow.md §1.4), so the
    /// first one splits.
    fn between(&self, kind: FieldKind, value: &str) -> Test {
        match value.split_once('@') {
            Some((low, high)) => self.range(kind, Some((low, true)), Some((high, true))),
            None => Test::Never,
        }
    }

    /// An ordering comparison; each bound is (raw query text, inclusive). Integer and Decimal
    /// fields compare as numbers, everything else as text.
    fn range(&self, kind: FieldKind, low: Bound<'_>, high: Bound<'_>) -> Test {
        let range = if is_numeric(kind) {
            self.limits(low, high, parse_number)
                .map(|(low, high)| Range::Numeric { low, high })
        } else {
            self.limits(low, high, |text| Some(text.to_owned()))
                .map(|(low, high)| Range::Text { low, high })
        };
        // A failing script or a non-number bound makes the comparison hold for no row.
        range.map_or(Test::Never, Test::Range)
    }

    /// Evaluates and converts both bounds; `None` when a given bound cannot be converted.
    fn limits<T>(
        &self,
        low: Bound<'_>,
        high: Bound<'_>,
        convert: impl Fn(&str) -> Option<T>,
    ) -> Option<Limits<T>> {
        let limit = |bound: Bound<'_>| match bound {
            None => Some(None),
            Some((raw, inclusive)) => resolve(raw, self.ctx)
                .and_then(|value| convert(&value))
                .map(|value| Some(Limit { value, inclusive })),
        };
        Some((limit(low)?, limit(high)?))
    }
}

/// One side of a range as written in the query: raw value and whether it is inclusive.
type Bound<'a> = Option<(&'a str, bool)>;
/// Converted (low, high) ends of a range; `None` ends are unbounded.
type Limits<T> = (Option<Limit<T>>, Option<Limit<T>>);

fn is_numeric(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Integer | FieldKind::Decimal)
}

/// Booleans are stored as "true"/"false"; queries may also say "1"/"0" or use any case.
fn canonical_boolean(value: &str) -> &str {
    if value == "1" || value.eq_ignore_ascii_case("true") {
        "true"
    } else if value == "0" || value.eq_ignore_ascii_case("false") {
        "false"
    } else {
        value
    }
}
