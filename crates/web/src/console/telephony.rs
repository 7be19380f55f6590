//! The "Numbers & queues" routes: the tenant's numbers, queues with their treatments, agents'
//! queues and music / announcement files (`docs/console-api.md`, "Numbers & queues").
//!
//! Reading shows the effective settings of any tenant. Saving is for a tenant kept in the store:
//! the section `[tenant.telephony]` is rebuilt from the request (its allowed sources, trunk and
//! recordings stay as they are), saved through the tenant directory (the configuration's own
//! reader checks it, a stale version is a conflict) and applied live
//! (`TelephonyHandle::reconfigure`). Uploads are checked (`callbridge_telephony::prompt_file`) and
//! kept beside the configuration (`prompt_library`); a queue then names one by its id.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get};
use axum::Router;
use callbridge_config::telephony::{TenantTelephony, Unserved, WaitingTreatment};
use callbridge_config::toml_edit::{self, Array, ArrayOfTables, Item, Table};
use callbridge_config::{TenantConfig, TenantSource};
use callbridge_core::TenantId;
use callbridge_integration::tenants::{TenantDirectory, TenantError};
use callbridge_telephony::prompt_file::{PromptKind, MAX_BYTES};
use callbridge_telephony::prompt_library::{AddError, StoredPrompt};
use callbridge_telephony::TelephonyHandle;
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::Need;
use super::input::bad_request;
use super::{json, Answer, Console, Done, Incoming, Staff};
use crate::account::ApiError;

/// What the routes need besides the console's own: running telephony and the tenants.
#[derive(Clone)]
pub struct TelephonySources {
    pub handle: TelephonyHandle,
    pub directory: Arc<TenantDirectory>,
}

pub fn router() -> Router<Arc<Console>> {
    Router::new()
        .route("/api/v1/console/telephony", get(overview).put(save))
        .route(
            "/api/v1/console/telephony/prompts",
            get(list_prompts).post(upload),
        )
        .route(
            "/api/v1/console/telephony/prompts/{id}",
            delete(delete_prompt),
        )
}

fn no_telephony() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_telephony",
        "this server runs without telephony (no [telephony] section in its configuration file)",
    )
}

impl Console {
    fn telephony(&self) -> Result<&TelephonySources, ApiError> {
        self.telephony.as_ref().ok_or_else(no_telephony)
    }
}

fn waiting_word(w: WaitingTreatment) -> &'static str {
    match w {
        WaitingTreatment::Ringback => "ringback",
        WaitingTreatment::Music => "music",
    }
}

fn unserved_word(u: Unserved) -> &'static str {
    match u {
        Unserved::Busy => "busy",
        Unserved::Announcement => "announcement",
        Unserved::HangUp => "hang_up",
    }
}

/// A prompt as a queue names it: an upload's id when the path is one of the tenant's uploads,
/// otherwise the path (a file the configuration names).
fn prompt_name(
    path: Option<&std::path::Path>,
    base: &std::path::Path,
    tenant: &str,
) -> Option<String> {
    let path = path?;
    let uploads = base
        .join(callbridge_telephony::prompt_library::MEDIA_DIR)
        .join(tenant);
    match path.strip_prefix(&uploads) {
        Ok(rest) if rest.extension().is_some_and(|e| e == "wav") => rest
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string),
        _ => Some(path.display().to_string()),
    }
}

fn source_json(tenant: &TenantConfig) -> Value {
    match &tenant.source {
        TenantSource::File { path } => json!({
            "kind": "file",
            "file": path,
            "editable": false,
            "note": format!("set in {path}; change it there and restart"),
        }),
        TenantSource::Store { version } => json!({
            "kind": "store",
            "version": version,
            "editable": true,
        }),
    }
}

fn telephony_json(t: &TenantTelephony, base: &std::path::Path) -> Value {
    let tenant = t.tenant.as_str();
    json!({
        "allowed_sources": t.allowed_sources.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "numbers": t.numbers.iter().map(|n| json!({
            "did": n.number.as_str(),
            "queue": n.queue.as_str(),
        })).collect::<Vec<_>>(),
        "queues": t.queues.iter().map(|q| json!({
            "id": q.id.as_str(),
            "ring_timeout_secs": q.ring_timeout.as_secs(),
            "waiting": waiting_word(q.waiting),
            "music": prompt_name(q.music.as_deref(), base, tenant),
            "announcement": prompt_name(q.announcement.as_deref(), base, tenant),
            "max_waiting": q.max_waiting,
            "max_wait_secs": q.max_wait.as_secs(),
            "overflow": unserved_word(q.overflow),
            "no_agent": unserved_word(q.no_agent),
            "wrap_up_secs": q.wrap_up.as_secs(),
            "service_level_secs": q.service_level.as_secs(),
        })).collect::<Vec<_>>(),
        "agents": t.agents.iter().map(|a| json!({
            "name": a.name,
            "queues": a.queues.iter().map(|q| q.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn prompt_json(p: &StoredPrompt) -> Value {
    json!({
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "seconds": (p.millis as f64) / 1000.0,
        "bytes": p.bytes,
        "uploaded_at": p.uploaded_at,
        "uploaded_by": p.uploaded_by,
    })
}

async fn overview(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let sources = console.telephony()?;
    let config = sources.directory.config();
    let tenant = config
        .tenants
        .iter()
        .find(|t| t.id.as_str() == staff.tenant)
        .ok_or_else(|| ApiError::internal("the signed-in tenant is not configured"))?;
    let settings = config
        .telephony
        .as_ref()
        .and_then(|t| t.tenant(&tenant.id))
        .map(|t| telephony_json(t, &config.dir));
    let prompts = sources
        .handle
        .prompts()
        .list(&staff.tenant)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        json!({
            "source": source_json(tenant),
            "telephony": settings,
            "prompts": prompts.iter().map(prompt_json).collect::<Vec<_>>(),
        }),
    ))
}

async fn list_prompts(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let prompts = console
        .telephony()?
        .handle
        .prompts()
        .list(&staff.tenant)
        .await
        .map_err(ApiError::internal)?;
    Ok(json(
        StatusCode::OK,
        json!({"prompts": prompts.iter().map(prompt_json).collect::<Vec<_>>()}),
    ))
}

/// `?kind=music|announcement&name=<file name>`.
fn upload_query(query: Option<String>) -> Result<(PromptKind, String), ApiError> {
    let mut kind = None;
    let mut name = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "kind" => {
                kind = Some(match value.as_ref() {
                    "music" => PromptKind::Music,
                    "announcement" => PromptKind::Announcement,
                    other => {
                        return Err(bad_request(format!(
                        "kind={other:?} is not a prompt kind; use kind=music or kind=announcement"
                    )))
                    }
                })
            }
            "name" => name = Some(value.trim().to_string()),
            other => {
                return Err(bad_request(format!(
                    "unknown parameter {other:?}; the parameters are kind and name"
                )))
            }
        }
    }
    let kind = kind.ok_or_else(|| {
        bad_request("say what the file is for: ?kind=music or ?kind=announcement")
    })?;
    let name = name.filter(|n| !n.is_empty()).ok_or_else(|| {
        bad_request("give the file's name: ?name=hold-music.wav (shown in the console)")
    })?;
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(bad_request(
            "the name is over 200 characters or holds control characters; give a short file name",
        ));
    }
    Ok((kind, name))
}

async fn upload(
    State(console): State<Arc<Console>>,
    RawQuery(query): RawQuery,
    request: Request<Body>,
) -> Answer {
    const ACTION: &str = "telephony.prompt_upload";
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            ACTION,
            "prompts",
        )
        .await?;
    let outcome = async {
        let sources = console.telephony()?;
        let (kind, name) = upload_query(query)?;
        let bytes = axum::body::to_bytes(request.body, MAX_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_big",
                    format!(
                        "the file is over {MAX_BYTES} bytes; 8 kHz 16-bit mono is 16 kB a second: \
                         {}",
                        callbridge_telephony::prompt_file::CONVERT
                    ),
                )
            })?;
        let stored = sources
            .handle
            .prompts()
            .add(&staff.tenant, kind, &name, bytes.to_vec(), &staff.user)
            .await
            .map_err(|e| match e {
                AddError::Invalid(why) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_prompt",
                    format!("{why}; {}", why.fix()),
                ),
                AddError::Io(e) => ApiError::internal(e),
            })?;
        Ok(Done {
            detail: format!(
                "{} {:?} kept as {} ({:.1} s)",
                kind.as_str(),
                stored.name,
                stored.id,
                stored.millis as f64 / 1000.0
            ),
            response: json(StatusCode::CREATED, json!({"prompt": prompt_json(&stored)})),
        })
    }
    .await;
    console
        .finish(&staff, ACTION, "prompts", None, outcome)
        .await
}

// ----- saving ----------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    version: i64,
    /// Carriers' addresses; left out: the ones the tenant has.
    allowed_sources: Option<Vec<String>>,
    numbers: Vec<NumberIn>,
    queues: Vec<QueueIn>,
    agents: Vec<AgentIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberIn {
    did: String,
    queue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueIn {
    id: String,
    ring_timeout_secs: Option<i64>,
    waiting: Option<String>,
    music: Option<String>,
    announcement: Option<String>,
    max_waiting: Option<i64>,
    max_wait_secs: Option<i64>,
    overflow: Option<String>,
    no_agent: Option<String>,
    wrap_up_secs: Option<i64>,
    service_level_secs: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentIn {
    name: String,
    queues: Vec<String>,
}

const EXAMPLE: &str = r#"{"version": 3, "numbers": [{"did": "+81312345000", "queue": "support"}], "queues": [{"id": "support", "waiting": "music", "music": "music-<id>"}], "agents": [{"name": "alice", "queues": ["support"]}]}"#;

/// The text a queue's `music` or `announcement` gets: an upload's reference for an upload id,
/// otherwise the value as given (a path the reader checks like any other). A path to a file
/// that exists but cannot be played is refused here, as a field error at `key`.
async fn prompt_value(
    sources: &TelephonySources,
    tenant: &str,
    given: &str,
    kind: PromptKind,
    key: &str,
) -> Result<String, Refusal> {
    let looks_uploaded = given.starts_with("music-") || given.starts_with("announcement-");
    if !looks_uploaded {
        let path = sources.directory.config().dir.join(given);
        if path.is_file() {
            if let Err(problem) = callbridge_telephony::prompt_file::playable(&path) {
                return Err(field_refusal(
                    key,
                    problem,
                    format!(
                        "give a 16-bit PCM WAV file, or upload one: {}",
                        callbridge_telephony::prompt_file::CONVERT
                    ),
                ));
            }
        }
        return Ok(given.to_string());
    }
    match sources
        .handle
        .prompts()
        .get(tenant, given)
        .await
        .map_err(ApiError::internal)?
    {
        Some(p) if p.kind == kind => Ok(p.reference),
        Some(_) => Err(Refusal::Api(bad_request(format!(
            "{given} was uploaded as another kind of file; upload it as kind={}",
            kind.as_str()
        )))),
        None => Err(Refusal::Api(bad_request(format!(
            "your tenant has no uploaded file {given}; upload it first (POST \
             /api/v1/console/telephony/prompts) or choose one GET \
             /api/v1/console/telephony/prompts lists"
        )))),
    }
}

/// The `[tenant.telephony]` table: `current` with its `number`, `queue` and `agent` arrays
/// (and `allowed_sources`, when the request has them) replaced by the request's.
async fn section(
    sources: &TelephonySources,
    tenant: &str,
    current: Option<Table>,
    settings: &Settings,
) -> Result<Table, Refusal> {
    let mut table = current.unwrap_or_default();
    table.set_implicit(false);
    for key in ["number", "queue", "agent"] {
        table.remove(key);
    }
    if let Some(sources) = &settings.allowed_sources {
        let mut list = Array::new();
        for source in sources {
            list.push(source.as_str());
        }
        table.insert("allowed_sources", toml_edit::value(list));
    }
    let mut numbers = ArrayOfTables::new();
    for n in &settings.numbers {
        let mut t = Table::new();
        t.insert("did", toml_edit::value(n.did.as_str()));
        t.insert("queue", toml_edit::value(n.queue.as_str()));
        numbers.push(t);
    }
    let mut queues = ArrayOfTables::new();
    for (index, q) in settings.queues.iter().enumerate() {
        let mut t = Table::new();
        t.insert("id", toml_edit::value(q.id.as_str()));
        let integers = [
            ("ring_timeout_secs", q.ring_timeout_secs),
            ("max_waiting", q.max_waiting),
            ("max_wait_secs", q.max_wait_secs),
            ("wrap_up_secs", q.wrap_up_secs),
            ("service_level_secs", q.service_level_secs),
        ];
        for (key, value) in integers {
            if let Some(v) = value {
                t.insert(key, toml_edit::value(v));
            }
        }
        for (key, value) in [
            ("waiting", &q.waiting),
            ("overflow", &q.overflow),
            ("no_agent", &q.no_agent),
        ] {
            if let Some(v) = value {
                t.insert(key, toml_edit::value(v.as_str()));
            }
        }
        for (key, value, kind) in [
            ("music", &q.music, PromptKind::Music),
            ("announcement", &q.announcement, PromptKind::Announcement),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                let at = format!("telephony.queue[{index}].{key}");
                let text = prompt_value(sources, tenant, v, kind, &at).await?;
                t.insert(key, toml_edit::value(text));
            }
        }
        queues.push(t);
    }
    let mut agents = ArrayOfTables::new();
    for a in &settings.agents {
        let mut t = Table::new();
        t.insert("name", toml_edit::value(a.name.as_str()));
        let mut list = Array::new();
        for q in &a.queues {
            list.push(q.as_str());
        }
        t.insert("queues", toml_edit::value(list));
        agents.push(t);
    }
    if !numbers.is_empty() {
        table.insert("number", Item::ArrayOfTables(numbers));
    }
    if !queues.is_empty() {
        table.insert("queue", Item::ArrayOfTables(queues));
    }
    if !agents.is_empty() {
        table.insert("agent", Item::ArrayOfTables(agents));
    }
    Ok(table)
}

/// The tenant's current `[tenant.telephony]` table in its stored text.
fn current_section(text: &str) -> Option<Table> {
    let document: toml_edit::DocumentMut = text.parse().ok()?;
    document
        .get("tenant")?
        .as_array_of_tables()?
        .get(0)?
        .get("telephony")?
        .as_table()
        .cloned()
}

/// The queues whose music or announcement plays `path`, as people name them: `queue front
/// (music)`, and for another tenant's queue `tenant acme, queue front (music)`.
fn queues_playing(
    telephony: Option<&callbridge_config::telephony::TelephonyConfig>,
    own: &str,
    path: &std::path::Path,
) -> Vec<String> {
    let mut users = Vec::new();
    for t in telephony.iter().flat_map(|t| t.tenants.iter()) {
        for q in &t.queues {
            for (what, plays) in [("music", &q.music), ("announcement", &q.announcement)] {
                if plays.as_deref() == Some(path) {
                    users.push(if t.tenant.as_str() == own {
                        format!("queue {} ({what})", q.id)
                    } else {
                        format!("tenant {}, queue {} ({what})", t.tenant, q.id)
                    });
                }
            }
        }
    }
    users
}

/// `DELETE /api/v1/console/telephony/prompts/{id}`: removes an upload no queue plays (its file
/// and facts). Audited as `telephony.prompt_delete` on `prompt:<id>`.
async fn delete_prompt(
    State(console): State<Arc<Console>>,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Answer {
    const ACTION: &str = "telephony.prompt_delete";
    let request = Incoming::of(request);
    let target = format!("prompt:{id}");
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
        let sources = console.telephony()?;
        let library = sources.handle.prompts();
        let not_found = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_prompt",
                format!("your tenant has no upload {id:?}; GET /api/v1/console/telephony/prompts lists them"),
            )
        };
        let prompt = library
            .get(&staff.tenant, &id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(not_found)?;
        let config = sources.directory.config();
        let users = queues_playing(
            config.telephony.as_ref(),
            &staff.tenant,
            &library.path_of(&prompt),
        );
        if !users.is_empty() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "prompt_in_use",
                format!(
                    "{} ({}) is still played by {}; choose another file for {} on Numbers & \
                     queues and save, then delete it",
                    prompt.name,
                    prompt.id,
                    users.join(", "),
                    if users.len() == 1 { "it" } else { "them" },
                ),
            ));
        }
        let removed = library
            .remove(&staff.tenant, &id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(not_found)?;
        Ok(Done {
            detail: format!("{} {:?} deleted", removed.kind.as_str(), removed.name),
            response: json(StatusCode::OK, json!({"prompt": prompt_json(&removed)})),
        })
    }
    .await;
    console.finish(&staff, ACTION, &target, None, outcome).await
}

/// Why a save was not made: an answer of the usual shape, or field errors.
#[derive(Debug)]
pub(crate) enum Refusal {
    Api(ApiError),
    /// The configuration's reader found mistakes: each with its key below the tenant.
    Fields {
        message: String,
        response: Response,
    },
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Refusal {
        Refusal::Api(error)
    }
}

/// One field error, answered as the reader's are.
pub(crate) fn field_refusal(key: &str, problem: String, fix: String) -> Refusal {
    let message = format!("{key}: {problem}; {fix}");
    let response = json(
        StatusCode::BAD_REQUEST,
        json!({"error": {
            "code": "invalid_settings",
            "message": message,
            "fields": [{"key": key, "problem": problem, "fix": fix}],
        }}),
    );
    Refusal::Fields { message, response }
}

/// The answer to a save the directory refused.
pub(crate) fn refused(error: TenantError) -> Refusal {
    let conflict = |code| ApiError::new(StatusCode::CONFLICT, code, error.to_string());
    match &error {
        TenantError::FromFile { .. } => Refusal::Api(conflict("read_only")),
        TenantError::VersionConflict { .. } => Refusal::Api(conflict("version_conflict")),
        TenantError::Unknown(_) => Refusal::Api(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_tenant",
            error.to_string(),
        )),
        TenantError::Invalid(errors) => {
            // Keys inside the tenant's text start `tenant[0].`; the page's fields are below it.
            let fields: Vec<Value> = errors
                .all()
                .iter()
                .map(|e| {
                    json!({
                        "key": e.key.strip_prefix("tenant[0].").unwrap_or(&e.key),
                        "problem": e.problem,
                        "fix": e.fix,
                    })
                })
                .collect();
            let first = errors.first();
            let message = format!(
                "{}: {}; {}",
                first.key.strip_prefix("tenant[0].").unwrap_or(&first.key),
                first.problem,
                first.fix
            );
            let response = json(
                StatusCode::BAD_REQUEST,
                json!({"error": {
                    "code": "invalid_settings",
                    "message": message,
                    "fields": fields,
                }}),
            );
            Refusal::Fields { message, response }
        }
        _ => Refusal::Api(ApiError::internal(error)),
    }
}

async fn save(State(console): State<Arc<Console>>, request: Request<Body>) -> Answer {
    const ACTION: &str = "telephony.save";
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            ACTION,
            "telephony",
        )
        .await?;
    match save_settings(&console, &staff, request.body).await {
        Ok(done) => {
            console
                .finish(&staff, ACTION, "telephony", None, Ok(done))
                .await
        }
        Err(Refusal::Api(error)) => {
            console
                .finish(&staff, ACTION, "telephony", None, Err(error))
                .await
        }
        Err(Refusal::Fields { message, response }) => {
            let audited = ApiError::new(StatusCode::BAD_REQUEST, "invalid_settings", message);
            console
                .record(&staff, ACTION, "telephony", None, Err(&audited))
                .await;
            Ok(response)
        }
    }
}

async fn save_settings(console: &Console, staff: &Staff, body: Body) -> Result<Done, Refusal> {
    let sources = console.telephony()?;
    let bytes = axum::body::to_bytes(body, 256 * 1024)
        .await
        .map_err(|_| bad_request("the body is over 262144 bytes"))?;
    let settings: Settings = serde_json::from_slice(&bytes).map_err(|e| {
        bad_request(format!(
            "the body is not the settings ({e}); send JSON like {EXAMPLE}"
        ))
    })?;
    let tenant = TenantId::new(staff.tenant.as_str());
    let draft = sources.directory.load(&tenant).await.map_err(refused)?;
    let table = section(
        sources,
        &staff.tenant,
        current_section(&draft.text),
        &settings,
    )
    .await?;
    let saved = sources
        .directory
        .replace_section(
            &tenant,
            settings.version,
            &["telephony"],
            table,
            Vec::new(),
            &staff.user,
        )
        .await;
    let (version, applied) = match saved {
        Ok(saved) => (saved.version, None),
        Err(TenantError::NotApplied { version, reason }) => (version, Some(reason)),
        Err(e) => return Err(refused(e)),
    };
    let detail = match &applied {
        None => format!(
            "version {version}: {} numbers, {} queues, {} agents; applied",
            settings.numbers.len(),
            settings.queues.len(),
            settings.agents.len()
        ),
        Some(reason) => format!("version {version} saved, not applied until a restart: {reason}"),
    };
    Ok(Done {
        response: json(
            StatusCode::OK,
            json!({
                "version": version,
                "applied": applied.is_none(),
                "not_applied": applied,
            }),
        ),
        detail,
    })
}
