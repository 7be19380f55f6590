//! [`Secret`]: a resolved secret (a key, a password, a client secret). Its value never appears
//! in `Debug` output or logs; reading it is an explicit [`Secret::expose`]. Where a secret comes
//! from (a literal, an environment variable, a file) is the configuration's business
//! (`callbridge-config`).

use std::fmt;

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
}
