//! A whole contact center on one machine: the ServiceNow sandbox (set up by its admin over
//! HTTPS, as a customer's admin would), a Callbridge integration server on a SQLite store, and
//! a PBX stand-in that posts signed call events. Agents link their CRM accounts through the
//! real authorization-code flow.

#![allow(dead_code)] // each test binary uses a different subset

pub mod console;

use std::time::Duration;

use callbridge_config::Config;
use callbridge_core::{AgentId, CallId, TenantId};
use callbridge_integration::events_api::signature;
use callbridge_integration::runtime::{AgentNotice, Notice, OutboxOptions};
use callbridge_sandbox::{RunningSandbox, SandboxOptions};
use callbridge_store::SecretKey;
use callbridge_testkit::{SandboxAdmin, SandboxFacts};
use callbridge_web::RunningServer;
use serde_json::{json, Value};
use tokio::sync::broadcast;

pub const TENANT: &str = "demo";
pub const EVENTS_SECRET: &str = "pbx-shared-secret";

pub struct World {
    pub sandbox: RunningSandbox,
    pub server: RunningServer,
    pub config: Config,
    pub http: reqwest::Client,
    pub notices: broadcast::Receiver<AgentNotice>,
    pub public_url: String,
    _dir: tempfile::TempDir,
}

pub fn fast_outbox() -> OutboxOptions {
    OutboxOptions {
        max_attempts: 6,
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        lease: Duration::from_secs(20),
        heartbeat: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(18),
        concurrency: 16,
        poll_interval: Duration::from_millis(50),
    }
}

impl World {
    pub async fn start() -> World {
        World::start_with(fast_outbox(), None).await
    }

    /// `dir`: reuse a data directory (restart tests); None: a fresh one.
    pub async fn start_with(
        outbox: OutboxOptions,
        reuse: Option<(tempfile::TempDir, RunningSandbox)>,
    ) -> World {
        let (dir, sandbox, fresh) = match reuse {
            Some((dir, sandbox)) => (dir, sandbox, false),
            None => (
                tempfile::tempdir().unwrap(),
                callbridge_sandbox::start(SandboxOptions::default())
                    .await
                    .unwrap(),
                true,
            ),
        };
        let facts = SandboxFacts::of(&sandbox).unwrap();
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&facts.ca_pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let port = match std::fs::read_to_string(dir.path().join("port")) {
            Ok(p) => p.trim().parse::<u16>().unwrap(),
            Err(_) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                std::fs::write(dir.path().join("port"), port.to_string()).unwrap();
                port
            }
        };
        let public_url = format!("http://127.0.0.1:{port}");
        let key = match std::fs::read_to_string(dir.path().join("key")) {
            Ok(k) => k,
            Err(_) => {
                let k = SecretKey::generate().to_base64();
                std::fs::write(dir.path().join("key"), &k).unwrap();
                k
            }
        };
        facts.write_ca(dir.path()).unwrap();
        if fresh {
            SandboxAdmin::with_client(&facts, http.clone())
                .set_up_instance(&facts.credentials.client_id, &public_url)
                .await
                .unwrap();
        }
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = "{key}"

[[tenant]]
id = "{TENANT}"
default_region = "JP"
call_events_secret = "{EVENTS_SECRET}"
contact_wait_secs = 1

[tenant.recordings]
allow_download = true
retention_days = 30

{servicenow}
# The tests' agents "alice" and "bob" sign in to the CRM as alice.agent and bob.agent; agents
# named like their CRM user (alice.agent, carol.norole) need no entry.
[tenant.servicenow.link.agents]
alice = "alice.agent"
bob = "bob.agent"

[[tenant.disposition_codes]]
code = "resolved"
label_en = "Resolved"
label_ja = "解決"

[[tenant.disposition_codes]]
code = "call_back"
label_en = "Call back"
"#,
            db = dir.path().join("callbridge.db").display(),
            servicenow = facts.servicenow_section(),
        );
        let config = Config::parse("test.toml", &toml, dir.path(), &|_| None).unwrap();
        let server = callbridge_web::start(&config, outbox, &crm_kinds())
            .await
            .unwrap();
        let notices = server.runtime.subscribe();
        World {
            sandbox,
            server,
            config,
            http,
            notices,
            public_url,
            _dir: dir,
        }
    }

    /// Stops the integration server and hands back what a restart needs.
    pub async fn stop(self) -> (tempfile::TempDir, RunningSandbox) {
        self.server.shutdown().await;
        (self._dir, self.sandbox)
    }

    pub fn admin(&self) -> Admin {
        admin_of(&self.sandbox)
    }

    /// Links `agent` to the CRM user `crm_user` through the real flow in one browser: ticket,
    /// redirect to the instance's sign-in page, sign in and allow, callback.
    pub async fn link(&self, agent: &str, crm_user: &str) {
        let browser = self.browser();
        let ticket = self.ticket(agent);
        let (status, body) = self.link_with(&browser, agent, &ticket, crm_user).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(crm_user), "{body}");
    }

    /// A fresh link ticket for `agent`.
    pub fn ticket(&self, agent: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.server.linking.ticket(TENANT, agent, now)
    }

    /// A browser of its own (its own cookies) that trusts the sandbox.
    pub fn browser(&self) -> Browser {
        Browser::new(self.http.clone())
    }

    /// The whole link flow in `browser`: the callback page's status and body.
    pub async fn link_with(
        &self,
        browser: &Browser,
        agent: &str,
        ticket: &str,
        crm_user: &str,
    ) -> (u16, String) {
        let authorize = match self.start_link(browser, agent, ticket).await {
            Ok(url) => url,
            Err(refused) => return refused,
        };
        let callback = self.sign_in(browser, &authorize, crm_user).await;
        browser.get(&callback).await
    }

    /// Opens `agent`'s link in `browser`: the instance's sign-in URL it redirects to, or the
    /// refusal page's status and body.
    pub async fn start_link(
        &self,
        browser: &Browser,
        agent: &str,
        ticket: &str,
    ) -> Result<String, (u16, String)> {
        let url = reqwest::Url::parse_with_params(
            &format!(
                "{}/api/v1/tenants/{TENANT}/agents/{agent}/crm-link",
                self.public_url
            ),
            &[("ticket", ticket)],
        )
        .unwrap();
        let start = browser.send(browser.http.get(url)).await;
        if start.status() != 303 {
            let status = start.status().as_u16();
            return Err((status, start.text().await.unwrap()));
        }
        Ok(start.headers()["location"].to_str().unwrap().to_string())
    }

    /// On the instance's sign-in page at `authorize`: signs in as `crm_user` and allows
    /// access. Returns the callback URL the instance redirects the browser to.
    pub async fn sign_in(&self, browser: &Browser, authorize: &str, crm_user: &str) -> String {
        let url = reqwest::Url::parse(authorize).unwrap();
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        let form = [
            ("client_id", params["client_id"].as_str()),
            ("redirect_uri", params["redirect_uri"].as_str()),
            ("state", params["state"].as_str()),
            ("code_challenge", params["code_challenge"].as_str()),
            (
                "code_challenge_method",
                params["code_challenge_method"].as_str(),
            ),
            ("user_name", crm_user),
            (
                "user_password",
                self.sandbox
                    .credentials
                    .password(crm_user)
                    .expect("a seeded account"),
            ),
            ("decision", "allow"),
        ];
        let (status, _) = browser.get(authorize).await;
        assert_eq!(status, 200, "the sign-in page");
        let signed = browser
            .send(
                browser
                    .http
                    .post(format!("{}/oauth_auth.do", self.sandbox.base_url))
                    .form(&form),
            )
            .await;
        let callback = signed.headers()["location"].to_str().unwrap().to_string();
        assert!(callback.starts_with(&self.public_url), "{callback}");
        callback
    }

    /// Posts a signed call event; returns (status, body).
    pub async fn event(&self, body: Value) -> (u16, Value) {
        let raw = body.to_string();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let reply = self
            .http
            .post(format!(
                "{}/api/v1/tenants/{TENANT}/call-events",
                self.public_url
            ))
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
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Posts `raw` signed, with the given Content-Type (none when `None`); returns (status,
    /// body).
    pub async fn event_raw(&self, raw: &str, content_type: Option<&str>) -> (u16, Value) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut request = self
            .http
            .post(format!(
                "{}/api/v1/tenants/{TENANT}/call-events",
                self.public_url
            ))
            .header(
                signature::HEADER,
                signature::sign(EVENTS_SECRET.as_bytes(), now, raw.as_bytes()),
            )
            .body(raw.to_string());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let reply = request.send().await.unwrap();
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Posts a sequence of events for one call, each with a fresh event id.
    pub async fn call(&self, call: &str, steps: &[Value]) {
        for (i, step) in steps.iter().enumerate() {
            let mut body = step.clone();
            body["event_id"] = json!(format!("{call}-{i}-{}", rand_suffix()));
            body["call_id"] = json!(call);
            let (status, reply) = self.event(body).await;
            assert_eq!(status, 202, "{reply}");
        }
    }

    /// The next notice for `agent` that `pick` accepts, within `wait`.
    pub async fn notice(
        &mut self,
        agent: &str,
        wait: Duration,
        pick: impl Fn(&Notice) -> bool,
    ) -> Notice {
        let id = AgentId::parse(&format!("{TENANT}:{agent}")).unwrap();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.notices.recv()).await;
            match next {
                Err(_) => panic!("no matching notice for {agent} within {wait:?}"),
                Ok(Err(e)) => panic!("notice channel: {e}"),
                Ok(Ok(n)) if n.agent == id && pick(&n.notice) => return n.notice,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Cases whose correlation id is `call` (read as admin).
    pub async fn cases(&self, call: &str) -> Vec<Value> {
        self.admin()
            .get(
                "sn_customerservice_case",
                &[
                    ("sysparm_query", format!("correlation_id={call}").as_str()),
                    ("sysparm_exclude_reference_link", "true"),
                ],
            )
            .await["result"]
            .as_array()
            .cloned()
            .unwrap()
    }

    /// Waits until exactly one Case exists for `call` (and stays one for a moment).
    pub async fn one_case(&self, call: &str, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let cases = self.cases(call).await;
            assert!(cases.len() <= 1, "duplicate Cases for {call}: {cases:#?}");
            if cases.len() == 1 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let again = self.cases(call).await;
                assert_eq!(again.len(), 1, "duplicate Cases for {call}: {again:#?}");
                return again[0].clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no Case for {call} within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn user_sys_id(&self, user_name: &str) -> String {
        let reply = self
            .admin()
            .get("sys_user", &[("user_name", user_name)])
            .await;
        reply["result"][0]["sys_id"].as_str().unwrap().to_string()
    }

    pub fn call_id(name: &str) -> CallId {
        CallId::new(name)
    }

    pub fn tenant() -> TenantId {
        TenantId::new(TENANT)
    }
}

pub fn rand_suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// The sandbox's admin as the tests use it: the kit's [`SandboxAdmin`], each request panicking
/// with what went wrong.
pub struct Admin(pub SandboxAdmin);

/// Its client and credentials, for a request the facade does not make.
impl std::ops::Deref for Admin {
    type Target = SandboxAdmin;
    fn deref(&self) -> &SandboxAdmin {
        &self.0
    }
}

fn failed<T>(error: anyhow::Error) -> T {
    panic!("the sandbox's admin: {error:#}")
}

impl Admin {
    /// The Table API's records of `table` for `query`.
    pub async fn get(&self, table: &str, query: &[(&str, &str)]) -> Value {
        self.0.table(table, query).await.unwrap_or_else(failed)
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.0.post(path, body).await.unwrap_or_else(failed)
    }

    pub async fn patch(&self, table: &str, sys_id: &str, body: Value) {
        self.0
            .patch(&format!("/api/now/table/{table}/{sys_id}"), body)
            .await
            .unwrap_or_else(failed)
    }

    /// The request counters as a JSON object, `"METHOD resource" -> count`.
    pub async fn requests(&self) -> Value {
        let counts = self.0.requests().await.unwrap_or_else(failed);
        serde_json::to_value(counts).unwrap()
    }

    pub async fn reset_requests(&self) {
        self.0.reset_requests().await.unwrap_or_else(failed)
    }

    pub async fn fault(&self, fault: Value) {
        self.0.fault(fault).await.unwrap_or_else(failed)
    }

    pub async fn clear_faults(&self) {
        self.0.clear_faults().await.unwrap_or_else(failed)
    }
}

impl World {
    /// Every notice delivered so far and not yet read, without waiting.
    pub fn drain_notices(&mut self) -> Vec<AgentNotice> {
        let mut seen = Vec::new();
        loop {
            match self.notices.try_recv() {
                Ok(notice) => seen.push(notice),
                Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                    panic!("the test fell {missed} notices behind")
                }
                Err(_) => return seen,
            }
        }
    }
}

/// A browser as far as the link flow needs one: it follows no redirects by itself (the tests
/// look at each), and keeps the cookies it is given (name, value, path), sending each back to
/// the URLs under its path, as a browser does for one host.
pub struct Browser {
    pub http: reqwest::Client,
    cookies: std::sync::Mutex<Vec<(String, String, String)>>,
}

impl Browser {
    pub fn new(http: reqwest::Client) -> Browser {
        Browser {
            http,
            cookies: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// GET `url`: status and body.
    pub async fn get(&self, url: &str) -> (u16, String) {
        let response = self.send(self.http.get(url)).await;
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Sends `request` with the cookies for its path, and keeps the ones the answer sets.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let (client, request) = request.build_split();
        let mut request = request.unwrap();
        let path = request.url().path().to_string();
        let cookie: Vec<String> = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, scope)| path.starts_with(scope.as_str()))
            .map(|(name, value, _)| format!("{name}={value}"))
            .collect();
        if !cookie.is_empty() {
            request
                .headers_mut()
                .insert(reqwest::header::COOKIE, cookie.join("; ").parse().unwrap());
        }
        let response = client.execute(request).await.unwrap();
        for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
            self.keep(set.to_str().unwrap());
        }
        response
    }

    fn keep(&self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap().split_once('=').unwrap();
        let mut path = "/".to_string();
        let mut expired = false;
        for attribute in parts {
            match attribute.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("path") => path = v.to_string(),
                Some((k, v)) if k.eq_ignore_ascii_case("max-age") => expired = v == "0",
                _ => {}
            }
        }
        let mut cookies = self.cookies.lock().unwrap();
        cookies.retain(|(n, _, p)| !(n == name && *p == path));
        if !expired {
            cookies.push((name.to_string(), value.to_string(), path));
        }
    }

    /// Signs out of the CRM the way its sign-out page does: the instance's session cookie goes.
    /// (The sandbox keeps a session like an instance, but has no `/logout.do` page.)
    pub fn sign_out_of_crm(&self) {
        let session = callbridge_sandbox::auth::SESSION_COOKIE;
        self.cookies
            .lock()
            .unwrap()
            .retain(|(n, _, _)| n != session);
    }

    /// The cookies it holds: (name, path).
    pub fn cookie_names(&self) -> Vec<(String, String)> {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(n, _, p)| (n.clone(), p.clone()))
            .collect()
    }
}

/// The admin of `sandbox` (an HTTPS one, as the tests start).
pub fn admin_of(sandbox: &RunningSandbox) -> Admin {
    let facts = SandboxFacts::of(sandbox).unwrap_or_else(failed);
    Admin(SandboxAdmin::new(&facts).unwrap_or_else(failed))
}

/// The CRM kinds the tests offer: ServiceNow, as the binary does.
pub fn crm_kinds() -> callbridge_integration::crm::CrmRegistry {
    callbridge_integration::crm::CrmRegistry::new().with(std::sync::Arc::new(
        callbridge_servicenow::adapter::ServiceNowKind,
    ))
}
