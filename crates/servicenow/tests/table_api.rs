//! The Table and Batch APIs against the sandbox: reads, writes, and how each failure of
//! servicenow.md §1.6 surfaces (kind, retryability, message).

mod common;

use std::time::Duration;

use callbridge_servicenow::query::{Condition, Query};
use callbridge_servicenow::{ApiError, TableRequest};
use common::{col, table, Env};
use serde_json::{json, Map};

fn contacts_with_phone() -> Query {
    Query::from_condition(Condition::is_not_empty(&col("phone"))).order_by(&col("name"))
}

// servicenow.md §1.3: every value is a string; references are plain sys_ids with
// sysparm_exclude_reference_link=true; sysparm_fields limits the answer.
#[tokio::test]
async fn rule_1_3_lists_are_flat_string_records_with_the_asked_fields() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let rows = env
        .client
        .list(
            &alice,
            &table("customer_contact"),
            &contacts_with_phone(),
            &[col("sys_id"), col("name"), col("account")],
            3,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.len(), 3, "{row:?}");
        assert_eq!(row.sys_id().unwrap().len(), 32);
        assert_eq!(
            row.get("account").unwrap().len(),
            32,
            "a reference is a plain sys_id: {row:?}"
        );
    }
    let names: Vec<&str> = rows.iter().map(|r| r.get("name").unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ORDERBYname is honoured");
    // A dot-walked field comes back as a flat key.
    let rows = env
        .client
        .list(
            &alice,
            &table("customer_contact"),
            &contacts_with_phone(),
            &[col("account.name")],
            1,
        )
        .await
        .unwrap();
    assert!(
        rows[0].get("account.name").is_some_and(|n| !n.is_empty()),
        "{rows:?}"
    );
}

// servicenow.md §1.1: POST 201 with the record, PATCH partial update, GET by sys_id, 404 → None.
#[tokio::test]
async fn rule_1_1_create_update_and_get_round_trip() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let mut values = Map::new();
    values.insert("first_name".into(), json!("Nora"));
    values.insert("last_name".into(), json!("Ito"));
    values.insert("name".into(), json!("Nora Ito"));
    values.insert("mobile_phone".into(), json!("+81 90-5555-0101"));
    let created = env
        .client
        .create(&alice, &table("csm_consumer"), &values, &[])
        .await
        .unwrap();
    let id = callbridge_servicenow::SysId::new(created.sys_id().unwrap()).unwrap();
    assert_eq!(created.get("mobile_phone"), Some("+81 90-5555-0101"));
    assert!(
        created.get("number").unwrap().starts_with("CSC"),
        "{created:?}"
    );

    let mut change = Map::new();
    change.insert("home_phone".into(), json!("06-6123-0000"));
    let updated = env
        .client
        .update(
            &alice,
            &table("csm_consumer"),
            &id,
            &change,
            &[col("home_phone"), col("mobile_phone")],
        )
        .await
        .unwrap();
    assert_eq!(updated.get("home_phone"), Some("06-6123-0000"));
    assert_eq!(
        updated.get("mobile_phone"),
        Some("+81 90-5555-0101"),
        "PATCH is partial"
    );

    let fetched = env
        .client
        .get(&alice, &table("csm_consumer"), &id, &[col("name")])
        .await
        .unwrap()
        .expect("the record exists");
    assert_eq!(fetched.get("name"), Some("Nora Ito"));
    let missing = callbridge_servicenow::SysId::new("0".repeat(32)).unwrap();
    assert_eq!(
        env.client
            .get(&alice, &table("csm_consumer"), &missing, &[])
            .await
            .unwrap(),
        None
    );
}

// servicenow.md §1.6: 429 with Retry-After.
#[tokio::test]
async fn rule_1_6_429_with_retry_after_is_rate_limited() {
    let env = Env::start().await;
    env.fault(json!({"kind": "status", "status": 429, "retry_after_secs": 2, "count": 1}))
        .await;
    let error = env
        .client
        .list(
            &env.user("alice.agent"),
            &table("customer_contact"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.retry_after(),
        Some(Duration::from_secs(2)),
        "{error:?}"
    );
    assert!(matches!(error, ApiError::RateLimited { .. }));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("retry after 2s"), "{error}");
}

#[tokio::test]
async fn rule_1_6_503_is_a_retryable_server_error() {
    let env = Env::start().await;
    env.fault(json!({"kind": "status", "status": 503, "count": 2}))
        .await;
    let alice = env.user("alice.agent");
    for _ in 0..2 {
        let error = env
            .client
            .list(&alice, &table("customer_contact"), &Query::new(), &[], 1)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ApiError::Server { status: 503, .. }),
            "{error:?}"
        );
        assert!(error.is_retryable());
    }
    // The fault was for two requests: the third succeeds.
    assert!(env
        .client
        .list(&alice, &table("customer_contact"), &Query::new(), &[], 1)
        .await
        .is_ok());
}

#[tokio::test]
async fn a_dropped_connection_is_a_retryable_transport_error() {
    let env = Env::start().await;
    env.fault(json!({"kind": "drop", "count": 1})).await;
    let error = env
        .client
        .list(
            &env.user("alice.agent"),
            &table("customer_contact"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .starts_with("could not reach the instance"),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_answer_past_the_request_timeout_is_a_retryable_timeout() {
    let env = Env::start().await;
    env.fault(json!({"kind": "latency", "ms": 1500, "count": 1}))
        .await;
    let impatient = env.client_with_timeout(Duration::from_millis(300));
    let error = impatient
        .list(
            &env.user("alice.agent"),
            &table("customer_contact"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(error, ApiError::Timeout);
    assert!(error.is_retryable());
}

// servicenow.md §1.6 "Read ACL denial": 403 Insufficient rights to query records.
#[tokio::test]
async fn rule_1_6_a_user_without_the_csm_role_is_forbidden() {
    let env = Env::start().await;
    let error = env
        .client
        .list(
            &env.user("carol.norole"),
            &table("customer_contact"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    match &error {
        ApiError::Forbidden { message, .. } => {
            assert_eq!(message, "Insufficient rights to query records")
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("grant the role"), "{error}");
}

// servicenow.md §1.6 "Unknown table": 400 Invalid table <name>.
#[tokio::test]
async fn rule_1_6_an_unknown_table_is_invalid_table() {
    let env = Env::start().await;
    let error = env
        .client
        .list(
            &env.user("alice.agent"),
            &table("u_no_such_table"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::InvalidTable {
            table: "u_no_such_table".into()
        }
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn wrong_basic_credentials_are_unauthorized() {
    let env = Env::start().await;
    let error = env
        .client
        .list(
            &callbridge_servicenow::Auth::basic("alice.agent", "wrong"),
            &table("customer_contact"),
            &Query::new(),
            &[],
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ApiError::Unauthorized {
            message: "User Not Authenticated".into()
        }
    );
}

// servicenow.md §4.1: several requests, one round trip, per-item outcomes (ACLs per item).
#[tokio::test]
async fn rule_4_1_batch_items_succeed_and_fail_independently() {
    let env = Env::start().await;
    env.reset_requests().await;
    let requests = [
        TableRequest::list(
            &table("customer_contact"),
            &contacts_with_phone(),
            &[col("sys_id")],
            2,
        ),
        TableRequest::list(&table("u_no_such_table"), &Query::new(), &[], 1),
        TableRequest::list(&table("csm_consumer"), &Query::new(), &[col("name")], 10),
    ];
    let outcomes = env
        .client
        .batch(&env.user("alice.agent"), &requests)
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 3);
    let mut outcomes = outcomes.into_iter();
    assert_eq!(outcomes.next().unwrap().into_records().unwrap().len(), 2);
    assert_eq!(
        outcomes.next().unwrap().into_records().unwrap_err(),
        ApiError::InvalidTable {
            table: "u_no_such_table".into()
        }
    );
    assert_eq!(outcomes.next().unwrap().into_records().unwrap().len(), 4);
    let counts = env.requests().await;
    assert_eq!(counts.values().sum::<u64>(), 1, "{counts:?}");
    assert_eq!(counts.get("POST batch"), Some(&1));
}
