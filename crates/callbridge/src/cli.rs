//! Command-line interface. Each subcommand translates flags into options and delegates.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// Run a local ServiceNow instance emulator (Table/Batch/Aggregate APIs, OAuth, ACLs, CSM data).
    Sandbox(SandboxArgs),
    /// Run Callbridge on embedded defaults: today, the ServiceNow sandbox with demo data.
    Demo(DemoArgs),
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
pub struct DemoArgs {
    /// Address of the embedded ServiceNow sandbox.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub sandbox_listen: SocketAddr,
    /// Directory for demo state. Default: a temporary directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SeedArg {
    Demo,
    Empty,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
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
            print_sandbox(&sandbox, "ServiceNow sandbox");
            serve_until_signal(sandbox).await
        }
        Command::Demo(args) => {
            let sandbox = callbridge_sandbox::start(SandboxOptions {
                listen: args.sandbox_listen,
                data_dir: args.data.map(|d| d.join("sandbox")),
                seed: Seed::Demo,
                contacts: 0,
                insecure_http: false,
            })
            .await?;
            println!("Callbridge demo");
            print_sandbox(&sandbox, "Embedded ServiceNow sandbox");
            serve_until_signal(sandbox).await
        }
    }
}

fn print_sandbox(sandbox: &RunningSandbox, title: &str) {
    let c = &sandbox.credentials;
    println!("{title} ready in {:.1?}", sandbox.startup);
    println!("  base URL:       {}", sandbox.base_url);
    if let Some(ca) = &sandbox.ca_path {
        println!("  CA certificate: {}", ca.display());
    }
    println!("  data directory: {}", sandbox.data_dir.display());
    println!("  admin:          {} / {}", c.admin_user, c.admin_password);
    println!("  OAuth client:   id {}", c.client_id);
    println!("                  secret {}", c.client_secret);
    if !c.agent_password.is_empty() {
        println!(
            "  demo agents:    alice.agent, bob.agent (CSM agent role), carol.norole (no CSM role); password {}",
            c.agent_password
        );
    }
    println!("Press Ctrl-C to stop.");
}

async fn serve_until_signal(sandbox: RunningSandbox) -> anyhow::Result<()> {
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            result?;
            sandbox.shutdown().await;
            Ok(())
        }
    }
}
