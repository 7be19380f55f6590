//! `PUT /api/v1/console/setup/steps/{step}`: a setup step of a tenant kept in the store, saved
//! through the tenant directory (the configuration's own reader checks the whole configuration,
//! the save names the version it edited, the running server takes it at once) and checked
//! again live by the step's doctor checks. The CRM connection and the tables edit the tenant's
//! CRM section; the recording store edits `[tenant.telephony.recordings]`. Secrets are
//! write-only: sealed in the store under their key (`crm.client_secret`,
//! `telephony.recordings.secret_access_key`), never answered, audited or logged.

use callbridge_config::toml_edit::{self, Array, ArrayOfTables, InlineTable, Item, Table};
use callbridge_config::Secret;
use callbridge_core::TenantId;
use callbridge_integration::tenants::TenantError;
use callbridge_store::SecretChange;
use serde::Deserialize;
use serde_json::{json, Value};

use super::steps::Step;
use crate::account::ApiError;
use crate::console::input::bad_request;
use crate::console::telephony::{field_refusal, refused, Refusal};
use crate::console::{json, Console, Done, Staff};
use axum::http::StatusCode;

/// The name the CRM client secret is sealed under.
pub const CLIENT_SECRET: &str = "crm.client_secret";
/// The name the service account's password (`service_grant = "password"`) is sealed under.
pub const SERVICE_PASSWORD: &str = "crm.service_password";
/// The name the S3 secret access key is sealed under.
pub const S3_SECRET: &str = "telephony.recordings.secret_access_key";

/// `connection`: the instance and the OAuth client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub version: i64,
    pub instance_url: String,
    pub client_id: String,
    /// Write-only: absent or null keeps the one kept in the store.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// How service calls sign in: `client_credentials` or `password`; absent or null keeps it.
    #[serde(default)]
    pub service_grant: Option<String>,
    /// The service account's user name (password grant); absent or null keeps it.
    #[serde(default)]
    pub service_user: Option<String>,
    /// Write-only (password grant): absent or null keeps the one set.
    #[serde(default)]
    pub service_password: Option<String>,
    /// An extra trust root (a PEM file's path): absent keeps it, null or `""` removes it.
    #[serde(default)]
    pub ca_file: Option<Value>,
    /// The instance's hourly request budget: absent keeps it, null removes it.
    #[serde(default)]
    pub requests_per_hour: Option<Value>,
}

/// `tables`: where Cases go and which columns they get, where callers are looked up.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tables {
    pub version: i64,
    /// `[tenant.crm.case]` becomes exactly these keys (a null one takes its default); absent
    /// or null keeps it as it is.
    #[serde(default)]
    pub case: Option<serde_json::Map<String, Value>>,
    /// `[[tenant.crm.lookup.tables]]` become these; absent or null keeps them as they are.
    #[serde(default)]
    pub lookup_tables: Option<Vec<LookupTable>>,
    /// `[tenant.crm.lookup] suffix_digits`: a whole number sets it, null removes it, absent
    /// keeps it.
    #[serde(default, deserialize_with = "present")]
    pub suffix_digits: Option<Value>,
}

/// A field that may be given as null (`Some(Value::Null)`), unlike one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupTable {
    pub table: String,
    pub kind: String,
    pub phone_columns: Vec<String>,
    #[serde(default)]
    pub name_column: Option<String>,
    #[serde(default)]
    pub account_column: Option<String>,
}

/// `recordings`: where recordings are kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recordings {
    pub version: i64,
    /// `local` or `s3`.
    pub store: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    /// Absent or null: the machine's role (no key).
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Write-only: absent or null keeps the one kept in the store.
    #[serde(default)]
    pub secret_access_key: Option<String>,
}

/// The Case keys the tables step may set (`[tenant.crm.case]`).
const CASE_KEYS: [&str; 9] = [
    "table",
    "correlation_column",
    "recording_url_column",
    "caller_number_column",
    "contact_column",
    "account_column",
    "consumer_column",
    "assigned_to_column",
    "contact_type",
];

/// An example body per step, for a body that is not one.
pub fn example(step: Step) -> &'static str {
    match step {
        Step::Connection => {
            r#"{"version": 1, "instance_url": "https://acme.service-now.com", "client_id": "...", "client_secret": "...", "service_grant": "password", "service_user": "callbridge.integration", "service_password": "..."}"#
        }
        Step::Tables => {
            r#"{"version": 1, "case": {"table": "sn_customerservice_case", "recording_url_column": "u_recording_url"}, "lookup_tables": [{"table": "customer_contact", "kind": "contact", "phone_columns": ["phone", "mobile_phone"]}]}"#
        }
        _ => {
            r#"{"version": 1, "store": "s3", "bucket": "calls", "region": "us-east-1", "prefix": "rec", "access_key_id": "AKIA...", "secret_access_key": "..."}"#
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], step: Step) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "the body is not this step's settings ({e}); send JSON like {}",
            example(step)
        ))
    })
}

/// The tenant's CRM section key in its text (`crm`, or the older `servicenow`) and the table.
fn crm_table(text: &str) -> Result<(String, Table), ApiError> {
    let document: toml_edit::DocumentMut = text.parse().map_err(ApiError::internal)?;
    let tenant = document
        .get("tenant")
        .and_then(Item::as_array_of_tables)
        .and_then(|a| a.get(0))
        .ok_or_else(|| ApiError::internal("the stored tenant has no [[tenant]] table"))?;
    for key in ["crm", "servicenow"] {
        if let Some(table) = tenant.get(key).and_then(Item::as_table) {
            return Ok((key.to_string(), table.clone()));
        }
    }
    Ok(("crm".to_string(), {
        let mut t = Table::new();
        t.insert("kind", toml_edit::value("servicenow"));
        t
    }))
}

/// The tenant's `[tenant.telephony.recordings]` in its text, if any.
fn recordings_table(text: &str) -> Option<Table> {
    let document: toml_edit::DocumentMut = text.parse().ok()?;
    document
        .get("tenant")?
        .as_array_of_tables()?
        .get(0)?
        .get("telephony")?
        .get("recordings")?
        .as_table()
        .cloned()
}

fn store_ref(name: &str) -> Item {
    let mut reference = InlineTable::new();
    reference.insert("store", name.into());
    toml_edit::value(reference)
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// What one save changes: the table at `path` and the secrets, and words for the audit.
#[derive(Debug)]
struct Edit {
    version: i64,
    path: Vec<String>,
    table: Table,
    secrets: Vec<SecretChange>,
    what: String,
}

// A refusal carries its whole answer (field errors); one is made at most once per save.
#[allow(clippy::result_large_err)]
fn connection_edit(body: &[u8], text: &str) -> Result<Edit, Refusal> {
    let c: Connection = parse(body, Step::Connection)?;
    let (key, mut table) = crm_table(text)?;
    table.insert("instance_url", toml_edit::value(c.instance_url.trim()));
    table.insert("client_id", toml_edit::value(c.client_id.trim()));
    let mut secrets = Vec::new();
    let mut what = "instance_url, client_id".to_string();
    if let Some(secret) = non_empty(&c.client_secret) {
        secrets.push(SecretChange::Set {
            name: CLIENT_SECRET.to_string(),
            value: Secret::new(secret),
        });
        table.insert("client_secret", store_ref(CLIENT_SECRET));
        what.push_str(", a new client_secret");
    }
    match &c.ca_file {
        None => {}
        Some(Value::Null) => {
            table.remove("ca_file");
            what.push_str(", ca_file");
        }
        Some(Value::String(path)) if path.trim().is_empty() => {
            table.remove("ca_file");
            what.push_str(", ca_file");
        }
        Some(Value::String(path)) => {
            table.insert("ca_file", toml_edit::value(path.trim()));
            what.push_str(", ca_file");
        }
        Some(_) => return Err(bad_request("\"ca_file\" must be a path (a string) or null").into()),
    }
    match &c.requests_per_hour {
        None => {}
        Some(Value::Null) => {
            table.remove("requests_per_hour");
            what.push_str(", requests_per_hour");
        }
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
            // The reader refuses what is no budget (0, negative, over u32) at its key.
            let whole = n.as_i64().unwrap_or(i64::MAX);
            table.insert("requests_per_hour", toml_edit::value(whole));
            what.push_str(", requests_per_hour");
        }
        Some(value) => {
            return Err(field_refusal(
                REQUESTS_PER_HOUR_KEY,
                format!("{value} is not a whole number"),
                "write how many requests an hour Callbridge may send the instance (a whole \
                 number), or leave it empty for no pacing"
                    .into(),
            ))
        }
    }
    service_grant_edit(&c, &mut table, &mut secrets, &mut what);
    Ok(Edit {
        version: c.version,
        path: vec![key],
        table,
        secrets,
        what,
    })
}

/// The service grant's keys: with `password`, the user and (write-only) password, a new
/// password sealed in the store; with `client_credentials`, neither (a sealed password is
/// removed). Anything else is written as given, for the reader to refuse at its key.
fn service_grant_edit(
    c: &Connection,
    table: &mut Table,
    secrets: &mut Vec<SecretChange>,
    what: &mut String,
) {
    if let Some(grant) = non_empty(&c.service_grant) {
        table.insert("service_grant", toml_edit::value(grant));
        what.push_str(&format!(", service_grant {grant}"));
    }
    let grant = table
        .get("service_grant")
        .and_then(Item::as_str)
        .unwrap_or("client_credentials")
        .to_string();
    if grant == "client_credentials" {
        let had_user = table.remove("service_user").is_some();
        let had_password = table.remove("service_password").is_some();
        if had_user || had_password {
            what.push_str(", service_user and service_password removed");
        }
        if had_password {
            secrets.push(SecretChange::Remove {
                name: SERVICE_PASSWORD.to_string(),
            });
        }
        return;
    }
    if let Some(user) = non_empty(&c.service_user) {
        table.insert("service_user", toml_edit::value(user));
        what.push_str(", service_user");
    }
    if let Some(password) = non_empty(&c.service_password) {
        secrets.push(SecretChange::Set {
            name: SERVICE_PASSWORD.to_string(),
            value: Secret::new(password),
        });
        table.insert("service_password", store_ref(SERVICE_PASSWORD));
        what.push_str(", a new service_password");
    }
}

/// The key `suffix_digits` is answered at, as the configuration's reader names it.
const SUFFIX_DIGITS_KEY: &str = "crm.lookup.suffix_digits";
const REQUESTS_PER_HOUR_KEY: &str = "crm.requests_per_hour";

// A refusal carries its whole answer (field errors); one is made at most once per save.
#[allow(clippy::result_large_err)]
fn tables_edit(body: &[u8], text: &str) -> Result<Edit, Refusal> {
    let t: Tables = parse(body, Step::Tables)?;
    let (key, mut table) = crm_table(text)?;
    if let Some(keys) = &t.case {
        let mut case = Table::new();
        for (name, value) in keys {
            if !CASE_KEYS.contains(&name.as_str()) {
                return Err(Refusal::Api(bad_request(format!(
                    "unknown case key \"{name}\"; the keys are: {}",
                    CASE_KEYS.join(", ")
                ))));
            }
            match value {
                Value::Null => {}
                Value::String(s) => {
                    case.insert(name, toml_edit::value(s.trim()));
                }
                _ => {
                    return Err(Refusal::Api(bad_request(format!(
                        "case \"{name}\" must be a string or null"
                    ))))
                }
            }
        }
        if case.is_empty() {
            table.remove("case");
        } else {
            table.insert("case", Item::Table(case));
        }
    }
    if let Some(tables) = &t.lookup_tables {
        let mut lookup = table
            .get("lookup")
            .and_then(Item::as_table)
            .cloned()
            .unwrap_or_default();
        let mut list = ArrayOfTables::new();
        for l in tables {
            let mut entry = Table::new();
            entry.insert("table", toml_edit::value(l.table.trim()));
            entry.insert("kind", toml_edit::value(l.kind.trim()));
            let mut columns = Array::new();
            for c in &l.phone_columns {
                columns.push(c.trim());
            }
            entry.insert("phone_columns", toml_edit::value(columns));
            if let Some(name) = non_empty(&l.name_column) {
                entry.insert("name_column", toml_edit::value(name));
            }
            if let Some(account) = non_empty(&l.account_column) {
                entry.insert("account_column", toml_edit::value(account));
            }
            list.push(entry);
        }
        lookup.insert("tables", Item::ArrayOfTables(list));
        table.insert("lookup", Item::Table(lookup));
    }
    match &t.suffix_digits {
        None => {}
        Some(Value::Null) => {
            if let Some(lookup) = table.get_mut("lookup").and_then(Item::as_table_mut) {
                lookup.remove("suffix_digits");
            }
        }
        Some(value) => {
            // The range (7 to 10) is the configuration reader's rule, answered at this key.
            let Some(digits) = value.as_i64() else {
                return Err(field_refusal(
                    SUFFIX_DIGITS_KEY,
                    format!("{value} is not a whole number"),
                    "write 7 to 10, or leave it empty".into(),
                ));
            };
            let mut lookup = table
                .get("lookup")
                .and_then(Item::as_table)
                .cloned()
                .unwrap_or_default();
            lookup.insert("suffix_digits", toml_edit::value(digits));
            table.insert("lookup", Item::Table(lookup));
        }
    }
    let what = format!(
        "case ({}), lookup tables ({}), suffix_digits ({})",
        t.case.as_ref().map_or("kept".to_string(), |c| format!(
            "{} keys",
            c.values().filter(|v| !v.is_null()).count()
        )),
        t.lookup_tables
            .as_ref()
            .map_or("kept".to_string(), |l| l.len().to_string()),
        match &t.suffix_digits {
            None => "kept".to_string(),
            Some(Value::Null) => "none".to_string(),
            Some(v) => v.to_string(),
        }
    );
    Ok(Edit {
        version: t.version,
        path: vec![key],
        table,
        secrets: Vec::new(),
        what,
    })
}

fn recordings_edit(body: &[u8], text: &str) -> Result<Edit, ApiError> {
    let r: Recordings = parse(body, Step::Recordings)?;
    let current = recordings_table(text);
    let mut table = Table::new();
    let mut secrets = Vec::new();
    let set = |table: &mut Table, key: &str, value: &Option<String>| {
        if let Some(v) = non_empty(value) {
            table.insert(key, toml_edit::value(v));
        }
    };
    table.insert("store", toml_edit::value(r.store.trim()));
    match r.store.trim() {
        "local" => set(&mut table, "path", &r.path),
        _ => {
            // Anything but local is checked by the reader (s3, or what to write instead).
            set(&mut table, "bucket", &r.bucket);
            set(&mut table, "region", &r.region);
            set(&mut table, "endpoint", &r.endpoint);
            set(&mut table, "prefix", &r.prefix);
            if let Some(id) = non_empty(&r.access_key_id) {
                table.insert("access_key_id", toml_edit::value(id));
                let kept = current
                    .as_ref()
                    .and_then(|t| t.get("secret_access_key"))
                    .is_some();
                match non_empty(&r.secret_access_key) {
                    Some(secret) => {
                        secrets.push(SecretChange::Set {
                            name: S3_SECRET.to_string(),
                            value: Secret::new(secret),
                        });
                        table.insert("secret_access_key", store_ref(S3_SECRET));
                    }
                    // Without a new one, the sealed one stays; none at all is the reader's
                    // mistake to report (a key id without its secret).
                    None if kept => {
                        table.insert("secret_access_key", store_ref(S3_SECRET));
                    }
                    None => {}
                }
            }
        }
    }
    if non_empty(&r.access_key_id).is_none() || r.store.trim() == "local" {
        secrets.push(SecretChange::Remove {
            name: S3_SECRET.to_string(),
        });
    }
    let what = format!(
        "store {}{}",
        r.store.trim(),
        if secrets
            .iter()
            .any(|s| matches!(s, SecretChange::Set { .. }))
        {
            ", a new secret_access_key"
        } else {
            ""
        }
    );
    Ok(Edit {
        version: r.version,
        path: vec!["telephony".to_string(), "recordings".to_string()],
        table,
        secrets,
        what,
    })
}

/// Saves `step` of the signed-in admin's tenant from `body`, then runs the step's checks.
pub async fn save_step(
    console: &Console,
    staff: &Staff,
    step: Step,
    body: &[u8],
) -> Result<Done, Refusal> {
    let directory = &console.setup.directory;
    let tenant = TenantId::new(staff.tenant.as_str());
    let draft = directory.load(&tenant).await.map_err(refused)?;
    let edit =
        match step {
            Step::Connection => connection_edit(body, &draft.text)?,
            Step::Tables => tables_edit(body, &draft.text)?,
            Step::Recordings => recordings_edit(body, &draft.text)?,
            Step::Roles => return Err(Refusal::Api(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_editable",
                "the roles step has nothing to save: the roles are granted to agents' accounts in \
                 the CRM (User Administration > Users > Roles)",
            ))),
        };
    let path: Vec<&str> = edit.path.iter().map(String::as_str).collect();
    if step == Step::Recordings {
        let candidate = directory
            .preview_section(
                &tenant,
                edit.version,
                &path,
                edit.table.clone(),
                &edit.secrets,
            )
            .await
            .map_err(refused)?;
        store_opens(&candidate, &tenant).await?;
    }
    let saved = directory
        .replace_section(
            &tenant,
            edit.version,
            &path,
            edit.table,
            edit.secrets,
            &staff.user,
        )
        .await;
    let (version, not_applied) = match saved {
        Ok(saved) => (saved.version, None),
        Err(TenantError::NotApplied { version, reason }) => (version, Some(reason)),
        Err(e) => return Err(refused(e)),
    };
    let checks = super::run_checks(console, staff, step, super::steps::Lang::En).await?;
    let detail = match &not_applied {
        None => format!("version {version}: {} {}; applied", step.id(), edit.what),
        Some(reason) => format!(
            "version {version}: {} {}; saved, not applied until a restart: {reason}",
            step.id(),
            edit.what
        ),
    };
    Ok(Done {
        response: json(
            StatusCode::OK,
            json!({
                "version": version,
                "applied": not_applied.is_none(),
                "not_applied": not_applied,
                "checks": checks,
            }),
        ),
        detail,
    })
}

/// Refuses a recording store that cannot be opened, before anything is saved: doctor's own
/// probe (write, read back and delete an object under the tenant's prefix) on the candidate
/// settings, secrets opened. The failure is answered at the field most likely wrong: the
/// directory for local disk, the bucket for S3 (its detail says whether the keys, the bucket
/// or the endpoint failed).
async fn store_opens(
    candidate: &callbridge_config::Config,
    tenant: &TenantId,
) -> Result<(), Refusal> {
    use callbridge_config::telephony::RecordingStorage;
    use callbridge_kernel::check::Status;
    let Some(telephony) = candidate
        .telephony
        .as_ref()
        .and_then(|t| t.tenants.iter().find(|t| &t.tenant == tenant))
    else {
        return Ok(());
    };
    let check = callbridge_telephony::doctor::recording_store(telephony).await;
    if check.status != Status::Fail {
        return Ok(());
    }
    let key = match &telephony.recordings {
        RecordingStorage::Local { .. } => "telephony.recordings.path",
        RecordingStorage::S3 { .. } => "telephony.recordings.bucket",
    };
    Err(field_refusal(
        key,
        format!("the recording store cannot be opened: {}", check.detail),
        check
            .fix
            .unwrap_or_else(|| "check the recording store's settings".to_string()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as a document writes it (sub-tables included, under `[x]`).
    fn render(table: &Table) -> String {
        let mut document = toml_edit::DocumentMut::new();
        document.insert("x", Item::Table(table.clone()));
        document.to_string()
    }

    const TEXT: &str = "[[tenant]]\nid = \"acme\"\n\n[tenant.crm]\nkind = \"servicenow\"\ninstance_url = \"https://old.service-now.com\"\nclient_id = \"old\"\nclient_secret = { store = \"crm.client_secret\" }\n\n[tenant.crm.case]\ntable = \"x_case\"\n";

    #[test]
    fn the_connection_keeps_the_secret_unless_a_new_one_is_given_and_never_writes_it() {
        let kept = connection_edit(
            br#"{"version": 2, "instance_url": "https://new.service-now.com", "client_id": "new"}"#,
            TEXT,
        )
        .unwrap();
        let shown = render(&kept.table);
        assert!(shown.contains("https://new.service-now.com"), "{shown}");
        assert!(
            shown.contains("client_secret = { store = \"crm.client_secret\" }"),
            "{shown}"
        );
        assert!(
            shown.contains("table = \"x_case\""),
            "the rest is kept: {shown}"
        );
        assert!(kept.secrets.is_empty());
        let new = connection_edit(
            br#"{"version": 2, "instance_url": "https://new.service-now.com", "client_id": "new", "client_secret": "s3cret"}"#,
            TEXT,
        )
        .unwrap();
        assert!(!render(&new.table).contains("s3cret"));
        assert!(
            matches!(&new.secrets[..], [SecretChange::Set { name, value }] if name == CLIENT_SECRET && value.expose() == "s3cret")
        );
        assert!(!new.what.contains("s3cret"));
        let Err(Refusal::Api(unknown)) = connection_edit(
            br#"{"version": 2, "instance_url": "x", "client_id": "y", "colour": 1}"#,
            TEXT,
        ) else {
            panic!("an unknown field is refused")
        };
        assert!(
            unknown.message.contains("unknown field `colour`"),
            "{}",
            unknown.message
        );
    }

    #[test]
    fn a_password_grant_seals_its_password_and_the_clients_own_grant_removes_both() {
        let password = connection_edit(
            br#"{"version": 2, "instance_url": "https://x.service-now.com", "client_id": "c", "service_grant": "password", "service_user": " svc ", "service_password": "pw"}"#,
            TEXT,
        )
        .unwrap();
        let shown = render(&password.table);
        assert!(shown.contains("service_grant = \"password\""), "{shown}");
        assert!(shown.contains("service_user = \"svc\""), "{shown}");
        assert!(
            shown.contains("service_password = { store = \"crm.service_password\" }"),
            "{shown}"
        );
        assert!(!shown.contains("\"pw\"") && !password.what.contains("pw\""));
        assert!(
            matches!(&password.secrets[..], [SecretChange::Set { name, value }] if name == SERVICE_PASSWORD && value.expose() == "pw")
        );
        let with_password = TEXT
            .replace(
                "client_id = \"old\"\n",
                "client_id = \"old\"\nservice_grant = \"password\"\nservice_user = \"svc\"\nservice_password = { store = \"crm.service_password\" }\n",
            );
        let back = connection_edit(
            br#"{"version": 3, "instance_url": "https://x.service-now.com", "client_id": "c", "service_grant": "client_credentials", "service_user": "ignored"}"#,
            &with_password,
        )
        .unwrap();
        let shown = render(&back.table);
        assert!(
            !shown.contains("service_user") && !shown.contains("service_password"),
            "{shown}"
        );
        assert!(
            matches!(&back.secrets[..], [SecretChange::Remove { name }] if name == SERVICE_PASSWORD)
        );
        let kept = connection_edit(
            br#"{"version": 3, "instance_url": "https://x.service-now.com", "client_id": "c"}"#,
            &with_password,
        )
        .unwrap();
        let shown = render(&kept.table);
        assert!(shown.contains("service_user = \"svc\""), "kept: {shown}");
        assert!(kept.secrets.is_empty());
        let Err(Refusal::Fields { message, .. }) = connection_edit(
            br#"{"version": 3, "instance_url": "x", "client_id": "c", "requests_per_hour": "many"}"#,
            TEXT,
        ) else {
            panic!("a budget that is not a number is refused at its field")
        };
        assert!(
            message.starts_with("crm.requests_per_hour: \"many\" is not a whole number"),
            "{message}"
        );
    }

    #[test]
    fn the_tables_replace_case_and_lookup_and_an_s3_store_seals_its_secret() {
        let edit = tables_edit(
            br#"{"version": 1, "case": {"recording_url_column": "u_rec", "table": null}, "lookup_tables": [{"table": "customer_contact", "kind": "contact", "phone_columns": ["phone"]}]}"#,
            TEXT,
        )
        .unwrap();
        let shown = render(&edit.table);
        assert!(
            shown.contains("recording_url_column = \"u_rec\""),
            "{shown}"
        );
        assert!(!shown.contains("x_case"), "{shown}");
        assert!(shown.contains("phone_columns = [\"phone\"]"), "{shown}");
        let Err(Refusal::Api(bad)) =
            tables_edit(br#"{"version": 1, "case": {"tabel": "x"}}"#, TEXT)
        else {
            panic!("an unknown case key is a bad request")
        };
        assert!(
            bad.message.contains("unknown case key \"tabel\""),
            "{}",
            bad.message
        );
        // suffix_digits: a number sets it beside the kept tables, null removes it, absent keeps it.
        let set = tables_edit(br#"{"version": 1, "suffix_digits": 8}"#, TEXT).unwrap();
        let shown = render(&set.table);
        assert!(shown.contains("suffix_digits = 8"), "{shown}");
        assert!(set.what.ends_with("suffix_digits (8)"), "{}", set.what);
        let kept = tables_edit(
            br#"{"version": 2, "case": null}"#,
            &format!("{TEXT}\n[tenant.crm.lookup]\nsuffix_digits = 8\n"),
        )
        .unwrap();
        assert!(render(&kept.table).contains("suffix_digits = 8"));
        let removed = tables_edit(
            br#"{"version": 2, "suffix_digits": null}"#,
            &format!("{TEXT}\n[tenant.crm.lookup]\nsuffix_digits = 8\n"),
        )
        .unwrap();
        assert!(!render(&removed.table).contains("suffix_digits"));
        let Err(Refusal::Fields { message, .. }) =
            tables_edit(br#"{"version": 1, "suffix_digits": "eight"}"#, TEXT)
        else {
            panic!("a suffix that is not a number is refused at its field")
        };
        assert!(
            message.starts_with("crm.lookup.suffix_digits: \"eight\" is not a whole number"),
            "{message}"
        );

        let s3 = recordings_edit(
            br#"{"version": 1, "store": "s3", "bucket": "calls", "access_key_id": "AKIA1", "secret_access_key": "k"}"#,
            TEXT,
        )
        .unwrap();
        let shown = render(&s3.table);
        assert!(
            shown.contains(
                "secret_access_key = { store = \"telephony.recordings.secret_access_key\" }"
            ),
            "{shown}"
        );
        assert!(!shown.contains("\"k\""), "{shown}");
        assert_eq!(s3.path, ["telephony", "recordings"]);
        let role =
            recordings_edit(br#"{"version": 1, "store": "s3", "bucket": "calls"}"#, TEXT).unwrap();
        assert!(matches!(&role.secrets[..], [SecretChange::Remove { .. }]));
        assert!(!render(&role.table).contains("access_key"));
    }
}
