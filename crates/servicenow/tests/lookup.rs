//! Screen-pop lookup against the sandbox's demo data (servicenow.md §3.5: phones stored as
//! typed, "+81 3-1234-5678", "03-1234-5678", "+16692627777", "(669) 262-7777").

mod common;

use callbridge_servicenow::{lookup_by_phone, ApiError, Candidate, LookupTarget};
use common::{col, table, Env};
use serde_json::{json, Map};

fn contacts() -> LookupTarget {
    LookupTarget {
        table: table("customer_contact"),
        phone_columns: vec![col("phone"), col("mobile_phone")],
        fields: vec![col("email")],
    }
}

fn consumers() -> LookupTarget {
    LookupTarget {
        table: table("csm_consumer"),
        phone_columns: vec![
            col("business_phone"),
            col("mobile_phone"),
            col("home_phone"),
        ],
        fields: vec![],
    }
}

fn values(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn names(candidates: &[Candidate]) -> Vec<String> {
    let mut names: Vec<String> = candidates.iter().map(|c| c.display_name.clone()).collect();
    names.sort();
    names
}

/// The Tokyo number as a CRM holds it: E.164, international with punctuation, national.
fn tokyo() -> Vec<String> {
    values(&["+81312345678", "+81 3-1234-5678", "03-1234-5678"])
}

// servicenow.md §3.5 + design "one CRM round trip": two tables, one Batch API request.
#[tokio::test]
async fn rule_3_5_contacts_and_consumers_in_exactly_one_request() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let mut consumer = Map::new();
    consumer.insert("name".into(), json!("Rin Kobayashi"));
    consumer.insert("home_phone".into(), json!("03-1234-5678"));
    env.client
        .create(&alice, &table("csm_consumer"), &consumer, &[])
        .await
        .unwrap();
    env.reset_requests().await;

    let found = lookup_by_phone(
        &env.client,
        &alice,
        &[contacts(), consumers()],
        &tokyo(),
        None,
        5,
    )
    .await
    .unwrap();
    assert_eq!(
        names(&found),
        ["Haruto Tanaka", "Rin Kobayashi", "Yui Sato"]
    );
    let counts = env.requests().await;
    assert_eq!(
        counts,
        [("POST batch".to_string(), 1)].into_iter().collect(),
        "one round trip"
    );

    let yui = found.iter().find(|c| c.display_name == "Yui Sato").unwrap();
    assert_eq!(yui.table.as_str(), "customer_contact");
    assert_eq!(
        yui.phones,
        vec![(col("phone"), "+81 3-1234-5678".to_string())]
    );
    assert!(yui.account.is_some(), "contacts carry their account");
    assert_eq!(yui.raw.get("email"), Some("yui.sato@example.com"));
    let rin = found
        .iter()
        .find(|c| c.display_name == "Rin Kobayashi")
        .unwrap();
    assert_eq!(rin.table.as_str(), "csm_consumer");
    assert_eq!(
        rin.phones,
        vec![(col("home_phone"), "03-1234-5678".to_string())]
    );
    assert_eq!(rin.account, None);
}

#[tokio::test]
async fn rule_3_5_one_table_is_one_table_api_get() {
    let env = Env::start().await;
    env.reset_requests().await;
    let found = lookup_by_phone(
        &env.client,
        &env.user("alice.agent"),
        &[consumers()],
        &values(&["+1 408 996 5744", "408-996-5744"]),
        None,
        5,
    )
    .await
    .unwrap();
    assert_eq!(names(&found), ["Liam Nguyen", "Olivia Martinez"]);
    let counts = env.requests().await;
    assert_eq!(
        counts,
        [("GET table/csm_consumer".to_string(), 1)]
            .into_iter()
            .collect()
    );
}

// servicenow.md §1.4: "An unencoded + arrives as a space".
#[tokio::test]
async fn rule_1_4_a_plus_sign_survives_the_query_string() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let found = lookup_by_phone(
        &env.client,
        &alice,
        &[contacts()],
        &values(&["+81 3-1234-5678"]),
        None,
        5,
    )
    .await
    .unwrap();
    assert_eq!(names(&found), ["Yui Sato"]);
    let found = lookup_by_phone(
        &env.client,
        &alice,
        &[contacts()],
        &values(&["+16692627777"]),
        None,
        5,
    )
    .await
    .unwrap();
    assert_eq!(names(&found), ["Emily Carter"]);
}

// Why the test above matters: the instance decodes the query string like a servlet, so a raw
// `+` (as naive clients send it) arrives as a space and the lookup silently finds nobody.
#[tokio::test]
async fn rule_1_4_an_unencoded_plus_would_arrive_as_a_space() {
    let env = Env::start().await;
    let creds = &env.sandbox.credentials;
    let count = |raw_query: &'static str| {
        let request = env
            .browser
            .get(format!(
                "{}/api/now/table/customer_contact?sysparm_query={raw_query}&sysparm_fields=name",
                env.sandbox.base_url
            ))
            .basic_auth("alice.agent", creds.password("alice.agent"))
            .header("accept", "application/json");
        async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            body["result"].as_array().unwrap().len()
        }
    };
    assert_eq!(
        count("phone%3D+16692627777").await,
        0,
        "raw + is a space on the server"
    );
    assert_eq!(count("phone%3D%2B16692627777").await, 1, "%2B is a plus");
}

// servicenow.md §3.5: "Use sysparm_limit ≥ 2 so that ambiguity is detected."
#[tokio::test]
async fn rule_3_5_a_shared_number_is_visibly_ambiguous_even_with_limit_1() {
    let env = Env::start().await;
    let found = lookup_by_phone(
        &env.client,
        &env.user("alice.agent"),
        &[contacts()],
        &tokyo(),
        None,
        1,
    )
    .await
    .unwrap();
    assert_eq!(names(&found), ["Haruto Tanaka", "Yui Sato"]);
}

// servicenow.md §3.5: suffix fallback with LIKE finds punctuated forms the exact list missed.
#[tokio::test]
async fn rule_3_5_the_suffix_fallback_finds_other_formats() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    let exact_only = lookup_by_phone(
        &env.client,
        &alice,
        &[contacts()],
        &values(&["+16692627777"]),
        None,
        5,
    )
    .await
    .unwrap();
    assert_eq!(names(&exact_only), ["Emily Carter"]);
    let with_suffix = lookup_by_phone(
        &env.client,
        &alice,
        &[contacts()],
        &values(&["+16692627777"]),
        Some("262-7777"),
        5,
    )
    .await
    .unwrap();
    assert_eq!(names(&with_suffix), ["Emily Carter", "Michael Brown"]);
    let error = lookup_by_phone(&env.client, &alice, &[contacts()], &[], Some("77"), 5)
        .await
        .unwrap_err();
    assert!(
        matches!(error.error, ApiError::InvalidRequest(_)),
        "{error}"
    );
}

// servicenow.md §1.4 "Injection example": hostile caller IDs match nothing, never everything.
#[tokio::test]
async fn rule_1_4_injected_caller_ids_never_widen_the_result() {
    let env = Env::start().await;
    let alice = env.user("alice.agent");
    for hostile in [
        "x^NQactive=true",
        "a^ORphoneISNOTEMPTY",
        "x^ORactive=true",
        "^NQ",
        "x^EQ",
        "*",
        "%",
        "03-1234-5678^ORphoneISNOTEMPTY",
    ] {
        let found = lookup_by_phone(
            &env.client,
            &alice,
            &[contacts(), consumers()],
            &values(&[hostile]),
            None,
            50,
        )
        .await
        .unwrap();
        assert!(found.is_empty(), "{hostile:?} matched {:?}", names(&found));
    }
}

// servicenow.md §1.4: javascript: values are evaluated server-side; they never reach a query.
#[tokio::test]
async fn rule_1_4_script_values_are_refused_before_any_request() {
    let env = Env::start().await;
    env.reset_requests().await;
    for hostile in [
        "javascript:gs.getUserID()",
        " JavaScript:1",
        "+1408\n^NQactive=true",
    ] {
        let error = lookup_by_phone(
            &env.client,
            &env.user("alice.agent"),
            &[contacts(), consumers()],
            &values(&["+14085550134", hostile]),
            None,
            5,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error.error, ApiError::InvalidRequest(_)),
            "{hostile:?}: {error}"
        );
    }
    assert!(env.requests().await.is_empty(), "nothing was sent");
    // No number at all (anonymous or withheld caller): nothing to ask, nothing sent.
    let none = lookup_by_phone(
        &env.client,
        &env.user("alice.agent"),
        &[contacts()],
        &[],
        None,
        5,
    )
    .await
    .unwrap();
    assert!(none.is_empty());
    assert!(env.requests().await.is_empty());
}

// A table the agent may not read fails the whole lookup, naming the table.
#[tokio::test]
async fn rule_1_6_a_forbidden_table_fails_the_lookup_and_names_it() {
    let env = Env::start().await;
    let error = lookup_by_phone(
        &env.client,
        &env.user("carol.norole"),
        &[contacts(), consumers()],
        &tokyo(),
        None,
        5,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error.error, ApiError::Forbidden { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.table.as_ref().map(|t| t.as_str()),
        Some("customer_contact")
    );
    assert!(
        error
            .to_string()
            .starts_with("phone lookup in customer_contact: "),
        "{error}"
    );
}
