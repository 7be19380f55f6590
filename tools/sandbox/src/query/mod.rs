//! The sandbox's ServiceNow encoded-query engine (`sysparm_query`), per servicenow.md §1.2/§1.4.
//!
//! Two steps, like the Table API itself:
//!
//! 1. [`parse`] turns the (already URL-decoded) string into an [`EncodedQuery`] syntax tree.
//!    It never fails: terms it cannot read are kept as [`Term::Invalid`].
//! 2. [`EncodedQuery::bind`] checks the tree against the table schema ([`Catalog`]), evaluates
//!    `javascript:` values and applies the instance switches ([`MatchOptions`]), giving a
//!    [`BoundQuery`] that filters ([`BoundQuery::matches`]), orders ([`BoundQuery::compare`])
//!    and plans index lookups ([`BoundQuery::index_candidates`]).
//!
//! Case folding is ASCII-only throughout (see `text.rs`).

mod ast;
mod bind;
mod eval;
mod parse;
mod plan;
mod script;
mod text;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use ast::{Clause, EncodedQuery, Operator, OrderBy, QueryGroup, Term};
pub use eval::BoundQuery;
pub use parse::parse;

/// Column types the query engine distinguishes (from sys_dictionary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    String,
    Integer,
    Decimal,
    Boolean,
    DateTime,
    Reference,
    Other,
}

/// Schema of the queried table, as the server knows it (sys_dictionary).
pub trait Catalog {
    /// Kind of `path` on the queried table; `path` may be dot-walked ("company.name") through
    /// reference columns. None when any segment is not a column (an "invalid field").
    fn field_kind(&self, path: &str) -> Option<FieldKind>;
    /// Names of all string-ish columns of the queried table (used by 123TEXTQUERY321 search).
    fn text_columns(&self) -> Vec<String>;
}

/// One record as the evaluator sees it.
pub trait Row {
    /// Stored value at `path` (follow dot-walks; references hold the target sys_id). "" when empty/absent.
    fn value(&self, path: &str) -> Cow<'_, str>;
}

/// Who is asking and when: what `javascript:gs.getUserID()` and friends evaluate to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryContext {
    pub user_sys_id: String,
    pub user_name: String,
    /// "YYYY-MM-DD HH:MM:SS", UTC.
    pub now_utc: String,
}

/// Instance switches that change query results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// glide.invalid_query.returns_no_rows (default false: invalid terms are dropped, a wholly-invalid query matches all rows)
    pub invalid_query_returns_no_rows: bool,
    /// whether `=`/`!=`/IN/STARTSWITH... on strings compare case-sensitively (default false). LIKE is always case-insensitive.
    pub case_sensitive_equality: bool,
}
