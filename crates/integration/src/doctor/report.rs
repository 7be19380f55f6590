//! What `doctor` found: one [`Check`] per thing it verified, grouped by tenant, with the setup
//! step that fixes each failure. Serializable for `--json`; [`render_text`] for people.

use std::fmt::Write as _;

pub use callbridge_kernel::check::{Check, Status};

use serde::Serialize;

/// The checks of one tenant, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantReport {
    pub tenant: String,
    pub checks: Vec<Check>,
}

impl TenantReport {
    /// The check with this id, if it was produced.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub tenants: Vec<TenantReport>,
}

impl Report {
    /// Whether any check failed (the command's exit code is non-zero then).
    pub fn failed(&self) -> bool {
        self.all().any(|c| c.status == Status::Fail)
    }

    /// How many checks ended with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.all().filter(|c| c.status == status).count()
    }

    fn all(&self) -> impl Iterator<Item = &Check> {
        self.tenants.iter().flat_map(|t| t.checks.iter())
    }
}

/// Widest id column before long ids simply push the title right.
const MAX_ID_WIDTH: usize = 44;

/// Human output: per tenant, one aligned line per check (`PASS  id  title: detail`), the fix
/// indented below a WARN or FAIL, then a summary line.
pub fn render_text(report: &Report) -> String {
    let width = report
        .all()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_ID_WIDTH);
    let indent = " ".repeat(2 + 4 + 2 + width + 2);
    let mut out = String::new();
    for tenant in &report.tenants {
        let _ = writeln!(out, "Tenant {}", tenant.tenant);
        for check in &tenant.checks {
            let _ = writeln!(
                out,
                "  {}  {:<width$}  {}: {}",
                check.status.label(),
                check.id,
                check.title,
                one_line(&check.detail),
            );
            if let Some(fix) = &check.fix {
                if matches!(check.status, Status::Warn | Status::Fail) {
                    let _ = writeln!(out, "{indent}fix: {}", one_line(fix));
                }
            }
        }
        out.push('\n');
    }
    let warnings = report.count(Status::Warn);
    let _ = writeln!(
        out,
        "{} passed, {warnings} warning{}, {} failed, {} skipped",
        report.count(Status::Pass),
        if warnings == 1 { "" } else { "s" },
        report.count(Status::Fail),
        report.count(Status::Skipped),
    );
    out
}

/// Keeps one check on one line whatever the instance put in a message.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            tenants: vec![TenantReport {
                tenant: "acme".into(),
                checks: vec![
                    Check::pass("instance.reachable", "Instance", "answered as ServiceNow"),
                    Check::fail(
                        "column.case.recording_url",
                        "Recording link column",
                        "no column u_recording_url\non sn_customerservice_case",
                        "System Definition > Dictionary: create it",
                    ),
                    Check::skipped("rate_limit", "Rate limit", "service credential failed"),
                ],
            }],
        }
    }

    #[test]
    fn text_output_aligns_ids_and_indents_fixes() {
        let text = render_text(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Tenant acme");
        assert!(
            lines[1].starts_with("  PASS  instance.reachable         Instance: "),
            "{text}"
        );
        assert!(lines[2].starts_with("  FAIL  column.case.recording_url  Recording link column: no column u_recording_url on"), "{text}");
        let title_column = lines[2].find("Recording").unwrap();
        assert_eq!(lines[3].find("fix: ").unwrap(), title_column, "{text}");
        assert!(lines[4].starts_with("  SKIP  rate_limit"), "{text}");
        assert!(
            text.ends_with("1 passed, 0 warnings, 1 failed, 1 skipped\n"),
            "{text}"
        );
    }

    #[test]
    fn failed_means_at_least_one_fail_and_json_uses_lowercase_statuses() {
        let mut report = sample();
        assert!(report.failed());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["tenants"][0]["checks"][1]["status"], "fail");
        assert_eq!(
            json["tenants"][0]["checks"][0]["fix"],
            serde_json::Value::Null
        );
        report.tenants[0].checks.remove(1);
        assert!(!report.failed());
    }
}
