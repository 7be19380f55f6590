//! The server side of a benchmark: a whole contact center in this process, on loopback: the
//! ServiceNow sandbox (set up by its admin, as in the end-to-end tests), the integration server,
//! and telephony with `agents` agents in one queue, a media port range large enough for every
//! call and agent, and recordings on local disk.

use std::net::SocketAddr;
use std::path::PathBuf;

use callbridge_config::Config;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_integration::server;
use callbridge_sandbox::{RunningSandbox, SandboxOptions};
use callbridge_store::SecretKey;
use callbridge_telephony::Telephony;
use callbridge_testkit::{SandboxAdmin, SandboxFacts};
use callbridge_web::RunningServer;

pub const TENANT: &str = "demo";
pub const DID: &str = "+81312345000";
pub const CALLER: &str = "+819012345678";

/// The media ports the server may use. Below Linux's ephemeral range (32768-60999), so the
/// agents' softphones and sipp (which bind OS-chosen or higher ports) rarely collide with it;
/// the server's port pool skips a port it cannot bind anyway.
const RTP_PORTS: &str = "10000-19999";

/// Agent names, zero-padded so they sort: `agent0000`, `agent0001`, ...
pub fn agent_name(i: usize) -> String {
    format!("agent{i:04}")
}

pub struct CenterOptions {
    pub agents: usize,
    /// SIP requests per second accepted from one source. The product's default (1000) is
    /// sized for about 300 calls/s; benchmarks raise it so that it never is the limit measured.
    pub sip_flood_limit: u32,
}

pub struct ContactCenter {
    sandbox: RunningSandbox,
    server: RunningServer,
    telephony: Telephony,
    pub sip: SocketAddr,
    pub master_key: String,
    dir: tempfile::TempDir,
}

impl ContactCenter {
    pub async fn start(options: &CenterOptions) -> anyhow::Result<ContactCenter> {
        let dir = tempfile::tempdir()?;
        let sandbox = callbridge_sandbox::start(SandboxOptions::default()).await?;
        let facts = SandboxFacts::of(&sandbox)?;
        facts.write_ca(dir.path())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let public_url = format!("http://127.0.0.1:{port}");
        SandboxAdmin::new(&facts)?
            .set_up_instance(&facts.credentials.client_id, &public_url)
            .await?;
        let master_key = SecretKey::generate().to_base64();
        let toml = config_toml(
            options,
            port,
            &public_url,
            &dir.path().join("callbridge.db"),
            &master_key,
            &facts,
        );
        let config = Config::parse("bench.toml", &toml, dir.path(), &|_| None)?;
        let telephony_config = config
            .telephony
            .clone()
            .expect("the file has a [telephony] section");
        let prepared = server::prepare(
            &config,
            OutboxOptions::default(),
            &callbridge_integration::crm::CrmRegistry::new().with(std::sync::Arc::new(
                callbridge_servicenow::adapter::ServiceNowKind,
            )),
        )
        .await?;
        let telephony = Telephony::start(
            &telephony_config,
            &config,
            {
                let engine = prepared.runtime.clone();
                std::sync::Arc::new(move |event: callbridge_core::Event| engine.submit(event))
            },
            prepared.store.clone(),
        )
        .await?;
        let sip = telephony.sip_addrs()[0];
        let server = callbridge_web::serve(prepared, Some(telephony.handle())).await?;
        Ok(ContactCenter {
            sandbox,
            server,
            telephony,
            sip,
            master_key,
            dir,
        })
    }

    /// Where the softphone WebSocket listens.
    pub fn web_addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    /// Stored call records by outcome (`answered`, `abandoned`, ...), at most `limit` read.
    pub async fn call_outcomes(&self, limit: u32) -> std::collections::BTreeMap<String, usize> {
        let mut outcomes = std::collections::BTreeMap::new();
        let rows = self
            .server
            .store
            .recent_call_records(TENANT, limit)
            .await
            .unwrap_or_default();
        for row in rows {
            *outcomes.entry(row.outcome).or_insert(0) += 1;
        }
        outcomes
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
        self.telephony.shutdown().await;
        drop(self.sandbox);
        drop(self.dir);
    }
}

fn config_toml(
    options: &CenterOptions,
    port: u16,
    public_url: &str,
    db: &std::path::Path,
    master_key: &str,
    sandbox: &SandboxFacts,
) -> String {
    let mut agents = String::new();
    for i in 0..options.agents {
        agents.push_str(&format!(
            "[[tenant.telephony.agent]]\nname = \"{}\"\nqueues = [\"support\"]\n\n",
            agent_name(i)
        ));
    }
    format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = "{master_key}"

[telephony]
sip_udp = "127.0.0.1:0"
sip_flood_limit = {flood}
media_bind_ip = "127.0.0.1"
rtp_ports = "{RTP_PORTS}"
media_timeout_secs = 10
spool_dir = "spool"

[[tenant]]
id = "{TENANT}"
default_region = "JP"
contact_wait_secs = 1

{servicenow}
[tenant.telephony]
allowed_sources = ["127.0.0.1"]

[[tenant.telephony.number]]
did = "{DID}"
queue = "support"

[[tenant.telephony.queue]]
id = "support"
waiting = "ringback"
ring_timeout_secs = 10
max_waiting = 100000

{agents}
[tenant.telephony.recordings]
store = "local"
path = "recordings"
"#,
        db = db.display(),
        flood = options.sip_flood_limit,
        servicenow = sandbox.servicenow_section(),
    )
}
