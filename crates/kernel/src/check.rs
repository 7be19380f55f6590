//! The outcome of a health check, shared by every subsystem that checks its own setup (the CRM
//! adapters, telephony, the store) so that `doctor` reports them all in one vocabulary.

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// Works, but something will bite later (a short column, no rate pacing, a probe left behind).
    Warn,
    /// Calls will not be handled correctly until this is fixed.
    Fail,
    /// Not run: a prerequisite failed or an option turned it off (the detail says which).
    Skipped,
}

impl Status {
    /// The four-letter label used in text output.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skipped => "SKIP",
        }
    }
}

/// Words for people in the two languages Callbridge speaks: the English, and the Japanese when
/// the producer wrote it. Producers write both where the facts are known (names, error bodies and
/// menu paths kept verbatim inside the Japanese), so nothing re-parses English afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub ja: Option<String>,
}

impl Text {
    /// The same sentence in English and Japanese.
    pub fn new(en: impl Into<String>, ja: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            ja: Some(ja.into()),
        }
    }

    /// Words that read the same in both languages (a file name, a list of agent names).
    pub fn verbatim(words: impl Into<String>) -> Text {
        let words = words.into();
        Text {
            ja: Some(words.clone()),
            en: words,
        }
    }
}

/// English only: a check built this way has no Japanese (tests and code that does not face
/// people); the walk over every check doctor produces fails on one.
impl From<&str> for Text {
    fn from(en: &str) -> Text {
        Text {
            en: en.to_string(),
            ja: None,
        }
    }
}

impl From<String> for Text {
    fn from(en: String) -> Text {
        Text { en, ja: None }
    }
}

impl From<&Text> for Text {
    fn from(text: &Text) -> Text {
        text.clone()
    }
}

/// A check's title, detail and fix in Japanese, where its producer wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Japanese {
    pub title: Option<String>,
    pub detail: Option<String>,
    pub fix: Option<String>,
}

/// One verified fact about a tenant's setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier, derived only from the configuration (e.g. `column.case.recording_url`,
    /// `table.lookup.customer_contact`), for scripts and `--json` consumers.
    pub id: String,
    /// What was checked, for people.
    pub title: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// Which setup step fixes it, in ServiceNow admin terms (menu > module: action).
    pub fix: Option<String>,
    /// The same three in Japanese (the console's `?lang=ja`, `doctor` under a Japanese locale);
    /// not part of `--json`, which stays English.
    #[serde(skip)]
    pub ja: Japanese,
}

impl Check {
    pub fn pass(id: impl Into<String>, title: impl Into<Text>, detail: impl Into<Text>) -> Check {
        Check::new(id, title.into(), Status::Pass, detail.into(), None)
    }

    pub fn warn(
        id: impl Into<String>,
        title: impl Into<Text>,
        detail: impl Into<Text>,
        fix: impl Into<Text>,
    ) -> Check {
        Check::new(
            id,
            title.into(),
            Status::Warn,
            detail.into(),
            Some(fix.into()),
        )
    }

    pub fn fail(
        id: impl Into<String>,
        title: impl Into<Text>,
        detail: impl Into<Text>,
        fix: impl Into<Text>,
    ) -> Check {
        Check::new(
            id,
            title.into(),
            Status::Fail,
            detail.into(),
            Some(fix.into()),
        )
    }

    pub fn skipped(
        id: impl Into<String>,
        title: impl Into<Text>,
        reason: impl Into<Text>,
    ) -> Check {
        Check::new(id, title.into(), Status::Skipped, reason.into(), None)
    }

    fn new(
        id: impl Into<String>,
        title: Text,
        status: Status,
        detail: Text,
        fix: Option<Text>,
    ) -> Check {
        let (fix, fix_ja) = match fix {
            Some(fix) => (Some(fix.en), fix.ja),
            None => (None, None),
        };
        Check {
            id: id.into(),
            title: title.en,
            status,
            detail: detail.en,
            fix,
            ja: Japanese {
                title: title.ja,
                detail: detail.ja,
                fix: fix_ja,
            },
        }
    }

    /// The parts that have English but no Japanese ("title", "detail", "fix"): what a walk over
    /// every check doctor produces asserts is empty.
    pub fn missing_japanese(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.ja.title.is_none() {
            missing.push("title");
        }
        if self.ja.detail.is_none() {
            missing.push("detail");
        }
        if self.fix.is_some() && self.ja.fix.is_none() {
            missing.push("fix");
        }
        missing
    }

    /// This check with its title, detail and fix in Japanese where it has them (what a Japanese
    /// reader is shown; a part without Japanese stays English).
    pub fn in_japanese(&self) -> Check {
        let ja = &self.ja;
        Check {
            title: ja.title.clone().unwrap_or_else(|| self.title.clone()),
            detail: ja.detail.clone().unwrap_or_else(|| self.detail.clone()),
            fix: match (&self.fix, &ja.fix) {
                (Some(_), Some(fix)) => Some(fix.clone()),
                (fix, _) => fix.clone(),
            },
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_keeps_both_languages_and_json_stays_english() {
        let check = Check::fail(
            "table.case",
            Text::new("Case table x_case", "ケース テーブル x_case"),
            Text::new(
                "no table named x_case",
                "x_case という名前のテーブルはありません",
            ),
            Text::new(
                "System Definition > Tables",
                "System Definition > Tables で確認します",
            ),
        );
        assert!(check.missing_japanese().is_empty());
        assert_eq!(
            serde_json::to_value(&check).unwrap(),
            serde_json::json!({"id": "table.case", "title": "Case table x_case", "status": "fail",
                "detail": "no table named x_case", "fix": "System Definition > Tables"})
        );
        let ja = check.in_japanese();
        assert_eq!(ja.title, "ケース テーブル x_case");
        assert_eq!(
            ja.fix.as_deref(),
            Some("System Definition > Tables で確認します")
        );
    }

    #[test]
    fn english_only_parts_are_named() {
        let check = Check::warn("x", Text::new("X", "エックス"), "found", "fix it");
        assert_eq!(check.missing_japanese(), ["detail", "fix"]);
        assert_eq!(check.in_japanese().detail, "found");
        let pass = Check::pass("y", Text::verbatim("Y"), Text::new("ok", "正常"));
        assert!(
            pass.missing_japanese().is_empty(),
            "a pass has no fix to translate"
        );
    }
}
