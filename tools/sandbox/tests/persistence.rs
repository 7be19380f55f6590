//! State persists under the data directory across restarts (issue 2: "State persists under
//! `--data`"; servicenow.md §3.1 CS numbering).

mod common;

use common::*;
use serde_json::json;

const CASES: &str = "/api/now/table/sn_customerservice_case";

// Issue 2: records, schema changes, credentials, tokens and numbering survive a restart on the
// same data directory.
#[tokio::test]
async fn state_survives_a_restart_on_the_same_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_in(dir.path().to_path_buf()).await;
    let creds = sb.creds.clone();
    sb.post(
        Who::Admin,
        "/api/now/table/sys_dictionary",
        &json!({"name": "sn_customerservice_case", "element": "u_recording_url", "internal_type": "url", "max_length": "1024"}),
    )
    .await
    .expect(201);
    let case = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "Survives restarts", "u_recording_url": "https://r.example.com/1.wav"}),
        )
        .await;
    let case_id = case["sys_id"].as_str().unwrap().to_string();
    let first_number: u64 = case["number"].as_str().unwrap()[2..].parse().unwrap();
    let patched = sb
        .patch(
            Who::User("alice.agent"),
            &format!("{CASES}/{case_id}"),
            &json!({"state": "10"}),
        )
        .await;
    patched.expect(200);
    let doomed = sb
        .create_case(Who::Admin, &json!({"short_description": "deleted"}))
        .await;
    let doomed_id = doomed["sys_id"].as_str().unwrap().to_string();
    sb.delete(Who::Admin, &format!("{CASES}/{doomed_id}"))
        .await
        .expect(204);
    sb.set_property("glide.invalid_query.returns_no_rows", "true")
        .await;
    let (token, refresh) = sb.agent_token("alice.agent").await;
    sb.shutdown().await;

    let sb = Sandbox::start_in(dir.path().to_path_buf()).await;
    assert_eq!(sb.creds.admin_password, creds.admin_password);
    assert_eq!(sb.creds.client_id, creds.client_id);
    assert_eq!(sb.creds.client_secret, creds.client_secret);
    assert_eq!(sb.creds.users, creds.users);

    let read = sb
        .get(Who::User("alice.agent"), &format!("{CASES}/{case_id}"))
        .await;
    read.expect(200);
    assert_eq!(read.result()["short_description"], "Survives restarts");
    assert_eq!(read.result()["state"], "10");
    assert_eq!(
        read.result()["u_recording_url"],
        "https://r.example.com/1.wav"
    );
    sb.get(Who::Admin, &format!("{CASES}/{doomed_id}"))
        .await
        .expect(404);
    assert_eq!(sb.get(Who::Admin, CASES).await.total_count(), 1);
    // The property still applies.
    let invalid = sb
        .get(
            Who::Admin,
            "/api/now/table/customer_contact?sysparm_query=u_nope%3D1",
        )
        .await;
    assert_eq!(invalid.total_count(), 0);
    // Numbering continues after the highest number used (the deleted case's included).
    let next = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "after restart"}),
        )
        .await;
    let next_number: u64 = next["number"].as_str().unwrap()[2..].parse().unwrap();
    assert_eq!(next_number, first_number + 2, "{next}");
    // Issued tokens are still valid.
    sb.get(Who::Bearer(&token), CASES).await.expect(200);
    sb.refresh_grant(&refresh).await.expect(200);
    // The demo data was not seeded twice.
    assert_eq!(
        sb.get(Who::Admin, "/api/now/table/customer_contact")
            .await
            .rows()
            .len(),
        8
    );
    sb.shutdown().await;
}

// Issue 2: a custom table created through sys_db_object survives a restart with its rows.
#[tokio::test]
async fn custom_tables_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start_in(dir.path().to_path_buf()).await;
    sb.post(
        Who::Admin,
        "/api/now/table/sys_db_object",
        &json!({"name": "u_call_log", "label": "Call Log"}),
    )
    .await
    .expect(201);
    sb.post(
        Who::Admin,
        "/api/now/table/sys_dictionary",
        &json!({"name": "u_call_log", "element": "u_caller", "internal_type": "string", "max_length": "80"}),
    )
    .await
    .expect(201);
    let row = sb
        .post(
            Who::Admin,
            "/api/now/table/u_call_log",
            &json!({"u_caller": "+81 3-1234-5678"}),
        )
        .await;
    row.expect(201);
    let id = row.result()["sys_id"].as_str().unwrap().to_string();
    sb.shutdown().await;

    let sb = Sandbox::start_in(dir.path().to_path_buf()).await;
    let read = sb
        .get(Who::Admin, &format!("/api/now/table/u_call_log/{id}"))
        .await;
    read.expect(200);
    assert_eq!(read.result()["u_caller"], "+81 3-1234-5678");
    // Its access rules survived too.
    assert_eq!(
        sb.get(Who::User("alice.agent"), "/api/now/table/u_call_log")
            .await
            .status
            .as_u16(),
        403
    );
    sb.shutdown().await;
}
