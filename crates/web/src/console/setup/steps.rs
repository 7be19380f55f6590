//! The setup flow's steps and which `doctor` checks belong to each (pure): a step runs the
//! real doctor of its tenant and keeps the checks whose ids are its own. Doctor's check ids are
//! stable (`callbridge_servicenow::adapter::doctor`, `callbridge_telephony::doctor`), so the
//! split is by id.

use callbridge_crm::DoctorScope;
use callbridge_kernel::check::{Check, Status};
use serde_json::{json, Value};

/// A screen of the setup flow, in the order an admin goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The CRM connection: instance, OAuth client, the registry entry, the panel.
    Connection,
    /// The tables and columns used, as the CRM's schema holds them.
    Tables,
    /// What the agents' own CRM accounts need.
    Roles,
    /// Where recordings are stored.
    Recordings,
}

pub const STEPS: [Step; 4] = [
    Step::Connection,
    Step::Tables,
    Step::Roles,
    Step::Recordings,
];

impl Step {
    pub fn id(self) -> &'static str {
        match self {
            Step::Connection => "connection",
            Step::Tables => "tables",
            Step::Roles => "roles",
            Step::Recordings => "recordings",
        }
    }

    pub fn parse(id: &str) -> Option<Step> {
        STEPS.into_iter().find(|s| s.id() == id)
    }

    /// Whether the step's checks come from the CRM's doctor (the others from telephony's).
    pub fn is_crm(self) -> bool {
        !matches!(self, Step::Recordings)
    }

    /// The part of the CRM's doctor that produces this step's checks (see [`step_of`]).
    pub fn doctor_scope(self) -> DoctorScope {
        match self {
            Step::Connection => DoctorScope::Connection,
            Step::Tables => DoctorScope::Tables,
            Step::Roles => DoctorScope::Roles,
            Step::Recordings => DoctorScope::All,
        }
    }
}

/// The step a doctor check belongs to; `None` for checks no step shows (telephony's routing
/// and prompts, which are the numbers-and-queues pages' business).
pub fn step_of(check_id: &str) -> Option<Step> {
    let first = check_id.split('.').next().unwrap_or("");
    match first {
        "instance" | "oauth" | "rate_limit" | "openframe" | "config" => Some(Step::Connection),
        "table" | "column" => Some(Step::Tables),
        "access" => Some(Step::Tables),
        "agents" | "agent" => Some(Step::Roles),
        "telephony"
            if check_id == "telephony.spool" || check_id.starts_with("telephony.recordings.") =>
        {
            Some(Step::Recordings)
        }
        _ => None,
    }
}

/// The checks of `step` out of a whole doctor run, in doctor's order.
pub fn checks_of(step: Step, checks: Vec<Check>) -> Vec<Check> {
    checks
        .into_iter()
        .filter(|c| step_of(&c.id) == Some(step))
        .collect()
}

/// The language a step's checks are answered in (`?lang=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn id(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

/// One check as the answer shows it: in Japanese, its title, detail and fix as its producer
/// wrote them in Japanese; a part without Japanese stays English, and `title_lang`,
/// `detail_lang` and `fix_lang` say which language each part is in (`fix_lang` is `null` when
/// there is no fix).
fn check_json(check: &Check, lang: Lang) -> Value {
    let ja = &check.ja;
    let pick = |english: &str, japanese: Option<&String>| match (lang, japanese) {
        (Lang::Ja, Some(japanese)) => (japanese.clone(), "ja"),
        _ => (english.to_string(), "en"),
    };
    let (title, title_lang) = pick(&check.title, ja.title.as_ref());
    let (detail, detail_lang) = pick(&check.detail, ja.detail.as_ref());
    let fix = check.fix.as_deref().map(|fix| pick(fix, ja.fix.as_ref()));
    json!({
        "id": check.id,
        "title": title,
        "title_lang": title_lang,
        "status": check.status,
        "detail": detail,
        "detail_lang": detail_lang,
        "fix": fix.as_ref().map(|(text, _)| text),
        "fix_lang": fix.as_ref().map(|(_, lang)| lang),
    })
}

/// The answer of `GET /api/v1/console/setup/steps/{step}/checks`.
pub fn checks_json(step: Step, checks: &[Check], lang: Lang) -> Value {
    let count = |status: Status| checks.iter().filter(|c| c.status == status).count();
    json!({
        "step": step.id(),
        "lang": lang.id(),
        "checks": checks.iter().map(|c| check_json(c, lang)).collect::<Vec<_>>(),
        "summary": {
            "pass": count(Status::Pass),
            "warn": count(Status::Warn),
            "fail": count(Status::Fail),
            "skipped": count(Status::Skipped),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_kernel::check::Text;

    #[test]
    fn every_crm_check_id_belongs_to_one_step() {
        for (id, step) in [
            ("instance.reachable", Step::Connection),
            ("oauth.service_grant", Step::Connection),
            ("oauth.authorize_redirect", Step::Connection),
            ("rate_limit", Step::Connection),
            ("openframe.panel", Step::Connection),
            ("config.crm", Step::Connection),
            ("access.dictionary", Step::Tables),
            ("table.case", Step::Tables),
            ("table.lookup.customer_contact", Step::Tables),
            ("column.case.recording_url", Step::Tables),
            ("column.lookup.customer_contact.phone", Step::Tables),
            ("access.read.customer_contact", Step::Tables),
            ("access.create_case", Step::Tables),
            ("agents.linked", Step::Roles),
            ("agents.store", Step::Roles),
            ("agent.alice.crm_access", Step::Roles),
            ("telephony.recordings.store", Step::Recordings),
            ("telephony.spool", Step::Recordings),
        ] {
            assert_eq!(step_of(id), Some(step), "{id}");
        }
        assert_eq!(step_of("telephony.queue.support.music"), None);
        assert_eq!(step_of("telephony.trunk.host"), None);
    }

    #[test]
    fn a_step_keeps_its_checks_in_order_and_counts_them() {
        let all = vec![
            Check::pass("instance.reachable", "Instance", "ok"),
            Check::fail("column.case.recording_url", "Rec", "missing", "create it"),
            Check::skipped("access.create_case", "Probe", "no probe"),
            Check::pass("agents.linked", "Agents", "none"),
        ];
        let tables = checks_of(Step::Tables, all);
        let ids: Vec<&str> = tables.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["column.case.recording_url", "access.create_case"]);
        let answer = checks_json(Step::Tables, &tables, Lang::En);
        assert_eq!(
            answer["summary"],
            json!({"pass": 0, "warn": 0, "fail": 1, "skipped": 1})
        );
        assert_eq!(answer["checks"][0]["fix"], "create it");
        assert_eq!(answer["checks"][0]["title_lang"], "en");
        assert_eq!(answer["checks"][0]["fix_lang"], "en");
        assert_eq!(answer["checks"][1]["fix"], Value::Null);
        assert_eq!(answer["checks"][1]["fix_lang"], Value::Null);
        let failing = Check::fail(
            "table.case",
            Text::new("Case table x_case", "ケース テーブル x_case"),
            Text::new(
                "no table named x_case",
                "x_case という名前のテーブルはありません",
            ),
            Text::new(
                "System Definition > Tables: correct it",
                "System Definition > Tables: 直してください",
            ),
        );
        let ja = checks_json(
            Step::Tables,
            &[failing.clone(), Check::pass("table.x", "X", "ok")],
            Lang::Ja,
        );
        assert_eq!(
            ja["checks"][0],
            json!({"id": "table.case", "title": "ケース テーブル x_case", "title_lang": "ja",
                "status": "fail", "detail": "x_case という名前のテーブルはありません", "detail_lang": "ja",
                "fix": "System Definition > Tables: 直してください", "fix_lang": "ja"})
        );
        // A part without Japanese stays English and says so.
        assert_eq!(ja["checks"][1]["title_lang"], "en");
        assert_eq!(ja["checks"][1]["detail"], "ok");
        assert_eq!(ja["checks"][1]["detail_lang"], "en");
        let en = checks_json(Step::Tables, &[failing], Lang::En);
        assert_eq!(en["checks"][0]["detail"], "no table named x_case");
        assert_eq!(en["checks"][0]["detail_lang"], "en");
        assert_eq!(Step::parse("roles"), Some(Step::Roles));
        // Each CRM step runs only its part of the doctor.
        assert_eq!(Step::Connection.doctor_scope(), DoctorScope::Connection);
        assert_eq!(Step::Tables.doctor_scope(), DoctorScope::Tables);
        assert_eq!(Step::Roles.doctor_scope(), DoctorScope::Roles);
        assert_eq!(Step::parse("numbers"), None);
    }
}
