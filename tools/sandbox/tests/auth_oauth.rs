//! OAuth (`/oauth_token.do`, `/oauth_auth.do`) and bearer use (servicenow.md §2, §7 items 8-9).

mod common;

use base64::Engine;
use common::*;
use http::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CONTACTS: &str = "/api/now/table/customer_contact";
const REDIRECT: &str = "http://127.0.0.1:8080/api/v1/crm/oauth/callback";

fn assert_denied(reply: &Reply) {
    assert_eq!(reply.status.as_u16(), 401, "{reply:?}");
    assert_eq!(
        reply.text,
        r#"{"error_description":"access_denied","error":"server_error"}"#
    );
}

fn assert_user_token_shape(body: &Value) {
    let keys: std::collections::BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(body["scope"], "useraccount");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], json!(1799));
    for key in ["access_token", "refresh_token"] {
        let token = body[key].as_str().unwrap();
        assert!(token.len() >= 40, "{key} too short: {token}");
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{key} is not URL-safe: {token}"
        );
    }
}

// §2.3: the password grant's success body; the token works as Bearer.
#[tokio::test]
async fn password_grant_returns_the_documented_body() {
    let sb = Sandbox::start().await;
    let reply = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    reply.expect(200);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_user_token_shape(&reply.json);
    let token = reply.json["access_token"].as_str().unwrap();
    let contacts = sb.get(Who::Bearer(token), CONTACTS).await;
    contacts.expect(200);
    assert_eq!(contacts.rows().len(), 8);
}

// §2.2: client credentials may be sent as HTTP Basic instead of in the body.
#[tokio::test]
async fn client_credentials_are_accepted_as_basic() {
    let sb = Sandbox::start().await;
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    let pw = sb.creds.password("alice.agent").unwrap().to_string();
    let reply = sb
        .token_request(
            &[
                ("grant_type", "password"),
                ("username", "alice.agent"),
                ("password", &pw),
            ],
            Some((&id, &secret)),
        )
        .await;
    reply.expect(200);
    assert_user_token_shape(&reply.json);
    let wrong = sb
        .token_request(
            &[
                ("grant_type", "password"),
                ("username", "alice.agent"),
                ("password", &pw),
            ],
            Some((&id, "wrong-secret")),
        )
        .await;
    assert_denied(&wrong);
}

// §2.3 (KB0791140): a password grant while a token is valid returns the same access token.
#[tokio::test]
async fn second_password_grant_returns_the_same_access_token() {
    let sb = Sandbox::start().await;
    let first = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    sb.advance_clock(600).await;
    let second = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    second.expect(200);
    assert_eq!(first.json["access_token"], second.json["access_token"]);
    assert_eq!(first.json["refresh_token"], second.json["refresh_token"]);
    assert_eq!(second.json["expires_in"], json!(1799));
    // The expiry was extended: 1700 s after the second grant (2300 s after the first) it works.
    sb.advance_clock(1700).await;
    sb.get(
        Who::Bearer(second.json["access_token"].as_str().unwrap()),
        CONTACTS,
    )
    .await
    .expect(200);
    // Another user gets another token.
    let bob = sb
        .password_grant("bob.agent", sb.creds.password("bob.agent").unwrap())
        .await;
    assert_ne!(bob.json["access_token"], second.json["access_token"]);
}

// §2.2/§2.3: the refresh_token grant returns a new access token and the current refresh token.
#[tokio::test]
async fn refresh_token_grant_issues_a_new_access_token() {
    let sb = Sandbox::start().await;
    let (access, refresh) = sb.agent_token("alice.agent").await;
    let reply = sb.refresh_grant(&refresh).await;
    reply.expect(200);
    assert_eq!(reply.json["scope"], "useraccount");
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], json!(1799));
    assert_eq!(reply.json["refresh_token"], refresh.as_str());
    let new_access = reply.json["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    sb.get(Who::Bearer(new_access), CONTACTS).await.expect(200);
    // Client credentials as Basic work on refresh too.
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    let basic = sb
        .token_request(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some((&id, &secret)),
        )
        .await;
    basic.expect(200);
}

// §2.3: every failure is 401 `{"error_description":"access_denied","error":"server_error"}`.
#[tokio::test]
async fn every_token_failure_is_401_server_error_access_denied() {
    let sb = Sandbox::start().await;
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    let pw = sb.creds.password("alice.agent").unwrap().to_string();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        // wrong client secret
        vec![
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", "nope"),
            ("username", "alice.agent"),
            ("password", &pw),
        ],
        // unknown client
        vec![
            ("grant_type", "password"),
            ("client_id", "0123456789abcdef0123456789abcdef"),
            ("client_secret", &secret),
            ("username", "alice.agent"),
            ("password", &pw),
        ],
        // wrong password
        vec![
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", "alice.agent"),
            ("password", "wrong"),
        ],
        // unknown user
        vec![
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", "nobody"),
            ("password", &pw),
        ],
        // invalid refresh token
        vec![
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("refresh_token", "not-a-refresh-token"),
        ],
        // unsupported grant
        vec![
            ("grant_type", "implicit"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        // no grant type
        vec![("client_id", &id), ("client_secret", &secret)],
        // no client
        vec![
            ("grant_type", "password"),
            ("username", "alice.agent"),
            ("password", &pw),
        ],
    ];
    for form in cases {
        let reply = sb.token_request(&form, None).await;
        assert_denied(&reply);
    }
    // An access token is not a refresh token.
    let (access, _) = sb.agent_token("alice.agent").await;
    assert_denied(&sb.refresh_grant(&access).await);
}

// §2.2: form-encoded only; a JSON body is refused (with the same failure body).
#[tokio::test]
async fn json_token_request_is_refused() {
    let sb = Sandbox::start().await;
    let reply = sb
        .send(sb.http.post(sb.url("/oauth_token.do")).json(&json!({
            "grant_type": "password",
            "client_id": sb.creds.client_id,
            "client_secret": sb.creds.client_secret,
            "username": "alice.agent",
            "password": sb.creds.password("alice.agent").unwrap(),
        })))
        .await;
    assert_denied(&reply);
}

// §2.3: an expired refresh token is refused.
#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let sb = Sandbox::start().await;
    let (_, refresh) = sb.agent_token("alice.agent").await;
    sb.advance_clock(8_640_000 + 1).await;
    assert_denied(&sb.refresh_grant(&refresh).await);
}

// §2.1: glide.oauth.inbound.ropc.grant_type.disabled=true turns the password grant off.
#[tokio::test]
async fn ropc_disabled_property_denies_the_password_grant() {
    let sb = Sandbox::start().await;
    let (_, refresh) = sb.agent_token("alice.agent").await;
    sb.set_property("glide.oauth.inbound.ropc.grant_type.disabled", "true")
        .await;
    assert_denied(
        &sb.password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
            .await,
    );
    // Refreshing is a different grant and keeps working.
    sb.refresh_grant(&refresh).await.expect(200);
    sb.set_property("glide.oauth.inbound.ropc.grant_type.disabled", "false")
        .await;
    sb.password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await
        .expect(200);
}

// §2.1/§2.3: client_credentials is off by default; it needs the property AND an OAuth
// Application User on the oauth_entity; it answers without a refresh_token and acts as that user.
#[tokio::test]
async fn client_credentials_grant_needs_property_and_application_user() {
    let sb = Sandbox::start().await;
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    assert_denied(&sb.token_request(&form, None).await);

    sb.set_property(
        "glide.oauth.inbound.client.credential.grant_type.enabled",
        "true",
    )
    .await;
    assert_denied(&sb.token_request(&form, None).await);

    let entity = sb
        .sys_id_of("oauth_entity", &format!("client_id={id}"))
        .await;
    let integration = sb.user_id("callbridge.integration").await;
    sb.patch(
        Who::Admin,
        &format!("/api/now/table/oauth_entity/{entity}"),
        &json!({"user": integration}),
    )
    .await
    .expect(200);
    let reply = sb.token_request(&form, None).await;
    reply.expect(200);
    assert!(reply.json.get("refresh_token").is_none(), "{reply:?}");
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], json!(1799));
    let token = reply.json["access_token"].as_str().unwrap();
    // The token acts as callbridge.integration: a case it opens names that user.
    let case = sb
        .create_case(
            Who::Bearer(token),
            &json!({"short_description": "from the service"}),
        )
        .await;
    assert_eq!(case["opened_by"]["value"], integration.as_str());
    assert_eq!(case["sys_created_by"], "callbridge.integration");
    // As Basic client authentication, too.
    let basic = sb
        .token_request(
            &[("grant_type", "client_credentials")],
            Some((&id, &secret)),
        )
        .await;
    basic.expect(200);

    // Turning the property off again stops it.
    sb.set_property(
        "glide.oauth.inbound.client.credential.grant_type.enabled",
        "false",
    )
    .await;
    assert_denied(&sb.token_request(&form, None).await);
}

// §2.3 / §7 item 9: a bearer token expires after its lifespan (401); refresh still works.
#[tokio::test]
async fn bearer_token_expires_after_1800_seconds_and_refresh_still_works() {
    let sb = Sandbox::start().await;
    let (access, refresh) = sb.agent_token("alice.agent").await;
    sb.get(Who::Bearer(&access), CONTACTS).await.expect(200);
    sb.advance_clock(1800).await;
    let expired = sb.get(Who::Bearer(&access), CONTACTS).await;
    assert_error(
        &expired,
        401,
        "User Not Authenticated",
        Some("Required to provide Auth information"),
    );
    let refreshed = sb.refresh_grant(&refresh).await;
    refreshed.expect(200);
    let fresh = refreshed.json["access_token"].as_str().unwrap();
    sb.get(Who::Bearer(fresh), CONTACTS).await.expect(200);
    // After expiry a password grant mints a different token.
    let again = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    assert_ne!(again.json["access_token"], access.as_str());
}

// §2.1/§2.3: lifespans are per oauth_entity (access_token_lifespan, refresh_token_lifespan).
#[tokio::test]
async fn token_lifespans_are_set_per_client() {
    let sb = Sandbox::start().await;
    let id = sb.creds.client_id.clone();
    let entity = sb
        .sys_id_of("oauth_entity", &format!("client_id={id}"))
        .await;
    sb.patch(
        Who::Admin,
        &format!("/api/now/table/oauth_entity/{entity}"),
        &json!({"access_token_lifespan": "300", "refresh_token_lifespan": "3600"}),
    )
    .await
    .expect(200);
    let reply = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    reply.expect(200);
    assert_eq!(reply.json["expires_in"], json!(299));
    let access = reply.json["access_token"].as_str().unwrap().to_string();
    let refresh = reply.json["refresh_token"].as_str().unwrap().to_string();
    sb.advance_clock(299).await;
    sb.get(Who::Bearer(&access), CONTACTS).await.expect(200);
    sb.advance_clock(2).await;
    sb.get(Who::Bearer(&access), CONTACTS).await.expect(401);
    let refreshed = sb.refresh_grant(&refresh).await;
    refreshed.expect(200);
    assert_eq!(refreshed.json["expires_in"], json!(299));
    sb.advance_clock(3600).await;
    assert_denied(&sb.refresh_grant(&refresh).await);
}

fn pkce_pair() -> (String, String) {
    let verifier = "the-code-verifier-of-at-least-forty-three-characters-0123456789".to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The hidden inputs of the login form, by name.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<input").skip(1) {
        let tag = &part[..part.find('>').unwrap_or(part.len())];
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(
                tag[start..end]
                    .replace("&amp;", "&")
                    .replace("&quot;", "\""),
            )
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs the login page flow as alice and returns the redirect Location.
async fn authorize(sb: &Sandbox, redirect: &str, challenge: &str, state: &str) -> Reply {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let page = sb
        .send(sb.http.get(sb.url(&format!("/oauth_auth.do?{query}"))))
        .await;
    page.expect(200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text.contains("<form"), "{}", page.text);
    assert!(
        page.text.contains("name=\"user_name\"") && page.text.contains("name=\"user_password\"")
    );
    let mut form = hidden_fields(&page.text);
    let names: Vec<&str> = form.iter().map(|(n, _)| n.as_str()).collect();
    for required in [
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
    ] {
        assert!(
            names.contains(&required),
            "hidden field {required} missing: {}",
            page.text
        );
    }
    form.push(("user_name".into(), "alice.agent".into()));
    form.push((
        "user_password".into(),
        sb.creds.password("alice.agent").unwrap().to_string(),
    ));
    form.push(("decision".into(), "allow".into()));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    sb.send(
        sb.http
            .post(sb.url("/oauth_auth.do"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

async fn exchange(sb: &Sandbox, code: &str, verifier: &str) -> Reply {
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    sb.token_request(
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await
}

async fn authorized_code(sb: &Sandbox, challenge: &str, state: &str) -> String {
    let reply = authorize(sb, REDIRECT, challenge, state).await;
    assert!(matches!(reply.status.as_u16(), 302 | 303), "{reply:?}");
    let location = reply.header("location").expect("redirect Location");
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some(state));
    query_param(&location, "code").expect("code in the redirect")
}

// §2.1 (authorization code grant): login page, consent, redirect with code and state; the PKCE
// S256 verifier is checked; codes are single-use.
#[tokio::test]
async fn authorization_code_with_pkce_s256() {
    let sb = Sandbox::start().await;
    let (verifier, challenge) = pkce_pair();

    let code = authorized_code(&sb, &challenge, "st-1").await;
    let tokens = exchange(&sb, &code, &verifier).await;
    tokens.expect(200);
    assert_user_token_shape(&tokens.json);
    let access = tokens.json["access_token"].as_str().unwrap();
    let alice = sb.user_id("alice.agent").await;
    let case = sb
        .create_case(
            Who::Bearer(access),
            &json!({"short_description": "via auth code"}),
        )
        .await;
    assert_eq!(case["opened_by"]["value"], alice.as_str());
    // Reusing the code fails.
    assert_denied(&exchange(&sb, &code, &verifier).await);

    // A wrong verifier fails (and burns the code).
    let code = authorized_code(&sb, &challenge, "st-2").await;
    let wrong_verifier = "a-completely-different-verifier-that-is-long-enough-0000000";
    assert_denied(&exchange(&sb, &code, wrong_verifier).await);
    assert_denied(&exchange(&sb, &code, &verifier).await);

    // A missing verifier fails too.
    let code = authorized_code(&sb, &challenge, "st-3").await;
    assert_denied(&exchange(&sb, &code, "").await);
}

// §2.1: the user can deny consent: redirect with error=access_denied and no code.
#[tokio::test]
async fn authorization_denied_by_the_user_redirects_with_an_error() {
    let sb = Sandbox::start().await;
    let (_, challenge) = pkce_pair();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "s")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("user_name", "alice.agent")
        .append_pair("user_password", sb.creds.password("alice.agent").unwrap())
        .append_pair("decision", "deny")
        .finish();
    let reply = sb
        .send(
            sb.http
                .post(sb.url("/oauth_auth.do"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query),
        )
        .await;
    assert!(matches!(reply.status.as_u16(), 302 | 303));
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(REDIRECT));
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query_param(&location, "code").is_none());
}

// §2.1: wrong credentials on the login page show the form again, without redirecting.
#[tokio::test]
async fn authorization_with_wrong_password_shows_the_form_again() {
    let sb = Sandbox::start().await;
    let (_, challenge) = pkce_pair();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("user_name", "alice.agent")
        .append_pair("user_password", "wrong")
        .append_pair("decision", "allow")
        .finish();
    let reply = sb
        .send(
            sb.http
                .post(sb.url("/oauth_auth.do"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
    assert!(reply.header("location").is_none(), "{reply:?}");
    assert!(reply.text.contains("<form"));
}

// §2.1: an unregistered redirect_uri shows an error page and never redirects (no open redirector).
#[tokio::test]
async fn unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let sb = Sandbox::start().await;
    let (_, challenge) = pkce_pair();
    let evil = "https://evil.example.com/steal";
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("redirect_uri", evil)
        .append_pair("state", "x")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let page = sb
        .send(sb.http.get(sb.url(&format!("/oauth_auth.do?{query}"))))
        .await;
    assert!(page.header("location").is_none());
    assert!(
        !page.status.is_redirection() && !page.status.is_success(),
        "{page:?}"
    );
    assert!(
        !page.text.contains("<form"),
        "no login form for a bad redirect"
    );
    assert!(page.text.contains("not registered"));
    // Posting the form directly with the bad redirect does not redirect either.
    let reply = authorize(&sb, REDIRECT, &challenge, "ok").await;
    assert!(reply.status.is_redirection());
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("redirect_uri", evil)
        .append_pair("user_name", "alice.agent")
        .append_pair("user_password", sb.creds.password("alice.agent").unwrap())
        .append_pair("decision", "allow")
        .finish();
    let posted = sb
        .send(
            sb.http
                .post(sb.url("/oauth_auth.do"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
    assert!(posted.header("location").is_none(), "{posted:?}");
    assert!(!posted.status.is_redirection());
    // An unknown client gets the error page too.
    let unknown = sb
        .send(sb.http.get(sb.url(&format!(
            "/oauth_auth.do?response_type=code&client_id=nope&redirect_uri={}",
            encode(REDIRECT)
        ))))
        .await;
    assert!(unknown.header("location").is_none());
    assert!(!unknown.status.is_success());
}

// §2.3: the authorization code must be exchanged with the redirect_uri it was issued for.
#[tokio::test]
async fn authorization_code_exchange_checks_the_redirect_uri() {
    let sb = Sandbox::start().await;
    let (verifier, challenge) = pkce_pair();
    let code = authorized_code(&sb, &challenge, "s").await;
    let (id, secret) = (sb.creds.client_id.clone(), sb.creds.client_secret.clone());
    let reply = sb
        .token_request(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                (
                    "redirect_uri",
                    "http://localhost:8080/api/v1/crm/oauth/callback",
                ),
                ("code_verifier", &verifier),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_denied(&reply);
}

// §2.4: Basic auth sets a session cookie that can be reused without credentials.
#[tokio::test]
async fn basic_auth_sets_a_reusable_session_cookie() {
    let sb = Sandbox::start().await;
    let first = sb.get(Who::User("alice.agent"), CONTACTS).await;
    first.expect(200);
    let cookie = first.header("set-cookie").expect("session cookie");
    assert!(cookie.starts_with("JSESSIONID="), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let again = sb
        .send(
            sb.request(Who::Anonymous, Method::GET, CONTACTS)
                .header("cookie", pair),
        )
        .await;
    again.expect(200);
}

// §2.1: OAuth parameters may come in the query string unless
// glide.oauth.allow.parameters.in.post.body.only=true.
#[tokio::test]
async fn query_string_parameters_obey_the_body_only_property() {
    let sb = Sandbox::start().await;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "password")
        .append_pair("client_id", &sb.creds.client_id)
        .append_pair("client_secret", &sb.creds.client_secret)
        .append_pair("username", "alice.agent")
        .append_pair("password", sb.creds.password("alice.agent").unwrap())
        .finish();
    let send = || {
        sb.send(
            sb.http
                .post(sb.url(&format!("/oauth_token.do?{query}")))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(""),
        )
    };
    send().await.expect(200);
    sb.set_property("glide.oauth.allow.parameters.in.post.body.only", "true")
        .await;
    assert_denied(&send().await);
    sb.password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await
        .expect(200);
}
