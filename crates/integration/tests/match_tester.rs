//! The console's match tester (`docs/console-api.md` "Match tester") over real HTTP against the
//! ServiceNow sandbox's demo data: a number held by two contacts (the chooser), by one (the
//! pop), by none (a new contact), a name holding HTML, garbage numbers, and the roles.

mod support;

use callbridge_store::{AuditFilter, Role, Store};
use serde_json::{json, Value};
use support::console::{add_account, Tab};
use support::{World, TENANT};

async fn add(store: &Store, user: &str, role: Role) {
    add_account(store, TENANT, user, role).await;
}

/// `GET /api/v1/console/match?<query>` as `tab`: status and body (never cached).
async fn test(tab: &Tab, query: &str) -> (u16, Value) {
    let answer = tab.get(&format!("/api/v1/console/match?{query}")).await;
    assert_eq!(answer.headers["cache-control"], "no-store");
    (answer.status, answer.body)
}

fn matched(body: &Value) -> Vec<&Value> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["matched"] == true)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_two_contacts_hold_is_ambiguous_and_each_record_says_which_column_and_rule() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    // Typed as a Japanese agent would, read in the tenant's region JP.
    let (status, body) = test(&ada, "number=03-1234-5678").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["number"],
        json!({"typed": "03-1234-5678", "e164": "+81312345678", "region": "JP", "number_region": "JP"})
    );
    assert_eq!(body["rights"], "service");
    let formats: Vec<&str> = body["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for expected in ["+81312345678", "03-1234-5678", "+81 3-1234-5678"] {
        assert!(
            formats.contains(&expected),
            "{expected} searched: {formats:?}"
        );
    }
    assert_eq!(body["suffix"], Value::Null);
    assert_eq!(body["tables"][0]["table"], "customer_contact");
    assert!(body["tables"][0]["phone_columns"]
        .as_array()
        .unwrap()
        .contains(&json!("phone")));

    let found = matched(&body);
    let names: Vec<&str> = found.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(found.len(), 2, "{body}");
    assert!(
        names.contains(&"Haruto Tanaka") && names.contains(&"Yui Sato"),
        "{names:?}"
    );
    let haruto = found.iter().find(|r| r["name"] == "Haruto Tanaka").unwrap();
    assert_eq!(haruto["table"], "customer_contact");
    assert_eq!(haruto["kind"], "contact");
    assert_eq!(haruto["account"]["name"], "Sakura Trading KK");
    let business = haruto["phones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["column"] == "phone")
        .unwrap();
    assert_eq!(business["stored"], "03-1234-5678");
    assert_eq!(business["match"]["rule"], "same_number");
    assert_eq!(
        business["match"]["explanation"],
        "stored '03-1234-5678' is +81312345678 in region JP, same as the caller"
    );
    // His mobile is another number: listed, not a match.
    let mobile = haruto["phones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stored"] == "090-1234-5678")
        .unwrap();
    assert_eq!(mobile["match"], Value::Null);
    assert_eq!(body["pop"]["outcome"], "chooser");
    assert_eq!(body["pop"]["records"], 2);
    assert!(
        body["pop"]["explanation"]
            .as_str()
            .unwrap()
            .contains("the agent gets a chooser"),
        "{}",
        body["pop"]
    );

    // Each test is in the admin audit: it read the CRM with the service's rights.
    let rows = world
        .server
        .store
        .admin_audit(&AuditFilter::all(TENANT, 10))
        .await
        .unwrap();
    assert_eq!(rows[0].action, "match.test");
    assert_eq!(rows[0].target, "+81312345678");
    assert_eq!(rows[0].actor, "ada");
    assert_eq!(
        rows[0].detail,
        "looked +81312345678 up with the service credential: chooser"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_holder_pops_nobody_offers_a_new_contact_and_html_in_a_name_comes_back_as_text() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    let (status, body) = test(&ada, "number=%2B1%20858%20287%207834").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["number"]["e164"], "+18582877834");
    assert_eq!(body["number"]["number_region"], "US");
    assert_eq!(body["pop"]["outcome"], "contact");
    let found = matched(&body);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["name"], "Sofia Garcia");

    let (status, body) = test(&ada, "number=%2B81355550000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pop"]["outcome"], "new_contact");
    assert_eq!(body["records"], json!([]));

    // A name that is HTML is data: returned exactly, as JSON text (the page escapes it).
    let hostile = "<img src=x onerror=alert(1)>";
    world
        .admin()
        .post(
            "/api/now/table/customer_contact",
            json!({"name": hostile, "first_name": "X", "last_name": "Y", "phone": "+81 3-5555-0101"}),
        )
        .await;
    let (status, body) = test(&ada, "number=03-5555-0101").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(matched(&body)[0]["name"], hostile);
    assert_eq!(body["pop"]["outcome"], "contact");
    world.stop().await;
}

#[tokio::test]
async fn garbage_numbers_are_refused_with_what_to_type_and_only_admins_may_test() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, "ada", Role::Admin).await;
    add(store, "sam", Role::Supervisor).await;
    add(store, "alice", Role::Agent).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    for (query, code, says) in [
        ("number=%3Cscript%3E", "bad_number", "not a phone number"),
        ("number=12", "bad_number", "not a phone number"),
        ("number=anonymous", "bad_number", "withheld"),
        ("number=", "bad_request", "number is missing"),
        ("", "bad_request", "number is missing"),
        ("number=1&number=2", "bad_request", "given twice"),
        ("phone=0312345678", "bad_request", "unknown parameter"),
    ] {
        let (status, body) = test(&ada, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
    let sam = Tab::of(&world, TENANT, "sam").await;
    let (status, body) = test(&sam, "number=0312345678").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("not_an_admin"))
    );
    let alice = Tab::of(&world, TENANT, "alice").await;
    let (status, body) = test(&alice, "number=0312345678").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("not_staff"))
    );
    let anonymous = world
        .http
        .get(format!(
            "{}/api/v1/console/match?number=0312345678",
            world.public_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    world.stop().await;
}
