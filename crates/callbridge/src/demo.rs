//! `callbridge demo`: the ServiceNow sandbox with demo data, set up by its admin the way a
//! customer's admin would (Case columns for the caller number and recording link, the
//! client_credentials grant with an application user, our redirect URL), and the Callbridge
//! integration server pointed at it, all on loopback and embedded defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use callbridge_integration::config::Config;
use callbridge_integration::linking;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_sandbox::{SandboxOptions, Seed};
use callbridge_store::SecretKey;
use serde_json::{json, Value};

pub struct DemoOptions {
    pub sandbox_listen: SocketAddr,
    pub listen: SocketAddr,
    pub data: Option<PathBuf>,
}

pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let temp = tempfile_dir(options.data.as_deref())?;
    let dir = temp.path().to_path_buf();
    let sandbox = callbridge_sandbox::start(SandboxOptions {
        listen: options.sandbox_listen,
        data_dir: Some(dir.join("sandbox")),
        seed: Seed::Demo,
        contacts: 0,
        insecure_http: false,
    })
    .await?;
    let ca_path = sandbox
        .ca_path
        .clone()
        .context("the sandbox serves HTTPS")?;
    let public_url = format!("http://{}", options.listen);
    let admin = InstanceAdmin::new(
        &sandbox.base_url,
        &ca_path,
        &sandbox.credentials.admin_user,
        &sandbox.credentials.admin_password,
    )?;
    admin
        .prepare_for_callbridge(&sandbox.credentials.client_id, &public_url)
        .await
        .context("setting the sandbox up for Callbridge")?;

    read_or_create(&dir.join("master.key"), || {
        SecretKey::generate().to_base64()
    })?;
    let events_secret = read_or_create(&dir.join("events.secret"), random_secret)?;
    let config_text = format!(
        r#"
[server]
listen = "{listen}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = {{ file = "master.key" }}

[[tenant]]
id = "demo"
name = "Callbridge demo contact center"
default_region = "JP"
call_events_secret = {{ file = "events.secret" }}

[tenant.servicenow]
instance_url = "{instance}"
ca_file = "{ca}"
client_id = "{client_id}"
client_secret = "{client_secret}"

[tenant.servicenow.case]
caller_number_column = "u_caller_number"
"#,
        listen = options.listen,
        db = dir.join("callbridge.db").display(),
        instance = sandbox.base_url,
        ca = ca_path.display(),
        client_id = sandbox.credentials.client_id,
        client_secret = sandbox.credentials.client_secret,
    );
    std::fs::write(dir.join("callbridge.toml"), &config_text)?;
    let config = Config::load(&dir.join("callbridge.toml"))?;
    let server = callbridge_integration::server::start(&config, OutboxOptions::default()).await?;

    let c = &sandbox.credentials;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    println!("Callbridge demo is running.");
    println!();
    println!("ServiceNow sandbox  {}", sandbox.base_url);
    println!("  CA certificate    {}", ca_path.display());
    println!(
        "  admin             {} / {}",
        c.admin_user, c.admin_password
    );
    println!(
        "  agents            alice.agent, bob.agent (CSM agent role), carol.norole (no CSM role)"
    );
    println!("  agent password    {}", c.agent_password);
    println!();
    println!("Callbridge          {public_url}");
    println!(
        "  configuration     {}",
        dir.join("callbridge.toml").display()
    );
    println!("  call events       POST {public_url}/api/v1/tenants/demo/call-events");
    println!("  events secret     {events_secret}  (sign: X-Callbridge-Signature t=<unix>,v1=hex(HMAC-SHA256(secret, \"<t>.<body>\")))");
    println!(
        "  link CRM accounts (open in a browser, sign in as the matching agent, valid 15 min):"
    );
    for agent in ["alice.agent", "bob.agent"] {
        let ticket = linking::ticket(&config.server.master_key, "demo", agent, now);
        println!("    {agent:<12} {public_url}/api/v1/tenants/demo/agents/{agent}/crm-link?ticket={ticket}");
    }
    println!();
    println!(
        "Check the setup:    callbridge doctor --config {}",
        dir.join("callbridge.toml").display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    sandbox.shutdown().await;
    drop(temp);
    Ok(())
}

/// The demo's data directory: the one given, or a temporary one removed at exit.
enum DemoDir {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl DemoDir {
    fn path(&self) -> &Path {
        match self {
            DemoDir::Kept(p) => p,
            DemoDir::Temporary(t) => t.path(),
        }
    }
}

fn tempfile_dir(data: Option<&Path>) -> anyhow::Result<DemoDir> {
    Ok(match data {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            DemoDir::Kept(dir.to_path_buf())
        }
        None => DemoDir::Temporary(
            tempfile::Builder::new()
                .prefix("callbridge-demo-")
                .tempdir()?,
        ),
    })
}

fn random_secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
}

/// Reads a secret file, or creates it (mode 0600) with `make()`.
fn read_or_create(path: &Path, make: impl FnOnce() -> String) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_string());
    }
    let value = make();
    std::fs::write(path, &value).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(value)
}

/// The sandbox's admin, over the Table API like any ServiceNow admin.
struct InstanceAdmin {
    http: reqwest::Client,
    base: String,
    user: String,
    password: String,
}

impl InstanceAdmin {
    fn new(base: &str, ca: &Path, user: &str, password: &str) -> anyhow::Result<InstanceAdmin> {
        let pem = std::fs::read(ca)?;
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem)?)
            .no_proxy()
            .build()?;
        Ok(InstanceAdmin {
            http,
            base: base.to_string(),
            user: user.to_string(),
            password: password.to_string(),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await?;
        let status = reply.status();
        let json: Value = reply.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{method} {path}: {status} {json}");
        Ok(json)
    }

    async fn first(&self, table: &str, query: &str) -> anyhow::Result<Option<Value>> {
        let reply = self
            .call(
                reqwest::Method::GET,
                &format!("/api/now/table/{table}"),
                &[("sysparm_query", query), ("sysparm_limit", "1")],
                None,
            )
            .await?;
        Ok(reply["result"]
            .as_array()
            .and_then(|rows| rows.first().cloned()))
    }

    /// Idempotent: safe on a sandbox that was already prepared.
    async fn prepare_for_callbridge(
        &self,
        client_id: &str,
        public_url: &str,
    ) -> anyhow::Result<()> {
        for (element, kind, length, label) in [
            ("u_recording_url", "url", "1024", "Call recording"),
            ("u_caller_number", "string", "40", "Caller number"),
        ] {
            let query = format!("name=sn_customerservice_case^element={element}");
            if self.first("sys_dictionary", &query).await?.is_none() {
                self.call(
                    reqwest::Method::POST,
                    "/api/now/table/sys_dictionary",
                    &[],
                    Some(json!({"name": "sn_customerservice_case", "element": element, "internal_type": kind, "max_length": length, "column_label": label})),
                )
                .await?;
            }
        }
        let property = "glide.oauth.inbound.client.credential.grant_type.enabled";
        match self
            .first("sys_properties", &format!("name={property}"))
            .await?
        {
            Some(row) => {
                let id = row["sys_id"].as_str().unwrap_or_default();
                self.call(
                    reqwest::Method::PATCH,
                    &format!("/api/now/table/sys_properties/{id}"),
                    &[],
                    Some(json!({"value": "true"})),
                )
                .await?;
            }
            None => {
                self.call(
                    reqwest::Method::POST,
                    "/api/now/table/sys_properties",
                    &[],
                    Some(json!({"name": property, "value": "true", "type": "boolean"})),
                )
                .await?;
            }
        }
        let integration = self
            .first("sys_user", "user_name=callbridge.integration")
            .await?
            .context("the demo integration user is missing")?;
        let entity = self
            .first("oauth_entity", &format!("client_id={client_id}"))
            .await?
            .context("the demo OAuth client is missing")?;
        let entity_id = entity["sys_id"].as_str().unwrap_or_default();
        self.call(
            reqwest::Method::PATCH,
            &format!("/api/now/table/oauth_entity/{entity_id}"),
            &[],
            Some(json!({
                "user": integration["sys_id"],
                "redirect_url": format!("{public_url}{}", linking::CALLBACK_PATH),
            })),
        )
        .await?;
        Ok(())
    }
}
