//! Every tenant the server serves, the configuration file's and the store's, as one validated
//! [`Config`], and the one way a tenant kept in the store changes: load its text and version,
//! replace one section ([`TenantDirectory::replace_section`]), save. A save validates the whole
//! effective configuration with the configuration's own reader and the tenant's CRM adapter
//! (every mistake a [`ConfigError`] naming its key), writes the next version in one transaction
//! (refused when someone saved since the edited version), then hands the new configuration to
//! every [`ApplyTenants`] registered, in registration order, so the change is used without a
//! restart. At start the same composition runs ([`TenantDirectory::start`]), so a saved change
//! survives one. A removal ([`TenantDirectory::remove`]) forgets the stored tenant and hands
//! the appliers the configuration without it, the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use callbridge_config::toml_edit::Table;
use callbridge_config::{
    replace_section, Config, ConfigError, ConfigErrors, EditError, OnDuplicate, StoredTenant,
    TenantSource,
};
use callbridge_core::TenantId;
use callbridge_kernel::Secret;
use callbridge_store::{SecretChange, Store, StoreError, StoreTenant};
use parking_lot::RwLock;

use crate::crm::{build_tenant, CrmRegistry};

/// Looks up the environment variables `{ env = ".." }` values name.
pub type LookupEnv = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Something built from the tenants that must follow a change without a restart.
#[async_trait::async_trait]
pub trait ApplyTenants: Send + Sync {
    /// `config` is the new effective configuration, already validated and saved; `changed` is
    /// the tenant that was saved or created, or removed: then `config` does not have it, and
    /// whatever was built for it goes.
    async fn apply(&self, config: &Config, changed: &TenantId) -> anyhow::Result<()>;
}

/// A tenant kept in the store, as an editor loads it.
#[derive(Debug, Clone)]
pub struct TenantDraft {
    pub tenant: TenantId,
    /// The version to name when saving a change made from this text.
    pub version: i64,
    /// The TOML text of its `[[tenant]]` table.
    pub text: String,
    /// The names of its secrets in the store (never their values).
    pub secret_names: Vec<String>,
}

/// A save that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub tenant: TenantId,
    pub version: i64,
}

/// Why a tenant could not be loaded, created or saved.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("no tenant {0} is configured")]
    Unknown(TenantId),
    /// A tenant of the configuration file: it is changed there, and a restart applies it.
    #[error("tenant {tenant} is set in {file}; change it there and restart")]
    FromFile { tenant: TenantId, file: String },
    /// A tenant of the configuration file cannot be removed from the store.
    #[error("tenant {tenant} is set in {file}; remove it from {file} and restart")]
    RemoveFromFile { tenant: TenantId, file: String },
    /// Someone saved the tenant since the version the change was made from.
    #[error(
        "tenant {tenant} was changed by someone else meanwhile (edited version {edited}, now \
         version {current}): load it again, redo the change and save"
    )]
    VersionConflict {
        tenant: TenantId,
        edited: i64,
        current: i64,
    },
    /// The tenant id is taken (by the file or the store).
    #[error("tenant id {0} is already used: choose another id")]
    Exists(TenantId),
    /// The change leaves a mistake; each names its key, what is wrong and the fix.
    #[error("{0}")]
    Invalid(ConfigErrors),
    #[error("the tenant's stored text cannot be edited: {0}")]
    Edit(#[from] EditError),
    #[error(transparent)]
    Store(StoreError),
    /// Saved, but a running part could not take the change; it is used after a restart.
    #[error("saved as version {version}, but it could not be applied without a restart: {reason}")]
    NotApplied { version: i64, reason: String },
}

impl From<StoreError> for TenantError {
    fn from(error: StoreError) -> TenantError {
        match error {
            StoreError::VersionConflict {
                tenant,
                edited,
                current,
            } => TenantError::VersionConflict {
                tenant: TenantId::new(tenant),
                edited,
                current,
            },
            StoreError::TenantExists { tenant } => TenantError::Exists(TenantId::new(tenant)),
            StoreError::UnknownTenant { tenant } => TenantError::Unknown(TenantId::new(tenant)),
            other => TenantError::Store(other),
        }
    }
}

/// Every tenant, file and store, and the changes to the store's.
pub struct TenantDirectory {
    store: Store,
    /// The configuration file as read (its tenants only).
    file: Config,
    /// Checks each CRM section with its adapter; None when the CRM was given whole (tests).
    registry: Option<CrmRegistry>,
    /// The effective configuration: the file's tenants and the store's.
    current: RwLock<Arc<Config>>,
    appliers: RwLock<Vec<Arc<dyn ApplyTenants>>>,
    /// One change at a time in this process, so that changes are applied in the order saved.
    changing: tokio::sync::Mutex<()>,
    env: LookupEnv,
}

impl std::fmt::Debug for TenantDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantDirectory")
            .field("tenants", &self.current.read().tenants.len())
            .finish_non_exhaustive()
    }
}

impl TenantDirectory {
    /// The file's tenants and every tenant the store keeps, validated together. A store tenant
    /// whose id the file has is left out with a warning (the file wins); any other mistake in
    /// a stored tenant stops the start, naming it. `env` looks up `{ env = ".." }` values.
    pub async fn start(
        file: &Config,
        store: Store,
        registry: Option<CrmRegistry>,
        env: LookupEnv,
    ) -> anyhow::Result<TenantDirectory> {
        let stored: Vec<StoredTenant> = store
            .store_tenants()
            .await?
            .into_iter()
            .map(stored_tenant)
            .collect();
        let composed = file.compose(&stored, &*env, OnDuplicate::FileWins)?;
        for warning in &composed.shadowed {
            tracing::warn!("{warning}");
        }
        if let Some(registry) = &registry {
            check_crms(registry, &composed.config, |t| t.source.is_store())?;
        }
        Ok(TenantDirectory {
            store,
            file: file.clone(),
            registry,
            current: RwLock::new(Arc::new(composed.config)),
            appliers: RwLock::new(Vec::new()),
            changing: tokio::sync::Mutex::new(()),
            env,
        })
    }

    /// The effective configuration now (every reader of the tenants asks here, per request).
    pub fn config(&self) -> Arc<Config> {
        self.current.read().clone()
    }

    /// Adds `applier` to what a saved change is handed to (after the ones added before).
    pub fn on_change(&self, applier: Arc<dyn ApplyTenants>) {
        self.appliers.write().push(applier);
    }

    /// Where `tenant`'s settings come from, if it is served.
    pub fn source(&self, tenant: &TenantId) -> Option<TenantSource> {
        self.current
            .read()
            .tenants
            .iter()
            .find(|t| &t.id == tenant)
            .map(|t| t.source.clone())
    }

    /// `tenant`'s text and version, to edit; a file tenant is [`TenantError::FromFile`].
    pub async fn load(&self, tenant: &TenantId) -> Result<TenantDraft, TenantError> {
        self.editable(tenant)?;
        let row = self
            .store
            .store_tenant(tenant.as_str())
            .await?
            .ok_or_else(|| TenantError::Unknown(tenant.clone()))?;
        Ok(TenantDraft {
            tenant: tenant.clone(),
            version: row.version,
            secret_names: row.secrets.iter().map(|(name, _)| name.clone()).collect(),
            text: row.config,
        })
    }

    /// Replaces the table at `path` below the tenant (`["crm"]`, `["telephony"]`) in its text
    /// as of version `edited` by `table` (empty: removed), applies `secrets` (values named by
    /// `{ store = ".." }` in `table`), and saves the result as the next version: validated,
    /// written, applied. `actor` is who saves (kept with the version).
    pub async fn replace_section(
        &self,
        tenant: &TenantId,
        edited: i64,
        path: &[&str],
        table: Table,
        secrets: Vec<SecretChange>,
        actor: &str,
    ) -> Result<Saved, TenantError> {
        let _one_at_a_time = self.changing.lock().await;
        let (text, config) = self
            .candidate_section(tenant, edited, path, table, &secrets)
            .await?;
        let version = self
            .store
            .save_store_tenant(tenant.as_str(), edited, &text, &secrets, actor)
            .await?;
        self.apply(config, tenant, version).await?;
        Ok(Saved {
            tenant: tenant.clone(),
            version,
        })
    }

    /// The effective configuration `replace_section` would save and apply, validated the same
    /// way, without saving it: for a check that needs the whole resolved section (secrets
    /// opened) before a save is made, such as opening a recording store.
    pub async fn preview_section(
        &self,
        tenant: &TenantId,
        edited: i64,
        path: &[&str],
        table: Table,
        secrets: &[SecretChange],
    ) -> Result<Config, TenantError> {
        let (_, config) = self
            .candidate_section(tenant, edited, path, table, secrets)
            .await?;
        Ok(config)
    }

    /// The tenant's text with `table` at `path` as of version `edited`, and the effective
    /// configuration with it, validated.
    async fn candidate_section(
        &self,
        tenant: &TenantId,
        edited: i64,
        path: &[&str],
        table: Table,
        secrets: &[SecretChange],
    ) -> Result<(String, Config), TenantError> {
        self.editable(tenant)?;
        let row = self
            .store
            .store_tenant(tenant.as_str())
            .await?
            .ok_or_else(|| TenantError::Unknown(tenant.clone()))?;
        if row.version != edited {
            return Err(TenantError::VersionConflict {
                tenant: tenant.clone(),
                edited,
                current: row.version,
            });
        }
        let text = replace_section(&row.config, path, table)?;
        let mut opened: BTreeMap<String, Secret> = row.secrets.into_iter().collect();
        for change in secrets {
            match change {
                SecretChange::Set { name, value } => {
                    opened.insert(name.clone(), value.clone());
                }
                SecretChange::Remove { name } => {
                    opened.remove(name);
                }
            }
        }
        let candidate = StoredTenant {
            id: tenant.as_str().to_string(),
            version: edited + 1,
            text: text.clone(),
            secrets: opened,
        };
        let config = self.validated(candidate).await?;
        Ok((text, config))
    }

    /// Keeps a new tenant in the store: `text` is its `[[tenant]]` table, `secrets` what its
    /// `{ store = ".." }` values name. Validated with every other tenant (an id the file or the
    /// store has is refused), written as version 1, applied.
    pub async fn create(
        &self,
        tenant: &TenantId,
        text: &str,
        secrets: Vec<(String, Secret)>,
        actor: &str,
    ) -> Result<Saved, TenantError> {
        let _one_at_a_time = self.changing.lock().await;
        if self.source(tenant).is_some()
            || self.store.store_tenant(tenant.as_str()).await?.is_some()
        {
            return Err(TenantError::Exists(tenant.clone()));
        }
        let candidate = StoredTenant {
            id: tenant.as_str().to_string(),
            version: 1,
            text: text.to_string(),
            secrets: secrets.iter().cloned().collect(),
        };
        let config = self.validated(candidate).await?;
        let changes: Vec<SecretChange> = secrets
            .into_iter()
            .map(|(name, value)| SecretChange::Set { name, value })
            .collect();
        let created = self
            .store
            .create_store_tenant(tenant.as_str(), text, &changes, actor)
            .await?;
        self.apply(config, tenant, created.version).await?;
        Ok(Saved {
            tenant: tenant.clone(),
            version: created.version,
        })
    }

    /// Forgets the tenant kept in the store `tenant` (its text, versions and secrets; its
    /// accounts, calls, recordings and audits stay in the store) and hands every applier the
    /// configuration without it, so that it stops being served. A tenant of the configuration
    /// file is [`TenantError::RemoveFromFile`]; an unknown one, [`TenantError::Unknown`].
    pub async fn remove(&self, tenant: &TenantId) -> Result<(), TenantError> {
        let _one_at_a_time = self.changing.lock().await;
        let version = match self.source(tenant) {
            None => return Err(TenantError::Unknown(tenant.clone())),
            Some(TenantSource::File { path }) => {
                return Err(TenantError::RemoveFromFile {
                    tenant: tenant.clone(),
                    file: path,
                })
            }
            Some(TenantSource::Store { version }) => version,
        };
        if !self.store.delete_store_tenant(tenant.as_str()).await? {
            return Err(TenantError::Unknown(tenant.clone()));
        }
        let config = self.composed().await?;
        self.apply(config, tenant, version).await
    }

    /// Takes in the tenants another process created, saved or removed since this one last
    /// looked (a CLI `tenant add` or `tenant remove`, another server on the same PostgreSQL):
    /// when the store's versions differ from the ones in use, the whole configuration is
    /// composed again and every tenant that changed (or went) is applied. Returns the tenants
    /// applied.
    pub async fn refresh(&self) -> Result<Vec<TenantId>, TenantError> {
        let _one_at_a_time = self.changing.lock().await;
        let current = self.config();
        let in_use: BTreeMap<&str, &TenantSource> = current
            .tenants
            .iter()
            .map(|t| (t.id.as_str(), &t.source))
            .collect();
        let versions = self.store.store_tenant_versions().await?;
        let mut changed: Vec<TenantId> = versions
            .iter()
            .filter(|(id, version)| match in_use.get(id.as_str()) {
                None => true,
                Some(TenantSource::Store { version: used }) => used != version,
                // The file wins: a stored tenant with a file tenant's id stays out.
                Some(TenantSource::File { .. }) => false,
            })
            .map(|(id, _)| TenantId::new(id.as_str()))
            .collect();
        // Served from the store, no longer kept there: removed elsewhere.
        changed.extend(
            in_use
                .iter()
                .filter(|(id, source)| {
                    source.is_store() && !versions.iter().any(|(kept, _)| kept == *id)
                })
                .map(|(id, _)| TenantId::new(*id)),
        );
        if changed.is_empty() {
            return Ok(changed);
        }
        let config = Arc::new(self.composed().await?);
        if let Some(registry) = &self.registry {
            check_crms(registry, &config, |t| changed.contains(&t.id))
                .map_err(TenantError::Invalid)?;
        }
        *self.current.write() = config.clone();
        let appliers = self.appliers.read().clone();
        for tenant in &changed {
            for applier in &appliers {
                if let Err(error) = applier.apply(&config, tenant).await {
                    tracing::error!(tenant = %tenant, "a tenant saved elsewhere was not applied: {error:#}");
                }
            }
            tracing::info!(tenant = %tenant, "took in a tenant created, saved or removed by another process");
        }
        Ok(changed)
    }

    /// The file's tenants and the store's as the store keeps them now (the file wins a clash).
    async fn composed(&self) -> Result<Config, TenantError> {
        let stored: Vec<StoredTenant> = self
            .store
            .store_tenants()
            .await?
            .into_iter()
            .map(stored_tenant)
            .collect();
        let composed = self
            .file
            .compose(&stored, &*self.env, OnDuplicate::FileWins)
            .map_err(TenantError::Invalid)?;
        Ok(composed.config)
    }

    /// Refuses a tenant that is not kept in the store.
    fn editable(&self, tenant: &TenantId) -> Result<(), TenantError> {
        match self.source(tenant) {
            None => Err(TenantError::Unknown(tenant.clone())),
            Some(TenantSource::File { path }) => Err(TenantError::FromFile {
                tenant: tenant.clone(),
                file: path,
            }),
            Some(TenantSource::Store { .. }) => Ok(()),
        }
    }

    /// The effective configuration with `candidate` in place of (or added to) its stored
    /// version, checked as at start, and its CRM section by its adapter.
    async fn validated(&self, candidate: StoredTenant) -> Result<Config, TenantError> {
        let mut stored: Vec<StoredTenant> = self
            .store
            .store_tenants()
            .await?
            .into_iter()
            .filter(|t| t.tenant != candidate.id)
            .map(stored_tenant)
            .collect();
        let id = TenantId::new(candidate.id.clone());
        stored.push(candidate);
        let composed = self
            .file
            .compose(&stored, &*self.env, OnDuplicate::Refuse)
            .map_err(TenantError::Invalid)?;
        if let Some(registry) = &self.registry {
            check_crms(registry, &composed.config, |t| t.id == id).map_err(TenantError::Invalid)?;
        }
        Ok(composed.config)
    }

    /// Makes `config` the current one and hands it to every applier; the first one that fails
    /// is reported (the others still get it).
    async fn apply(
        &self,
        config: Config,
        changed: &TenantId,
        version: i64,
    ) -> Result<(), TenantError> {
        let config = Arc::new(config);
        *self.current.write() = config.clone();
        let appliers = self.appliers.read().clone();
        let mut failed = None;
        for applier in appliers {
            if let Err(error) = applier.apply(&config, changed).await {
                tracing::error!(tenant = %changed, version, "a saved tenant change was not applied: {error:#}");
                failed.get_or_insert(format!("{error:#}"));
            }
        }
        match failed {
            Some(reason) => Err(TenantError::NotApplied { version, reason }),
            None => Ok(()),
        }
    }
}

fn stored_tenant(row: StoreTenant) -> StoredTenant {
    StoredTenant {
        id: row.tenant,
        version: row.version,
        text: row.config,
        secrets: row.secrets.into_iter().collect(),
    }
}

/// Builds the CRM of each tenant `which` selects with its adapter (connecting to nothing);
/// every mistake is reported.
fn check_crms(
    registry: &CrmRegistry,
    config: &Config,
    which: impl Fn(&callbridge_config::TenantConfig) -> bool,
) -> Result<(), ConfigErrors> {
    let errors: Vec<ConfigError> = config
        .tenants
        .iter()
        .filter(|t| which(t))
        .filter_map(|t| build_tenant(registry, t, &config.server.public_url, None).err())
        .collect();
    match ConfigErrors::from_vec(errors) {
        Some(errors) => Err(errors),
        None => Ok(()),
    }
}
