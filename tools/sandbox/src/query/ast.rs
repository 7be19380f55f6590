//! Syntax tree of a parsed `sysparm_query` (servicenow.md §1.4).
//!
//! The tree keeps the query's shape exactly as written; it knows nothing about the table.
//! Field validity, value evaluation and case rules are applied later, by `bind`.

/// A whole encoded query: a top-level OR of AND-groups (`^NQ` separates groups), plus the
/// ordering terms, which never filter and may appear anywhere in the string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EncodedQuery {
    pub groups: Vec<QueryGroup>,
    pub order_by: Vec<OrderBy>,
}

impl EncodedQuery {
    /// True when the query has neither filter terms nor ordering (e.g. `""`, `"^"`, `"^EQ"`).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.order_by.is_empty()
    }
}

/// One `^NQ` group: every clause must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryGroup {
    pub clauses: Vec<Clause>,
}

/// Terms joined by `^OR`: at least one must hold. A clause starts at every plain `^`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clause {
    pub terms: Vec<Term>,
}

/// A single filter term.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `<field><operator><value>`; `value` is raw text (already un-escaped, `javascript:` not evaluated).
    Condition {
        field: String,
        operator: Operator,
        value: String,
    },
    /// `123TEXTQUERY321=<text>` (optionally `GOTO`-prefixed): search across all text columns.
    TextSearch { text: String },
    /// Text with no recognisable field/operator. Kept so `bind` can report it and apply
    /// `glide.invalid_query.returns_no_rows`, as a real instance ignores such terms.
    Invalid { raw: String },
}

impl Term {
    /// Convenience constructor, mostly for tests.
    pub fn condition(field: &str, operator: Operator, value: &str) -> Self {
        Term::Condition {
            field: field.to_owned(),
            operator,
            value: value.to_owned(),
        }
    }
}

/// `ORDERBY<field>` (ascending) or `ORDERBYDESC<field>`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub field: String,
    pub descending: bool,
}

/// Every operator of servicenow.md §1.4 the parser recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Equals,
    NotEquals,
    LessThan,
    LessOrEqual,
    GreaterThan,
    GreaterOrEqual,
    /// `BETWEEN low@high`, inclusive.
    Between,
    /// Contains, case-insensitive (`LIKE` or `*`).
    Like,
    /// Does not contain, case-insensitive (`NOTLIKE`, `NOT LIKE` or `!*`).
    NotLike,
    StartsWith,
    /// `ENDSWITH` or `%`.
    EndsWith,
    IsEmpty,
    IsNotEmpty,
    /// Value is exactly the empty string.
    EmptyString,
    /// Always true.
    Anything,
    /// `IN a,b,c`.
    In,
    /// `NOT IN a,b`.
    NotIn,
    /// Field equals another field (value is the other field's name).
    SameAs,
    /// Field differs from another field.
    NotSameAs,
    /// Dynamic filter; emulated as equality with the given id.
    Dynamic,
    InstanceOf,
    InHierarchy,
    /// Change operators only mean something in business-rule conditions, never on reads.
    ValChanges,
    ChangesFrom,
    ChangesTo,
}

/// Operator spellings. The parser takes the first entry that prefixes the text after the field
/// name, so a token must come before every shorter token that prefixes it (`INSTANCEOF` and
/// `IN_HIERARCHY` before `IN`, `<=` before `<`). The first spelling of an operator is its
/// canonical one.
pub(crate) const OPERATOR_SPELLINGS: &[(&str, Operator)] = &[
    ("IN_HIERARCHY", Operator::InHierarchy),
    ("CHANGESFROM", Operator::ChangesFrom),
    ("EMPTYSTRING", Operator::EmptyString),
    ("ISNOTEMPTY", Operator::IsNotEmpty),
    ("INSTANCEOF", Operator::InstanceOf),
    ("VALCHANGES", Operator::ValChanges),
    ("STARTSWITH", Operator::StartsWith),
    ("CHANGESTO", Operator::ChangesTo),
    ("ANYTHING", Operator::Anything),
    ("ENDSWITH", Operator::EndsWith),
    ("NOTLIKE", Operator::NotLike),
    ("NOT LIKE", Operator::NotLike),
    ("ISEMPTY", Operator::IsEmpty),
    ("BETWEEN", Operator::Between),
    ("NSAMEAS", Operator::NotSameAs),
    ("DYNAMIC", Operator::Dynamic),
    ("NOT IN", Operator::NotIn),
    ("SAMEAS", Operator::SameAs),
    ("LIKE", Operator::Like),
    ("IN", Operator::In),
    ("<=", Operator::LessOrEqual),
    (">=", Operator::GreaterOrEqual),
    ("!=", Operator::NotEquals),
    ("!*", Operator::NotLike),
    ("=", Operator::Equals),
    ("<", Operator::LessThan),
    (">", Operator::GreaterThan),
    ("*", Operator::Like),
    ("%", Operator::EndsWith),
];

impl Operator {
    /// Canonical spelling, as a real instance writes it in UI-generated queries.
    pub fn token(self) -> &'static str {
        OPERATOR_SPELLINGS
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(token, _)| *token)
            .expect("every operator has a spelling")
    }
}
