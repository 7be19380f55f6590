//! The `callbridge` command: one binary for the product, its embedded ServiceNow sandbox and the
//! demo that runs both on defaults.

mod account;
mod cli;
mod demo;
mod demo_call;
mod demo_customer;
mod doctor;
mod listen_audit;
mod server;
mod tenant;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Cli::parse();
    match cli::run(args).await {
        Ok(code) => code,
        Err(error) => {
            match error.downcast_ref::<callbridge_config::ConfigErrors>() {
                // One line per mistake in the configuration file, each one an error.
                Some(errors) => {
                    for mistake in errors.all() {
                        eprintln!("error: {mistake}");
                    }
                }
                None => eprintln!("error: {error:#}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}
