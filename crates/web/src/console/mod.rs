//! The console's JSON API under `/api/v1/console/` (`docs/console-api.md`,
//! `docs/openapi/console.yaml`): what the console page at `/console` does, scriptable.
//!
//! - `access.rs`: which role each route needs (pure).
//! - `input.rs`: request bodies and query strings read into types, with the words for a 400.
//! - `people.rs`: the tenant's accounts and agents' CRM links.
//! - `outbox.rs`: pending and dead-lettered CRM writes; replay and discard.
//! - `audit.rs`: the listen audit and the admin audit, filtered, as JSON or CSV.
//! - `setup/`: the tenant's setup as guided steps with live doctor checks.
//! - `match_tester.rs`: a number looked up on the screen pop's path, with the evidence.
//! - `telephony.rs`: numbers, queues, agents' queues, music and announcement uploads.
//!
//! The tenant is always the session's: no route takes a tenant, so a session of one tenant
//! cannot name another's data. Changing requests pass the account checks first (session,
//! `Origin`, CSRF token: `crate::account`), then the route's role; every one that got past the
//! session, done or refused, is a row of the admin audit (who, when, action, target, from where,
//! outcome).

pub mod access;
mod audit;
pub mod input;
mod match_tester;
mod outbox;
mod people;
pub mod setup;
pub mod telephony;

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use callbridge_crm::Crm;
use callbridge_phone::Region;
use callbridge_store::{AdminEntry, AdminOutcome, Role};
use serde_json::Value;
use time::OffsetDateTime;

use crate::account::{client_address, Accounts, ApiError};
use access::Need;

/// Everything the console's routes share.
pub struct Console {
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) setup: setup::SetupSources,
    /// Every tenant's CRM, for the match tester.
    pub(crate) crm: Arc<dyn Crm>,
    /// Running telephony and the tenants, for "Numbers & queues"; None without telephony.
    pub(crate) telephony: Option<telephony::TelephonySources>,
}

/// A signed-in supervisor or admin, as a route sees them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub tenant: String,
    pub user: String,
    pub role: Role,
    pub address: IpAddr,
}

/// A changing request taken apart: what the checks read, and the body (a `Request<Body>`
/// cannot be held across an await in a handler: the body is not `Sync`).
pub struct Incoming {
    pub headers: HeaderMap,
    pub address: IpAddr,
    pub body: Body,
}

impl Incoming {
    pub fn of(request: Request<Body>) -> Incoming {
        let address = client_address(&request);
        let (parts, body) = request.into_parts();
        Incoming {
            headers: parts.headers,
            address,
            body,
        }
    }
}

/// What a changing route did, for its answer and its audit row.
pub struct Done {
    pub response: Response,
    /// What happened, in words (never a password).
    pub detail: String,
}

type Answer = Result<Response, ApiError>;

pub fn router(
    accounts: Arc<Accounts>,
    crm: Arc<dyn Crm>,
    setup: setup::SetupSources,
    telephony: Option<telephony::TelephonySources>,
) -> Router {
    let console = Arc::new(Console {
        accounts,
        crm,
        setup,
        telephony,
    });
    Router::new()
        .merge(people::router())
        .merge(match_tester::router())
        .merge(outbox::router())
        .merge(audit::router())
        .merge(setup::router())
        .merge(telephony::router())
        .with_state(console)
}

/// A JSON answer nobody caches.
pub(crate) fn json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl Console {
    /// The tenant's region for reading national numbers.
    fn region_of(&self, tenant: &str) -> Option<Region> {
        self.setup
            .directory
            .config()
            .tenants
            .iter()
            .find(|t| t.id.as_str() == tenant)
            .map(|t| t.default_region)
    }

    /// A reading request: a live session whose role meets `need`.
    async fn reader(&self, headers: &HeaderMap, need: Need) -> Result<Staff, ApiError> {
        let signed = self.accounts.signed_in(headers).await?;
        let role = signed.view.role;
        access::check(role, need).map_err(|r| r.error(role))?;
        Ok(Staff {
            tenant: signed.view.tenant,
            user: signed.view.user_name,
            role,
            address: std::net::Ipv4Addr::UNSPECIFIED.into(),
        })
    }

    /// A changing request, checked in the documented order (session, origin, CSRF token, role)
    /// and, when it is refused after the session is known, audited as `action` on `target`.
    async fn changer(
        &self,
        headers: &HeaderMap,
        address: IpAddr,
        need: Need,
        action: &str,
        target: &str,
    ) -> Result<Staff, ApiError> {
        let signed = self.accounts.signed_in(headers).await?;
        let role = signed.view.role;
        let staff = Staff {
            tenant: signed.view.tenant.clone(),
            user: signed.view.user_name.clone(),
            role,
            address,
        };
        let checked = self
            .accounts
            .may_change(&signed, headers)
            .and_then(|()| access::check(role, need).map_err(|r| r.error(role)));
        if let Err(refusal) = checked {
            self.record(&staff, action, target, None, Err(&refusal))
                .await;
            return Err(refusal);
        }
        Ok(staff)
    }

    /// Writes the admin audit row of a changing request and hands its answer back.
    async fn finish(
        &self,
        staff: &Staff,
        action: &str,
        target: &str,
        call: Option<&str>,
        outcome: Result<Done, ApiError>,
    ) -> Answer {
        match outcome {
            Ok(done) => {
                self.record(staff, action, target, call, Ok(&done.detail))
                    .await;
                Ok(done.response)
            }
            Err(error) => {
                self.record(staff, action, target, call, Err(&error)).await;
                Err(error)
            }
        }
    }

    async fn record(
        &self,
        staff: &Staff,
        action: &str,
        target: &str,
        call: Option<&str>,
        outcome: Result<&String, &ApiError>,
    ) {
        let (outcome, detail) = match outcome {
            Ok(detail) => (AdminOutcome::Done, detail.clone()),
            Err(e) if e.status.is_server_error() => (AdminOutcome::Failed, e.message.clone()),
            Err(e) => (AdminOutcome::Refused, format!("{}: {}", e.code, e.message)),
        };
        let entry = AdminEntry {
            tenant: staff.tenant.clone(),
            at: OffsetDateTime::now_utc(),
            actor: staff.user.clone(),
            action: action.to_string(),
            target: target.to_string(),
            call_id: call.map(str::to_string),
            source: staff.address.to_string(),
            outcome,
            detail,
        };
        // The change (if any) is made; a lost audit row is an error for the operator's log.
        if let Err(error) = self.accounts.store.audit_admin(&entry).await {
            tracing::error!(%error, tenant = %entry.tenant, actor = %entry.actor, action = %entry.action, target = %entry.target, "the admin audit row could not be written");
        }
    }
}
