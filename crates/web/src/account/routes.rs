//! The account routes (`docs/web-api.md`): handlers translate and delegate.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callbridge_core::{AgentId, TenantId};
use callbridge_store::{NewSession, Role};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::limits::Attempt;
use super::origins::Verdict;
use super::profile::{crm_json, disposition_codes_json, queue_json, session_answer, CrmView};
use super::{client_address, password, session, Accounts, ApiError, Signed};
use crate::gateway::SOFTPHONE_PATH;

/// The largest sign-in body read.
const MAX_BODY: usize = 16 * 1024;

pub fn router(accounts: Arc<Accounts>) -> Router {
    Router::new()
        .route(
            "/api/v1/session",
            post(sign_in).get(who_am_i).delete(sign_out),
        )
        .route(
            "/api/v1/sessions",
            axum::routing::delete(sign_out_everywhere),
        )
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/me/crm-link",
            post(start_crm_link).delete(unlink_crm),
        )
        .route("/api/v1/tenants/{tenant}/colleagues", get(colleagues))
        .with_state(accounts)
}

type Answer = Result<Response, ApiError>;

/// A JSON answer nobody caches (it names the session's CSRF token or the agent).
fn private(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    response
        .headers_mut()
        .append(SET_COOKIE, cookie.parse().expect("cookie is header-safe"));
    response
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// The three strings of a sign-in body, or which is wrong.
fn credentials(body: &[u8]) -> Result<(String, String, String), ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        bad_request(format!(
            "the body is not JSON ({e}); send {{\"tenant\": ..., \"user\": ..., \"password\": ...}}"
        ))
    })?;
    let field = |name: &str| match value.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad_request(format!("\"{name}\" must be a string"))),
        None => Err(bad_request(format!("\"{name}\" is missing"))),
    };
    Ok((field("tenant")?, field("user")?, field("password")?))
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "the tenant, user name or password is wrong; check them, or ask your administrator to reset your password",
    )
}

async fn sign_in(State(accounts): State<Arc<Accounts>>, request: Request<Body>) -> Answer {
    let address = client_address(&request);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| bad_request(format!("the body is over {MAX_BODY} bytes")))?;
    let (tenant, user, password) = credentials(&body)?;
    accounts.take_in_new_tenant(&tenant).await;
    if accounts.tenant(&tenant).is_none() {
        // A tenant this server does not serve (never configured, or removed; its accounts may
        // still be in the store): no password can succeed, so none is tried and nothing counts
        // against the limits, which exist against guessing. Tenant ids are no secret (the
        // call-events API and the softphone address answer 404 for an unknown one).
        tracing::info!(%tenant, %user, %address, "sign-in refused: the tenant is not served");
        return Err(bad_credentials());
    }
    if accounts.origin(&tenant, &parts.headers) == Verdict::Foreign {
        return Err(ApiError::bad_origin());
    }
    let attempt = Attempt {
        tenant: tenant.clone(),
        user: user.clone(),
        address,
    };
    if let Err(seconds) = accounts.limits.lock().check(&attempt, Instant::now()) {
        let mut refusal = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed sign-ins; try again in {seconds} seconds"),
        );
        refusal.retry_after = Some(seconds);
        return Err(refusal);
    }
    let account = accounts
        .store
        .account(&tenant, &user)
        .await
        .map_err(ApiError::internal)?
        .filter(|a| !a.disabled);
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matched =
        tokio::task::spawn_blocking(move || password::verify(stored.as_deref(), &password))
            .await
            .map_err(ApiError::internal)?;
    // The tenant may have been removed while the password was checked.
    let served = accounts.tenant(&tenant).is_some();
    let Some(account) = account.filter(|_| matched && served) else {
        accounts.limits.lock().failed(&attempt, Instant::now());
        tracing::info!(%tenant, %user, %address, "sign-in refused");
        return Err(bad_credentials());
    };
    accounts.limits.lock().succeeded(&attempt);
    // The password was right: the account may learn that its tenant cannot take calls yet.
    let awaiting_setup = accounts.tenant(&tenant).is_some_and(|t| t.awaiting_setup);
    if awaiting_setup && account.role != Role::Admin {
        tracing::info!(%tenant, %user, %address, "sign-in refused: the tenant is not set up yet");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "tenant_not_ready",
            "your contact center is not set up yet: no calls can reach it (it has no numbers and queues, and no call-events API); ask your admin to finish its setup in the console, then sign in again",
        ));
    }
    // A session id the browser already had is ended: sign-in never keeps a planted id.
    if let Some(old) = session::from_headers(&parts.headers) {
        let digest = session::digest(&old);
        accounts
            .store
            .delete_session(&digest)
            .await
            .map_err(ApiError::internal)?;
        accounts.sockets.sign_out_session(&digest);
    }
    let id = session::new_id();
    let digest = session::digest(&id);
    let now = OffsetDateTime::now_utc();
    let expires = now + session::LIFETIME;
    let address_text = address.to_string();
    accounts
        .store
        .create_session(NewSession {
            id_digest: &digest,
            tenant: &tenant,
            user_name: &user,
            created_at: now,
            expires_at: expires,
            client_address: &address_text,
        })
        .await
        .map_err(ApiError::internal)?;
    let _ = accounts.store.prune_sessions(now).await;
    tracing::info!(%tenant, %user, %address, "signed in");
    let view = callbridge_store::SessionView {
        tenant: account.tenant,
        user_name: account.user_name,
        display_name: account.display_name,
        role: account.role,
        created_at: now,
        last_seen_at: now,
        expires_at: expires,
    };
    let body = session_answer(&view, &accounts.csrf_token(&id));
    Ok(with_cookie(
        private(StatusCode::OK, body),
        &session::set_cookie(&id, session::LIFETIME),
    ))
}

async fn who_am_i(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.signed_in(&headers).await?;
    let _ = accounts
        .store
        .touch_session(&signed.digest, OffsetDateTime::now_utc())
        .await;
    Ok(private(
        StatusCode::OK,
        session_answer(&signed.view, &accounts.csrf_token(&signed.id)),
    ))
}

fn signed_out() -> Response {
    with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &session::clear_cookie(),
    )
}

async fn sign_out(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.changing(&headers).await?;
    accounts
        .store
        .delete_session(&signed.digest)
        .await
        .map_err(ApiError::internal)?;
    accounts.sockets.sign_out_session(&signed.digest);
    log_out_waiting_agent(&accounts, &signed);
    tracing::info!(tenant = %signed.view.tenant, user = %signed.view.user_name, "signed out");
    Ok(signed_out())
}

async fn sign_out_everywhere(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.changing(&headers).await?;
    let (tenant, user) = (&signed.view.tenant, &signed.view.user_name);
    let ended = accounts
        .store
        .delete_account_sessions(tenant, user)
        .await
        .map_err(ApiError::internal)?;
    accounts.sockets.sign_out_account(tenant, user);
    log_out_waiting_agent(&accounts, &signed);
    tracing::info!(%tenant, %user, ended, "signed out everywhere");
    Ok(signed_out())
}

/// A signed-out agent whose softphone is away (its call waiting for it, the grace period) is
/// logged out now, as a sign-out on a connection would (its `4401` does the same).
fn log_out_waiting_agent(accounts: &Accounts, signed: &Signed) {
    if signed.view.role != Role::Agent {
        return;
    }
    if let (Some(telephony), Ok(agent)) = (&accounts.telephony, agent_of(signed)) {
        telephony.signed_out(&agent);
    }
}

/// The signed-in agent, or 403 `not_an_agent`.
fn agent_of(signed: &Signed) -> Result<AgentId, ApiError> {
    if signed.view.role != Role::Agent {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_an_agent",
            format!(
                "this account is a {} account, and only agent accounts have a softphone; sign in as an agent",
                signed.view.role
            ),
        ));
    }
    AgentId::in_tenant(
        &TenantId::new(signed.view.tenant.clone()),
        &signed.view.user_name,
    )
    .map_err(ApiError::internal)
}

async fn me(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.signed_in(&headers).await?;
    agent_of(&signed)?;
    let view = &signed.view;
    let tenant = accounts.tenant(&view.tenant).ok_or_else(|| {
        ApiError::internal(format!("tenant {} is no longer configured", view.tenant))
    })?;
    let crm_facts = accounts.linking.crm_facts(&view.tenant);
    let link = match &crm_facts {
        Some(_) => accounts
            .store
            .link_summary(&view.tenant, &view.user_name)
            .await
            .map_err(ApiError::internal)?,
        None => None,
    };
    let crm = crm_facts.as_ref().map(|facts| CrmView {
        kind: &tenant.crm_kind,
        instance_url: facts.instance_url.as_deref(),
        record_tables: &facts.record_tables,
        link: link.as_ref(),
    });
    let queues: Vec<Value> = match &accounts.telephony {
        Some(t) => {
            let mine = t
                .agent_queues(&view.tenant, &view.user_name)
                .unwrap_or_default();
            t.queues(&view.tenant)
                .iter()
                .filter(|(name, _)| mine.contains(name))
                .map(|(name, wrap_up)| queue_json(name, *wrap_up))
                .collect()
        }
        None => Vec::new(),
    };
    let softphone_path = SOFTPHONE_PATH
        .replace("{tenant}", &view.tenant)
        .replace("{agent}", &view.user_name);
    Ok(private(
        StatusCode::OK,
        json!({
            "tenant": {
                "id": view.tenant,
                "name": tenant.name,
                "region": tenant.region,
                "allowed_origins": tenant.allowed_origins,
            },
            "agent": {"name": view.user_name, "display_name": view.display_name, "role": view.role.as_str()},
            "crm": crm_json(crm),
            "queues": queues,
            "disposition_codes": disposition_codes_json(&tenant.disposition_codes),
            "softphone_path": softphone_path,
        }),
    ))
}

async fn colleagues(
    State(accounts): State<Arc<Accounts>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let signed = accounts.signed_in(&headers).await?;
    if signed.view.tenant != tenant {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_tenant",
            format!(
                "you are signed in to tenant {}, not {tenant}; only your own tenant's colleagues are listed",
                signed.view.tenant
            ),
        ));
    }
    let accounts_list = accounts
        .store
        .accounts(Some(&tenant))
        .await
        .map_err(ApiError::internal)?;
    let display = |name: &str| {
        accounts_list
            .iter()
            .find(|a| a.user_name == name)
            .map(|a| a.display_name.clone())
            .unwrap_or_else(|| name.to_string())
    };
    let tenant_id = TenantId::new(tenant.clone());
    let (agents, queues): (Vec<Value>, Vec<Value>) = match &accounts.telephony {
        Some(t) if t.serves_tenant(&tenant) => (
            t.agents(&tenant)
                .iter()
                .map(|(name, _)| {
                    let state = AgentId::in_tenant(&tenant_id, name)
                        .map(|id| t.agent_state(&id))
                        .unwrap_or_else(|_| "offline".to_string());
                    json!({"name": name, "display_name": display(name), "state": state})
                })
                .collect(),
            t.queues(&tenant)
                .iter()
                .map(|(name, _)| json!({"name": name}))
                .collect(),
        ),
        // No telephony for this tenant: its agents are its agent accounts, none of them on a
        // Callbridge call.
        _ => (
            accounts_list
                .iter()
                .filter(|a| a.role == Role::Agent && !a.disabled)
                .map(|a| json!({"name": a.user_name, "display_name": a.display_name, "state": "offline"}))
                .collect(),
            Vec::new(),
        ),
    };
    Ok(private(
        StatusCode::OK,
        json!({"agents": agents, "queues": queues}),
    ))
}

async fn start_crm_link(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.changing(&headers).await?;
    agent_of(&signed)?;
    let (tenant, agent) = (&signed.view.tenant, &signed.view.user_name);
    if accounts.linking.crm_facts(tenant).is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "crm_not_configured",
            "your tenant has no CRM to link an account to; ask your administrator",
        ));
    }
    let ticket = accounts
        .linking
        .ticket(tenant, agent, OffsetDateTime::now_utc().unix_timestamp());
    let start_url = format!(
        "{}/api/v1/tenants/{tenant}/agents/{agent}/crm-link?ticket={ticket}",
        accounts.public_url
    );
    Ok(private(StatusCode::OK, json!({"start_url": start_url})))
}

async fn unlink_crm(State(accounts): State<Arc<Accounts>>, headers: HeaderMap) -> Answer {
    let signed = accounts.changing(&headers).await?;
    agent_of(&signed)?;
    accounts
        .linking
        .unlink(&signed.view.tenant, &signed.view.user_name)
        .await
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
