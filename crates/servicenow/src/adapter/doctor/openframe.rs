//! Check 8: the OpenFrame panel (servicenow.md §5.1). The softphone runs inside ServiceNow when
//! an active `sn_openframe_configuration` row points at this Callbridge's softphone for the tenant
//! (`<public_url>/?tenant=<id>`) and the
//! instance's pages may exchange messages with its origin
//! (`glide.ui.concourse.onmessage_enforce_same_origin_whitelist`). Without them it still works
//! standalone, so problems here are warnings.

use crate::setup::{
    allow_list_has, origin_of, OPENFRAME_CONFIGURATION_NAME, OPENFRAME_HEIGHT,
    OPENFRAME_ORIGIN_PROPERTY, OPENFRAME_TABLE, OPENFRAME_WIDTH,
};
use crate::{ApiError, ColumnName, Condition, Query, Record, TableClient, TableName};

use super::connection::Service;
use super::TenantConfig;
use callbridge_kernel::check::{Check, Text};

pub const PANEL: &str = "openframe.panel";
pub const ORIGIN: &str = "openframe.origin";

fn panel_title() -> Text {
    Text::new(
        "OpenFrame panel points at this Callbridge",
        "OpenFrame パネルがこの Callbridge を開く",
    )
}

fn origin_title() -> Text {
    Text::new(
        "Instance pages may talk to the softphone's origin",
        "インスタンスのページがソフトフォンのオリジンと通信できる",
    )
}

/// The softphone's URL as the configuration row should hold it: the page names its tenant, so
/// that it lets the tenant's instance frame it (`ui/SERVER-CONTRACT.md`, the page's CSP).
pub fn softphone_url(public_url: &str, tenant: &str) -> String {
    format!("{}/?tenant={tenant}", public_url.trim_end_matches('/'))
}

/// Whether a row's URL is the softphone of `public_url` for `tenant` (other query parameters,
/// such as `lang`, are allowed).
pub fn points_at(row_url: &str, public_url: &str, tenant: &str) -> bool {
    let row_url = row_url.trim().split('#').next().unwrap_or("");
    let (without_query, query) = row_url.split_once('?').unwrap_or((row_url, ""));
    let (Some(row_origin), Some(ours)) = (origin_of(without_query), origin_of(public_url)) else {
        return false;
    };
    let path = |url: &str| {
        url.split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    };
    let names_tenant = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(k, v)| k == "tenant" && v == tenant);
    row_origin == ours && path(without_query) == path(public_url.trim()) && names_tenant
}

/// One configuration row, as far as the verdict goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelRow {
    pub name: String,
    pub url: String,
    pub active: bool,
    pub order: i64,
    pub user_group: String,
}

impl PanelRow {
    fn from_record(record: &Record) -> PanelRow {
        PanelRow {
            name: record.get_or_empty("name").to_string(),
            url: record.get_or_empty("url").to_string(),
            active: record.get_or_empty("active") == "true",
            order: record
                .get_or_empty("order")
                .trim()
                .parse()
                .unwrap_or(i64::MAX),
            user_group: record.get_or_empty("user_group").to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelVerdict {
    Ready {
        name: String,
    },
    /// Ours is active, but another active row for everyone has a lower Order and is chosen first.
    Shadowed {
        name: String,
        winner: String,
    },
    Inactive {
        name: String,
    },
    Missing,
}

pub fn panel_verdict(rows: &[PanelRow], public_url: &str, tenant: &str) -> PanelVerdict {
    let ours: Vec<&PanelRow> = rows
        .iter()
        .filter(|r| points_at(&r.url, public_url, tenant))
        .collect();
    let Some(best) = ours.iter().filter(|r| r.active).min_by_key(|r| r.order) else {
        return match ours.first() {
            Some(row) => PanelVerdict::Inactive {
                name: row.name.clone(),
            },
            None => PanelVerdict::Missing,
        };
    };
    let winner = rows
        .iter()
        .filter(|r| r.active && r.user_group.is_empty() && !points_at(&r.url, public_url, tenant))
        .filter(|r| r.order < best.order)
        .min_by_key(|r| r.order);
    match winner {
        Some(w) => PanelVerdict::Shadowed {
            name: best.name.clone(),
            winner: w.name.clone(),
        },
        None => PanelVerdict::Ready {
            name: best.name.clone(),
        },
    }
}

fn create_fix(url: &str) -> Text {
    Text::new(
        format!(
            "OpenFrame > Configurations > New: Name {OPENFRAME_CONFIGURATION_NAME}, URL {url}, Width \
             {OPENFRAME_WIDTH}, Height {OPENFRAME_HEIGHT}, Active true (callbridge demo sets this up \
             by itself); users need the sn_openframe_user role"
        ),
        format!(
            "OpenFrame > Configurations > New: Name {OPENFRAME_CONFIGURATION_NAME}、URL {url}、Width \
             {OPENFRAME_WIDTH}、Height {OPENFRAME_HEIGHT}、Active true で作成してください（callbridge demo は\
             自動で設定します）。ユーザーには sn_openframe_user ロールが必要です"
        ),
    )
}

fn columns(names: &[&str]) -> Result<Vec<ColumnName>, ApiError> {
    names
        .iter()
        .map(|n| {
            ColumnName::new(n.to_string()).map_err(|e| ApiError::InvalidRequest(e.to_string()))
        })
        .collect()
}

async fn read_rows(client: &TableClient, service: &Service) -> Result<Vec<PanelRow>, ApiError> {
    let table = TableName::new(OPENFRAME_TABLE.to_string())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let fields = columns(&["name", "url", "active", "order", "user_group"])?;
    let query = Query::new();
    let records = client
        .list(&service.auth, &table, &query, &fields, 200)
        .await?;
    Ok(records.iter().map(PanelRow::from_record).collect())
}

async fn read_allow_list(
    client: &TableClient,
    service: &Service,
) -> Result<Option<String>, ApiError> {
    let table = TableName::new("sys_properties".to_string())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let fields = columns(&["name", "value"])?;
    let query = Query::from_condition(
        Condition::eq(&fields[0], OPENFRAME_ORIGIN_PROPERTY)
            .map_err(|e| ApiError::InvalidRequest(e.to_string()))?,
    );
    let records = client
        .list(&service.auth, &table, &query, &fields, 1)
        .await?;
    Ok(records.first().map(|r| r.get_or_empty("value").to_string()))
}

pub async fn check(
    tenant: &TenantConfig,
    client: &TableClient,
    service: &Service,
    checks: &mut Vec<Check>,
) {
    let public_url = tenant.public_url.trim_end_matches('/');
    let tenant_id = tenant.id.to_string();
    let url = softphone_url(public_url, &tenant_id);
    let (user, user_ja) = (&service.user, &service.user_ja);
    let panel = match read_rows(client, service).await {
        Ok(rows) => match panel_verdict(&rows, public_url, &tenant_id) {
            PanelVerdict::Ready { name } => Check::pass(
                PANEL,
                panel_title(),
                Text::new(
                    format!("the active OpenFrame configuration {name} opens {url}"),
                    format!("有効な OpenFrame 構成 {name} が {url} を開きます"),
                ),
            ),
            PanelVerdict::Shadowed { name, winner } => Check::warn(
                PANEL,
                panel_title(),
                Text::new(
                    format!(
                        "{name} opens {url}, but {winner} has a lower Order and is shown to every \
                         OpenFrame user instead"
                    ),
                    format!(
                        "{name} は {url} を開きますが、Order の小さい {winner} が代わりにすべての \
                         OpenFrame ユーザーに表示されます"
                    ),
                ),
                Text::new(
                    format!(
                        "OpenFrame > Configurations: give {name} the lowest Order, or deactivate {winner}"
                    ),
                    format!(
                        "OpenFrame > Configurations: {name} の Order を最小にするか、{winner} を無効にしてください"
                    ),
                ),
            ),
            PanelVerdict::Inactive { name } => Check::warn(
                PANEL,
                panel_title(),
                Text::new(
                    format!("the OpenFrame configuration {name} opens {url} but is not active"),
                    format!("OpenFrame 構成 {name} は {url} を開きますが、有効（Active）ではありません"),
                ),
                Text::new(
                    format!("OpenFrame > Configurations > {name}: set Active to true"),
                    format!("OpenFrame > Configurations > {name}: Active を true にしてください"),
                ),
            ),
            PanelVerdict::Missing => Check::warn(
                PANEL,
                panel_title(),
                Text::new(
                    format!(
                        "no OpenFrame configuration opens {url}: the softphone works standalone, not \
                         inside ServiceNow"
                    ),
                    format!(
                        "{url} を開く OpenFrame 構成がありません: ソフトフォンは ServiceNow の中ではなく、\
                         単独でのみ動作します"
                    ),
                ),
                create_fix(&url),
            ),
        },
        Err(ApiError::InvalidTable { .. }) => {
            let create = create_fix(&url);
            Check::warn(
                PANEL,
                panel_title(),
                Text::new(
                    format!(
                        "the instance has no {OPENFRAME_TABLE} table: OpenFrame is not active, the \
                         softphone works standalone only"
                    ),
                    format!(
                        "インスタンスに {OPENFRAME_TABLE} テーブルがありません: OpenFrame が有効でなく、\
                         ソフトフォンは単独でのみ動作します"
                    ),
                ),
                Text::new(
                    format!(
                        "System Definition > Plugins: activate OpenFrame (com.sn_openframe), then {}",
                        create.en
                    ),
                    format!(
                        "System Definition > Plugins: OpenFrame（com.sn_openframe）を有効にし、そのうえで {}",
                        create.ja.unwrap_or_default()
                    ),
                ),
            )
        }
        Err(error) => Check::warn(
            PANEL,
            panel_title(),
            Text::new(
                format!("could not read {OPENFRAME_TABLE} as {user}: {error}"),
                format!("{user_ja} として {OPENFRAME_TABLE} を読めませんでした: {error}"),
            ),
            Text::new(
                format!(
                    "User Administration > Users: grant sn_openframe_user to {user} so doctor can check \
                     the panel; or check by hand that an active OpenFrame configuration opens {url}"
                ),
                format!(
                    "User Administration > Users: doctor がパネルを確認できるよう {user_ja} に sn_openframe_user を\
                     付与してください。または、有効な OpenFrame 構成が {url} を開くことを手で確認してください"
                ),
            ),
        ),
    };
    checks.push(panel);
    let Some(origin) = origin_of(public_url) else {
        checks.push(Check::warn(
            ORIGIN,
            origin_title(),
            Text::new(
                format!("public_url {public_url} has no http(s) origin"),
                format!("public_url {public_url} に http(s) のオリジンがありません"),
            ),
            Text::new(
                "Configuration: set server.public_url to the https:// address browsers use",
                "設定: server.public_url をブラウザーが使う https:// のアドレスにしてください",
            ),
        ));
        return;
    };
    let fix = Text::new(
        format!(
            "System Properties (sys_properties.list): add {origin} to \
             {OPENFRAME_ORIGIN_PROPERTY} (comma-separated; create the property as a string if it \
             does not exist)"
        ),
        format!(
            "System Properties（sys_properties.list）: {OPENFRAME_ORIGIN_PROPERTY} に {origin} を追加してください\
             （カンマ区切り。プロパティがなければ string 型で作成します）"
        ),
    );
    checks.push(match read_allow_list(client, service).await {
        Ok(Some(list)) if allow_list_has(&list, &origin) => Check::pass(
            ORIGIN,
            origin_title(),
            Text::new(
                format!("{OPENFRAME_ORIGIN_PROPERTY} lists {origin}"),
                format!("{OPENFRAME_ORIGIN_PROPERTY} に {origin} があります"),
            ),
        ),
        Ok(Some(_)) => Check::warn(
            ORIGIN,
            origin_title(),
            Text::new(
                format!(
                    "{OPENFRAME_ORIGIN_PROPERTY} does not list {origin}: the panel loads but the page \
                     ignores the softphone's messages"
                ),
                format!(
                    "{OPENFRAME_ORIGIN_PROPERTY} に {origin} がありません: パネルは表示されますが、\
                     ページがソフトフォンのメッセージを無視します"
                ),
            ),
            fix,
        ),
        // Reading system properties usually needs admin: the service account sees nothing.
        Ok(None) | Err(_) => Check::skipped(
            ORIGIN,
            origin_title(),
            Text::new(
                format!(
                    "skipped: {user} cannot read {OPENFRAME_ORIGIN_PROPERTY} (system properties are \
                     admin-only); check by hand that it lists {origin}"
                ),
                format!(
                    "スキップ: {user_ja} は {OPENFRAME_ORIGIN_PROPERTY} を読めません（システム プロパティは\
                     管理者のみ）。{origin} が含まれることを手で確認してください"
                ),
            ),
        ),
    });
}

pub fn skip(reason: &Text, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(PANEL, panel_title(), reason));
    checks.push(Check::skipped(ORIGIN, origin_title(), reason));
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://cb.example";

    fn row(name: &str, url: &str, active: bool, order: i64, group: &str) -> PanelRow {
        PanelRow {
            name: name.into(),
            url: url.into(),
            active,
            order,
            user_group: group.into(),
        }
    }

    #[test]
    fn a_row_points_here_when_it_names_the_tenant() {
        assert!(points_at("https://cb.example/?tenant=acme", PUBLIC, "acme"));
        assert!(points_at(
            "https://CB.example/?lang=ja&tenant=acme",
            PUBLIC,
            "acme"
        ));
        assert!(points_at("https://cb.example?tenant=acme", PUBLIC, "acme"));
        assert!(!points_at("https://cb.example/", PUBLIC, "acme"));
        assert!(!points_at(
            "https://cb.example/?tenant=globex",
            PUBLIC,
            "acme"
        ));
        assert!(!points_at(
            "https://cb.example/other/?tenant=acme",
            PUBLIC,
            "acme"
        ));
        assert!(!points_at(
            "https://cb.example:8443/?tenant=acme",
            PUBLIC,
            "acme"
        ));
        assert!(points_at(
            "https://x.example/cb/?tenant=a",
            "https://x.example/cb",
            "a"
        ));
        assert_eq!(
            softphone_url("https://cb.example/", "acme"),
            "https://cb.example/?tenant=acme"
        );
    }

    #[test]
    fn the_verdict_names_what_to_fix() {
        assert_eq!(panel_verdict(&[], PUBLIC, "acme"), PanelVerdict::Missing);
        assert_eq!(
            panel_verdict(
                &[row(
                    "Callbridge",
                    "https://cb.example/?tenant=acme",
                    false,
                    100,
                    ""
                )],
                PUBLIC,
                "acme"
            ),
            PanelVerdict::Inactive {
                name: "Callbridge".into()
            }
        );
        let rows = [
            row("Old phone", "https://old.example/", true, 10, ""),
            row(
                "Callbridge",
                "https://cb.example/?tenant=acme",
                true,
                100,
                "",
            ),
        ];
        assert_eq!(
            panel_verdict(&rows, PUBLIC, "acme"),
            PanelVerdict::Shadowed {
                name: "Callbridge".into(),
                winner: "Old phone".into()
            }
        );
        let grouped = [
            row("Old phone", "https://old.example/", true, 10, "group-id"),
            row(
                "Callbridge",
                "https://cb.example/?tenant=acme",
                true,
                100,
                "",
            ),
        ];
        assert_eq!(
            panel_verdict(&grouped, PUBLIC, "acme"),
            PanelVerdict::Ready {
                name: "Callbridge".into()
            }
        );
    }
}
