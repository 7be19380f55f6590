//! Starting an instance: open (or create) its database, seed a fresh one, bind, serve HTTPS (or
//! HTTP with `insecure_http`) until dropped or stopped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::credentials::{Sealer, Stored};
use crate::instance::{row_json, Instance};
use crate::seed::{self, SandboxCredentials};
use crate::store::persist::{committed, Change, Persist};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Platform rows plus the demo CSM data set.
    Demo,
    /// Platform rows only (admin, OAuth client, roles, ACLs, dictionary).
    Empty,
}

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub listen: SocketAddr,
    /// Where state persists; None means a temporary directory removed on exit.
    pub data_dir: Option<PathBuf>,
    pub seed: Seed,
    /// Generated contacts to have in the instance (idempotent across restarts).
    pub contacts: u64,
    pub insecure_http: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            seed: Seed::Demo,
            contacts: 0,
            insecure_http: false,
        }
    }
}

pub struct RunningSandbox {
    pub base_url: String,
    pub addr: SocketAddr,
    /// The CA that signed the server certificate (HTTPS only).
    pub ca_path: Option<PathBuf>,
    pub credentials: SandboxCredentials,
    pub data_dir: PathBuf,
    pub instance: Arc<Instance>,
    pub startup: std::time::Duration,
    handle: axum_server::Handle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl RunningSandbox {
    /// Serves until the server stops (it only stops on error or `shutdown`).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.server.await??;
        Ok(())
    }

    pub async fn shutdown(self) {
        self.handle.shutdown();
        let _ = self.server.await;
    }
}

const CREDENTIALS_KEY: &str = "sandbox.credentials";
const GENERATED_KEY: &str = "sandbox.generated_contacts";

pub async fn start(options: SandboxOptions) -> anyhow::Result<RunningSandbox> {
    let started = Instant::now();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let (temp, data_dir) = match &options.data_dir {
        Some(dir) => {
            crate::private::create_dir(dir).context("preparing the sandbox data directory")?;
            (None, dir.clone())
        }
        None => {
            let t = tempfile::tempdir().context("creating a temporary sandbox directory")?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let dir = data_dir.clone();
    let (persist, loaded) = tokio::task::spawn_blocking(move || Persist::open(&dir)).await??;
    let sealer = Sealer::open_or_create(&data_dir)?;
    let saved_credentials = match loaded.state.iter().find(|(k, _)| k == CREDENTIALS_KEY) {
        Some((_, stored)) => Some(sealer.unseal(stored)?),
        None => None,
    };
    let generated: u64 = loaded
        .state
        .iter()
        .find(|(k, _)| k == GENERATED_KEY)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let instance = Instance::boot(persist.clone(), loaded)?;
    let credentials = match saved_credentials {
        Some(Stored::Sealed(c)) => c,
        Some(Stored::LegacyClear(c)) => upgrade_legacy(&instance, &persist, &sealer, c).await?,
        None => seed_fresh(&instance, &persist, &sealer, options.seed).await?,
    };
    upgrade_platform(&instance, &persist).await?;
    if options.contacts > generated {
        add_generated_contacts(&instance, &persist, generated, options.contacts).await?;
    }

    let listener = std::net::TcpListener::bind(options.listen)
        .with_context(|| format!("binding the sandbox to {}", options.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let scheme = if options.insecure_http {
        "http"
    } else {
        "https"
    };
    let base_url = format!("{scheme}://{addr}");
    instance.set_base_url(base_url.clone());
    let app = crate::api::router(instance.clone());
    let handle = axum_server::Handle::new();
    let service = app.into_make_service();
    let (server, ca_path) = if options.insecure_http {
        let server = axum_server::from_tcp(listener)
            .handle(handle.clone())
            .serve(service);
        (tokio::spawn(server), None)
    } else {
        let tls = crate::tls::generate(&data_dir)?;
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(
            tls.cert_pem.into_bytes(),
            tls.key_pem.into_bytes(),
        )
        .await
        .context("loading the sandbox TLS certificate")?;
        let server = axum_server::from_tcp_rustls(listener, config)
            .handle(handle.clone())
            .serve(service);
        (tokio::spawn(server), Some(tls.ca_path))
    };
    Ok(RunningSandbox {
        base_url,
        addr,
        ca_path,
        credentials,
        data_dir,
        instance,
        startup: started.elapsed(),
        handle,
        server,
        _temp: temp,
    })
}

async fn seed_fresh(
    instance: &Instance,
    persist: &Persist,
    sealer: &Sealer,
    seed: Seed,
) -> anyhow::Result<SandboxCredentials> {
    let now = instance.clock.now_glide();
    let credentials = {
        let mut db = instance.db.write();
        let mut credentials = seed::platform(&mut db, &now);
        if seed == Seed::Demo {
            seed::demo(&mut db, &now, &mut credentials);
        }
        crate::instance::apply_schema_rows(&mut db);
        credentials
    };
    persist_everything(instance, persist).await?;
    save_credentials(persist, sealer, &credentials).await?;
    Ok(credentials)
}

/// Adds the platform rows an earlier version's data directory lacks (new built-in tables with
/// their dictionary rows and ACLs, roles, properties) and saves them.
async fn upgrade_platform(instance: &Instance, persist: &Persist) -> anyhow::Result<()> {
    let now = instance.clock.now_glide();
    let mut last = None;
    {
        let mut db = instance.db.write();
        let written = seed::upgrade_platform(&mut db, &now);
        for (table, sys_id) in &written {
            if let Some(row) = db.row_view(table, sys_id) {
                last = Some(persist.enqueue(Change::Upsert {
                    table: table.clone(),
                    sys_id: sys_id.clone(),
                    data: row_json(&row.table.columns, row.record),
                }));
            }
        }
        if !written.is_empty() {
            tracing::info!(
                rows = written.len(),
                "platform rows this version has and the data directory lacked were added"
            );
        }
    }
    if let Some(wait) = last {
        committed(wait).await?;
    }
    Ok(())
}

async fn save_credentials(
    persist: &Persist,
    sealer: &Sealer,
    credentials: &SandboxCredentials,
) -> anyhow::Result<()> {
    let wait = persist.enqueue(Change::PutState {
        key: CREDENTIALS_KEY.into(),
        value: sealer.seal(credentials)?,
    });
    committed(wait).await
}

/// A data directory from a version that kept the credentials in clear with one password for
/// every demo account: each account gets a new password of its own, and the row is sealed.
async fn upgrade_legacy(
    instance: &Instance,
    persist: &Persist,
    sealer: &Sealer,
    mut credentials: SandboxCredentials,
) -> anyhow::Result<SandboxCredentials> {
    let mut last = None;
    {
        let mut db = instance.db.write();
        for (user, password) in credentials.users.iter_mut() {
            *password = crate::auth::password::random_token(16);
            if let Some((sys_id, data)) = seed::set_password(&mut db, user, password) {
                last = Some(persist.enqueue(Change::Upsert {
                    table: "sys_user".into(),
                    sys_id,
                    data,
                }));
            }
        }
    }
    if let Some(wait) = last {
        committed(wait).await?;
    }
    save_credentials(persist, sealer, &credentials).await?;
    tracing::warn!(
        "the sandbox credentials were stored in clear by an older version: they are sealed now \
         and every demo account has a new password of its own"
    );
    Ok(credentials)
}

/// Writes every in-memory row to the database (after seeding).
async fn persist_everything(instance: &Instance, persist: &Persist) -> anyhow::Result<()> {
    let mut last = None;
    {
        let db = instance.db.read();
        for (name, data) in &db.tables {
            let def = db
                .table_def(name)
                .expect("table with data has a definition");
            for (_, record) in data.iter() {
                let sys_id = record
                    .get(def.slot("sys_id").expect("sys_id column"))
                    .to_string();
                last = Some(persist.enqueue(Change::Upsert {
                    table: name.clone(),
                    sys_id,
                    data: row_json(&def.columns, record),
                }));
            }
        }
    }
    if let Some(wait) = last {
        committed(wait).await?;
    }
    Ok(())
}

async fn add_generated_contacts(
    instance: &Instance,
    persist: &Persist,
    from: u64,
    to: u64,
) -> anyhow::Result<()> {
    let now = instance.clock.now_glide();
    const CHUNK: u64 = 50_000;
    let mut start = from;
    let mut last = None;
    while start < to {
        let end = (start + CHUNK).min(to);
        let ids = seed::generate_contacts(&mut instance.db.write(), start, end, &now);
        let db = instance.db.read();
        let def = db.table_def("customer_contact").expect("builtin");
        let data = db.data("customer_contact").expect("builtin");
        for sys_id in &ids {
            if let Some(record) = data.by_sys_id(sys_id) {
                persist.enqueue_detached(Change::Upsert {
                    table: "customer_contact".into(),
                    sys_id: sys_id.clone(),
                    data: row_json(&def.columns, record),
                });
            }
        }
        start = end;
        last = Some(persist.enqueue(Change::PutState {
            key: GENERATED_KEY.into(),
            value: end.to_string(),
        }));
    }
    // The instance serves from memory at once; the writer catches up in the background. Each
    // chunk's count is committed after its rows, so a restart resumes from what was saved.
    if let Some(wait) = last {
        tokio::spawn(async move {
            match committed(wait).await {
                Ok(()) => tracing::info!(contacts = to, "generated contacts saved"),
                Err(error) => tracing::error!(%error, "generated contacts were not all saved"),
            }
        });
    }
    Ok(())
}
