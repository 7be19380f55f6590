//! A second CRM through the same port: whole calls posted to the call-events API, with the
//! in-memory CRM of the test kit in place of ServiceNow, on the same runtime path
//! (`callbridge_web::start_with`). The pop reaches a linked agent, a connected call gets exactly one
//! Case, and the transfer rule holds, with no sandbox, no network beyond loopback, and no
//! telephony, store or web change for the new CRM.

use std::sync::Arc;
use std::time::Duration;

use callbridge_core::{AccountRef, CallId, ContactRef, Event, PartyKind, RecordId, TenantId};
use callbridge_crm::{Crm, CrmError};
fn agent_id(tenant: &callbridge_core::TenantId, name: &str) -> callbridge_core::AgentId {
    callbridge_core::AgentId::in_tenant(tenant, name).expect("a valid agent name")
}
use callbridge_config::Config;
use callbridge_integration::events_api::signature;
use callbridge_integration::runtime::{AgentNotice, Notice, OutboxOptions};
use callbridge_phone::E164;
use callbridge_store::SecretKey;
use callbridge_testkit::{MemoryCrm, Operation};
use callbridge_web::RunningServer;
use serde_json::{json, Value};
use tokio::sync::broadcast;

const TENANT: &str = "demo";
const EVENTS_SECRET: &str = "pbx-shared-secret";
static EVENT_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
const WAIT: Duration = Duration::from_secs(10);

struct Center {
    server: RunningServer,
    crm: Arc<MemoryCrm>,
    http: reqwest::Client,
    url: String,
    notices: broadcast::Receiver<AgentNotice>,
    _dir: tempfile::TempDir,
}

impl Center {
    async fn start() -> Center {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::generate().to_base64();
        // The CRM section is not read by the in-memory adapter; the file keeps today's shape.
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:0"
database_url = "sqlite://{db}"
master_key = "{key}"

[[tenant]]
id = "{TENANT}"
default_region = "US"
call_events_secret = "{EVENTS_SECRET}"
contact_wait_secs = 1

[tenant.servicenow]
instance_url = "https://unused.example.com"
client_id = "unused"
client_secret = "unused"
"#,
            db = dir.path().join("callbridge.db").display(),
        );
        let config = Config::parse("test.toml", &toml, dir.path(), &|_| None).unwrap();
        let crm = Arc::new(MemoryCrm::new());
        let adapter: Arc<dyn Crm> = crm.clone();
        let outbox = OutboxOptions {
            poll_interval: Duration::from_millis(20),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(200),
            ..OutboxOptions::default()
        };
        let server = callbridge_web::start_with(&config, outbox, Box::new(move |_, _| Ok(adapter)))
            .await
            .unwrap();
        let notices = server.runtime.subscribe();
        let url = format!("http://{}", server.addr);
        Center {
            server,
            crm,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            url,
            notices,
            _dir: dir,
        }
    }

    /// The agent has linked their account: the CRM knows the link and the engine is told, as
    /// the link flow does.
    fn link(&self, agent: &str) {
        let id = agent_id(&tenant(), agent);
        self.crm.link(&id);
        self.server.runtime.submit(Event::AgentLinkChanged {
            agent: id,
            linked: true,
        });
    }

    async fn call(&self, call: &str, steps: &[Value]) {
        for (i, step) in steps.iter().enumerate() {
            let mut body = step.clone();
            let n = EVENT_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            body["event_id"] = json!(format!("{call}-{i}-{n}"));
            body["call_id"] = json!(call);
            let raw = body.to_string();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let reply = self
                .http
                .post(format!("{}/api/v1/tenants/{TENANT}/call-events", self.url))
                .header("content-type", "application/json")
                .header(
                    signature::HEADER,
                    signature::sign(EVENTS_SECRET.as_bytes(), now, raw.as_bytes()),
                )
                .body(raw)
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            assert_eq!(status, 202, "{}", reply.text().await.unwrap_or_default());
        }
    }

    async fn notice(&mut self, agent: &str, pick: impl Fn(&Notice) -> bool) -> Notice {
        let id = format!("{TENANT}:{agent}");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.notices.recv()).await {
                Err(_) => panic!("no matching notice for {agent} within {WAIT:?}"),
                Ok(Err(e)) => panic!("notice channel: {e}"),
                Ok(Ok(n)) if n.agent.to_string() == id && pick(&n.notice) => return n.notice,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Waits for the Case of `call`, then checks that it stays the only one.
    async fn one_case(&self, call: &str) -> callbridge_testkit::StoredCase {
        let call = CallId::new(call);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let cases = self.crm.cases_for(&call);
            assert!(cases.len() <= 1, "duplicate Cases: {cases:#?}");
            if cases.len() == 1 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let again = self.crm.cases_for(&call);
                assert_eq!(again.len(), 1, "duplicate Cases: {again:#?}");
                return again[0].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no Case for {call:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn tenant() -> TenantId {
    TenantId::new(TENANT)
}

fn offered(agent: &str, caller: &str) -> Value {
    json!({"type": "offered", "agent": agent, "caller": caller})
}

fn step(kind: &str, agent: &str) -> Value {
    json!({"type": kind, "agent": agent})
}

fn sofia() -> ContactRef {
    ContactRef {
        kind: PartyKind::Contact,
        id: RecordId::from("contact-sofia"),
        name: "Sofia Garcia".into(),
        account: Some(AccountRef {
            id: RecordId::from("account-pacific"),
            name: "Pacific Crest Insurance".into(),
        }),
    }
}

fn sofias_number() -> E164 {
    E164::parse("+18582877834").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_agent_gets_the_pop_and_a_connected_call_one_case() {
    let mut center = Center::start().await;
    center.crm.add_contact(&tenant(), &sofias_number(), sofia());
    center.link("alice");

    center
        .call("call-1", &[offered("alice", "+1 858 287 7834")])
        .await;
    let pop = center
        .notice("alice", |n| matches!(n, Notice::ScreenPop { .. }))
        .await;
    assert_eq!(pop, Notice::ScreenPop { contact: sofia() });

    center
        .call(
            "call-1",
            &[step("answered", "alice"), step("connected", "alice")],
        )
        .await;
    let shown = center
        .notice("alice", |n| matches!(n, Notice::ShowCase { .. }))
        .await;
    let case = center.one_case("call-1").await;
    assert_eq!(
        shown,
        Notice::ShowCase {
            case: case.case.clone()
        }
    );
    assert_eq!(
        case.fields.party.contact,
        Some(RecordId::from("contact-sofia"))
    );
    assert_eq!(
        case.fields.party.account,
        Some(RecordId::from("account-pacific"))
    );
    assert_eq!(case.fields.assigned_agent, agent_id(&tenant(), "alice"));
    assert!(
        case.fields.recording_link.ends_with("/recordings/call-1"),
        "{}",
        case.fields.recording_link
    );
    center.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_shows_the_same_case_and_never_writes_a_second() {
    let mut center = Center::start().await;
    center.crm.add_contact(&tenant(), &sofias_number(), sofia());
    center.link("alice");
    center.link("bob");
    center
        .call(
            "call-2",
            &[
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    let first = center.one_case("call-2").await;
    center
        .call(
            "call-2",
            &[
                json!({"type": "transferred", "agent": "alice", "to_agent": "bob"}),
                offered("bob", "+18582877834"),
                step("answered", "bob"),
                step("connected", "bob"),
            ],
        )
        .await;
    let shown = center
        .notice("bob", |n| matches!(n, Notice::ShowCase { .. }))
        .await;
    assert_eq!(
        shown,
        Notice::ShowCase {
            case: first.case.clone()
        }
    );
    assert_eq!(center.one_case("call-2").await.case, first.case);
    assert_eq!(center.crm.calls(Operation::CreateCase), 1);
    center.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_case_when_the_first_answerer_had_no_crm_link_even_after_a_transfer() {
    let mut center = Center::start().await;
    center.link("alice");
    center
        .call(
            "call-3",
            &[
                offered("carol", "+18582877834"),
                step("answered", "carol"),
                step("connected", "carol"),
                json!({"type": "transferred", "agent": "carol", "to_agent": "alice"}),
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    center
        .notice("alice", |n| {
            matches!(n, Notice::Message { text, .. } if text.contains("had no linked CRM account"))
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(center.crm.cases_for(&CallId::new("call-3")).is_empty());
    assert_eq!(center.crm.calls(Operation::CreateCase), 0);
    center.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_outage_delays_the_case_but_never_duplicates_or_loses_it() {
    let center = Center::start().await;
    center.link("alice");
    for _ in 0..2 {
        center.crm.fail_next(
            Operation::CreateCase,
            CrmError::Unavailable("down for maintenance".into()),
        );
    }
    center
        .call(
            "call-4",
            &[
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    center.one_case("call-4").await;
    assert_eq!(center.crm.calls(Operation::CreateCase), 3);
    center.server.shutdown().await;
}
