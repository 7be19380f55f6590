//! A contact center on one machine for end-to-end tests: the ServiceNow sandbox (set up by its
//! admin), the integration server, telephony on loopback, agents on str0m WebRTC softphones
//! over the real softphone WebSocket, and sipp as the carrier.

#![allow(dead_code)] // each test binary uses a different subset

pub mod schema;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use callbridge_config::Config;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_integration::server;
use callbridge_media::testing::{Softphone, SoftphoneOptions};
use callbridge_sandbox::{RunningSandbox, SandboxOptions};
use callbridge_store::{Role, SecretKey};
use callbridge_telephony::Telephony;
use callbridge_testkit::{SandboxAdmin, SandboxFacts};
use callbridge_web::account::provision::{self, Wanted};
use callbridge_web::RunningServer;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const TENANT: &str = "demo";
pub const DID: &str = "+81312345000";
pub const CALLER: &str = "+819012345678";
/// The secret a PBX signs its call events with.
pub const EVENTS_SECRET: &str = "pbx-shared-secret";

/// Tones: the customer's (sipp) and the agents' (str0m softphones), far apart for Goertzel.
pub const CUSTOMER_HZ: f64 = 700.0;
pub const ALICE_HZ: f64 = 1200.0;
pub const BOB_HZ: f64 = 1800.0;
/// The support queue's music, when a test asks for it.
pub const MUSIC_HZ: f64 = 440.0;

pub struct World {
    pub sandbox: RunningSandbox,
    pub server: RunningServer,
    pub telephony: Telephony,
    pub sip: SocketAddr,
    pub public_url: String,
    pub key: String,
    pub dir: tempfile::TempDir,
    /// The configuration file's text the world started with (a test edits it to reconfigure).
    pub config_text: String,
}

pub struct Options {
    /// Queue's `waiting`: "ringback" or "music".
    pub waiting: &'static str,
    pub ring_timeout_secs: u64,
    /// Where outbound calls go (a sipp UAS), if any.
    pub trunk: Option<SocketAddr>,
    /// A music file for the support queue (a 440 Hz tone).
    pub music: bool,
    /// Store recordings on this S3-compatible endpoint (see `callbridge_recording::testing`)
    /// instead of the local directory.
    pub s3_endpoint: Option<String>,
    /// Start in this data directory (e.g. one holding a spool left by a crash).
    pub dir: Option<tempfile::TempDir>,
    /// The support queue's after-call work (`wrap_up_secs`).
    pub wrap_up_secs: u64,
    /// Also serve [`STORE_TENANT`], a tenant kept in the store (edited in the console), with
    /// its number [`STORE_DID`] ringing its queue "front" (agent "gina"). Its changes are
    /// applied to telephony live, as `callbridge serve` does.
    pub store_tenant: bool,
}

/// The tenant kept in the store when [`Options::store_tenant`] is set.
pub const STORE_TENANT: &str = "globex";
pub const STORE_DID: &str = "+81312345100";

impl Default for Options {
    fn default() -> Self {
        Options {
            waiting: "ringback",
            ring_timeout_secs: 5,
            trunk: None,
            music: false,
            s3_endpoint: None,
            dir: None,
            wrap_up_secs: 0,
            store_tenant: false,
        }
    }
}

/// Hands every saved store tenant's settings to telephony (what `callbridge serve` registers).
struct ApplyToTelephony(callbridge_telephony::TelephonyHandle);

#[async_trait::async_trait]
impl callbridge_integration::tenants::ApplyTenants for ApplyToTelephony {
    async fn apply(
        &self,
        config: &Config,
        _changed: &callbridge_core::TenantId,
    ) -> anyhow::Result<()> {
        self.0.reconfigure(config).await?;
        Ok(())
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A block of free UDP ports for media, found by probing (tests run in parallel).
fn free_udp_range(len: u16) -> (u16, u16) {
    loop {
        let start = 20_000 + (rand::random::<u16>() % 30_000);
        let end = start + len - 1;
        let all_free = (start..=end)
            .step_by(7)
            .all(|p| std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return (start, end);
        }
    }
}

impl World {
    pub async fn start(options: Options) -> World {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = match options.dir {
            Some(dir) => dir,
            None => tempfile::tempdir().unwrap(),
        };
        let sandbox = callbridge_sandbox::start(SandboxOptions::default())
            .await
            .unwrap();
        let facts = SandboxFacts::of(&sandbox).unwrap();
        facts.write_ca(dir.path()).unwrap();
        let port = free_port();
        let public_url = format!("http://127.0.0.1:{port}");
        SandboxAdmin::new(&facts)
            .unwrap()
            .set_up_instance(&facts.credentials.client_id, &public_url)
            .await
            .unwrap();
        let key = SecretKey::generate().to_base64();
        let (low, high) = free_udp_range(64);
        let trunk = match options.trunk {
            Some(addr) => format!(
                "[tenant.telephony.trunk]\nhost = \"{}\"\nport = {}\ncaller_id = \"+81312345000\"\n",
                addr.ip(),
                addr.port()
            ),
            None => String::new(),
        };
        let music = if options.music {
            callbridge_audio::write_tone_wav(
                &dir.path().join("music.wav"),
                8000,
                MUSIC_HZ,
                8000.0,
                Duration::from_secs(3),
            )
            .unwrap();
            "music = \"music.wav\"\n"
        } else {
            ""
        };
        let toml = format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = "{key}"

[telephony]
sip_udp = "127.0.0.1:0"
media_bind_ip = "127.0.0.1"
rtp_ports = "{low}-{high}"
media_timeout_secs = 5
spool_dir = "spool"

[[tenant]]
id = "{TENANT}"
default_region = "JP"
call_events_secret = "{EVENTS_SECRET}"
contact_wait_secs = 1

{servicenow}
# The tests' agents sign in to the CRM as the seed's users (the admin's mapping).
[tenant.servicenow.link.agents]
alice = "alice.agent"
bob = "bob.agent"

[tenant.telephony]
allowed_sources = ["127.0.0.1"]
{trunk}
[[tenant.telephony.number]]
did = "{DID}"
queue = "support"

[[tenant.telephony.queue]]
id = "support"
waiting = "{waiting}"
ring_timeout_secs = {ring}
wrap_up_secs = {wrap_up}
{music}
[[tenant.telephony.queue]]
id = "sales"
waiting = "music"

[[tenant.telephony.agent]]
name = "alice"
queues = ["support"]

[[tenant.telephony.agent]]
name = "bob"
queues = ["support", "sales"]

[tenant.telephony.recordings]
{recordings}
"#,
            db = dir.path().join("callbridge.db").display(),
            servicenow = facts.servicenow_section(),
            waiting = options.waiting,
            ring = options.ring_timeout_secs,
            wrap_up = options.wrap_up_secs,
            recordings = match &options.s3_endpoint {
                Some(endpoint) => format!(
                    "store = \"s3\"\nbucket = \"{}\"\nendpoint = \"{endpoint}\"\n\
                     access_key_id = \"{}\"\nsecret_access_key = \"{}\"\nprefix = \"cc\"",
                    callbridge_recording::testing::BUCKET,
                    callbridge_recording::testing::ACCESS_KEY,
                    callbridge_recording::testing::SECRET_KEY,
                ),
                None => "store = \"local\"\npath = \"recordings\"".to_string(),
            },
        );
        let config = Config::parse("test.toml", &toml, dir.path(), &|_| None).unwrap();
        if options.store_tenant {
            let text = format!(
                r#"[[tenant]]
id = "{STORE_TENANT}"
name = "Globex"
default_region = "JP"

[tenant.crm]
kind = "servicenow"
instance_url = "{instance}"
ca_file = "ca.pem"
client_id = "{client_id}"
client_secret = {{ store = "crm.client_secret" }}

[tenant.telephony]
allowed_sources = ["127.0.0.1"]

[[tenant.telephony.number]]
did = "{STORE_DID}"
queue = "front"

[[tenant.telephony.queue]]
id = "front"

[[tenant.telephony.agent]]
name = "gina"
queues = ["front"]

[tenant.telephony.recordings]
store = "local"
path = "recordings-globex"
"#,
                instance = sandbox.base_url,
                client_id = sandbox.credentials.client_id,
            );
            let store = callbridge_store::Store::open(
                &format!("sqlite://{}", dir.path().join("callbridge.db").display()),
                SecretKey::from_base64(&key).unwrap(),
            )
            .await
            .unwrap();
            store
                .create_store_tenant(
                    STORE_TENANT,
                    &text,
                    &[callbridge_store::SecretChange::Set {
                        name: "crm.client_secret".into(),
                        value: callbridge_config::Secret::new(
                            sandbox.credentials.client_secret.clone(),
                        ),
                    }],
                    "test",
                )
                .await
                .unwrap();
            store.close().await;
        }
        let prepared = server::prepare(
            &config,
            OutboxOptions::default(),
            &callbridge_integration::crm::CrmRegistry::new().with(std::sync::Arc::new(
                callbridge_servicenow::adapter::ServiceNowKind,
            )),
        )
        .await
        .unwrap();
        // The effective configuration: the file's tenants and the store's.
        let effective = prepared.config.clone();
        let telephony_config = effective.telephony.clone().unwrap();
        let telephony = Telephony::start(
            &telephony_config,
            &effective,
            {
                let engine = prepared.runtime.clone();
                std::sync::Arc::new(move |event: callbridge_core::Event| engine.submit(event))
            },
            prepared.store.clone(),
        )
        .await
        .unwrap();
        prepared
            .directory
            .on_change(std::sync::Arc::new(ApplyToTelephony(telephony.handle())));
        let sip = telephony.sip_addrs()[0];
        let server = callbridge_web::serve(prepared, Some(telephony.handle()))
            .await
            .unwrap();
        World {
            sandbox,
            server,
            telephony,
            sip,
            public_url,
            key,
            dir,
            config_text: toml,
        }
    }

    /// `text` read as the configuration file is, from the world's directory.
    pub fn parse_config(&self, text: &str) -> Config {
        Config::parse("test.toml", text, self.dir.path(), &|_| None).unwrap()
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    pub fn softphone_url(&self, agent: &str, ticket: &str) -> String {
        format!(
            "ws://{}/api/v1/tenants/{TENANT}/agents/{agent}/softphone?ticket={ticket}",
            self.server.addr
        )
    }

    pub fn ticket(&self, agent: &str) -> String {
        let key = callbridge_config::Secret::new(self.key.clone());
        callbridge_web::softphone_ticket(
            &key,
            TENANT,
            agent,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )
    }

    /// An agent who opened the softphone, connected audio, and (if `available`) is ready.
    pub async fn agent(&self, name: &str, tone_hz: f64, available: bool) -> Agent {
        let mut agent = self.connect(name).await;
        agent.connect_audio(tone_hz).await;
        if available {
            agent.set_available(true).await;
        }
        agent
    }

    /// An agent who opened the softphone (welcomed) but has not connected audio.
    pub async fn connect(&self, name: &str) -> Agent {
        let url = self.softphone_url(name, &self.ticket(name));
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut agent = Agent {
            name: name.to_string(),
            ws,
            phone: None,
            seen: Vec::new(),
        };
        let welcome = agent.expect("welcome").await;
        assert_eq!(welcome["agent"], name);
        agent
    }

    /// An agent who signed in with a password, as the browser softphone does: gives `name` an
    /// account (or a new password) and signs in. The session's cookie opens their softphone
    /// ([`World::connect_signed_in`]).
    pub async fn sign_in(&self, name: &str) -> Session {
        self.sign_in_as(TENANT, name, Role::Agent).await
    }

    /// [`World::sign_in`] for an account of `tenant` with `role`.
    pub async fn sign_in_as(&self, tenant: &str, name: &str, role: Role) -> Session {
        const PASSWORD: &str = "correct horse battery staple";
        let store = &self.server.store;
        if !provision::reset_password(store, tenant, name, PASSWORD)
            .await
            .unwrap()
        {
            let wanted = Wanted {
                tenant: tenant.into(),
                user: name.into(),
                display_name: name.into(),
                role,
            };
            provision::create(store, &wanted, PASSWORD).await.unwrap();
        }
        let answer = self
            .http()
            .post(format!("{}/api/v1/session", self.public_url))
            .header(reqwest::header::ORIGIN, &self.public_url)
            .json(&json!({"tenant": tenant, "user": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "sign-in of {name}");
        let cookie = answer.headers()[reqwest::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body: Value = answer.json().await.unwrap();
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
        }
    }

    /// Signs `session` out (`DELETE /api/v1/session`, as the page's sign-out button does).
    pub async fn sign_out(&self, session: &Session) {
        let answer = self
            .http()
            .delete(format!("{}/api/v1/session", self.public_url))
            .header(reqwest::header::COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .header(reqwest::header::ORIGIN, &self.public_url)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204, "sign-out");
    }

    /// An agent who opened the softphone with their session's cookie from the softphone's own
    /// origin (welcomed, no audio yet).
    pub async fn connect_signed_in(&self, name: &str, session: &Session) -> Agent {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!(
            "ws://{}/api/v1/tenants/{TENANT}/agents/{name}/softphone",
            self.server.addr
        );
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert("cookie", session.cookie.parse().unwrap());
        headers.insert("origin", self.public_url.parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut agent = Agent {
            name: name.to_string(),
            ws,
            phone: None,
            seen: Vec::new(),
        };
        let welcome = agent.expect("welcome").await;
        assert_eq!(welcome["agent"], name);
        agent
    }

    /// A customer calls (sipp with `scenario_name`, playing [`CUSTOMER_HZ`], hanging up after
    /// `talk` where the scenario does) and `agent`, available, answers: the sipp run and the
    /// call's id.
    pub async fn answered_call(
        &self,
        agent: &mut Agent,
        scenario_name: &str,
        talk: Duration,
    ) -> (Sipp, String) {
        let sipp = Sipp::customer(self.sip, &scenario(scenario_name), CUSTOMER_HZ, talk, 1);
        let call = agent.ringing().await;
        agent.answer(&call).await;
        (sipp, call)
    }

    /// An HTTPS client that trusts the sandbox and does not follow redirects.
    pub fn http(&self) -> reqwest::Client {
        let ca_pem = std::fs::read(self.dir.path().join("ca.pem")).unwrap();
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca_pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
    }

    /// Links `agent`'s CRM account (as `crm_user`) through the real authorization-code flow:
    /// ticket, the instance's sign-in page, allow, callback.
    pub async fn link(&self, agent: &str, crm_user: &str) {
        let http = self.http();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let ticket = self.server.linking.ticket(TENANT, agent, now);
        let start = http
            .get(format!(
                "{}/api/v1/tenants/{TENANT}/agents/{agent}/crm-link",
                self.public_url
            ))
            .query(&[("ticket", ticket.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303, "link start");
        // The sign-in is finished in the browser that started it: it brings back the cookie.
        let cookie = start.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let authorize = start.headers()["location"].to_str().unwrap().to_string();
        let url = reqwest::Url::parse(&authorize).unwrap();
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        let password = self
            .sandbox
            .credentials
            .password(crm_user)
            .expect("a seeded account")
            .to_string();
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
            ("user_password", password.as_str()),
            ("decision", "allow"),
        ];
        let signed = http
            .post(format!("{}/oauth_auth.do", self.sandbox.base_url))
            .form(&form)
            .send()
            .await
            .unwrap();
        let callback = signed.headers()["location"].to_str().unwrap().to_string();
        let done = http
            .get(callback)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200, "link callback");
    }

    /// Posts a signed call event to the call-events API, as a third-party PBX does; returns
    /// the status.
    pub async fn call_event(&self, body: Value) -> u16 {
        let raw = body.to_string();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = callbridge_integration::events_api::signature::sign(
            EVENTS_SECRET.as_bytes(),
            now,
            raw.as_bytes(),
        );
        self.http()
            .post(format!(
                "{}/api/v1/tenants/{TENANT}/call-events",
                self.public_url
            ))
            .header("content-type", "application/json")
            .header(
                callbridge_integration::events_api::signature::HEADER,
                signature,
            )
            .body(raw)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The Cases in the sandbox whose correlation id is `call`, as the admin sees them.
    pub async fn cases_for(&self, call: &str) -> Vec<Value> {
        let reply: Value = self
            .http()
            .get(format!(
                "{}/api/now/table/sn_customerservice_case",
                self.sandbox.base_url
            ))
            .basic_auth(
                &self.sandbox.credentials.admin_user,
                Some(&self.sandbox.credentials.admin_password),
            )
            .query(&[
                ("sysparm_query", format!("correlation_id={call}")),
                ("sysparm_exclude_reference_link", "true".to_string()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["result"].as_array().cloned().unwrap_or_default()
    }

    /// The call's record, once the switchboard has written it (panics after 5 s).
    pub async fn call_record(&self, call: &str) -> callbridge_store::CallRecordRow {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(record) = self.server.store.call_record(TENANT, call).await.unwrap() {
                return record;
            }
            assert!(Instant::now() < deadline, "no call record for {call}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops telephony first (its last events still reach the store), then the server.
    pub async fn stop(self) {
        self.telephony.shutdown().await;
        self.server.shutdown().await;
    }
}

/// A signed-in browser: its session cookie (`name=value`) and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct Agent {
    pub name: String,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub phone: Option<Softphone>,
    /// Every message received, in order (for assertions about what was said).
    pub seen: Vec<Value>,
}

impl Agent {
    /// Sends a protocol message (checked against the schema first).
    pub async fn send(&mut self, message: Value) {
        schema::check(schema::Side::Client, &message);
        self.send_raw(Message::Text(message.to_string().into()))
            .await;
    }

    /// Sends any frame, valid or not.
    pub async fn send_raw(&mut self, frame: Message) {
        self.ws.send(frame).await.unwrap();
    }

    /// Checks one received message against the schema and against the order the protocol
    /// promises ("CRM notices" in docs/softphone-protocol.md: a call's `crm` news never comes
    /// before the `ringing` that shows the call here), then keeps it in `seen`.
    fn received(&mut self, value: &Value) {
        schema::check(schema::Side::Server, value);
        if value["type"] == "ringing" {
            let call = &value["call"];
            let about_call = |m: &&Value| m["call"] == *call;
            let rang_before = self
                .seen
                .iter()
                .filter(about_call)
                .any(|m| m["type"] == "ringing");
            let news_before = self
                .seen
                .iter()
                .filter(about_call)
                .find(|m| m["type"] == "crm");
            if let (false, Some(news)) = (rang_before, news_before) {
                panic!(
                    "{}: CRM news about call {call} came before its ringing: {news}; saw {:#?}",
                    self.name, self.seen
                );
            }
        }
        self.seen.push(value.clone());
    }

    /// The next message, whatever it is (checked against the schema); None if the socket
    /// ended. Panics after 10 s.
    pub async fn next(&mut self) -> Option<Value> {
        let next = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
            .await
            .unwrap_or_else(|_| panic!("{}: no message; saw {:#?}", self.name, self.seen));
        let text = match next {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(other)) => panic!("{}: not a text frame: {other:?}", self.name),
        };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        self.received(&value);
        Some(value)
    }

    /// The next message of `kind`, skipping others (kept in `seen`); panics after 10 s.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.expect_where(kind, |_| true).await
    }

    pub async fn expect_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!("{}: no {kind:?} message; saw {:#?}", self.name, self.seen)
                });
            let Some(Ok(Message::Text(text))) = next else {
                panic!("{}: socket ended waiting for {kind:?}: {next:?}", self.name);
            };
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            self.received(&value);
            if value["type"] == kind && pred(&value) {
                return value;
            }
        }
    }

    /// Opens the agent's audio session (media_offer, media_answer, ICE and DTLS up).
    pub async fn connect_audio(&mut self, tone_hz: f64) {
        let pending = Softphone::offer(SoftphoneOptions::tone(tone_hz)).unwrap();
        let offer: Value = serde_json::from_str(pending.offer_json()).unwrap();
        self.send(json!({ "type": "media_offer", "offer": offer }))
            .await;
        let answer = self.expect("media_answer").await;
        let phone = pending.accept(&answer["answer"].to_string()).unwrap();
        assert!(
            phone.wait_connected(Duration::from_secs(5)).await,
            "agent audio connects"
        );
        self.phone = Some(phone);
        let media = self.expect("media").await;
        assert_eq!(media["connected"], true);
    }

    pub async fn set_available(&mut self, available: bool) {
        self.send(json!({ "type": "set_availability", "available": available }))
            .await;
        let want = if available {
            "available"
        } else {
            "unavailable"
        };
        self.expect_where("agent_state", |v| v["state"] == want)
            .await;
    }

    /// Waits for a call to ring here; returns its id.
    pub async fn ringing(&mut self) -> String {
        let ring = self.expect("ringing").await;
        ring["call"].as_str().unwrap().to_string()
    }

    pub async fn answer(&mut self, call: &str) {
        self.send(json!({ "type": "answer", "call": call })).await;
        self.expect_where("agent_state", |v| v["state"] == "on_call")
            .await;
    }

    pub fn phone(&self) -> &Softphone {
        self.phone.as_ref().unwrap()
    }

    /// The messages after `welcome` up to and including the first `agent_state`.
    pub async fn greeting(&mut self) -> Vec<Value> {
        let mut got = Vec::new();
        loop {
            let message = self.next().await.expect("the connection goes on");
            let done = message["type"] == "agent_state";
            got.push(message);
            if done {
                return got;
            }
        }
    }

    /// Asserts this agent's audio session hears the customer's tone (within 5 s) after
    /// `since`.
    pub async fn hears_the_customer(&self, since: Instant) {
        use callbridge_audio::{tone_spans, DetectOptions};
        let mut heard = Vec::new();
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            heard = self.phone().samples_since(since);
            if !tone_spans(&heard, 8000, CUSTOMER_HZ, &DetectOptions::default()).is_empty() {
                return;
            }
        }
        panic!(
            "{} does not hear the customer's {CUSTOMER_HZ} Hz tone ({} samples)",
            self.name,
            heard.len()
        );
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Every WAV file below `dir` (recordings land in date folders).
pub fn wav_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(wav_files(&path));
        } else if path.extension().is_some_and(|e| e == "wav") {
            found.push(path);
        }
    }
    found
}

/// A mono µ-law WAV of a steady tone, the format sipp's `rtp_stream` plays.
pub fn write_tone_wav(path: &Path, freq: f64, seconds: f64) {
    let samples = (8000.0 * seconds) as usize;
    let mut tone = callbridge_audio::ToneGenerator::new(freq, 8000.0, 8000);
    let data: Vec<u8> = (0..samples)
        .map(|_| callbridge_audio::mulaw_encode(tone.next_sample()))
        .collect();
    let mut wav = Vec::with_capacity(58 + data.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(50 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&18u32.to_le_bytes());
    wav.extend_from_slice(&7u16.to_le_bytes()); // WAVE_FORMAT_MULAW
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8u16.to_le_bytes());
    wav.extend_from_slice(&0u16.to_le_bytes());
    wav.extend_from_slice(b"fact");
    wav.extend_from_slice(&4u32.to_le_bytes());
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
}

pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

/// sipp running one scenario against the world's SIP address; killed on drop.
pub struct Sipp {
    child: Option<tokio::process::Child>,
    pub log_dir: tempfile::TempDir,
}

impl Sipp {
    /// Starts sipp as the carrier (a UAC) placing `calls` calls with `scenario` to `target`:
    /// the customer plays a `tone_hz` tone once answered and hangs up after `talk`.
    pub fn customer(
        target: SocketAddr,
        scenario_file: &Path,
        tone_hz: f64,
        talk: Duration,
        calls: u32,
    ) -> Sipp {
        Sipp::customer_dialling(target, DID, scenario_file, tone_hz, talk, calls)
    }

    /// [`Sipp::customer`] calling `dialled` (E.164, with its `+`).
    pub fn customer_dialling(
        target: SocketAddr,
        dialled: &str,
        scenario_file: &Path,
        tone_hz: f64,
        talk: Duration,
        calls: u32,
    ) -> Sipp {
        let log_dir = tempfile::tempdir().unwrap();
        write_tone_wav(&log_dir.path().join("tone.wav"), tone_hz, 30.0);
        Sipp::start(
            log_dir,
            &[
                target.to_string(),
                "-sf".into(),
                scenario_file.display().to_string(),
                "-s".into(),
                dialled.trim_start_matches('+').into(),
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                free_port().to_string(),
                "-mi".into(),
                "127.0.0.1".into(),
                "-mp".into(),
                (free_port() & !1).to_string(),
                "-m".into(),
                calls.to_string(),
                "-timeout".into(),
                "60s".into(),
                "-d".into(),
                talk.as_millis().to_string(),
                "-set".into(),
                "caller".into(),
                CALLER.into(),
            ],
        )
    }

    /// A customer whose call must be refused with `status`: calling `dialled` from `source`
    /// (any 127.0.0.0/8 address) and offering payload type `pt`.
    pub fn refused_customer(
        target: SocketAddr,
        source: &str,
        dialled: &str,
        pt: u8,
        status: u16,
    ) -> Sipp {
        let log_dir = tempfile::tempdir().unwrap();
        let template = std::fs::read_to_string(scenario("customer_is_refused.xml")).unwrap();
        let file = log_dir.path().join("refused.xml");
        std::fs::write(
            &file,
            template
                .replace("__STATUS__", &status.to_string())
                .replace("__PT__", &pt.to_string()),
        )
        .unwrap();
        Sipp::start(
            log_dir,
            &[
                target.to_string(),
                "-sf".into(),
                file.display().to_string(),
                "-s".into(),
                dialled.into(),
                "-i".into(),
                source.into(),
                "-p".into(),
                free_port().to_string(),
                "-mi".into(),
                source.into(),
                "-mp".into(),
                (free_port() & !1).to_string(),
                "-m".into(),
                "1".into(),
                "-timeout".into(),
                "20s".into(),
                "-set".into(),
                "caller".into(),
                CALLER.into(),
            ],
        )
    }

    /// Starts sipp as the carrier's side of outbound calls (a UAS on `port`), echoing the
    /// audio it receives.
    pub fn carrier(port: u16, scenario_file: &Path, calls: u32) -> Sipp {
        Sipp::start(
            tempfile::tempdir().unwrap(),
            &[
                "-sf".into(),
                scenario_file.display().to_string(),
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "-mi".into(),
                "127.0.0.1".into(),
                "-mp".into(),
                (free_port() & !1).to_string(),
                "-rtp_echo".into(),
                "-m".into(),
                calls.to_string(),
                "-timeout".into(),
                "60s".into(),
            ],
        )
    }

    /// Runs sipp with `args` in `log_dir` (its error log lands there), headless, failing a call
    /// that exceeds its timeout, and killed when dropped.
    fn start(log_dir: tempfile::TempDir, args: &[String]) -> Sipp {
        let child = tokio::process::Command::new("sipp")
            .args(args)
            .args(["-timeout_error", "-trace_err", "-nostdin"])
            .current_dir(log_dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sipp is installed (apt-get install sip-tester)");
        Sipp {
            child: Some(child),
            log_dir,
        }
    }

    /// Waits for sipp to finish; panics with its error log unless every call succeeded.
    pub async fn success(mut self) {
        let mut child = self.child.take().unwrap();
        let status = tokio::time::timeout(Duration::from_secs(90), child.wait())
            .await
            .expect("sipp finishes")
            .unwrap();
        if !status.success() {
            let mut logs = String::new();
            for entry in std::fs::read_dir(self.log_dir.path()).unwrap() {
                let path = entry.unwrap().path();
                logs.push_str(&format!("--- {}\n", path.display()));
                logs.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
            panic!("sipp failed ({status}):\n{logs}");
        }
    }
}

/// Whether a sipp binary is on PATH; CI installs it, a developer's machine may not have it.
pub fn have_sipp() -> bool {
    std::process::Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Waits until `check` holds (polling), or panics with `what`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
