//! `callbridge tenant ...`: tenants kept in the store (set up in the console), next to the
//! configuration file's. `tenant add` creates one with its CRM connection and its first admin
//! account, whose one-time password it prints; that admin signs in to the console and sets up
//! the rest. `tenant remove` takes a store tenant away. A running server takes either change
//! in within `TENANT_REFRESH` (5 s).

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use callbridge_config::toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};
use callbridge_config::Secret;
use callbridge_core::TenantId;
use callbridge_integration::tenants::{TenantDirectory, TenantError};
use callbridge_store::{AdminEntry, AdminOutcome, Role, Store};
use callbridge_web::account::provision::{self, Wanted};
use clap::Subcommand;

use crate::cli::ConfigArg;

/// The name the CRM client secret is sealed under (`{ store = "crm.client_secret" }`).
pub const CLIENT_SECRET: &str = "crm.client_secret";

#[derive(Subcommand, Debug)]
pub enum TenantAction {
    /// Create a tenant kept in the store, with its ServiceNow connection and its first admin
    /// account (prints a one-time password). The OAuth client secret is read from standard
    /// input (one line), never from the command line.
    Add(AddArgs),
    /// List every tenant: the file's and the store's (with their version).
    List(ConfigArg),
    /// Remove a tenant kept in the store (no confirmation asked; what was done is printed).
    /// It stops being served: a running server drops it within 5 s. Its accounts, call
    /// records, recordings and audits stay in the store. A tenant of the configuration file is
    /// removed from the file, then a restart.
    Remove(RemoveArgs),
}

#[derive(clap::Args, Debug)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The id of the tenant to remove (`callbridge tenant list` shows them).
    pub id: String,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The tenant id: 1-64 letters, digits, '-' or '_' (it appears in URLs; fixed once created).
    pub id: String,
    /// The first admin's user name.
    #[arg(long)]
    pub admin: String,
    /// The name people see (default: the id).
    #[arg(long)]
    pub name: Option<String>,
    /// ISO 3166 region national numbers are read in (default US).
    #[arg(long)]
    pub region: Option<String>,
    /// The ServiceNow instance, https://<instance>.service-now.com.
    #[arg(long)]
    pub instance_url: String,
    /// System OAuth > Application Registry > the entry's Client ID.
    #[arg(long)]
    pub client_id: String,
    /// An extra PEM trust root for the instance's certificate (a private CA, the sandbox's),
    /// kept as an absolute path (the Setup page's connection step can change it).
    #[arg(long)]
    pub ca_file: Option<std::path::PathBuf>,
}

pub async fn run(action: TenantAction) -> anyhow::Result<()> {
    match action {
        TenantAction::Add(args) => add(args).await,
        TenantAction::Remove(args) => remove(args).await,
        TenantAction::List(args) => {
            let (directory, store) = open(&args).await?;
            for tenant in &directory.config().tenants {
                let source = match &tenant.source {
                    callbridge_config::TenantSource::File { path } => format!("file {path}"),
                    callbridge_config::TenantSource::Store { version } => {
                        format!("store, version {version}")
                    }
                };
                println!("{:<24} {:<32} {source}", tenant.id.as_str(), tenant.name);
            }
            store.close().await;
            Ok(())
        }
    }
}

async fn add(args: AddArgs) -> anyhow::Result<()> {
    let client_secret = read_secret()?;
    let (directory, store) = open(&args.config).await?;
    let id = TenantId::new(args.id.as_str());
    // A relative path means the operator's current directory, not the configuration file's
    // (which a stored tenant's relative path would be read against).
    let ca_file = match &args.ca_file {
        Some(path) => Some(std::path::absolute(path).with_context(|| {
            format!("--ca-file {}: give the path of a PEM file", path.display())
        })?),
        None => None,
    };
    let text = tenant_text(&args, ca_file.as_deref());
    let created = directory
        .create(
            &id,
            &text,
            vec![(CLIENT_SECRET.to_string(), Secret::new(client_secret))],
            "cli",
        )
        .await;
    let created = match created {
        Ok(created) => created,
        Err(TenantError::Invalid(errors)) => {
            store.close().await;
            anyhow::bail!("{errors}");
        }
        Err(error) => {
            store.close().await;
            return Err(error.into());
        }
    };
    let password = callbridge_web::account::password::generate();
    let wanted = Wanted {
        tenant: args.id.clone(),
        user: args.admin.clone(),
        display_name: args.admin.clone(),
        role: Role::Admin,
    };
    let made = provision::create(&store, &wanted, &password).await;
    store.close().await;
    made.with_context(|| {
        format!(
            "tenant {} was created, but its admin account was not; create it with `callbridge \
             account add --tenant {} --user {} --role admin`",
            args.id, args.id, args.admin
        )
    })?;
    println!(
        "created tenant {} (kept in the store, version {}); a running server takes it in within {} s",
        args.id,
        created.version,
        callbridge_integration::server::TENANT_REFRESH.as_secs()
    );
    println!("created admin account {} in tenant {}", args.admin, args.id);
    println!("one-time password: {password}");
    Ok(())
}

async fn remove(args: RemoveArgs) -> anyhow::Result<()> {
    let (directory, store) = open(&args.config).await?;
    let id = TenantId::new(args.id.as_str());
    let removed = directory.remove(&id).await;
    if let Err(error) = removed {
        store.close().await;
        return Err(error.into());
    }
    // Its sessions end in the store too (a running server already refuses them once it has
    // dropped the tenant); the removal is written to the tenant's admin audit, which stays.
    let sessions = store.delete_tenant_sessions(id.as_str()).await;
    let audited = store
        .audit_admin(&AdminEntry {
            tenant: id.as_str().to_string(),
            at: time::OffsetDateTime::now_utc(),
            actor: "cli".into(),
            action: "tenant.remove".into(),
            target: id.as_str().to_string(),
            call_id: None,
            source: "cli".into(),
            outcome: AdminOutcome::Done,
            detail: "removed with `callbridge tenant remove`".into(),
        })
        .await;
    store.close().await;
    println!(
        "removed tenant {} from the store; a running server stops serving it within {} s",
        args.id,
        callbridge_integration::server::TENANT_REFRESH.as_secs()
    );
    match sessions {
        Ok(ended) => println!("ended {ended} session(s) of its accounts"),
        Err(error) => {
            eprintln!("its sessions were not deleted ({error}); servers refuse them anyway")
        }
    }
    if let Err(error) = audited {
        eprintln!("the removal could not be written to the admin audit: {error}");
    }
    println!(
        "kept in the store: its accounts (they cannot sign in), call records, recordings, \
         audits and outbox"
    );
    Ok(())
}

/// The new tenant's `[[tenant]]` table, written by `toml_edit` (every value quoted as TOML
/// needs), its client secret named, not written.
fn tenant_text(args: &AddArgs, ca_file: Option<&Path>) -> String {
    let mut tenant = Table::new();
    tenant.insert("id", value(args.id.as_str()));
    if let Some(name) = &args.name {
        tenant.insert("name", value(name.as_str()));
    }
    if let Some(region) = &args.region {
        tenant.insert("default_region", value(region.as_str()));
    }
    let mut crm = Table::new();
    crm.insert("kind", value("servicenow"));
    crm.insert("instance_url", value(args.instance_url.as_str()));
    if let Some(path) = ca_file {
        crm.insert("ca_file", value(path.display().to_string()));
    }
    crm.insert("client_id", value(args.client_id.as_str()));
    let mut secret = InlineTable::new();
    secret.insert("store", CLIENT_SECRET.into());
    crm.insert("client_secret", value(secret));
    tenant.insert("crm", Item::Table(crm));
    let mut tenants = ArrayOfTables::new();
    tenants.push(tenant);
    let mut document = DocumentMut::new();
    document.insert("tenant", Item::ArrayOfTables(tenants));
    document.to_string()
}

/// The client secret, one line of standard input.
fn read_secret() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .context("reading the OAuth client secret from standard input")?;
    let line = text.lines().next().unwrap_or_default().trim().to_string();
    anyhow::ensure!(
        !line.is_empty(),
        "give the OAuth client secret on standard input (one line), e.g. \
         `callbridge tenant add ... < client-secret.txt`"
    );
    Ok(line)
}

/// The configuration file's tenants and the store's, as a server composes them.
async fn open(config: &ConfigArg) -> anyhow::Result<(TenantDirectory, Store)> {
    open_at(&config.config).await
}

async fn open_at(path: &Path) -> anyhow::Result<(TenantDirectory, Store)> {
    let file = crate::server::load_config(path)?;
    let key = callbridge_store::SecretKey::from_base64(file.server.master_key.expose())
        .context("server.master_key")?;
    let store = Store::open(&file.server.database_url, key).await?;
    let directory = TenantDirectory::start(
        &file,
        store.clone(),
        Some(crate::server::crm_kinds()),
        Arc::new(|name: &str| std::env::var(name).ok()),
    )
    .await?;
    Ok((directory, store))
}

/// The effective configuration (the file's tenants and the store's) and the open store, for
/// commands that act on any tenant.
pub async fn open_effective(path: &Path) -> anyhow::Result<(callbridge_config::Config, Store)> {
    let (directory, store) = open_at(path).await?;
    let effective = (*directory.config()).clone();
    Ok((effective, store))
}
