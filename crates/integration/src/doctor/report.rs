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
    render(report, &ENGLISH)
}

/// [`render_text`] for a Japanese reader: each check's title, detail and fix in Japanese where
/// its producer wrote them, and the frame's words in Japanese (ids and the status labels, which
/// scripts may match, stay as they are).
pub fn render_text_ja(report: &Report) -> String {
    let japanese = Report {
        tenants: report
            .tenants
            .iter()
            .map(|t| TenantReport {
                tenant: t.tenant.clone(),
                checks: t.checks.iter().map(Check::in_japanese).collect(),
            })
            .collect(),
    };
    render(&japanese, &JAPANESE)
}

/// The words around the checks.
struct Frame {
    tenant: &'static str,
    fix: &'static str,
    summary: fn(pass: usize, warn: usize, fail: usize, skipped: usize) -> String,
}

const ENGLISH: Frame = Frame {
    tenant: "Tenant",
    fix: "fix:",
    summary: |pass, warn, fail, skipped| {
        let plural = if warn == 1 { "" } else { "s" };
        format!("{pass} passed, {warn} warning{plural}, {fail} failed, {skipped} skipped")
    },
};

const JAPANESE: Frame = Frame {
    tenant: "テナント",
    fix: "対処:",
    summary: |pass, warn, fail, skipped| {
        format!("成功 {pass} 件、警告 {warn} 件、失敗 {fail} 件、スキップ {skipped} 件")
    },
};

fn render(report: &Report, frame: &Frame) -> String {
    let width = report
        .all()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_ID_WIDTH);
    let indent = " ".repeat(2 + 4 + 2 + width + 2);
    let mut out = String::new();
    for tenant in &report.tenants {
        let _ = writeln!(out, "{} {}", frame.tenant, tenant.tenant);
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
                    let _ = writeln!(out, "{indent}{} {}", frame.fix, one_line(fix));
                }
            }
        }
        out.push('\n');
    }
    let summary = (frame.summary)(
        report.count(Status::Pass),
        report.count(Status::Warn),
        report.count(Status::Fail),
        report.count(Status::Skipped),
    );
    let _ = writeln!(out, "{summary}");
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
    fn japanese_text_output_shows_each_part_in_japanese_where_written() {
        use callbridge_kernel::check::Text;
        let mut report = sample();
        report.tenants[0].checks[1] = Check::fail(
            "column.case.recording_url",
            Text::new("Recording link column", "録音リンクの列"),
            Text::new("no column u_x", "列 u_x がありません"),
            Text::new(
                "create it",
                "System Definition > Dictionary: 作成してください",
            ),
        );
        let text = render_text_ja(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "テナント acme");
        assert!(
            lines[2].starts_with(
                "  FAIL  column.case.recording_url  録音リンクの列: 列 u_x がありません"
            ),
            "{text}"
        );
        assert!(
            lines[3].ends_with("対処: System Definition > Dictionary: 作成してください"),
            "{text}"
        );
        // A check without Japanese keeps its English.
        assert!(
            lines[1].ends_with("Instance: answered as ServiceNow"),
            "{text}"
        );
        assert!(
            text.ends_with("成功 1 件、警告 0 件、失敗 1 件、スキップ 1 件\n"),
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
