//! OAuth against the sandbox (servicenow.md §2): the agent's authorization-code flow with PKCE,
//! the password, refresh and client-credentials grants, the instance's single failure answer,
//! and token expiry.

mod common;

use callbridge_servicenow::oauth::{random_state, Grant};
use callbridge_servicenow::query::{Condition, Query};
use callbridge_servicenow::{ApiError, Auth, OAuthClient, OAuthError, Pkce, TokenSet};
use common::{col, table, Env, REDIRECT_URI};
use reqwest::Url;

/// The value of `<input type="hidden" name="NAME" value="...">` in the login page.
fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What the agent's browser does: open the authorization URL, sign in, allow. Returns the
/// redirect's code and state (the redirect is not followed).
async fn authorize_in_browser(env: &Env, user: &str, pkce: &Pkce, state: &str) -> (String, String) {
    let url = env.oauth.authorization_url(REDIRECT_URI, state, pkce);
    assert_eq!(url.path(), "/oauth_auth.do");
    let page = env.browser.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mut form = vec![
        ("user_name".to_string(), user.to_string()),
        (
            "user_password".to_string(),
            env.sandbox
                .credentials
                .password(user)
                .expect("a seeded account")
                .to_string(),
        ),
        ("decision".to_string(), "allow".to_string()),
    ];
    for name in [
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    ] {
        form.push((name.to_string(), hidden_field(&html, name)));
    }
    assert_eq!(hidden_field(&html, "code_challenge"), pkce.challenge());
    assert_eq!(hidden_field(&html, "code_challenge_method"), "S256");
    let body = form
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k,
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let answer = env
        .browser
        .post(format!("{}/oauth_auth.do", env.sandbox.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_redirection(),
        "status {}",
        answer.status()
    );
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    let location = Url::parse(&location).unwrap();
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {location}"))
    };
    (param("code"), param("state"))
}

/// Whether `auth` can read contacts (the agent's everyday call).
async fn can_read_contacts(env: &Env, auth: &Auth) -> Result<usize, ApiError> {
    let query = Query::from_condition(Condition::is_not_empty(&col("phone")));
    env.client
        .list(
            auth,
            &table("customer_contact"),
            &query,
            &[col("sys_id")],
            5,
        )
        .await
        .map(|r| r.len())
}

// servicenow.md §2.1/§2.2: an agent links their account with the authorization-code flow + PKCE.
#[tokio::test]
async fn rule_2_2_authorization_code_with_pkce_links_an_agent() {
    let env = Env::start().await;
    let pkce = Pkce::generate();
    let state = random_state();
    let (code, returned_state) = authorize_in_browser(&env, "alice.agent", &pkce, &state).await;
    assert_eq!(returned_state, state, "state comes back unchanged");

    let now = env.now().await;
    let tokens = env
        .oauth
        .exchange_code(&code, REDIRECT_URI, pkce.verifier(), now)
        .await
        .expect("code exchange succeeds");
    assert!(
        tokens.refresh_token.is_some(),
        "user grants carry a refresh token"
    );
    assert_eq!(tokens.expires_at, now + 1799, "expires_in 1799 (§2.3)");
    assert_eq!(tokens.scope, "useraccount");
    assert!(can_read_contacts(&env, &tokens.auth()).await.unwrap() > 0);

    // A code is single-use.
    let again = env
        .oauth
        .exchange_code(&code, REDIRECT_URI, pkce.verifier(), now)
        .await
        .unwrap_err();
    assert_eq!(
        again,
        OAuthError::Denied {
            grant: Grant::AuthorizationCode
        }
    );
}

#[tokio::test]
async fn rule_2_3_a_wrong_pkce_verifier_is_denied() {
    let env = Env::start().await;
    let pkce = Pkce::generate();
    let (code, _) = authorize_in_browser(&env, "bob.agent", &pkce, &random_state()).await;
    let other = Pkce::generate();
    let error = env
        .oauth
        .exchange_code(&code, REDIRECT_URI, other.verifier(), env.now().await)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        OAuthError::Denied {
            grant: Grant::AuthorizationCode
        }
    );
    assert!(error.is_refused() && !error.is_retryable());
    // A malformed verifier never leaves the process.
    let error = env
        .oauth
        .exchange_code(&code, REDIRECT_URI, "short", 0)
        .await
        .unwrap_err();
    assert_eq!(error, OAuthError::InvalidVerifier);
}

// servicenow.md §2.2 password grant, §2.3 refresh semantics.
#[tokio::test]
async fn rule_2_3_password_grant_then_refresh() {
    let env = Env::start().await;
    let now = env.now().await;
    let tokens = env
        .oauth
        .password(
            "callbridge.integration",
            env.sandbox
                .credentials
                .password("callbridge.integration")
                .unwrap(),
            now,
        )
        .await
        .expect("password grant");
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let refreshed = env
        .oauth
        .refresh(&refresh, now + 60)
        .await
        .expect("refresh grant");
    assert_ne!(
        refreshed.access_token, tokens.access_token,
        "a refresh issues a new access token"
    );
    assert_eq!(refreshed.refresh_token.as_deref(), Some(refresh.as_str()));
    assert_eq!(refreshed.expires_at, now + 60 + 1799);
    assert!(can_read_contacts(&env, &refreshed.auth()).await.is_ok());

    let error = env
        .oauth
        .refresh("not-a-refresh-token", now)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        OAuthError::Denied {
            grant: Grant::RefreshToken
        }
    );
}

// servicenow.md §2.3: one 401 server_error/access_denied body for every failure.
#[tokio::test]
async fn rule_2_3_wrong_secret_or_password_is_denied_with_the_candidates_named() {
    let env = Env::start().await;
    let wrong_secret = OAuthClient::new(
        env.instance.clone(),
        env.sandbox.credentials.client_id.clone(),
        "nope",
    );
    let error = wrong_secret
        .password(
            "alice.agent",
            env.sandbox.credentials.password("alice.agent").unwrap(),
            0,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        OAuthError::Denied {
            grant: Grant::Password
        }
    );
    assert_eq!(
        error.to_string(),
        "the instance refused the password grant: wrong client secret, user, password, refresh token, or the grant is disabled"
    );
    let error = env
        .oauth
        .password("alice.agent", "wrong", 0)
        .await
        .unwrap_err();
    assert!(matches!(error, OAuthError::Denied { .. }));
}

// servicenow.md §2.1: client credentials are off by default and need an OAuth Application User.
#[tokio::test]
async fn rule_2_1_client_credentials_need_the_property_and_an_application_user() {
    let env = Env::start().await;
    let error = env.oauth.client_credentials(0).await.unwrap_err();
    assert_eq!(
        error,
        OAuthError::Denied {
            grant: Grant::ClientCredentials
        }
    );

    env.enable_client_credentials("callbridge.integration")
        .await;
    let now = env.now().await;
    let tokens = env
        .oauth
        .client_credentials(now)
        .await
        .expect("client credentials grant");
    assert_eq!(
        tokens.refresh_token, None,
        "client credentials carry no refresh token (§2.3)"
    );
    assert_eq!(tokens.expires_at, now + 1799);
    let info = callbridge_servicenow::describe_table(
        &env.client,
        &tokens.auth(),
        &table("customer_contact"),
    )
    .await
    .expect("the application user reads the dictionary");
    assert!(info.column("phone").is_some());
}

// servicenow.md §2.3: access tokens live 30 minutes; an expired one gets 401 on the Table API.
#[tokio::test]
async fn rule_2_3_an_expired_access_token_is_unauthorized_until_refreshed() {
    let env = Env::start().await;
    let now = env.now().await;
    let tokens: TokenSet = env
        .oauth
        .password(
            "alice.agent",
            env.sandbox.credentials.password("alice.agent").unwrap(),
            now,
        )
        .await
        .unwrap();
    assert!(can_read_contacts(&env, &tokens.auth()).await.is_ok());
    env.advance_clock(1800).await;
    let later = env.now().await;
    assert!(
        tokens.is_expired(later),
        "the caller can see expiry from expires_at"
    );
    let error = can_read_contacts(&env, &tokens.auth()).await.unwrap_err();
    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
    assert!(!error.is_retryable());
    let refreshed = env
        .oauth
        .refresh(tokens.refresh_token.as_deref().unwrap(), later)
        .await
        .unwrap();
    assert!(can_read_contacts(&env, &refreshed.auth()).await.is_ok());
}

// Transport and server failures of the token endpoint are retryable, unlike refusals.
#[tokio::test]
async fn rule_1_6_token_endpoint_outages_are_retryable() {
    let env = Env::start().await;
    env.fault(serde_json::json!({"kind": "status", "status": 503, "count": 1, "path_prefix": "/oauth_token.do"}))
        .await;
    let error = env
        .oauth
        .password(
            "alice.agent",
            env.sandbox.credentials.password("alice.agent").unwrap(),
            0,
        )
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(!error.is_refused());
}
