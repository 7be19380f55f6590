//! Encoded queries (`sysparm_query`, servicenow.md §1.4) built so that no value can change their
//! structure.
//!
//! A query is an AND of [`Condition`]s; a condition is an OR of terms (`a=1^ORb=2`); ordering
//! terms go last. Names are validated types ([`ColumnName`]); values are checked and escaped:
//!
//! - `^` becomes `^^`, the documented escape (GlideStringUtil.escapeQueryTermSeparator), so
//!   `^OR`, `^NQ`, `^EQ` and `^ORDERBY` inside a value stay literal text;
//! - a value starting with `javascript:` (any case, after trimming) is refused: the instance
//!   would run it as a script (`caller_id=javascript:gs.getUserID()`);
//! - control characters, newlines and Unicode line/paragraph separators are refused;
//! - an empty value is refused: `phone=` or `phoneLIKE` would match every record with an empty
//!   (or any) phone; ask for emptiness with [`Condition::is_empty`] instead.
//!
//! Percent-encoding for the URL is the client's job; [`Query::encode`] returns the query text.

use std::fmt;

use crate::names::{shown, ColumnName};

/// Why a value cannot go into a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(
        "the value for '{column}' starts with 'javascript:', which ServiceNow would run as a server-side script; it is refused"
    )]
    Script { column: String },
    #[error(
        "the value for '{column}' contains a control character or line break ('{shown}'); such values are refused"
    )]
    ControlCharacter { column: String, shown: String },
    #[error(
        "the value for '{column}' is empty, which would match every record; use is_empty()/is_not_empty() to ask for emptiness"
    )]
    Empty { column: String },
}

/// The operators this builder writes (their canonical spellings, servicenow.md §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Equals,
    NotEquals,
    /// Contains, case-insensitive.
    Like,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
}

impl Operator {
    pub fn token(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
            Operator::Like => "LIKE",
            Operator::StartsWith => "STARTSWITH",
            Operator::EndsWith => "ENDSWITH",
            Operator::IsEmpty => "ISEMPTY",
            Operator::IsNotEmpty => "ISNOTEMPTY",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, Operator::IsEmpty | Operator::IsNotEmpty)
    }
}

/// Checks a value for `column` (see the module documentation). Returns it unchanged.
pub fn check_value<'a>(column: &str, value: &'a str) -> Result<&'a str, QueryError> {
    if value.is_empty() {
        return Err(QueryError::Empty {
            column: column.to_string(),
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(QueryError::ControlCharacter {
            column: column.to_string(),
            shown: shown(value),
        });
    }
    let start: String = value.trim_start().chars().take(11).collect();
    if start.eq_ignore_ascii_case("javascript:") {
        return Err(QueryError::Script {
            column: column.to_string(),
        });
    }
    Ok(value)
}

/// `^` → `^^` (the only escape the encoded-query syntax has).
pub fn escape_value(value: &str) -> String {
    value.replace('^', "^^")
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    column: ColumnName,
    operator: Operator,
    /// Checked, not yet escaped.
    value: String,
}

impl Term {
    fn write(&self, out: &mut String) {
        out.push_str(self.column.as_str());
        out.push_str(self.operator.token());
        if self.operator.takes_value() {
            out.push_str(&escape_value(&self.value));
        }
    }
}

/// Terms joined by `^OR`: at least one must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    terms: Vec<Term>,
}

impl Condition {
    fn with_value(
        column: &ColumnName,
        operator: Operator,
        value: &str,
    ) -> Result<Condition, QueryError> {
        let value = check_value(column.as_str(), value)?;
        Ok(Condition {
            terms: vec![Term {
                column: column.clone(),
                operator,
                value: value.to_string(),
            }],
        })
    }

    /// `column=value` (exact; case sensitivity depends on the instance's collation).
    pub fn eq(column: &ColumnName, value: &str) -> Result<Condition, QueryError> {
        Condition::with_value(column, Operator::Equals, value)
    }

    /// `column!=value`.
    pub fn not_eq(column: &ColumnName, value: &str) -> Result<Condition, QueryError> {
        Condition::with_value(column, Operator::NotEquals, value)
    }

    /// `columnLIKEvalue`: contains, case-insensitive.
    pub fn like(column: &ColumnName, value: &str) -> Result<Condition, QueryError> {
        Condition::with_value(column, Operator::Like, value)
    }

    pub fn starts_with(column: &ColumnName, value: &str) -> Result<Condition, QueryError> {
        Condition::with_value(column, Operator::StartsWith, value)
    }

    pub fn ends_with(column: &ColumnName, value: &str) -> Result<Condition, QueryError> {
        Condition::with_value(column, Operator::EndsWith, value)
    }

    /// `columnISEMPTY`.
    pub fn is_empty(column: &ColumnName) -> Condition {
        Condition {
            terms: vec![Term {
                column: column.clone(),
                operator: Operator::IsEmpty,
                value: String::new(),
            }],
        }
    }

    /// `columnISNOTEMPTY`.
    pub fn is_not_empty(column: &ColumnName) -> Condition {
        Condition {
            terms: vec![Term {
                column: column.clone(),
                operator: Operator::IsNotEmpty,
                value: String::new(),
            }],
        }
    }

    /// This condition or `other` (`a^ORb`).
    pub fn or(mut self, other: Condition) -> Condition {
        self.terms.extend(other.terms);
        self
    }

    /// The OR of all `conditions`; None when there are none.
    pub fn any(conditions: impl IntoIterator<Item = Condition>) -> Option<Condition> {
        conditions.into_iter().reduce(Condition::or)
    }

    fn write(&self, out: &mut String) {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                out.push_str("^OR");
            }
            term.write(out);
        }
    }
}

/// An encoded query: every condition must hold (`^`), then the ordering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    conditions: Vec<Condition>,
    order: Vec<(ColumnName, bool)>,
}

impl Query {
    /// The empty query (matches every record).
    pub fn new() -> Query {
        Query::default()
    }

    /// A query of one condition.
    pub fn from_condition(condition: Condition) -> Query {
        Query::new().and(condition)
    }

    /// Adds a condition that must also hold.
    pub fn and(mut self, condition: Condition) -> Query {
        self.conditions.push(condition);
        self
    }

    /// `ORDERBYcolumn`.
    pub fn order_by(mut self, column: &ColumnName) -> Query {
        self.order.push((column.clone(), false));
        self
    }

    /// `ORDERBYDESCcolumn`.
    pub fn order_by_desc(mut self, column: &ColumnName) -> Query {
        self.order.push((column.clone(), true));
        self
    }

    /// True when the query neither filters nor orders.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty() && self.order.is_empty()
    }

    /// The `sysparm_query` text (not yet percent-encoded).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for condition in &self.conditions {
            if !out.is_empty() {
                out.push('^');
            }
            condition.write(&mut out);
        }
        for (column, descending) in &self.order {
            if !out.is_empty() {
                out.push('^');
            }
            out.push_str(if *descending {
                "ORDERBYDESC"
            } else {
                "ORDERBY"
            });
            out.push_str(column.as_str());
        }
        out
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_sandbox::query::{
        self as sn, Clause, EncodedQuery, OrderBy, QueryGroup, Term as SnTerm,
    };
    use proptest::prelude::*;

    fn col(name: &str) -> ColumnName {
        ColumnName::new(name).unwrap()
    }

    fn eq_term(field: &str, value: &str) -> SnTerm {
        SnTerm::condition(field, sn::Operator::Equals, value)
    }

    /// The AST the instance's own parser must see for `phone=<v>` alone.
    fn single(field: &str, value: &str) -> EncodedQuery {
        EncodedQuery {
            groups: vec![QueryGroup {
                clauses: vec![Clause {
                    terms: vec![eq_term(field, value)],
                }],
            }],
            order_by: vec![],
        }
    }

    // servicenow.md §1.4 "Injection example": ani = "x^NQactive=true" must stay one value.
    #[test]
    fn rule_1_4_caret_injection_stays_one_value() {
        for hostile in [
            "x^NQactive=true",
            "a^ORb=c",
            "x^EQ",
            "x^ORDERBYname",
            "^",
            "^^",
            "x^",
            "^NQ^OR^",
            "+81 3^1234",
        ] {
            let query = Query::from_condition(Condition::eq(&col("phone"), hostile).unwrap());
            let text = query.encode();
            assert_eq!(
                sn::parse(&text),
                single("phone", hostile),
                "{hostile:?} encoded as {text:?}"
            );
        }
    }

    #[test]
    fn rule_1_4_injection_inside_or_chains_and_before_order_by_stays_literal() {
        let hostile = "a^ORb=c";
        let condition = Condition::eq(&col("phone"), hostile)
            .unwrap()
            .or(Condition::eq(&col("mobile_phone"), "x^NQactive=true").unwrap());
        let query = Query::new()
            .and(condition)
            .and(Condition::eq(&col("active"), "true").unwrap())
            .order_by(&col("name"))
            .order_by_desc(&col("sys_created_on"));
        let text = query.encode();
        assert_eq!(
            text,
            "phone=a^^ORb=c^ORmobile_phone=x^^NQactive=true^active=true^ORDERBYname^ORDERBYDESCsys_created_on"
        );
        let parsed = sn::parse(&text);
        assert_eq!(
            parsed,
            EncodedQuery {
                groups: vec![QueryGroup {
                    clauses: vec![
                        Clause {
                            terms: vec![
                                eq_term("phone", hostile),
                                eq_term("mobile_phone", "x^NQactive=true")
                            ],
                        },
                        Clause {
                            terms: vec![eq_term("active", "true")],
                        },
                    ],
                }],
                order_by: vec![
                    OrderBy {
                        field: "name".into(),
                        descending: false
                    },
                    OrderBy {
                        field: "sys_created_on".into(),
                        descending: true
                    },
                ],
            }
        );
    }

    // servicenow.md §1.4: "Reject any user-derived value that starts with javascript:, whatever its case."
    #[test]
    fn rule_1_4_javascript_values_are_refused_in_any_case_after_trimming() {
        for hostile in [
            "javascript:gs.getUserID()",
            "JavaScript:gs.getUserID()",
            "  JAVASCRIPT:1",
            "\u{a0}javascript:1",
            "javascript:",
        ] {
            let error = Condition::eq(&col("caller_id"), hostile).unwrap_err();
            assert!(
                matches!(error, QueryError::Script { .. }),
                "{hostile:?}: {error:?}"
            );
            assert!(error.to_string().contains("server-side script"));
        }
        assert!(Condition::like(&col("phone"), "javascript:x").is_err());
        // Not a prefix: harmless text.
        assert!(Condition::eq(&col("short_description"), "about javascript: links").is_ok());
        assert!(Condition::eq(&col("short_description"), "javascript").is_ok());
    }

    #[test]
    fn control_characters_and_newlines_are_refused() {
        for hostile in [
            "+1408\n",
            "a\rb",
            "a\tb",
            "\u{0}",
            "x\u{85}",
            "x\u{2028}y",
            "\u{7f}",
        ] {
            let error = Condition::eq(&col("phone"), hostile).unwrap_err();
            assert!(
                matches!(error, QueryError::ControlCharacter { .. }),
                "{hostile:?}"
            );
            assert!(!error.to_string().contains('\n'));
        }
    }

    #[test]
    fn empty_values_are_refused_because_they_match_everything() {
        assert!(matches!(
            Condition::eq(&col("phone"), ""),
            Err(QueryError::Empty { .. })
        ));
        assert!(matches!(
            Condition::like(&col("phone"), ""),
            Err(QueryError::Empty { .. })
        ));
        assert_eq!(
            Query::from_condition(Condition::is_empty(&col("phone"))).encode(),
            "phoneISEMPTY"
        );
        assert_eq!(
            sn::parse(&Query::from_condition(Condition::is_not_empty(&col("phone"))).encode()),
            EncodedQuery {
                groups: vec![QueryGroup {
                    clauses: vec![Clause {
                        terms: vec![SnTerm::condition("phone", sn::Operator::IsNotEmpty, "")]
                    }]
                }],
                order_by: vec![]
            }
        );
    }

    #[test]
    fn operators_use_canonical_spellings_the_instance_parses() {
        let c = col("phone");
        let cases = [
            (Condition::eq(&c, "1").unwrap(), sn::Operator::Equals),
            (Condition::not_eq(&c, "1").unwrap(), sn::Operator::NotEquals),
            (Condition::like(&c, "1").unwrap(), sn::Operator::Like),
            (
                Condition::starts_with(&c, "1").unwrap(),
                sn::Operator::StartsWith,
            ),
            (
                Condition::ends_with(&c, "1").unwrap(),
                sn::Operator::EndsWith,
            ),
        ];
        for (condition, operator) in cases {
            let parsed = sn::parse(&Query::from_condition(condition).encode());
            assert_eq!(
                parsed.groups[0].clauses[0].terms[0],
                SnTerm::condition("phone", operator, "1")
            );
        }
    }

    #[test]
    fn dot_walked_columns_and_empty_queries() {
        let query = Query::from_condition(Condition::eq(&col("account.name"), "Sakura").unwrap());
        assert_eq!(query.encode(), "account.name=Sakura");
        assert_eq!(Query::new().encode(), "");
        assert!(Query::new().is_empty());
        assert_eq!(
            Query::new().order_by(&col("number")).encode(),
            "ORDERBYnumber"
        );
        assert_eq!(Condition::any(Vec::new()), None);
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        // Printable text rich in the metacharacters and keywords that matter.
        proptest::collection::vec(
            prop_oneof![
                Just("^".to_string()),
                Just("^^".to_string()),
                Just("OR".to_string()),
                Just("NQ".to_string()),
                Just("EQ".to_string()),
                Just("ORDERBY".to_string()),
                Just("=".to_string()),
                Just("LIKE".to_string()),
                Just("active".to_string()),
                Just("+".to_string()),
                Just(" ".to_string()),
                "[a-z0-9@,.%*!<>]{1,3}",
            ],
            1..8,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        // Whatever the values, the instance's parser sees exactly the terms we built: one clause
        // of N alternatives, each with its value intact.
        #[test]
        fn rule_1_4_no_value_changes_the_query_structure(values in proptest::collection::vec(value_strategy(), 1..5)) {
            let columns = ["phone", "mobile_phone", "home_phone", "u_alt.phone", "business_phone"];
            let condition = Condition::any(values.iter().enumerate().map(|(i, v)| {
                Condition::eq(&col(columns[i % columns.len()]), v).unwrap()
            })).unwrap();
            let text = Query::from_condition(condition).encode();
            let parsed = sn::parse(&text);
            let expected: Vec<SnTerm> = values
                .iter()
                .enumerate()
                .map(|(i, v)| eq_term(columns[i % columns.len()], v))
                .collect();
            prop_assert_eq!(parsed, EncodedQuery {
                groups: vec![QueryGroup { clauses: vec![Clause { terms: expected }] }],
                order_by: vec![],
            });
        }
    }
}
