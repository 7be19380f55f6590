//! Command-line interface. Each subcommand translates flags into options and delegates.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use callbridge_sandbox::{RunningSandbox, SandboxOptions, Seed};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "callbridge",
    version,
    about = "Contact-center softphone server with CRM integration"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run Callbridge on embedded defaults: the ServiceNow sandbox with demo data, set up for
    /// Callbridge, and the integration server.
    Demo(DemoArgs),
    /// Run the server from a configuration file (CRM integration, and telephony when the file
    /// has a [telephony] section).
    Serve(ConfigArg),
    /// Check a tenant's CRM setup end to end and say which setup step fixes each failure.
    Doctor(DoctorArgs),
    /// Print a link an agent opens to connect their CRM account (valid 15 minutes; it starts one sign-in).
    LinkUrl(LinkUrlArgs),
    /// Print the softphone connection URL for an agent (valid 14 hours: one shift).
    SoftphoneUrl(LinkUrlArgs),
    /// List or replay CRM writes that failed past their retry budget.
    DeadLetters(DeadLetterArgs),
    /// Print a tenant's listen audit: every open of a recording page, media fetch and retention
    /// deletion (who, CRM user id, when, which call, from where, allowed or refused, why).
    ListenAudit(crate::listen_audit::ListenAuditArgs),
    /// Run a local ServiceNow instance emulator (Table/Batch/Aggregate APIs, OAuth, ACLs, CSM data).
    Sandbox(SandboxArgs),
    /// Manage the accounts people sign in with (add, list, reset-password, disable, sign-out).
    #[command(subcommand)]
    Account(crate::account::AccountAction),
    /// Manage the tenants kept in the store (add with its CRM connection and first admin, list).
    #[command(subcommand)]
    Tenant(crate::tenant::TenantAction),
}

#[derive(clap::Args, Debug)]
pub struct ConfigArg {
    /// The configuration file (see docs/configuration.md).
    #[arg(long, short, default_value = "callbridge.toml")]
    pub config: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Check only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Do not create (and delete) a probe Case to prove write access.
    #[arg(long)]
    pub no_write: bool,
}

#[derive(clap::Args, Debug)]
pub struct LinkUrlArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub agent: String,
}

#[derive(clap::Args, Debug)]
pub struct DeadLetterArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long)]
    pub tenant: String,
    /// Replay this dead letter (its id from the list) instead of listing.
    #[arg(long)]
    pub replay: Option<i64>,
}

#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Directory where the instance's state persists (SQLite). Default: a temporary directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Data set for a fresh instance.
    #[arg(long, value_enum, default_value_t = SeedArg::Demo)]
    pub seed: SeedArg,
    /// Ensure this many generated contacts exist (load testing).
    #[arg(long, default_value_t = 0)]
    pub contacts: u64,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub insecure_http: bool,
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub action: Option<DemoAction>,
    #[command(flatten)]
    pub run: DemoRunArgs,
}

#[derive(Subcommand, Debug)]
pub enum DemoAction {
    /// Place one customer call into a running demo: rings the demo's number from a customer's
    /// number, plays a 440 Hz tone once an agent answers, hangs up after --seconds.
    Call(DemoCallArgs),
}

#[derive(clap::Args, Debug)]
pub struct DemoCallArgs {
    /// The caller ID: a seeded customer's number, e.g. +819012345678 (Haruto Tanaka's mobile).
    #[arg(long)]
    pub from: String,
    /// The number to call (the demo's DID).
    #[arg(long, default_value = "+81312345000")]
    pub to: String,
    /// The demo's SIP address (its --sip-listen).
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub sip: SocketAddr,
    /// Seconds to stay on the line once answered.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seconds to let it ring before giving up.
    #[arg(long, default_value_t = 120)]
    pub ring_seconds: u64,
    /// The demo's callbridge.toml (in its --data directory): names the agent who answered.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DemoRunArgs {
    /// Address of the embedded ServiceNow sandbox.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub sandbox_listen: SocketAddr,
    /// Address of the Callbridge server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the demo's SIP trunk side (UDP and TCP).
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub sip_listen: SocketAddr,
    /// Where the demo's click-to-dial calls go (its outbound trunk): a SIP peer on UDP that
    /// answers them, e.g. `sipp -sn uas -p 5070`. Default: the demo's own SIP listener, where
    /// the seeded contacts' numbers ring the customer page.
    #[arg(long)]
    pub outbound_trunk: Option<SocketAddr>,
    /// Directory for demo state (kept between runs). Default: a temporary directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SeedArg {
    Demo,
    Empty,
}

pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Demo(DemoArgs {
            action: Some(DemoAction::Call(args)),
            ..
        }) => {
            return crate::demo_call::run(crate::demo_call::CallOptions {
                from: args.from,
                to: args.to,
                sip: args.sip,
                talk: std::time::Duration::from_secs(args.seconds),
                ring: std::time::Duration::from_secs(args.ring_seconds),
                config: args.config,
            })
            .await;
        }
        Command::Demo(DemoArgs {
            action: None,
            run: args,
        }) => {
            crate::demo::run(crate::demo::DemoOptions {
                sandbox_listen: args.sandbox_listen,
                listen: args.listen,
                sip_listen: args.sip_listen,
                outbound_trunk: args.outbound_trunk.unwrap_or(args.sip_listen),
                data: args.data,
            })
            .await?;
        }
        Command::Serve(args) => {
            let config = crate::server::load_config(&args.config)?;
            let server = crate::server::start(&config).await?;
            crate::server::provision_configured_agents(&config, &server).await?;
            println!(
                "Callbridge listening on {} ({} tenants)",
                server.server.addr,
                config.tenants.len()
            );
            if let Some(telephony) = &server.telephony {
                for addr in telephony.sip_addrs() {
                    println!("SIP listening on {addr}");
                }
            }
            tokio::select! {
                result = tokio::signal::ctrl_c() => {
                    result?;
                    server.shutdown().await;
                }
            }
        }
        Command::Doctor(args) => return crate::doctor::run(args).await,
        Command::LinkUrl(args) => {
            let config = crate::server::load_config(&args.config.config)?;
            anyhow::ensure!(
                config.tenants.iter().any(|t| t.id.as_str() == args.tenant),
                "no tenant {:?} in {}",
                args.tenant,
                args.config.config.display()
            );
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let ticket = callbridge_integration::linking::ticket(
                &config.server.master_key,
                &args.tenant,
                &args.agent,
                now,
            );
            println!(
                "{}/api/v1/tenants/{}/agents/{}/crm-link?ticket={ticket}",
                config.server.public_url, args.tenant, args.agent
            );
        }
        Command::SoftphoneUrl(args) => {
            let config = crate::server::load_config(&args.config.config)?;
            anyhow::ensure!(
                config.tenants.iter().any(|t| t.id.as_str() == args.tenant),
                "no tenant {:?} in {}",
                args.tenant,
                args.config.config.display()
            );
            let telephony = &config.telephony;
            // A tenant with telephony lists its agents; without it (calls come from a PBX
            // through the call-events API) any agent name gets the CRM's news.
            let tenant_id = callbridge_core::TenantId::new(args.tenant.clone());
            match telephony.as_ref().and_then(|t| t.tenant(&tenant_id)) {
                Some(tenant) => anyhow::ensure!(
                    tenant.agents.iter().any(|a| a.name == args.agent),
                    "agent {:?} is not listed in tenant {:?}'s [[tenant.telephony.agent]]",
                    args.agent,
                    args.tenant
                ),
                None => anyhow::ensure!(
                    callbridge_core::AgentName::parse(&args.agent).is_ok(),
                    "{:?} is not an agent name: use 1-64 letters, digits, '.', '_', '-' or '@'",
                    args.agent
                ),
            }
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let ticket = callbridge_web::softphone_ticket(
                &config.server.master_key,
                &args.tenant,
                &args.agent,
                now,
            );
            println!(
                "{}/api/v1/tenants/{}/agents/{}/softphone?ticket={ticket}",
                ws_url(&config.server.public_url),
                args.tenant,
                args.agent
            );
        }
        Command::DeadLetters(args) => dead_letters(args).await?,
        Command::ListenAudit(args) => crate::listen_audit::run(args).await?,
        Command::Account(action) => crate::account::run(action).await?,
        Command::Tenant(action) => crate::tenant::run(action).await?,
        Command::Sandbox(args) => {
            let sandbox = callbridge_sandbox::start(SandboxOptions {
                listen: args.listen,
                data_dir: args.data,
                seed: match args.seed {
                    SeedArg::Demo => Seed::Demo,
                    SeedArg::Empty => Seed::Empty,
                },
                contacts: args.contacts,
                insecure_http: args.insecure_http,
            })
            .await?;
            print_sandbox(&sandbox);
            tokio::signal::ctrl_c().await?;
            sandbox.shutdown().await;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// The WebSocket form of the public URL (`https` → `wss`, `http` → `ws`).
pub fn ws_url(public_url: &str) -> String {
    if let Some(rest) = public_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_url.to_string()
    }
}

async fn dead_letters(args: DeadLetterArgs) -> anyhow::Result<()> {
    let config = crate::server::load_config(&args.config.config)?;
    let key = callbridge_store::SecretKey::from_base64(config.server.master_key.expose())
        .context("server.master_key")?;
    let store = callbridge_store::Store::open(&config.server.database_url, key).await?;
    match args.replay {
        Some(id) => {
            let now = time::OffsetDateTime::now_utc();
            let replayed = store
                .replay_dead_letter(callbridge_store::OutboxId(id), now)
                .await?;
            anyhow::ensure!(replayed, "no dead letter {id}; list them without --replay");
            println!(
                "dead letter {id} is queued again; a running server retries it within a second"
            );
        }
        None => {
            let letters = store.dead_letters(&args.tenant).await?;
            if letters.is_empty() {
                println!("no dead letters for tenant {}", args.tenant);
            }
            for letter in letters {
                println!(
                    "{:>6}  {:<20} {:<40} attempts {:<3} {}",
                    letter.id.0,
                    letter.kind,
                    letter.idempotency_key,
                    letter.attempts,
                    letter.last_error.as_deref().unwrap_or("")
                );
            }
        }
    }
    store.close().await;
    Ok(())
}

fn print_sandbox(sandbox: &RunningSandbox) {
    let c = &sandbox.credentials;
    println!("ServiceNow sandbox ready in {:.1?}", sandbox.startup);
    println!("  base URL:       {}", sandbox.base_url);
    if let Some(ca) = &sandbox.ca_path {
        println!("  CA certificate: {}", ca.display());
    }
    println!("  data directory: {}", sandbox.data_dir.display());
    println!("  admin:          {} / {}", c.admin_user, c.admin_password);
    println!("  OAuth client:   id {}", c.client_id);
    println!("                  secret {}", c.client_secret);
    if !c.users.is_empty() {
        println!("  demo accounts (each its own password):");
        for (user, password) in &c.users {
            println!("    {user:<24} {password}");
        }
    }
    println!("Press Ctrl-C to stop.");
}
