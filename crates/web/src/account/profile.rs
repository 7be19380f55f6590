//! The answers' bodies, built from plain facts (no IO): the session answer, the agent's profile
//! and the colleagues list, shaped as `ui/SERVER-CONTRACT.md` and `docs/web-api.md` say.

use callbridge_store::{LinkSummary, SessionView};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `{"session": {...}, "csrf_token": ...}`.
pub fn session_answer(session: &SessionView, csrf_token: &str) -> Value {
    json!({
        "session": {
            "tenant": session.tenant,
            "user": session.user_name,
            "role": session.role.as_str(),
            "expires_at": rfc3339(session.expires_at),
        },
        "csrf_token": csrf_token,
    })
}

/// The link state the profile shows.
pub fn link_json(link: Option<&LinkSummary>) -> Value {
    match link {
        None => json!({"state": "not_linked", "user": null, "linked_at": null}),
        Some(l) if l.refused_at.is_some() => {
            json!({"state": "relink_required", "user": null, "linked_at": null})
        }
        Some(l) => json!({
            "state": "linked",
            "user": l.crm_user_name,
            "linked_at": rfc3339(l.linked_at),
        }),
    }
}

/// A tenant's CRM as the profile shows it (`None`: the tenant has no CRM agents link to).
pub struct CrmView<'a> {
    pub kind: &'a str,
    pub instance_url: Option<&'a str>,
    pub record_tables: &'a [(String, String)],
    pub link: Option<&'a LinkSummary>,
}

pub fn crm_json(crm: Option<CrmView<'_>>) -> Value {
    let Some(crm) = crm else {
        return Value::Null;
    };
    let table = |role: &str| {
        crm.record_tables
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, t)| Value::from(t.as_str()))
            .unwrap_or(Value::Null)
    };
    json!({
        "kind": crm.kind,
        "instance_url": crm.instance_url,
        "tables": {"contact": table("contact"), "consumer": table("consumer"), "case": table("case")},
        "link": link_json(crm.link),
    })
}

/// One queue with its after-call work time in seconds (the queue's `wrap_up_secs`; `0`: none).
pub fn queue_json(name: &str, wrap_up: std::time::Duration) -> Value {
    json!({"name": name, "wrap_up_seconds": wrap_up.as_secs()})
}

/// The tenant's disposition codes: `[{"code": ..., "label": {"en": ..., "ja": ...}}]`.
pub fn disposition_codes_json(codes: &callbridge_core::DispositionCodes) -> Value {
    codes
        .iter()
        .map(|c| json!({"code": c.code(), "label": {"en": c.label_en(), "ja": c.label_ja()}}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_store::Role;
    use time::macros::datetime;

    #[test]
    fn the_session_answer_has_the_contracts_shape() {
        let view = SessionView {
            tenant: "acme".into(),
            user_name: "alice".into(),
            display_name: "Alice".into(),
            role: Role::Agent,
            created_at: datetime!(2026-12-06 15:00 UTC),
            last_seen_at: datetime!(2026-12-06 15:00 UTC),
            expires_at: datetime!(2026-12-07 05:00 UTC),
        };
        assert_eq!(
            session_answer(&view, "tok"),
            json!({"session": {"tenant": "acme", "user": "alice", "role": "agent",
                               "expires_at": "2026-12-07T05:00:00Z"}, "csrf_token": "tok"})
        );
    }

    #[test]
    fn link_states_are_linked_not_linked_or_relink_required() {
        let linked = LinkSummary {
            crm_user_name: "alice.t".into(),
            linked_at: datetime!(2026-12-01 09:00 UTC),
            refused_at: None,
        };
        assert_eq!(link_json(None)["state"], "not_linked");
        assert_eq!(
            link_json(Some(&linked)),
            json!({"state": "linked", "user": "alice.t", "linked_at": "2026-12-01T09:00:00Z"})
        );
        let refused = LinkSummary {
            refused_at: Some(datetime!(2026-12-02 09:00 UTC)),
            ..linked
        };
        assert_eq!(link_json(Some(&refused))["state"], "relink_required");
    }

    #[test]
    fn a_crm_shows_its_tables_by_role_and_no_crm_is_null() {
        assert_eq!(crm_json(None), Value::Null);
        let tables = [
            ("contact".to_string(), "customer_contact".to_string()),
            ("case".to_string(), "sn_customerservice_case".to_string()),
        ];
        let crm = crm_json(Some(CrmView {
            kind: "servicenow",
            instance_url: Some("https://acme.service-now.com"),
            record_tables: &tables,
            link: None,
        }));
        assert_eq!(
            crm["tables"],
            json!({"contact": "customer_contact", "consumer": null, "case": "sn_customerservice_case"})
        );
        assert_eq!(crm["kind"], "servicenow");
    }

    #[test]
    fn disposition_codes_have_the_contracts_shape() {
        use callbridge_core::{DispositionCode, DispositionCodes};
        let codes = DispositionCodes::new(vec![DispositionCode::new(
            "resolved",
            "Resolved",
            Some("解決"),
        )
        .unwrap()])
        .unwrap();
        assert_eq!(
            disposition_codes_json(&codes),
            json!([{"code": "resolved", "label": {"en": "Resolved", "ja": "解決"}}])
        );
        assert_eq!(
            disposition_codes_json(&DispositionCodes::default()),
            json!([])
        );
    }
}
