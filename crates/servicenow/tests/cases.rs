//! Cases keyed by the call id (servicenow.md §3.1): find by correlation column, create in one
//! POST with everything the caller knows.

mod common;

use callbridge_servicenow::{create_case, find_by_correlation, ApiError, CaseRef};
use common::{col, table, Env};
use serde_json::{json, Map, Value};

fn case_fields(
    env: &Env,
    call_id: &str,
    contact: &str,
    account: &str,
    agent: &str,
) -> Map<String, Value> {
    let _ = env;
    let mut fields = Map::new();
    fields.insert("correlation_id".into(), json!(call_id));
    fields.insert(
        "short_description".into(),
        json!("Inbound call from +81 3-1234-5678"),
    );
    fields.insert("contact_type".into(), json!("phone"));
    fields.insert("contact".into(), json!(contact));
    fields.insert("account".into(), json!(account));
    fields.insert("assigned_to".into(), json!(agent));
    fields.insert(
        "description".into(),
        json!("Recording: https://callbridge.example.com/r/7f3c2a1e?x=1&y=2"),
    );
    fields
}

// servicenow.md §3.1: correlation_id holds the call id; the outbox looks it up before creating.
#[tokio::test]
async fn rule_3_1_find_by_correlation_then_create_then_find_the_same_case() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let cases = table("sn_customerservice_case");
    let correlation = col("correlation_id");
    let call_id = "call-2f1c9a7e-5d4b-4c3a-9e8f-0a1b2c3d4e5f";

    assert_eq!(
        find_by_correlation(&env.client, &alice, &cases, &correlation, call_id)
            .await
            .unwrap(),
        None
    );

    let contact = env
        .find_id("customer_contact", "user_name", "yui.sato")
        .await;
    let account = env
        .find_id("customer_account", "name", "Sakura Trading KK")
        .await;
    let agent = env.find_id("sys_user", "user_name", "alice.agent").await;
    env.reset_requests().await;
    let created: CaseRef = create_case(
        &env.client,
        &alice,
        &cases,
        case_fields(
            &env,
            call_id,
            contact.as_str(),
            account.as_str(),
            agent.as_str(),
        ),
    )
    .await
    .unwrap();
    assert!(created.number.starts_with("CS"), "{created:?}");
    assert_eq!(
        env.requests().await,
        [("POST table/sn_customerservice_case".to_string(), 1)]
            .into_iter()
            .collect(),
        "one write per case"
    );

    let found = find_by_correlation(&env.client, &alice, &cases, &correlation, call_id)
        .await
        .unwrap();
    assert_eq!(found, Some(created.clone()));

    let stored = env
        .client
        .get(&alice, &cases, &created.sys_id, &[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get("correlation_id"), Some(call_id));
    assert_eq!(stored.get("contact_type"), Some("phone"));
    assert_eq!(stored.get("contact"), Some(contact.as_str()));
    assert_eq!(stored.get("account"), Some(account.as_str()));
    assert_eq!(stored.get("assigned_to"), Some(agent.as_str()));
    assert_eq!(
        stored.get("description"),
        Some("Recording: https://callbridge.example.com/r/7f3c2a1e?x=1&y=2")
    );
}

// servicenow.md §1.4: a hostile call id cannot make the lookup find someone else's case.
#[tokio::test]
async fn rule_1_4_a_hostile_correlation_id_finds_nothing() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let cases = table("sn_customerservice_case");
    let mut fields = Map::new();
    fields.insert("correlation_id".into(), json!("call-1"));
    fields.insert("short_description".into(), json!("existing"));
    create_case(&env.client, &alice, &cases, fields)
        .await
        .unwrap();
    for hostile in ["x^ORactive=true", "x^NQcorrelation_id=call-1", "call-1^EQ"] {
        let found =
            find_by_correlation(&env.client, &alice, &cases, &col("correlation_id"), hostile)
                .await
                .unwrap();
        assert_eq!(found, None, "{hostile:?}");
    }
    let error = find_by_correlation(
        &env.client,
        &alice,
        &cases,
        &col("correlation_id"),
        "javascript:gs.getUserID()",
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ApiError::InvalidRequest(_)), "{error:?}");
    let error = find_by_correlation(&env.client, &alice, &cases, &col("correlation_id"), "")
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::InvalidRequest(_)), "{error:?}");
}

// servicenow.md §1.6 "Insert blocked": 403 Operation Failed.
#[tokio::test]
async fn rule_1_6_an_agent_without_the_role_cannot_create_a_case() {
    let env = Env::start().await;
    let mut fields = Map::new();
    fields.insert("correlation_id".into(), json!("call-carol"));
    fields.insert("short_description".into(), json!("Inbound call"));
    let error = create_case(
        &env.client,
        &env.user("carol.norole"),
        &table("sn_customerservice_case"),
        fields,
    )
    .await
    .unwrap_err();
    match &error {
        ApiError::Forbidden { message, detail } => {
            assert_eq!(message, "Operation Failed");
            assert!(
                detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("sn_customerservice_case"),
                "{detail:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_write_body_with_a_bad_column_is_refused_before_sending() {
    let env = Env::start().await;
    env.reset_requests().await;
    let mut fields = Map::new();
    fields.insert("Correlation ID".into(), json!("call-9"));
    let error = create_case(
        &env.client,
        &env.user("alice.agent"),
        &table("sn_customerservice_case"),
        fields,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, ApiError::InvalidRequest(m) if m.contains("must be lowercase")),
        "{error:?}"
    );
    assert!(env.requests().await.is_empty());
}
