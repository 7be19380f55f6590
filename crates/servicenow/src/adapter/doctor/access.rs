//! Check 6: what the service account may do. It reads one row of every lookup table, and (unless
//! `--no-write`) creates a probe Case, finds it again by its correlation id as the outbox does
//! before any retry, and deletes it.

use crate::{
    create_case, csm_role, find_by_correlation, ApiError, ColumnName, Query, TableClient, TableName,
};
use serde_json::{Map, Value};

use super::connection::Service;
use super::schema;
use super::unix_now;
use super::TenantConfig;
use crate::adapter::ServiceNowConfig;
use callbridge_kernel::check::Check;

pub const CREATE_CASE: &str = "access.create_case";
const CREATE_TITLE: &str = "Service account can create, find and delete a Case";

pub const PROBE_DESCRIPTION: &str = "Callbridge doctor probe - safe to delete";
pub const PROBE_PREFIX: &str = "callbridge-doctor-";

pub fn read_id(table: &TableName) -> String {
    format!("access.read.{table}")
}

fn read_title(table: &TableName) -> String {
    format!("Service account can read {table}")
}

pub(super) fn role_fix(table: &TableName, operation: &str, user: &str) -> String {
    match csm_role(table.as_str()) {
        Some(role) => format!(
            "User Administration > Users: grant role {role} to {user}, then have them log in again (roles apply to \
             new tokens)"
        ),
        None => format!(
            "System Security > Access Control (ACL): find the {operation} ACL on {table} and its required role, then \
             User Administration > Users: grant that role to {user} and have them log in again (roles apply to new \
             tokens)"
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
                format!("skipped: {} failed", schema::table_lookup_id(table)),
            ));
            continue;
        }
        checks.push(read_one(client, service, table).await);
    }
    if !write_probe {
        checks.push(Check::skipped(
            CREATE_CASE,
            CREATE_TITLE,
            "skipped: --no-write (no probe Case was created)",
        ));
        return;
    }
    if let Some(reason) = &known.case_blocker {
        checks.push(Check::skipped(CREATE_CASE, CREATE_TITLE, reason.clone()));
        return;
    }
    checks.push(probe_case(sn, client, service).await);
}

/// The checks 6 would have produced, when the service credential failed.
pub fn skip(tenant: &TenantConfig, reason: &str, write_probe: bool, checks: &mut Vec<Check>) {
    for lookup in &tenant.servicenow.lookup.tables {
        checks.push(Check::skipped(
            read_id(&lookup.table),
            read_title(&lookup.table),
            reason,
        ));
    }
    let reason = if write_probe {
        reason
    } else {
        "skipped: --no-write (no probe Case was created)"
    };
    checks.push(Check::skipped(CREATE_CASE, CREATE_TITLE, reason));
}

async fn read_one(client: &TableClient, service: &Service, table: &TableName) -> Check {
    let (id, title) = (read_id(table), read_title(table));
    let sys_id = ColumnName::new("sys_id").expect("valid column name");
    match client.list(&service.auth, table, &Query::new(), &[sys_id], 1).await {
        Ok(rows) if rows.is_empty() => Check::pass(
            id,
            title,
            "the Table API answered (no row visible: the table is empty, or row-level ACLs hide every record)",
        ),
        Ok(_) => Check::pass(id, title, "read a record through the Table API"),
        Err(ApiError::Forbidden { message, detail }) => Check::fail(
            id,
            title,
            format!(
                "403 {message}{}: {} may not read {table}",
                detail.map(|d| format!(": {d}")).unwrap_or_default(),
                service.user
            ),
            role_fix(table, "read", &service.user),
        ),
        Err(e @ ApiError::InvalidTable { .. }) => Check::fail(
            id,
            title,
            e.to_string(),
            format!(
                "System Definition > Tables: find the exact name of {table} and correct it in \
                 tenant.servicenow.lookup.tables"
            ),
        ),
        Err(e) => Check::fail(id, title, e.to_string(), retry_fix()),
    }
}

fn retry_fix() -> String {
    "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats)"
        .into()
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
            return Check::fail(
                CREATE_CASE,
                CREATE_TITLE,
                format!(
                "creating a {table} record was refused (403 {message}{}): {} may not create Cases",
                detail.map(|d| format!(": {d}")).unwrap_or_default(),
                service.user
            ),
                role_fix(table, "create", &service.user),
            )
        }
        Err(e) => {
            return Check::fail(
                CREATE_CASE,
                CREATE_TITLE,
                format!("creating a probe Case failed: {e}"),
                retry_fix(),
            )
        }
    };
    let number = if created.number.is_empty() {
        format!("sys_id {}", created.sys_id)
    } else {
        format!("{} (sys_id {})", created.number, created.sys_id)
    };
    let found = find_by_correlation(
        client,
        &service.auth,
        table,
        &case.correlation_column,
        &correlation,
    )
    .await;
    let read_back = match found {
        Ok(Some(found)) if found.sys_id == created.sys_id => Ok(()),
        Ok(Some(other)) => Err(format!(
            "looking {correlation} up in {} found another record ({}), not the probe",
            case.correlation_column, other.sys_id
        )),
        Ok(None) => Err(format!(
            "looking {correlation} up in {} found nothing: the column does not keep the value, or an ACL or \
             business rule hides the new Case from {}",
            case.correlation_column, service.user
        )),
        Err(e) => Err(format!("looking the probe up by {} failed: {e}", case.correlation_column)),
    };
    let deleted = client.delete(&service.auth, table, &created.sys_id).await;
    let by_hand = format!(
        "Customer Service > Cases (or {table}.list): delete Case {number}, short description \"{PROBE_DESCRIPTION}\", \
         {} = {correlation}",
        case.correlation_column
    );
    match (read_back, deleted) {
        (Err(problem), deleted) => {
            let cleanup = match deleted {
                Ok(()) => " (the probe was deleted)".to_string(),
                Err(_) => format!("; then {by_hand}"),
            };
            Check::fail(
                CREATE_CASE,
                CREATE_TITLE,
                format!("created Case {number}, but {problem}"),
                format!(
                    "System Security > Access Control (ACL): let {} read the {table} records it creates (role \
                     {}), and check that no business rule clears {}{cleanup}",
                    service.user,
                    csm_role(table.as_str()).unwrap_or("required by the read ACL"),
                    case.correlation_column
                ),
            )
        }
        (Ok(()), Ok(())) => Check::pass(
            CREATE_CASE,
            CREATE_TITLE,
            format!(
                "created Case {number}, found it by {} = {correlation}, deleted it",
                case.correlation_column
            ),
        ),
        (Ok(()), Err(e)) => {
            let why = match &e {
                ApiError::Forbidden { .. } => {
                    "deleting it was refused (403): the account may not delete Cases, which is fine"
                        .to_string()
                }
                other => format!("deleting it failed: {other}"),
            };
            Check::warn(
                CREATE_CASE,
                CREATE_TITLE,
                format!("created Case {number} and found it by {} = {correlation}; {why}", case.correlation_column),
                format!(
                    "{by_hand}; to let doctor clean up after itself, System Security > Access Control (ACL): allow \
                     delete on {table} to {}, or run doctor with --no-write",
                    service.user
                ),
            )
        }
    }
}
