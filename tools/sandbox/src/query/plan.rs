//! Index planning: which equality lookups are enough to find every matching row.

use super::eval::{BoundClause, BoundGroup, BoundQuery, Test};

impl BoundQuery {
    /// Index plan: `Some(pairs)` when every matching row has `row.value(field) == value` for at
    /// least one pair, i.e. the union of those equality lookups is a superset of the matches.
    ///
    /// Values are in the form equality compares them: exact when equality is case-sensitive,
    /// ASCII-lowercased (`str::to_ascii_lowercase`) otherwise, in which case the index must be
    /// keyed by the ASCII-lowercased stored value too. Only undotted fields are used. `None`
    /// means a full scan is needed; `Some(vec![])` means nothing can match.
    pub fn index_candidates(&self) -> Option<Vec<(String, String)>> {
        if self.matches_nothing {
            return Some(Vec::new());
        }
        if self.groups.is_empty() {
            return None;
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        // `^NQ` groups are alternatives, so the plan must cover each of them.
        for group in &self.groups {
            for pair in group.index_lookups()? {
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        Some(pairs)
    }
}

impl BoundGroup {
    /// A group's rows satisfy every clause, so any one fully indexable clause covers them;
    /// the one with the fewest lookups is the cheapest.
    fn index_lookups(&self) -> Option<Vec<(String, String)>> {
        self.clauses
            .iter()
            .filter_map(BoundClause::index_lookups)
            .min_by_key(Vec::len)
    }
}

impl BoundClause {
    /// All lookups that cover the clause's alternatives, or `None` if one alternative cannot
    /// be answered from an equality index.
    fn index_lookups(&self) -> Option<Vec<(String, String)>> {
        let mut pairs = Vec::new();
        for predicate in &self.alternatives {
            let values: &[String] = match &predicate.test {
                // An alternative that never holds needs no lookup.
                Test::Never => &[],
                Test::Equals(value) => std::slice::from_ref(value),
                Test::OneOf(values) => values,
                _ => return None,
            };
            if values.is_empty() {
                continue;
            }
            if predicate.field.contains('.') {
                return None;
            }
            pairs.extend(
                values
                    .iter()
                    .map(|value| (predicate.field.clone(), value.clone())),
            );
        }
        Some(pairs)
    }
}
