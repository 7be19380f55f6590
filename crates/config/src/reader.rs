//! Reading the parsed file with positions: every value is taken through a [`Section`], which
//! knows its full key and where it is, reports a wrong type or a missing key at once, and at
//! [`Section::finish`] reports every key nobody asked for. Mistakes are collected in the
//! [`Reader`], so one pass finds them all.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml_edit::{Item, Key, Table, Value};

use callbridge_kernel::Secret;

use crate::error::{ConfigError, Location};

/// The file being read and the mistakes found so far.
pub(crate) struct Reader<'a> {
    pub file: &'a str,
    pub text: &'a str,
    /// The sealed secrets of the tenant kept in the store whose text this is, opened: what its
    /// `{ store = "name" }` values resolve to. None for the configuration file, where such a
    /// value is refused.
    pub stored: Option<&'a BTreeMap<String, Secret>>,
    errors: RefCell<Vec<ConfigError>>,
}

pub(crate) type Span = Option<Range<usize>>;

impl<'a> Reader<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Reader<'a> {
        Reader {
            file,
            text,
            stored: None,
            errors: RefCell::new(Vec::new()),
        }
    }

    /// A reader for the text of a tenant kept in the store, whose `{ store = "name" }` secrets
    /// are `stored`.
    pub fn for_store(
        file: &'a str,
        text: &'a str,
        stored: &'a BTreeMap<String, Secret>,
    ) -> Reader<'a> {
        Reader {
            stored: Some(stored),
            ..Reader::new(file, text)
        }
    }

    pub fn location(&self, span: &Span) -> Option<Location> {
        span.as_ref().map(|s| Location::of(self.text, s.start))
    }

    /// A mistake at `key`, located at `span`.
    pub fn error(
        &self,
        key: &str,
        span: &Span,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            location: self.location(span),
            key: key.to_string(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// Records a mistake at `key`.
    pub fn report(
        &self,
        key: &str,
        span: &Span,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let error = self.error(key, span, problem, fix);
        self.push(error);
    }

    pub fn push(&self, error: ConfigError) {
        self.errors.borrow_mut().push(error);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    pub fn into_errors(self) -> Vec<ConfigError> {
        self.errors.into_inner()
    }
}

/// A value in the parsed file: a key's item, an array element, or a `[[table]]` entry.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(Item::Value(v)) | Node::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn span(self) -> Span {
        match self {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        }
    }

    pub fn as_str(self) -> Option<&'a str> {
        self.value().and_then(Value::as_str)
    }

    /// A table's entries with their keys, in the file's order; None when not a table.
    pub fn entries(self) -> Option<Vec<(&'a Key, Node<'a>)>> {
        match self {
            Node::Item(Item::Table(t)) | Node::Table(t) => Some(
                t.iter()
                    .filter_map(|(k, _)| t.get_key_value(k))
                    .map(|(k, i)| (k, Node::Item(i)))
                    .collect(),
            ),
            _ => match self.value() {
                Some(Value::InlineTable(t)) => Some(
                    t.iter()
                        .filter_map(|(k, _)| t.get_key_value(k))
                        .map(|(k, i)| (k, Node::Item(i)))
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// An array's elements (`[a, b]` or `[[table]]` entries); None when not an array.
    pub fn elements(self) -> Option<Vec<Node<'a>>> {
        match self {
            Node::Item(Item::ArrayOfTables(a)) => Some(a.iter().map(Node::Table).collect()),
            _ => match self.value() {
                Some(Value::Array(a)) => Some(a.iter().map(Node::Value).collect()),
                _ => None,
            },
        }
    }

    /// What the value is, as an error message says it.
    pub fn kind(self) -> &'static str {
        match self {
            Node::Item(Item::Table(_)) | Node::Table(_) => "a table",
            Node::Item(Item::ArrayOfTables(_)) => "an array of tables",
            Node::Item(Item::None) => "nothing",
            _ => match self.value() {
                Some(Value::String(_)) => "a string",
                Some(Value::Integer(_)) => "an integer",
                Some(Value::Float(_)) => "a decimal number",
                Some(Value::Boolean(_)) => "true or false",
                Some(Value::Datetime(_)) => "a date-time",
                Some(Value::Array(_)) => "an array",
                Some(Value::InlineTable(_)) => "a table",
                None => "nothing",
            },
        }
    }

    /// The value as a plain `toml` value, with the location of every key below it recorded in
    /// `positions` under its sub-key (`lookup.tables[1].table`).
    pub fn to_toml(
        self,
        reader: &Reader<'_>,
        prefix: &str,
        positions: &mut Vec<(String, Location)>,
    ) -> toml::Value {
        if let Some(entries) = self.entries() {
            let mut table = toml::Table::new();
            for (key, node) in entries {
                let sub = join(prefix, key.get());
                let span = node.span().or_else(|| key.span());
                if let Some(at) = reader.location(&span) {
                    positions.push((sub.clone(), at));
                }
                table.insert(key.get().to_string(), node.to_toml(reader, &sub, positions));
            }
            return toml::Value::Table(table);
        }
        if let Some(elements) = self.elements() {
            return toml::Value::Array(
                elements
                    .into_iter()
                    .enumerate()
                    .map(|(i, node)| {
                        let sub = format!("{prefix}[{i}]");
                        if let Some(at) = reader.location(&node.span()) {
                            positions.push((sub.clone(), at));
                        }
                        node.to_toml(reader, &sub, positions)
                    })
                    .collect(),
            );
        }
        match self.value() {
            Some(Value::String(s)) => toml::Value::String(s.value().clone()),
            Some(Value::Integer(i)) => toml::Value::Integer(*i.value()),
            Some(Value::Float(f)) => toml::Value::Float(*f.value()),
            Some(Value::Boolean(b)) => toml::Value::Boolean(*b.value()),
            Some(Value::Datetime(d)) => toml::Value::Datetime(*d.value()),
            _ => toml::Value::Table(toml::Table::new()),
        }
    }
}

/// `prefix.name`, or `name` at the top.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A value read from the file with its full key and position.
#[derive(Debug, Clone)]
pub(crate) struct Val<T> {
    pub value: T,
    pub key: String,
    pub span: Span,
}

impl<T> Val<T> {
    /// Records a mistake about this value.
    pub fn report(&self, reader: &Reader<'_>, problem: impl Into<String>, fix: impl Into<String>) {
        reader.report(&self.key, &self.span, problem, fix);
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        Val {
            value: f(self.value),
            key: self.key,
            span: self.span,
        }
    }
}

/// One table of the file being read: its full key, where it is, and which of its keys were
/// taken.
pub(crate) struct Section<'r, 'a> {
    pub reader: &'r Reader<'a>,
    pub key: String,
    pub span: Span,
    entries: Vec<(&'a Key, Node<'a>)>,
    taken: RefCell<BTreeSet<String>>,
}

impl<'r, 'a> Section<'r, 'a> {
    /// The table `node` at `key`; a value of another type is reported (None).
    pub fn new(
        reader: &'r Reader<'a>,
        key: String,
        node: Node<'a>,
        fallback: Span,
    ) -> Option<Self> {
        let span = node.span().or(fallback);
        match node.entries() {
            Some(entries) => Some(Section {
                reader,
                key,
                span,
                entries,
                taken: RefCell::new(BTreeSet::new()),
            }),
            None => {
                reader.report(
                    &key,
                    &span,
                    format!("expected a table, found {}", node.kind()),
                    format!(
                        "write it as a section, [{}], with its keys below it",
                        plain(&key)
                    ),
                );
                None
            }
        }
    }

    pub fn child_key(&self, name: &str) -> String {
        join(&self.key, name)
    }

    /// The entry `name`, marked as read.
    pub fn take(&self, name: &str) -> Option<(&'a Key, Node<'a>)> {
        self.taken.borrow_mut().insert(name.to_string());
        self.entries
            .iter()
            .find(|(k, _)| k.get() == name)
            .map(|(k, n)| (*k, *n))
    }

    /// Whether the table has `name`. Asking makes `name` a key this table knows: it is not
    /// reported as unknown, and is listed among the keys a misspelt one could have meant.
    pub fn has(&self, name: &str) -> bool {
        self.taken.borrow_mut().insert(name.to_string());
        self.entries.iter().any(|(k, _)| k.get() == name)
    }

    fn span_of(&self, key: &'a Key, node: Node<'a>) -> Span {
        node.span()
            .or_else(|| key.span())
            .or_else(|| self.span.clone())
    }

    /// The raw node at `name` with its full key and position.
    pub fn node(&self, name: &str) -> Option<Val<Node<'a>>> {
        let (key, node) = self.take(name)?;
        Some(Val {
            span: self.span_of(key, node),
            key: self.child_key(name),
            value: node,
        })
    }

    /// Reports that `name` is missing, with an example of what to add.
    pub fn missing(&self, name: &str, fix: impl Into<String>) {
        self.reader.report(
            &self.child_key(name),
            &self.span,
            format!("missing in {}", self.described()),
            fix,
        );
    }

    fn described(&self) -> String {
        if self.key.is_empty() {
            "the file".to_string()
        } else {
            format!("[{}]", plain(&self.key))
        }
    }

    fn typed<T>(
        &self,
        name: &str,
        expected: &str,
        fix: &str,
        get: impl FnOnce(Node<'a>) -> Option<T>,
    ) -> Option<Val<T>> {
        let node = self.node(name)?;
        match get(node.value) {
            Some(value) => Some(Val {
                value,
                key: node.key,
                span: node.span,
            }),
            None => {
                node.report(
                    self.reader,
                    format!("expected {expected}, found {}", node.value.kind()),
                    fix,
                );
                None
            }
        }
    }

    pub fn string(&self, name: &str) -> Option<Val<String>> {
        self.typed(
            name,
            "a string",
            &format!("put the value in double quotes: {name} = \"...\""),
            |n| n.as_str().map(str::to_string),
        )
    }

    /// A string that must be present; `example` is a whole line to add (`id = "acme"`).
    pub fn required_string(&self, name: &str, example: &str) -> Option<Val<String>> {
        if !self.has(name) {
            self.missing(name, format!("add {example}"));
            return None;
        }
        self.string(name)
    }

    pub fn bool(&self, name: &str) -> Option<Val<bool>> {
        self.typed(
            name,
            "true or false",
            &format!("write {name} = true or {name} = false, without quotes"),
            |n| n.value().and_then(Value::as_bool),
        )
    }

    /// A whole number of at least `min` (and at most `max`, when given).
    pub fn integer(&self, name: &str, min: u64, max: Option<u64>, unit: &str) -> Option<Val<u64>> {
        let fix = match max {
            Some(max) => {
                format!("write a whole number of {unit} from {min} to {max}, without quotes")
            }
            None => format!("write a whole number of {unit}, at least {min}, without quotes"),
        };
        let value = self.typed(name, "a whole number", &fix, |n| {
            n.value().and_then(Value::as_integer)
        })?;
        match u64::try_from(value.value) {
            Ok(v) if v >= min && max.is_none_or(|max| v <= max) => Some(value.map(|_| v)),
            _ => {
                value.report(self.reader, format!("{} is out of range", value.value), fix);
                None
            }
        }
    }

    /// `Some(default)` when `name` is absent, the value read when it is valid, None when a
    /// mistake in it was reported.
    pub fn or<T>(&self, name: &str, value: Option<Val<T>>, default: T) -> Option<T> {
        match value {
            Some(v) => Some(v.value),
            None if self.has(name) => None,
            None => Some(default),
        }
    }

    /// An array of strings.
    pub fn strings(&self, name: &str) -> Option<Vec<Val<String>>> {
        let fix = format!("write a list of strings in brackets: {name} = [\"...\", \"...\"]");
        let list = self.typed(name, "an array", &fix, Node::elements)?;
        let mut out = Vec::new();
        for (i, element) in list.value.into_iter().enumerate() {
            let key = format!("{}[{i}]", list.key);
            let span = element.span().or_else(|| list.span.clone());
            match element.as_str() {
                Some(s) => out.push(Val {
                    value: s.to_string(),
                    key,
                    span,
                }),
                None => self.reader.report(
                    &key,
                    &span,
                    format!("expected a string, found {}", element.kind()),
                    fix.clone(),
                ),
            }
        }
        Some(out)
    }

    /// A sub-table (`[a.b]` or an inline `b = { ... }`).
    pub fn table(&self, name: &str) -> Option<Section<'r, 'a>> {
        let node = self.node(name)?;
        Section::new(self.reader, node.key, node.value, node.span)
    }

    /// Every `[[a.name]]` entry (or an inline array of tables), each at `name[i]`.
    pub fn tables(&self, name: &str) -> Vec<Section<'r, 'a>> {
        let Some(node) = self.node(name) else {
            return Vec::new();
        };
        let Some(elements) = node.value.elements() else {
            node.report(
                self.reader,
                format!("expected an array of tables, found {}", node.value.kind()),
                format!(
                    "write each entry as its own [[{}]] section",
                    plain(&node.key)
                ),
            );
            return Vec::new();
        };
        elements
            .into_iter()
            .enumerate()
            .filter_map(|(i, element)| {
                Section::new(
                    self.reader,
                    format!("{}[{i}]", node.key),
                    element,
                    node.span.clone(),
                )
            })
            .collect()
    }

    /// Reports every key of this table that was not read: a typo must not fall back to a
    /// default silently.
    pub fn finish(self) {
        let taken = self.taken.borrow();
        let known: Vec<&str> = taken.iter().map(String::as_str).collect();
        for (key, node) in &self.entries {
            let name = key.get();
            if taken.contains(name) {
                continue;
            }
            let fix = match closest(name, &known) {
                Some(near) => format!("did you mean `{near}`? Otherwise remove it"),
                None => format!(
                    "remove it; the keys of {} are {}",
                    self.described(),
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let span = key
                .span()
                .or_else(|| node.span())
                .or_else(|| self.span.clone());
            self.reader.report(
                &self.child_key(name),
                &span,
                format!("unknown key `{name}` in {}", self.described()),
                fix,
            );
        }
    }
}

/// `tenant[0].telephony.queue[1]` as a section header names it: `tenant.telephony.queue`.
pub(crate) fn plain(key: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The known key nearest to a misspelt one (at most two edits, or one a prefix of the other).
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2 || k.starts_with(name) || name.starts_with(k))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_suggest_the_nearest_key() {
        let known = ["default_region", "name", "ring_timeout_secs"];
        assert_eq!(closest("default_regoin", &known), Some("default_region"));
        assert_eq!(closest("ring_timeout", &known), Some("ring_timeout_secs"));
        assert_eq!(closest("colour", &known), None);
    }

    #[test]
    fn section_headers_drop_indexes() {
        assert_eq!(
            plain("tenant[0].telephony.queue[1]"),
            "tenant.telephony.queue"
        );
    }
}
