//! The console's tenant setup for a ServiceNow tenant ([`CrmSetup`]): the section's values
//! (secrets as set / not set), the Application Registry entry to make, the roles agents need,
//! the configured tables as the instance's `sys_db_object` and `sys_dictionary` describe them
//! (read with the service credential), and creating the recording-link column with an
//! instance admin's sign-in, as an admin would in System Definition > Dictionary.
//!
//! Which columns can hold a recording link is doctor's rule ([`super::doctor::holds_link`]), so
//! what the console offers is what doctor then passes.

use callbridge_core::PartyKind;
use callbridge_crm::{
    async_trait, CreateColumnError, CrmAdmin, CrmError, CrmSetup, DescribeTableError, NewColumn,
    NewColumnKind, Registration, RoleNeed, SchemaColumn, SchemaTable, SchemaView, SetupValue,
    SetupView, TableChoice, TableChoices,
};
use serde_json::{json, Map, Value};

use super::config::{ServiceGrant, ServiceNowConfig};
use super::connection::Connection;
use super::doctor::{self, TenantConfig};
use crate::dictionary::MAX_LISTED_TABLES;
use crate::{
    caller_tables, csm_role, describe_table, ApiError, Auth, CallerKind, ColumnName,
    DictionaryError, TableInfo, TableName,
};

/// Where an admin registers Callbridge's OAuth client on an instance (servicenow.md §2).
pub const REGISTRY_MENU: &str = "System OAuth > Application Registry";

/// The longest column a recording link gets when the console creates it.
const NEW_COLUMN_LENGTH: u32 = 1024;

/// A ServiceNow tenant's side of the console's setup flow.
pub struct ServiceNowSetup {
    tenant: TenantConfig,
    connection: Connection,
}

impl ServiceNowSetup {
    pub fn new(
        config: ServiceNowConfig,
        connection: Connection,
        context: &callbridge_crm::CrmContext,
    ) -> ServiceNowSetup {
        ServiceNowSetup {
            tenant: TenantConfig {
                id: context.tenant.clone(),
                recording_links: context.recording_links.clone(),
                redirect_uri: context.redirect_uri.clone(),
                public_url: context.public_url.clone(),
                servicenow: config,
            },
            connection,
        }
    }

    fn config(&self) -> &ServiceNowConfig {
        &self.tenant.servicenow
    }

    /// A token of the service credential (obtained for this request: setup is rare).
    async fn service_auth(&self) -> Result<Auth, CrmError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let granted = match &self.config().service_grant {
            ServiceGrant::ClientCredentials => self.connection.oauth.client_credentials(now).await,
            ServiceGrant::Password { user, password } => {
                self.connection
                    .oauth
                    .password(user, password.expose(), now)
                    .await
            }
        };
        granted.map(|t| t.auth()).map_err(|e| {
            CrmError::Rejected(format!(
                "the service credential was not accepted ({e}); check the CRM connection step"
            ))
        })
    }

    fn min_link_length(&self) -> u32 {
        doctor::longest_link(&self.tenant) as u32
    }
}

fn connection_values(sn: &ServiceNowConfig) -> Vec<SetupValue> {
    let mut values = vec![
        SetupValue::plain("instance_url", sn.instance_url.clone()),
        SetupValue::optional(
            "ca_file",
            sn.ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .as_deref(),
        ),
        SetupValue::plain("client_id", sn.client_id.clone()),
        SetupValue::secret("client_secret", !sn.client_secret.expose().is_empty()),
    ];
    match &sn.service_grant {
        ServiceGrant::ClientCredentials => {
            values.push(SetupValue::plain("service_grant", "client_credentials"));
        }
        ServiceGrant::Password { user, password } => {
            values.push(SetupValue::plain("service_grant", "password"));
            values.push(SetupValue::plain("service_user", user.clone()));
            values.push(SetupValue::secret(
                "service_password",
                !password.expose().is_empty(),
            ));
        }
    }
    values.push(SetupValue::optional(
        "requests_per_hour",
        sn.requests_per_hour.map(|n| n.to_string()).as_deref(),
    ));
    values
}

fn kind_name(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Contact => "contact",
        PartyKind::Consumer => "consumer",
    }
}

fn table_values(sn: &ServiceNowConfig) -> Vec<SetupValue> {
    let column = |c: &Option<ColumnName>| c.as_ref().map(|c| c.as_str().to_string());
    let case = &sn.case;
    let mut values = vec![
        SetupValue::plain("case.table", case.table.as_str()),
        SetupValue::plain("case.correlation_column", case.correlation_column.as_str()),
        SetupValue::plain(
            "case.recording_url_column",
            case.recording_url_column.as_str(),
        ),
        SetupValue::optional(
            "case.caller_number_column",
            column(&case.caller_number_column).as_deref(),
        ),
        SetupValue::optional(
            "case.contact_column",
            column(&case.contact_column).as_deref(),
        ),
        SetupValue::optional(
            "case.account_column",
            column(&case.account_column).as_deref(),
        ),
        SetupValue::optional(
            "case.consumer_column",
            column(&case.consumer_column).as_deref(),
        ),
        SetupValue::optional(
            "case.assigned_to_column",
            column(&case.assigned_to_column).as_deref(),
        ),
        SetupValue::optional("case.contact_type", case.contact_type.as_deref()),
        SetupValue::optional(
            "lookup.suffix_digits",
            sn.lookup.suffix_digits.map(|n| n.to_string()).as_deref(),
        ),
    ];
    for (i, lookup) in sn.lookup.tables.iter().enumerate() {
        let key = |k: &str| format!("lookup.tables[{i}].{k}");
        values.push(SetupValue::plain(&key("table"), lookup.table.as_str()));
        values.push(SetupValue::plain(&key("kind"), kind_name(lookup.kind)));
        let phones: Vec<&str> = lookup.phone_columns.iter().map(|c| c.as_str()).collect();
        values.push(SetupValue::plain(&key("phone_columns"), phones.join(", ")));
        values.push(SetupValue::plain(
            &key("name_column"),
            lookup.name_column.as_str(),
        ));
        values.push(SetupValue::optional(
            &key("account_column"),
            column(&lookup.account_column).as_deref(),
        ));
    }
    values
}

/// The tables an agent's own account must read: the rule of the link step and doctor
/// (`rights::missing_reads`), each table once.
fn role_needs(sn: &ServiceNowConfig) -> Vec<RoleNeed> {
    let lookups = sn.lookup.tables.iter().map(|l| (&l.table, "caller lookup"));
    let case = std::iter::once((&sn.case.table, "Cases"));
    let mut needs: Vec<RoleNeed> = Vec::new();
    for (table, purpose) in lookups.chain(case) {
        if needs.iter().any(|n| n.table == table.as_str()) {
            continue;
        }
        needs.push(RoleNeed {
            table: table.as_str().to_string(),
            purpose,
            role: csm_role(table.as_str()),
        });
    }
    needs
}

/// What to grant when the service credential may not read the dictionary.
fn dictionary_refused(forbidden: &DictionaryError) -> String {
    format!(
        "{forbidden}; give the service account the personalize_dictionary role (User Administration > Users)"
    )
}

fn caller_kind(kind: CallerKind) -> &'static str {
    match kind {
        CallerKind::Contact => kind_name(PartyKind::Contact),
        CallerKind::Consumer => kind_name(PartyKind::Consumer),
    }
}

fn schema_table(role: &'static str, result: Result<TableInfo, DictionaryError>) -> SchemaTable {
    match result {
        Ok(info) => SchemaTable {
            role,
            name: info.name.as_str().to_string(),
            label: Some(info.label.clone()),
            columns: info
                .columns
                .iter()
                .map(|(name, c)| SchemaColumn {
                    name: name.clone(),
                    label: c.label.clone(),
                    kind: c.internal_type.clone(),
                    max_length: c.max_length,
                    reference: c.reference.clone(),
                })
                .collect(),
            problem: None,
        },
        Err(e) => SchemaTable {
            role,
            name: match &e {
                DictionaryError::TableNotFound { table } => table.as_str().to_string(),
                _ => String::new(),
            },
            label: None,
            columns: Vec::new(),
            problem: Some(e.to_string()),
        },
    }
}

/// The Case table's columns that hold links of up to `min` characters, by name, among the
/// columns an admin made (`u_` in the global scope, `x_` in an application's), except the ones
/// the configuration already uses for something else (the call id, the caller number). The
/// platform's own text columns (`description`, `correlation_display`, ...) are long enough but
/// mean something else to the people and integrations that write them, so they are not offered.
fn link_columns(case: &TableInfo, min: u32, used: &[&str]) -> Vec<String> {
    let made_by_an_admin = |name: &str| name.starts_with("u_") || name.starts_with("x_");
    case.columns
        .iter()
        .filter(|(name, info)| {
            made_by_an_admin(name)
                && doctor::holds_link(info, min)
                && !used.contains(&name.as_str())
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Checks a new column's name: ServiceNow gives columns made in the global scope the `u_`
/// prefix (servicenow.md §1.5), and names are lowercase letters, digits and underscores.
fn check_new_column(column: &NewColumn) -> Result<ColumnName, CreateColumnError> {
    let name = column.name.trim();
    let fine = name.starts_with("u_")
        && name.len() > 2
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !fine {
        return Err(CreateColumnError::Invalid(format!(
            "\"{name}\" is not a column name ServiceNow accepts here: use u_ followed by lowercase letters, digits \
             or underscores (up to 80 characters), e.g. u_recording_url"
        )));
    }
    if column.label.trim().is_empty() {
        return Err(CreateColumnError::Invalid(
            "give the column a label (what the Case form shows beside it), e.g. Call recording"
                .into(),
        ));
    }
    ColumnName::new(name.to_string()).map_err(|e| CreateColumnError::Invalid(e.to_string()))
}

fn internal_type(kind: NewColumnKind) -> &'static str {
    match kind {
        NewColumnKind::Url => "url",
        NewColumnKind::FullUtf8String => "string_full_utf8",
    }
}

fn dictionary_error(admin: &str, error: ApiError) -> CreateColumnError {
    match error {
        ApiError::Unauthorized { .. } => CreateColumnError::NotAllowed(format!(
            "the instance did not accept the sign-in of {admin}: check the user name and password of an instance admin"
        )),
        ApiError::Forbidden { .. } => CreateColumnError::NotAllowed(format!(
            "{admin} may not change the instance's schema: creating a column needs the admin role; sign in as an \
             instance admin, or have one create it in System Definition > Dictionary"
        )),
        other => CreateColumnError::Crm(super::crm::crm_error(other)),
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[async_trait]
impl CrmSetup for ServiceNowSetup {
    fn view(&self) -> SetupView {
        let sn = self.config();
        SetupView {
            crm: "ServiceNow",
            connection: connection_values(sn),
            registration: Some(Registration {
                menu: REGISTRY_MENU.to_string(),
                redirect_url: self.tenant.redirect_uri.clone(),
            }),
            tables: table_values(sn),
            roles: role_needs(sn),
        }
    }

    async fn schema(&self) -> Result<SchemaView, CrmError> {
        let auth = self.service_auth().await?;
        let client = &self.connection.tables;
        let sn = self.config();
        let min = self.min_link_length();
        let case = describe_table(client, &auth, &sn.case.table).await;
        let mut other_uses = vec![
            sn.case.correlation_column.as_str(),
            super::config::CASE_TITLE_COLUMN,
        ];
        other_uses.extend(sn.case.caller_number_column.as_ref().map(|c| c.as_str()));
        let (recording_columns, recording_column_exists) = match &case {
            Ok(info) => (
                link_columns(info, min, &other_uses),
                info.column(sn.case.recording_url_column.as_str()).is_some(),
            ),
            Err(DictionaryError::Api(e)) => return Err(super::crm::crm_error(e.clone())),
            Err(forbidden @ DictionaryError::Forbidden { .. }) => {
                return Err(CrmError::Rejected(dictionary_refused(forbidden)))
            }
            Err(_) => (Vec::new(), false),
        };
        let mut tables = vec![schema_table("case", case)];
        for lookup in &sn.lookup.tables {
            if tables.iter().any(|t| t.name == lookup.table.as_str()) {
                continue;
            }
            let info = describe_table(client, &auth, &lookup.table).await;
            tables.push(schema_table("lookup", info));
        }
        Ok(SchemaView {
            tables,
            recording_columns,
            recording_column: sn.case.recording_url_column.as_str().to_string(),
            recording_column_exists,
            recording_min_length: min,
        })
    }

    async fn lookup_table_choices(&self) -> Result<TableChoices, CrmError> {
        let auth = self.service_auth().await?;
        let listed = caller_tables(&self.connection.tables, &auth)
            .await
            .map_err(|e| match e {
                DictionaryError::Api(e) => super::crm::crm_error(e),
                forbidden @ DictionaryError::Forbidden { .. } => {
                    CrmError::Rejected(dictionary_refused(&forbidden))
                }
                other => CrmError::Rejected(other.to_string()),
            })?;
        Ok(TableChoices {
            tables: listed
                .tables
                .into_iter()
                .map(|t| TableChoice {
                    name: t.name.as_str().to_string(),
                    label: t.label,
                    extends: t
                        .super_classes
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                    kind: caller_kind(t.kind),
                    phone_columns: t.phone_columns,
                })
                .collect(),
            limit: MAX_LISTED_TABLES as u32,
            truncated: listed.truncated,
        })
    }

    async fn describe_table(&self, table: &str) -> Result<SchemaTable, DescribeTableError> {
        let name =
            TableName::new(table.trim()).map_err(|e| DescribeTableError::InvalidName {
                problem: e.to_string(),
                fix: "give the table's name as System Definition > Tables shows it (sys_db_object.name), e.g. u_vip_customer".into(),
            })?;
        let auth = self.service_auth().await?;
        match describe_table(&self.connection.tables, &auth, &name).await {
            Ok(info) => Ok(schema_table("lookup", Ok(info))),
            Err(not_found @ DictionaryError::TableNotFound { .. }) => {
                Err(DescribeTableError::NotFound(not_found.to_string()))
            }
            Err(forbidden @ DictionaryError::Forbidden { .. }) => {
                Err(DescribeTableError::Refused(dictionary_refused(&forbidden)))
            }
            Err(DictionaryError::Api(e)) => Err(super::crm::crm_error(e).into()),
            Err(other @ DictionaryError::Inconsistent(_)) => {
                Err(CrmError::Rejected(other.to_string()).into())
            }
        }
    }

    async fn create_recording_column(
        &self,
        admin: &CrmAdmin,
        column: &NewColumn,
    ) -> Result<SchemaColumn, CreateColumnError> {
        let name = check_new_column(column)?;
        if admin.user.trim().is_empty() || admin.password.is_empty() {
            return Err(CreateColumnError::Invalid(
                "give the user name and password of an instance admin: creating a column changes the instance's schema"
                    .into(),
            ));
        }
        let auth = Auth::basic(admin.user.trim(), admin.password.clone());
        let client = &self.connection.tables;
        let case_table = &self.config().case.table;
        let user = admin.user.trim();
        let existing = describe_table(client, &auth, case_table).await;
        match existing {
            Ok(info) if info.column(name.as_str()).is_some() => {
                return Err(CreateColumnError::Exists(format!(
                    "{case_table} already has a column {name}: choose it, or give the new column another name"
                )));
            }
            Ok(_) => {}
            Err(DictionaryError::Api(e)) => return Err(dictionary_error(user, e)),
            Err(DictionaryError::Forbidden { .. }) => {
                return Err(dictionary_error(
                    user,
                    ApiError::Forbidden {
                        message: String::new(),
                        detail: None,
                    },
                ))
            }
            Err(other) => {
                return Err(CreateColumnError::Crm(CrmError::Rejected(
                    other.to_string(),
                )))
            }
        }
        let dictionary = TableName::new("sys_dictionary").expect("a valid table name");
        let row = object(json!({
            "name": case_table.as_str(),
            "element": name.as_str(),
            "internal_type": internal_type(column.kind),
            "max_length": NEW_COLUMN_LENGTH.to_string(),
            "column_label": column.label.trim(),
        }));
        client
            .create(&auth, &dictionary, &row, &[])
            .await
            .map_err(|e| dictionary_error(user, e))?;
        // Read back as the instance now describes it.
        let info = describe_table(client, &auth, case_table)
            .await
            .map_err(|e| CreateColumnError::Crm(CrmError::Unavailable(e.to_string())))?;
        let created = info.column(name.as_str()).ok_or_else(|| {
            CreateColumnError::Crm(CrmError::Unavailable(format!(
                "the instance accepted the column {name} but does not describe it yet; load the step again"
            )))
        })?;
        Ok(SchemaColumn {
            name: name.as_str().to_string(),
            label: created.label.clone(),
            kind: created.internal_type.clone(),
            max_length: created.max_length,
            reference: created.reference.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_column(name: &str, label: &str) -> NewColumn {
        NewColumn {
            name: name.into(),
            label: label.into(),
            kind: NewColumnKind::Url,
        }
    }

    #[test]
    fn new_columns_need_the_global_prefix_and_a_label() {
        assert!(check_new_column(&new_column("u_recording_url", "Call recording")).is_ok());
        for bad in [
            "recording_url",
            "u_",
            "u_Recording",
            "u_rec-url",
            "u_rec url",
        ] {
            let e = check_new_column(&new_column(bad, "x")).unwrap_err();
            assert!(e.to_string().contains("u_ followed by"), "{bad}: {e}");
        }
        let e = check_new_column(&new_column("u_rec", " ")).unwrap_err();
        assert!(e.to_string().contains("label"), "{e}");
    }

    #[test]
    fn new_column_types_are_the_dictionary_names_of_url_and_full_utf8_string() {
        assert_eq!(internal_type(NewColumnKind::Url), "url");
        assert_eq!(
            internal_type(NewColumnKind::FullUtf8String),
            "string_full_utf8"
        );
    }

    #[test]
    fn an_admin_sign_in_refused_or_lacking_rights_says_what_to_do() {
        let e = dictionary_error(
            "bob",
            ApiError::Forbidden {
                message: "Operation Failed".into(),
                detail: None,
            },
        );
        assert!(
            matches!(&e, CreateColumnError::NotAllowed(m) if m.contains("needs the admin role")),
            "{e}"
        );
        let e = dictionary_error(
            "bob",
            ApiError::Unauthorized {
                message: "User Not Authenticated".into(),
            },
        );
        assert!(
            matches!(&e, CreateColumnError::NotAllowed(m) if m.contains("did not accept the sign-in of bob")),
            "{e}"
        );
    }
}
