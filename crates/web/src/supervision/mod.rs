//! The supervisor's console API (`docs/console-api.md`, "Live wall" and "Call history"): the
//! live wall, pushed over a WebSocket (`wall.rs`), the call history with its CSV export
//! (`history.rs`) and the charts' figures (`charts.rs`). Every route needs a signed-in
//! supervisor or admin (the console's own role check, `console::access`, with its refusal
//! `403 not_staff`), answers for their own tenant only, and refuses requests from a page of
//! another site.

pub mod charts;
pub mod history;
pub mod wall;

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use callbridge_integration::linking::Linking;
use callbridge_store::{Role, Store};
use callbridge_telephony::TelephonyHandle;

use crate::account::origins::Verdict;
use crate::account::{Accounts, ApiError, Signed};
use crate::console::access::{self, Need};

pub const WALL_PATH: &str = "/api/v1/console/wall";
pub const CALLS_PATH: &str = "/api/v1/console/calls";
pub const CALLS_CSV_PATH: &str = "/api/v1/console/calls.csv";
pub const CHARTS_PATH: &str = "/api/v1/console/charts";

/// Everything the supervision routes share.
pub struct Supervision {
    pub accounts: Arc<Accounts>,
    pub store: Store,
    pub linking: Arc<Linking>,
    pub telephony: Option<TelephonyHandle>,
    /// `<public_url>` without a trailing slash, for recording links.
    pub public_url: String,
}

pub fn router(supervision: Arc<Supervision>) -> Router {
    Router::new()
        .route(WALL_PATH, get(wall::connect))
        .route(CALLS_PATH, get(history::page))
        .route(CALLS_CSV_PATH, get(history::csv))
        .route(CHARTS_PATH, get(charts::chart))
        .with_state(supervision)
        .layer(axum::middleware::map_response(no_store))
}

/// Every answer names calls of a tenant: nobody caches it.
async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Whether a role may supervise (see the wall and the call history): the console's staff check.
pub fn may_supervise(role: Role) -> bool {
    access::check(role, Need::Staff).is_ok()
}

impl Supervision {
    /// The request's session if it is a supervisor's or an admin's, from no page or a page of
    /// the tenant's allowed origins: 401 `not_signed_in`, 403 `bad_origin`, or the console's
    /// 403 `not_staff` for an agent.
    pub async fn supervisor(&self, headers: &HeaderMap) -> Result<Signed, ApiError> {
        let signed = self.accounts.signed_in(headers).await?;
        if self.accounts.origin(&signed.view.tenant, headers) == Verdict::Foreign {
            return Err(ApiError::bad_origin());
        }
        let role = signed.view.role;
        access::check(role, Need::Staff).map_err(|refusal| refusal.error(role))?;
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supervisors_and_admins_supervise_and_agents_do_not() {
        assert!(may_supervise(Role::Supervisor));
        assert!(may_supervise(Role::Admin));
        assert!(!may_supervise(Role::Agent));
    }
}
