//! The one error type of the configuration: where (file, line, column, key), what is wrong,
//! and what to write instead.

use std::fmt;

/// A position in the file, both 1-based; the column counts characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The position of byte `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count() + 1)
            .unwrap_or(1);
        Location { line, column }
    }
}

/// One mistake in the configuration. Shown as
/// ``FILE:LINE:COL: key `a.b.c`: what is wrong. Fix: what to write instead.``
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file as the command was given it.
    pub file: String,
    /// Where in the file; None when the mistake has no place (the file cannot be read).
    pub location: Option<Location>,
    /// The full key, e.g. `tenant[0].telephony.queue[1].waiting`; empty for the whole file.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// What to write instead.
    pub fix: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(at) = self.location {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        f.write_str(": ")?;
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", self.key)?;
        }
        write!(f, "{}", sentence(&self.problem))?;
        if !self.fix.is_empty() {
            write!(f, " Fix: {}", sentence(&self.fix))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// `text` ending in a full stop (unless it already ends a sentence).
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '?', '!']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// Every mistake found in one file, in the order they appear in it (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// The mistakes, sorted by position; None when there are none.
    pub fn from_vec(mut errors: Vec<ConfigError>) -> Option<ConfigErrors> {
        errors.sort_by_key(|e| e.location);
        errors.dedup();
        (!errors.is_empty()).then_some(ConfigErrors(errors))
    }

    /// The first mistake in the file.
    pub fn first(&self) -> &ConfigError {
        &self.0[0]
    }

    pub fn all(&self) -> &[ConfigError] {
        &self.0
    }

    /// The mistake at `key`, if one was found there.
    pub fn at_key(&self, key: &str) -> Option<&ConfigError> {
        self.0.iter().find(|e| e.key == key)
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> ConfigErrors {
        ConfigErrors(vec![error])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters_from_one() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(Location::of(text, 0), Location { line: 1, column: 1 });
        let x = text.find("\"x\"").unwrap();
        assert_eq!(Location::of(text, x), Location { line: 2, column: 6 });
    }

    #[test]
    fn an_error_reads_file_line_column_key_problem_fix() {
        let e = ConfigError {
            file: "callbridge.toml".into(),
            location: Some(Location { line: 3, column: 7 }),
            key: "server.listen".into(),
            problem: "\"localhost\" is not an address".into(),
            fix: "write an IP address and port, e.g. listen = \"127.0.0.1:8080\"".into(),
        };
        assert_eq!(
            e.to_string(),
            "callbridge.toml:3:7: key `server.listen`: \"localhost\" is not an address. \
             Fix: write an IP address and port, e.g. listen = \"127.0.0.1:8080\"."
        );
    }
}
