//! Check 9: every linked agent, with their own stored sign-in. The link step refuses an account
//! that cannot read the caller tables and the Case table (`linking::rights`); roles change
//! later, and links made before that rule existed were never checked, so doctor applies the
//! same rule to every stored link.
//!
//! Each agent's token is refreshed first (the adapter would do the same within the token's
//! lifetime): an instance binds roles to a token when it issues it, so only a fresh token shows
//! what the agent may read now, and a refused refresh means the agent must link again. The
//! refreshed token is saved, exactly as the adapter saves it.

use crate::{Instance, OAuthClient, TableClient};
use callbridge_store::{AgentLink, Store};
use time::OffsetDateTime;

use super::TenantConfig;
use crate::adapter::rights;
use callbridge_kernel::check::Check;

pub const STORE: &str = "agents.store";
pub const LINKED: &str = "agents.linked";
const STORE_TITLE: &str = "Agents' CRM links readable";
const LINKED_TITLE: &str = "Linked agents";

/// The check id for one linked agent (ids of this check depend on who has linked).
pub fn agent_id(agent: &str) -> String {
    format!("agent.{agent}.crm_access")
}

fn agent_title(agent: &str) -> String {
    format!("Agent {agent}'s CRM account can read the caller and Case tables")
}

/// Check 9 when the store could not be opened.
pub fn store_failed(reason: &str, checks: &mut Vec<Check>) {
    checks.push(Check::fail(
        STORE,
        STORE_TITLE,
        reason,
        "Configuration: server.database_url and server.master_key must be the ones the server runs with",
    ));
}

/// Check 9 when the instance cannot be reached.
pub fn skip(reason: &str, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(LINKED, LINKED_TITLE, reason));
}

/// Check 9 with the instance reachable: one check per linked agent of `tenant`.
pub async fn check(
    tenant: &TenantConfig,
    instance: &Instance,
    store: Option<&Store>,
    checks: &mut Vec<Check>,
) {
    let Some(store) = store else {
        checks.push(Check::pass(
            LINKED,
            LINKED_TITLE,
            "no agent has linked a CRM account yet (the database does not exist); each is checked once linked",
        ));
        return;
    };
    let agents = match store.linked_agents(tenant.id.as_str()).await {
        Ok(agents) => agents,
        Err(e) => return store_failed(&e.to_string(), checks),
    };
    if agents.is_empty() {
        checks.push(Check::pass(
            LINKED,
            LINKED_TITLE,
            "no agent has linked a CRM account yet; each is checked once linked",
        ));
        return;
    }
    let sn = &tenant.servicenow;
    let oauth = OAuthClient::new(
        instance.clone(),
        sn.client_id.clone(),
        sn.client_secret.expose().to_string(),
    );
    let tables = TableClient::new(instance.clone());
    for agent in agents {
        checks.push(check_agent(tenant, store, &oauth, &tables, &agent).await);
    }
}

async fn check_agent(
    tenant: &TenantConfig,
    store: &Store,
    oauth: &OAuthClient,
    tables: &TableClient,
    agent: &str,
) -> Check {
    let (id, title) = (agent_id(agent), agent_title(agent));
    let tenant_id = tenant.id.as_str();
    let relink = format!(
        "{agent} links again: `callbridge link-url --tenant {tenant_id} --agent {agent}`, open it, sign in as their own ServiceNow user"
    );
    let link = match store.link(tenant_id, agent).await {
        Ok(Some(link)) => link,
        Ok(None) => return Check::skipped(id, title, "unlinked while doctor ran"),
        Err(e) => {
            return Check::fail(
                id,
                title,
                format!("the stored link cannot be read: {e}"),
                relink,
            )
        }
    };
    let user = link.crm_user_name.clone();
    let now = OffsetDateTime::now_utc();
    let tokens = match oauth.refresh(&link.refresh_token, now.unix_timestamp()).await {
        Ok(tokens) => tokens,
        Err(e) if e.is_refused() => {
            return Check::fail(
                id,
                title,
                format!("ServiceNow refused {agent}'s stored sign-in (user {user}): {e}; calls get no screen pop until they link again"),
                relink,
            )
        }
        Err(e) => {
            return Check::fail(
                id,
                title,
                format!("refreshing {agent}'s token failed: {e}"),
                "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats)",
            )
        }
    };
    let refreshed = AgentLink {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens
            .refresh_token
            .clone()
            .unwrap_or_else(|| link.refresh_token.clone()),
        access_expires_at: OffsetDateTime::from_unix_timestamp(tokens.expires_at).unwrap_or(now),
        ..link
    };
    if let Err(e) = store.save_link(tenant_id, agent, refreshed).await {
        return Check::fail(
            id,
            title,
            format!("saving {agent}'s refreshed token failed: {e}"),
            "Check that the database is writable, then run doctor again",
        );
    }
    match rights::missing_reads(tables, &tokens.auth(), &tenant.servicenow).await {
        Ok(missing) if missing.is_empty() => Check::pass(
            id,
            title,
            format!("{agent} (ServiceNow user {user}) can read every caller table and the Case table"),
        ),
        Ok(missing) => {
            let roles = rights::roles_to_grant(&missing);
            let grant = if roles.is_empty() {
                "the role each table's read ACL requires (System Security > Access Control)".to_string()
            } else {
                format!("role {}", roles.join(" and "))
            };
            Check::fail(
                id,
                title,
                format!(
                    "{agent} (ServiceNow user {user}) cannot read {}: their calls get no screen pop and their Cases \
                     no contact",
                    rights::describe(&missing)
                ),
                format!(
                    "User Administration > Users > {user}: grant {grant}, then run doctor again (it refreshes \
                     {agent}'s token, and a new token carries the new role)"
                ),
            )
        }
        Err(e) => Check::fail(
            id,
            title,
            format!("checking what {agent} (ServiceNow user {user}) may read failed: {e}"),
            "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats)",
        ),
    }
}
