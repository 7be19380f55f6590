//! Test harness: the ServiceNow sandbox in-process over HTTPS, reached by this crate's clients
//! trusting only the sandbox's CA. Admin-only sandbox endpoints (faults, clock, request counts)
//! are called with a plain reqwest client.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::time::Duration;

use callbridge_sandbox::{start, RunningSandbox, SandboxOptions};
use callbridge_servicenow::query::{Condition, Query};
use callbridge_servicenow::{
    Auth, ColumnName, Instance, InstanceConfig, OAuthClient, SysId, TableClient, TableName,
};
use serde_json::{json, Map, Value};

pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/api/v1/crm/oauth/callback";

pub struct Env {
    pub sandbox: RunningSandbox,
    pub instance: Instance,
    pub client: TableClient,
    pub oauth: OAuthClient,
    /// A browser-like client: trusts the CA, follows no redirects.
    pub browser: reqwest::Client,
    ca_pem: Vec<u8>,
}

pub fn table(name: &str) -> TableName {
    TableName::new(name).unwrap()
}

pub fn col(name: &str) -> ColumnName {
    ColumnName::new(name).unwrap()
}

impl Env {
    pub async fn start() -> Env {
        let sandbox = start(SandboxOptions::default())
            .await
            .expect("sandbox starts");
        let ca_path = sandbox.ca_path.clone().expect("HTTPS sandbox has a CA");
        let ca_pem = std::fs::read(&ca_path).expect("CA readable");
        let instance = Env::connect(&sandbox.base_url, &ca_pem, Duration::from_secs(15));
        let browser = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca_pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let oauth = OAuthClient::new(
            instance.clone(),
            sandbox.credentials.client_id.clone(),
            sandbox.credentials.client_secret.clone(),
        );
        Env {
            client: TableClient::new(instance.clone()),
            instance,
            oauth,
            browser,
            sandbox,
            ca_pem,
        }
    }

    fn connect(base: &str, ca_pem: &[u8], timeout: Duration) -> Instance {
        let mut config = InstanceConfig::new(base)
            .with_root_ca_pem(ca_pem.to_vec())
            .with_timeout(timeout);
        config.use_env_proxy = false;
        Instance::new(config).expect("instance config is valid")
    }

    /// A second client on the same instance with another request timeout.
    pub fn client_with_timeout(&self, timeout: Duration) -> TableClient {
        TableClient::new(Env::connect(&self.sandbox.base_url, &self.ca_pem, timeout))
    }

    /// Basic credentials of a demo user (alice.agent, bob.agent, carol.norole, callbridge.integration).
    pub fn user(&self, name: &str) -> Auth {
        Auth::basic(
            name,
            self.sandbox
                .credentials
                .password(name)
                .expect("a seeded account")
                .to_string(),
        )
    }

    pub fn admin(&self) -> Auth {
        Auth::basic(
            self.sandbox.credentials.admin_user.clone(),
            self.sandbox.credentials.admin_password.clone(),
        )
    }

    async fn sandbox_api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let creds = &self.sandbox.credentials;
        let mut request = self
            .browser
            .request(
                method,
                format!("{}/api/x_cb_sandbox/{path}", self.sandbox.base_url),
            )
            .basic_auth(&creds.admin_user, Some(&creds.admin_password))
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sandbox admin API answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "sandbox admin API {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Injects a fault (`{"kind":"status","status":503,"count":1}` ...).
    pub async fn fault(&self, fault: Value) {
        self.sandbox_api(reqwest::Method::POST, "faults", Some(fault))
            .await;
    }

    pub async fn advance_clock(&self, seconds: i64) {
        self.sandbox_api(
            reqwest::Method::POST,
            "clock",
            Some(json!({ "advance_seconds": seconds })),
        )
        .await;
    }

    /// The instance's clock (unix seconds): the `now` to give token requests.
    pub async fn now(&self) -> i64 {
        self.sandbox_api(reqwest::Method::GET, "clock", None).await["result"]["now"]
            .as_i64()
            .expect("clock answers a number")
    }

    pub async fn reset_requests(&self) {
        self.sandbox_api(reqwest::Method::DELETE, "requests", None)
            .await;
    }

    /// Requests the instance served since the last reset, by "METHOD resource", without the
    /// sandbox's own admin API.
    pub async fn requests(&self) -> BTreeMap<String, u64> {
        let value = self
            .sandbox_api(reqwest::Method::GET, "requests", None)
            .await;
        value["result"]
            .as_object()
            .expect("request counts")
            .iter()
            .filter(|(k, _)| !k.contains("x_cb_sandbox"))
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect()
    }

    /// sys_id of the first `table` record with `column=value` (as admin).
    pub async fn find_id(&self, table_name: &str, column: &str, value: &str) -> SysId {
        let query = Query::from_condition(Condition::eq(&col(column), value).unwrap());
        let rows = self
            .client
            .list(
                &self.admin(),
                &table(table_name),
                &query,
                &[col("sys_id")],
                1,
            )
            .await
            .expect("admin reads");
        SysId::new(
            rows.first()
                .unwrap_or_else(|| panic!("no {table_name} with {column}={value}"))
                .sys_id()
                .unwrap(),
        )
        .unwrap()
    }

    /// The admin steps of servicenow.md §2.1 for the client-credentials grant: the OAuth
    /// Application User on the client, and the enabling property.
    pub async fn enable_client_credentials(&self, user_name: &str) {
        let admin = self.admin();
        let client_row = self
            .find_id(
                "oauth_entity",
                "client_id",
                &self.sandbox.credentials.client_id,
            )
            .await;
        let user = self.find_id("sys_user", "user_name", user_name).await;
        let mut values = Map::new();
        values.insert("user".into(), json!(user.as_str()));
        self.client
            .update(&admin, &table("oauth_entity"), &client_row, &values, &[])
            .await
            .expect("admin sets the OAuth Application User");
        let mut property = Map::new();
        property.insert(
            "name".into(),
            json!("glide.oauth.inbound.client.credential.grant_type.enabled"),
        );
        property.insert("value".into(), json!("true"));
        self.client
            .create(&admin, &table("sys_properties"), &property, &[])
            .await
            .expect("admin creates the property");
    }
}
