//! Test harness: a sandbox started in-process on port 0, reached over real HTTPS by a reqwest
//! client that trusts only the CA the sandbox generated (as any client of a corporate-CA
//! instance would). Each helper speaks the wire protocol; nothing reaches into the instance.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::path::PathBuf;

use callbridge_sandbox::{start, RunningSandbox, SandboxCredentials, SandboxOptions, Seed};
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

pub struct Sandbox {
    running: Option<RunningSandbox>,
    pub base: String,
    pub creds: SandboxCredentials,
    pub http: reqwest::Client,
}

/// Who sends a request.
#[derive(Clone, Copy, Debug)]
pub enum Who<'a> {
    Anonymous,
    Admin,
    /// A demo user (alice.agent, bob.agent, carol.norole, callbridge.integration) by Basic auth.
    User(&'a str),
    Bearer(&'a str),
}

/// A complete answer: status, headers, raw body and the body parsed as JSON (Null if it is not).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl std::fmt::Debug for Reply {
    /// Status, headers and the start of the body: enough to see why an assertion failed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body: String = self.text.chars().take(600).collect();
        let more = if self.text.chars().count() > 600 {
            "..."
        } else {
            ""
        };
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format!("{body}{more}"))
            .finish()
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// `result` as a list (panics with the whole reply otherwise).
    pub fn rows(&self) -> &Vec<Value> {
        self.json["result"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list result: {self:?}"))
    }

    pub fn result(&self) -> &Value {
        &self.json["result"]
    }

    pub fn total_count(&self) -> usize {
        self.header("x-total-count")
            .unwrap_or_else(|| panic!("no X-Total-Count: {self:?}"))
            .parse()
            .expect("X-Total-Count is a number")
    }

    pub fn expect(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; reply: {self:?}"
        );
        self
    }
}

/// Asserts ServiceNow's error envelope (servicenow.md §1.6).
pub fn assert_error(reply: &Reply, status: u16, message: &str, detail: Option<&str>) {
    assert_eq!(reply.status.as_u16(), status, "status; reply: {reply:?}");
    assert_eq!(
        reply.json["status"], "failure",
        "envelope status; reply: {reply:?}"
    );
    assert_eq!(
        reply.json["error"]["message"], message,
        "message; reply: {reply:?}"
    );
    match detail {
        Some(d) => assert_eq!(reply.json["error"]["detail"], d, "detail; reply: {reply:?}"),
        None => assert!(
            reply.json["error"]["detail"].is_null(),
            "detail should be null; reply: {reply:?}"
        ),
    }
    let ct = reply.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "error content type {ct}"
    );
}

pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

impl Sandbox {
    /// A fresh instance with the demo data set in a temporary directory.
    pub async fn start() -> Sandbox {
        Sandbox::start_with(SandboxOptions::default()).await
    }

    pub async fn start_in(dir: PathBuf) -> Sandbox {
        Sandbox::start_with(SandboxOptions {
            data_dir: Some(dir),
            seed: Seed::Demo,
            ..SandboxOptions::default()
        })
        .await
    }

    pub async fn start_with(options: SandboxOptions) -> Sandbox {
        let running = start(options).await.expect("sandbox starts");
        let ca_path = running.ca_path.clone().expect("HTTPS sandbox has a CA");
        let pem = std::fs::read(&ca_path).expect("CA file readable");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA is PEM"))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("client builds");
        Sandbox {
            base: running.base_url.clone(),
            creds: running.credentials.clone(),
            running: Some(running),
            http,
        }
    }

    /// A seeded account's own password (panics for an account the sandbox did not make).
    pub fn password_of(&self, user: &str) -> &str {
        self.creds
            .password(user)
            .unwrap_or_else(|| panic!("the sandbox made no account {user:?}"))
    }

    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with `Accept: application/json` and the caller's credentials.
    pub fn request(&self, who: Who<'_>, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self
            .http
            .request(method, self.url(path))
            .header("accept", "application/json");
        match who {
            Who::Anonymous => builder,
            Who::Admin => {
                builder.basic_auth(&self.creds.admin_user, Some(&self.creds.admin_password))
            }
            Who::User(name) => builder.basic_auth(name, Some(self.password_of(name))),
            Who::Bearer(token) => builder.bearer_auth(token),
        }
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Reply {
        let response = builder.send().await.expect("request completes");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body readable");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, who: Who<'_>, path: &str) -> Reply {
        self.send(self.request(who, Method::GET, path)).await
    }

    pub async fn post(&self, who: Who<'_>, path: &str, body: &Value) -> Reply {
        self.send(self.request(who, Method::POST, path).json(body))
            .await
    }

    pub async fn patch(&self, who: Who<'_>, path: &str, body: &Value) -> Reply {
        self.send(self.request(who, Method::PATCH, path).json(body))
            .await
    }

    pub async fn put(&self, who: Who<'_>, path: &str, body: &Value) -> Reply {
        self.send(self.request(who, Method::PUT, path).json(body))
            .await
    }

    pub async fn delete(&self, who: Who<'_>, path: &str) -> Reply {
        self.send(self.request(who, Method::DELETE, path)).await
    }

    /// sys_id of the only row of `table` matching `query` (read as admin).
    pub async fn sys_id_of(&self, table: &str, query: &str) -> String {
        let reply = self
            .get(
                Who::Admin,
                &format!("/api/now/table/{table}?sysparm_query={}", encode(query)),
            )
            .await;
        reply.expect(200);
        let rows = reply.rows();
        assert_eq!(
            rows.len(),
            1,
            "expected one {table} row for {query}: {reply:?}"
        );
        rows[0]["sys_id"].as_str().expect("sys_id").to_string()
    }

    pub async fn user_id(&self, user_name: &str) -> String {
        self.sys_id_of("sys_user", &format!("user_name={user_name}"))
            .await
    }

    pub async fn role_id(&self, role: &str) -> String {
        self.sys_id_of("sys_user_role", &format!("name={role}"))
            .await
    }

    /// Sets a system property the way an admin does: through the Table API on sys_properties.
    pub async fn set_property(&self, name: &str, value: &str) {
        let reply = self
            .get(
                Who::Admin,
                &format!(
                    "/api/now/table/sys_properties?sysparm_query={}",
                    encode(&format!("name={name}"))
                ),
            )
            .await;
        reply.expect(200);
        match reply.rows().first() {
            Some(row) => {
                let id = row["sys_id"].as_str().expect("sys_id");
                self.patch(
                    Who::Admin,
                    &format!("/api/now/table/sys_properties/{id}"),
                    &json!({"value": value}),
                )
                .await
                .expect(200);
            }
            None => {
                self.post(
                    Who::Admin,
                    "/api/now/table/sys_properties",
                    &json!({"name": name, "value": value, "type": "string"}),
                )
                .await
                .expect(201);
            }
        }
    }

    /// Moves the instance clock forward (sandbox admin API).
    pub async fn advance_clock(&self, seconds: i64) {
        self.post(
            Who::Admin,
            "/api/x_cb_sandbox/clock",
            &json!({"advance_seconds": seconds}),
        )
        .await
        .expect(200);
    }

    /// POST /oauth_token.do with a form body (and optional extra headers via `basic_client`).
    pub async fn token_request(
        &self,
        form: &[(&str, &str)],
        basic_client: Option<(&str, &str)>,
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter())
            .finish();
        let mut builder = self
            .http
            .post(self.url("/oauth_token.do"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        if let Some((id, secret)) = basic_client {
            builder = builder.basic_auth(id, Some(secret));
        }
        self.send(builder).await
    }

    /// Password grant with the registered client's credentials in the body.
    pub async fn password_grant(&self, user: &str, password: &str) -> Reply {
        let (id, secret) = (
            self.creds.client_id.clone(),
            self.creds.client_secret.clone(),
        );
        self.token_request(
            &[
                ("grant_type", "password"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("username", user),
                ("password", password),
            ],
            None,
        )
        .await
    }

    /// An access token for a demo user (panics unless the grant succeeds).
    pub async fn agent_token(&self, user: &str) -> (String, String) {
        let reply = self.password_grant(user, self.password_of(user)).await;
        reply.expect(200);
        (
            reply.json["access_token"]
                .as_str()
                .expect("access_token")
                .to_string(),
            reply.json["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_string(),
        )
    }

    pub async fn refresh_grant(&self, refresh: &str) -> Reply {
        let (id, secret) = (
            self.creds.client_id.clone(),
            self.creds.client_secret.clone(),
        );
        self.token_request(
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("refresh_token", refresh),
            ],
            None,
        )
        .await
    }

    /// Creates a case as `who` and returns its JSON.
    pub async fn create_case(&self, who: Who<'_>, body: &Value) -> Value {
        let reply = self
            .post(who, "/api/now/table/sn_customerservice_case", body)
            .await;
        reply.expect(201);
        reply.result().clone()
    }
}

/// Percent-encodes a query parameter value completely (`+`, `^`, `=`, spaces...).
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}
