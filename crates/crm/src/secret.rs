//! Secrets in the configuration file: a literal, or a reference to an environment variable or a
//! file, so that the file itself can be committed without them. Resolved once at load; the
//! resolved value never appears in Debug output or logs.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

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

/// A resolved secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl SecretSource {
    /// The secret's value, or a reason naming where it was looked for.
    /// `base` is the directory relative `file` paths are resolved against (the configuration
    /// file's directory).
    pub fn resolve(
        &self,
        base: &std::path::Path,
        lookup_env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Secret, String> {
        let value = match self {
            SecretSource::Literal(v) => v.clone(),
            SecretSource::Env { env } => {
                lookup_env(env).ok_or_else(|| format!("environment variable {env} is not set"))?
            }
            SecretSource::File { file } => std::fs::read_to_string(base.join(file))
                .map_err(|e| format!("cannot read secret file {}: {e}", base.join(file).display()))?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        };
        if value.is_empty() {
            return Err("the secret is empty".into());
        }
        Ok(Secret(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        assert_eq!(
            format!("{:?}", Secret::new("hunter2")),
            "Secret(<redacted>)"
        );
    }

    #[test]
    fn env_references_resolve_or_say_which_variable_is_missing() {
        let env = |name: &str| (name == "SET").then(|| "value".to_string());
        let set = SecretSource::Env { env: "SET".into() };
        assert_eq!(
            set.resolve(std::path::Path::new("."), &env)
                .unwrap()
                .expose(),
            "value"
        );
        let unset = SecretSource::Env {
            env: "UNSET".into(),
        };
        assert_eq!(
            unset.resolve(std::path::Path::new("."), &env).unwrap_err(),
            "environment variable UNSET is not set"
        );
    }
}
