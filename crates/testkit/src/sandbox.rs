//! The ServiceNow sandbox as tests and benches drive it: what a client must know of it, its
//! admin's requests, the set-up a customer's admin does once for Callbridge, and the
//! configuration section that points a tenant at it. One copy, so that a change to the set-up or
//! to the section reaches every test and bench at once.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context};
use callbridge_sandbox::{RunningSandbox, SandboxCredentials};
use callbridge_servicenow::{setup, Auth, Instance, InstanceConfig, TableClient};
use serde_json::Value;

/// The CA file's name beside the configuration ([`SandboxFacts::write_ca`] writes it there and
/// [`SandboxFacts::servicenow_section`] names it).
pub const CA_FILE: &str = "ca.pem";

/// What a client needs to know about a running sandbox, owned (for tasks and other runtimes).
#[derive(Clone)]
pub struct SandboxFacts {
    pub base_url: String,
    /// The CA the sandbox's HTTPS certificate chains to.
    pub ca_pem: Vec<u8>,
    pub credentials: SandboxCredentials,
}

impl SandboxFacts {
    /// The facts of an HTTPS sandbox (as `callbridge_sandbox::start` serves by default).
    pub fn of(sandbox: &RunningSandbox) -> anyhow::Result<SandboxFacts> {
        let ca_path = sandbox
            .ca_path
            .as_ref()
            .context("the sandbox serves plain HTTP; the kit expects HTTPS")?;
        Ok(SandboxFacts {
            base_url: sandbox.base_url.clone(),
            ca_pem: std::fs::read(ca_path)
                .with_context(|| format!("reading the sandbox's CA {}", ca_path.display()))?,
            credentials: sandbox.credentials.clone(),
        })
    }

    /// Writes the sandbox's CA as [`CA_FILE`] in `dir` (the configuration's directory).
    pub fn write_ca(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::write(dir.join(CA_FILE), &self.ca_pem)
            .with_context(|| format!("writing {CA_FILE} in {}", dir.display()))
    }

    /// `[tenant.servicenow]` for a tenant whose CRM is this sandbox, with the Case column the
    /// instance set-up adds for the caller's number. Goes inside a `[[tenant]]`; tables below
    /// `tenant.servicenow` (such as `link.agents`) may follow it.
    pub fn servicenow_section(&self) -> String {
        format!(
            "[tenant.servicenow]\ninstance_url = \"{instance}\"\nca_file = \"{CA_FILE}\"\n\
             client_id = \"{client_id}\"\nclient_secret = \"{client_secret}\"\n\n\
             [tenant.servicenow.case]\ncaller_number_column = \"u_caller_number\"\n",
            instance = self.base_url,
            client_id = self.credentials.client_id,
            client_secret = self.credentials.client_secret,
        )
    }
}

/// A keep-alive client trusting the sandbox's CA, set up like the connector's own
/// (`callbridge_servicenow::Instance`: rustls, TCP_NODELAY, no redirects, no proxy).
pub fn client(ca_pem: &[u8]) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(ca_pem).context("the sandbox's CA is not PEM")?,
        )
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .no_proxy()
        .build()?)
}

/// The sandbox as its admin sees it: the REST API with Basic authentication, and the sandbox's
/// own test endpoints (request counters, faults).
#[derive(Clone)]
pub struct SandboxAdmin {
    pub http: reqwest::Client,
    pub base: String,
    pub user: String,
    pub password: String,
    ca_pem: Vec<u8>,
}

impl SandboxAdmin {
    pub fn new(sandbox: &SandboxFacts) -> anyhow::Result<SandboxAdmin> {
        Ok(SandboxAdmin::with_client(sandbox, client(&sandbox.ca_pem)?))
    }

    /// The admin making its requests through `http` (which must trust the sandbox's CA).
    pub fn with_client(sandbox: &SandboxFacts, http: reqwest::Client) -> SandboxAdmin {
        SandboxAdmin {
            http,
            base: sandbox.base_url.clone(),
            user: sandbox.credentials.admin_user.clone(),
            password: sandbox.credentials.admin_password.clone(),
            ca_pem: sandbox.ca_pem.clone(),
        }
    }

    /// GET `path` (below the instance) with `query`: the JSON answer of a 2xx.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .query(query)
            .send()
            .await?;
        let status = reply.status();
        ensure!(status.is_success(), "GET {path}: {status}");
        Ok(reply.json().await?)
    }

    /// The Table API's records of `table` for `query`.
    pub async fn table(&self, table: &str, query: &[(&str, &str)]) -> anyhow::Result<Value> {
        self.get(&format!("/api/now/table/{table}"), query).await
    }

    /// POST `body` to `path`: the JSON answer of a 2xx (null when it has none).
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let reply = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .json(&body)
            .send()
            .await?;
        let status = reply.status();
        let json: Value = reply.json().await.unwrap_or(Value::Null);
        ensure!(status.is_success(), "POST {path}: {status} {json}");
        Ok(json)
    }

    /// PATCH `path` with `body`.
    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<()> {
        let reply = self
            .http
            .patch(format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .json(&body)
            .send()
            .await?;
        let status = reply.status();
        ensure!(status.is_success(), "PATCH {path}: {status}");
        Ok(())
    }

    /// The sandbox's request counters, `"METHOD resource" -> count`.
    pub async fn requests(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let counts = self.get("/api/x_cb_sandbox/requests", &[]).await?;
        Ok(counts["result"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Sets the request counters back to zero.
    pub async fn reset_requests(&self) -> anyhow::Result<()> {
        let reply = self
            .http
            .delete(format!("{}/api/x_cb_sandbox/requests", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await?;
        let status = reply.status();
        ensure!(status.is_success(), "DELETE the request counters: {status}");
        Ok(())
    }

    /// Arms a fault (the sandbox's `/api/x_cb_sandbox/faults` body).
    pub async fn fault(&self, fault: Value) -> anyhow::Result<()> {
        self.post("/api/x_cb_sandbox/faults", fault).await.map(drop)
    }

    /// Disarms every fault.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        let reply = self
            .http
            .delete(format!("{}/api/x_cb_sandbox/faults", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .send()
            .await?;
        let status = reply.status();
        ensure!(status.is_success(), "DELETE the faults: {status}");
        Ok(())
    }

    /// How many Cases have a correlation id starting with `prefix` (Aggregate API).
    pub async fn case_count(&self, prefix: &str) -> anyhow::Result<u64> {
        let query = format!("correlation_idSTARTSWITH{prefix}");
        let stats = self
            .get(
                "/api/now/stats/sn_customerservice_case",
                &[("sysparm_count", "true"), ("sysparm_query", query.as_str())],
            )
            .await?;
        let count = &stats["result"]["stats"]["count"];
        count
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| count.as_u64())
            .with_context(|| format!("no count in {stats}"))
    }

    /// What a customer's admin does once for Callbridge (the set-up the demo applies too):
    /// the Case columns for the caller's number and the recording link, the client-credentials
    /// grant with its application user, and Callbridge's redirect URL below `public_url`.
    pub async fn set_up_instance(&self, client_id: &str, public_url: &str) -> anyhow::Result<()> {
        let instance = Instance::new(
            InstanceConfig::new(self.base.clone()).with_root_ca_pem(self.ca_pem.clone()),
        )?;
        let redirect_url = format!("{public_url}/api/v1/crm/oauth/callback");
        let plan = setup::SetupPlan::for_default_config(
            client_id,
            "callbridge.integration",
            &redirect_url,
        );
        setup::apply(
            &TableClient::new(instance),
            &Auth::basic(&self.user, &self.password),
            &plan,
        )
        .await?;
        Ok(())
    }
}
