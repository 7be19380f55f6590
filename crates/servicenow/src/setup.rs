//! The instance-side setup Callbridge needs, applied through the Table API with an admin's
//! credentials, exactly as the setup guide tells a customer's admin to do it by hand:
//! Case columns for the caller number and the recording link, the client_credentials grant
//! with an OAuth Application User, and our redirect URL on the registry entry. Idempotent:
//! what exists is left alone. `callbridge demo` prepares its sandbox with it; tests and
//! benchmarks too.

use serde_json::{json, Map, Value};

use crate::client::{Auth, TableClient};
use crate::error::ApiError;
use crate::names::{ColumnName, SysId, TableName};
use crate::query::{Condition, Query};

/// A column to make sure of on the Case table (a `sys_dictionary` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub element: &'static str,
    pub internal_type: &'static str,
    pub max_length: u32,
    pub label: &'static str,
}

/// The two custom Case columns of the default configuration.
pub const CASE_COLUMNS: [ColumnSpec; 2] = [
    ColumnSpec {
        element: "u_recording_url",
        internal_type: "url",
        max_length: 1024,
        label: "Call recording",
    },
    ColumnSpec {
        element: "u_caller_number",
        internal_type: "string",
        max_length: 40,
        label: "Caller number",
    },
];

pub const CC_GRANT_PROPERTY: &str = "glide.oauth.inbound.client.credential.grant_type.enabled";

/// What to set up.
#[derive(Debug, Clone)]
pub struct SetupPlan<'a> {
    pub case_table: &'a str,
    pub columns: &'a [ColumnSpec],
    /// The registry entry's Client ID.
    pub client_id: &'a str,
    /// The user the client_credentials grant acts as.
    pub application_user: &'a str,
    /// Callbridge's OAuth redirect URL.
    pub redirect_url: &'a str,
}

impl<'a> SetupPlan<'a> {
    /// The plan for Callbridge's default configuration: the CSM Case table and its two custom
    /// columns.
    pub fn for_default_config(
        client_id: &'a str,
        application_user: &'a str,
        redirect_url: &'a str,
    ) -> Self {
        SetupPlan {
            case_table: "sn_customerservice_case",
            columns: &CASE_COLUMNS,
            client_id,
            application_user,
            redirect_url,
        }
    }
}

fn name<T>(
    value: &str,
    make: fn(String) -> Result<T, crate::names::NameError>,
) -> Result<T, ApiError> {
    make(value.to_string()).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

fn table(value: &str) -> Result<TableName, ApiError> {
    name(value, TableName::new)
}

fn column(value: &str) -> Result<ColumnName, ApiError> {
    name(value, ColumnName::new)
}

async fn first(
    client: &TableClient,
    auth: &Auth,
    table_name: &str,
    query: Query,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let rows = client
        .list(auth, &table(table_name)?, &query, &[], 1)
        .await?;
    Ok(rows.into_iter().next().map(|r| {
        r.fields()
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect()
    }))
}

fn sys_id_of(row: &Map<String, Value>) -> Result<SysId, ApiError> {
    let id = row
        .get("sys_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    SysId::new(id).map_err(|e| ApiError::UnexpectedResponse(e.to_string()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub async fn apply(
    client: &TableClient,
    admin: &Auth,
    plan: &SetupPlan<'_>,
) -> Result<(), ApiError> {
    let dictionary = table("sys_dictionary")?;
    for spec in plan.columns {
        let query = Query::from_condition(Condition::eq(&column("name")?, plan.case_table)?)
            .and(Condition::eq(&column("element")?, spec.element)?);
        if first(client, admin, "sys_dictionary", query)
            .await?
            .is_none()
        {
            let row = json!({
                "name": plan.case_table,
                "element": spec.element,
                "internal_type": spec.internal_type,
                "max_length": spec.max_length.to_string(),
                "column_label": spec.label,
            });
            client.create(admin, &dictionary, &object(row), &[]).await?;
        }
    }

    let properties = table("sys_properties")?;
    let query = Query::from_condition(Condition::eq(&column("name")?, CC_GRANT_PROPERTY)?);
    match first(client, admin, "sys_properties", query).await? {
        Some(row) => {
            let update = object(json!({"value": "true"}));
            client
                .update(admin, &properties, &sys_id_of(&row)?, &update, &[])
                .await?;
        }
        None => {
            let row = json!({"name": CC_GRANT_PROPERTY, "value": "true", "type": "boolean"});
            client.create(admin, &properties, &object(row), &[]).await?;
        }
    }

    let user_query =
        Query::from_condition(Condition::eq(&column("user_name")?, plan.application_user)?);
    let user = first(client, admin, "sys_user", user_query)
        .await?
        .ok_or_else(|| {
            ApiError::InvalidRequest(format!("no user {} on the instance", plan.application_user))
        })?;
    let entity_query = Query::from_condition(Condition::eq(&column("client_id")?, plan.client_id)?);
    let entity = first(client, admin, "oauth_entity", entity_query)
        .await?
        .ok_or_else(|| {
            ApiError::InvalidRequest(format!(
                "no OAuth registry entry with client id {}",
                plan.client_id
            ))
        })?;
    let update = object(json!({"user": user.get("sys_id"), "redirect_url": plan.redirect_url}));
    client
        .update(
            admin,
            &table("oauth_entity")?,
            &sys_id_of(&entity)?,
            &update,
            &[],
        )
        .await?;
    Ok(())
}
