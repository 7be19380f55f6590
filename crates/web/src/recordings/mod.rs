//! The recording page behind every Case's link, `<public_url>/recordings/<call id>`: who may
//! listen (`access.rs`, asked of the CRM with the viewer's own token at every open), the page
//! and refusal pages (`page.rs`), short-lived signed media URLs with Range support (`range.rs`),
//! viewers signed in with the CRM (`viewers.rs`), the listen audit (every open and every media
//! fetch) and retention (`retention.rs`). See `docs/recordings.md`.

mod access;
mod page;
mod range;
mod retention;
mod viewers;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use callbridge_config::{Config, RecordingPolicy, Secret};
use callbridge_integration::linking::Linking;
use callbridge_kernel::ids::CaseRef;
use callbridge_kernel::ticket::{self, Subject, RECORDING_MEDIA};
use callbridge_recording::RecordingStore;
use callbridge_store::{ListenAction, ListenEntry, Role, Store};
use callbridge_telephony::TelephonyHandle;
use parking_lot::RwLock;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::account::Accounts;
use access::{after_crm, first_step, look_further, tenants_to_search, CaseAnswer, Verdict, Viewer};
use page::{language, Audio, CrmChoice, Facts, Lang};
use viewers::{Viewers, SESSION_COOKIE, SESSION_LIFETIME, SIGN_IN_COOKIE, SIGN_IN_TTL};

pub use retention::RETENTION_INTERVAL;

/// Starts the retention task (every [`RETENTION_INTERVAL`]).
pub fn spawn_retention(recordings: Arc<Recordings>) -> tokio::task::JoinHandle<()> {
    retention::spawn(recordings, RETENTION_INTERVAL)
}

/// The pages load their one script and one style sheet from here and nothing else.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// [`PAGE_CSP`] with audio also from `media_origin`, the origin of the tenant's S3 store's
/// presigned URLs (the media URL redirects there): that origin exactly, whether the endpoint
/// is AWS's or an S3-compatible one on plain HTTP. `None` when the origin cannot be a header
/// value (it always can: it is a URL's ASCII serialization).
fn page_csp_with_media(media_origin: &str) -> Option<HeaderValue> {
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         media-src 'self' {media_origin}; connect-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&csp).ok()
}

/// Everything the recording routes share.
pub struct Recordings {
    store: Store,
    linking: Arc<Linking>,
    accounts: Arc<Accounts>,
    telephony: Option<TelephonyHandle>,
    /// Stores given directly (a server without telephony, tests); telephony's come first.
    stores: RwLock<HashMap<String, RecordingStore>>,
    key: Secret,
    /// Swapped per tenant when a tenant kept in the store is saved.
    policies: RwLock<HashMap<String, RecordingPolicy>>,
    tenant_names: RwLock<HashMap<String, String>>,
    viewers: Viewers,
}

impl Recordings {
    pub fn new(
        config: &Config,
        store: Store,
        linking: Arc<Linking>,
        accounts: Arc<Accounts>,
        telephony: Option<TelephonyHandle>,
        key: Secret,
    ) -> Recordings {
        Recordings {
            store,
            linking,
            accounts,
            telephony,
            stores: RwLock::new(HashMap::new()),
            key,
            policies: RwLock::new(
                config
                    .tenants
                    .iter()
                    .map(|t| (t.id.as_str().to_string(), t.recordings))
                    .collect(),
            ),
            tenant_names: RwLock::new(
                config
                    .tenants
                    .iter()
                    .map(|t| (t.id.as_str().to_string(), t.name.clone()))
                    .collect(),
            ),
            viewers: Viewers::default(),
        }
    }

    /// `tenant`'s recording policy and name from now on.
    pub fn replace_tenant(&self, tenant: &callbridge_config::TenantConfig) {
        let id = tenant.id.as_str().to_string();
        self.policies.write().insert(id.clone(), tenant.recordings);
        self.tenant_names.write().insert(id, tenant.name.clone());
    }

    /// Serves `tenant`'s recordings from `store` (when telephony does not run here, or has no
    /// store for the tenant).
    pub fn set_store(&self, tenant: &str, store: RecordingStore) {
        self.stores.write().insert(tenant.to_string(), store);
    }

    fn store_for(&self, tenant: &str) -> Option<RecordingStore> {
        self.telephony
            .as_ref()
            .and_then(|t| t.recording_store(tenant))
            .or_else(|| self.stores.read().get(tenant).cloned())
    }

    fn policy(&self, tenant: &str) -> RecordingPolicy {
        self.policies
            .read()
            .get(tenant)
            .copied()
            .unwrap_or_default()
    }

    /// Whether an OAuth callback's `state` is a viewer sign-in (the callback path is shared with
    /// agents' CRM linking).
    pub fn owns_sign_in(&self, state: &str) -> bool {
        self.viewers.owns(state)
    }

    async fn audit(&self, entry: ListenEntry) {
        if let Err(e) = self.store.audit_listen(&entry).await {
            tracing::error!(call = %entry.call_id, error = %e, "could not write the listen audit");
        }
    }
}

pub fn router(recordings: Arc<Recordings>) -> Router {
    Router::new()
        .route("/recordings/assets/player.js", get(script))
        .route("/recordings/assets/player.css", get(style))
        .route("/recordings/{call}", get(open))
        .route("/recordings/{call}/audio", get(media))
        .with_state(recordings)
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/player.js"),
    )
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/player.css"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

fn html(status: StatusCode, body: String, csp: &'static str) -> Response {
    html_with_csp(status, body, HeaderValue::from_static(csp))
}

fn html_with_csp(status: StatusCode, body: String, csp: HeaderValue) -> Response {
    let mut response = (status, axum::response::Html(body)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

fn refused_page(lang: Lang) -> Response {
    html(StatusCode::FORBIDDEN, page::refused(lang), PAGE_CSP)
}

/// Where a request comes from, for the listen audit: the client's address, behind a trusted
/// proxy too (`crate::client_address`).
fn client(request: &Request) -> String {
    crate::account::client_address(request).to_string()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
}

fn set_cookie(response: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn session_cookie(id: &str, max_age: Duration) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/recordings; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        max_age.as_secs()
    )
}

fn sign_in_cookie(secret: &str, max_age: Duration) -> String {
    format!(
        "{SIGN_IN_COOKIE}={secret}; Path={}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        callbridge_integration::linking::CALLBACK_PATH,
        max_age.as_secs()
    )
}

/// A call id as it may appear in a link: what Callbridge and PBXs use (letters, digits and
/// `-_.:@`), at most 200 characters. Anything else is an unknown call.
fn plausible_call_id(call: &str) -> bool {
    !call.is_empty()
        && call.len() <= 200
        && call
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@".contains(&b))
}

#[derive(Deserialize)]
struct OpenQuery {
    /// The CRM chosen on the "which CRM" page when several sign-ins are possible: any tenant of
    /// the chosen sign-in group.
    tenant: Option<String>,
}

async fn open(
    State(rec): State<Arc<Recordings>>,
    Path(call): Path<String>,
    Query(query): Query<OpenQuery>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let lang = language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let source = client(&request);
    let account = rec.accounts.session_of(&headers).await.ok().flatten();
    let viewer_id = cookie(&headers, SESSION_COOKIE);
    let crm_session = viewer_id.as_deref().and_then(|id| rec.viewers.session(id));
    let viewer = match (&account, &crm_session) {
        (Some(a), _) if matches!(a.view.role, Role::Supervisor | Role::Admin) => Viewer::Account {
            tenant: a.view.tenant.clone(),
            user_name: a.view.user_name.clone(),
            role: a.view.role,
        },
        (_, Some(s)) => Viewer::Crm {
            tenant: s.tenant.clone(),
            user_id: s.crm_user_id.clone(),
            user_name: s.crm_user_name.clone(),
        },
        (Some(a), None) => Viewer::Account {
            tenant: a.view.tenant.clone(),
            user_name: a.view.user_name.clone(),
            role: a.view.role,
        },
        (None, None) => Viewer::Anonymous,
    };
    let entry = |tenant: &str, allowed: bool, reason: String| ListenEntry {
        tenant: tenant.to_string(),
        call_id: call.clone(),
        at: OffsetDateTime::now_utc(),
        action: ListenAction::Open,
        viewer: viewer.shown(),
        crm_user_id: viewer.crm_user_id(),
        source: source.clone(),
        allowed,
        reason,
    };
    if !plausible_call_id(&call) {
        let tenant = viewer.tenant().unwrap_or_default().to_string();
        rec.audit(entry(&tenant, false, "not a call id".into()))
            .await;
        return refused_page(lang);
    }
    let mut verdict = first_step(&viewer);
    // The tenant the open concerns: a staff session's own; for a viewer signed in with the CRM,
    // the tenant of their sign-in group whose Case the CRM was asked about.
    let mut tenant = viewer.tenant().unwrap_or_default().to_string();
    if verdict == Verdict::AskCrm {
        let Some(session) = &crm_session else {
            return refused_page(lang);
        };
        let (answer, asked) = rec.ask_crm(session, &call).await;
        tenant = asked;
        if answer == CaseAnswer::TokenRefused {
            if let Some(id) = &viewer_id {
                rec.viewers.end_session(id);
            }
        }
        verdict = after_crm(&answer);
    }
    match verdict {
        Verdict::SignIn => {
            // Tenants sharing one CRM sign-in are one choice: a viewer signed in through any of
            // them may open the calls of all of them.
            let groups = rec.linking.sign_in_groups();
            let chosen = match (&query.tenant, groups.as_slice()) {
                (Some(t), _) if groups.iter().any(|g| g.tenants.contains(t)) => Some(t.clone()),
                (_, [only]) => only.tenants.first().cloned(),
                _ => None,
            };
            let Some(tenant) = chosen else {
                // Several sign-ins (or none): the viewer picks; nothing here depends on the call.
                rec.audit(entry(
                    "",
                    false,
                    "not signed in; asked which CRM to sign in with".into(),
                ))
                .await;
                let names = rec.tenant_names.read().clone();
                let choices: Vec<CrmChoice> = groups
                    .iter()
                    .filter_map(|group| {
                        let first = group.tenants.first()?;
                        Some(CrmChoice {
                            href: format!("/recordings/{call}?tenant={first}"),
                            tenant_names: group
                                .tenants
                                .iter()
                                .map(|t| names.get(t).cloned().unwrap_or_else(|| t.clone()))
                                .collect(),
                            crm_name: group.crm_name.clone(),
                        })
                    })
                    .collect();
                return html(StatusCode::OK, page::choose_crm(lang, &choices), PAGE_CSP);
            };
            rec.audit(entry(
                &tenant,
                false,
                "not signed in; sent to sign in with the CRM".into(),
            ))
            .await;
            rec.start_sign_in(&tenant, &call, lang)
        }
        Verdict::Refuse(reason) => {
            rec.audit(entry(&tenant, false, reason.into())).await;
            refused_page(lang)
        }
        Verdict::Unavailable(why) => {
            rec.audit(entry(
                &tenant,
                false,
                format!("the CRM could not be asked: {why}"),
            ))
            .await;
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                page::unavailable(lang),
                PAGE_CSP,
            )
        }
        Verdict::AskCrm => refused_page(lang),
        Verdict::Allow(reason) => match rec.recording_page(&tenant, &call, &viewer, lang).await {
            Ok(Some(response)) => {
                rec.audit(entry(&tenant, true, reason.into())).await;
                response
            }
            Ok(None) => {
                rec.audit(entry(&tenant, false, "unknown call".into()))
                    .await;
                refused_page(lang)
            }
            Err(e) => {
                tracing::error!(call = %call, error = %e, "recording page failed");
                rec.audit(entry(&tenant, false, format!("server error: {e}")))
                    .await;
                html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    page::unavailable(lang),
                    PAGE_CSP,
                )
            }
        },
    }
}

impl Recordings {
    /// Asks the CRM, with the viewer's own token, whether they may read the call's Case: in
    /// each tenant of the viewer's sign-in group (as configured now) that has a Case recorded
    /// for the call, the tenant signed in with first, until one is readable. The answer, and the
    /// tenant it concerns (the one signed in with when no tenant has a Case).
    async fn ask_crm(&self, session: &viewers::ViewerSession, call: &str) -> (CaseAnswer, String) {
        let group = self.linking.sign_in_group_of(&session.tenant);
        let call_id = callbridge_kernel::ids::CallId::new(call);
        let mut answer = (CaseAnswer::NoCase, session.tenant.clone());
        for tenant in tenants_to_search(
            &session.tenant,
            group.as_ref().map(|g| g.tenants.as_slice()),
        ) {
            let asked = self
                .ask_tenant(&tenant, &session.access_token, &call_id)
                .await;
            if asked == CaseAnswer::NoCase {
                continue;
            }
            let further = look_further(&asked);
            answer = (asked, tenant);
            if !further {
                break;
            }
        }
        answer
    }

    /// Asks `tenant`'s CRM, with `access_token`, whether its user may read the Case recorded
    /// for the call in that tenant.
    async fn ask_tenant(
        &self,
        tenant: &str,
        access_token: &str,
        call: &callbridge_kernel::ids::CallId,
    ) -> CaseAnswer {
        let case = match self.store.case_for_call(tenant, call).await {
            Ok(Some(case)) => case,
            Ok(None) => return CaseAnswer::NoCase,
            Err(e) => return CaseAnswer::Unavailable(e.to_string()),
        };
        let Some(crm) = self.linking.account_linking(tenant) else {
            return CaseAnswer::Unavailable("the tenant's CRM signs nobody in".into());
        };
        let tenant = callbridge_core::TenantId::new(tenant);
        match crm.may_read_case_as(&tenant, access_token, &case).await {
            Ok(true) => CaseAnswer::Readable,
            Ok(false) => CaseAnswer::NotReadable,
            Err(callbridge_crm::CrmError::RelinkRequired) => CaseAnswer::TokenRefused,
            Err(e) => CaseAnswer::Unavailable(e.to_string()),
        }
    }

    fn start_sign_in(&self, tenant: &str, call: &str, lang: Lang) -> Response {
        let Some(crm) = self.linking.account_linking(tenant) else {
            return html(
                StatusCode::SERVICE_UNAVAILABLE,
                page::unavailable(lang),
                PAGE_CSP,
            );
        };
        let authorization = match crm.authorize(
            &callbridge_core::TenantId::new(tenant),
            self.linking.redirect_uri(),
        ) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(tenant, error = %e, "could not start a viewer's CRM sign-in");
                return html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    page::unavailable(lang),
                    PAGE_CSP,
                );
            }
        };
        let secret = self.viewers.start(
            authorization.state.clone(),
            tenant,
            call,
            authorization.verifier.clone(),
        );
        let mut response = (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, authorization.url.clone())],
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        set_cookie(&mut response, sign_in_cookie(&secret, SIGN_IN_TTL));
        response
    }

    /// The CRM's answer to a viewer's sign-in (routed here by the shared OAuth callback).
    pub async fn sign_in_callback(
        &self,
        headers: &HeaderMap,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
    ) -> Response {
        let lang = language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let browser = cookie(headers, SIGN_IN_COOKIE);
        let mut response = self
            .finish_sign_in(state, code, error, browser.as_deref(), lang)
            .await;
        set_cookie(&mut response, sign_in_cookie("", Duration::ZERO));
        response
    }

    async fn finish_sign_in(
        &self,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
        browser: Option<&str>,
        lang: Lang,
    ) -> Response {
        let Some(pending) = self.viewers.finish(state, browser) else {
            // Another browser, or too late: open the recording link again.
            return refused_page(lang);
        };
        let (Some(code), None) = (code, error) else {
            return refused_page(lang);
        };
        let Some(crm) = self.linking.account_linking(&pending.tenant) else {
            return refused_page(lang);
        };
        let tenant = callbridge_core::TenantId::new(pending.tenant.clone());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let signed = async {
            let tokens = crm
                .exchange_code(
                    &tenant,
                    code,
                    self.linking.redirect_uri(),
                    &pending.verifier,
                    now,
                )
                .await?;
            let user = crm.current_user(&tenant, &tokens.access_token).await?;
            Ok::<_, callbridge_crm::CrmError>((tokens, user))
        }
        .await;
        let (tokens, user) = match signed {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(tenant = %pending.tenant, error = %e, "a viewer's CRM sign-in failed");
                return html(StatusCode::BAD_GATEWAY, page::unavailable(lang), PAGE_CSP);
            }
        };
        // The session ends with the access token (the refresh token is not kept).
        let token_life = Duration::from_secs(u64::try_from(tokens.expires_at - now).unwrap_or(0));
        let lifetime = SESSION_LIFETIME.min(token_life);
        let id = self.viewers.open_session(
            &pending.tenant,
            user.id,
            user.user_name,
            tokens.access_token,
            lifetime,
        );
        let mut response = (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/recordings/{}", pending.call))],
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        set_cookie(&mut response, session_cookie(&id, lifetime));
        response
    }

    /// The page for an allowed viewer; `None` when the tenant knows nothing of the call.
    async fn recording_page(
        &self,
        tenant: &str,
        call: &str,
        viewer: &Viewer,
        lang: Lang,
    ) -> anyhow::Result<Option<Response>> {
        let call_id = callbridge_kernel::ids::CallId::new(call);
        let case = self.store.case_for_call(tenant, &call_id).await?;
        let record = self.store.call_record(tenant, call).await?;
        let stored = self.store.recording(tenant, call).await?;
        if case.is_none() && record.is_none() && stored.is_none() {
            return Ok(None);
        }
        let facts = self.facts(tenant, viewer, case.as_ref(), record.as_ref());
        let store = self.store_for(tenant);
        let s3 = store.as_ref().is_some_and(|s| s.signer().is_some());
        let audio = match (&stored, &store) {
            (Some(r), _) if r.removed_at.is_some() => Audio::Removed,
            (Some(r), Some(store)) => {
                let peaks = match store.ensure_peaks(&r.object_key).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(call, error = %e, "no waveform for the recording");
                        callbridge_recording::Peaks {
                            version: 1,
                            sample_rate: 8000,
                            frames: 0,
                            frames_per_bucket: 1,
                            left: Vec::new(),
                            right: Vec::new(),
                        }
                    }
                };
                let media_url = self.media_url(
                    tenant,
                    call,
                    viewer,
                    OffsetDateTime::now_utc().unix_timestamp(),
                );
                let download_url = self
                    .policy(tenant)
                    .allow_download
                    .then(|| format!("{media_url}&download=1"));
                Audio::Ready {
                    media_url,
                    download_url,
                    left: peaks.left,
                    right: peaks.right,
                    cross_origin: s3,
                }
            }
            (Some(_), None) => anyhow::bail!("tenant {tenant} has no recording store configured"),
            (None, _) => Audio::Uploading,
        };
        let body = page::recording(lang, &facts, &audio);
        let csp = match (&stored, &store) {
            (Some(r), Some(store)) if s3 && r.removed_at.is_none() => store
                .presigned_origin()
                .await
                .and_then(|origin| page_csp_with_media(&origin)),
            _ => None,
        };
        let csp = csp.unwrap_or(HeaderValue::from_static(PAGE_CSP));
        Ok(Some(html_with_csp(StatusCode::OK, body, csp)))
    }

    fn facts(
        &self,
        tenant: &str,
        viewer: &Viewer,
        case: Option<&CaseRef>,
        record: Option<&callbridge_store::CallRecordRow>,
    ) -> Facts {
        let mut facts = Facts {
            viewer: viewer.shown(),
            ..Facts::default()
        };
        if let Some(r) = record {
            facts.started =
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.started_at) * 1_000_000)
                    .ok()
                    .map(|t| {
                        format!(
                            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                            t.year(),
                            u8::from(t.month()),
                            t.day(),
                            t.hour(),
                            t.minute(),
                            t.second()
                        )
                    });
            facts.inbound = Some(r.direction == "inbound");
            facts.number = Some(r.customer.clone());
            facts.queue = r.queue.clone();
            for agent in [&r.first_agent, &r.last_agent].into_iter().flatten() {
                if !facts.agents.contains(agent) {
                    facts.agents.push(agent.clone());
                }
            }
            facts.duration_secs = Some((r.ended_at - r.started_at).max(0) / 1000);
        }
        if let Some(case) = case {
            facts.case_label = Some(case.label.clone());
            facts.case_url = self.linking.crm_facts(tenant).and_then(|f| {
                let table = f
                    .record_tables
                    .iter()
                    .find(|(role, _)| role == "case")
                    .map(|(_, t)| t.clone())?;
                Some(format!(
                    "{}/{table}.do?sys_id={}",
                    f.instance_url?.trim_end_matches('/'),
                    case.id.as_str()
                ))
            });
        }
        facts
    }

    /// `/recordings/<call>/audio?...`: signed for this call, tenant and viewer, valid five
    /// minutes.
    fn media_url(&self, tenant: &str, call: &str, viewer: &Viewer, now: i64) -> String {
        let who = viewer.shown();
        let uid = viewer.crm_user_id().unwrap_or_default();
        let t = ticket::issue(
            self.key.expose().as_bytes(),
            RECORDING_MEDIA,
            Subject {
                tenant,
                agent: &media_subject(call, &who, &uid),
            },
            now,
        );
        let query =
            serde_urlencoded_pairs(&[("tenant", tenant), ("who", &who), ("uid", &uid), ("t", &t)]);
        format!("/recordings/{call}/audio?{query}")
    }
}

/// What a media ticket signs besides the tenant: the call and the viewer, unambiguously (JSON).
fn media_subject(call: &str, who: &str, uid: &str) -> String {
    serde_json::to_string(&[call, who, uid]).expect("strings serialise")
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize)]
struct MediaQuery {
    tenant: Option<String>,
    who: Option<String>,
    uid: Option<String>,
    t: Option<String>,
    download: Option<String>,
}

/// 403 with an empty body: what an expired, tampered or missing media signature gets.
fn forbidden() -> Response {
    let mut response = StatusCode::FORBIDDEN.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn media(
    State(rec): State<Arc<Recordings>>,
    Path(call): Path<String>,
    Query(q): Query<MediaQuery>,
    request: Request,
) -> Response {
    let source = client(&request);
    let tenant = q.tenant.unwrap_or_default();
    let who = q.who.unwrap_or_default();
    let uid = q.uid.unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let entry = |allowed: bool, reason: String| ListenEntry {
        tenant: tenant.clone(),
        call_id: call.clone(),
        at: now,
        action: ListenAction::Media,
        viewer: if who.is_empty() {
            "anonymous".into()
        } else {
            who.clone()
        },
        crm_user_id: (!uid.is_empty()).then(|| uid.clone()),
        source: source.clone(),
        allowed,
        reason,
    };
    let verified = ticket::verify(
        rec.key.expose().as_bytes(),
        RECORDING_MEDIA,
        Subject {
            tenant: &tenant,
            agent: &media_subject(&call, &who, &uid),
        },
        q.t.as_deref().unwrap_or_default(),
        now.unix_timestamp(),
    );
    if let Err(refused) = verified {
        rec.audit(entry(false, format!("media URL refused: {refused}")))
            .await;
        return forbidden();
    }
    let download = q.download.is_some();
    if download && !rec.policy(&tenant).allow_download {
        rec.audit(entry(
            false,
            "download is not allowed for this tenant".into(),
        ))
        .await;
        return forbidden();
    }
    let stored = match rec.store.recording(&tenant, &call).await {
        Ok(Some(r)) if r.removed_at.is_none() => r,
        Ok(_) => {
            rec.audit(entry(
                false,
                "no stored recording (removed or not yet stored)".into(),
            ))
            .await;
            return StatusCode::GONE.into_response();
        }
        Err(e) => {
            tracing::error!(call, error = %e, "reading a recording's row");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Some(store) = rec.store_for(&tenant) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let path = object_store::path::Path::from(stored.object_key.as_str());
    if let Some(signer) = store.signer() {
        return match signer
            .signed_url(
                http::Method::GET,
                &path,
                Duration::from_secs(RECORDING_MEDIA.lifetime_secs as u64),
            )
            .await
        {
            Ok(url) => {
                rec.audit(entry(true, "sent to a presigned S3 URL (5 minutes)".into()))
                    .await;
                let mut response = (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, url.to_string())],
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(e) => {
                tracing::error!(call, error = %e, "presigning a recording");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        };
    }
    let range_header = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let len = match store.object_store().head(&path).await {
        Ok(meta) => meta.size,
        Err(e) => {
            tracing::error!(call, error = %e, "the stored recording is missing");
            rec.audit(entry(
                false,
                format!("the stored recording is missing: {e}"),
            ))
            .await;
            return StatusCode::GONE.into_response();
        }
    };
    let slice = range::slice(range_header.as_deref(), len);
    let (status, bytes) = match &slice {
        range::Slice::Unsatisfiable => {
            rec.audit(entry(false, "range not satisfiable".into()))
                .await;
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return response;
        }
        range::Slice::Whole => (StatusCode::OK, 0..len),
        range::Slice::Partial(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
    };
    let options = object_store::GetOptions {
        range: (status == StatusCode::PARTIAL_CONTENT).then(|| bytes.clone().into()),
        ..Default::default()
    };
    let body = match store.object_store().get_opts(&path, options).await {
        Ok(got) => Body::from_stream(got.into_stream()),
        Err(e) => {
            tracing::error!(call, error = %e, "reading a stored recording");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    rec.audit(entry(
        true,
        format!(
            "bytes {}-{} of {len}",
            bytes.start,
            bytes.end.saturating_sub(1)
        ),
    ))
    .await;
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&(bytes.end - bytes.start).to_string()) {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) =
            HeaderValue::from_str(&format!("bytes {}-{}/{len}", bytes.start, bytes.end - 1))
        {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    if download {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{call}.wav\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_in_links_are_plain() {
        assert!(plausible_call_id("c-1f2e.3@pbx:9"));
        for bad in ["", "a/b", "a b", "<x>", &"x".repeat(201)] {
            assert!(!plausible_call_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_media_subject_is_unambiguous_and_urls_are_encoded() {
        assert_ne!(
            media_subject("a", "b\",\"c", ""),
            media_subject("a", "b", "c")
        );
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn cookies_are_http_only_secure_lax_and_scoped() {
        let c = session_cookie("id", SESSION_LIFETIME);
        assert!(
            c.contains("Path=/recordings;")
                && c.contains("HttpOnly")
                && c.contains("Secure")
                && c.contains("SameSite=Lax")
        );
        assert!(sign_in_cookie("s", SIGN_IN_TTL).contains("Path=/api/v1/crm/oauth/callback;"));
    }
}
