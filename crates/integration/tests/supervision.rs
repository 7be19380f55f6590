//! The supervisor's console API (`docs/console-api.md`: "Live wall", "Call history") over real
//! HTTP against a real server and store: who may use it (agents get 403, nobody signed in 401,
//! a page of another site 403), that a tenant sees its own calls only, that bad filters get a
//! 400 saying what to write, keyset paging, the Case and recording links, and the formula-safe
//! CSV.

use std::sync::Arc;

use callbridge_config::Config;
use callbridge_core::{CallId, CaseRef, RecordId};
use callbridge_crm::Crm;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_store::{CallRecordRow, Role, SecretKey};
use callbridge_testkit::MemoryCrm;
use callbridge_web::account::provision::{self, Wanted};
use callbridge_web::RunningServer;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";
/// 2026-12-06T00:00:00Z.
const DAY: i64 = 1_796_515_200_000;

struct Center {
    server: RunningServer,
    http: reqwest::Client,
    url: String,
    _dir: tempfile::TempDir,
}

fn row(
    tenant: &str,
    call: &str,
    minute: i64,
    customer: &str,
    agent: Option<&str>,
    outcome: &str,
) -> CallRecordRow {
    CallRecordRow {
        tenant: tenant.into(),
        call_id: call.into(),
        direction: "inbound".into(),
        customer: customer.into(),
        queue: Some("support".into()),
        first_agent: agent.map(str::to_string),
        last_agent: agent.map(str::to_string),
        outcome: outcome.into(),
        started_at: DAY + minute * 60_000,
        ended_at: DAY + minute * 60_000 + 95_000,
        record: "{}".into(),
    }
}

impl Center {
    async fn start() -> Center {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().to_base64();
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:0"
public_url = "https://cb.example"
database_url = "sqlite://{db}"
master_key = "{key}"

[[tenant]]
id = "acme"
default_region = "JP"
[tenant.servicenow]
instance_url = "https://acme.example.com"
client_id = "unused"
client_secret = "unused"

[[tenant]]
id = "globex"
default_region = "US"
[tenant.servicenow]
instance_url = "https://globex.example.com"
client_id = "unused"
client_secret = "unused"
"#,
            db = dir.path().join("callbridge.db").display(),
        );
        let config = Config::parse("test.toml", &toml, dir.path(), &|_| None).unwrap();
        let adapter: Arc<dyn Crm> = Arc::new(MemoryCrm::new());
        let server = callbridge_web::start_with(
            &config,
            OutboxOptions::default(),
            Box::new(move |_, _| Ok(adapter.clone())),
        )
        .await
        .unwrap();
        let store = &server.store;
        store
            .save_call_records(&[
                row("acme", "a1", 1, "+81312345678", Some("alice"), "answered"),
                row("acme", "a2", 2, "+81398765432", None, "abandoned"),
                row(
                    "acme",
                    "a3",
                    3,
                    "=HYPERLINK(\"http://x\")",
                    Some("bob"),
                    "answered",
                ),
                row("acme", "a4", 3, "+81312345678", Some("alice"), "answered"),
                row("globex", "g1", 1, "+16692627777", Some("gina"), "answered"),
            ])
            .await
            .unwrap();
        store
            .save_case_for_call(
                "acme",
                &CallId::new("a1"),
                CaseRef {
                    id: RecordId::new("sys-a1"),
                    label: "CS0001001".into(),
                },
            )
            .await
            .unwrap();
        for (tenant, user, role) in [
            ("acme", "sam", Role::Supervisor),
            ("acme", "ada", Role::Admin),
            ("acme", "alice", Role::Agent),
            ("globex", "gus", Role::Supervisor),
        ] {
            provision::create(
                store,
                &Wanted {
                    tenant: tenant.into(),
                    user: user.into(),
                    display_name: user.into(),
                    role,
                },
                PASSWORD,
            )
            .await
            .unwrap();
        }
        let url = format!("http://{}", server.addr);
        Center {
            server,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            url,
            _dir: dir,
        }
    }

    /// The session cookie of `user` of `tenant`.
    async fn sign_in(&self, tenant: &str, user: &str) -> String {
        let answer = self
            .http
            .post(format!("{}/api/v1/session", self.url))
            .json(&json!({"tenant": tenant, "user": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{user} signs in");
        let set = answer.headers()["set-cookie"].to_str().unwrap();
        set.split(';').next().unwrap().to_string()
    }

    async fn get(
        &self,
        cookie: Option<&str>,
        path: &str,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap(), headers)
    }

    async fn json(&self, cookie: Option<&str>, path: &str) -> (u16, Value) {
        let (status, body, _) = self.get(cookie, path).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
}

fn ids(page: &Value) -> Vec<&str> {
    page["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_supervisors_and_admins_of_the_tenant_see_its_calls() {
    let center = Center::start().await;
    for path in [
        "/api/v1/console/calls",
        "/api/v1/console/calls.csv",
        "/api/v1/console/wall",
    ] {
        let (status, body) = center.json(None, path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("not_signed_in")),
            "{path}"
        );
    }
    let agent = center.sign_in("acme", "alice").await;
    for path in [
        "/api/v1/console/calls",
        "/api/v1/console/calls.csv",
        "/api/v1/console/wall",
    ] {
        let (status, body) = center.json(Some(&agent), path).await;
        assert_eq!(status, 403, "{path}: {body}");
        // The console's one refusal of an agent, as on every console route.
        assert_eq!(body["error"]["code"], "not_staff", "{path}");
        assert_eq!(
            body["error"]["message"],
            "the console is for supervisors and admins, and this is an agent account; agents use the softphone",
            "{path}"
        );
    }

    let sam = center.sign_in("acme", "sam").await;
    let (status, page) = center.json(Some(&sam), "/api/v1/console/calls").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), ["a4", "a3", "a2", "a1"]);
    assert_eq!(page["next"], Value::Null);
    let ada = center.sign_in("acme", "ada").await;
    assert_eq!(
        center.json(Some(&ada), "/api/v1/console/calls").await.0,
        200
    );

    let gus = center.sign_in("globex", "gus").await;
    let (_, page) = center.json(Some(&gus), "/api/v1/console/calls").await;
    assert_eq!(ids(&page), ["g1"]);
    // Another tenant's call, named outright, is not there either.
    let (_, page) = center
        .json(Some(&gus), "/api/v1/console/calls?agent=alice")
        .await;
    assert_eq!(ids(&page), Vec::<&str>::new());
    let (_, csv, _) = center.get(Some(&gus), "/api/v1/console/calls.csv").await;
    assert!(!csv.contains("a1") && csv.contains("g1"), "{csv}");

    let (status, _, headers) = center.get(Some(&sam), "/api/v1/console/calls").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_site_is_refused() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let response = center
        .http
        .get(format!("{}/api/v1/console/calls", center.url))
        .header("cookie", &sam)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_origin");
    let allowed = center
        .http
        .get(format!("{}/api/v1/console/calls", center.url))
        .header("cookie", &sam)
        .header("origin", "https://cb.example")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_narrow_and_rows_link_to_the_recording_and_the_case() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let q = |query: &str| format!("/api/v1/console/calls?{query}");
    let (_, page) = center.json(Some(&sam), &q("agent=alice")).await;
    assert_eq!(ids(&page), ["a4", "a1"]);
    // A national number is read in the tenant's region (JP).
    let (_, page) = center.json(Some(&sam), &q("number=03-1234-5678")).await;
    assert_eq!(ids(&page), ["a4", "a1"]);
    let (_, page) = center.json(Some(&sam), &q("outcome=abandoned")).await;
    assert_eq!(ids(&page), ["a2"]);
    let (_, page) = center
        .json(
            Some(&sam),
            &q("from=2026-12-06T00:02:00Z&to=2026-12-06T09:03:00%2B09:00"),
        )
        .await;
    assert_eq!(ids(&page), ["a2"]);
    let (_, page) = center.json(Some(&sam), &q("direction=outbound")).await;
    assert_eq!(ids(&page), Vec::<&str>::new());

    let (_, page) = center.json(Some(&sam), &q("agent=alice")).await;
    let a1 = &page["calls"][1];
    assert_eq!(a1["recording_url"], "https://cb.example/recordings/a1");
    assert_eq!(a1["recording"], "none");
    assert_eq!(a1["case"]["label"], "CS0001001");
    assert_eq!(a1["started_at"], "2026-12-06T00:01:00Z");
    assert_eq!(a1["duration_seconds"], 95);
    assert_eq!(page["calls"][0]["case"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_cover_every_call_once_in_order() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/console/calls?limit=1".to_string();
    loop {
        let (status, page) = center.json(Some(&sam), &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page).into_iter().map(str::to_string));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/console/calls?limit=1&after={next}"),
            None => break,
        }
    }
    // a3 and a4 started at the same instant: ties go by call id, descending.
    assert_eq!(seen, ["a4", "a3", "a2", "a1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_get_400_saying_what_to_write() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    for (query, says) in [
        (
            "from=yesterday",
            "from: \"yesterday\" is not a date and time; write it as RFC 3339",
        ),
        (
            "direction=sideways",
            "direction: \"sideways\" is not one of \"inbound\", \"outbound\"",
        ),
        ("outcome=won", "outcome: \"won\" is not one of"),
        (
            "limit=0",
            "limit: \"0\" is not a number of rows from 1 to 200",
        ),
        ("number=hello", "number: \"hello\" is not a phone number"),
        (
            "after=garbage",
            "after: this is not a cursor the history handed out",
        ),
        ("sort=asc", "\"sort\" is not a filter of the call history"),
        (
            "from=2026-12-07T00:00:00Z&to=2026-12-06T00:00:00Z",
            "to: the range is empty",
        ),
    ] {
        for path in ["/api/v1/console/calls", "/api/v1/console/calls.csv"] {
            let (status, body) = center.json(Some(&sam), &format!("{path}?{query}")).await;
            assert_eq!(status, 400, "{path}?{query}: {body}");
            assert_eq!(body["error"]["code"], "bad_filter");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(says), "{query}: {message}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_holds_every_matching_call_and_no_formula() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let (status, csv, headers) = center
        .get(Some(&sam), "/api/v1/console/calls.csv?queue=support")
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("call-history.csv"));
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "call_id,started_at,ended_at,duration_seconds,direction,number,queue,first_agent,last_agent,outcome,case,recording_url"
    );
    assert_eq!(
        lines.len(),
        6,
        "header, four calls, and the final line end: {csv}"
    );
    assert!(lines[1].starts_with("a4,"));
    assert!(
        lines[2].contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "a formula is defused: {}",
        lines[2]
    );
    assert!(lines[4].contains(",'+81312345678,"), "{}", lines[4]);
    assert!(
        lines[4].ends_with(",CS0001001,https://cb.example/recordings/a1"),
        "{}",
        lines[4]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telephony_there_is_no_wall() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let (status, body) = center.json(Some(&sam), "/api/v1/console/wall").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "no_telephony");
    center.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_charts_count_the_tenants_calls_per_interval() {
    let center = Center::start().await;
    let sam = center.sign_in("acme", "sam").await;
    let day =
        "/api/v1/console/charts?from=2026-12-06T00:00:00Z&to=2026-12-07T00:00:00Z&interval=3600";
    let (status, chart) = center.json(Some(&sam), day).await;
    assert_eq!(status, 200, "{chart}");
    assert_eq!(chart["from"], "2026-12-06T00:00:00Z");
    assert_eq!(chart["interval_seconds"], 3600);
    let slots = chart["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 24);
    assert_eq!(slots[1]["start"], "2026-12-06T01:00:00Z");
    let first = &slots[0];
    assert_eq!(
        (
            &first["inbound"],
            &first["answered"],
            &first["abandoned"],
            &first["unserved"]
        ),
        (&json!(4), &json!(3), &json!(1), &json!(0))
    );
    assert_eq!(first["abandon_rate"], json!(0.25));
    // No telephony here, so no queue has a service-level target: no service level.
    assert_eq!(first["service_level"], Value::Null);
    assert_eq!(chart["targets"], json!([]));
    assert_eq!(chart["totals"]["inbound"], 4);
    assert_eq!(slots[5]["inbound"], 0);

    let gus = center.sign_in("globex", "gus").await;
    let (_, theirs) = center.json(Some(&gus), day).await;
    assert_eq!(
        theirs["totals"]["inbound"], 1,
        "globex sees its own call only"
    );

    let (status, _) = center.json(Some(&sam), &format!("{day}&queue=sales")).await;
    assert_eq!(status, 200);

    let alice = center.sign_in("acme", "alice").await;
    assert_eq!(center.json(Some(&alice), day).await.0, 403);
    assert_eq!(center.json(None, day).await.0, 401);

    let (status, body) = center
        .json(
            Some(&sam),
            "/api/v1/console/charts?from=2026-12-06T00:00:00Z&to=2026-12-07T00:00:00Z&interval=600",
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_filter");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("interval: \"600\" is not an interval the charts offer"),
        "{body}"
    );
    let (status, body) = center
        .json(Some(&sam), "/api/v1/console/charts?to=2026-12-07T00:00:00Z")
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("from: required"));
}
