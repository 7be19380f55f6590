//! A tenant's CRM section as the configuration hands it to the adapter that owns it: the
//! `[tenant.crm]` table (or the older `[tenant.servicenow]`) without its `kind` and its `link`
//! policy, plus what the adapter needs to parse it and to say where a mistake is (the file, the
//! section's full key, the line and column of every key in it, the directory relative paths
//! start from, and the values of the environment variables its secrets name). The configuration
//! does not look inside; the adapter parses and validates it when the registry builds the
//! tenant's CRM at start, and its mistakes are [`ConfigError`]s like every other.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use callbridge_kernel::Secret;
use serde::de::DeserializeOwned;

use crate::error::{ConfigError, Location};
use crate::secret::SecretSource;

/// One tenant's CRM section, opaque to the configuration.
#[derive(Clone)]
pub struct CrmSection {
    /// The `kind` that selects the adapter (`"servicenow"` for `[tenant.servicenow]`).
    pub kind: String,
    /// The section's keys, `kind` and the CRM-neutral `link` policy removed.
    pub table: toml::Table,
    /// The configuration file, as errors name it.
    pub file: String,
    /// The section's full key: `tenant[0].crm`, or `tenant[0].servicenow` for the older form.
    pub key: String,
    /// Where the section starts in the file, when known.
    pub location: Option<Location>,
    /// The directory relative file paths (CA files, secret files) are resolved against.
    pub base: PathBuf,
    /// Where each key below the section is (`lookup.tables[1].table`).
    positions: BTreeMap<String, Location>,
    /// The values of the environment variables the section's `{ env = ".." }` secrets name,
    /// read when the file was loaded (unset ones are absent).
    env: BTreeMap<String, String>,
    /// For a tenant kept in the store, its secrets sealed there (opened), which its
    /// `{ store = ".." }` values name; empty for the configuration file's tenants.
    stored: Option<BTreeMap<String, Secret>>,
}

impl fmt::Debug for CrmSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrmSection")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("file", &self.file)
            .field("keys", &self.table.keys().collect::<Vec<_>>())
            .field("env", &"<redacted>")
            .field("stored", &self.stored.as_ref().map(BTreeMap::len))
            .finish()
    }
}

impl CrmSection {
    /// A section read from `file` at `key`; `lookup_env` is asked once for every variable a
    /// `{ env = "NAME" }` value in it names.
    pub fn new(
        kind: impl Into<String>,
        table: toml::Table,
        file: impl Into<String>,
        key: impl Into<String>,
        base: &Path,
        lookup_env: &dyn Fn(&str) -> Option<String>,
    ) -> CrmSection {
        let mut env = BTreeMap::new();
        collect_env(&table, lookup_env, &mut env);
        CrmSection {
            kind: kind.into(),
            table,
            file: file.into(),
            key: key.into(),
            location: None,
            base: base.to_path_buf(),
            positions: BTreeMap::new(),
            stored: None,
            env,
        }
    }

    /// The same section, with where it starts and where each key below it is.
    pub fn at(
        mut self,
        location: Option<Location>,
        positions: impl IntoIterator<Item = (String, Location)>,
    ) -> CrmSection {
        self.location = location;
        self.positions = positions.into_iter().collect();
        self
    }

    /// The section of a tenant kept in the store, whose `{ store = ".." }` secrets are `stored`.
    pub fn with_stored(mut self, stored: Option<BTreeMap<String, Secret>>) -> CrmSection {
        self.stored = stored;
        self
    }

    /// Where `sub_key` is: its own position, else its nearest enclosing key's, else the
    /// section's.
    fn locate(&self, sub_key: &str) -> Option<Location> {
        let mut key = sub_key;
        loop {
            if let Some(at) = self.positions.get(key) {
                return Some(*at);
            }
            match key.rfind(['.', '[']) {
                Some(cut) => key = &key[..cut],
                None => return self.location,
            }
        }
    }

    /// A mistake at `sub_key` below the section (`"lookup.tables"`), or at the section itself
    /// when `sub_key` is empty: what is wrong, and what to write instead.
    pub fn error(
        &self,
        sub_key: &str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConfigError {
        let key = if sub_key.is_empty() {
            self.key.clone()
        } else {
            format!("{}.{sub_key}", self.key)
        };
        ConfigError {
            file: self.file.clone(),
            location: self.locate(sub_key),
            key,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// The section as the adapter's own (deny-unknown-fields) type; a key it does not know, a
    /// missing key or a value of the wrong type is an error at that key (located at the value,
    /// or for a missing key at its table), else at the section.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::Value::Table(self.table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                let message = e.message().trim().to_string();
                // toml names the table the mistake is in ("in `case`", without array
                // positions), serde the field ("unknown field `x`", "missing field `x`").
                let shown = e.to_string();
                let path = shown
                    .lines()
                    .find_map(|l| l.strip_prefix("in `").and_then(|r| r.strip_suffix('`')))
                    .unwrap_or("");
                let field = message.split('`').nth(1).unwrap_or("");
                let (sub_key, fix) = if message.starts_with("unknown field") {
                    (
                        join(path, field),
                        "remove the key or correct its spelling (see docs/configuration.md for \
                         this CRM's keys)",
                    )
                } else if message.starts_with("missing field") {
                    (
                        join(path, field),
                        "add the key (see docs/configuration.md for this CRM's keys)",
                    )
                } else {
                    (
                        path.to_string(),
                        "write the value as docs/configuration.md shows for this CRM's section",
                    )
                };
                self.error(&self.indexed(&sub_key), message, fix)
            })
    }

    /// `sub_key` with the array positions of the first key in the section it names
    /// (`lookup.tables.table` → `lookup.tables[0].table`), or as given.
    fn indexed(&self, sub_key: &str) -> String {
        self.positions
            .keys()
            .find(|k| strip_positions(k) == sub_key)
            .cloned()
            .unwrap_or_else(|| sub_key.to_string())
    }

    /// Resolves a secret given at `sub_key`.
    pub fn secret(&self, sub_key: &str, source: &SecretSource) -> Result<Secret, ConfigError> {
        source
            .resolve_with(
                &self.base,
                &|name| self.env.get(name).cloned(),
                self.stored.as_ref(),
            )
            .map_err(|(problem, fix)| self.error(sub_key, problem, fix))
    }
}

fn join(path: &str, field: &str) -> String {
    match (path.is_empty(), field.is_empty()) {
        (true, _) => field.to_string(),
        (false, true) => path.to_string(),
        (false, false) => format!("{path}.{field}"),
    }
}

/// `lookup.tables[0].table` → `lookup.tables.table`.
fn strip_positions(key: &str) -> String {
    crate::reader::plain(key)
}

/// Every `{ env = "NAME" }` below `table`, looked up.
fn collect_env(
    table: &toml::Table,
    lookup_env: &dyn Fn(&str) -> Option<String>,
    found: &mut BTreeMap<String, String>,
) {
    for value in table.values() {
        match value {
            toml::Value::Table(inner) => {
                if let (1, Some(toml::Value::String(name))) = (inner.len(), inner.get("env")) {
                    if let Some(value) = lookup_env(name) {
                        found.insert(name.clone(), value);
                    }
                }
                collect_env(inner, lookup_env, found);
            }
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(inner) = item {
                        collect_env(inner, lookup_env, found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The base URL of a service the server calls (a CRM instance, the server's own public URL):
/// https, or plain http to this machine (the sandbox, the demo), with no query or fragment.
/// Returns it without a trailing slash, or what is wrong and the fix; callers add the key.
pub fn checked_base_url(value: &str) -> Result<String, (String, String)> {
    let example = "write https://host.example.com (http only to 127.0.0.1 or localhost)";
    let url = url::Url::parse(value)
        .map_err(|e| (format!("{value:?} is not a URL: {e}"), example.to_string()))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err((
                format!("{value} uses plain http to a non-loopback host"),
                "use https".to_string(),
            ))
        }
        other => {
            return Err((
                format!("unsupported scheme {other}"),
                "use https".to_string(),
            ))
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err((
            "the URL has a query or fragment".to_string(),
            "remove everything from the first '?' or '#'".to_string(),
        ));
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// The origin of a URL as browsers compare it (`https://acme.service-now.com`,
/// `https://127.0.0.1:8443`: scheme, lower-case host, and the port when it is not the scheme's
/// default), or `None` unless it is an absolute `http`/`https` URL without user information
/// (an `Origin` header of `null`, `ftp://...` or `https://user@host` is nobody's origin).
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let plain = parsed.username().is_empty() && parsed.password().is_none();
    (matches!(parsed.scheme(), "http" | "https") && plain)
        .then(|| parsed.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> CrmSection {
        let env = |name: &str| (name == "SET").then(|| "value".to_string());
        CrmSection::new(
            "test",
            text.parse().unwrap(),
            "callbridge.toml",
            "tenant[0].crm",
            Path::new("."),
            &env,
        )
    }

    #[test]
    fn secrets_resolve_from_the_environment_read_at_load() {
        let s = section("a = { env = \"SET\" }\nb = { env = \"UNSET\" }\n");
        let a: SecretSource = s.table["a"].clone().try_into().unwrap();
        let b: SecretSource = s.table["b"].clone().try_into().unwrap();
        assert_eq!(s.secret("a", &a).unwrap().expose(), "value");
        let err = s.secret("b", &b).unwrap_err();
        assert_eq!(
            err.to_string(),
            "callbridge.toml: key `tenant[0].crm.b`: environment variable UNSET is not set. \
             Fix: set UNSET in the environment of the command, or name another variable."
        );
        assert!(!format!("{s:?}").contains("value"));
    }

    #[test]
    fn an_unknown_key_is_located_at_the_key() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Known {
            a: Option<String>,
        }
        let s = section("b = 1\n").at(
            Some(Location { line: 3, column: 1 }),
            [("b".to_string(), Location { line: 4, column: 5 })],
        );
        let err = s.parse::<Known>().unwrap_err();
        assert_eq!(err.key, "tenant[0].crm.b");
        assert!(err.problem.contains("unknown field `b`"), "{err}");
        assert_eq!(err.location, Some(Location { line: 4, column: 5 }));
        let nested = s.error("lookup.tables[0].table", "bad", "fix");
        assert_eq!(nested.location, Some(Location { line: 3, column: 1 }));
    }

    #[test]
    fn nested_mistakes_are_located_at_their_key_or_table() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Table {
            table: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Known {
            case: Option<Table>,
            tables: Option<Vec<Table>>,
        }
        let at = |line| Location { line, column: 1 };
        let with = |text: &str, positions: &[(&str, usize)]| {
            section(text)
                .at(
                    Some(at(1)),
                    positions.iter().map(|(k, l)| (k.to_string(), at(*l))),
                )
                .parse::<Known>()
                .unwrap_err()
        };
        let e = with(
            "case = { tabel = \"x\" }",
            &[("case", 2), ("case.tabel", 3)],
        );
        assert_eq!(
            (e.key.as_str(), e.location),
            ("tenant[0].crm.case.tabel", Some(at(3)))
        );
        let e = with("case = { }", &[("case", 2)]);
        assert_eq!(
            (e.key.as_str(), e.location),
            ("tenant[0].crm.case.table", Some(at(2)))
        );
        assert_eq!(e.problem, "missing field `table`");
        let e = with(
            "tables = [{ table = 1 }]",
            &[("tables", 4), ("tables[0]", 5), ("tables[0].table", 6)],
        );
        assert_eq!(
            (e.key.as_str(), e.location),
            ("tenant[0].crm.tables[0].table", Some(at(6)))
        );
    }

    #[test]
    fn an_origin_is_scheme_host_and_a_port_other_than_the_default() {
        assert_eq!(
            origin_of("https://acme.service-now.com/").as_deref(),
            Some("https://acme.service-now.com")
        );
        assert_eq!(
            origin_of("https://acme.service-now.com:443/sub/path").as_deref(),
            Some("https://acme.service-now.com")
        );
        assert_eq!(
            origin_of("https://127.0.0.1:8443").as_deref(),
            Some("https://127.0.0.1:8443")
        );
        assert_eq!(origin_of("not a url"), None);
        assert_eq!(origin_of("data:text/plain,x"), None);
    }
}
