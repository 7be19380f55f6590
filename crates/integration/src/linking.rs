//! "Link my CRM account": an agent connects their own ServiceNow account with the OAuth
//! authorization-code flow and PKCE. The tokens are stored encrypted (`callbridge-store`), the
//! agent's `sys_user` record is remembered (Cases are assigned to it), and the engine learns the
//! agent is linked.
//!
//! Starting a link needs a link ticket: a short-lived HMAC over (tenant, agent, expiry) made with
//! the server's master key, issued to an authenticated agent (the softphone, or
//! `callbridge link-url` for an admin). Without it anyone could link their own CRM account to
//! someone else's agent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use callbridge_core::{Event, TenantId};
use callbridge_servicenow::{current_user, Instance, InstanceConfig, OAuthClient, Pkce};
use callbridge_store::{AgentLink, Store};
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::agents::{agent_id, valid_local_name};
use crate::config::{Secret, TenantConfig};
use crate::runtime::RuntimeHandle;

/// Path of the OAuth redirect on this server.
pub const CALLBACK_PATH: &str = "/api/v1/crm/oauth/callback";
/// How long a started link waits for the agent to sign in.
const PENDING_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a link ticket is valid.
pub const TICKET_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link ticket is missing, malformed, expired or not for this agent; open the link again from the softphone")]
    BadTicket,
    #[error("no tenant {0:?} is configured")]
    UnknownTenant(String),
    #[error("agent names use 1-64 letters, digits, '.', '_', '-' or '@'")]
    BadAgent,
    #[error("this sign-in is unknown or took too long; start linking again")]
    UnknownState,
    #[error("ServiceNow refused the sign-in: {0}")]
    Refused(String),
    #[error("ServiceNow could not be reached: {0}")]
    Unavailable(String),
    #[error("the link could not be saved: {0}")]
    Store(String),
}

struct Pending {
    tenant: TenantId,
    agent: String,
    pkce: Pkce,
    started: Instant,
}

struct TenantOAuth {
    oauth: OAuthClient,
    instance: Instance,
}

pub struct Linking {
    tenants: HashMap<String, TenantOAuth>,
    redirect_uri: String,
    key: Secret,
    pending: Mutex<HashMap<String, Pending>>,
    store: Store,
    runtime: RuntimeHandle,
}

/// A link ticket for `agent` of `tenant`, valid until `now + TICKET_TTL_SECS`, made with the
/// server's master key (so `callbridge link-url` can issue one without a running server).
pub fn ticket(key: &Secret, tenant: &str, agent: &str, now: i64) -> String {
    let expires = now + TICKET_TTL_SECS;
    format!(
        "{expires}.{}",
        URL_SAFE_NO_PAD.encode(ticket_mac(key, tenant, agent, expires))
    )
}

fn ticket_mac(key: &Secret, tenant: &str, agent: &str, expires: i64) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()).expect("any key length");
    mac.update(format!("crm-link\n{tenant}\n{agent}\n{expires}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A finished link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub tenant: TenantId,
    pub agent: String,
    pub crm_user_name: String,
}

impl Linking {
    pub fn new(
        tenants: &[TenantConfig],
        public_url: &str,
        key: Secret,
        store: Store,
        runtime: RuntimeHandle,
    ) -> anyhow::Result<Linking> {
        let mut map = HashMap::new();
        for t in tenants {
            let sn = &t.servicenow;
            let mut config =
                InstanceConfig::new(sn.instance_url.clone()).with_timeout(Duration::from_secs(10));
            if let Some(pem) = &sn.ca_pem {
                config = config.with_root_ca_pem(pem.clone().into_bytes());
            }
            let instance =
                Instance::new(config).map_err(|e| anyhow::anyhow!("tenant {}: {e}", t.id))?;
            map.insert(
                t.id.as_str().to_string(),
                TenantOAuth {
                    oauth: OAuthClient::new(
                        instance.clone(),
                        sn.client_id.clone(),
                        sn.client_secret.expose().to_string(),
                    ),
                    instance,
                },
            );
        }
        Ok(Linking {
            tenants: map,
            redirect_uri: format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/')),
            key,
            pending: Mutex::new(HashMap::new()),
            store,
            runtime,
        })
    }

    /// A ticket that lets `agent` of `tenant` start linking until `now + TICKET_TTL_SECS`.
    pub fn ticket(&self, tenant: &str, agent: &str, now: i64) -> String {
        ticket(&self.key, tenant, agent, now)
    }

    fn check_ticket(
        &self,
        tenant: &str,
        agent: &str,
        ticket: &str,
        now: i64,
    ) -> Result<(), LinkError> {
        let (expires, signature) = ticket.split_once('.').ok_or(LinkError::BadTicket)?;
        let expires: i64 = expires.parse().map_err(|_| LinkError::BadTicket)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::BadTicket)?;
        let valid: bool = ticket_mac(&self.key, tenant, agent, expires)
            .ct_eq(&signature)
            .into();
        if !valid || expires < now {
            return Err(LinkError::BadTicket);
        }
        Ok(())
    }

    /// Starts a link: returns the ServiceNow sign-in URL to send the agent's browser to.
    pub fn start(
        &self,
        tenant: &str,
        agent: &str,
        ticket: &str,
        now: i64,
    ) -> Result<String, LinkError> {
        if !valid_local_name(agent) {
            return Err(LinkError::BadAgent);
        }
        let conn = self
            .tenants
            .get(tenant)
            .ok_or_else(|| LinkError::UnknownTenant(tenant.to_string()))?;
        self.check_ticket(tenant, agent, ticket, now)?;
        let pkce = Pkce::generate();
        let state = callbridge_servicenow::oauth::random_state();
        let url = conn
            .oauth
            .authorization_url(&self.redirect_uri, &state, &pkce);
        let mut pending = self.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        pending.insert(
            state,
            Pending {
                tenant: TenantId::new(tenant),
                agent: agent.to_string(),
                pkce,
                started: Instant::now(),
            },
        );
        Ok(url.to_string())
    }

    /// Finishes a link from the OAuth callback's `state` and `code`.
    pub async fn complete(&self, state: &str, code: &str) -> Result<Linked, LinkError> {
        let pending = self
            .pending
            .lock()
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_TTL)
            .ok_or(LinkError::UnknownState)?;
        let conn = self
            .tenants
            .get(pending.tenant.as_str())
            .ok_or_else(|| LinkError::UnknownTenant(pending.tenant.to_string()))?;
        let now = OffsetDateTime::now_utc();
        let tokens = conn
            .oauth
            .exchange_code(
                code,
                &self.redirect_uri,
                pending.pkce.verifier(),
                now.unix_timestamp(),
            )
            .await
            .map_err(|e| {
                if e.is_refused() {
                    LinkError::Refused(e.to_string())
                } else {
                    LinkError::Unavailable(e.to_string())
                }
            })?;
        let refresh_token = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| LinkError::Refused("the instance issued no refresh token".into()))?;
        let user = current_user(&conn.instance, &tokens.auth())
            .await
            .map_err(|e| LinkError::Unavailable(format!("identifying the signed-in user: {e}")))?;
        let link = AgentLink {
            crm_user_sys_id: user.sys_id,
            crm_user_name: user.user_name.clone(),
            access_token: tokens.access_token.clone(),
            refresh_token,
            access_expires_at: OffsetDateTime::from_unix_timestamp(tokens.expires_at)
                .unwrap_or(now),
            linked_at: now,
        };
        self.store
            .save_link(pending.tenant.as_str(), &pending.agent, link)
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?;
        self.runtime.submit(Event::AgentLinkChanged {
            agent: agent_id(&pending.tenant, &pending.agent),
            linked: true,
        });
        Ok(Linked {
            tenant: pending.tenant,
            agent: pending.agent,
            crm_user_name: user.user_name,
        })
    }

    /// Removes an agent's link (they sign out of the CRM in the softphone).
    pub async fn unlink(&self, tenant: &str, agent: &str) -> Result<bool, LinkError> {
        let removed = self
            .store
            .delete_link(tenant, agent)
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?;
        self.runtime.submit(Event::AgentLinkChanged {
            agent: agent_id(&TenantId::new(tenant), agent),
            linked: false,
        });
        Ok(removed)
    }
}
