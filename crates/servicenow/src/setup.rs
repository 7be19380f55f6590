//! The instance-side setup Callbridge needs, applied through the Table API with an admin's
//! credentials, exactly as the setup guide tells a customer's admin to do it by hand:
//! Case columns for the caller number and the recording link, the client_credentials grant
//! with an OAuth Application User, our redirect URL on the registry entry and, when a softphone
//! URL is given, the OpenFrame panel: an `sn_openframe_configuration` row pointing at the
//! softphone and its origin in the page/frame message allow-list property (servicenow.md §5.1).
//! Idempotent: what exists is left alone, or corrected when it points elsewhere. `callbridge demo` prepares its sandbox with it; tests and
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

/// The OpenFrame configuration table and the name of Callbridge's row in it.
pub const OPENFRAME_TABLE: &str = "sn_openframe_configuration";
pub const OPENFRAME_CONFIGURATION_NAME: &str = "Callbridge";
/// Origins whose frames the instance's pages exchange messages with (servicenow.md §5.1).
pub const OPENFRAME_ORIGIN_PROPERTY: &str =
    "glide.ui.concourse.onmessage_enforce_same_origin_whitelist";
/// The panel size Callbridge's softphone is laid out for (pixels, the header excluded).
pub const OPENFRAME_WIDTH: u32 = 360;
pub const OPENFRAME_HEIGHT: u32 = 560;

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
    /// The softphone's URL for the tenant (`<public_url>/?tenant=<id>`: the page lets the
    /// tenant's instance frame it): when set, the OpenFrame panel is set up for it.
    pub softphone_url: Option<&'a str>,
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
            softphone_url: None,
        }
    }

    /// Also sets up the OpenFrame panel for the softphone at `url` (`<public_url>/?tenant=<id>`).
    pub fn with_softphone(mut self, url: &'a str) -> Self {
        self.softphone_url = Some(url);
        self
    }
}

/// `scheme://host[:port]` of an http(s) URL, lowercase; None for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Whether a comma-separated allow-list names `origin`.
pub fn allow_list_has(list: &str, origin: &str) -> bool {
    list.split(',')
        .filter_map(|o| origin_of(o.trim()))
        .any(|o| o == origin)
}

/// The allow-list with `origin` added, or None when it is already there.
pub fn allow_list_with(list: &str, origin: &str) -> Option<String> {
    if allow_list_has(list, origin) {
        return None;
    }
    let list = list.trim().trim_end_matches(',');
    Some(if list.is_empty() {
        origin.to_string()
    } else {
        format!("{list},{origin}")
    })
}

/// Callbridge's OpenFrame configuration row for the softphone at `url`.
pub fn openframe_row(url: &str) -> Map<String, Value> {
    object(json!({
        "name": OPENFRAME_CONFIGURATION_NAME,
        "title": "Callbridge",
        "url": url,
        "width": OPENFRAME_WIDTH.to_string(),
        "height": OPENFRAME_HEIGHT.to_string(),
        "order": "100",
        "active": "true",
        "default": "true",
        "show_presence_indicator": "true",
    }))
}

/// What to change on an existing row so it is active and points at `url`; None when it does.
pub fn openframe_fix(existing: &Map<String, Value>, url: &str) -> Option<Map<String, Value>> {
    let get = |k: &str| existing.get(k).and_then(Value::as_str).unwrap_or("");
    let mut fix = Map::new();
    if get("url") != url {
        fix.insert("url".into(), Value::String(url.to_string()));
    }
    if get("active") != "true" {
        fix.insert("active".into(), Value::String("true".into()));
    }
    (!fix.is_empty()).then_some(fix)
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
    if let Some(url) = plan.softphone_url {
        apply_openframe(client, admin, url).await?;
    }
    Ok(())
}

/// The OpenFrame panel: Callbridge's configuration row (created once, corrected if it points
/// elsewhere or is inactive) and the softphone's origin in the allow-list property.
async fn apply_openframe(client: &TableClient, admin: &Auth, url: &str) -> Result<(), ApiError> {
    let origin = origin_of(url).ok_or_else(|| {
        ApiError::InvalidRequest(format!(
            "the softphone URL {url} is not an http(s) URL: check public_url in the configuration"
        ))
    })?;
    let configurations = table(OPENFRAME_TABLE)?;
    let query = Query::from_condition(Condition::eq(
        &column("name")?,
        OPENFRAME_CONFIGURATION_NAME,
    )?);
    match first(client, admin, OPENFRAME_TABLE, query).await? {
        None => {
            client
                .create(admin, &configurations, &openframe_row(url), &[])
                .await?;
        }
        Some(row) => {
            if let Some(fix) = openframe_fix(&row, url) {
                client
                    .update(admin, &configurations, &sys_id_of(&row)?, &fix, &[])
                    .await?;
            }
        }
    }
    let properties = table("sys_properties")?;
    let query = Query::from_condition(Condition::eq(&column("name")?, OPENFRAME_ORIGIN_PROPERTY)?);
    match first(client, admin, "sys_properties", query).await? {
        None => {
            let row = json!({"name": OPENFRAME_ORIGIN_PROPERTY, "value": origin, "type": "string"});
            client.create(admin, &properties, &object(row), &[]).await?;
        }
        Some(row) => {
            let current = row.get("value").and_then(Value::as_str).unwrap_or("");
            if let Some(value) = allow_list_with(current, &origin) {
                let update = object(json!({ "value": value }));
                client
                    .update(admin, &properties, &sys_id_of(&row)?, &update, &[])
                    .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_gains_the_origin_once() {
        assert_eq!(
            allow_list_with("", "http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            allow_list_with("https://a.example,", "http://127.0.0.1:8080").as_deref(),
            Some("https://a.example,http://127.0.0.1:8080")
        );
        assert_eq!(
            allow_list_with(
                "https://a.example, HTTP://127.0.0.1:8080/",
                "http://127.0.0.1:8080"
            ),
            None
        );
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://CB.example:8443/?lang=ja").as_deref(),
            Some("https://cb.example:8443")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://user@evil.example/"), None);
    }

    #[test]
    fn an_existing_row_is_corrected_only_where_it_differs() {
        let url = "http://127.0.0.1:8080/";
        assert_eq!(openframe_fix(&openframe_row(url), url), None);
        let mut stale = openframe_row("http://old.example/");
        stale.insert("active".into(), Value::String("false".into()));
        let fix = openframe_fix(&stale, url).unwrap();
        assert_eq!(fix.get("url").and_then(Value::as_str), Some(url));
        assert_eq!(fix.get("active").and_then(Value::as_str), Some("true"));
    }
}
