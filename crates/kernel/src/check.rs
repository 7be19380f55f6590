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
}

impl Check {
    pub fn pass(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Check {
        Check::new(id, title, Status::Pass, detail, None)
    }

    pub fn warn(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(id, title, Status::Warn, detail, Some(fix.into()))
    }

    pub fn fail(
        id: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::new(id, title, Status::Fail, detail, Some(fix.into()))
    }

    pub fn skipped(
        id: impl Into<String>,
        title: impl Into<String>,
        reason: impl Into<String>,
    ) -> Check {
        Check::new(id, title, Status::Skipped, reason, None)
    }

    fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            status,
            detail: detail.into(),
            fix,
        }
    }
}
