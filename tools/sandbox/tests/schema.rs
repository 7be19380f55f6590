//! Schema discovery and extension through `sys_db_object` / `sys_dictionary`, and max_length
//! enforcement (servicenow.md §1.5, §3.1, §7 items 6 and 11; issue 2 "Schema discovery").

mod common;

use common::*;
use serde_json::json;

const CASES: &str = "/api/now/table/sn_customerservice_case";
const INTEGRATION: Who<'static> = Who::User("callbridge.integration");

async fn dictionary(sb: &Sandbox, who: Who<'_>, query: &str) -> Reply {
    sb.get(
        who,
        &format!(
            "/api/now/table/sys_dictionary?sysparm_query={}",
            encode(query)
        ),
    )
    .await
}

// §3.1/§7.11: every table and column has sys_db_object / sys_dictionary rows with type and
// max_length, readable by the integration user (personalize_dictionary).
#[tokio::test]
async fn dictionary_describes_tables_and_columns_to_the_integration_user() {
    let sb = Sandbox::start().await;
    let tables = sb
        .get(
            INTEGRATION,
            &format!(
                "/api/now/table/sys_db_object?sysparm_query={}",
                encode("name=sn_customerservice_case")
            ),
        )
        .await;
    tables.expect(200);
    assert_eq!(tables.rows().len(), 1);
    let case_table = &tables.rows()[0];
    assert_eq!(case_table["number_prefix"], "CS");
    let task = sb.sys_id_of("sys_db_object", "name=task").await;
    assert_eq!(case_table["super_class"]["value"], task.as_str());
    for name in [
        "customer_contact",
        "customer_account",
        "csm_consumer",
        "sys_user",
    ] {
        let reply = sb
            .get(
                INTEGRATION,
                &format!("/api/now/table/sys_db_object?sysparm_query=name%3D{name}"),
            )
            .await;
        assert_eq!(reply.rows().len(), 1, "{name}");
    }

    let contact = dictionary(
        &sb,
        INTEGRATION,
        "name=sn_customerservice_case^element=contact",
    )
    .await;
    contact.expect(200);
    let row = &contact.rows()[0];
    assert_eq!(row["internal_type"], "reference");
    assert_eq!(row["reference"], "customer_contact");
    // Inherited columns are described on the table that defines them (task).
    let correlation = dictionary(&sb, INTEGRATION, "name=task^element=correlation_id").await;
    assert_eq!(correlation.rows()[0]["max_length"], "100");
    assert_eq!(correlation.rows()[0]["internal_type"], "string");
    let channel = dictionary(&sb, INTEGRATION, "name=task^element=contact_type").await;
    assert_eq!(channel.rows()[0]["max_length"], "40");
    // §3.2/§3.5: contact phones are ph_number strings of max_length 40.
    let phones = dictionary(&sb, INTEGRATION, "name=sys_user^elementLIKEphone").await;
    assert_eq!(phones.rows().len(), 3, "{phones:?}");
    for row in phones.rows() {
        assert_eq!(row["internal_type"], "ph_number");
        assert_eq!(row["max_length"], "40");
    }
    let consumer_phones = dictionary(&sb, INTEGRATION, "name=csm_consumer^elementLIKEphone").await;
    let mut names: Vec<&str> = consumer_phones
        .rows()
        .iter()
        .map(|r| r["element"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["business_phone", "home_phone", "mobile_phone"]);
}

// Issue 2: reading the dictionary needs personalize_dictionary (agents without it get 403).
#[tokio::test]
async fn dictionary_is_not_readable_without_the_role() {
    let sb = Sandbox::start().await;
    for who in [Who::User("alice.agent"), Who::User("carol.norole")] {
        let reply = dictionary(&sb, who, "name=task").await;
        assert_eq!(reply.status.as_u16(), 403, "{who:?}");
    }
}

// §1.5 / issue 2: an admin adds a `u_recording_url` URL column (max_length 1024) to the case
// table by inserting into sys_dictionary; then cases can be written and read with it, and the
// integration user discovers it.
#[tokio::test]
async fn admin_adds_a_url_column_through_sys_dictionary() {
    let sb = Sandbox::start().await;
    let created = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_dictionary",
            &json!({
                "name": "sn_customerservice_case",
                "element": "u_recording_url",
                "column_label": "Recording URL",
                "internal_type": "url",
                "max_length": "1024",
            }),
        )
        .await;
    created.expect(201);

    let url = format!(
        "https://recordings.example.com/calls/{}.wav",
        "a".repeat(900)
    );
    let case = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "recorded call", "u_recording_url": url}),
        )
        .await;
    assert_eq!(case["u_recording_url"], url.as_str());
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let read = sb
        .get(
            INTEGRATION,
            &format!("{path}?sysparm_fields=number,u_recording_url"),
        )
        .await;
    read.expect(200);
    assert_eq!(read.result()["u_recording_url"], url.as_str());
    let patched = sb
        .patch(
            INTEGRATION,
            &path,
            &json!({"u_recording_url": "https://r.example.com/2.wav"}),
        )
        .await;
    patched.expect(200);
    assert_eq!(
        patched.result()["u_recording_url"],
        "https://r.example.com/2.wav"
    );
    // Existing cases have the column, empty.
    let all = sb.get(Who::Admin, CASES).await;
    for row in all.rows() {
        assert!(row.get("u_recording_url").is_some());
    }
    // Queryable.
    let found = sb
        .get(
            Who::Admin,
            &format!(
                "{CASES}?sysparm_query={}",
                encode("u_recording_urlLIKEr.example.com/2")
            ),
        )
        .await;
    assert_eq!(found.total_count(), 1);
    // Discoverable.
    let discovered = dictionary(
        &sb,
        INTEGRATION,
        "name=sn_customerservice_case^element=u_recording_url",
    )
    .await;
    assert_eq!(discovered.rows()[0]["internal_type"], "url");
    assert_eq!(discovered.rows()[0]["max_length"], "1024");
    // Over max_length it is truncated to 1024 characters.
    let long = format!("https://recordings.example.com/{}", "b".repeat(2000));
    let truncated = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "long", "u_recording_url": long}),
        )
        .await;
    assert_eq!(
        truncated["u_recording_url"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        1024
    );
}

// Issue 2: a `String (Full UTF-8)` column stores non-ASCII text intact.
#[tokio::test]
async fn admin_adds_a_full_utf8_string_column() {
    let sb = Sandbox::start().await;
    sb.post(
        Who::Admin,
        "/api/now/table/sys_dictionary",
        &json!({
            "name": "sn_customerservice_case",
            "element": "u_caller_note",
            "internal_type": "string_full_utf8",
            "max_length": "255",
        }),
    )
    .await
    .expect(201);
    let note = "通話メモ 📞 Ünïcödé";
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "utf8", "u_caller_note": note}),
        )
        .await;
    assert_eq!(case["u_caller_note"], note);
}

// Issue 2: an admin creates a custom table (sys_db_object) and its columns (sys_dictionary) through
// the Table API; rows can then be written and read; the dictionary describes it.
#[tokio::test]
async fn admin_creates_a_custom_table_with_columns() {
    let sb = Sandbox::start().await;
    let table = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_db_object",
            &json!({"name": "u_call_log", "label": "Call Log"}),
        )
        .await;
    table.expect(201);
    for (element, internal_type, max_length) in [
        ("u_caller", "string", "80"),
        ("u_direction", "string", "20"),
        ("u_case", "reference", ""),
        ("u_duration", "integer", ""),
    ] {
        let mut column = json!({
            "name": "u_call_log",
            "element": element,
            "internal_type": internal_type,
        });
        if !max_length.is_empty() {
            column["max_length"] = json!(max_length);
        }
        if element == "u_case" {
            column["reference"] = json!("sn_customerservice_case");
        }
        sb.post(Who::Admin, "/api/now/table/sys_dictionary", &column)
            .await
            .expect(201);
    }
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "logged"}))
        .await;
    let case_id = case["sys_id"].as_str().unwrap();
    let row = sb
        .post(
            Who::Admin,
            "/api/now/table/u_call_log",
            &json!({"u_caller": "+16692627777", "u_direction": "inbound", "u_case": case_id, "u_duration": 42}),
        )
        .await;
    row.expect(201);
    let r = row.result();
    assert!(is_sys_id(r["sys_id"].as_str().unwrap()));
    assert_eq!(r["u_caller"], "+16692627777");
    assert_eq!(r["u_duration"], "42");
    assert_eq!(r["sys_class_name"], "u_call_log");
    assert_eq!(
        r["u_case"],
        json!({"link": format!("{}/api/now/table/sn_customerservice_case/{case_id}", sb.base), "value": case_id})
    );
    let list = sb
        .get(
            Who::Admin,
            &format!(
                "/api/now/table/u_call_log?sysparm_fields=u_caller,u_case.number&sysparm_query={}",
                encode("u_direction=inbound")
            ),
        )
        .await;
    list.expect(200);
    assert_eq!(list.rows().len(), 1);
    assert_eq!(list.rows()[0]["u_case.number"], case["number"]);
    // Every column of the new table is described, its system columns included.
    let described = dictionary(&sb, Who::Admin, "name=u_call_log").await;
    let elements: Vec<&str> = described
        .rows()
        .iter()
        .map(|r| r["element"].as_str().unwrap())
        .collect();
    for element in [
        "u_caller",
        "u_case",
        "u_direction",
        "u_duration",
        "sys_id",
        "sys_created_on",
        "sys_updated_on",
    ] {
        assert_eq!(
            elements.iter().filter(|e| **e == element).count(),
            1,
            "{element}: {elements:?}"
        );
    }
    let sys_id_row = described
        .rows()
        .iter()
        .find(|r| r["element"] == "sys_id")
        .unwrap();
    assert_eq!(sys_id_row["internal_type"], "GUID");
    assert_eq!(sys_id_row["max_length"], "32");
    // A new table is closed to users without its role.
    assert_eq!(
        sb.get(Who::User("alice.agent"), "/api/now/table/u_call_log")
            .await
            .status
            .as_u16(),
        403
    );
}

// §1.5 / §3.1: values longer than max_length are truncated by default (contact_type is 40).
#[tokio::test]
async fn overlong_values_are_truncated_to_max_length() {
    let sb = Sandbox::start().await;
    let channel = "p".repeat(50);
    let correlation = "c".repeat(150);
    let case = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "t", "contact_type": channel, "correlation_id": correlation}),
        )
        .await;
    assert_eq!(case["contact_type"], "p".repeat(40).as_str());
    assert_eq!(case["correlation_id"], "c".repeat(100).as_str());
    // Truncation counts characters, not bytes.
    let japanese = "電".repeat(45);
    let contact = sb
        .post(
            Who::Admin,
            "/api/now/table/customer_contact",
            &json!({"name": "T", "phone": japanese}),
        )
        .await;
    contact.expect(201);
    assert_eq!(contact.result()["phone"], "電".repeat(40).as_str());
}

// §1.5 [INF, made a switch]: with x_cb_sandbox.string_overflow=reject an overlong value is refused
// with 403 `Operation Failed`, and nothing is written.
#[tokio::test]
async fn overlong_values_are_rejected_when_the_switch_says_so() {
    let sb = Sandbox::start().await;
    sb.set_property("x_cb_sandbox.string_overflow", "reject")
        .await;
    let reply = sb
        .post(
            Who::User("alice.agent"),
            CASES,
            &json!({"short_description": "t", "contact_type": "p".repeat(41)}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 403, "{reply:?}");
    assert_eq!(reply.json["error"]["message"], "Operation Failed");
    assert!(
        reply.json["error"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("Error during insert of sn_customerservice_case"),
        "{reply:?}"
    );
    assert_eq!(sb.get(Who::Admin, CASES).await.total_count(), 0);
    let ok = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "t", "contact_type": "phone"}),
        )
        .await;
    let path = format!("{CASES}/{}", ok["sys_id"].as_str().unwrap());
    let update = sb
        .patch(
            Who::User("alice.agent"),
            &path,
            &json!({"correlation_id": "x".repeat(101)}),
        )
        .await;
    assert_eq!(update.status.as_u16(), 403);
    assert_eq!(update.json["error"]["message"], "Operation Failed");
    assert_eq!(
        sb.get(Who::Admin, &path).await.result()["correlation_id"],
        ""
    );
}

// §1.5: new string columns default to max_length 40 when none is given.
#[tokio::test]
async fn new_string_columns_default_to_max_length_40() {
    let sb = Sandbox::start().await;
    let created = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_dictionary",
            &json!({"name": "sn_customerservice_case", "element": "u_call_id", "internal_type": "string"}),
        )
        .await;
    created.expect(201);
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "x", "u_call_id": "z".repeat(60)}),
        )
        .await;
    assert_eq!(case["u_call_id"].as_str().unwrap().len(), 40);
}

// Issue 2: a column added to a parent table reaches the tables that extend it (task → case).
#[tokio::test]
async fn a_column_added_to_a_parent_table_reaches_its_children() {
    let sb = Sandbox::start().await;
    sb.post(
        Who::Admin,
        "/api/now/table/sys_dictionary",
        &json!({"name": "task", "element": "u_call_sid", "internal_type": "string", "max_length": "64"}),
    )
    .await
    .expect(201);
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "x", "u_call_sid": "CA123"}),
        )
        .await;
    assert_eq!(case["u_call_sid"], "CA123");
}
