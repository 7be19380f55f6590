//! The Setup page's routes (admins): the tenant's setup as guided steps (`steps.rs`), each
//! step's live checks from the tenant's real `doctor` (the CRM adapter's [`CrmDoctor`] and
//! telephony's `doctor::check_tenant`), the CRM's schema for choosing tables and columns, and
//! creating the recording-link column on the instance with an instance admin's sign-in.
//!
//! Every tenant here comes from the configuration file, so its values are shown read-only with
//! the file they are set in. Secrets never leave the server: only whether each is set.
//!
//! [`CrmDoctor`]: callbridge_crm::CrmDoctor

pub mod steps;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::{get, post, put};
use axum::Router;
use callbridge_config::telephony::{RecordingStorage, S3Credentials};
use callbridge_config::{Config, TenantConfig, TenantSource};
use callbridge_core::TenantId;
use callbridge_crm::{
    CreateColumnError, CrmAdmin, CrmError, CrmTenant, DescribeTableError, DoctorRequest, NewColumn,
    NewColumnKind,
};
use callbridge_integration::crm::TenantCrms;
use callbridge_integration::tenants::TenantDirectory;
use serde_json::{json, Map, Value};

use super::access::Need;
use super::input::{bad_request, object, MAX_BODY};
use super::telephony::Refusal;
use super::{json, Answer, Console, Done, Incoming, Staff};
use crate::account::ApiError;
use steps::{Lang, Step, STEPS};

mod save;

/// What the setup routes read: the configuration and every tenant's CRM as built at start.
pub struct SetupSources {
    /// Every tenant now, the file's and the store's (a saved change is read at the next
    /// request).
    pub directory: Arc<TenantDirectory>,
    /// Every tenant's CRM as built now.
    pub crms: Arc<TenantCrms>,
}

pub fn router() -> Router<Arc<Console>> {
    Router::new()
        .route("/api/v1/console/setup", get(overview))
        .route(
            "/api/v1/console/setup/steps/{step}/checks",
            get(step_checks),
        )
        .route("/api/v1/console/setup/steps/{step}", put(save_step))
        .route("/api/v1/console/setup/schema", get(schema))
        .route("/api/v1/console/setup/schema/tables", get(table_choices))
        .route(
            "/api/v1/console/setup/schema/tables/{table}",
            get(describe_table),
        )
        .route(
            "/api/v1/console/setup/recording-column",
            post(create_recording_column),
        )
}

fn tenant_config<'a>(config: &'a Config, staff: &Staff) -> Option<&'a TenantConfig> {
    config
        .tenants
        .iter()
        .find(|t| t.id.as_str() == staff.tenant)
}

fn crm_of(sources: &SetupSources, staff: &Staff) -> Option<CrmTenant> {
    sources.crms.tenant(&TenantId::new(staff.tenant.as_str()))
}

fn no_crm_setup() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_crm_setup",
        "your tenant's CRM has no setup the console can show; use `callbridge doctor` and the configuration file",
    )
}

fn crm_unavailable(error: &CrmError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "crm_unavailable",
        format!("{error}; run the CRM connection step's checks to see why"),
    )
}

/// Where recordings go, as the console shows it (no secret).
fn recordings_json(storage: &RecordingStorage, tenant: &str) -> Value {
    match storage {
        RecordingStorage::Local { root } => json!({
            "kind": "local",
            "path": root.display().to_string(),
        }),
        RecordingStorage::S3 {
            bucket,
            region,
            endpoint,
            credentials,
            prefix,
        } => {
            let (kind, key_id, secret_set) = match credentials {
                S3Credentials::AccessKey { id, secret } => {
                    ("access_key", Some(id.clone()), !secret.expose().is_empty())
                }
                S3Credentials::Role => ("role", None, false),
            };
            json!({
                "kind": "s3",
                "bucket": bucket,
                "region": region,
                "endpoint": endpoint,
                "prefix": prefix,
                "credentials": kind,
                "access_key_id": key_id,
                "secret_access_key_set": secret_set,
                "iam_policy": callbridge_recording::policy::s3_policy(bucket, prefix, tenant),
            })
        }
    }
}

/// `GET /api/v1/console/setup`: every step's values, read-only with where they are set.
async fn overview(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let sources = &console.setup;
    let config = sources.directory.config();
    let tenant = tenant_config(&config, &staff).ok_or_else(no_crm_setup)?;
    let view = crm_of(sources, &staff)
        .and_then(|c| c.setup)
        .map(|s| s.view());
    let recordings = config
        .telephony
        .as_ref()
        .and_then(|t| t.tenant(&tenant.id))
        .map(|t| recordings_json(&t.recordings, &staff.tenant));
    let (provisioned, file, version) = match &tenant.source {
        TenantSource::File { path } => ("file", Some(path.clone()), None),
        TenantSource::Store { version } => ("store", None, Some(*version)),
    };
    Ok(json(
        StatusCode::OK,
        json!({
            "tenant": staff.tenant,
            "name": tenant.name,
            "provisioned": provisioned,
            "file": file,
            "editable": version.is_some(),
            "version": version,
            "steps": STEPS.iter().map(|s| s.id()).collect::<Vec<_>>(),
            "crm": view.as_ref().map(|v| v.crm),
            "connection": view.as_ref().map(|v| json!({
                "values": v.connection,
                "registration": v.registration,
            })),
            "tables": view.as_ref().map(|v| json!({"values": v.tables})),
            "roles": view.as_ref().map(|v| json!({"needs": v.roles})),
            "recordings": recordings,
        }),
    ))
}

/// `GET /api/v1/console/setup/steps/{step}/checks`: the step's checks, run now by the
/// tenant's doctor (no probe Case is written).
async fn step_checks(
    State(console): State<Arc<Console>>,
    Path(step): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let step = step_named(&step)?;
    let lang = lang_of(query)?;
    Ok(json(
        StatusCode::OK,
        run_checks(&console, &staff, step, lang).await?,
    ))
}

/// `?lang=en|ja` (absent: English), the language of the check titles.
fn lang_of(query: Option<String>) -> Result<Lang, ApiError> {
    let mut lang = Lang::En;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match (key.as_ref(), value.as_ref()) {
            ("lang", "en") => lang = Lang::En,
            ("lang", "ja") => lang = Lang::Ja,
            ("lang", other) => {
                return Err(bad_request(format!(
                    "lang={other:?} is not a language of the checks; use lang=en or lang=ja"
                )))
            }
            (other, _) => {
                return Err(bad_request(format!(
                    "unknown parameter {other:?}; the only parameter is lang (en or ja)"
                )))
            }
        }
    }
    Ok(lang)
}

fn step_named(step: &str) -> Result<Step, ApiError> {
    Step::parse(step).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_step",
            format!(
                "there is no setup step {step:?}; the steps are {}",
                STEPS.map(|s| s.id()).join(", ")
            ),
        )
    })
}

/// `PUT /api/v1/console/setup/steps/{step}`: saves a step of a tenant kept in the store (see
/// `save.rs`). Audited as `setup.save` on `setup:<step>`.
async fn save_step(
    State(console): State<Arc<Console>>,
    Path(step): Path<String>,
    request: Request<Body>,
) -> Answer {
    const ACTION: &str = "setup.save";
    let request = Incoming::of(request);
    let target = format!("setup:{step}");
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            ACTION,
            &target,
        )
        .await?;
    let outcome = async {
        let step = step_named(&step)?;
        let body = axum::body::to_bytes(request.body, MAX_BODY)
            .await
            .map_err(|_| bad_request(format!("the body is over {MAX_BODY} bytes")))?;
        save::save_step(&console, &staff, step, &body).await
    }
    .await;
    match outcome {
        Ok(done) => {
            console
                .finish(&staff, ACTION, &target, None, Ok(done))
                .await
        }
        Err(Refusal::Api(error)) => {
            console
                .finish(&staff, ACTION, &target, None, Err(error))
                .await
        }
        Err(Refusal::Fields { message, response }) => {
            let audited = ApiError::new(StatusCode::BAD_REQUEST, "invalid_settings", message);
            console
                .record(&staff, ACTION, &target, None, Err(&audited))
                .await;
            Ok(response)
        }
    }
}

/// The step's checks, run now by the tenant's doctor (no probe Case is written).
pub(super) async fn run_checks(
    console: &Console,
    staff: &Staff,
    step: Step,
    lang: Lang,
) -> Result<Value, ApiError> {
    let sources = &console.setup;
    let config = sources.directory.config();
    let tenant = tenant_config(&config, staff).ok_or_else(no_crm_setup)?;
    let checks = if step.is_crm() {
        match crm_of(sources, staff).and_then(|c| c.doctor.clone()) {
            Some(doctor) => {
                let request = DoctorRequest {
                    write_probe: false,
                    links: Ok(Some(console.accounts.store.clone())),
                    scope: step.doctor_scope(),
                };
                doctor.checks(&tenant.id, &request).await
            }
            None => Vec::new(),
        }
    } else {
        match &config.telephony {
            Some(telephony) => {
                callbridge_telephony::doctor::check_tenant(telephony, tenant.id.as_str()).await
            }
            None => Vec::new(),
        }
    };
    let checks = steps::checks_of(step, checks);
    Ok(steps::checks_json(step, &checks, lang))
}

/// `GET /api/v1/console/setup/schema`: the configured tables as the CRM's schema holds them.
async fn schema(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let setup = crm_of(&console.setup, &staff)
        .and_then(|c| c.setup.clone())
        .ok_or_else(no_crm_setup)?;
    let view = setup.schema().await.map_err(|e| crm_unavailable(&e))?;
    let body = serde_json::to_value(&view).map_err(ApiError::internal)?;
    Ok(json(StatusCode::OK, body))
}

/// `GET /api/v1/console/setup/schema/tables`: the tables of the tenant's CRM an admin could
/// search callers in, read now (a second request reads again).
async fn table_choices(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let setup = crm_of(&console.setup, &staff)
        .and_then(|c| c.setup.clone())
        .ok_or_else(no_crm_setup)?;
    let choices = setup
        .lookup_table_choices()
        .await
        .map_err(|e| crm_unavailable(&e))?;
    let body = serde_json::to_value(&choices).map_err(ApiError::internal)?;
    Ok(json(StatusCode::OK, body))
}

/// `GET /api/v1/console/setup/schema/tables/{table}`: one table of the tenant's CRM, named by
/// the admin, with every column, read now.
async fn describe_table(
    State(console): State<Arc<Console>>,
    Path(table): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let setup = crm_of(&console.setup, &staff)
        .and_then(|c| c.setup.clone())
        .ok_or_else(no_crm_setup)?;
    match setup.describe_table(&table).await {
        Ok(described) => {
            let body = serde_json::to_value(&described).map_err(ApiError::internal)?;
            Ok(json(StatusCode::OK, body))
        }
        Err(DescribeTableError::InvalidName { problem, fix }) => Ok(json(
            StatusCode::BAD_REQUEST,
            json!({"error": {
                "code": "invalid_table",
                "message": format!("table: {problem}; {fix}"),
                "fields": [{"key": "table", "problem": problem, "fix": fix}],
            }}),
        )),
        Err(DescribeTableError::NotFound(message)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_table",
            message,
        )),
        Err(DescribeTableError::Refused(message)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "crm_refused",
            message,
        )),
        Err(DescribeTableError::Crm(e)) => Err(crm_unavailable(&e)),
    }
}

/// The body of `POST /api/v1/console/setup/recording-column`.
fn new_column(body: &[u8]) -> Result<(NewColumn, CrmAdmin), ApiError> {
    let example = r#"{"name": "u_recording_url", "label": "Call recording", "type": "url", "admin_user": "admin", "admin_password": "..."}"#;
    let map: Map<String, Value> = object(body, example)?;
    let known = ["name", "label", "type", "admin_user", "admin_password"];
    if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad_request(format!(
            "unknown field \"{unknown}\"; the fields are: {}",
            known.join(", ")
        )));
    }
    let text = |name: &str| -> Result<String, ApiError> {
        match map.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => Err(bad_request(format!(
                "\"{name}\" is missing; send {example}"
            ))),
            Some(_) => Err(bad_request(format!("\"{name}\" must be a string"))),
        }
    };
    let name = text("name")?.trim().to_string();
    let label = text("label")?.trim().to_string();
    let kind = match text("type")?.as_str() {
        "url" => NewColumnKind::Url,
        "string_full_utf8" => NewColumnKind::FullUtf8String,
        other => {
            return Err(bad_request(format!(
                "\"type\" is {other:?}; it must be url or string_full_utf8"
            )))
        }
    };
    Ok((
        NewColumn { name, label, kind },
        CrmAdmin {
            user: text("admin_user")?.trim().to_string(),
            password: text("admin_password")?,
        },
    ))
}

/// `POST /api/v1/console/setup/recording-column`: creates the recording-link column on the
/// Case table with the instance admin's sign-in given (used for this request only, never
/// kept or logged). Audited as `setup.recording_column`.
async fn create_recording_column(
    State(console): State<Arc<Console>>,
    request: Request<Body>,
) -> Answer {
    let action = "setup.recording_column";
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            action,
            "crm:case",
        )
        .await?;
    let body = axum::body::to_bytes(request.body, MAX_BODY).await;
    let parsed = body
        .map_err(|_| bad_request(format!("the body is over {MAX_BODY} bytes")))
        .and_then(|b| new_column(&b));
    let target = match &parsed {
        Ok((column, _)) => format!("crm:case.{}", column.name),
        Err(_) => "crm:case".to_string(),
    };
    let setup = crm_of(&console.setup, &staff).and_then(|c| c.setup.clone());
    let outcome = async {
        let (column, admin) = parsed?;
        let setup = setup.ok_or_else(no_crm_setup)?;
        match setup.create_recording_column(&admin, &column).await {
            Ok(created) => Ok(Done {
                detail: format!(
                    "created the column {} ({}) on the Case table, signed in to the CRM as {}",
                    created.name, created.kind, admin.user
                ),
                response: json(
                    StatusCode::CREATED,
                    json!({"column": serde_json::to_value(&created).map_err(ApiError::internal)?}),
                ),
            }),
            Err(CreateColumnError::Invalid(m)) => Err(bad_request(m)),
            Err(CreateColumnError::NotAllowed(m)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "crm_refused",
                m,
            )),
            Err(CreateColumnError::Exists(m)) => {
                Err(ApiError::new(StatusCode::CONFLICT, "column_exists", m))
            }
            Err(CreateColumnError::Crm(e)) => Err(crm_unavailable(&e)),
        }
    }
    .await;
    console.finish(&staff, action, &target, None, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_new_column_body_needs_every_field_and_a_known_type() {
        let body = br#"{"name": "u_rec", "label": "Rec", "type": "string_full_utf8", "admin_user": " admin ", "admin_password": "pw"}"#;
        let (column, admin) = new_column(body).unwrap();
        assert_eq!(column.kind, NewColumnKind::FullUtf8String);
        assert_eq!(
            (admin.user.as_str(), admin.password.as_str()),
            ("admin", "pw")
        );
        let e = new_column(br#"{"name": "u_rec", "label": "Rec", "type": "text", "admin_user": "a", "admin_password": "p"}"#).unwrap_err();
        assert!(
            e.message.contains("url or string_full_utf8"),
            "{}",
            e.message
        );
        let e = new_column(br#"{"name": "u_rec"}"#).unwrap_err();
        assert!(e.message.contains("\"label\" is missing"), "{}", e.message);
        let e = new_column(br#"{"name": "u_rec", "colour": 1}"#).unwrap_err();
        assert!(
            e.message.contains("unknown field \"colour\""),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_recording_store_shows_no_secret_and_the_policy_for_its_keys() {
        let s3 = RecordingStorage::S3 {
            bucket: "calls".into(),
            region: "eu-west-1".into(),
            endpoint: None,
            credentials: S3Credentials::AccessKey {
                id: "AKIAEXAMPLE".into(),
                secret: callbridge_kernel::Secret::new("very-secret".to_string()),
            },
            prefix: "rec".into(),
        };
        let shown = recordings_json(&s3, "acme");
        assert!(!shown.to_string().contains("very-secret"));
        assert_eq!(shown["secret_access_key_set"], true);
        assert_eq!(shown["access_key_id"], "AKIAEXAMPLE");
        assert_eq!(
            shown["iam_policy"]["Statement"][0]["Resource"],
            "arn:aws:s3:::calls/rec/acme/*"
        );
        let local = recordings_json(
            &RecordingStorage::Local {
                root: PathBuf::from("/var/rec"),
            },
            "acme",
        );
        assert_eq!(local, json!({"kind": "local", "path": "/var/rec"}));
    }
}
