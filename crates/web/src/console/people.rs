//! The People page's routes: the tenant's accounts (list, create with a one-time password,
//! reset a password, disable or enable, change role) and each agent's CRM link (state, revoke).
//! Accounts are made and passwords set by `account::provision`, as `callbridge account` does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use callbridge_store::{Account, LinkSummary, Role};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::access::Need;
use super::input::{self, bad_request, MAX_BODY};
use super::{json, Answer, Console, Done, Incoming, Staff};
use crate::account::password;
use crate::account::profile::rfc3339;
use crate::account::provision::{self, ProvisionError, Wanted};
use crate::account::ApiError;

pub fn router() -> Router<Arc<Console>> {
    Router::new()
        .route("/api/v1/console/accounts", get(list).post(create))
        .route(
            "/api/v1/console/accounts/{user}",
            axum::routing::patch(change),
        )
        .route(
            "/api/v1/console/accounts/{user}/password",
            post(reset_password),
        )
        .route("/api/v1/console/accounts/{user}/crm-link", delete(revoke))
}

/// An agent's CRM link as the People page shows it: `null` for accounts that are not agents
/// and when the tenant's CRM does not link agents' accounts.
fn link_json(link: Option<&LinkSummary>) -> Value {
    match link {
        None => {
            json!({"state": "not_linked", "crm_user": null, "linked_at": null, "refused_at": null})
        }
        Some(l) => json!({
            "state": if l.refused_at.is_some() { "relink_required" } else { "linked" },
            "crm_user": l.crm_user_name,
            "linked_at": rfc3339(l.linked_at),
            "refused_at": l.refused_at.map(rfc3339),
        }),
    }
}

fn account_json(a: &Account, links: Option<&HashMap<String, LinkSummary>>) -> Value {
    let crm_link = match links {
        Some(links) if a.role == Role::Agent => link_json(links.get(&a.user_name)),
        _ => Value::Null,
    };
    json!({
        "user": a.user_name,
        "display_name": a.display_name,
        "role": a.role.as_str(),
        "disabled": a.disabled,
        "created_at": rfc3339(a.created_at),
        "updated_at": rfc3339(a.updated_at),
        "crm_link": crm_link,
    })
}

impl Console {
    /// The tenant's agents' links, or `None` when its CRM does not link agents' accounts.
    async fn links(&self, tenant: &str) -> Result<Option<HashMap<String, LinkSummary>>, ApiError> {
        if self.accounts.linking.crm_facts(tenant).is_none() {
            return Ok(None);
        }
        let links = self
            .accounts
            .store
            .link_summaries(tenant)
            .await
            .map_err(ApiError::internal)?;
        Ok(Some(links.into_iter().collect()))
    }

    async fn account_answer(&self, staff: &Staff, user: &str) -> Result<Value, ApiError> {
        let account = self
            .accounts
            .store
            .account(&staff.tenant, user)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| no_such_account(user))?;
        let links = self.links(&staff.tenant).await?;
        Ok(account_json(&account, links.as_ref()))
    }
}

fn no_such_account(user: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_account",
        format!("your tenant has no account {user:?}; list them with GET /api/v1/console/accounts"),
    )
}

fn provision_error(e: ProvisionError) -> ApiError {
    match e {
        ProvisionError::BadUser(_) | ProvisionError::Password(_) => bad_request(e.to_string()),
        ProvisionError::Duplicate { user, .. } => ApiError::new(
            StatusCode::CONFLICT,
            "account_exists",
            format!("your tenant already has a user {user:?}; pick another name, or reset that account's password"),
        ),
        ProvisionError::Store(e) => ApiError::internal(e),
    }
}

/// Refuses a change to the admin's own account that would lock them out.
fn not_yourself(staff: &Staff, user: &str, what: &str) -> Result<(), ApiError> {
    if staff.user == user {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "own_account",
            format!("you cannot {what} your own account; another admin of your tenant can"),
        ));
    }
    Ok(())
}

async fn body_of(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| bad_request(format!("the body is over {MAX_BODY} bytes")))
}

async fn list(State(console): State<Arc<Console>>, headers: HeaderMap) -> Answer {
    let staff = console.reader(&headers, Need::Admin).await?;
    let accounts = console
        .accounts
        .store
        .accounts(Some(&staff.tenant))
        .await
        .map_err(ApiError::internal)?;
    let links = console.links(&staff.tenant).await?;
    Ok(json(
        StatusCode::OK,
        json!({
            "accounts": accounts.iter().map(|a| account_json(a, links.as_ref())).collect::<Vec<_>>(),
            "crm_links": links.is_some(),
        }),
    ))
}

async fn create(State(console): State<Arc<Console>>, request: Request<Body>) -> Answer {
    const ACTION: &str = "account.create";
    let request = Incoming::of(request);
    let staff = console
        .changer(&request.headers, request.address, Need::Admin, ACTION, "-")
        .await?;
    let body = match body_of(request.body).await {
        Ok(b) => b,
        Err(e) => return console.finish(&staff, ACTION, "-", None, Err(e)).await,
    };
    let wanted = match input::new_account(&body) {
        Ok(w) => w,
        Err(e) => return console.finish(&staff, ACTION, "-", None, Err(e)).await,
    };
    let outcome = async {
        let one_time = password::generate();
        provision::create(
            &console.accounts.store,
            &Wanted {
                tenant: staff.tenant.clone(),
                user: wanted.user.clone(),
                display_name: wanted.display_name.clone(),
                role: wanted.role,
            },
            &one_time,
        )
        .await
        .map_err(provision_error)?;
        let account = console.account_answer(&staff, &wanted.user).await?;
        Ok(Done {
            response: json(
                StatusCode::CREATED,
                json!({"account": account, "one_time_password": one_time}),
            ),
            detail: format!(
                "created an account with the role {} and a one-time password",
                wanted.role
            ),
        })
    }
    .await;
    console
        .finish(&staff, ACTION, &wanted.user, None, outcome)
        .await
}

async fn reset_password(
    State(console): State<Arc<Console>>,
    Path(user): Path<String>,
    request: Request<Body>,
) -> Answer {
    const ACTION: &str = "account.reset_password";
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            ACTION,
            &user,
        )
        .await?;
    let outcome = async {
        let one_time = password::generate();
        let reset =
            provision::reset_password(&console.accounts.store, &staff.tenant, &user, &one_time)
                .await
                .map_err(provision_error)?;
        if !reset {
            return Err(no_such_account(&user));
        }
        console
            .accounts
            .sockets
            .sign_out_account(&staff.tenant, &user);
        Ok(Done {
            response: json(StatusCode::OK, json!({"one_time_password": one_time})),
            detail: "set a one-time password; the account's sessions ended".to_string(),
        })
    }
    .await;
    console.finish(&staff, ACTION, &user, None, outcome).await
}

async fn change(
    State(console): State<Arc<Console>>,
    Path(user): Path<String>,
    request: Request<Body>,
) -> Answer {
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            "account.change",
            &user,
        )
        .await?;
    let body = match body_of(request.body)
        .await
        .and_then(|b| input::account_change(&b))
    {
        Ok(c) => c,
        Err(e) => {
            return console
                .finish(&staff, "account.change", &user, None, Err(e))
                .await
        }
    };
    let store = &console.accounts.store;
    let now = OffsetDateTime::now_utc();
    // Each change is its own audit row, in the order they are made.
    if let Some(disabled) = body.disabled {
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        let outcome = async {
            if disabled {
                not_yourself(&staff, &user, "disable")?;
            }
            let changed = store
                .set_account_disabled(&staff.tenant, &user, disabled, now)
                .await
                .map_err(ApiError::internal)?;
            if !changed {
                return Err(no_such_account(&user));
            }
            if disabled {
                console
                    .accounts
                    .sockets
                    .sign_out_account(&staff.tenant, &user);
            }
            Ok(Done {
                response: StatusCode::NO_CONTENT.into_response(),
                detail: if disabled {
                    "disabled; the account's sessions ended".to_string()
                } else {
                    "enabled".to_string()
                },
            })
        }
        .await;
        console.finish(&staff, action, &user, None, outcome).await?;
    }
    if let Some(role) = body.role {
        let outcome = async {
            not_yourself(&staff, &user, "change the role of")?;
            let before = store
                .account(&staff.tenant, &user)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| no_such_account(&user))?;
            let changed = store
                .set_account_role(&staff.tenant, &user, role, now)
                .await
                .map_err(ApiError::internal)?;
            if !changed {
                return Err(no_such_account(&user));
            }
            console
                .accounts
                .sockets
                .sign_out_account(&staff.tenant, &user);
            Ok(Done {
                response: StatusCode::NO_CONTENT.into_response(),
                detail: format!(
                    "role {} → {role}; the account's sessions ended",
                    before.role
                ),
            })
        }
        .await;
        console
            .finish(&staff, "account.role", &user, None, outcome)
            .await?;
    }
    let account = console.account_answer(&staff, &user).await?;
    Ok(json(StatusCode::OK, json!({"account": account})))
}

async fn revoke(
    State(console): State<Arc<Console>>,
    Path(user): Path<String>,
    request: Request<Body>,
) -> Answer {
    const ACTION: &str = "crm_link.revoke";
    let request = Incoming::of(request);
    let staff = console
        .changer(
            &request.headers,
            request.address,
            Need::Admin,
            ACTION,
            &user,
        )
        .await?;
    let outcome = async {
        let account = console
            .accounts
            .store
            .account(&staff.tenant, &user)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| no_such_account(&user))?;
        if account.role != Role::Agent {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_an_agent",
                format!(
                    "{user:?} is a {} account; only agents link a CRM account",
                    account.role
                ),
            ));
        }
        let removed = console
            .accounts
            .linking
            .unlink(&staff.tenant, &user)
            .await
            .map_err(ApiError::internal)?;
        Ok(Done {
            response: StatusCode::NO_CONTENT.into_response(),
            detail: if removed {
                "revoked the CRM tokens at the CRM and deleted them".to_string()
            } else {
                "was not linked; nothing to revoke".to_string()
            },
        })
    }
    .await;
    console.finish(&staff, ACTION, &user, None, outcome).await
}
