//! Agents' CRM links (OAuth tokens) and tenants' service credentials, encrypted at rest.

use std::fmt;

use time::OffsetDateTime;

use crate::crypto::Slot;
use crate::time_conv::{from_micros, to_micros, wall_clock_micros};
use crate::{with_pool, Result, Store, StoreError};

/// An agent's link to their own CRM account. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentLink {
    /// The CRM user's record id (ServiceNow: `sys_user.sys_id`), e.g. for assigning Cases.
    pub crm_user_id: String,
    /// The CRM user name, for display.
    pub crm_user_name: String,
    /// The OAuth access token (encrypted at rest).
    pub access_token: String,
    /// The OAuth refresh token (encrypted at rest).
    pub refresh_token: String,
    /// When the access token expires.
    pub access_expires_at: OffsetDateTime,
    /// When the agent linked the account.
    pub linked_at: OffsetDateTime,
}

impl fmt::Debug for AgentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentLink")
            .field("crm_user_id", &self.crm_user_id)
            .field("crm_user_name", &self.crm_user_name)
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("linked_at", &self.linked_at)
            .finish()
    }
}

const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";

#[derive(sqlx::FromRow)]
struct LinkRow {
    crm_user_id: String,
    crm_user_name: String,
    access_token: Vec<u8>,
    refresh_token: Vec<u8>,
    access_expires_at: i64,
    linked_at: i64,
}

fn link_slot<'a>(tenant: &'a str, agent: &'a str, field: &'a str) -> Slot<'a> {
    Slot::AgentLink {
        tenant,
        agent,
        field,
    }
}

impl Store {
    fn seal(&self, slot: Slot<'_>, plaintext: &str) -> Vec<u8> {
        self.cipher.seal(slot, plaintext.as_bytes())
    }

    fn unseal(&self, slot: Slot<'_>, blob: &[u8]) -> Result<String> {
        let bytes = self
            .cipher
            .open(slot, blob)
            .ok_or_else(|| StoreError::Decrypt {
                what: slot.to_string(),
            })?;
        String::from_utf8(bytes)
            .map_err(|_| StoreError::Corrupt(format!("the {slot} is not UTF-8 text")))
    }

    /// Saves (or replaces, e.g. after a token refresh) the agent's CRM link.
    pub async fn save_link(&self, tenant: &str, agent_id: &str, link: AgentLink) -> Result<()> {
        let access = self.seal(
            link_slot(tenant, agent_id, ACCESS_TOKEN),
            &link.access_token,
        );
        let refresh = self.seal(
            link_slot(tenant, agent_id, REFRESH_TOKEN),
            &link.refresh_token,
        );
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO agent_links (tenant, agent_id, crm_user_id, crm_user_name, \
                 access_token, refresh_token, access_expires_at, linked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant, agent_id) DO UPDATE SET \
                 crm_user_id = excluded.crm_user_id, \
                 crm_user_name = excluded.crm_user_name, \
                 access_token = excluded.access_token, \
                 refresh_token = excluded.refresh_token, \
                 access_expires_at = excluded.access_expires_at, \
                 linked_at = excluded.linked_at, \
                 refused_at = NULL"
        )
        .bind(tenant)
        .bind(agent_id)
        .bind(&link.crm_user_id)
        .bind(&link.crm_user_name)
        .bind(&access)
        .bind(&refresh)
        .bind(to_micros(link.access_expires_at))
        .bind(to_micros(link.linked_at))
        .execute(p)
        .await
        .map_err(StoreError::db("save an agent's CRM link"))?
        .rows_affected());
        Ok(())
    }

    /// The agent's CRM link, decrypted; `None` if the agent has not linked an account.
    /// [`StoreError::Decrypt`] if the master key is not the one the link was saved with, or the
    /// row was tampered with.
    pub async fn link(&self, tenant: &str, agent_id: &str) -> Result<Option<AgentLink>> {
        let row: Option<LinkRow> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT crm_user_id, crm_user_name, access_token, refresh_token, \
                    access_expires_at, linked_at \
             FROM agent_links WHERE tenant = $1 AND agent_id = $2"
        )
        .bind(tenant)
        .bind(agent_id)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read an agent's CRM link"))?);
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(AgentLink {
            access_token: self
                .unseal(link_slot(tenant, agent_id, ACCESS_TOKEN), &row.access_token)?,
            refresh_token: self.unseal(
                link_slot(tenant, agent_id, REFRESH_TOKEN),
                &row.refresh_token,
            )?,
            access_expires_at: from_micros(row.access_expires_at)?,
            linked_at: from_micros(row.linked_at)?,
            crm_user_id: row.crm_user_id,
            crm_user_name: row.crm_user_name,
        }))
    }

    /// Removes the agent's CRM link; `true` if there was one.
    pub async fn delete_link(&self, tenant: &str, agent_id: &str) -> Result<bool> {
        let deleted = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM agent_links WHERE tenant = $1 AND agent_id = $2"
        )
        .bind(tenant)
        .bind(agent_id)
        .execute(p)
        .await
        .map_err(StoreError::db("delete an agent's CRM link"))?
        .rows_affected());
        Ok(deleted > 0)
    }

    /// The ids of the tenant's agents that have a CRM link, sorted.
    pub async fn linked_agents(&self, tenant: &str) -> Result<Vec<String>> {
        Ok(with_pool!(&self.pool, |p| sqlx::query_scalar(
            "SELECT agent_id FROM agent_links WHERE tenant = $1 ORDER BY agent_id"
        )
        .bind(tenant)
        .fetch_all(p)
        .await
        .map_err(StoreError::db("list linked agents"))?))
    }

    /// Saves (or replaces) the tenant's credential `name` (e.g. the OAuth client secret),
    /// encrypted.
    pub async fn put_secret(&self, tenant: &str, name: &str, value: &str) -> Result<()> {
        let sealed = self.seal(Slot::TenantSecret { tenant, name }, value);
        let updated_at = wall_clock_micros();
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO tenant_secrets (tenant, name, value, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant, name) DO UPDATE SET \
                 value = excluded.value, updated_at = excluded.updated_at"
        )
        .bind(tenant)
        .bind(name)
        .bind(&sealed)
        .bind(updated_at)
        .execute(p)
        .await
        .map_err(StoreError::db("save a tenant secret"))?
        .rows_affected());
        Ok(())
    }

    /// The tenant's credential `name`, decrypted; `None` if it was never saved.
    pub async fn get_secret(&self, tenant: &str, name: &str) -> Result<Option<String>> {
        let sealed: Option<Vec<u8>> = with_pool!(&self.pool, |p| sqlx::query_scalar(
            "SELECT value FROM tenant_secrets WHERE tenant = $1 AND name = $2"
        )
        .bind(tenant)
        .bind(name)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read a tenant secret"))?);
        sealed
            .map(|blob| self.unseal(Slot::TenantSecret { tenant, name }, &blob))
            .transpose()
    }

    /// Removes the tenant's credential `name`; `true` if there was one.
    pub async fn delete_secret(&self, tenant: &str, name: &str) -> Result<bool> {
        let deleted = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM tenant_secrets WHERE tenant = $1 AND name = $2"
        )
        .bind(tenant)
        .bind(name)
        .execute(p)
        .await
        .map_err(StoreError::db("delete a tenant secret"))?
        .rows_affected());
        Ok(deleted > 0)
    }
}
