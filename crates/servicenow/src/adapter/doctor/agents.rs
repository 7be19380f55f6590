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
use crate::adapter::rights::{self, MissingRead};
use callbridge_kernel::check::{Check, Text};

pub const STORE: &str = "agents.store";
pub const LINKED: &str = "agents.linked";

fn store_title() -> Text {
    Text::new(
        "Agents' CRM links readable",
        "エージェントの CRM 連携情報を読める",
    )
}

fn linked_title() -> Text {
    Text::new("Linked agents", "CRM アカウントを連携したエージェント")
}

/// The check id for one linked agent (ids of this check depend on who has linked).
pub fn agent_id(agent: &str) -> String {
    format!("agent.{agent}.crm_access")
}

fn agent_title(agent: &str) -> Text {
    Text::new(
        format!("Agent {agent}'s CRM account can read the caller and Case tables"),
        format!("エージェント {agent} の CRM アカウントが発信者テーブルとケース テーブルを読める"),
    )
}

fn retry_fix() -> Text {
    super::access::retry_fix()
}

/// Check 9 when the store could not be opened.
pub fn store_failed(reason: &str, checks: &mut Vec<Check>) {
    checks.push(Check::fail(
        STORE,
        store_title(),
        Text::new(reason, format!("連携情報を保存するデータベースを読めません: {reason}")),
        Text::new(
            "Configuration: server.database_url and server.master_key must be the ones the server runs with",
            "設定: server.database_url と server.master_key を、サーバーが実行時に使うものと同じにしてください",
        ),
    ));
}

/// Check 9 when the instance cannot be reached.
pub fn skip(reason: &Text, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(LINKED, linked_title(), reason));
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
            linked_title(),
            Text::new(
                "no agent has linked a CRM account yet (the database does not exist); each is checked once linked",
                "CRM アカウントを連携したエージェントはまだいません（データベースがありません）。連携すると確認します",
            ),
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
            linked_title(),
            Text::new(
                "no agent has linked a CRM account yet; each is checked once linked",
                "CRM アカウントを連携したエージェントはまだいません。連携すると確認します",
            ),
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

/// The refused tables in Japanese, each with what grants it (`rights::describe`'s words).
fn describe_ja(missing: &[MissingRead]) -> String {
    missing
        .iter()
        .map(|m| {
            let purpose = match m.purpose {
                "caller lookup" => "発信者の検索",
                "Cases" => "ケース",
                other => other,
            };
            match m.role {
                Some(role) => format!("{}（{purpose}。ロール {role} で付与）", m.table),
                None => format!("{}（{purpose}。read ACL が求めるロールで付与）", m.table),
            }
        })
        .collect::<Vec<_>>()
        .join("、")
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
    let relink = Text::new(
        format!(
            "{agent} links again: `callbridge link-url --tenant {tenant_id} --agent {agent}`, open it, sign in as their own ServiceNow user"
        ),
        format!(
            "{agent} が連携し直します: `callbridge link-url --tenant {tenant_id} --agent {agent}` の URL を開き、\
             本人の ServiceNow ユーザーでサインインしてください"
        ),
    );
    let link = match store.link(tenant_id, agent).await {
        Ok(Some(link)) => link,
        Ok(None) => {
            return Check::skipped(
                id,
                title,
                Text::new(
                    "unlinked while doctor ran",
                    "doctor の実行中に連携が解除されました",
                ),
            )
        }
        Err(e) => {
            return Check::fail(
                id,
                title,
                Text::new(
                    format!("the stored link cannot be read: {e}"),
                    format!("保存された連携情報を読めません: {e}"),
                ),
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
                Text::new(
                    format!("ServiceNow refused {agent}'s stored sign-in (user {user}): {e}; calls get no screen pop until they link again"),
                    format!(
                        "ServiceNow が {agent} の保存済みサインイン（ユーザー {user}）を拒否しました: {}。\
                         連携し直すまで、通話でスクリーン ポップが開きません",
                        super::connection::oauth_error_ja(&e)
                    ),
                ),
                relink,
            )
        }
        Err(e) => {
            return Check::fail(
                id,
                title,
                Text::new(
                    format!("refreshing {agent}'s token failed: {e}"),
                    format!(
                        "{agent} のトークンを更新できませんでした: {}",
                        super::connection::oauth_error_ja(&e)
                    ),
                ),
                retry_fix(),
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
            Text::new(
                format!("saving {agent}'s refreshed token failed: {e}"),
                format!("{agent} の更新したトークンを保存できませんでした: {e}"),
            ),
            Text::new(
                "Check that the database is writable, then run doctor again",
                "データベースに書き込めることを確認し、doctor をもう一度実行してください",
            ),
        );
    }
    match rights::missing_reads(tables, &tokens.auth(), &tenant.servicenow).await {
        Ok(missing) if missing.is_empty() => Check::pass(
            id,
            title,
            Text::new(
                format!("{agent} (ServiceNow user {user}) can read every caller table and the Case table"),
                format!("{agent}（ServiceNow ユーザー {user}）はすべての発信者テーブルとケース テーブルを読めます"),
            ),
        ),
        Ok(missing) => {
            let roles = rights::roles_to_grant(&missing);
            let (grant, grant_ja) = if roles.is_empty() {
                (
                    "the role each table's read ACL requires (System Security > Access Control)".to_string(),
                    "各テーブルの read ACL が求めるロール（System Security > Access Control）".to_string(),
                )
            } else {
                (
                    format!("role {}", roles.join(" and ")),
                    format!("ロール {}", roles.join(" と ")),
                )
            };
            Check::fail(
                id,
                title,
                Text::new(
                    format!(
                        "{agent} (ServiceNow user {user}) cannot read {}: their calls get no screen pop and their Cases \
                         no contact",
                        rights::describe(&missing)
                    ),
                    format!(
                        "{agent}（ServiceNow ユーザー {user}）は {} を読めません: 通話でスクリーン ポップが開かず、\
                         ケースに担当者が入りません",
                        describe_ja(&missing)
                    ),
                ),
                Text::new(
                    format!(
                        "User Administration > Users > {user}: grant {grant}, then run doctor again (it refreshes \
                         {agent}'s token, and a new token carries the new role)"
                    ),
                    format!(
                        "User Administration > Users > {user}: {grant_ja} を付与し、doctor をもう一度実行してください\
                         （doctor が {agent} のトークンを更新し、新しいトークンに新しいロールが反映されます）"
                    ),
                ),
            )
        }
        Err(e) => Check::fail(
            id,
            title,
            Text::new(
                format!("checking what {agent} (ServiceNow user {user}) may read failed: {e}"),
                format!("{agent}（ServiceNow ユーザー {user}）が読めるものを確認できませんでした: {e}"),
            ),
            retry_fix(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_tables_are_named_in_japanese_with_their_role() {
        let missing = [
            MissingRead {
                table: "customer_contact".into(),
                purpose: "caller lookup",
                role: Some("sn_customerservice_agent"),
                refusal: "403".into(),
            },
            MissingRead {
                table: "u_callers".into(),
                purpose: "caller lookup",
                role: None,
                refusal: "403".into(),
            },
        ];
        assert_eq!(
            describe_ja(&missing),
            "customer_contact（発信者の検索。ロール sn_customerservice_agent で付与）、\
             u_callers（発信者の検索。read ACL が求めるロールで付与）"
        );
        let mut checks = Vec::new();
        store_failed("database is locked", &mut checks);
        assert!(checks[0].missing_japanese().is_empty());
        assert_eq!(
            checks[0].ja.detail.as_deref(),
            Some("連携情報を保存するデータベースを読めません: database is locked")
        );
    }
}
