//! Shared set-up for the integration benchmarks: a ServiceNow sandbox on its own tokio runtime
//! (as a separate process would be; on a 2-core machine both runtimes share the same two
//! cores), the admin set-up a customer does once, a Callbridge configuration and store, an
//! agent linked with a token from the password grant, and small helpers to print figures.

#![allow(dead_code)] // each bench uses a different subset

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use callbridge_config::Config;
use callbridge_sandbox::{RunningSandbox, SandboxOptions};
use callbridge_servicenow::{current_user, Instance, InstanceConfig, OAuthClient};
use callbridge_store::{AgentLink, SecretKey, Store};
pub use callbridge_testkit::{SandboxAdmin, SandboxFacts};

pub const TENANT: &str = "demo";
/// The agent's name in Callbridge, and the CRM user it is linked to.
pub const AGENT: &str = "alice";
pub const CRM_USER: &str = "alice.agent";
pub const EVENTS_SECRET: &str = "bench-events-secret";

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The tokio runtime the benchmark's own side (Callbridge, the bare client) runs on.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client-rt")
        .enable_all()
        .build()
        .expect("client runtime")
}

/// A sandbox instance served from its own runtime (2 worker threads, named `sandbox-rt`).
pub struct SandboxHost {
    runtime: tokio::runtime::Runtime,
    pub sandbox: Option<RunningSandbox>,
}

impl SandboxHost {
    /// Call outside any runtime.
    pub fn start(contacts: u64) -> anyhow::Result<SandboxHost> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sandbox-rt")
            .enable_all()
            .build()?;
        let sandbox = runtime.block_on(callbridge_sandbox::start(SandboxOptions {
            contacts,
            ..Default::default()
        }))?;
        Ok(SandboxHost {
            runtime,
            sandbox: Some(sandbox),
        })
    }

    pub fn get(&self) -> &RunningSandbox {
        self.sandbox.as_ref().expect("running")
    }

    /// What a client needs to know about the instance (owned, for tasks).
    pub fn info(&self) -> SandboxFacts {
        SandboxFacts::of(self.get()).expect("an HTTPS sandbox with its CA")
    }

    /// Call outside any runtime.
    pub fn stop(mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
        self.runtime.shutdown_timeout(Duration::from_secs(2));
    }
}

/// Runs `work` as a task on `runtime`'s worker threads (as the server runs its work), not on
/// the calling thread.
pub fn run_on<F>(runtime: &tokio::runtime::Runtime, work: F) -> anyhow::Result<()>
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    runtime.block_on(async { tokio::spawn(work).await? })
}

/// A keep-alive client trusting the sandbox's CA, set up like the connector's own.
pub fn bare_client(ca_pem: &[u8]) -> reqwest::Client {
    callbridge_testkit::sandbox::client(ca_pem).expect("client")
}

/// Callbridge's side: configuration, store, an agent linked to the CRM.
pub struct Callbridge {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub store: Store,
    pub db_path: PathBuf,
    pub ca_pem: Vec<u8>,
    pub admin: SandboxAdmin,
    pub public_url: String,
    pub base_url: String,
    /// The linked agent's access token (for the bare client).
    pub agent_token: String,
    pub agent_sys_id: String,
}

/// Sets the sandbox up as its admin, writes a configuration (rate limiter off), opens the
/// store and links [`AGENT`] to [`CRM_USER`] with a password-grant token.
pub async fn callbridge(sandbox: &SandboxFacts) -> anyhow::Result<Callbridge> {
    let dir = tempfile::tempdir()?;
    let ca_pem = sandbox.ca_pem.clone();
    sandbox.write_ca(dir.path())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let public_url = format!("http://127.0.0.1:{port}");
    let admin = SandboxAdmin::new(sandbox)?;
    admin
        .set_up_instance(&sandbox.credentials.client_id, &public_url)
        .await?;
    let key = SecretKey::generate();
    let db_path = dir.path().join("callbridge.db");
    let toml = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "{public_url}"
database_url = "sqlite://{db}"
master_key = "{key}"

[[tenant]]
id = "{TENANT}"
default_region = "US"
call_events_secret = "{EVENTS_SECRET}"
contact_wait_secs = 2

{servicenow}"#,
        db = db_path.display(),
        key = key.to_base64(),
        servicenow = sandbox.servicenow_section(),
    );
    let config = Config::parse("bench.toml", &toml, dir.path(), &|_| None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    anyhow::ensure!(
        !config.tenants[0]
            .crm
            .table
            .contains_key("requests_per_hour"),
        "the rate limiter must be off"
    );
    let store = Store::open(&config.server.database_url, key).await?;

    // Link the agent: a password-grant token for the CRM user, and who that user is.
    let instance = Instance::new(
        InstanceConfig::new(sandbox.base_url.clone()).with_root_ca_pem(ca_pem.clone()),
    )?;
    let oauth = OAuthClient::new(
        instance.clone(),
        sandbox.credentials.client_id.clone(),
        sandbox.credentials.client_secret.clone(),
    );
    let now = time::OffsetDateTime::now_utc();
    let tokens = oauth
        .password(
            CRM_USER,
            sandbox.credentials.password(CRM_USER).expect("seeded"),
            now.unix_timestamp(),
        )
        .await?;
    let user = current_user(&instance, &tokens.auth()).await?;
    anyhow::ensure!(
        tokens.expires_at - now.unix_timestamp() > 600,
        "the agent's token expires too soon for a benchmark"
    );
    store
        .save_link(
            TENANT,
            AGENT,
            AgentLink {
                crm_user_id: user.sys_id.clone(),
                crm_user_name: user.user_name.clone(),
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone().unwrap_or_default(),
                access_expires_at: time::OffsetDateTime::from_unix_timestamp(tokens.expires_at)?,
                linked_at: now,
            },
        )
        .await?;
    Ok(Callbridge {
        dir,
        config,
        store,
        db_path,
        ca_pem,
        admin,
        public_url,
        base_url: sandbox.base_url.clone(),
        agent_token: tokens.access_token,
        agent_sys_id: user.sys_id,
    })
}

/// Percentiles of a set of durations.
pub struct Summary {
    pub n: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Summary {
        let mut s = samples.to_vec();
        s.sort();
        let n = s.len();
        assert!(n > 0, "no samples");
        let at = |p: f64| s[(((n as f64) * p).ceil() as usize).clamp(1, n) - 1];
        let total: Duration = s.iter().sum();
        Summary {
            n,
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: s[n - 1],
            mean: total / n as u32,
        }
    }

    pub fn line(&self) -> String {
        format!(
            "n={} p50={} p90={} p99={} max={} mean={}",
            self.n,
            us(self.p50),
            us(self.p90),
            us(self.p99),
            us(self.max),
            us(self.mean)
        )
    }

    /// Calls per second one at a time (1 / mean).
    pub fn sequential_rate(&self) -> f64 {
        1.0 / self.mean.as_secs_f64().max(1e-12)
    }
}

/// A duration in microseconds (or milliseconds when large), for tables.
pub fn us(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 10_000.0 {
        format!("{:.2}ms", micros / 1000.0)
    } else if micros >= 10.0 {
        format!("{micros:.0}µs")
    } else {
        format!("{micros:.2}µs")
    }
}

/// A signed difference in microseconds.
pub fn diff_us(a: Duration, b: Duration) -> String {
    let d = a.as_secs_f64() * 1e6 - b.as_secs_f64() * 1e6;
    format!("{d:+.0}µs")
}

/// CPU time of this process's threads, grouped by what they are (from `/proc/self/task`,
/// nanoseconds of `schedstat`). Threads that exited between two snapshots are not counted.
pub fn thread_cpu() -> BTreeMap<u64, (String, u64)> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        out.insert(tid, (group_of(comm.trim()), ns));
    }
    out
}

fn group_of(comm: &str) -> String {
    if comm.starts_with("sandbox-rt") {
        "sandbox (HTTP+TLS+handlers)".into()
    } else if comm.starts_with("sandbox-db") {
        "sandbox persistence (rusqlite writer)".into()
    } else if comm.starts_with("client-rt") {
        "callbridge (runtime, reqwest, TLS)".into()
    } else if comm.starts_with("connector_overh") || comm.starts_with("outbox_through") {
        "bench main thread (idle: waits for the task)".into()
    } else if comm.starts_with("sqlx-sqlite") {
        "callbridge store (sqlx SQLite workers)".into()
    } else {
        format!("other ({comm})")
    }
}

/// CPU seconds per group between two [`thread_cpu`] snapshots.
pub fn cpu_between(
    before: &BTreeMap<u64, (String, u64)>,
    after: &BTreeMap<u64, (String, u64)>,
) -> BTreeMap<String, f64> {
    let mut groups = BTreeMap::new();
    for (tid, (group, ns)) in after {
        let start = before.get(tid).map(|(_, n)| *n).unwrap_or(0);
        *groups.entry(group.clone()).or_insert(0.0) += ns.saturating_sub(start) as f64 / 1e9;
    }
    groups.retain(|_, v| *v > 0.0005);
    groups
}

pub fn print_cpu(groups: &BTreeMap<String, f64>, wall: Duration, per: Option<(u64, &str)>) {
    let total: f64 = groups.values().sum();
    let wall = wall.as_secs_f64();
    println!(
        "    CPU: {total:.2}s over {wall:.2}s wall = {:.2} of {} cores busy",
        total / wall,
        cores()
    );
    for (group, secs) in groups {
        let per = match per {
            Some((n, what)) if n > 0 => format!(", {:.0}µs per {what}", secs * 1e6 / n as f64),
            _ => String::new(),
        };
        println!(
            "      {group:<42} {secs:>6.2}s ({:>4.1}%){per}",
            100.0 * secs / total.max(1e-9)
        );
    }
}

pub fn machine_note() {
    println!(
        "machine: {} cores; the sandbox (2 runtime threads + its writer thread) and Callbridge \
         (2 runtime threads + SQLite workers) share them, so every figure includes the CRM's own CPU",
        cores()
    );
}
