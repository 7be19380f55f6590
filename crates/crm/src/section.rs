//! A tenant's CRM section as the configuration hands it to the adapter that owns it: the
//! `[tenant.crm]` table (or the older `[tenant.servicenow]`) without its `kind`, plus what the
//! adapter needs to parse it and to say where a mistake is (the file, the section's full key, its
//! line and column, the directory relative paths start from, and the values of the environment
//! variables its secrets name). The configuration does not look inside; the adapter parses and
//! validates it when the registry builds the tenant's CRM at start.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::secret::{Secret, SecretSource};

/// A mistake in a CRM section: where, and what to do about it. Shown as
/// `file: key: reason`, like every configuration error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct SectionError {
    pub file: String,
    /// The full key, e.g. `tenant[0].crm.lookup.tables[1].table`.
    pub key: String,
    pub reason: String,
}

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
    /// Where the section starts in the file ("line 12, column 1"), when known.
    pub position: Option<String>,
    /// The directory relative file paths (CA files, secret files) are resolved against.
    pub base: PathBuf,
    /// The values of the environment variables the section's `{ env = ".." }` secrets name,
    /// read when the file was loaded (unset ones are absent).
    env: BTreeMap<String, String>,
}

impl fmt::Debug for CrmSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrmSection")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("file", &self.file)
            .field("keys", &self.table.keys().collect::<Vec<_>>())
            .field("env", &"<redacted>")
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
            position: None,
            base: base.to_path_buf(),
            env,
        }
    }

    /// The same section, with where it starts in the file.
    pub fn at(mut self, position: Option<String>) -> CrmSection {
        self.position = position;
        self
    }

    /// An error at `sub_key` below the section (`"lookup.tables"`), or at the section itself
    /// when `sub_key` is empty.
    pub fn error(&self, sub_key: &str, reason: impl Into<String>) -> SectionError {
        let key = if sub_key.is_empty() {
            self.key.clone()
        } else {
            format!("{}.{sub_key}", self.key)
        };
        SectionError {
            file: self.file.clone(),
            key,
            reason: reason.into(),
        }
    }

    /// The section as the adapter's own (deny-unknown-fields) type; a key it does not know or
    /// a value of the wrong type is an error naming the section and where it starts.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, SectionError> {
        toml::Value::Table(self.table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                let reason = match &self.position {
                    Some(position) => format!("{} (in the section at {position})", e.message()),
                    None => e.message().to_string(),
                };
                self.error("", reason)
            })
    }

    /// Resolves a secret given at `sub_key`.
    pub fn secret(&self, sub_key: &str, source: &SecretSource) -> Result<Secret, SectionError> {
        source
            .resolve(&self.base, &|name| self.env.get(name).cloned())
            .map_err(|reason| self.error(sub_key, reason))
    }
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
/// Returns it without a trailing slash, or the reason it is refused; callers add the key.
pub fn checked_base_url(value: &str) -> Result<String, String> {
    let url = url::Url::parse(value).map_err(|e| format!("{value:?} is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "{value} uses plain http to a non-loopback host; use https"
            ))
        }
        other => return Err(format!("unsupported scheme {other}; use https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".to_string());
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// The origin of a URL as browsers compare it (`https://acme.service-now.com`,
/// `https://127.0.0.1:8443`: scheme, host, and the port when it is not the scheme's default),
/// or `None` when it has none (not a URL, or a scheme without an origin).
pub fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
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
            "callbridge.toml: tenant[0].crm.b: environment variable UNSET is not set"
        );
        assert!(!format!("{s:?}").contains("value"));
    }

    #[test]
    fn an_unknown_key_names_the_section_and_where_it_starts() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Known {
            a: Option<String>,
        }
        let s = section("b = 1\n").at(Some("line 3, column 1".into()));
        let err = s.parse::<Known>().unwrap_err();
        assert_eq!(err.key, "tenant[0].crm");
        assert!(err.reason.contains("unknown field `b`"), "{err}");
        assert!(err.reason.contains("line 3, column 1"), "{err}");
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
