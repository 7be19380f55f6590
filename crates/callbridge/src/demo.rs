//! `callbridge demo`: the ServiceNow sandbox with demo data, set up by its admin the way a
//! customer's admin would (Case columns for the caller number and recording link, the
//! client_credentials grant with an application user, our redirect URL), and the Callbridge
//! integration server pointed at it, all on loopback and embedded defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use callbridge_integration::config::Config;
use callbridge_integration::linking;
use callbridge_sandbox::{SandboxOptions, Seed};
use callbridge_servicenow::{setup, Auth, Instance, InstanceConfig, TableClient};
use callbridge_store::SecretKey;

pub struct DemoOptions {
    pub sandbox_listen: SocketAddr,
    pub listen: SocketAddr,
    /// Where the demo's SIP trunk side listens (UDP and TCP).
    pub sip_listen: SocketAddr,
    pub data: Option<PathBuf>,
}

/// The number customers call in the demo, and where click-to-dial calls go (a carrier a
/// developer can stand up with `sipp -sn uas -p 5070`).
const DEMO_DID: &str = "+81312345000";
const DEMO_TRUNK_PORT: u16 = 5070;

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
    prepare_sandbox(&sandbox, &ca_path, &public_url)
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

[telephony]
sip_udp = "{sip}"
sip_tcp = "{sip}"
media_bind_ip = "{sip_ip}"
rtp_ports = "30000-30999"
spool_dir = "spool"

[tenant.telephony]
allowed_sources = ["127.0.0.1"]

[tenant.telephony.trunk]
host = "127.0.0.1"
port = {trunk_port}
caller_id = "{did}"

[[tenant.telephony.number]]
did = "{did}"
queue = "support"

[[tenant.telephony.queue]]
id = "support"
waiting = "ringback"

[[tenant.telephony.agent]]
name = "alice.agent"
queues = ["support"]

[[tenant.telephony.agent]]
name = "bob.agent"
queues = ["support"]

[tenant.telephony.recordings]
store = "local"
path = "recordings"
"#,
        sip = options.sip_listen,
        sip_ip = options.sip_listen.ip(),
        trunk_port = DEMO_TRUNK_PORT,
        did = DEMO_DID,
        listen = options.listen,
        db = dir.join("callbridge.db").display(),
        instance = sandbox.base_url,
        ca = ca_path.display(),
        client_id = sandbox.credentials.client_id,
        client_secret = sandbox.credentials.client_secret,
    );
    std::fs::write(dir.join("callbridge.toml"), &config_text)?;
    let config = Config::load(&dir.join("callbridge.toml"))?;
    let running = crate::server::start(&dir.join("callbridge.toml"), &config).await?;

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
    println!("Telephony");
    println!(
        "  SIP trunk         {} (UDP and TCP), number {DEMO_DID}",
        options.sip_listen
    );
    println!(
        "  place a call      sipp -sn uac -s {} {}",
        DEMO_DID.trim_start_matches('+'),
        options.sip_listen
    );
    println!(
        "  outbound trunk    127.0.0.1:{DEMO_TRUNK_PORT} (e.g. sipp -sn uas -p {DEMO_TRUNK_PORT})"
    );
    println!("  recordings        {}", dir.join("recordings").display());
    println!("  softphone connections (WebSocket, valid 14 h):");
    for agent in ["alice.agent", "bob.agent"] {
        let ticket = callbridge_telephony::softphone::ticket::issue(
            &config.server.master_key,
            "demo",
            agent,
            now,
        );
        println!(
            "    {agent:<12} {}/api/v1/tenants/demo/agents/{agent}/softphone?ticket={ticket}",
            crate::cli::ws_url(&public_url)
        );
    }
    println!();
    println!(
        "Check the setup:    callbridge doctor --config {}",
        dir.join("callbridge.toml").display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    running.shutdown().await;
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

/// What the setup guide asks a customer's admin to do, done as the sandbox's admin.
async fn prepare_sandbox(
    sandbox: &callbridge_sandbox::RunningSandbox,
    ca: &Path,
    public_url: &str,
) -> anyhow::Result<()> {
    let instance = Instance::new(
        InstanceConfig::new(sandbox.base_url.clone()).with_root_ca_pem(std::fs::read(ca)?),
    )?;
    let admin = Auth::basic(
        &sandbox.credentials.admin_user,
        &sandbox.credentials.admin_password,
    );
    let redirect_url = format!("{public_url}{}", linking::CALLBACK_PATH);
    let plan = setup::SetupPlan::for_default_config(
        &sandbox.credentials.client_id,
        "callbridge.integration",
        &redirect_url,
    );
    setup::apply(&TableClient::new(instance), &admin, &plan).await?;
    Ok(())
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
