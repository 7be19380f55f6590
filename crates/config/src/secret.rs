//! Secrets in the configuration file: a literal, or a reference to an environment variable or a
//! file, so that the file itself can be committed without them; in the text of a tenant kept in
//! the store, also a reference to one of that tenant's secrets sealed in the store. Resolved
//! once at load into a [`Secret`], whose value never appears in `Debug` output or logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use callbridge_kernel::Secret;
use serde::Deserialize;

use crate::reader::{Node, Reader, Val};

/// How a secret is given in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SecretSource {
    /// `client_secret = "..."` (fine for the demo; prefer `env` or `file` elsewhere).
    Literal(String),
    /// `client_secret = { env = "ACME_SN_SECRET" }`
    Env { env: String },
    /// `client_secret = { file = "/run/secrets/acme_sn" }` (trailing newline trimmed).
    File { file: PathBuf },
    /// `client_secret = { store = "crm.client_secret" }`: the tenant's secret of that name,
    /// sealed in the store with the master key. Only in the text of a tenant kept in the store
    /// (the console writes it); the configuration file refuses it.
    Store { store: String },
}

/// What to write for a secret, for error messages.
pub(crate) const SECRET_FORMS: &str =
    "write a string, { env = \"VARIABLE\" } or { file = \"path/to/file\" }";

/// The refusal of `{ store = ".." }` where no store secrets are (the configuration file).
fn store_source_in_file(name: &str) -> (String, String) {
    (
        format!(
            "{{ store = {name:?} }} names a secret sealed in the store, which only a tenant kept \
             in the store (set up in the console) has"
        ),
        format!("in the configuration file, {SECRET_FORMS}"),
    )
}

impl SecretSource {
    /// The secret's value, or what is wrong and how to fix it. `base` is the directory relative
    /// `file` paths are resolved against (the configuration file's directory).
    pub fn resolve(
        &self,
        base: &Path,
        lookup_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secret, (String, String)> {
        self.resolve_with(base, lookup_env, None)
    }

    /// [`SecretSource::resolve`], with the store's secrets of the tenant being read (`None`
    /// outside a tenant kept in the store: a `{ store = ".." }` is then refused).
    pub fn resolve_with(
        &self,
        base: &Path,
        lookup_env: &dyn Fn(&str) -> Option<String>,
        stored: Option<&BTreeMap<String, Secret>>,
    ) -> Result<Secret, (String, String)> {
        let value = match self {
            SecretSource::Store { store } => {
                let stored = stored.ok_or_else(|| store_source_in_file(store))?;
                return stored.get(store).cloned().ok_or_else(|| {
                    (
                        format!("no secret named {store:?} is kept in the store for this tenant"),
                        "enter the secret again in the console (Setup), which seals it in the \
                         store under this name"
                            .to_string(),
                    )
                });
            }
            SecretSource::Literal(v) => v.clone(),
            SecretSource::Env { env } => lookup_env(env).ok_or_else(|| {
                (
                    format!("environment variable {env} is not set"),
                    format!(
                        "set {env} in the environment of the command, or name another variable"
                    ),
                )
            })?,
            SecretSource::File { file } => std::fs::read_to_string(base.join(file))
                .map_err(|e| {
                    (
                        format!("cannot read secret file {}: {e}", base.join(file).display()),
                        "create the file readable by Callbridge's user only (chmod 600), or \
                         correct the path (relative paths start at the configuration file's \
                         directory)"
                            .to_string(),
                    )
                })?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        };
        if value.is_empty() {
            return Err((
                "the secret is empty".into(),
                "give the secret's value (an empty one is never valid)".into(),
            ));
        }
        Ok(Secret::new(value))
    }

    /// A secret as written at `node`; another shape is reported.
    pub(crate) fn read(reader: &Reader<'_>, node: &Val<Node<'_>>) -> Option<SecretSource> {
        if let Some(s) = node.value.as_str() {
            return Some(SecretSource::Literal(s.to_string()));
        }
        if let Some(entries) = node.value.entries() {
            if let [(key, value)] = entries.as_slice() {
                match (key.get(), value.as_str()) {
                    ("env", Some(name)) => return Some(SecretSource::Env { env: name.into() }),
                    ("file", Some(path)) => return Some(SecretSource::File { file: path.into() }),
                    ("store", Some(name)) => {
                        return Some(SecretSource::Store { store: name.into() })
                    }
                    _ => {}
                }
            }
        }
        node.report(
            reader,
            format!("expected a secret, found {}", node.value.kind()),
            SECRET_FORMS,
        );
        None
    }
}

/// Reads and resolves the secret at `key` of `section`; a mistake is reported.
pub(crate) fn secret(
    section: &crate::reader::Section<'_, '_>,
    name: &str,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Val<Secret>> {
    let node = section.node(name)?;
    let source = SecretSource::read(section.reader, &node)?;
    match source.resolve_with(base, env, section.reader.stored) {
        Ok(secret) => Some(node.map(|_| secret)),
        Err((problem, fix)) => {
            node.report(section.reader, problem, fix);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_references_resolve_or_say_which_variable_is_missing() {
        let env = |name: &str| (name == "SET").then(|| "value".to_string());
        let set = SecretSource::Env { env: "SET".into() };
        assert_eq!(set.resolve(Path::new("."), &env).unwrap().expose(), "value");
        let unset = SecretSource::Env {
            env: "UNSET".into(),
        };
        assert_eq!(
            unset.resolve(Path::new("."), &env).unwrap_err().0,
            "environment variable UNSET is not set"
        );
    }

    #[test]
    fn store_references_resolve_only_from_the_tenants_store_secrets() {
        let none = |_: &str| None;
        let source = SecretSource::Store {
            store: "crm.client_secret".into(),
        };
        let in_file = source.resolve(Path::new("."), &none).unwrap_err();
        assert!(
            in_file.0.contains("only a tenant kept in the store"),
            "{in_file:?}"
        );
        let mut stored = BTreeMap::new();
        let missing = source
            .resolve_with(Path::new("."), &none, Some(&stored))
            .unwrap_err();
        assert_eq!(
            missing.0,
            "no secret named \"crm.client_secret\" is kept in the store for this tenant"
        );
        stored.insert("crm.client_secret".to_string(), Secret::new("s3cret"));
        let found = source
            .resolve_with(Path::new("."), &none, Some(&stored))
            .unwrap();
        assert_eq!(found.expose(), "s3cret");
    }
}
