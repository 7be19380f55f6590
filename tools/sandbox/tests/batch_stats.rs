//! The Batch API (servicenow.md §4.1) and the Aggregate API (§4.2), driven over HTTP against an
//! in-process sandbox, as a client would see them.

use base64::Engine;
use callbridge_sandbox::{start, RunningSandbox, SandboxOptions};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

struct Harness {
    sandbox: RunningSandbox,
    http: Client,
}

impl Harness {
    async fn new() -> Harness {
        let sandbox = start(SandboxOptions {
            insecure_http: true,
            ..Default::default()
        })
        .await
        .expect("sandbox starts");
        Harness {
            sandbox,
            http: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url)
    }

    /// (user, password) for `admin` or a demo agent.
    fn login(&self, user: &str) -> (String, String) {
        let c = &self.sandbox.credentials;
        let password = c.password(user).expect("a seeded account").to_string();
        (user.to_string(), password)
    }

    async fn post_json(&self, user: &str, path: &str, body: &Value) -> reqwest::Response {
        let (u, p) = self.login(user);
        self.http
            .post(self.url(path))
            .basic_auth(u, Some(p))
            .header("Accept", "application/json")
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    async fn get(&self, user: &str, path: &str) -> reqwest::Response {
        let (u, p) = self.login(user);
        self.http
            .get(self.url(path))
            .basic_auth(u, Some(p))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("request sent")
    }

    async fn batch(&self, user: &str, body: &Value) -> reqwest::Response {
        self.post_json(user, "/api/now/v1/batch", body).await
    }

    /// Creates a case as admin through the Table API; returns its sys_id.
    async fn case(&self, marker: &str, priority: &str, state: &str) -> String {
        let body = json!({
            "short_description": format!("stats {marker}"),
            "correlation_id": marker,
            "priority": priority,
            "state": state,
        });
        let response = self
            .post_json("admin", "/api/now/table/sn_customerservice_case", &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        created["result"]["sys_id"].as_str().unwrap().to_string()
    }

    /// Sets a `sys_properties` value as admin.
    async fn set_property(&self, name: &str, value: &str) {
        let body = json!({ "name": name, "value": value, "type": "string" });
        let response = self
            .post_json("admin", "/api/now/table/sys_properties", &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn unb64(value: &Value) -> Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.as_str().expect("body is a string"))
        .expect("body is base64");
    serde_json::from_slice(&bytes).expect("body is JSON")
}

fn json_headers() -> Value {
    json!([
        {"name": "Content-Type", "value": "application/json"},
        {"name": "Accept", "value": "application/json"}
    ])
}

fn get_item(id: &str, url: &str) -> Value {
    json!({"id": id, "method": "GET", "url": url, "headers": json_headers(), "exclude_response_headers": true})
}

fn item_ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v["id"].as_str().unwrap().to_string())
        })
        .collect()
}

fn assert_envelope(body: &Value, message: &str) {
    assert_eq!(body["status"], "failure", "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
}

// ---------------------------------------------------------------------------------------------
// Batch API (servicenow.md §4.1)

/// §4.1: items run in order; bodies travel base64 both ways; an int batch_request_id comes back
/// as a string (PySNC asserts `str(bid) == data['batch_request_id']`); status_code, status_text,
/// headers (empty with exclude_response_headers) and an integer execution_time per item.
#[tokio::test]
async fn batch_runs_get_and_post_items_and_echoes_the_id_as_a_string() {
    let h = Harness::new().await;
    let case = json!({"short_description": "created in a batch", "correlation_id": "batch-1"});
    let body = json!({
        "batch_request_id": 42,
        "rest_requests": [
            get_item("11", "/api/now/table/sys_user?sysparm_limit=1&sysparm_fields=user_name"),
            {
                "id": "12",
                "method": "POST",
                "url": "/api/now/table/sn_customerservice_case",
                "headers": json_headers(),
                "body": b64(&case.to_string()),
            },
        ]
    });
    let response = h.batch("admin", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let out: Value = response.json().await.unwrap();
    assert_eq!(out["batch_request_id"], json!("42"));
    assert_eq!(out["unserviced_requests"], json!([]));
    let items = out["serviced_requests"].as_array().unwrap();
    assert_eq!(items.len(), 2);

    let listed = &items[0];
    assert_eq!(listed["id"], "11");
    assert_eq!(listed["status_code"], 200);
    assert_eq!(listed["status_text"], "OK");
    assert_eq!(listed["headers"], json!([]));
    assert!(listed["execution_time"].is_u64());
    let listed_body = unb64(&listed["body"]);
    assert_eq!(listed_body["result"].as_array().unwrap().len(), 1);

    let created = &items[1];
    assert_eq!(created["id"], "12");
    assert_eq!(created["status_code"], 201);
    assert_eq!(created["status_text"], "Created");
    let headers = created["headers"].as_array().unwrap();
    assert!(headers.iter().any(|h| h["name"] == "Content-Type"
        && h["value"].as_str().unwrap().starts_with("application/json")));
    assert!(headers.iter().any(|h| h["name"] == "Location"));
    let record = unb64(&created["body"]);
    assert_eq!(record["result"]["short_description"], "created in a batch");
    let sys_id = record["result"]["sys_id"].as_str().unwrap();

    // The write really happened: a direct Table API read finds it.
    let direct = h
        .get(
            "admin",
            &format!("/api/now/table/sn_customerservice_case/{sys_id}"),
        )
        .await;
    assert_eq!(direct.status(), StatusCode::OK);
}

/// §4.1: a string batch_request_id is echoed unchanged.
#[tokio::test]
async fn batch_echoes_a_string_id_unchanged() {
    let h = Harness::new().await;
    let body = json!({"batch_request_id": "abc-1", "rest_requests": [get_item("1", "/api/now/table/sys_user?sysparm_limit=1")]});
    let out: Value = h.batch("admin", &body).await.json().await.unwrap();
    assert_eq!(out["batch_request_id"], "abc-1");
    assert_eq!(out["serviced_requests"][0]["status_code"], 200);
}

/// §4.1 "ACLs apply per item": items run as the batch's caller, so an agent without the CSM
/// role gets the Table API's 403s (§1.6) inside a 200 batch, and a CSM agent does not.
#[tokio::test]
async fn batch_applies_acls_per_item_as_the_calling_user() {
    let h = Harness::new().await;
    let case = b64(&json!({"short_description": "acl probe"}).to_string());
    let body = json!({
        "batch_request_id": "7",
        "rest_requests": [
            get_item("read", "/api/now/table/customer_contact?sysparm_limit=1"),
            {"id": "write", "method": "POST", "url": "/api/now/table/sn_customerservice_case",
             "headers": json_headers(), "body": case},
            get_item("users", "/api/now/table/sys_user?sysparm_limit=1"),
        ]
    });

    let response = h.batch("carol.norole", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let out: Value = response.json().await.unwrap();
    let items = out["serviced_requests"].as_array().unwrap();
    assert_eq!(items[0]["status_code"], 403);
    assert_envelope(
        &unb64(&items[0]["body"]),
        "Insufficient rights to query records",
    );
    assert_eq!(items[1]["status_code"], 403);
    assert_envelope(&unb64(&items[1]["body"]), "Operation Failed");
    // sys_user is readable by any authenticated user.
    assert_eq!(items[2]["status_code"], 200);

    let out: Value = h.batch("alice.agent", &body).await.json().await.unwrap();
    let items = out["serviced_requests"].as_array().unwrap();
    assert_eq!(items[0]["status_code"], 200);
    assert_eq!(items[1]["status_code"], 201);
    let created = unb64(&items[1]["body"]);
    // Written as alice: opened_by is the batch's caller (§1.5).
    let alice = h
        .get("admin", "/api/now/table/sys_user?user_name=alice.agent")
        .await;
    let alice: Value = alice.json().await.unwrap();
    assert_eq!(
        created["result"]["opened_by"]["value"],
        alice["result"][0]["sys_id"]
    );
}

/// §4.1 limits: an item over 5 MB (glide.rest.batch.max.inputSize) is not run; it and every
/// item after it come back as ids in unserviced_requests.
#[tokio::test]
async fn batch_item_over_the_input_limit_and_the_rest_are_unserviced() {
    let h = Harness::new().await;
    let big = json!({"short_description": "x", "description": "y".repeat(6 * 1024 * 1024)});
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [
            get_item("first", "/api/now/table/sys_user?sysparm_limit=1"),
            {"id": "big", "method": "POST", "url": "/api/now/table/sn_customerservice_case",
             "headers": json_headers(), "body": b64(&big.to_string())},
            get_item("after", "/api/now/table/sys_user?sysparm_limit=1"),
        ]
    });
    let response = h.batch("admin", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let out: Value = response.json().await.unwrap();
    assert_eq!(item_ids(&out["serviced_requests"]), vec!["first"]);
    assert_eq!(out["unserviced_requests"], json!(["big", "after"]));
    // The oversized case was never inserted.
    let count: Value = h
        .get(
            "admin",
            "/api/now/stats/sn_customerservice_case?sysparm_count=true",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["result"]["stats"]["count"], "0");
}

/// §4.1 limits: the input limit follows glide.rest.batch.max.inputSize when it is set.
#[tokio::test]
async fn batch_input_limit_follows_the_property() {
    let h = Harness::new().await;
    h.set_property("glide.rest.batch.max.inputSize", "64").await;
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [
            {"id": "small", "method": "POST", "url": "/api/now/table/sn_customerservice_case",
             "headers": json_headers(), "body": b64(&json!({"short_description": "s"}).to_string())},
            {"id": "large", "method": "POST", "url": "/api/now/table/sn_customerservice_case",
             "headers": json_headers(), "body": b64(&json!({"short_description": "l".repeat(100)}).to_string())},
        ]
    });
    let out: Value = h.batch("admin", &body).await.json().await.unwrap();
    assert_eq!(item_ids(&out["serviced_requests"]), vec!["small"]);
    assert_eq!(out["unserviced_requests"], json!(["large"]));
}

/// §4.1 limits: X-BATCHREQUEST-MAX-OUTPUT-SIZE lowers the per-item response limit; an item
/// whose response is over it, and every item after it, come back unserviced.
#[tokio::test]
async fn batch_item_response_over_the_output_limit_is_unserviced() {
    let h = Harness::new().await;
    let (u, p) = h.login("admin");
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [
            get_item("tiny", "/api/now/stats/sys_user?sysparm_count=true"),
            get_item("list", "/api/now/table/sys_user?sysparm_limit=5"),
            get_item("after", "/api/now/stats/sys_user?sysparm_count=true"),
        ]
    });
    let response = h
        .http
        .post(h.url("/api/now/v1/batch"))
        .basic_auth(u, Some(p))
        .header("X-BATCHREQUEST-MAX-OUTPUT-SIZE", "200")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let out: Value = response.json().await.unwrap();
    assert_eq!(item_ids(&out["serviced_requests"]), vec!["tiny"]);
    assert_eq!(out["unserviced_requests"], json!(["list", "after"]));
}

/// §4.1 limits: once the transaction's time budget (30 s, the "REST Batch API request
/// timeout" quota; shrunk here through the sandbox property) is spent, the remaining items are
/// returned unserviced.
#[tokio::test]
async fn batch_time_budget_spent_leaves_items_unserviced() {
    let h = Harness::new().await;
    h.set_property("x_cb_sandbox.batch_timeout_ms", "0").await;
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [
            get_item("a", "/api/now/table/sys_user?sysparm_limit=1"),
            get_item("b", "/api/now/table/sys_user?sysparm_limit=1"),
        ]
    });
    let out: Value = h.batch("admin", &body).await.json().await.unwrap();
    assert_eq!(out["serviced_requests"], json!([]));
    assert_eq!(out["unserviced_requests"], json!(["a", "b"]));
}

/// §1.6 / §4.1 status codes: the batch itself needs credentials (401 envelope with
/// WWW-Authenticate), before anything in it runs.
#[tokio::test]
async fn batch_without_credentials_is_401() {
    let h = Harness::new().await;
    let body = json!({"batch_request_id": "1", "rest_requests": [get_item("1", "/api/now/table/sys_user")]});
    let response = h
        .http
        .post(h.url("/api/now/v1/batch"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let out: Value = response.json().await.unwrap();
    assert_envelope(&out, "User Not Authenticated");
}

/// §1.6 "Malformed body": a batch that is not JSON is 400 `Exception while reading request`.
#[tokio::test]
async fn batch_malformed_json_is_400_exception_while_reading_request() {
    let h = Harness::new().await;
    let (u, p) = h.login("admin");
    let response = h
        .http
        .post(h.url("/api/now/v1/batch"))
        .basic_auth(u, Some(p))
        .header("Content-Type", "application/json")
        .body("{\"batch_request_id\": \"1\", \"rest_requests\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let out: Value = response.json().await.unwrap();
    assert_envelope(&out, "Exception while reading request");
}

/// §4.1: the endpoint is versioned only; `/api/now/batch` names no resource (§1.6 400).
/// The versioned Table API routes keep working next to `/api/now/v1/batch` (§1.1).
#[tokio::test]
async fn batch_has_no_unversioned_url() {
    let h = Harness::new().await;
    let body = json!({"batch_request_id": "1", "rest_requests": []});
    let response = h.post_json("admin", "/api/now/batch", &body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let out: Value = response.json().await.unwrap();
    assert_envelope(&out, "Requested URI does not represent any resource");
    let response = h
        .get("admin", "/api/now/v1/table/sys_user?sysparm_limit=1")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// §4.1 + §1.6: an item URL that names no resource the sandbox serves is still serviced, with
/// the instance's 400 "no resource" envelope; later items still run.
#[tokio::test]
async fn batch_item_for_an_unknown_resource_is_serviced_with_400() {
    let h = Harness::new().await;
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [
            get_item("other", "/api/global/user_role_inheritance"),
            get_item("next", "/api/now/v2/table/sys_user?sysparm_limit=1"),
        ]
    });
    let out: Value = h.batch("admin", &body).await.json().await.unwrap();
    let items = out["serviced_requests"].as_array().unwrap();
    assert_eq!(items[0]["status_code"], 400);
    assert_eq!(items[0]["status_text"], "Bad Request");
    assert_envelope(
        &unb64(&items[0]["body"]),
        "Requested URI does not represent any resource",
    );
    assert_eq!(items[1]["status_code"], 200);
}

/// §1.6 rate limiting: the batch request is counted against the "Batch API" service, with the
/// X-RateLimit-* headers and a 429 once over the limit.
#[tokio::test]
async fn batch_is_rate_limited_as_the_batch_api_service() {
    let h = Harness::new().await;
    let rule = json!({"name": "one batch", "rest_service": "Batch API", "type": "all_users", "request_limit": "1"});
    let response = h
        .post_json("admin", "/api/now/table/sys_rate_limit_rules", &rule)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = json!({"batch_request_id": "1", "rest_requests": [get_item("1", "/api/now/table/sys_user?sysparm_limit=1")]});
    let first = h.batch("alice.agent", &body).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["x-ratelimit-limit"], "1");
    let second = h.batch("alice.agent", &body).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().contains_key("retry-after"));
    // The Table API is a different service: still open.
    let table = h
        .get("alice.agent", "/api/now/table/sys_user?sysparm_limit=1")
        .await;
    assert_eq!(table.status(), StatusCode::OK);
}

/// §4.1 "You can include any API available on the instance": an Aggregate API URL in a batch
/// is served by the Aggregate API.
#[tokio::test]
async fn batch_item_can_call_the_aggregate_api() {
    let h = Harness::new().await;
    h.case("batch-agg", "2", "1").await;
    let body = json!({
        "batch_request_id": "1",
        "rest_requests": [get_item("s", "/api/now/stats/sn_customerservice_case?sysparm_count=true&correlation_id=batch-agg")]
    });
    let out: Value = h.batch("admin", &body).await.json().await.unwrap();
    let item = &out["serviced_requests"][0];
    assert_eq!(item["status_code"], 200);
    assert_eq!(
        unb64(&item["body"]),
        json!({"result": {"stats": {"count": "1"}}})
    );
}

// ---------------------------------------------------------------------------------------------
// Aggregate API (servicenow.md §4.2)

/// §4.2 ungrouped shape `{"result":{"stats":{"count":"N"}}}`, the count a string (§1.3), on the
/// default and the v1 URL, with sysparm_query or name=value filters (§1.2).
#[tokio::test]
async fn stats_count_is_a_string_in_the_ungrouped_shape() {
    let h = Harness::new().await;
    for p in ["1", "2", "4"] {
        h.case("count", p, "1").await;
    }
    h.case("other", "1", "1").await;
    let out: Value = h
        .get("admin", "/api/now/stats/sn_customerservice_case?sysparm_count=true&sysparm_query=correlation_id%3Dcount")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out, json!({"result": {"stats": {"count": "3"}}}));
    let out: Value = h
        .get(
            "admin",
            "/api/now/v1/stats/sn_customerservice_case?sysparm_count=true&correlation_id=count",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out, json!({"result": {"stats": {"count": "3"}}}));
    // Without a filter every case counts.
    let out: Value = h
        .get(
            "admin",
            "/api/now/stats/sn_customerservice_case?sysparm_count=true",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out["result"]["stats"]["count"], "4");
}

/// §4.2: avg (four decimals), min, max and sum come back per field, as strings.
#[tokio::test]
async fn stats_avg_min_max_sum_are_strings_with_avg_to_four_decimals() {
    let h = Harness::new().await;
    for p in ["1", "2", "4"] {
        h.case("agg", p, "1").await;
    }
    let path = "/api/now/stats/sn_customerservice_case?correlation_id=agg&sysparm_count=true\
        &sysparm_avg_fields=priority&sysparm_min_fields=priority&sysparm_max_fields=priority\
        &sysparm_sum_fields=priority";
    let out: Value = h.get("admin", path).await.json().await.unwrap();
    assert_eq!(
        out,
        json!({"result": {"stats": {
            "count": "3",
            "avg": {"priority": "2.3333"},
            "min": {"priority": "1"},
            "max": {"priority": "4"},
            "sum": {"priority": "7"},
        }}})
    );
}

/// §4.2 grouped shape `{"result":[{"stats":{..},"groupby_fields":[{"field","value"}]}]}`, and
/// with sysparm_display_value each group-by entry also carries the display value (§1.3 choice
/// labels).
#[tokio::test]
async fn stats_group_by_returns_one_entry_per_group() {
    let h = Harness::new().await;
    for (p, s) in [("1", "1"), ("1", "10"), ("3", "1")] {
        h.case("grp", p, s).await;
    }
    let out: Value = h
        .get(
            "admin",
            "/api/now/stats/sn_customerservice_case?correlation_id=grp&sysparm_count=true&sysparm_group_by=priority",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"result": [
            {"stats": {"count": "2"}, "groupby_fields": [{"field": "priority", "value": "1"}]},
            {"stats": {"count": "1"}, "groupby_fields": [{"field": "priority", "value": "3"}]},
        ]})
    );

    let out: Value = h
        .get(
            "admin",
            "/api/now/stats/sn_customerservice_case?correlation_id=grp&sysparm_count=true\
             &sysparm_group_by=priority,state&sysparm_display_value=true",
        )
        .await
        .json()
        .await
        .unwrap();
    let groups = out["result"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        groups[0]["groupby_fields"],
        json!([
            {"field": "priority", "value": "1", "display_value": "1 - Critical"},
            {"field": "state", "value": "1", "display_value": "New"},
        ])
    );
}

/// §4.2 sysparm_having `aggregate^field^op^value` keeps only the groups that pass, and
/// sysparm_order_by orders groups by a field or an aggregate (`^DESC` to reverse).
#[tokio::test]
async fn stats_having_filters_groups_and_order_by_sorts_them() {
    let h = Harness::new().await;
    for p in ["1", "2", "2", "3", "3", "3"] {
        h.case("hav", p, "1").await;
    }
    let base = "/api/now/stats/sn_customerservice_case?correlation_id=hav&sysparm_count=true&sysparm_group_by=priority";
    let values = |out: &Value| -> Vec<String> {
        out["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                g["groupby_fields"][0]["value"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let out: Value = h
        .get(
            "admin",
            &format!("{base}&sysparm_having=count^priority^>^1"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(values(&out), vec!["2", "3"]);
    let out: Value = h
        .get(
            "admin",
            &format!("{base}&sysparm_having=count^priority^>=^2,avg^priority^<^3"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(values(&out), vec!["2"]);
    let out: Value = h
        .get("admin", &format!("{base}&sysparm_order_by=COUNT^DESC"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(values(&out), vec!["3", "2", "1"]);
    assert_eq!(out["result"][0]["stats"]["count"], "3");
    let out: Value = h
        .get("admin", &format!("{base}&sysparm_order_by=priority^DESC"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(values(&out), vec!["3", "2", "1"]);
}

/// §4.2 "403 when the table is unreadable" with the §1.6 read-denial envelope; a CSM agent
/// passes the same table's read ACL.
#[tokio::test]
async fn stats_without_read_access_is_403() {
    let h = Harness::new().await;
    let path = "/api/now/stats/customer_contact?sysparm_count=true";
    let denied = h.get("carol.norole", path).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let out: Value = denied.json().await.unwrap();
    assert_envelope(&out, "Insufficient rights to query records");
    let allowed = h.get("alice.agent", path).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    let out: Value = allowed.json().await.unwrap();
    assert!(
        out["result"]["stats"]["count"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

/// §1.6 "Unknown table": 400 `Invalid table <name>`.
#[tokio::test]
async fn stats_on_an_unknown_table_is_400_invalid_table() {
    let h = Harness::new().await;
    let response = h
        .get("admin", "/api/now/stats/u_no_such_table?sysparm_count=true")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let out: Value = response.json().await.unwrap();
    assert_envelope(&out, "Invalid table u_no_such_table");
}

/// §4.2 statuses 200/401/403/500: no credentials is the §1.6 401 envelope.
#[tokio::test]
async fn stats_without_credentials_is_401() {
    let h = Harness::new().await;
    let response = h
        .http
        .get(h.url("/api/now/stats/sys_user?sysparm_count=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let out: Value = response.json().await.unwrap();
    assert_envelope(&out, "User Not Authenticated");
}

/// §1.6 rate limiting: stats requests count against the "Aggregate API" service.
#[tokio::test]
async fn stats_is_rate_limited_as_the_aggregate_api_service() {
    let h = Harness::new().await;
    let rule = json!({"name": "one stats", "rest_service": "Aggregate API", "type": "all_users", "request_limit": "1"});
    let response = h
        .post_json("admin", "/api/now/table/sys_rate_limit_rules", &rule)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let path = "/api/now/stats/sys_user?sysparm_count=true";
    assert_eq!(h.get("alice.agent", path).await.status(), StatusCode::OK);
    assert_eq!(
        h.get("alice.agent", path).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
