//! Check 6: what the service account may do. It reads one row of every lookup table, and (unless
//! `--no-write`) creates a probe Case, finds it again by its correlation id as the outbox does
//! before any retry, and deletes it.

use crate::{
    create_case, csm_role, find_by_correlation, ApiError, ColumnName, Query, TableClient, TableName,
};
use serde_json::{Map, Value};

use super::connection::{skipped_because, Service};
use super::schema;
use super::unix_now;
use super::TenantConfig;
use crate::adapter::ServiceNowConfig;
use callbridge_kernel::check::{Check, Text};

pub const CREATE_CASE: &str = "access.create_case";

fn create_title() -> Text {
    Text::new(
        "Service account can create, find and delete a Case",
        "サービス アカウントがケースを作成・検索・削除できる",
    )
}

fn no_write() -> Text {
    Text::new(
        "skipped: --no-write (no probe Case was created)",
        "スキップ: --no-write（確認用のケースは作成していません）",
    )
}

pub const PROBE_DESCRIPTION: &str = "Callbridge doctor probe - safe to delete";
pub const PROBE_PREFIX: &str = "callbridge-doctor-";

pub fn read_id(table: &TableName) -> String {
    format!("access.read.{table}")
}

fn read_title(table: &TableName) -> Text {
    Text::new(
        format!("Service account can read {table}"),
        format!("サービス アカウントが {table} を読める"),
    )
}

/// The fix for `service` refused `operation` ("read", "create") on `table`.
pub(super) fn role_fix(table: &TableName, operation: &str, service: &Service) -> Text {
    let (user, user_ja) = (&service.user, &service.user_ja);
    match csm_role(table.as_str()) {
        Some(role) => Text::new(
            format!(
                "User Administration > Users: grant role {role} to {user}, then have them log in again (roles apply to \
                 new tokens)"
            ),
            format!(
                "User Administration > Users: {user_ja} にロール {role} を付与し、ログインし直してもらってください\
                 （ロールは新しいトークンから有効です）"
            ),
        ),
        None => Text::new(
            format!(
                "System Security > Access Control (ACL): find the {operation} ACL on {table} and its required role, then \
                 User Administration > Users: grant that role to {user} and have them log in again (roles apply to new \
                 tokens)"
            ),
            format!(
                "System Security > Access Control (ACL)（アクセス制御）: {table} の {operation} ACL と必要なロールを確認し、\
                 User Administration > Users: {user_ja} にそのロールを付与して、ログインし直してもらってください\
                 （ロールは新しいトークンから有効です）"
            ),
        ),
    }
}

/// Check 6 with a working service credential.
pub async fn check(
    tenant: &TenantConfig,
    client: &TableClient,
    service: &Service,
    known: &schema::Outcome,
    write_probe: bool,
    checks: &mut Vec<Check>,
) {
    let sn = &tenant.servicenow;
    for lookup in &sn.lookup.tables {
        let table = &lookup.table;
        if known.missing_tables.contains(table.as_str()) {
            checks.push(Check::skipped(
                read_id(table),
                read_title(table),
                skipped_because(&schema::table_lookup_id(table)),
            ));
            continue;
        }
        checks.push(read_one(client, service, table).await);
    }
    if !write_probe {
        checks.push(Check::skipped(CREATE_CASE, create_title(), no_write()));
        return;
    }
    if let Some(reason) = &known.case_blocker {
        checks.push(Check::skipped(CREATE_CASE, create_title(), reason));
        return;
    }
    checks.push(probe_case(sn, client, service).await);
}

/// The checks 6 would have produced, when the service credential failed.
pub fn skip(tenant: &TenantConfig, reason: &Text, write_probe: bool, checks: &mut Vec<Check>) {
    for lookup in &tenant.servicenow.lookup.tables {
        checks.push(Check::skipped(
            read_id(&lookup.table),
            read_title(&lookup.table),
            reason,
        ));
    }
    let reason = if write_probe {
        reason.clone()
    } else {
        no_write()
    };
    checks.push(Check::skipped(CREATE_CASE, create_title(), reason));
}

async fn read_one(client: &TableClient, service: &Service, table: &TableName) -> Check {
    let (id, title) = (read_id(table), read_title(table));
    let sys_id = ColumnName::new("sys_id").expect("valid column name");
    match client.list(&service.auth, table, &Query::new(), &[sys_id], 1).await {
        Ok(rows) if rows.is_empty() => Check::pass(
            id,
            title,
            Text::new(
                "the Table API answered (no row visible: the table is empty, or row-level ACLs hide every record)",
                "Table API は応答しました（見えるレコードはありません: テーブルが空か、行レベルの ACL がすべてのレコードを隠しています）",
            ),
        ),
        Ok(_) => Check::pass(
            id,
            title,
            Text::new(
                "read a record through the Table API",
                "Table API でレコードを読めました",
            ),
        ),
        Err(ApiError::Forbidden { message, detail }) => {
            let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
            Check::fail(
                id,
                title,
                Text::new(
                    format!("403 {message}{detail}: {} may not read {table}", service.user),
                    format!(
                        "403 {message}{detail}: {} は {table} を読めません",
                        service.user_ja
                    ),
                ),
                role_fix(table, "read", service),
            )
        }
        Err(e @ ApiError::InvalidTable { .. }) => Check::fail(
            id,
            title,
            Text::new(e.to_string(), format!("インスタンスの応答: {e}")),
            Text::new(
                format!(
                    "System Definition > Tables: find the exact name of {table} and correct it in \
                     tenant.servicenow.lookup.tables"
                ),
                format!(
                    "System Definition > Tables: {table} の正確な名前を確認し、\
                     tenant.servicenow.lookup.tables を直してください"
                ),
            ),
        ),
        Err(e) => Check::fail(id, title, read_failed(&e), retry_fix()),
    }
}

fn read_failed(error: &ApiError) -> Text {
    Text::new(
        error.to_string(),
        format!("インスタンスから読めませんでした: {error}"),
    )
}

pub(super) fn retry_fix() -> Text {
    Text::new(
        "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats)",
        "doctor をもう一度実行してください。続く場合はインスタンスの状態（System Diagnostics > Stats）を確認してください",
    )
}

async fn probe_case(sn: &ServiceNowConfig, client: &TableClient, service: &Service) -> Check {
    let case = &sn.case;
    let table = &case.table;
    // The time says when a leftover probe was made; the suffix keeps two runs in one second apart.
    let correlation = format!("{PROBE_PREFIX}{}-{:04x}", unix_now(), rand::random::<u16>());
    let mut values = Map::new();
    values.insert(
        "short_description".into(),
        Value::String(PROBE_DESCRIPTION.into()),
    );
    values.insert(
        case.correlation_column.as_str().into(),
        Value::String(correlation.clone()),
    );
    if let Some(channel) = &case.contact_type {
        values.insert("contact_type".into(), Value::String(channel.clone()));
    }
    let created = match create_case(client, &service.auth, table, values).await {
        Ok(created) => created,
        Err(ApiError::Forbidden { message, detail }) => {
            let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
            return Check::fail(
                CREATE_CASE,
                create_title(),
                Text::new(
                    format!(
                        "creating a {table} record was refused (403 {message}{detail}): {} may not create Cases",
                        service.user
                    ),
                    format!(
                        "{table} のレコード作成が拒否されました（403 {message}{detail}）: {} はケースを作成できません",
                        service.user_ja
                    ),
                ),
                role_fix(table, "create", service),
            );
        }
        Err(e) => {
            return Check::fail(
                CREATE_CASE,
                create_title(),
                Text::new(
                    format!("creating a probe Case failed: {e}"),
                    format!("確認用のケースを作成できませんでした: {e}"),
                ),
                retry_fix(),
            )
        }
    };
    let number = if created.number.is_empty() {
        format!("sys_id {}", created.sys_id)
    } else {
        format!("{} (sys_id {})", created.number, created.sys_id)
    };
    let column = &case.correlation_column;
    let found = find_by_correlation(client, &service.auth, table, column, &correlation).await;
    let read_back = match found {
        Ok(Some(found)) if found.sys_id == created.sys_id => Ok(()),
        Ok(Some(other)) => Err(Text::new(
            format!(
                "looking {correlation} up in {column} found another record ({}), not the probe",
                other.sys_id
            ),
            format!(
                "{column} で {correlation} を検索すると、確認用のケースではなく別のレコード（{}）が見つかりました",
                other.sys_id
            ),
        )),
        Ok(None) => Err(Text::new(
            format!(
                "looking {correlation} up in {column} found nothing: the column does not keep the value, or an ACL or \
                 business rule hides the new Case from {}",
                service.user
            ),
            format!(
                "{column} で {correlation} を検索しても見つかりません: 列が値を保存しないか、ACL かビジネス ルールが\
                 新しいケースを {} から隠しています",
                service.user_ja
            ),
        )),
        Err(e) => Err(Text::new(
            format!("looking the probe up by {column} failed: {e}"),
            format!("{column} で確認用のケースを検索できませんでした: {e}"),
        )),
    };
    let deleted = client.delete(&service.auth, table, &created.sys_id).await;
    let by_hand = Text::new(
        format!(
            "Customer Service > Cases (or {table}.list): delete Case {number}, short description \
             \"{PROBE_DESCRIPTION}\", {column} = {correlation}"
        ),
        format!(
            "Customer Service > Cases（または {table}.list）: ケース {number}（short description \
             \"{PROBE_DESCRIPTION}\"、{column} = {correlation}）を削除してください"
        ),
    );
    let by_hand_ja = by_hand.ja.clone().unwrap_or_default();
    match (read_back, deleted) {
        (Err(problem), deleted) => {
            let (cleanup, cleanup_ja) = match deleted {
                Ok(()) => (
                    " (the probe was deleted)".to_string(),
                    "（確認用のケースは削除済みです）".to_string(),
                ),
                Err(_) => (
                    format!("; then {}", by_hand.en),
                    format!("。そのうえで {by_hand_ja}"),
                ),
            };
            let role = csm_role(table.as_str());
            let problem_ja = problem.ja.unwrap_or_default();
            Check::fail(
                CREATE_CASE,
                create_title(),
                Text::new(
                    format!("created Case {number}, but {}", problem.en),
                    format!("ケース {number} を作成しましたが、{problem_ja}"),
                ),
                Text::new(
                    format!(
                        "System Security > Access Control (ACL): let {} read the {table} records it creates (role \
                         {}), and check that no business rule clears {column}{cleanup}",
                        service.user,
                        role.unwrap_or("required by the read ACL"),
                    ),
                    format!(
                        "System Security > Access Control (ACL)（アクセス制御）: {} が自分の作成した {table} のレコードを\
                         読めるようにし（{}）、{column} を消すビジネス ルールがないことを確認してください{cleanup_ja}",
                        service.user_ja,
                        role.map_or("read ACL が求めるロール".to_string(), |r| format!("ロール {r}")),
                    ),
                ),
            )
        }
        (Ok(()), Ok(())) => Check::pass(
            CREATE_CASE,
            create_title(),
            Text::new(
                format!("created Case {number}, found it by {column} = {correlation}, deleted it"),
                format!(
                    "ケース {number} を作成し、{column} = {correlation} で見つけ、削除しました"
                ),
            ),
        ),
        (Ok(()), Err(e)) => {
            let (why, why_ja) = match &e {
                ApiError::Forbidden { .. } => (
                    "deleting it was refused (403): the account may not delete Cases, which is fine"
                        .to_string(),
                    "削除は拒否されました（403）: このアカウントはケースを削除できませんが、問題ありません"
                        .to_string(),
                ),
                other => (
                    format!("deleting it failed: {other}"),
                    format!("削除できませんでした: {other}"),
                ),
            };
            Check::warn(
                CREATE_CASE,
                create_title(),
                Text::new(
                    format!("created Case {number} and found it by {column} = {correlation}; {why}"),
                    format!(
                        "ケース {number} を作成し、{column} = {correlation} で見つけました。{why_ja}"
                    ),
                ),
                Text::new(
                    format!(
                        "{}; to let doctor clean up after itself, System Security > Access Control (ACL): allow \
                         delete on {table} to {}, or run doctor with --no-write",
                        by_hand.en, service.user
                    ),
                    format!(
                        "{by_hand_ja}。doctor が自分で後片付けできるようにするには、System Security > Access Control (ACL)\
                         （アクセス制御）: {} に {table} の削除を許可するか、doctor を --no-write 付きで実行してください",
                        service.user_ja
                    ),
                ),
            )
        }
    }
}
