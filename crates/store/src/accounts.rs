//! People who sign in (accounts) and their signed-in browsers (sessions).
//!
//! The store keeps what the web edge decides: an Argon2id hash (never a password) and the
//! SHA-256 of each session id (never the id), so neither a backup nor a read of the database
//! signs anybody in. Rules kept here, because every caller needs them:
//!
//! - a user name is unique per tenant ([`Store::create_account`] answers `false` for a taken one);
//! - a session is only returned while it is unexpired and its account is enabled;
//! - disabling an account or changing its password ends all its sessions.

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::time_conv::{from_micros, to_micros};
use crate::{with_pool, Result, Store, StoreError};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Takes calls: has a softphone.
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is none of `agent`, `supervisor`, `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role: use agent, supervisor or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// One account. `Debug` hides the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub tenant: String,
    pub user_name: String,
    pub display_name: String,
    pub role: Role,
    /// Argon2id, PHC string format.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("tenant", &self.tenant)
            .field("user_name", &self.user_name)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// An account to create.
#[derive(Clone)]
pub struct NewAccount<'a> {
    pub tenant: &'a str,
    pub user_name: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// A session to remember: the digest of its id, whose it is, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession<'a> {
    /// SHA-256 of the session id.
    pub id_digest: &'a [u8],
    pub tenant: &'a str,
    pub user_name: &'a str,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Where the sign-in came from, for the account's owner and the admin.
    pub client_address: &'a str,
}

/// A live session with its account's current role and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub tenant: String,
    pub user_name: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An agent's CRM link as the profile shows it (no tokens are decrypted for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSummary {
    pub crm_user_name: String,
    pub linked_at: OffsetDateTime,
    /// When the CRM refused the link's tokens for good; the agent must link again.
    pub refused_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    tenant: String,
    user_name: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl AccountRow {
    fn into_account(self) -> Result<Account> {
        Ok(Account {
            role: parse_role(&self.role)?,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
            tenant: self.tenant,
            user_name: self.user_name,
            display_name: self.display_name,
            password_hash: self.password_hash,
            disabled: self.disabled,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    tenant: String,
    user_name: String,
    display_name: String,
    role: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
}

fn parse_role(text: &str) -> Result<Role> {
    text.parse()
        .map_err(|e: UnknownRole| StoreError::Corrupt(e.to_string()))
}

const ACCOUNT_COLUMNS: &str = "tenant, user_name, display_name, role, password_hash, disabled, \
                               created_at, updated_at";

impl Store {
    /// Creates an account; `false` (and nothing changed) if the tenant already has that user.
    pub async fn create_account(&self, new: NewAccount<'_>, now: OffsetDateTime) -> Result<bool> {
        let at = to_micros(now);
        let inserted = with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO accounts (tenant, user_name, display_name, role, password_hash, \
                 disabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (tenant, user_name) DO NOTHING"
        )
        .bind(new.tenant)
        .bind(new.user_name)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(new.password_hash)
        .bind(false)
        .bind(at)
        .execute(p)
        .await
        .map_err(StoreError::db("create an account"))?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// The tenant's account `user_name`, enabled or not.
    pub async fn account(&self, tenant: &str, user_name: &str) -> Result<Option<Account>> {
        let sql =
            format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 AND user_name = $2");
        let row: Option<AccountRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user_name)
            .fetch_optional(p)
            .await
            .map_err(StoreError::db("read an account"))?);
        row.map(AccountRow::into_account).transpose()
    }

    /// The tenant's accounts (every tenant's with `None`), by tenant and user name.
    pub async fn accounts(&self, tenant: Option<&str>) -> Result<Vec<Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE ($1 IS NULL OR tenant = $1) \
             ORDER BY tenant, user_name"
        );
        let rows: Vec<AccountRow> = with_pool!(&self.pool, |p| sqlx::query_as(&sql)
            .bind(tenant)
            .fetch_all(p)
            .await
            .map_err(StoreError::db("list accounts"))?);
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    /// Replaces the account's password hash and ends all its sessions; `false` if there is no
    /// such account.
    pub async fn set_password_hash(
        &self,
        tenant: &str,
        user_name: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let updated = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE accounts SET password_hash = $3, updated_at = $4 \
             WHERE tenant = $1 AND user_name = $2"
        )
        .bind(tenant)
        .bind(user_name)
        .bind(password_hash)
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("change a password"))?
        .rows_affected());
        if updated == 1 {
            self.delete_account_sessions(tenant, user_name).await?;
        }
        Ok(updated == 1)
    }

    /// Disables (or enables again) an account; disabling ends all its sessions. `false` if
    /// there is no such account.
    pub async fn set_account_disabled(
        &self,
        tenant: &str,
        user_name: &str,
        disabled: bool,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let updated = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE accounts SET disabled = $3, updated_at = $4 \
             WHERE tenant = $1 AND user_name = $2"
        )
        .bind(tenant)
        .bind(user_name)
        .bind(disabled)
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("disable an account"))?
        .rows_affected());
        if updated == 1 && disabled {
            self.delete_account_sessions(tenant, user_name).await?;
        }
        Ok(updated == 1)
    }

    /// Gives an account another role and ends all its sessions (it signs in again with the new
    /// one). `false` if there is no such account.
    pub async fn set_account_role(
        &self,
        tenant: &str,
        user_name: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let updated = with_pool!(&self.pool, |p| {
            sqlx::query(
            "UPDATE accounts SET role = $3, updated_at = $4 WHERE tenant = $1 AND user_name = $2"
        )
        .bind(tenant)
        .bind(user_name)
        .bind(role.as_str())
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("change an account's role"))?
        .rows_affected()
        });
        if updated == 1 {
            self.delete_account_sessions(tenant, user_name).await?;
        }
        Ok(updated == 1)
    }

    /// Remembers a new session.
    pub async fn create_session(&self, new: NewSession<'_>) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO sessions (id_digest, tenant, user_name, created_at, last_seen_at, \
                 expires_at, client_address) \
             VALUES ($1, $2, $3, $4, $4, $5, $6)"
        )
        .bind(new.id_digest)
        .bind(new.tenant)
        .bind(new.user_name)
        .bind(to_micros(new.created_at))
        .bind(to_micros(new.expires_at))
        .bind(new.client_address)
        .execute(p)
        .await
        .map_err(StoreError::db("create a session"))?
        .rows_affected());
        Ok(())
    }

    /// The session whose id hashes to `id_digest`, if it is unexpired at `now` and its account
    /// is enabled.
    pub async fn session(
        &self,
        id_digest: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<SessionView>> {
        let row: Option<SessionRow> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT s.tenant, s.user_name, a.display_name, a.role, s.created_at, \
                    s.last_seen_at, s.expires_at \
             FROM sessions s JOIN accounts a \
                  ON a.tenant = s.tenant AND a.user_name = s.user_name \
             WHERE s.id_digest = $1 AND s.expires_at > $2 AND NOT a.disabled"
        )
        .bind(id_digest)
        .bind(to_micros(now))
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read a session"))?);
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(SessionView {
            role: parse_role(&row.role)?,
            created_at: from_micros(row.created_at)?,
            last_seen_at: from_micros(row.last_seen_at)?,
            expires_at: from_micros(row.expires_at)?,
            tenant: row.tenant,
            user_name: row.user_name,
            display_name: row.display_name,
        }))
    }

    /// Notes that the session was used at `now` (informational: it extends nothing).
    pub async fn touch_session(&self, id_digest: &[u8], now: OffsetDateTime) -> Result<()> {
        with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 WHERE id_digest = $1"
        )
        .bind(id_digest)
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("note a session's use"))?
        .rows_affected());
        Ok(())
    }

    /// Ends one session; `true` if it existed.
    pub async fn delete_session(&self, id_digest: &[u8]) -> Result<bool> {
        let deleted = with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM sessions WHERE id_digest = $1"
        )
        .bind(id_digest)
        .execute(p)
        .await
        .map_err(StoreError::db("delete a session"))?
        .rows_affected());
        Ok(deleted == 1)
    }

    /// Ends every session of the account; how many there were.
    pub async fn delete_account_sessions(&self, tenant: &str, user_name: &str) -> Result<u64> {
        Ok(with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM sessions WHERE tenant = $1 AND user_name = $2"
        )
        .bind(tenant)
        .bind(user_name)
        .execute(p)
        .await
        .map_err(StoreError::db("delete an account's sessions"))?
        .rows_affected()))
    }

    /// Deletes every session of every account of `tenant` (the tenant was removed); how many.
    pub async fn delete_tenant_sessions(&self, tenant: &str) -> Result<u64> {
        Ok(with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM sessions WHERE tenant = $1"
        )
        .bind(tenant)
        .execute(p)
        .await
        .map_err(StoreError::db("delete a tenant's sessions"))?
        .rows_affected()))
    }

    /// Forgets sessions that expired before `now`; how many.
    pub async fn prune_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        Ok(with_pool!(&self.pool, |p| sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= $1"
        )
        .bind(to_micros(now))
        .execute(p)
        .await
        .map_err(StoreError::db("forget expired sessions"))?
        .rows_affected()))
    }

    /// Notes that the CRM refused the agent's link for good (a refused token refresh); saving a
    /// new link clears it. `false` if the agent has no link.
    pub async fn mark_link_refused(
        &self,
        tenant: &str,
        agent_id: &str,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let updated = with_pool!(&self.pool, |p| sqlx::query(
            "UPDATE agent_links SET refused_at = $3 WHERE tenant = $1 AND agent_id = $2"
        )
        .bind(tenant)
        .bind(agent_id)
        .bind(to_micros(at))
        .execute(p)
        .await
        .map_err(StoreError::db("mark a CRM link refused"))?
        .rows_affected());
        Ok(updated == 1)
    }

    /// Every agent link of the tenant without its tokens, by agent name.
    pub async fn link_summaries(&self, tenant: &str) -> Result<Vec<(String, LinkSummary)>> {
        let rows: Vec<(String, String, i64, Option<i64>)> =
            with_pool!(&self.pool, |p| sqlx::query_as(
                "SELECT agent_id, crm_user_name, linked_at, refused_at FROM agent_links \
                 WHERE tenant = $1 ORDER BY agent_id"
            )
            .bind(tenant)
            .fetch_all(p)
            .await
            .map_err(StoreError::db("list the tenant's CRM links"))?);
        rows.into_iter()
            .map(|(agent, crm_user_name, linked_at, refused_at)| {
                Ok((
                    agent,
                    LinkSummary {
                        crm_user_name,
                        linked_at: from_micros(linked_at)?,
                        refused_at: refused_at.map(from_micros).transpose()?,
                    },
                ))
            })
            .collect()
    }

    /// The agent's link without its tokens: who, since when, refused or not.
    pub async fn link_summary(&self, tenant: &str, agent_id: &str) -> Result<Option<LinkSummary>> {
        let row: Option<(String, i64, Option<i64>)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT crm_user_name, linked_at, refused_at FROM agent_links \
             WHERE tenant = $1 AND agent_id = $2"
        )
        .bind(tenant)
        .bind(agent_id)
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read an agent's CRM link"))?);
        row.map(|(crm_user_name, linked_at, refused_at)| {
            Ok(LinkSummary {
                crm_user_name,
                linked_at: from_micros(linked_at)?,
                refused_at: refused_at.map(from_micros).transpose()?,
            })
        })
        .transpose()
    }
}
