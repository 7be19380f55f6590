//! Table and column definitions for `doctor` (sys_db_object + sys_dictionary), inherited
//! columns included (servicenow.md §3.1, §3.2).

mod common;

use callbridge_servicenow::{describe_table, DictionaryError};
use common::{table, Env};

// servicenow.md §3.1: the Case extends task; correlation_id is a string of max length 100.
#[tokio::test]
async fn rule_3_1_the_case_table_inherits_correlation_id_from_task() {
    let env = Env::start().await;
    let info = describe_table(
        &env.client,
        &env.user("callbridge.integration"),
        &table("sn_customerservice_case"),
    )
    .await
    .unwrap();
    assert_eq!(info.label, "Case");
    assert_eq!(info.super_classes, vec![table("task")]);
    assert!(info.is_a("task"));
    let correlation = info.column("correlation_id").expect("correlation_id");
    assert_eq!(correlation.max_length, Some(100));
    assert_eq!(correlation.internal_type, "string");
    assert_eq!(correlation.defined_on, table("task"));
    let contact = info.column("contact").expect("contact");
    assert_eq!(contact.internal_type, "reference");
    assert_eq!(contact.reference.as_deref(), Some("customer_contact"));
    assert_eq!(contact.defined_on, table("sn_customerservice_case"));
    assert_eq!(info.column("contact_type").unwrap().max_length, Some(40));
    assert!(
        info.column("sys_id").is_some(),
        "system columns come from the root table"
    );
    assert!(info.column("no_such_column").is_none());
}

// servicenow.md §3.2: customer_contact extends sys_user, whose phones are ph_number(40).
#[tokio::test]
async fn rule_3_2_customer_contact_inherits_phones_from_sys_user() {
    let env = Env::start().await;
    let info = describe_table(&env.client, &env.admin(), &table("customer_contact"))
        .await
        .unwrap();
    assert_eq!(info.super_classes, vec![table("sys_user")]);
    for phone in ["phone", "mobile_phone", "home_phone"] {
        let column = info.column(phone).unwrap_or_else(|| panic!("{phone}"));
        assert_eq!(column.internal_type, "ph_number");
        assert_eq!(column.max_length, Some(40));
        assert_eq!(column.defined_on, table("sys_user"));
    }
    assert_eq!(
        info.column("account").unwrap().defined_on,
        table("customer_contact")
    );
}

#[tokio::test]
async fn a_table_that_does_not_exist_is_table_not_found() {
    let env = Env::start().await;
    let error = describe_table(
        &env.client,
        &env.user("callbridge.integration"),
        &table("u_callbridge_calls"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        DictionaryError::TableNotFound {
            table: table("u_callbridge_calls")
        }
    );
    assert!(
        error.to_string().contains("System Definition > Tables"),
        "{error}"
    );
}

// servicenow.md §1.6 read ACL denial, as doctor must explain it.
#[tokio::test]
async fn rule_1_6_reading_the_dictionary_without_the_role_says_which_role() {
    let env = Env::start().await;
    for user in ["carol.norole", "alice.agent"] {
        let error = describe_table(&env.client, &env.user(user), &table("customer_contact"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, DictionaryError::Forbidden { .. }),
            "{user}: {error:?}"
        );
        assert!(
            error.to_string().starts_with(
                "this account needs the personalize_dictionary role, or admin, to read sys_db_object"
            ),
            "{error}"
        );
        assert!(!error.is_retryable());
    }
}

async fn create(env: &Env, table_name: &str, values: serde_json::Value) -> String {
    let serde_json::Value::Object(values) = values else {
        panic!("an object")
    };
    let record = env
        .client
        .create(&env.admin(), &table(table_name), &values, &[])
        .await
        .unwrap_or_else(|e| panic!("{table_name}: {e}"));
    record.sys_id().unwrap().to_string()
}

// Issue 11: the tables an admin could search callers in are the instance's customer tables,
// the tables extending them, and the custom tables with a phone column, read as an instance
// answers: `super_class` a reference to sys_db_object, `internal_type` ph_number.
#[tokio::test]
async fn caller_tables_are_the_customer_tables_and_custom_tables_with_a_phone() {
    let env = Env::start().await;
    let contact = env
        .find_id("sys_db_object", "name", "customer_contact")
        .await;
    // A custom table extending customer_contact inherits its phones from sys_user.
    create(
        &env,
        "sys_db_object",
        serde_json::json!({"name": "x_acme_member", "label": "Member", "super_class": contact.as_str()}),
    )
    .await;
    // A custom table of its own with a phone number column and a text column named for one.
    create(
        &env,
        "sys_db_object",
        serde_json::json!({"name": "u_vip_customer", "label": "VIP customer"}),
    )
    .await;
    for (element, internal_type) in [
        ("u_direct_line", "ph_number"),
        ("u_pager_phone", "string"),
        ("u_name", "string"),
    ] {
        create(
            &env,
            "sys_dictionary",
            serde_json::json!({"name": "u_vip_customer", "element": element, "internal_type": internal_type, "max_length": "40"}),
        )
        .await;
    }
    // A custom table without any phone is no caller table.
    create(
        &env,
        "sys_db_object",
        serde_json::json!({"name": "u_call_log", "label": "Call log"}),
    )
    .await;
    create(
        &env,
        "sys_dictionary",
        serde_json::json!({"name": "u_call_log", "element": "u_duration", "internal_type": "integer"}),
    )
    .await;

    let listed =
        callbridge_servicenow::caller_tables(&env.client, &env.user("callbridge.integration"))
            .await
            .unwrap();
    assert!(!listed.truncated);
    let names: Vec<&str> = listed.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "csm_consumer",
            "customer_contact",
            "u_vip_customer",
            "x_acme_member"
        ],
        "{listed:?}"
    );
    let by_name = |n: &str| listed.tables.iter().find(|t| t.name.as_str() == n).unwrap();
    let member = by_name("x_acme_member");
    assert_eq!(member.label, "Member");
    assert_eq!(
        member.super_classes,
        vec![table("customer_contact"), table("sys_user")]
    );
    assert_eq!(member.kind, callbridge_servicenow::CallerKind::Contact);
    for phone in ["phone", "mobile_phone", "home_phone"] {
        assert!(
            member.phone_columns.iter().any(|c| c == phone),
            "{member:?}"
        );
    }
    let vip = by_name("u_vip_customer");
    assert_eq!(vip.phone_columns, ["u_direct_line", "u_pager_phone"]);
    assert!(vip.super_classes.is_empty());
    assert_eq!(
        by_name("csm_consumer").kind,
        callbridge_servicenow::CallerKind::Consumer
    );

    // Chosen, a custom table is described with every column, its parents' included.
    let info = describe_table(
        &env.client,
        &env.user("callbridge.integration"),
        &table("x_acme_member"),
    )
    .await
    .unwrap();
    assert_eq!(info.column("phone").unwrap().internal_type, "ph_number");
    assert_eq!(
        info.column("account").unwrap().reference.as_deref(),
        Some("customer_account")
    );

    // An account without the dictionary role is told which role reads it.
    let error = callbridge_servicenow::caller_tables(&env.client, &env.user("carol.norole"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("this account needs the personalize_dictionary role"),
        "{error}"
    );
}
