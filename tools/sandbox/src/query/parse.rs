//! Encoded-query parser (servicenow.md §1.4).
//!
//! Parsing never fails: like a real instance, anything it cannot understand becomes an
//! `Invalid` term, which `bind` later drops (or turns into "no rows", depending on
//! `glide.invalid_query.returns_no_rows`).

use super::ast::{Clause, EncodedQuery, OrderBy, QueryGroup, Term, OPERATOR_SPELLINGS};

/// Marker of a full-text search term; uppercase, so it can never collide with a column name.
const TEXT_QUERY_FIELD: &str = "123TEXTQUERY321";
/// UI-generated text searches prefix the field with this; it carries no meaning for us.
const GOTO_PREFIX: &str = "GOTO";
/// `^EQ` closes UI-generated queries; it is accepted and ignored.
const END_OF_QUERY: &str = "EQ";
const ORDER_BY: &str = "ORDERBY";
const ORDER_BY_DESC: &str = "ORDERBYDESC";

/// How a term is attached to the terms before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joiner {
    /// Start of the string or `^`: a new AND clause.
    And,
    /// `^OR`: another alternative of the current clause.
    Or,
    /// `^NQ`: a new top-level group.
    NewQuery,
}

/// Parses a (URL-decoded) `sysparm_query`.
pub fn parse(raw: &str) -> EncodedQuery {
    let mut builder = QueryBuilder::default();
    for (joiner, text) in split_terms(raw) {
        builder.push(joiner, &text);
    }
    builder.finish()
}

/// Splits the query at its separators, un-escaping `^^` to a literal `^` on the way.
///
/// The scan goes left to right and consumes `^^` as a pair before looking for separators, so
/// `a^^^ORb` is "a^" followed by an `^OR` term "b", the way `escapeQueryTermSeparator` output reads.
fn split_terms(raw: &str) -> Vec<(Joiner, String)> {
    let mut terms = Vec::new();
    let mut joiner = Joiner::And;
    let mut text = String::new();
    let mut rest = raw;
    while let Some(caret) = rest.find('^') {
        text.push_str(&rest[..caret]);
        let after = &rest[caret + 1..];
        if let Some(escaped) = after.strip_prefix('^') {
            text.push('^');
            rest = escaped;
            continue;
        }
        terms.push((joiner, std::mem::take(&mut text)));
        (joiner, rest) = read_joiner(after);
    }
    text.push_str(rest);
    terms.push((joiner, text));
    terms
}

/// Reads the keyword right after a separating `^`. `ORDERBY...` is a term of its own, not `^OR`.
fn read_joiner(after_caret: &str) -> (Joiner, &str) {
    if after_caret.starts_with(ORDER_BY) {
        return (Joiner::And, after_caret);
    }
    if let Some(rest) = after_caret.strip_prefix("OR") {
        return (Joiner::Or, rest);
    }
    if let Some(rest) = after_caret.strip_prefix("NQ") {
        return (Joiner::NewQuery, rest);
    }
    (Joiner::And, after_caret)
}

/// Assembles terms into groups and clauses as the separators dictate.
#[derive(Default)]
struct QueryBuilder {
    groups: Vec<QueryGroup>,
    order_by: Vec<OrderBy>,
}

impl QueryBuilder {
    fn push(&mut self, joiner: Joiner, text: &str) {
        if joiner == Joiner::NewQuery || self.groups.is_empty() {
            self.groups.push(QueryGroup::default());
        }
        if text.is_empty() || text == END_OF_QUERY {
            return;
        }
        if let Some(order) = parse_order_by(text) {
            self.order_by.push(order);
            return;
        }
        let term = parse_term(text);
        let group = self.groups.last_mut().expect("a group was pushed above");
        match (joiner, group.clauses.last_mut()) {
            (Joiner::Or, Some(clause)) => clause.terms.push(term),
            _ => group.clauses.push(Clause { terms: vec![term] }),
        }
    }

    fn finish(self) -> EncodedQuery {
        EncodedQuery {
            // `a=1^NQ` or `^NQORDERBYx` leave groups without clauses; they mean nothing.
            groups: self
                .groups
                .into_iter()
                .filter(|group| !group.clauses.is_empty())
                .collect(),
            order_by: self.order_by,
        }
    }
}

fn parse_order_by(text: &str) -> Option<OrderBy> {
    if let Some(field) = text.strip_prefix(ORDER_BY_DESC) {
        return Some(OrderBy {
            field: field.to_owned(),
            descending: true,
        });
    }
    text.strip_prefix(ORDER_BY).map(|field| OrderBy {
        field: field.to_owned(),
        descending: false,
    })
}

/// Parses one `<field><operator><value>` term.
fn parse_term(text: &str) -> Term {
    let body = text.strip_prefix(GOTO_PREFIX).unwrap_or(text);
    if let Some(after) = body.strip_prefix(TEXT_QUERY_FIELD) {
        return match after.strip_prefix('=') {
            Some(search) => Term::TextSearch {
                text: search.to_owned(),
            },
            None => invalid(text),
        };
    }
    let field_len = field_name_len(body);
    let (field, after_field) = body.split_at(field_len);
    if field.is_empty() {
        return invalid(text);
    }
    let Some((token, operator)) = OPERATOR_SPELLINGS
        .iter()
        .find(|(token, _)| after_field.starts_with(token))
    else {
        return invalid(text);
    };
    Term::Condition {
        field: field.to_owned(),
        operator: *operator,
        value: after_field[token.len()..].to_owned(),
    }
}

fn invalid(text: &str) -> Term {
    Term::Invalid {
        raw: text.to_owned(),
    }
}

/// Column names are lowercase letters, digits and `_`; `.` joins dot-walk segments.
pub(crate) fn is_field_char(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'.'
}

/// Length of the longest prefix of `text` that can be a field name. The operator starts right
/// after it, which is why operators are uppercase or punctuation.
fn field_name_len(text: &str) -> usize {
    text.bytes().take_while(|byte| is_field_char(*byte)).count()
}

/// Whether `text` as a whole is well-formed as a (possibly dot-walked) field name.
pub(crate) fn is_field_name(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(is_field_char)
        && text.split('.').all(|segment| !segment.is_empty())
}
