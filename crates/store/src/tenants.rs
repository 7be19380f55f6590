//! Tenants set up in the console and kept in the store: each is the TOML text of one
//! `[[tenant]]` table (the configuration file's schema; the store does not read it) with a
//! version counting its saves, and its secrets sealed with the master key. A save names the
//! version it edited and writes the text, the secrets and the next version in one transaction;
//! a save from an older version is a [`StoreError::VersionConflict`].

use crate::crypto::Slot;
use crate::error::{Result, StoreError};
use crate::time_conv::wall_clock_micros;
use crate::{with_pool, Store};
use callbridge_kernel::Secret;

/// A tenant as the store keeps it.
#[derive(Debug, Clone)]
pub struct StoreTenant {
    pub tenant: String,
    /// 1 when created, one more at every save.
    pub version: i64,
    /// The TOML text of its `[[tenant]]` table.
    pub config: String,
    /// Its secrets, opened, sorted by name.
    pub secrets: Vec<(String, Secret)>,
    /// The account that saved this version (or created it) and when, UTC microseconds.
    pub updated_by: String,
    pub updated_at: i64,
}

/// A change to one of a tenant's secrets in a save.
#[derive(Debug, Clone)]
pub enum SecretChange {
    /// Sets (or replaces) the secret `name`.
    Set { name: String, value: Secret },
    /// Removes the secret `name` (nothing when there is none).
    Remove { name: String },
}

type TenantRow = (String, i64, String, String, i64);

/// Writes (or replaces) one sealed secret of `tenant` in the transaction `tx`.
macro_rules! write_secret {
    ($tx:ident, $tenant:expr, $name:expr, $value:expr) => {
        sqlx::query(
            "INSERT INTO store_tenant_secrets (tenant, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value",
        )
        .bind($tenant)
        .bind($name)
        .bind($value)
        .execute(&mut *$tx)
        .await
        .map_err(StoreError::db("save a tenant's secret"))
    };
}

impl Store {
    /// Keeps a new tenant at version 1 with its secrets, created by `actor`. A tenant the
    /// store already keeps is [`StoreError::TenantExists`], and nothing changes.
    pub async fn create_store_tenant(
        &self,
        tenant: &str,
        config: &str,
        secrets: &[SecretChange],
        actor: &str,
    ) -> Result<StoreTenant> {
        let now = wall_clock_micros();
        let sealed = self.seal_changes(tenant, secrets);
        let created = with_pool!(&self.pool, |p| {
            let mut tx = p
                .begin()
                .await
                .map_err(StoreError::db("start creating a tenant"))?;
            let inserted = sqlx::query(
                "INSERT INTO store_tenants \
                     (tenant, version, config, created_at, created_by, updated_at, updated_by) \
                 VALUES ($1, 1, $2, $3, $4, $3, $4) ON CONFLICT (tenant) DO NOTHING",
            )
            .bind(tenant)
            .bind(config)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db("create a tenant"))?
            .rows_affected();
            if inserted == 1 {
                for (name, value) in &sealed {
                    write_secret!(tx, tenant, name, value)?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::db("finish creating a tenant"))?;
            }
            inserted == 1
        });
        if !created {
            return Err(StoreError::TenantExists {
                tenant: tenant.to_string(),
            });
        }
        self.store_tenant(tenant).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("tenant {tenant:?} vanished after its creation"))
        })
    }

    /// Saves `config` and the secret changes as the next version of `tenant`, if its current
    /// version is still `edited` (the one the change was made from). Returns the new version.
    /// A newer version saved meanwhile is [`StoreError::VersionConflict`]; a tenant the store
    /// does not keep, [`StoreError::UnknownTenant`]. Either way nothing changes.
    pub async fn save_store_tenant(
        &self,
        tenant: &str,
        edited: i64,
        config: &str,
        secrets: &[SecretChange],
        actor: &str,
    ) -> Result<i64> {
        let now = wall_clock_micros();
        let sealed = self.seal_changes(tenant, secrets);
        let removed: Vec<&str> = secrets
            .iter()
            .filter_map(|c| match c {
                SecretChange::Remove { name } => Some(name.as_str()),
                SecretChange::Set { .. } => None,
            })
            .collect();
        let current: Option<i64> = with_pool!(&self.pool, |p| {
            let mut tx = p
                .begin()
                .await
                .map_err(StoreError::db("start saving a tenant"))?;
            let updated = sqlx::query(
                "UPDATE store_tenants SET version = version + 1, config = $3, updated_at = $4, \
                     updated_by = $5 \
                 WHERE tenant = $1 AND version = $2",
            )
            .bind(tenant)
            .bind(edited)
            .bind(config)
            .bind(now)
            .bind(actor)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db("save a tenant"))?
            .rows_affected();
            if updated == 1 {
                for (name, value) in &sealed {
                    write_secret!(tx, tenant, name, value)?;
                }
                for name in &removed {
                    sqlx::query("DELETE FROM store_tenant_secrets WHERE tenant = $1 AND name = $2")
                        .bind(tenant)
                        .bind(*name)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::db("remove a tenant's secret"))?;
                }
                tx.commit()
                    .await
                    .map_err(StoreError::db("finish saving a tenant"))?;
                None
            } else {
                drop(tx);
                sqlx::query_scalar("SELECT version FROM store_tenants WHERE tenant = $1")
                    .bind(tenant)
                    .fetch_optional(p)
                    .await
                    .map_err(StoreError::db("read a tenant's version"))?
                    .or(Some(0))
            }
        });
        match current {
            None => Ok(edited + 1),
            Some(0) => Err(StoreError::UnknownTenant {
                tenant: tenant.to_string(),
            }),
            Some(current) => Err(StoreError::VersionConflict {
                tenant: tenant.to_string(),
                edited,
                current,
            }),
        }
    }

    /// Forgets the tenant `tenant` the store keeps: its text, versions and secrets, in one
    /// transaction; whether there was one. Everything else of the tenant (accounts, call
    /// records, recordings, audits, outbox) is left as it is.
    pub async fn delete_store_tenant(&self, tenant: &str) -> Result<bool> {
        Ok(with_pool!(&self.pool, |p| {
            let mut tx = p
                .begin()
                .await
                .map_err(StoreError::db("start removing a tenant"))?;
            sqlx::query("DELETE FROM store_tenant_secrets WHERE tenant = $1")
                .bind(tenant)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db("remove a tenant's secrets"))?;
            let removed = sqlx::query("DELETE FROM store_tenants WHERE tenant = $1")
                .bind(tenant)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db("remove a tenant"))?
                .rows_affected();
            tx.commit()
                .await
                .map_err(StoreError::db("finish removing a tenant"))?;
            removed == 1
        }))
    }

    /// The tenant `tenant` with its secrets opened; `None` when the store does not keep it.
    pub async fn store_tenant(&self, tenant: &str) -> Result<Option<StoreTenant>> {
        let row: Option<TenantRow> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, version, config, updated_by, updated_at FROM store_tenants \
             WHERE tenant = $1"
        )
        .bind(tenant)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read a tenant"))?);
        match row {
            Some(row) => Ok(Some(self.with_secrets(row).await?)),
            None => Ok(None),
        }
    }

    /// Every tenant the store keeps and its version, by id (cheap: nothing is opened), so a
    /// process can tell whether another one saved a tenant.
    pub async fn store_tenant_versions(&self) -> Result<Vec<(String, i64)>> {
        Ok(with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, version FROM store_tenants ORDER BY tenant"
        )
        .fetch_all(p)
        .await
        .map_err(StoreError::db("list the tenants' versions"))?))
    }

    /// Every tenant the store keeps, by id, with its secrets opened.
    pub async fn store_tenants(&self) -> Result<Vec<StoreTenant>> {
        let rows: Vec<TenantRow> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT tenant, version, config, updated_by, updated_at FROM store_tenants \
             ORDER BY tenant"
        )
        .fetch_all(p)
        .await
        .map_err(StoreError::db("list the tenants"))?);
        let mut tenants = Vec::with_capacity(rows.len());
        for row in rows {
            tenants.push(self.with_secrets(row).await?);
        }
        Ok(tenants)
    }

    async fn with_secrets(&self, row: TenantRow) -> Result<StoreTenant> {
        let (tenant, version, config, updated_by, updated_at) = row;
        let sealed: Vec<(String, Vec<u8>)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT name, value FROM store_tenant_secrets WHERE tenant = $1 ORDER BY name"
        )
        .bind(&tenant)
        .fetch_all(p)
        .await
        .map_err(StoreError::db("read a tenant's secrets"))?);
        let mut secrets = Vec::with_capacity(sealed.len());
        for (name, blob) in sealed {
            let slot = Slot::StoreTenantSecret {
                tenant: &tenant,
                name: &name,
            };
            let opened = self
                .cipher
                .open(slot, &blob)
                .ok_or_else(|| StoreError::Decrypt {
                    what: slot.to_string(),
                })?;
            let value = String::from_utf8(opened)
                .map_err(|_| StoreError::Corrupt(format!("the {slot} is not UTF-8 text")))?;
            secrets.push((name, Secret::new(value)));
        }
        Ok(StoreTenant {
            tenant,
            version,
            config,
            secrets,
            updated_by,
            updated_at,
        })
    }

    fn seal_changes(&self, tenant: &str, changes: &[SecretChange]) -> Vec<(String, Vec<u8>)> {
        changes
            .iter()
            .filter_map(|change| match change {
                SecretChange::Set { name, value } => Some((
                    name.clone(),
                    self.cipher.seal(
                        Slot::StoreTenantSecret { tenant, name },
                        value.expose().as_bytes(),
                    ),
                )),
                SecretChange::Remove { .. } => None,
            })
            .collect()
    }
}
