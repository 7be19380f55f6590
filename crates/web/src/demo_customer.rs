//! The demo's customer page (`callbridge demo` only; `callbridge serve` never routes it): a
//! person plays a customer from a browser. The page is the softphone of one agent of a demo-only
//! tenant that stands in for the customers' carrier (`demo-carrier`, agent `customer`), so its
//! calls leave through that tenant's trunk and enter the contact center through Callbridge's own
//! SIP listener, exactly like a carrier's call.
//!
//! The page itself is `ui/demo/customer.html`, served at `/demo/customer` by [`crate::ui`]. This
//! module answers what the page needs to start, `GET /demo/customer/setup`, to the bearer of
//! that agent's softphone ticket (the demo prints it in the page's URL, after `#ticket=`): the
//! WebSocket path, the contact center's number, and the callers the person may be.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use callbridge_config::Secret;
use serde::Serialize;
use serde_json::json;

use crate::gateway::ticket;

pub const SETUP_PATH: &str = "/demo/customer/setup";

/// What the demo hands the web edge for its customer page.
#[derive(Debug, Clone, Serialize)]
pub struct DemoCustomerPage {
    /// The tenant that stands in for the customers' carrier, and its one agent: the page.
    pub tenant: String,
    pub agent: String,
    /// The number the page calls: the contact center's (E.164).
    pub contact_center: String,
    /// Who the person may call as, in the order shown.
    pub callers: Vec<DemoCaller>,
}

/// A number the person may call from, with who the CRM holds it for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoCaller {
    /// E.164.
    pub number: String,
    /// The CRM records that hold the number (one name, or several joined by ", ").
    pub name: String,
}

struct Setup {
    page: DemoCustomerPage,
    key: Secret,
}

pub fn router(page: DemoCustomerPage, key: Secret) -> Router {
    Router::new()
        .route(SETUP_PATH, get(setup))
        .with_state(Arc::new(Setup { page, key }))
}

/// The answer to the page's setup request: the page's configuration with where its softphone
/// WebSocket is.
pub fn setup_body(page: &DemoCustomerPage) -> serde_json::Value {
    json!({
        "tenant": page.tenant,
        "agent": page.agent,
        "softphone_path": format!("/api/v1/tenants/{}/agents/{}/softphone", page.tenant, page.agent),
        "contact_center": page.contact_center,
        "callers": page.callers,
    })
}

/// The ticket of `Authorization: Bearer <ticket>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn setup(State(setup): State<Arc<Setup>>, headers: HeaderMap) -> Response {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let page = &setup.page;
    let admitted = bearer(&headers)
        .is_some_and(|t| ticket::verify(&setup.key, &page.tenant, &page.agent, t, now));
    let mut response = if admitted {
        Json(setup_body(page)).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {
                "code": "bad_ticket",
                "message": "the customer page's ticket is missing, wrong or expired: open the customer page's URL that `callbridge demo` printed (restart the demo for a new one)",
            }})),
        )
            .into_response()
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt;

    fn page() -> DemoCustomerPage {
        DemoCustomerPage {
            tenant: "demo-carrier".into(),
            agent: "customer".into(),
            contact_center: "+81312345000".into(),
            callers: vec![DemoCaller {
                number: "+819012345678".into(),
                name: "Haruto Tanaka".into(),
            }],
        }
    }

    async fn ask(authorization: Option<&str>) -> (StatusCode, String, serde_json::Value) {
        let key = Secret::new("k".repeat(32));
        let mut request = Request::get(SETUP_PATH);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = router(page(), key)
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let cache = response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, cache, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn the_setup_is_given_to_the_bearer_of_the_pages_softphone_ticket_only() {
        let key = Secret::new("k".repeat(32));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let good = ticket::softphone_ticket(&key, "demo-carrier", "customer", now);
        let (status, cache, body) = ask(Some(&format!("Bearer {good}"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cache, "no-store");
        assert_eq!(
            body["softphone_path"],
            "/api/v1/tenants/demo-carrier/agents/customer/softphone"
        );
        assert_eq!(body["contact_center"], "+81312345000");
        assert_eq!(body["callers"][0]["name"], "Haruto Tanaka");

        let alice = ticket::softphone_ticket(&key, "demo", "alice.agent", now);
        for refused in [
            None,
            Some("Bearer nonsense".to_string()),
            Some(format!("Bearer {alice}")),
            Some(good.clone()),
        ] {
            let (status, cache, body) = ask(refused.as_deref()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused:?}");
            assert_eq!(cache, "no-store");
            assert_eq!(body["error"]["code"], "bad_ticket");
        }
    }
}
