//! Table API conformance (servicenow.md §1.1-§1.5, §3.1): CRUD, the versioned URL forms,
//! pagination headers, rendering, query-string handling and server-side write behaviour.

mod common;

use common::*;
use http::Method;
use serde_json::{json, Value};

const CONTACTS: &str = "/api/now/table/customer_contact";
const CASES: &str = "/api/now/table/sn_customerservice_case";
const DEMO_CONTACTS: usize = 8;

// §1.1: GET list answers 200 with `{"result":[...]}`; §1.3: standard headers.
#[tokio::test]
async fn get_list_returns_result_array_with_standard_headers() {
    let sb = Sandbox::start().await;
    let reply = sb.get(Who::Admin, CONTACTS).await;
    reply.expect(200);
    assert_eq!(reply.rows().len(), DEMO_CONTACTS);
    assert_eq!(reply.total_count(), DEMO_CONTACTS);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json;charset=UTF-8")
    );
    assert_eq!(reply.header("server").as_deref(), Some("ServiceNow"));
    assert_eq!(reply.header("x-is-logged-in").as_deref(), Some("true"));
    assert_eq!(reply.header("expires").as_deref(), Some("0"));
    assert!(reply.header("cache-control").unwrap().contains("no-store"));
}

// §1.1: GET by sys_id answers 200 with `{"result":{...}}`.
#[tokio::test]
async fn get_one_by_sys_id_returns_result_object() {
    let sb = Sandbox::start().await;
    let id = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let reply = sb.get(Who::Admin, &format!("{CONTACTS}/{id}")).await;
    reply.expect(200);
    assert_eq!(reply.result()["sys_id"], id.as_str());
    assert_eq!(reply.result()["phone"], "+16692627777");
    assert_eq!(reply.result()["sys_class_name"], "customer_contact");
}

// §1.1: `/api/now/table`, `/api/now/v1/table` and `/api/now/v2/table` are the same resource.
#[tokio::test]
async fn versioned_and_unversioned_table_urls_serve_the_same_rows() {
    let sb = Sandbox::start().await;
    let id = sb.sys_id_of("customer_contact", "name=Yui Sato").await;
    for prefix in ["/api/now/table", "/api/now/v1/table", "/api/now/v2/table"] {
        let list = sb
            .get(Who::Admin, &format!("{prefix}/customer_contact"))
            .await;
        list.expect(200);
        assert_eq!(list.rows().len(), DEMO_CONTACTS, "{prefix}");
        let one = sb
            .get(Who::Admin, &format!("{prefix}/customer_contact/{id}"))
            .await;
        one.expect(200);
        assert_eq!(one.result()["name"], "Yui Sato", "{prefix}");
    }
}

// §1.1: an empty match is `200 {"result":[]}` unversioned and on v2, but 404 with this exact
// body on v1.
#[tokio::test]
async fn v1_empty_list_is_404_with_the_exact_body() {
    let sb = Sandbox::start().await;
    let query = "?sysparm_query=name%3DNobody%20At%20All";
    let v1 = sb
        .get(
            Who::Admin,
            &format!("/api/now/v1/table/customer_contact{query}"),
        )
        .await;
    assert_eq!(v1.status.as_u16(), 404);
    assert_eq!(
        v1.text,
        r#"{"error":{"message":"No Record found","detail":"Records matching query not found. Check query parameter or offset parameter"},"status":"failure"}"#
    );
    for prefix in ["/api/now/table", "/api/now/v2/table"] {
        let reply = sb
            .get(Who::Admin, &format!("{prefix}/customer_contact{query}"))
            .await;
        reply.expect(200);
        assert_eq!(reply.text, r#"{"result":[]}"#, "{prefix}");
        assert_eq!(reply.total_count(), 0);
    }
}

// §1.1: POST answers 201 with a Location header naming the new record (on the URL form used).
#[tokio::test]
async fn post_returns_201_with_location_and_the_record() {
    let sb = Sandbox::start().await;
    let reply = sb
        .post(
            Who::Admin,
            "/api/now/table/customer_account",
            &json!({"name": "Acme KK", "phone": "+81 3-0000-0000"}),
        )
        .await;
    reply.expect(201);
    let id = reply.result()["sys_id"].as_str().unwrap().to_string();
    assert!(is_sys_id(&id), "{id}");
    assert_eq!(reply.result()["name"], "Acme KK");
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("{}/api/now/table/customer_account/{id}", sb.base).as_str())
    );
    let v2 = sb
        .post(
            Who::Admin,
            "/api/now/v2/table/customer_account",
            &json!({"name": "Beta KK"}),
        )
        .await;
    v2.expect(201);
    let id2 = v2.result()["sys_id"].as_str().unwrap();
    assert_eq!(
        v2.header("location").as_deref(),
        Some(format!("{}/api/now/v2/table/customer_account/{id2}", sb.base).as_str())
    );
    let read = sb
        .get(Who::Admin, &format!("/api/now/table/customer_account/{id}"))
        .await;
    read.expect(200);
    assert_eq!(read.result()["phone"], "+81 3-0000-0000");
}

// §1.1: PUT and PATCH both behave as partial updates.
#[tokio::test]
async fn patch_and_put_are_partial_updates() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "Caller cannot log in", "correlation_id": "call-1", "priority": "3"}),
        )
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let patched = sb
        .patch(Who::User("alice.agent"), &path, &json!({"priority": "2"}))
        .await;
    patched.expect(200);
    assert_eq!(patched.result()["priority"], "2");
    assert_eq!(
        patched.result()["short_description"],
        "Caller cannot log in"
    );
    assert_eq!(patched.result()["sys_mod_count"], "1");
    let put = sb
        .put(Who::User("alice.agent"), &path, &json!({"state": "10"}))
        .await;
    put.expect(200);
    assert_eq!(put.result()["state"], "10");
    assert_eq!(put.result()["priority"], "2");
    assert_eq!(put.result()["correlation_id"], "call-1");
    assert_eq!(put.result()["sys_mod_count"], "2");
    let read = sb.get(Who::User("alice.agent"), &path).await;
    assert_eq!(read.result()["state"], "10");
    assert_eq!(read.result()["short_description"], "Caller cannot log in");
}

// §1.1: clearing a field is done by sending "".
#[tokio::test]
async fn empty_string_clears_a_field() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "x", "correlation_id": "call-9"}),
        )
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let reply = sb
        .patch(Who::Admin, &path, &json!({"correlation_id": ""}))
        .await;
    reply.expect(200);
    assert_eq!(reply.result()["correlation_id"], "");
}

// §1.1: DELETE answers 204 with an empty body; the record is gone afterwards.
#[tokio::test]
async fn delete_returns_204_with_empty_body() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "to delete"}))
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let reply = sb.delete(Who::Admin, &path).await;
    reply.expect(204);
    assert_eq!(reply.text, "");
    let again = sb.get(Who::Admin, &path).await;
    assert_error(
        &again,
        404,
        "No Record found",
        Some("Record doesn't exist or ACL restricts the record retrieval"),
    );
    let twice = sb.delete(Who::Admin, &path).await;
    assert_eq!(twice.status.as_u16(), 404);
}

// §1.1: HEAD is accepted wherever GET is and returns no body.
#[tokio::test]
async fn head_returns_headers_without_body() {
    let sb = Sandbox::start().await;
    let list = sb
        .send(sb.request(Who::Admin, Method::HEAD, CONTACTS))
        .await;
    list.expect(200);
    assert_eq!(list.text, "");
    assert_eq!(list.total_count(), DEMO_CONTACTS);
    let id = sb.sys_id_of("customer_contact", "name=Ken Watanabe").await;
    let one = sb
        .send(sb.request(Who::Admin, Method::HEAD, &format!("{CONTACTS}/{id}")))
        .await;
    one.expect(200);
    assert_eq!(one.text, "");
    let missing = sb
        .send(sb.request(
            Who::Admin,
            Method::HEAD,
            &format!("{CONTACTS}/{}", "0".repeat(32)),
        ))
        .await;
    assert_eq!(missing.status.as_u16(), 404);
    assert_eq!(missing.text, "");
}

fn links(reply: &Reply) -> Vec<(String, String)> {
    let header = reply
        .header("link")
        .unwrap_or_else(|| panic!("no Link header: {reply:?}"));
    header
        .split(',')
        .map(|part| {
            let (url, rel) = part.split_once(';').expect("link part has a rel");
            let url = url
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string();
            let rel = rel
                .trim()
                .trim_start_matches("rel=")
                .trim_matches('"')
                .to_string();
            (rel, url)
        })
        .collect()
}

fn link<'a>(links: &'a [(String, String)], rel: &str) -> Option<&'a str> {
    links
        .iter()
        .find(|(r, _)| r == rel)
        .map(|(_, u)| u.as_str())
}

// §1.3: X-Total-Count on every list; Link with first/next/last, prev only when it applies.
#[tokio::test]
async fn link_header_has_first_prev_next_last_as_they_apply() {
    let sb = Sandbox::start().await;
    let first = sb
        .get(Who::Admin, &format!("{CONTACTS}?sysparm_limit=3"))
        .await;
    first.expect(200);
    assert_eq!(first.rows().len(), 3);
    assert_eq!(first.total_count(), DEMO_CONTACTS);
    let l = links(&first);
    let prefix = format!("{CONTACTS}?");
    for (_, url) in &l {
        assert!(url.starts_with(&format!("{}{prefix}", sb.base)), "{url}");
    }
    assert!(link(&l, "first")
        .unwrap()
        .contains("sysparm_offset=0&sysparm_limit=3"));
    assert!(link(&l, "next")
        .unwrap()
        .contains("sysparm_offset=3&sysparm_limit=3"));
    assert!(link(&l, "last")
        .unwrap()
        .contains("sysparm_offset=6&sysparm_limit=3"));
    assert!(link(&l, "prev").is_none());

    // Following `next` works and the middle page has prev and next.
    let direct_page_two = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_limit=3&sysparm_offset=3"),
        )
        .await;
    let next_url = link(&l, "next").unwrap().to_string();
    let middle = sb
        .send(sb.request(
            Who::Admin,
            Method::GET,
            next_url.strip_prefix(&sb.base).unwrap(),
        ))
        .await;
    middle.expect(200);
    assert_eq!(middle.rows().len(), 3);
    assert_eq!(
        middle.rows()[0]["sys_id"],
        direct_page_two.rows()[0]["sys_id"]
    );
    let l = links(&middle);
    assert!(link(&l, "prev").unwrap().contains("sysparm_offset=0"));
    assert!(link(&l, "next").unwrap().contains("sysparm_offset=6"));

    let last = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_limit=3&sysparm_offset=6"),
        )
        .await;
    assert_eq!(last.rows().len(), 2);
    let l = links(&last);
    assert!(link(&l, "next").is_none());
    assert!(link(&l, "prev").unwrap().contains("sysparm_offset=3"));
    assert!(link(&l, "first").is_some() && link(&l, "last").is_some());
}

// §1.3: the whole Link header is omitted when there is a single page; X-Total-Count stays even
// with sysparm_suppress_pagination_header=true.
#[tokio::test]
async fn link_header_omitted_for_one_page_and_when_suppressed() {
    let sb = Sandbox::start().await;
    let one_page = sb.get(Who::Admin, CONTACTS).await;
    assert!(one_page.header("link").is_none(), "{one_page:?}");
    let suppressed = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_limit=2&sysparm_suppress_pagination_header=true"),
        )
        .await;
    suppressed.expect(200);
    assert!(suppressed.header("link").is_none());
    assert_eq!(suppressed.total_count(), DEMO_CONTACTS);
}

// §1.2: sysparm_limit / sysparm_offset page through a stable order.
#[tokio::test]
async fn limit_and_offset_page_through_every_row_once() {
    let sb = Sandbox::start().await;
    let mut seen = Vec::new();
    for offset in (0..DEMO_CONTACTS).step_by(3) {
        let page = sb
            .get(
                Who::Admin,
                &format!(
                    "{CONTACTS}?sysparm_limit=3&sysparm_offset={offset}&sysparm_fields=sys_id"
                ),
            )
            .await;
        page.expect(200);
        seen.extend(
            page.rows()
                .iter()
                .map(|r| r["sys_id"].as_str().unwrap().to_string()),
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), DEMO_CONTACTS);
    assert_eq!(unique.len(), DEMO_CONTACTS);
}

// §1.2: sysparm_fields selects columns; dot-walks come back as flat keys; invalid names are
// silently ignored.
#[tokio::test]
async fn sysparm_fields_selects_columns_with_dot_walked_flat_keys() {
    let sb = Sandbox::start().await;
    let reply = sb
        .get(
            Who::Admin,
            &format!(
                "{CONTACTS}?sysparm_query={}&sysparm_fields=name,account.name,account.phone,no_such_field",
                encode("name=Emily Carter")
            ),
        )
        .await;
    reply.expect(200);
    let row = reply.rows()[0].as_object().unwrap();
    let keys: Vec<&str> = row.keys().map(String::as_str).collect();
    assert_eq!(keys, ["name", "account.name", "account.phone"]);
    assert_eq!(row["account.name"], "Golden Gate Outfitters");
    assert_eq!(row["account.phone"], "(669) 262-7777");
}

// §1.3: the reference rendering matrix (display_value × exclude_reference_link).
#[tokio::test]
async fn reference_fields_render_per_the_display_value_matrix() {
    let sb = Sandbox::start().await;
    let contact = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let account = sb
        .sys_id_of("customer_account", "name=Golden Gate Outfitters")
        .await;
    let link = format!("{}/api/now/table/customer_account/{account}", sb.base);
    let read = |dv: &'static str, exclude: &'static str| {
        let path = format!(
            "{CONTACTS}/{contact}?sysparm_fields=account&sysparm_display_value={dv}&sysparm_exclude_reference_link={exclude}"
        );
        let sb = &sb;
        async move {
            let reply = sb.get(Who::Admin, &path).await;
            reply.expect(200);
            reply.result()["account"].clone()
        }
    };
    assert_eq!(
        read("false", "false").await,
        json!({"link": link, "value": account})
    );
    assert_eq!(read("false", "true").await, json!(account));
    assert_eq!(
        read("true", "false").await,
        json!({"display_value": "Golden Gate Outfitters", "link": link})
    );
    assert_eq!(read("true", "true").await, json!("Golden Gate Outfitters"));
    assert_eq!(
        read("all", "false").await,
        json!({"display_value": "Golden Gate Outfitters", "link": link, "value": account})
    );
    assert_eq!(
        read("all", "true").await,
        json!({"display_value": "Golden Gate Outfitters", "value": account})
    );
    // The same matrix applies to a case's contact reference.
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"contact": contact, "short_description": "r"}),
        )
        .await;
    let reply = sb
        .get(
            Who::Admin,
            &format!(
                "{CASES}/{}?sysparm_display_value=true&sysparm_exclude_reference_link=true",
                case["sys_id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(reply.result()["contact"], "Emily Carter");
}

// §1.3: choice fields show their label with display_value=true and a display/value pair with all.
#[tokio::test]
async fn choice_fields_render_labels_for_display_values() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "c"}))
        .await;
    let path = format!(
        "{CASES}/{}?sysparm_fields=state,priority,contact_type",
        case["sys_id"].as_str().unwrap()
    );
    let raw = sb.get(Who::Admin, &path).await;
    assert_eq!(raw.result()["state"], "1");
    let shown = sb
        .get(Who::Admin, &format!("{path}&sysparm_display_value=true"))
        .await;
    assert_eq!(shown.result()["state"], "New");
    assert_eq!(shown.result()["priority"], "4 - Low");
    let all = sb
        .get(Who::Admin, &format!("{path}&sysparm_display_value=all"))
        .await;
    assert_eq!(
        all.result()["state"],
        json!({"display_value": "New", "value": "1"})
    );
    assert_eq!(
        all.result()["contact_type"],
        json!({"display_value": "", "value": ""})
    );
}

// §1.3: sys_domain is a reference to sys_user_group "global".
#[tokio::test]
async fn sys_domain_renders_as_a_global_reference() {
    let sb = Sandbox::start().await;
    let reply = sb
        .get(Who::Admin, &format!("{CONTACTS}?sysparm_limit=1"))
        .await;
    assert_eq!(
        reply.rows()[0]["sys_domain"],
        json!({"link": format!("{}/api/now/table/sys_user_group/global", sb.base), "value": "global"})
    );
    let excluded = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_limit=1&sysparm_exclude_reference_link=true"),
        )
        .await;
    assert_eq!(excluded.rows()[0]["sys_domain"], "global");
}

fn assert_all_strings(value: &Value, context: &str) {
    match value {
        Value::String(_) => {}
        Value::Object(map) => {
            for (k, v) in map {
                assert!(v.is_string(), "{context}.{k} is not a string: {v}");
            }
        }
        other => panic!("{context} is neither a string nor a reference object: {other}"),
    }
}

// §1.3: every scalar is a JSON string (numbers, booleans, counts); empty values are "".
#[tokio::test]
async fn every_scalar_is_a_string() {
    let sb = Sandbox::start().await;
    let created = sb
        .post(
            Who::Admin,
            CASES,
            &json!({"short_description": "typed input", "priority": 2, "active": true, "correlation_id": null}),
        )
        .await;
    created.expect(201);
    assert_eq!(created.result()["priority"], "2");
    assert_eq!(created.result()["active"], "true");
    assert_eq!(created.result()["correlation_id"], "");
    for path in [
        CASES,
        CONTACTS,
        "/api/now/table/customer_account",
        "/api/now/table/csm_consumer",
    ] {
        for dv in ["false", "true", "all"] {
            let reply = sb
                .get(Who::Admin, &format!("{path}?sysparm_display_value={dv}"))
                .await;
            reply.expect(200);
            for row in reply.rows() {
                for (k, v) in row.as_object().unwrap() {
                    assert_all_strings(v, &format!("{path}[{dv}].{k}"));
                }
            }
        }
    }
}

// §1.3: sys_ids are 32 lowercase hex; datetimes are "YYYY-MM-DD HH:MM:SS" (UTC).
#[tokio::test]
async fn sys_ids_are_hex_and_datetimes_use_the_glide_format() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "d"}))
        .await;
    assert!(is_sys_id(case["sys_id"].as_str().unwrap()));
    for field in ["sys_created_on", "sys_updated_on", "opened_at"] {
        let v = case[field].as_str().unwrap();
        let b = v.as_bytes();
        assert_eq!(v.len(), 19, "{field}={v}");
        assert!(
            b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':',
            "{field}={v}"
        );
    }
}

// §1.2: name=value pairs that name a column filter the list (display values allowed for choice
// and reference fields); other unknown parameters are not filters.
#[tokio::test]
async fn name_value_pairs_filter_the_list() {
    let sb = Sandbox::start().await;
    let by_phone = sb
        .get(Who::Admin, &format!("{CONTACTS}?phone=%2B16692627777"))
        .await;
    by_phone.expect(200);
    assert_eq!(by_phone.rows().len(), 1);
    assert_eq!(by_phone.rows()[0]["name"], "Emily Carter");
    let two = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?phone=%2B16692627777&last_name=Brown"),
        )
        .await;
    assert_eq!(two.rows().len(), 0, "pairs are ANDed");
    let by_account_name = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?account={}", encode("Sakura Trading KK")),
        )
        .await;
    assert_eq!(by_account_name.rows().len(), 2);
    let not_a_field = sb
        .get(Who::Admin, &format!("{CONTACTS}?utm_source=mail"))
        .await;
    assert_eq!(not_a_field.rows().len(), DEMO_CONTACTS);

    sb.create_case(Who::Admin, &json!({"short_description": "new one"}))
        .await;
    sb.create_case(
        Who::Admin,
        &json!({"short_description": "open one", "state": "10"}),
    )
    .await;
    let by_label = sb.get(Who::Admin, &format!("{CASES}?state=New")).await;
    assert_eq!(by_label.rows().len(), 1);
    assert_eq!(by_label.rows()[0]["short_description"], "new one");
}

// §1.4: an unencoded `+` in the query string arrives as a space (servlet decoding).
#[tokio::test]
async fn plus_in_the_query_string_decodes_as_space() {
    let sb = Sandbox::start().await;
    let spaced = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=name=Emily+Carter"),
        )
        .await;
    assert_eq!(spaced.rows().len(), 1);
    let raw_plus = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=phone=+16692627777"),
        )
        .await;
    raw_plus.expect(200);
    assert_eq!(
        raw_plus.rows().len(),
        0,
        "`+1669...` must arrive as ` 1669...`"
    );
    let encoded = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=phone%3D%2B16692627777"),
        )
        .await;
    assert_eq!(encoded.rows().len(), 1);
}

// §1.4: `^^` is a literal caret inside a value.
#[tokio::test]
async fn double_caret_is_a_literal_caret() {
    let sb = Sandbox::start().await;
    sb.create_case(Who::Admin, &json!({"short_description": "alpha^beta"}))
        .await;
    sb.create_case(Who::Admin, &json!({"short_description": "alpha"}))
        .await;
    let escaped = sb
        .get(
            Who::Admin,
            &format!(
                "{CASES}?sysparm_query={}",
                encode("short_description=alpha^^beta")
            ),
        )
        .await;
    assert_eq!(escaped.rows().len(), 1);
    assert_eq!(escaped.rows()[0]["short_description"], "alpha^beta");
    // Unescaped, `beta` becomes a separate (invalid, dropped) term.
    let unescaped = sb
        .get(
            Who::Admin,
            &format!(
                "{CASES}?sysparm_query={}",
                encode("short_description=alpha^beta")
            ),
        )
        .await;
    assert_eq!(unescaped.rows().len(), 1);
    assert_eq!(unescaped.rows()[0]["short_description"], "alpha");
}

// §1.4: the injection example: `phone=x^NQactive=true` matches every active contact.
#[tokio::test]
async fn injected_new_query_in_a_value_matches_every_active_row() {
    let sb = Sandbox::start().await;
    let ani = "x^NQactive=true";
    let reply = sb
        .get(
            Who::Admin,
            &format!(
                "{CONTACTS}?sysparm_query={}",
                encode(&format!("phone={ani}"))
            ),
        )
        .await;
    reply.expect(200);
    assert_eq!(reply.total_count(), DEMO_CONTACTS);
    // Escaped as the reference recommends, it matches nothing.
    let safe = sb
        .get(
            Who::Admin,
            &format!(
                "{CONTACTS}?sysparm_query={}",
                encode(&format!("phone={}", ani.replace('^', "^^")))
            ),
        )
        .await;
    assert_eq!(safe.total_count(), 0);
}

// §1.2: invalid field names in sysparm_query are dropped; a wholly invalid query returns all rows.
#[tokio::test]
async fn invalid_query_fields_are_dropped() {
    let sb = Sandbox::start().await;
    let all = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=u_misspelt_phone%3D123"),
        )
        .await;
    all.expect(200);
    assert_eq!(all.total_count(), DEMO_CONTACTS);
    let partial = sb
        .get(
            Who::Admin,
            &format!(
                "{CONTACTS}?sysparm_query={}",
                encode("phone=+16692627777^u_misspelt=1")
            ),
        )
        .await;
    assert_eq!(partial.total_count(), 1);
}

// §1.2: glide.invalid_query.returns_no_rows=true (set through the Table API) returns no rows.
#[tokio::test]
async fn returns_no_rows_property_makes_invalid_queries_empty() {
    let sb = Sandbox::start().await;
    sb.set_property("glide.invalid_query.returns_no_rows", "true")
        .await;
    let none = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=u_misspelt_phone%3D123"),
        )
        .await;
    none.expect(200);
    assert_eq!(none.total_count(), 0);
    let valid = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=phone%3D%2B16692627777"),
        )
        .await;
    assert_eq!(valid.total_count(), 1);
    sb.set_property("glide.invalid_query.returns_no_rows", "false")
        .await;
    let again = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=u_misspelt_phone%3D123"),
        )
        .await;
    assert_eq!(again.total_count(), DEMO_CONTACTS);
}

// §1.4: ORDERBY / ORDERBYDESC order the results.
#[tokio::test]
async fn orderby_and_orderbydesc_sort_results() {
    let sb = Sandbox::start().await;
    let names = |reply: &Reply| -> Vec<String> {
        reply
            .rows()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let asc = sb
        .get(Who::Admin, &format!("{CONTACTS}?sysparm_query=ORDERBYname"))
        .await;
    let mut sorted = names(&asc);
    sorted.sort();
    assert_eq!(names(&asc), sorted);
    let desc = sb
        .get(
            Who::Admin,
            &format!("{CONTACTS}?sysparm_query=ORDERBYDESCname"),
        )
        .await;
    sorted.reverse();
    assert_eq!(names(&desc), sorted);
}

// §1.4 [DOC]: `javascript:` values are evaluated server-side (caller_id=javascript:gs.getUserID()).
#[tokio::test]
async fn javascript_values_are_evaluated_server_side() {
    let sb = Sandbox::start().await;
    sb.create_case(
        Who::User("alice.agent"),
        &json!({"short_description": "alice's"}),
    )
    .await;
    sb.create_case(
        Who::User("bob.agent"),
        &json!({"short_description": "bob's"}),
    )
    .await;
    let mine = sb
        .get(
            Who::User("alice.agent"),
            &format!(
                "{CASES}?sysparm_query={}",
                encode("opened_by=javascript:gs.getUserID()")
            ),
        )
        .await;
    mine.expect(200);
    assert_eq!(mine.rows().len(), 1);
    assert_eq!(mine.rows()[0]["short_description"], "alice's");
}

// §1.5: a client-supplied sys_id on POST is honoured (PySNC test_insert_custom_guid).
#[tokio::test]
async fn client_supplied_sys_id_is_honoured() {
    let sb = Sandbox::start().await;
    let id = "AAAABBBBCCCCDDDDEEEEFFFF00001111";
    let reply = sb
        .post(
            Who::Admin,
            CASES,
            &json!({"sys_id": id, "short_description": "custom guid"}),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.result()["sys_id"], id);
    assert!(reply
        .header("location")
        .unwrap()
        .ends_with(&format!("/{id}")));
    let read = sb.get(Who::Admin, &format!("{CASES}/{id}")).await;
    read.expect(200);
    assert_eq!(read.result()["short_description"], "custom guid");
}

// §1.5: a client-supplied number is honoured.
#[tokio::test]
async fn client_supplied_number_is_honoured() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"number": "GFHFGHTNBGF", "short_description": "n"}),
        )
        .await;
    assert_eq!(case["number"], "GFHFGHTNBGF");
}

// §1.5: unknown body fields are silently ignored; sys_ fields are not writable.
#[tokio::test]
async fn unknown_body_fields_are_ignored_and_sys_fields_not_writable() {
    let sb = Sandbox::start().await;
    let reply = sb
        .post(
            Who::User("alice.agent"),
            CASES,
            &json!({"short_description": "bunk", "bunk_field": "x", "sys_created_by": "mallory", "sys_mod_count": "99"}),
        )
        .await;
    reply.expect(201);
    let r = reply.result();
    assert!(r.get("bunk_field").is_none());
    assert_eq!(r["sys_created_by"], "alice.agent");
    assert_eq!(r["sys_mod_count"], "0");
    let path = format!("{CASES}/{}", r["sys_id"].as_str().unwrap());
    let patched = sb
        .patch(
            Who::User("alice.agent"),
            &path,
            &json!({"bunk_field": 1, "priority": "1"}),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.result()["priority"], "1");
}

// §1.1: `X-no-response-body: true` suppresses the body of POST, PUT and PATCH.
#[tokio::test]
async fn x_no_response_body_suppresses_write_bodies() {
    let sb = Sandbox::start().await;
    let created = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .header("X-no-response-body", "true")
                .json(&json!({"short_description": "quiet"})),
        )
        .await;
    created.expect(201);
    assert_eq!(created.text, "");
    let location = created.header("location").expect("Location still sent");
    let path = location.strip_prefix(&sb.base).unwrap().to_string();
    for method in [Method::PATCH, Method::PUT] {
        let updated = sb
            .send(
                sb.request(Who::Admin, method.clone(), &path)
                    .header("X-no-response-body", "true")
                    .json(&json!({"priority": "2"})),
            )
            .await;
        updated.expect(200);
        assert_eq!(updated.text, "", "{method}");
    }
    let read = sb.get(Who::Admin, &path).await;
    assert_eq!(read.result()["short_description"], "quiet");
    assert_eq!(read.result()["priority"], "2");
}

// §1.1: `X-http-method-override` is honoured.
#[tokio::test]
async fn x_http_method_override_is_honoured() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "override"}))
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let patched = sb
        .send(
            sb.request(Who::Admin, Method::POST, &path)
                .header("X-http-method-override", "PATCH")
                .json(&json!({"priority": "1"})),
        )
        .await;
    patched.expect(200);
    assert_eq!(patched.result()["priority"], "1");
    let deleted = sb
        .send(
            sb.request(Who::Admin, Method::POST, &path)
                .header("X-http-method-override", "DELETE"),
        )
        .await;
    deleted.expect(204);
    sb.get(Who::Admin, &path).await.expect(404);
}

// §1.1: a body that is an array has only its first element processed.
#[tokio::test]
async fn array_body_processes_only_the_first_element() {
    let sb = Sandbox::start().await;
    let reply = sb
        .post(
            Who::Admin,
            CASES,
            &json!([{"short_description": "first"}, {"short_description": "second"}]),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.result()["short_description"], "first");
    let all = sb.get(Who::Admin, CASES).await;
    assert_eq!(all.total_count(), 1);
}

fn is_case_number(n: &str) -> bool {
    n.len() == 9 && n.starts_with("CS") && n[2..].chars().all(|c| c.is_ascii_digit())
}

// §1.5 / §3.1: server defaults in the 201 body: CS + 7 digits, state 1 (New), priority 4,
// opened_by = the caller, opened_at, active, sys_created_by.
#[tokio::test]
async fn case_insert_fills_number_state_priority_and_opened_by() {
    let sb = Sandbox::start().await;
    let alice = sb.user_id("alice.agent").await;
    let first = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "Phone call", "contact_type": "phone"}),
        )
        .await;
    let number = first["number"].as_str().unwrap();
    assert!(is_case_number(number), "{number}");
    assert_eq!(first["state"], "1");
    assert_eq!(first["priority"], "4");
    assert_eq!(first["active"], "true");
    assert_eq!(first["contact_type"], "phone");
    assert_eq!(first["opened_by"]["value"], alice.as_str());
    assert_eq!(first["sys_created_by"], "alice.agent");
    assert_eq!(first["sys_class_name"], "sn_customerservice_case");
    assert!(!first["opened_at"].as_str().unwrap().is_empty());
    let second = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "Another call"}),
        )
        .await;
    let n1: u64 = number[2..].parse().unwrap();
    let n2: u64 = second["number"].as_str().unwrap()[2..].parse().unwrap();
    assert_eq!(n2, n1 + 1);
}

// §3.1: journal fields (work_notes, comments) are write-only; reads return "".
#[tokio::test]
async fn journal_fields_read_back_empty() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(
            Who::Admin,
            &json!({"short_description": "j", "work_notes": "Called from +16692627777", "comments": "hi"}),
        )
        .await;
    assert_eq!(case["work_notes"], "");
    assert_eq!(case["comments"], "");
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let read = sb.get(Who::Admin, &path).await;
    assert_eq!(read.result()["work_notes"], "");
    let patched = sb
        .patch(Who::Admin, &path, &json!({"work_notes": "more"}))
        .await;
    patched.expect(200);
    assert_eq!(patched.result()["work_notes"], "");
    let picked = sb
        .get(Who::Admin, &format!("{path}?sysparm_fields=work_notes"))
        .await;
    assert_eq!(picked.result()["work_notes"], "");
}

// servicenow.md, the Case table: journal entries are read from sys_journal_field, one entry per
// write, by its writer, newest by sys_created_on; a user who works Cases may read them, one
// without a role may not.
#[tokio::test]
async fn each_journal_write_is_one_sys_journal_field_entry() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(
            Who::User("alice.agent"),
            &json!({"short_description": "j", "work_notes": "Called from +16692627777"}),
        )
        .await;
    let sys_id = case["sys_id"].as_str().unwrap();
    let path = format!("{CASES}/{sys_id}");
    sb.patch(
        Who::User("alice.agent"),
        &path,
        &json!({"work_notes": "Resolved: router replaced."}),
    )
    .await
    .expect(200);
    sb.patch(
        Who::User("alice.agent"),
        &path,
        &json!({"short_description": "no journal here"}),
    )
    .await
    .expect(200);
    let query = format!(
        "/api/now/table/sys_journal_field?sysparm_query=element_id={sys_id}^element=work_notes^ORDERBYsys_created_on"
    );
    let entries = sb.get(Who::User("alice.agent"), &query).await;
    entries.expect(200);
    let entries = entries.result().as_array().unwrap().clone();
    let values: Vec<&str> = entries
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        ["Called from +16692627777", "Resolved: router replaced."]
    );
    for entry in &entries {
        assert_eq!(entry["name"], "sn_customerservice_case");
        assert_eq!(entry["element"], "work_notes");
        assert_eq!(entry["sys_created_by"], "alice.agent");
    }
    // The Case itself still reads "" for the journal.
    assert_eq!(sb.get(Who::Admin, &path).await.result()["work_notes"], "");
    sb.get(Who::User("carol.norole"), &query).await.expect(403);
}

// §1.2: sysparm_fields, sysparm_display_value and sysparm_exclude_reference_link shape the
// answer of writes too.
#[tokio::test]
async fn read_parameters_shape_write_responses() {
    let sb = Sandbox::start().await;
    let contact = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let reply = sb
        .post(
            Who::Admin,
            &format!(
                "{CASES}?sysparm_fields=number,state,contact&sysparm_display_value=true&sysparm_exclude_reference_link=true"
            ),
            &json!({"short_description": "shaped", "contact": contact}),
        )
        .await;
    reply.expect(201);
    let keys: Vec<&str> = reply
        .result()
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["number", "state", "contact"]);
    assert_eq!(reply.result()["state"], "New");
    assert_eq!(reply.result()["contact"], "Emily Carter");
}

// §1.2: sysparm_input_display_value=true reads references by display value and choices by label.
#[tokio::test]
async fn input_display_values_resolve_references_and_choices() {
    let sb = Sandbox::start().await;
    let contact = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let reply = sb
        .post(
            Who::Admin,
            &format!("{CASES}?sysparm_input_display_value=true"),
            &json!({"short_description": "by label", "contact": "Emily Carter", "state": "Open", "priority": "2 - High"}),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.result()["contact"]["value"], contact.as_str());
    assert_eq!(reply.result()["state"], "10");
    assert_eq!(reply.result()["priority"], "2");
    // Without the parameter the raw input is stored as given.
    let raw = sb
        .post(
            Who::Admin,
            CASES,
            &json!({"short_description": "raw", "state": "10"}),
        )
        .await;
    assert_eq!(raw.result()["state"], "10");
}

// §1.4: `^OR`, `^NQ`, `^EQ` (ignored), LIKE (case-insensitive) and dot-walked query fields.
#[tokio::test]
async fn encoded_query_separators_operators_and_dot_walks() {
    let sb = Sandbox::start().await;
    let count = |q: &'static str| {
        let sb = &sb;
        async move {
            let reply = sb
                .get(
                    Who::Admin,
                    &format!("{CONTACTS}?sysparm_query={}", encode(q)),
                )
                .await;
            reply.expect(200);
            reply.total_count()
        }
    };
    assert_eq!(
        count("phone=+16692627777^ORphone=(669) 262-7777^EQ").await,
        2
    );
    assert_eq!(count("phone=+16692627777^NQlast_name=Sato").await, 2);
    assert_eq!(count("nameLIKEemily").await, 1);
    assert_eq!(count("account.name=Sakura Trading KK").await, 2);
    assert_eq!(
        count("account.nameSTARTSWITHNaniwa^mobile_phoneISNOTEMPTY").await,
        2
    );
    assert_eq!(count("phoneISEMPTY").await, 1);
    sb.create_case(
        Who::Admin,
        &json!({"short_description": "dot", "contact": sb.sys_id_of("customer_contact", "name=Yui Sato").await}),
    )
    .await;
    let by_contact = sb
        .get(
            Who::Admin,
            &format!(
                "{CASES}?sysparm_query={}",
                encode("contact.phone=+81 3-1234-5678")
            ),
        )
        .await;
    assert_eq!(by_contact.total_count(), 1);
}

// §3 / §3.2: customer_contact extends sys_user; a query on the parent table returns contacts too,
// with sys_class_name "customer_contact".
#[tokio::test]
async fn parent_table_queries_include_extending_records() {
    let sb = Sandbox::start().await;
    let contacts = sb
        .get(
            Who::Admin,
            &format!(
                "/api/now/table/sys_user?sysparm_query={}",
                encode("sys_class_name=customer_contact")
            ),
        )
        .await;
    contacts.expect(200);
    assert_eq!(contacts.total_count(), DEMO_CONTACTS);
    let emily = sb.sys_id_of("customer_contact", "name=Emily Carter").await;
    let through_parent = sb
        .get(Who::Admin, &format!("/api/now/table/sys_user/{emily}"))
        .await;
    through_parent.expect(200);
    assert_eq!(
        through_parent.result()["sys_class_name"],
        "customer_contact"
    );
    assert_eq!(through_parent.result()["phone"], "+16692627777");
    // And cases are tasks.
    sb.create_case(Who::Admin, &json!({"short_description": "a task"}))
        .await;
    let tasks = sb.get(Who::Admin, "/api/now/table/task").await;
    assert_eq!(tasks.total_count(), 1);
    assert_eq!(tasks.rows()[0]["sys_class_name"], "sn_customerservice_case");
}

// §1.3 / §1.5: sys_updated_on and sys_updated_by follow updates; sys_created_* do not.
#[tokio::test]
async fn updates_maintain_the_system_fields() {
    let sb = Sandbox::start().await;
    let case = sb
        .create_case(Who::User("alice.agent"), &json!({"short_description": "s"}))
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    sb.advance_clock(120).await;
    let patched = sb
        .patch(Who::User("bob.agent"), &path, &json!({"priority": "3"}))
        .await;
    patched.expect(200);
    let r = patched.result();
    assert_eq!(r["sys_created_on"], case["sys_created_on"]);
    assert_eq!(r["sys_created_by"], "alice.agent");
    assert_eq!(r["sys_updated_by"], "bob.agent");
    assert!(r["sys_updated_on"].as_str().unwrap() > case["sys_updated_on"].as_str().unwrap());
    assert_eq!(
        r["opened_by"], case["opened_by"],
        "opened_by is set once, at insert"
    );
}

// §1.3: Link URLs keep the other parameters (the query, the fields) so that following them pages
// through the same result set.
#[tokio::test]
async fn link_urls_carry_the_query_and_other_parameters() {
    let sb = Sandbox::start().await;
    let query = "phoneISNOTEMPTY^ORDERBYDESCname";
    let first = sb
        .get(
            Who::Admin,
            &format!(
                "{CONTACTS}?sysparm_query={}&sysparm_fields=name&sysparm_limit=4",
                encode(query)
            ),
        )
        .await;
    first.expect(200);
    assert_eq!(first.total_count(), 7);
    let next = link(&links(&first), "next").unwrap().to_string();
    let page = sb
        .send(sb.request(
            Who::Admin,
            Method::GET,
            next.strip_prefix(&sb.base).unwrap(),
        ))
        .await;
    page.expect(200);
    assert_eq!(page.rows().len(), 3);
    let mut names: Vec<String> = first
        .rows()
        .iter()
        .chain(page.rows())
        .map(|r| {
            assert_eq!(
                r.as_object().unwrap().len(),
                1,
                "only the requested field: {r}"
            );
            r["name"].as_str().unwrap().to_string()
        })
        .collect();
    let shown = names.clone();
    names.sort();
    names.reverse();
    assert_eq!(shown, names, "ORDERBYDESC kept across pages");
    assert!(
        !shown.contains(&"Ken Watanabe".to_string()),
        "the filter was kept"
    );
}

// §3.1: case numbers stay unique under concurrent inserts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inserts_get_unique_numbers() {
    let sb = Sandbox::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let request = sb
            .request(Who::User("alice.agent"), Method::POST, CASES)
            .json(&json!({"short_description": format!("concurrent {i}")}));
        tasks.spawn(async move {
            let response = request.send().await.expect("request completes");
            assert_eq!(response.status().as_u16(), 201);
            let body: Value = response.json().await.expect("JSON");
            body["result"]["number"].as_str().unwrap().to_string()
        });
    }
    let mut numbers = Vec::new();
    while let Some(number) = tasks.join_next().await {
        numbers.push(number.expect("task"));
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 24);
    assert!(numbers.iter().all(|n| is_case_number(n)));
    assert_eq!(sb.get(Who::Admin, CASES).await.total_count(), 24);
}
