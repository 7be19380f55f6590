//! Secrets in the configuration file: a literal, or a reference to an environment variable or a
//! file, so that the file itself can be committed without them. Resolved once at load into a
//! [`Secret`], whose value never appears in `Debug` output or logs.

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
}

/// What to write for a secret, for error messages.
pub(crate) const SECRET_FORMS: &str =
    "write a string, { env = \"VARIABLE\" } or { file = \"path/to/file\" }";

impl SecretSource {
    /// The secret's value, or what is wrong and how to fix it. `base` is the directory relative
    /// `file` paths are resolved against (the configuration file's directory).
    pub fn resolve(
        &self,
        base: &Path,
        lookup_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secret, (String, String)> {
        let value = match self {
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
    match source.resolve(base, env) {
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
}
