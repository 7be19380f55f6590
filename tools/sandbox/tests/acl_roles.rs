//! Users, roles and table ACLs (issue 2 "Users, roles and ACLs"; servicenow.md §1.6 for the
//! answers, §5.1 for the CSM/OpenFrame roles).

mod common;

use common::*;
use http::Method;
use serde_json::json;

const CONTACTS: &str = "/api/now/table/customer_contact";
const CASES: &str = "/api/now/table/sn_customerservice_case";

async fn grant(sb: &Sandbox, user: &str, role: &str) {
    let user = sb.user_id(user).await;
    let role = sb.role_id(role).await;
    sb.post(
        Who::Admin,
        "/api/now/table/sys_user_has_role",
        &json!({"user": user, "role": role}),
    )
    .await
    .expect(201);
}

// Issue 2: a role granted to a user applies to that user's new sessions and tokens only. Carol's
// existing bearer token and session keep failing; a new token and a new session work.
#[tokio::test]
async fn granted_role_applies_to_new_tokens_and_sessions_only() {
    let sb = Sandbox::start().await;
    let (old_token, refresh) = sb.agent_token("carol.norole").await;
    let first = sb.get(Who::User("carol.norole"), CONTACTS).await;
    assert_eq!(first.status.as_u16(), 403);
    let session = first.header("set-cookie").expect("session cookie");
    let session = session.split(';').next().unwrap().to_string();
    assert_eq!(
        sb.get(Who::Bearer(&old_token), CONTACTS)
            .await
            .status
            .as_u16(),
        403
    );

    grant(&sb, "carol.norole", "sn_customerservice_agent").await;

    // Existing token: still the roles it was issued with.
    let still = sb.get(Who::Bearer(&old_token), CONTACTS).await;
    assert_error(
        &still,
        403,
        "Insufficient rights to query records",
        Some("Field(s) present in the query do not have permission to be read"),
    );
    // Existing session: the same.
    let old_session = sb
        .send(
            sb.request(Who::Anonymous, Method::GET, CONTACTS)
                .header("cookie", session),
        )
        .await;
    assert_eq!(old_session.status.as_u16(), 403);

    // A new token (refresh grant) carries the new role.
    let refreshed = sb.refresh_grant(&refresh).await;
    refreshed.expect(200);
    let new_token = refreshed.json["access_token"].as_str().unwrap();
    assert_ne!(new_token, old_token);
    sb.get(Who::Bearer(new_token), CONTACTS).await.expect(200);
    // A new Basic session does too, and so does writing a case.
    sb.get(Who::User("carol.norole"), CONTACTS)
        .await
        .expect(200);
    sb.create_case(
        Who::User("carol.norole"),
        &json!({"short_description": "now allowed"}),
    )
    .await;
    // The old token still does not.
    assert_eq!(
        sb.get(Who::Bearer(&old_token), CONTACTS)
            .await
            .status
            .as_u16(),
        403
    );
}

// Issue 2: a role revoked (grant row deleted) no longer applies to new sessions.
#[tokio::test]
async fn revoked_role_stops_applying_to_new_sessions() {
    let sb = Sandbox::start().await;
    let bob = sb.user_id("bob.agent").await;
    let role = sb.role_id("sn_customerservice_agent").await;
    let grant_id = sb
        .sys_id_of("sys_user_has_role", &format!("user={bob}^role={role}"))
        .await;
    sb.delete(
        Who::Admin,
        &format!("/api/now/table/sys_user_has_role/{grant_id}"),
    )
    .await
    .expect(204);
    assert_eq!(
        sb.get(Who::User("bob.agent"), CONTACTS)
            .await
            .status
            .as_u16(),
        403
    );
}

// Issue 2: contained roles: sn_customerservice_agent contains sn_openframe_user (§5.1), so an ACL
// requiring sn_openframe_user admits alice but not carol.
#[tokio::test]
async fn contained_roles_satisfy_acls() {
    let sb = Sandbox::start().await;
    let openframe = sb.role_id("sn_openframe_user").await;
    let agent = sb.role_id("sn_customerservice_agent").await;
    let contains = sb
        .get(
            Who::Admin,
            &format!(
                "/api/now/table/sys_user_role_contains?sysparm_query={}",
                encode(&format!("role={agent}"))
            ),
        )
        .await;
    contains.expect(200);
    assert!(contains
        .rows()
        .iter()
        .any(|r| r["contains"]["value"] == openframe.as_str()));

    // An admin adds a create ACL on sys_user_group that requires sn_openframe_user.
    let acl = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_security_acl",
            &json!({"name": "sys_user_group", "operation": "create", "type": "record"}),
        )
        .await;
    acl.expect(201);
    let acl_id = acl.result()["sys_id"].as_str().unwrap().to_string();
    sb.post(
        Who::Admin,
        "/api/now/table/sys_security_acl_role",
        &json!({"sys_security_acl": acl_id, "sys_user_role": openframe}),
    )
    .await
    .expect(201);

    let group = json!({"name": "Softphone users"});
    sb.post(
        Who::User("alice.agent"),
        "/api/now/table/sys_user_group",
        &group,
    )
    .await
    .expect(201);
    let carol = sb
        .post(
            Who::User("carol.norole"),
            "/api/now/table/sys_user_group",
            &group,
        )
        .await;
    assert_error(
        &carol,
        403,
        "Operation Failed",
        Some("Error during insert of sys_user_group (Softphone users)"),
    );
}

// The seeded access model: agents read/write CSM data; carol (no roles) cannot; only admins can
// manage role grants; a table without ACLs is admin-only.
#[tokio::test]
async fn seeded_acls_separate_agents_from_users_without_roles() {
    let sb = Sandbox::start().await;
    for table in [
        "customer_contact",
        "customer_account",
        "csm_consumer",
        "sn_customerservice_case",
    ] {
        let path = format!("/api/now/table/{table}");
        sb.get(Who::User("alice.agent"), &path).await.expect(200);
        sb.get(Who::User("callbridge.integration"), &path)
            .await
            .expect(200);
        assert_eq!(
            sb.get(Who::User("carol.norole"), &path)
                .await
                .status
                .as_u16(),
            403,
            "{table}"
        );
    }
    // Any user reads sys_user (e.g. to resolve agents).
    sb.get(Who::User("carol.norole"), "/api/now/table/sys_user")
        .await
        .expect(200);
    // An agent cannot grant roles (user_admin needed).
    let alice = sb.user_id("alice.agent").await;
    let admin_role = sb.role_id("admin").await;
    let escalate = sb
        .post(
            Who::User("alice.agent"),
            "/api/now/table/sys_user_has_role",
            &json!({"user": alice, "role": admin_role}),
        )
        .await;
    assert_eq!(escalate.status.as_u16(), 403);
    assert_eq!(escalate.json["error"]["message"], "Operation Failed");
    // sys_properties and oauth_entity are not for agents.
    assert_eq!(
        sb.get(Who::User("alice.agent"), "/api/now/table/sys_properties")
            .await
            .status
            .as_u16(),
        403
    );
    assert_eq!(
        sb.get(Who::User("alice.agent"), "/api/now/table/oauth_entity")
            .await
            .status
            .as_u16(),
        403
    );
    let prop = sb
        .post(
            Who::User("alice.agent"),
            "/api/now/table/sys_properties",
            &json!({"name": "glide.invalid_query.returns_no_rows", "value": "true"}),
        )
        .await;
    assert_eq!(prop.status.as_u16(), 403);
}

// Passwords and client secrets are never returned through the Table API, even to admins.
#[tokio::test]
async fn password_columns_are_never_returned() {
    let sb = Sandbox::start().await;
    let users = sb.get(Who::Admin, "/api/now/table/sys_user").await;
    users.expect(200);
    for row in users.rows() {
        assert!(row.get("user_password").is_none(), "{row}");
    }
    let clients = sb.get(Who::Admin, "/api/now/table/oauth_entity").await;
    for row in clients.rows() {
        assert!(row.get("client_secret").is_none(), "{row}");
        assert!(!row.to_string().contains(&sb.creds.client_secret));
    }
    let picked = sb
        .get(
            Who::Admin,
            "/api/now/table/sys_user?sysparm_fields=user_name,user_password",
        )
        .await;
    for row in picked.rows() {
        assert!(row.get("user_password").is_none());
    }
}

// A user created through the Table API with a password can log in (Basic and OAuth); the
// password is stored hashed and a deactivated user cannot log in any more.
#[tokio::test]
async fn users_created_through_the_table_api_can_log_in_until_deactivated() {
    let sb = Sandbox::start().await;
    let created = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_user",
            &json!({"user_name": "dave.agent", "name": "Dave Agent", "user_password": "Dave-Pass-123"}),
        )
        .await;
    created.expect(201);
    let dave = created.result()["sys_id"].as_str().unwrap().to_string();
    let basic = sb
        .send(
            sb.request(
                Who::Anonymous,
                Method::GET,
                "/api/now/table/sys_user?sysparm_limit=1",
            )
            .basic_auth("dave.agent", Some("Dave-Pass-123")),
        )
        .await;
    basic.expect(200);
    sb.password_grant("dave.agent", "Dave-Pass-123")
        .await
        .expect(200);
    sb.patch(
        Who::Admin,
        &format!("/api/now/table/sys_user/{dave}"),
        &json!({"active": "false"}),
    )
    .await
    .expect(200);
    let after = sb
        .send(
            sb.request(
                Who::Anonymous,
                Method::GET,
                "/api/now/table/sys_user?sysparm_limit=1",
            )
            .basic_auth("dave.agent", Some("Dave-Pass-123")),
        )
        .await;
    assert_eq!(after.status.as_u16(), 401);
    assert_eq!(
        sb.password_grant("dave.agent", "Dave-Pass-123")
            .await
            .status
            .as_u16(),
        401
    );
}

// §1.6: "Record not found / ACL hides it (GET/PATCH/PUT/DELETE by sys_id)" is a 404: a user who
// cannot read the record gets 404 for updates and deletes; an agent who can read it but may not
// delete it gets 403 `Operation Failed`.
#[tokio::test]
async fn writes_by_a_user_who_cannot_read_the_record_are_404() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::User("alice.agent"), &json!({"short_description": "x"}))
        .await;
    let number = case["number"].as_str().unwrap().to_string();
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    sb.patch(Who::User("bob.agent"), &path, &json!({"priority": "2"}))
        .await
        .expect(200);
    let hidden = Some("Record doesn't exist or ACL restricts the record retrieval");
    let carol = sb
        .patch(Who::User("carol.norole"), &path, &json!({"priority": "1"}))
        .await;
    assert_error(&carol, 404, "No Record found", hidden);
    let carol_delete = sb.delete(Who::User("carol.norole"), &path).await;
    assert_error(&carol_delete, 404, "No Record found", hidden);
    let alice_delete = sb.delete(Who::User("alice.agent"), &path).await;
    assert_error(
        &alice_delete,
        403,
        "Operation Failed",
        Some(&format!(
            "Error during delete of sn_customerservice_case ({number})"
        )),
    );
    let read = sb.get(Who::Admin, &path).await;
    read.expect(200);
    assert_eq!(read.result()["priority"], "2");
}
