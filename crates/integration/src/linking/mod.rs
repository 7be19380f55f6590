//! "Link my CRM account": an agent connects their own CRM account (for example ServiceNow, with
//! the OAuth authorization-code flow and PKCE) through the CRM port's
//! [`AccountLinking`]. The tokens are stored encrypted (`callbridge-store`), the agent's CRM
//! user record is remembered (Cases are assigned to it), and the engine learns the agent is
//! linked.
//!
//! What makes the link the agent's own, in the order the flow meets them:
//!
//! 1. a link ticket (`ticket.rs`) for this agent, spent when the sign-in starts;
//! 2. the browser that started the sign-in is the one that finishes it: the start hands the
//!    browser a random secret (the web layer puts it in a cookie), and the callback's `state`
//!    is only honoured together with it, so nobody can have someone else approve their sign-in
//!    (link CSRF);
//! 3. the CRM user who signed in is the agent's, per the tenant's policy (`identity.rs`);
//! 4. that user can read what the agent needs (the adapter's `missing_reads`): the lookup tables and the Case
//!    table. A link that cannot pop a caller would only hide the problem until the first call,
//!    so it is refused, naming each table and the role that grants it.
//!
//! A refusal at 3 or 4 (or a failure of the instance) stores nothing and gives the ticket back,
//! so the agent can sign out of the CRM, or have the role granted, and open the same link again.
//! A callback in another browser does not: that sign-in may be an attack, and it is dropped.

mod identity;
mod ticket;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use callbridge_core::{AgentId, AgentName, Event, TenantId};
use callbridge_crm::{describe_missing, roles_to_grant, AccountLinking, CrmError, CrmTenant};
use callbridge_store::{AgentLink, Store};
use parking_lot::{Mutex, RwLock};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::runtime::RuntimeHandle;
use callbridge_config::{LinkPolicy, Secret, TenantConfig};

pub use callbridge_crm::MissingRead;
pub use ticket::{ticket, TICKET_TTL_SECS};

/// Path of the OAuth redirect on this server.
pub const CALLBACK_PATH: &str = "/api/v1/crm/oauth/callback";

/// Where agents' browsers come back after signing in to the CRM: the callback below the
/// server's public URL (it must be registered with the CRM).
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/'))
}
/// How long a started link waits for the agent to sign in.
pub const PENDING_TTL: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link ticket is missing, malformed, expired or not for this agent; open the link again from the softphone")]
    BadTicket,
    #[error("this link was already used to start a sign-in, and a link works once. If you did not finish that sign-in, or did not open the link yourself, get a new link from the softphone (or ask your administrator for `callbridge link-url`)")]
    TicketSpent,
    #[error("no tenant {0:?} is configured")]
    UnknownTenant(String),
    #[error("agent names use 1-64 letters, digits, '.', '_', '-' or '@'")]
    BadAgent,
    #[error("this sign-in is unknown or took too long; start linking again")]
    UnknownState,
    #[error("this sign-in was started in another browser, so it was not accepted and nothing was linked: a link is finished in the browser that opened it. Open your link in this browser to link your own account")]
    OtherBrowser,
    #[error("you are signed in to {crm} as {signed_in}, but agent {agent} must link {expected}. Nothing was linked. To switch: sign out of {crm} ({logout}), then open your link again and sign in as that user")]
    WrongCrmUser {
        /// The CRM's name ("ServiceNow").
        crm: String,
        agent: String,
        signed_in: String,
        expected: String,
        logout: String,
    },
    #[error("your {crm} account {user} cannot read {missing}. Without it calls cannot show the caller and your Cases would have no contact, so nothing was linked. Ask your {crm} administrator to grant {roles} to {user} (User Administration > Users > {user} > Roles), then sign out of {crm} ({logout}) and open your link again (a role applies from the next sign-in)")]
    MissingRights {
        crm: String,
        user: String,
        missing: String,
        roles: String,
        logout: String,
    },
    #[error("{} refused the sign-in: {}", .0.crm, .0.reason)]
    Refused(CrmSaid),
    #[error("{} could not be reached: {}", .0.crm, .0.reason)]
    Unavailable(CrmSaid),
    #[error("the link could not be saved: {0}")]
    Store(String),
}

/// What the CRM answered, and which CRM it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmSaid {
    /// The CRM's name ("ServiceNow").
    pub crm: String,
    pub reason: String,
}

struct Pending {
    tenant: TenantId,
    agent: String,
    /// The PKCE verifier of this sign-in (the adapter's; never leaves the server).
    verifier: String,
    /// The secret the starting browser holds; the callback must present it.
    browser: String,
    /// The spent ticket, given back when the sign-in is refused for the account used.
    ticket_digest: String,
    started: Instant,
}

#[derive(Clone)]
struct TenantLink {
    crm: Arc<dyn AccountLinking>,
    policy: LinkPolicy,
}

impl TenantLink {
    fn policy(&self) -> &LinkPolicy {
        &self.policy
    }

    fn crm_name(&self) -> String {
        self.crm.crm_name().to_string()
    }

    /// Where an agent signs out of the CRM (to sign in as someone else).
    fn logout_url(&self, tenant: &TenantId) -> String {
        self.crm.logout_url(tenant).unwrap_or_default()
    }

    /// A CRM failure in the link flow's words.
    fn said(&self, reason: impl Into<String>) -> CrmSaid {
        CrmSaid {
            crm: self.crm_name(),
            reason: reason.into(),
        }
    }

    /// A failed code exchange, as the agent is told: refused, or the CRM unreachable.
    fn exchange_failed(&self, error: CrmError) -> LinkError {
        match error {
            CrmError::Rejected(reason) => LinkError::Refused(self.said(reason)),
            other => LinkError::Unavailable(self.said(reason_of(other))),
        }
    }
}

/// The CRM's own words in an error, without the port's prefix.
fn reason_of(error: CrmError) -> String {
    match error {
        CrmError::Rejected(reason) | CrmError::Unavailable(reason) => reason,
        other => other.to_string(),
    }
}

pub struct Linking {
    /// Swapped per tenant when a tenant kept in the store is saved ([`Linking::replace_tenant`]).
    tenants: RwLock<HashMap<String, TenantLink>>,
    redirect_uri: String,
    secure_cookies: bool,
    key: Secret,
    pending: Mutex<HashMap<String, Pending>>,
    store: Store,
    runtime: RuntimeHandle,
}

/// A started link: where to send the browser, and the secret it must bring back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub authorize_url: String,
    pub browser_secret: String,
}

/// A tenant's CRM as a browser page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmFacts {
    /// The CRM's name ("ServiceNow").
    pub name: String,
    /// Where agents' browsers reach the CRM.
    pub instance_url: Option<String>,
    /// Record tables by role (`contact`, `consumer`, `case`).
    pub record_tables: Vec<(String, String)>,
}

/// A finished link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub tenant: TenantId,
    pub agent: String,
    /// The CRM's name ("ServiceNow"), for the page that says so.
    pub crm: String,
    pub crm_user_name: String,
}

impl Linking {
    /// The link flow for every tenant whose CRM links agents' accounts (`crms`, built by the
    /// registry); a tenant without one answers [`LinkError::UnknownTenant`].
    pub fn new(
        tenants: &[TenantConfig],
        crms: &HashMap<TenantId, CrmTenant>,
        public_url: &str,
        key: Secret,
        store: Store,
        runtime: RuntimeHandle,
    ) -> anyhow::Result<Linking> {
        let mut map = HashMap::new();
        for t in tenants {
            let Some(crm) = crms.get(&t.id).and_then(|c| c.linking.clone()) else {
                continue;
            };
            map.insert(
                t.id.as_str().to_string(),
                TenantLink {
                    crm,
                    policy: t.link.clone(),
                },
            );
        }
        Ok(Linking {
            tenants: RwLock::new(map),
            redirect_uri: redirect_uri(public_url),
            secure_cookies: public_url.starts_with("https://"),
            key,
            pending: Mutex::new(HashMap::new()),
            store,
            runtime,
        })
    }

    /// `tenant`'s link flow from now on: its link policy and its CRM's sign-in (`crm`, as the
    /// registry built it; a CRM without one removes the tenant's link flow). Sign-ins already
    /// started finish with the CRM they started with.
    pub fn replace_tenant(&self, tenant: &TenantConfig, crm: Option<&CrmTenant>) {
        let id = tenant.id.as_str().to_string();
        match crm.and_then(|c| c.linking.clone()) {
            Some(crm) => {
                self.tenants.write().insert(
                    id,
                    TenantLink {
                        crm,
                        policy: tenant.link.clone(),
                    },
                );
            }
            None => {
                self.tenants.write().remove(&id);
            }
        }
    }

    /// `tenant` was removed: no link starts for it from now on (sign-ins already started fail
    /// at their callback: the tenant is unknown).
    pub fn remove_tenant(&self, tenant: &TenantId) {
        self.tenants.write().remove(tenant.as_str());
    }

    fn link_of(&self, tenant: &str) -> Option<TenantLink> {
        self.tenants.read().get(tenant).cloned()
    }

    /// A ticket that lets `agent` of `tenant` start linking until `now + TICKET_TTL_SECS`.
    pub fn ticket(&self, tenant: &str, agent: &str, now: i64) -> String {
        ticket(&self.key, tenant, agent, now)
    }

    /// Whether the browser binding cookie must be `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// Starts a link: spends the ticket and returns the CRM sign-in URL to send the
    /// agent's browser to, with the secret that browser must present at the callback.
    pub async fn start(
        &self,
        tenant: &str,
        agent: &str,
        ticket: &str,
        now: i64,
    ) -> Result<Started, LinkError> {
        if AgentName::parse(agent).is_err() {
            return Err(LinkError::BadAgent);
        }
        let conn = self
            .link_of(tenant)
            .ok_or_else(|| LinkError::UnknownTenant(tenant.to_string()))?;
        let valid =
            ticket::check(&self.key, tenant, agent, ticket, now).ok_or(LinkError::BadTicket)?;
        let expires =
            OffsetDateTime::from_unix_timestamp(valid.expires).map_err(|_| LinkError::BadTicket)?;
        let now_at =
            OffsetDateTime::from_unix_timestamp(now).unwrap_or_else(|_| OffsetDateTime::now_utc());
        let fresh = self
            .store
            .spend_link_ticket(&valid.digest, expires, now_at)
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?;
        if !fresh {
            return Err(LinkError::TicketSpent);
        }
        let authorization = conn
            .crm
            .authorize(&TenantId::new(tenant), &self.redirect_uri)
            .map_err(|e| conn.exchange_failed(e))?;
        let (state, url) = (authorization.state.clone(), authorization.url.clone());
        let browser = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let mut pending = self.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < PENDING_TTL);
        pending.insert(
            state,
            Pending {
                tenant: TenantId::new(tenant),
                agent: agent.to_string(),
                verifier: authorization.verifier,
                browser: browser.clone(),
                ticket_digest: valid.digest,
                started: Instant::now(),
            },
        );
        Ok(Started {
            authorize_url: url,
            browser_secret: browser,
        })
    }

    /// Takes the sign-in `state` out of the pending ones, if `browser` is the secret of the
    /// browser that started it. Either way the state is used up.
    fn take_pending(&self, state: &str, browser: Option<&str>) -> Result<Pending, LinkError> {
        let pending = self
            .pending
            .lock()
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_TTL)
            .ok_or(LinkError::UnknownState)?;
        let same_browser: bool = browser
            .map(|b| b.as_bytes().ct_eq(pending.browser.as_bytes()).into())
            .unwrap_or(false);
        if !same_browser {
            tracing::warn!(
                tenant = %pending.tenant,
                agent = %pending.agent,
                "a CRM-link callback arrived without the starting browser's cookie; refused"
            );
            return Err(LinkError::OtherBrowser);
        }
        Ok(pending)
    }

    /// The agent declined (or the instance refused) at the sign-in page: the sign-in ends and,
    /// in the browser that started it, the ticket is given back.
    /// Returns the name of the CRM the sign-in was with, when the sign-in was known.
    pub async fn cancel(&self, state: &str, browser: Option<&str>) -> Option<String> {
        let pending = self.take_pending(state, browser).ok()?;
        self.refund(&pending).await;
        self.link_of(pending.tenant.as_str())
            .map(|conn| conn.crm_name())
    }

    /// Finishes a link from the OAuth callback's `state` and `code`, in the browser holding
    /// `browser` (the secret [`Linking::start`] handed out).
    pub async fn complete(
        &self,
        state: &str,
        code: &str,
        browser: Option<&str>,
    ) -> Result<Linked, LinkError> {
        let pending = self.take_pending(state, browser)?;
        match self.finish(&pending, code).await {
            Ok(linked) => Ok(linked),
            Err(e) => {
                self.refund(&pending).await;
                Err(e)
            }
        }
    }

    async fn refund(&self, pending: &Pending) {
        if let Err(e) = self.store.refund_link_ticket(&pending.ticket_digest).await {
            tracing::warn!(error = %e, "could not give a link ticket back; the agent needs a new link");
        }
    }

    async fn finish(&self, pending: &Pending, code: &str) -> Result<Linked, LinkError> {
        let conn = self
            .link_of(pending.tenant.as_str())
            .ok_or_else(|| LinkError::UnknownTenant(pending.tenant.to_string()))?;
        let now = OffsetDateTime::now_utc();
        let tenant = &pending.tenant;
        let tokens = conn
            .crm
            .exchange_code(
                tenant,
                code,
                &self.redirect_uri,
                &pending.verifier,
                now.unix_timestamp(),
            )
            .await
            .map_err(|e| conn.exchange_failed(e))?;
        let user = conn
            .crm
            .current_user(tenant, &tokens.access_token)
            .await
            .map_err(|e| {
                LinkError::Unavailable(
                    conn.said(format!("identifying the signed-in user: {}", reason_of(e))),
                )
            })?;
        if !identity::admits(conn.policy(), &pending.agent, &user) {
            tracing::warn!(
                tenant = %pending.tenant,
                agent = %pending.agent,
                crm_user = %user.user_name,
                "refused to link a CRM user who is not the agent's"
            );
            return Err(LinkError::WrongCrmUser {
                crm: conn.crm_name(),
                agent: pending.agent.clone(),
                signed_in: identity::describe(&user),
                expected: identity::expected_user(
                    conn.policy(),
                    &pending.agent,
                    conn.crm.crm_name(),
                ),
                logout: conn.logout_url(tenant),
            });
        }
        let missing = conn
            .crm
            .missing_reads(tenant, &tokens.access_token)
            .await
            .map_err(|e| {
                LinkError::Unavailable(conn.said(format!(
                    "checking what your account may read: {}",
                    reason_of(e)
                )))
            })?;
        if !missing.is_empty() {
            let roles = roles_to_grant(&missing);
            return Err(LinkError::MissingRights {
                crm: conn.crm_name(),
                user: user.user_name.clone(),
                missing: describe_missing(&missing),
                roles: if roles.is_empty() {
                    "the roles those tables' read ACLs require".to_string()
                } else {
                    format!("the role {}", roles.join(" and "))
                },
                logout: conn.logout_url(tenant),
            });
        }
        let link = AgentLink {
            crm_user_id: user.id,
            crm_user_name: user.user_name.clone(),
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            access_expires_at: OffsetDateTime::from_unix_timestamp(tokens.expires_at)
                .unwrap_or(now),
            linked_at: now,
        };
        self.store
            .save_link(pending.tenant.as_str(), &pending.agent, link)
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?;
        self.runtime.submit(Event::AgentLinkChanged {
            agent: AgentId::in_tenant(&pending.tenant, &pending.agent)
                .map_err(|_| LinkError::BadAgent)?,
            linked: true,
        });
        Ok(Linked {
            tenant: pending.tenant.clone(),
            agent: pending.agent.clone(),
            crm: conn.crm_name(),
            crm_user_name: user.user_name,
        })
    }

    /// The tenant's CRM sign-in (for pages other than agent linking: the recording page signs
    /// viewers in with it), if the tenant's CRM has one.
    pub fn account_linking(&self, tenant: &str) -> Option<Arc<dyn AccountLinking>> {
        self.link_of(tenant).map(|t| t.crm)
    }

    /// The tenants whose CRM signs people in, grouped by their sign-in (tenants naming the same
    /// CRM instance and client are one group: one sign-in serves them all), computed from the
    /// tenants as they are configured now.
    pub fn sign_in_groups(&self) -> Vec<callbridge_crm::SignInGroup> {
        let tenants: Vec<(String, Arc<dyn AccountLinking>)> = self
            .tenants
            .read()
            .iter()
            .map(|(id, link)| (id.clone(), link.crm.clone()))
            .collect();
        callbridge_crm::group_by_sign_in(
            tenants
                .iter()
                .map(|(id, crm)| (id.as_str(), Some(crm.as_ref()))),
        )
    }

    /// The sign-in group `tenant` is in now; `None` when its CRM signs nobody in (or it is no
    /// tenant any more).
    pub fn sign_in_group_of(&self, tenant: &str) -> Option<callbridge_crm::SignInGroup> {
        self.sign_in_groups()
            .into_iter()
            .find(|group| group.tenants.iter().any(|t| t == tenant))
    }

    /// The OAuth redirect URI registered with the CRM (the callback below the public URL).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// What a browser page needs to know of the tenant's CRM, if the tenant links agents'
    /// accounts to one.
    pub fn crm_facts(&self, tenant: &str) -> Option<CrmFacts> {
        let conn = self.link_of(tenant)?;
        let id = TenantId::new(tenant);
        Some(CrmFacts {
            name: conn.crm_name(),
            instance_url: conn.crm.instance_url(&id),
            record_tables: conn.crm.record_tables(&id),
        })
    }

    /// Removes an agent's link (they sign out of the CRM in the softphone): the tokens are
    /// revoked at the CRM (best effort: a failure is logged and the tokens are deleted anyway),
    /// deleted, and the engine learns the agent is unlinked.
    pub async fn unlink(&self, tenant: &str, agent: &str) -> Result<bool, LinkError> {
        if let Some(conn) = self.link_of(tenant) {
            match self.store.link(tenant, agent).await {
                Ok(Some(link)) => {
                    let tokens = callbridge_crm::LinkTokens {
                        access_token: link.access_token,
                        refresh_token: link.refresh_token,
                        expires_at: link.access_expires_at.unix_timestamp(),
                    };
                    if let Err(error) = conn.crm.revoke(&TenantId::new(tenant), &tokens).await {
                        tracing::warn!(tenant, agent, %error, "revoking the CRM tokens failed; deleting them anyway");
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(tenant, agent, %error, "the CRM link could not be read to revoke it; deleting it anyway");
                }
            }
        }
        let removed = self
            .store
            .delete_link(tenant, agent)
            .await
            .map_err(|e| LinkError::Store(e.to_string()))?;
        self.runtime.submit(Event::AgentLinkChanged {
            agent: AgentId::in_tenant(&TenantId::new(tenant), agent)
                .map_err(|_| LinkError::BadAgent)?,
            linked: false,
        });
        Ok(removed)
    }
}
