//! `callbridge account ...`: people who sign in, managed in the configured store (a running
//! server sees the changes at once: sessions are checked against the store on every request,
//! and a softphone connection re-checks its session every 30 seconds).

use std::io::Read as _;
use std::path::Path;

use anyhow::Context;
use callbridge_config::Config;
use callbridge_store::{Role, Store};
use callbridge_web::account::provision::{self, Wanted};
use clap::Subcommand;

use crate::cli::ConfigArg;

#[derive(Subcommand, Debug)]
pub enum AccountAction {
    /// Create an account; prints a generated one-time password (or reads one from stdin with
    /// --password-stdin).
    Add(AddArgs),
    /// List accounts (user, role, display name, disabled).
    List(ListArgs),
    /// Set a new password (generated, or from stdin); ends the account's sessions.
    ResetPassword(PasswordArgs),
    /// Disable an account (it cannot sign in; its sessions end), or enable it with --enable.
    Disable(DisableArgs),
    /// Sign the account out everywhere (all its sessions).
    SignOut(UserArgs),
}

#[derive(clap::Args, Debug)]
pub struct UserArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub user: String,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[command(flatten)]
    pub who: UserArgs,
    /// agent, supervisor or admin. An agent account's user name is its agent name.
    #[arg(long)]
    pub role: String,
    /// The name colleagues see (default: the user name).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from standard input (one line) instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(clap::Args, Debug)]
pub struct PasswordArgs {
    #[command(flatten)]
    pub who: UserArgs,
    /// Read the password from standard input (one line) instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(clap::Args, Debug)]
pub struct DisableArgs {
    #[command(flatten)]
    pub who: UserArgs,
    /// Enable the account again instead.
    #[arg(long)]
    pub enable: bool,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this tenant's accounts.
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn run(action: AccountAction) -> anyhow::Result<()> {
    match action {
        AccountAction::Add(args) => {
            let role: Role = args.role.parse()?;
            let (config, store) = open(&args.who.config.config).await?;
            known_tenant(&config, &args.who.tenant, &args.who.config.config)?;
            let (password, generated) = password(args.password_stdin)?;
            let wanted = Wanted {
                tenant: args.who.tenant.clone(),
                user: args.who.user.clone(),
                display_name: args.display_name.unwrap_or_else(|| args.who.user.clone()),
                role,
            };
            let made = provision::create(&store, &wanted, &password).await;
            store.close().await;
            made?;
            println!(
                "created {role} account {} in tenant {}",
                wanted.user, wanted.tenant
            );
            if generated {
                println!("one-time password: {password}");
            }
        }
        AccountAction::List(args) => {
            let (config, store) = open(&args.config.config).await?;
            if let Some(tenant) = &args.tenant {
                known_tenant(&config, tenant, &args.config.config)?;
            }
            let accounts = store.accounts(args.tenant.as_deref()).await;
            store.close().await;
            let accounts = accounts?;
            if accounts.is_empty() {
                println!("no accounts");
            }
            for a in accounts {
                println!(
                    "{:<16} {:<24} {:<10} {:<24} {}",
                    a.tenant,
                    a.user_name,
                    a.role,
                    a.display_name,
                    if a.disabled { "disabled" } else { "" }
                );
            }
        }
        AccountAction::ResetPassword(args) => {
            let (config, store) = open(&args.who.config.config).await?;
            known_tenant(&config, &args.who.tenant, &args.who.config.config)?;
            let (password, generated) = password(args.password_stdin)?;
            let reset =
                provision::reset_password(&store, &args.who.tenant, &args.who.user, &password)
                    .await;
            store.close().await;
            anyhow::ensure!(reset?, no_such(&args.who));
            println!(
                "new password set for {} in tenant {}; their sessions ended",
                args.who.user, args.who.tenant
            );
            if generated {
                println!("one-time password: {password}");
            }
        }
        AccountAction::Disable(args) => {
            let (config, store) = open(&args.who.config.config).await?;
            known_tenant(&config, &args.who.tenant, &args.who.config.config)?;
            let changed = store
                .set_account_disabled(
                    &args.who.tenant,
                    &args.who.user,
                    !args.enable,
                    time::OffsetDateTime::now_utc(),
                )
                .await;
            store.close().await;
            anyhow::ensure!(changed?, no_such(&args.who));
            if args.enable {
                println!("{} in tenant {} is enabled", args.who.user, args.who.tenant);
            } else {
                println!(
                    "{} in tenant {} is disabled; their sessions ended",
                    args.who.user, args.who.tenant
                );
            }
        }
        AccountAction::SignOut(args) => {
            let (config, store) = open(&args.config.config).await?;
            known_tenant(&config, &args.tenant, &args.config.config)?;
            let exists = store.account(&args.tenant, &args.user).await;
            let ended = store
                .delete_account_sessions(&args.tenant, &args.user)
                .await;
            store.close().await;
            anyhow::ensure!(exists?.is_some(), no_such(&args));
            println!(
                "{} session(s) of {} in tenant {} ended",
                ended?, args.user, args.tenant
            );
        }
    }
    Ok(())
}

fn no_such(who: &UserArgs) -> String {
    format!(
        "tenant {} has no user {}; list them with `callbridge account list`",
        who.tenant, who.user
    )
}

/// The effective configuration (the file's tenants and the ones kept in the store) and the
/// store.
async fn open(path: &Path) -> anyhow::Result<(Config, Store)> {
    crate::tenant::open_effective(path).await
}

fn known_tenant(config: &Config, tenant: &str, path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.tenants.iter().any(|t| t.id.as_str() == tenant),
        "no tenant {tenant:?} in {}; the tenants are: {}",
        path.display(),
        config
            .tenants
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The password to set, and whether it was generated (and must be shown).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((callbridge_web::account::password::generate(), true));
    }
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .context("reading the password from standard input")?;
    let line = text.lines().next().unwrap_or_default().to_string();
    callbridge_web::account::password::check_new(&line)?;
    Ok((line, false))
}
