//! The CRM link from outside, through real HTTP against the sandbox, driving the instance's
//! sign-in page like a browser (each `Browser` keeps its own cookies): the CRM user must be the
//! agent's, the sign-in must finish in the browser that started it, a link ticket starts one
//! sign-in, and an account that cannot read what the agent needs is refused, naming what is
//! missing and the role that grants it. `doctor` applies the same rule to every linked agent.

mod support;

use callbridge_integration::doctor::{self, render_text, DoctorOptions, Status};
use reqwest::Method;
use serde_json::{json, Value};
use support::{World, TENANT};

const AGENT_ROLE: &str = "sn_customerservice_agent";

async fn linked_user(world: &World, agent: &str) -> Option<String> {
    world
        .server
        .store
        .link(TENANT, agent)
        .await
        .unwrap()
        .map(|l| l.crm_user_name)
}

/// An admin's Table API call; (status, body).
async fn admin(world: &World, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let admin = world.admin();
    let mut request = admin
        .http
        .request(method, format!("{}{path}", admin.base))
        .basic_auth(&admin.user, Some(&admin.password));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

async fn sys_id(world: &World, table: &str, query: &str) -> String {
    let reply = world.admin().get(table, &[("sysparm_query", query)]).await;
    reply["result"][0]["sys_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {table} where {query}"))
        .to_string()
}

/// User Administration > Users > `user` > Roles: add `role`.
async fn grant(world: &World, user: &str, role: &str) {
    let user = world.user_sys_id(user).await;
    let role = sys_id(world, "sys_user_role", &format!("name={role}")).await;
    let (status, body) = admin(
        world,
        Method::POST,
        "/api/now/table/sys_user_has_role",
        Some(json!({"user": user, "role": role})),
    )
    .await;
    assert_eq!(status, 201, "granting the role: {body}");
}

/// User Administration > Users > `user` > Roles: remove `role`.
async fn revoke(world: &World, user: &str, role: &str) {
    let user = world.user_sys_id(user).await;
    let role = sys_id(world, "sys_user_role", &format!("name={role}")).await;
    let grant = sys_id(
        world,
        "sys_user_has_role",
        &format!("user={user}^role={role}"),
    )
    .await;
    let (status, body) = admin(
        world,
        Method::DELETE,
        &format!("/api/now/table/sys_user_has_role/{grant}"),
        None,
    )
    .await;
    assert_eq!(status, 204, "revoking the role: {body}");
}

#[tokio::test]
async fn only_the_agents_own_crm_user_can_complete_their_link_and_the_refusal_says_how_to_switch() {
    let world = World::start().await;
    let browser = world.browser();
    let ticket = world.ticket("alice.agent");
    for intruder in ["carol.norole", "bob.agent"] {
        let (status, body) = world
            .link_with(&browser, "alice.agent", &ticket, intruder)
            .await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body.contains(&format!("signed in to ServiceNow as {intruder}")),
            "{body}"
        );
        assert!(
            body.contains("agent alice.agent must link the ServiceNow user whose user name or e-mail address is alice.agent"),
            "{body}"
        );
        assert!(body.contains("Nothing was linked"), "{body}");
        assert!(
            body.contains(&format!(
                "sign out of ServiceNow ({}/logout.do), then open your link again",
                world.sandbox.base_url
            )),
            "{body}"
        );
        assert_eq!(linked_user(&world, "alice.agent").await, None);
        // Signed in to the CRM, the browser would stay that user: switching means signing out.
        browser.sign_out_of_crm();
    }
    // Switching as the page says: the same link, signed in as alice.agent this time.
    let (status, body) = world
        .link_with(&browser, "alice.agent", &ticket, "alice.agent")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        linked_user(&world, "alice.agent").await.as_deref(),
        Some("alice.agent")
    );
}

#[tokio::test]
async fn an_admin_mapping_decides_which_crm_user_an_agent_links() {
    // The test configuration maps agent "bob" to bob.agent: bob.agent links, "bob" does not.
    let world = World::start().await;
    let browser = world.browser();
    let (status, body) = world
        .link_with(&browser, "bob", &world.ticket("bob"), "alice.agent")
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("must link the ServiceNow user bob.agent (set by your administrator)"),
        "{body}"
    );
    assert_eq!(linked_user(&world, "bob").await, None);
    world.link("bob", "bob.agent").await;
    assert_eq!(
        linked_user(&world, "bob").await.as_deref(),
        Some("bob.agent")
    );
}

#[tokio::test]
async fn a_sign_in_finishes_only_in_the_browser_that_started_it() {
    let world = World::start().await;
    // Bob starts linking his agent and has Alice approve the sign-in in her browser.
    let bobs = world.browser();
    let authorize = world
        .start_link(&bobs, "bob.agent", &world.ticket("bob.agent"))
        .await
        .unwrap();
    assert!(
        bobs.cookie_names().contains(&(
            "callbridge_link".into(),
            "/api/v1/crm/oauth/callback".into()
        )),
        "{:?}",
        bobs.cookie_names()
    );
    let alices = world.browser();
    let callback = world.sign_in(&alices, &authorize, "alice.agent").await;
    let (status, body) = alices.get(&callback).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("this sign-in was started in another browser"),
        "{body}"
    );
    assert_eq!(linked_user(&world, "bob.agent").await, None);
    // The sign-in is dropped: not even the starting browser can finish it now.
    let (status, body) = bobs.get(&callback).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(linked_user(&world, "bob.agent").await, None);
}

#[tokio::test]
async fn a_link_ticket_starts_one_sign_in() {
    let world = World::start().await;
    let ticket = world.ticket("alice.agent");
    let first = world.browser();
    let authorize = world
        .start_link(&first, "alice.agent", &ticket)
        .await
        .unwrap();
    // A second use, from anywhere, while the first sign-in runs and after it linked.
    for _ in 0..2 {
        let (status, body) = world
            .start_link(&world.browser(), "alice.agent", &ticket)
            .await
            .unwrap_err();
        assert_eq!(status, 403, "{body}");
        assert!(
            body.contains("this link was already used to start a sign-in"),
            "{body}"
        );
        let callback = world.sign_in(&first, &authorize, "alice.agent").await;
        if linked_user(&world, "alice.agent").await.is_none() {
            let (status, body) = first.get(&callback).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let (status, _) = world
        .start_link(&first, "alice.agent", &ticket)
        .await
        .unwrap_err();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_link_pages_load_nothing_and_show_the_crm_user_only_as_text() {
    let world = World::start().await;
    let response = world
        .http
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/agents/alice.agent/crm-link?ticket=<script>",
            world.public_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
}

#[tokio::test]
async fn an_account_that_cannot_read_the_customer_tables_is_refused_naming_them_and_the_role() {
    let world = World::start().await;
    let browser = world.browser();
    let ticket = world.ticket("carol.norole");
    let (status, body) = world
        .link_with(&browser, "carol.norole", &ticket, "carol.norole")
        .await;
    assert_eq!(status, 403, "{body}");
    for table in [
        "customer_contact",
        "csm_consumer",
        "sn_customerservice_case",
    ] {
        assert!(body.contains(table), "{table} missing from: {body}");
    }
    assert!(
        body.contains("grant the role sn_customerservice_agent to carol.norole"),
        "{body}"
    );
    assert!(body.contains("nothing was linked"), "{body}");
    assert_eq!(linked_user(&world, "carol.norole").await, None);
    // The seed's step: the admin adds the role, the agent signs in again with the same link.
    grant(&world, "carol.norole", AGENT_ROLE).await;
    let (status, body) = world
        .link_with(&browser, "carol.norole", &ticket, "carol.norole")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        linked_user(&world, "carol.norole").await.as_deref(),
        Some("carol.norole")
    );
}

#[tokio::test]
async fn doctor_names_every_linked_agent_whose_account_cannot_read_what_it_needs() {
    let world = World::start().await;
    world.link("alice.agent", "alice.agent").await;
    // Carol linked while she had the role; the admin has removed it since.
    grant(&world, "carol.norole", AGENT_ROLE).await;
    world.link("carol.norole", "carol.norole").await;
    revoke(&world, "carol.norole", AGENT_ROLE).await;

    let options = DoctorOptions { write_probe: false };
    let report =
        doctor::run_with(&world.config, &support::crm_kinds(), Some(TENANT), options).await;
    let text = render_text(&report);
    let checks = &report.tenants[0];
    let alice = checks
        .check(&callbridge_servicenow::adapter::doctor::agent_check_id(
            "alice.agent",
        ))
        .unwrap_or_else(|| panic!("no check for alice.agent:\n{text}"));
    assert_eq!(alice.status, Status::Pass, "{text}");
    let carol = checks
        .check(&callbridge_servicenow::adapter::doctor::agent_check_id(
            "carol.norole",
        ))
        .unwrap_or_else(|| panic!("no check for carol.norole:\n{text}"));
    assert_eq!(carol.status, Status::Fail, "{text}");
    for table in [
        "customer_contact",
        "csm_consumer",
        "sn_customerservice_case",
    ] {
        assert!(carol.detail.contains(table), "{table}: {text}");
    }
    assert!(carol.detail.contains("carol.norole"), "{text}");
    let fix = carol.fix.as_deref().unwrap();
    assert!(fix.contains("grant role sn_customerservice_agent"), "{fix}");
    assert!(report.failed());

    // The role back: doctor's fresh token carries it, and the check passes.
    grant(&world, "carol.norole", AGENT_ROLE).await;
    let report =
        doctor::run_with(&world.config, &support::crm_kinds(), Some(TENANT), options).await;
    let carol = report.tenants[0]
        .check(&callbridge_servicenow::adapter::doctor::agent_check_id(
            "carol.norole",
        ))
        .unwrap();
    assert_eq!(carol.status, Status::Pass, "{}", render_text(&report));
}
