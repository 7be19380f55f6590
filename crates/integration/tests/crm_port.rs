//! The CRM port's Case calls that the runtime does not make yet, against the sandbox through the
//! ServiceNow adapter held as `Arc<dyn Crm>`: a work note on a Case (the softphone's after-call
//! work), and whether an agent's own CRM user may read a Case (the recording page): a user with
//! the CSM role can, one without cannot, and a Case that does not exist is "no".

mod support;

use std::sync::Arc;

use callbridge_core::{CaseRef, RecordId};
fn agent_id(tenant: &callbridge_core::TenantId, name: &str) -> callbridge_core::AgentId {
    callbridge_core::AgentId::in_tenant(tenant, name).expect("a valid agent name")
}
use callbridge_integration::crm::{Crm, CrmError};
use serde_json::json;
use support::World;

const AGENT_ROLE: &str = "sn_customerservice_agent";

fn adapter(world: &World) -> Arc<dyn Crm> {
    let tenants = callbridge_integration::crm::build_tenants(
        &support::crm_kinds(),
        &world.config,
        Some(world.server.store.clone()),
    )
    .unwrap();
    Arc::new(callbridge_integration::crm::TenantCrms::new(&tenants))
}

async fn a_case(world: &World) -> CaseRef {
    let created = world
        .admin()
        .post(
            "/api/now/table/sn_customerservice_case",
            json!({"short_description": "port test", "correlation_id": "port-test-call"}),
        )
        .await;
    CaseRef {
        id: RecordId::from(created["result"]["sys_id"].as_str().unwrap()),
        label: created["result"]["number"].as_str().unwrap().to_string(),
    }
}

async fn set_role(world: &World, user: &str, granted: bool) {
    let admin = world.admin();
    let user = world.user_sys_id(user).await;
    let role = admin
        .get(
            "sys_user_role",
            &[("sysparm_query", &format!("name={AGENT_ROLE}"))],
        )
        .await["result"][0]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    if granted {
        admin
            .post(
                "/api/now/table/sys_user_has_role",
                json!({"user": user, "role": role}),
            )
            .await;
        return;
    }
    let grant = admin
        .get(
            "sys_user_has_role",
            &[("sysparm_query", &format!("user={user}^role={role}"))],
        )
        .await["result"][0]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = admin
        .http
        .delete(format!(
            "{}/api/now/table/sys_user_has_role/{grant}",
            admin.base
        ))
        .basic_auth(&admin.user, Some(&admin.password))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_user_with_the_csm_role_may_read_a_case_one_without_may_not_and_a_missing_case_is_no() {
    let world = World::start().await;
    let tenant = World::tenant();
    world.link("alice.agent", "alice.agent").await;
    // Carol links while she has the role; the admin removes it afterwards.
    set_role(&world, "carol.norole", true).await;
    world.link("carol.norole", "carol.norole").await;
    set_role(&world, "carol.norole", false).await;
    // Roles travel in the token: let carol's stored one expire, so the adapter refreshes it and
    // asks with her rights as they are now.
    let store = &world.server.store;
    let mut link = store
        .link(tenant.as_str(), "carol.norole")
        .await
        .unwrap()
        .unwrap();
    link.access_expires_at = time::OffsetDateTime::UNIX_EPOCH;
    store
        .save_link(tenant.as_str(), "carol.norole", link)
        .await
        .unwrap();
    let crm = adapter(&world);
    let case = a_case(&world).await;
    let alice = agent_id(&tenant, "alice.agent");
    let carol = agent_id(&tenant, "carol.norole");

    assert_eq!(crm.may_read_case(&tenant, &alice, &case).await, Ok(true));
    assert_eq!(crm.may_read_case(&tenant, &carol, &case).await, Ok(false));
    let missing = CaseRef {
        id: RecordId::from("0123456789abcdef0123456789abcdef"),
        label: "CS9999999".into(),
    };
    assert_eq!(
        crm.may_read_case(&tenant, &alice, &missing).await,
        Ok(false)
    );
    let not_an_id = CaseRef {
        id: RecordId::from("../sys_user"),
        label: String::new(),
    };
    assert_eq!(
        crm.may_read_case(&tenant, &alice, &not_an_id).await,
        Ok(false)
    );
    // Nobody linked as dave: his CRM rights are unknown until he links.
    let dave = agent_id(&tenant, "dave");
    assert_eq!(
        crm.may_read_case(&tenant, &dave, &case).await,
        Err(CrmError::RelinkRequired)
    );
}

#[tokio::test]
async fn a_work_note_is_written_to_the_case_with_the_service_credential() {
    let world = World::start().await;
    let tenant = World::tenant();
    let crm = adapter(&world);
    let case = a_case(&world).await;

    crm.add_work_note(&tenant, &case, "Customer asked for a call back on Monday.")
        .await
        .unwrap();
    let stored = world
        .admin()
        .get(
            "sn_customerservice_case",
            &[
                ("sysparm_query", &format!("sys_id={}", case.id.as_str())),
                ("sysparm_fields", "work_notes"),
            ],
        )
        .await;
    let notes = stored["result"][0]["work_notes"]
        .as_str()
        .unwrap_or_default();
    // A journal field is write-only through the Table API: a GET answers "" (servicenow.md,
    // the Case table), as the sandbox does; the accepted PATCH above is the write.
    assert_eq!(notes, "", "{stored}");
    assert_eq!(
        crm.add_work_note(&tenant, &case, "  ").await,
        Err(CrmError::Rejected("a work note must not be empty".into()))
    );
    let missing = CaseRef {
        id: RecordId::from("0123456789abcdef0123456789abcdef"),
        label: String::new(),
    };
    assert!(matches!(
        crm.add_work_note(&tenant, &missing, "lost").await,
        Err(CrmError::Rejected(_))
    ));
}
