//! The error envelope and catalogue (servicenow.md §1.6, §2.3 Bearer use, §7 items 7 and 9).

mod common;

use common::*;
use http::Method;
use serde_json::json;

const CONTACTS: &str = "/api/now/table/customer_contact";
const CASES: &str = "/api/now/table/sn_customerservice_case";

fn assert_not_authenticated(reply: &Reply) {
    assert_error(
        reply,
        401,
        "User Not Authenticated",
        Some("Required to provide Auth information"),
    );
    assert_eq!(
        reply.header("www-authenticate").as_deref(),
        Some("BASIC realm=\"Service-now\"")
    );
}

// §1.6: no credentials → 401 envelope with `WWW-Authenticate: BASIC realm="Service-now"`.
#[tokio::test]
async fn missing_credentials_get_401_with_www_authenticate() {
    let sb = Sandbox::start().await;
    let reply = sb.get(Who::Anonymous, CONTACTS).await;
    assert_not_authenticated(&reply);
    let post = sb
        .post(Who::Anonymous, CASES, &json!({"short_description": "x"}))
        .await;
    assert_not_authenticated(&post);
}

// §1.6 / §2.4: wrong Basic credentials (or an unknown user) → the same 401.
#[tokio::test]
async fn wrong_basic_credentials_get_401() {
    let sb = Sandbox::start().await;
    let wrong = sb
        .send(
            sb.request(Who::Anonymous, Method::GET, CONTACTS)
                .basic_auth("admin", Some("not-the-password")),
        )
        .await;
    assert_not_authenticated(&wrong);
    let unknown = sb
        .send(
            sb.request(Who::Anonymous, Method::GET, CONTACTS)
                .basic_auth("nobody", Some("x")),
        )
        .await;
    assert_not_authenticated(&unknown);
    let garbage = sb
        .send(
            sb.request(Who::Anonymous, Method::GET, CONTACTS)
                .header("authorization", "Basic !!!notbase64"),
        )
        .await;
    assert_not_authenticated(&garbage);
}

// §2.3: an invalid bearer token gets the same `User Not Authenticated` 401.
#[tokio::test]
async fn invalid_bearer_token_gets_401() {
    let sb = Sandbox::start().await;
    let reply = sb.get(Who::Bearer("not-a-token"), CONTACTS).await;
    assert_not_authenticated(&reply);
}

// §1.6: an unknown table → 400 `Invalid table <name>` with a null detail, on every method.
#[tokio::test]
async fn unknown_table_is_400_invalid_table() {
    let sb = Sandbox::start().await;
    let list = sb.get(Who::Admin, "/api/now/table/x").await;
    assert_error(&list, 400, "Invalid table x", None);
    let one = sb
        .get(
            Who::Admin,
            &format!("/api/now/v2/table/incidentz/{}", "a".repeat(32)),
        )
        .await;
    assert_error(&one, 400, "Invalid table incidentz", None);
    let post = sb
        .post(Who::Admin, "/api/now/table/u_nope", &json!({"a": "b"}))
        .await;
    assert_error(&post, 400, "Invalid table u_nope", None);
}

// §1.6: a missing record (GET, PATCH, PUT, DELETE by sys_id) → 404 `No Record found`.
#[tokio::test]
async fn missing_record_is_404_no_record_found() {
    let sb = Sandbox::start().await;
    let path = format!("{CASES}/{}", "0123456789abcdef0123456789abcdef");
    let detail = Some("Record doesn't exist or ACL restricts the record retrieval");
    assert_error(
        &sb.get(Who::Admin, &path).await,
        404,
        "No Record found",
        detail,
    );
    assert_error(
        &sb.patch(Who::Admin, &path, &json!({"priority": "1"})).await,
        404,
        "No Record found",
        detail,
    );
    assert_error(
        &sb.put(Who::Admin, &path, &json!({"priority": "1"})).await,
        404,
        "No Record found",
        detail,
    );
    assert_error(
        &sb.delete(Who::Admin, &path).await,
        404,
        "No Record found",
        detail,
    );
}

// §1.6: a read ACL denial on a list → 403 `Insufficient rights to query records`.
#[tokio::test]
async fn read_acl_denial_is_403_insufficient_rights() {
    let sb = Sandbox::start().await;
    let reply = sb.get(Who::User("carol.norole"), CONTACTS).await;
    assert_error(
        &reply,
        403,
        "Insufficient rights to query records",
        Some("Field(s) present in the query do not have permission to be read"),
    );
    // The same user is authenticated: not a 401.
    assert_eq!(reply.header("x-is-logged-in").as_deref(), Some("true"));
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
}

// §1.6: a record the ACL hides reads as 404 (`ACL restricts the record retrieval`).
#[tokio::test]
async fn acl_hidden_record_reads_as_404() {
    let sb = Sandbox::start().await;
    let id = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let reply = sb
        .get(Who::User("carol.norole"), &format!("{CONTACTS}/{id}"))
        .await;
    assert_error(
        &reply,
        404,
        "No Record found",
        Some("Record doesn't exist or ACL restricts the record retrieval"),
    );
}

// §1.6: an insert the ACL blocks → 403 `Operation Failed` / `Error during insert of <table>
// (<display value>)`.
#[tokio::test]
async fn insert_acl_denial_is_403_operation_failed() {
    let sb = Sandbox::start().await;
    let reply = sb
        .post(
            Who::User("carol.norole"),
            CASES,
            &json!({"number": "CS9000001", "short_description": "not allowed"}),
        )
        .await;
    assert_error(
        &reply,
        403,
        "Operation Failed",
        Some("Error during insert of sn_customerservice_case (CS9000001)"),
    );
    let contact = sb
        .post(
            Who::User("carol.norole"),
            CONTACTS,
            &json!({"name": "Eve Intruder"}),
        )
        .await;
    assert_error(
        &contact,
        403,
        "Operation Failed",
        Some("Error during insert of customer_contact (Eve Intruder)"),
    );
    // Nothing was written.
    let cases = sb.get(Who::Admin, CASES).await;
    assert_eq!(cases.total_count(), 0);
}

// §1.6: an update the write ACL blocks on a readable record → 403 `Operation Failed`.
#[tokio::test]
async fn update_acl_denial_is_403_operation_failed() {
    let sb = Sandbox::start().await;
    // Every authenticated user may read sys_user; only user_admin may write it.
    let bob = sb.user_id("bob.agent").await;
    let reply = sb
        .patch(
            Who::User("alice.agent"),
            &format!("/api/now/table/sys_user/{bob}"),
            &json!({"title": "x"}),
        )
        .await;
    assert_error(
        &reply,
        403,
        "Operation Failed",
        Some("Error during update of sys_user (Bob Agent)"),
    );
}

// §1.6 / §1.3: error answers carry the JSON content type and the standard headers too.
#[tokio::test]
async fn error_answers_carry_standard_headers() {
    let sb = Sandbox::start().await;
    let reply = sb.get(Who::Admin, "/api/now/table/x").await;
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(reply.header("server").as_deref(), Some("ServiceNow"));
    let anonymous = sb.get(Who::Anonymous, CONTACTS).await;
    assert_eq!(anonymous.header("x-is-logged-in").as_deref(), Some("false"));
}
