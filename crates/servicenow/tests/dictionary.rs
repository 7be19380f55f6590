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
