//! Setup probes for `callbridge doctor`: is this URL a ServiceNow instance, does the OAuth
//! authorize page accept our client and redirect URI, and which rate-limit rule governs us.

use reqwest::header::HeaderMap;

use crate::client::Auth;
use crate::connection::Instance;
use crate::error::ApiError;
use crate::oauth::{random_state, Pkce};

/// What an unauthenticated request to the Table API revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// It answered like an instance: 401 with ServiceNow's realm or error envelope.
    ServiceNow,
    /// Something answered, but not like ServiceNow (status and a hint).
    NotServiceNow { status: u16, hint: String },
}

pub async fn reachability(instance: &Instance) -> Result<Reachability, ApiError> {
    let url = instance.url("api/now/v2/table/sys_user", &[("sysparm_limit", "1")]);
    let request = instance
        .http()
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    let response = instance.send(request).await?;
    let realm = response
        .headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("Service-now"));
    let envelope = String::from_utf8_lossy(&response.body).contains("User Not Authenticated");
    if response.status == 401 && (realm || envelope) {
        Ok(Reachability::ServiceNow)
    } else {
        Ok(Reachability::NotServiceNow {
            status: response.status,
            hint: String::from_utf8_lossy(&response.body)
                .chars()
                .take(120)
                .collect(),
        })
    }
}

/// Whether `/oauth_auth.do` shows its sign-in page for this client and redirect URI (a real
/// instance shows an error page instead when the redirect URL is not registered).
pub async fn authorize_page_accepts(
    instance: &Instance,
    client_id: &str,
    redirect_uri: &str,
) -> Result<bool, ApiError> {
    let pkce = Pkce::generate();
    let url = crate::oauth::authorization_url(
        instance.base_url(),
        client_id,
        redirect_uri,
        &random_state(),
        &pkce,
    );
    let response = instance.send(instance.http().get(url)).await?;
    Ok(response.status == 200)
}

/// The rate-limit rule that governs `auth`'s requests to the Table API, from the
/// `X-RateLimit-*` headers a matching rule adds to every answer (servicenow.md §1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitRule {
    pub requests_per_hour: u64,
    pub rule: String,
    pub resets_at: i64,
}

pub async fn rate_limit_rule(
    instance: &Instance,
    auth: &Auth,
) -> Result<Option<RateLimitRule>, ApiError> {
    let url = instance.url(
        "api/now/v2/table/sys_user",
        &[
            ("sysparm_limit", "1"),
            ("sysparm_fields", "sys_id"),
            ("sysparm_no_count", "true"),
        ],
    );
    let request = instance
        .http()
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    let response = instance.send(auth.apply(request)).await?;
    let rule = parse_rule(&response.headers);
    if response.status == 429 {
        return Ok(rule);
    }
    response.success()?;
    Ok(rule)
}

fn parse_rule(headers: &HeaderMap) -> Option<RateLimitRule> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Some(RateLimitRule {
        requests_per_hour: get("x-ratelimit-limit")?.trim().parse().ok()?,
        rule: get("x-ratelimit-rule").unwrap_or_default().to_string(),
        resets_at: get("x-ratelimit-reset")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    })
}
