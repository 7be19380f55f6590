//! `/oauth_token.do` and `/oauth_auth.do` (servicenow.md §2): password, refresh_token,
//! client_credentials and authorization_code (with PKCE) grants, client credentials in the body
//! or as Basic, and the real instance's single failure body.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::gate::{param, query_pairs};
use crate::auth::tokens::{AuthCode, TokenKind, AUTH_CODE_LIFESPAN_SECS};
use crate::auth::{self, password, SESSION_COOKIE};
use crate::instance::{props, Actor, Instance};

/// A registered OAuth client (an `oauth_entity` row).
struct Client {
    client_id: String,
    access_lifespan: i64,
    refresh_lifespan: i64,
    redirect_urls: Vec<String>,
    application_user: String,
}

/// Why a grant failed. A real instance answers every one of these with the same
/// 401 `server_error`/`access_denied` body; the reason is only logged (and shown in RFC mode).
#[derive(Debug)]
enum Denied {
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrant,
    GrantDisabled(&'static str),
}

impl Denied {
    fn reason(&self) -> String {
        match self {
            Denied::InvalidClient => "unknown client or wrong client secret".into(),
            Denied::InvalidGrant(why) => format!("invalid grant: {why}"),
            Denied::UnsupportedGrant => "unsupported grant_type".into(),
            Denied::GrantDisabled(which) => format!("grant disabled on this instance: {which}"),
        }
    }
}

pub async fn token(
    State(instance): State<Arc<Instance>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Form-encoded only; a JSON body "results in an unspecified error" (servicenow.md §2.2).
    let mut pairs = if content_type.starts_with("application/x-www-form-urlencoded") {
        query_pairs(std::str::from_utf8(&body).ok())
    } else {
        Vec::new()
    };
    if !instance.property_is_true(props::PARAMS_IN_BODY_ONLY) {
        pairs.extend(query_pairs(query.as_deref()));
    }
    match grant(&instance, &headers, &pairs) {
        // The tokens are saved before they are handed out, so a restart never forgets a token a
        // client already holds.
        Ok(body) => match instance.persist().flush().await {
            Ok(()) => token_response(StatusCode::OK, body),
            Err(error) => token_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "server_error", "error_description": error.to_string()}),
            ),
        },
        Err(denied) => {
            tracing::info!(reason = %denied.reason(), "OAuth token request denied");
            let rfc = instance
                .property(props::OAUTH_ERROR_STYLE)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("rfc6749"));
            let body = if rfc {
                let (status, error) = match denied {
                    Denied::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
                    Denied::InvalidGrant(_) => (StatusCode::BAD_REQUEST, "invalid_grant"),
                    Denied::UnsupportedGrant | Denied::GrantDisabled(_) => {
                        (StatusCode::BAD_REQUEST, "unsupported_grant_type")
                    }
                };
                return token_response(
                    status,
                    json!({"error": error, "error_description": denied.reason()}),
                );
            } else {
                json!({"error_description": "access_denied", "error": "server_error"})
            };
            token_response(StatusCode::UNAUTHORIZED, body)
        }
    }
}

fn token_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

fn grant(
    instance: &Instance,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<serde_json::Value, Denied> {
    let (client_id, client_secret) =
        client_credentials(headers, pairs).ok_or(Denied::InvalidClient)?;
    let client =
        authenticate_client(instance, &client_id, &client_secret).ok_or(Denied::InvalidClient)?;
    let now = instance.clock.now();
    match param(pairs, "grant_type").unwrap_or("") {
        "password" => {
            if instance.property_is_true(props::ROPC_DISABLED) {
                return Err(Denied::GrantDisabled("password"));
            }
            let user = param(pairs, "username").unwrap_or("");
            let secret = param(pairs, "password").unwrap_or("");
            let actor = auth::check_password(&instance.db.read(), user, secret)
                .ok_or(Denied::InvalidGrant("wrong username or password"))?;
            // A password grant while a token is valid returns that token, extended (KB0791140).
            Ok(user_tokens(instance, &client, &actor, now, true))
        }
        "refresh_token" => {
            let refresh = param(pairs, "refresh_token").unwrap_or("");
            let owner = instance
                .tokens
                .refresh_owner(refresh, &client.client_id, now)
                .ok_or(Denied::InvalidGrant("expired or unknown refresh token"))?;
            let actor = current_actor(instance, &owner.user_sys_id)
                .ok_or(Denied::InvalidGrant("user inactive"))?;
            let access = instance.tokens.issue(
                TokenKind::Access,
                &actor,
                &client.client_id,
                client.access_lifespan,
                now,
                false,
            );
            Ok(json!({
                "access_token": access,
                "refresh_token": refresh,
                "scope": "useraccount",
                "token_type": "Bearer",
                "expires_in": client.access_lifespan - 1,
            }))
        }
        "client_credentials" => {
            if !instance.property_is_true(props::CC_GRANT_ENABLED) {
                return Err(Denied::GrantDisabled("client_credentials"));
            }
            if client.application_user.is_empty() {
                return Err(Denied::GrantDisabled(
                    "no OAuth Application User on the client",
                ));
            }
            let actor = current_actor(instance, &client.application_user)
                .ok_or(Denied::InvalidGrant("application user inactive"))?;
            let access = instance.tokens.issue(
                TokenKind::Access,
                &actor,
                &client.client_id,
                client.access_lifespan,
                now,
                false,
            );
            // Observed: scope "" and no refresh token (servicenow.md §2.3).
            Ok(json!({
                "access_token": access,
                "scope": "",
                "token_type": "Bearer",
                "expires_in": client.access_lifespan - 1,
            }))
        }
        "authorization_code" => {
            let code = param(pairs, "code").unwrap_or("");
            let pending = instance
                .tokens
                .take_code(code, now)
                .ok_or(Denied::InvalidGrant("unknown, used or expired code"))?;
            if pending.client_id != client.client_id {
                return Err(Denied::InvalidGrant("code issued to another client"));
            }
            if param(pairs, "redirect_uri").unwrap_or("") != pending.redirect_uri {
                return Err(Denied::InvalidGrant(
                    "redirect_uri differs from the authorization request",
                ));
            }
            if let Some(challenge) = &pending.code_challenge {
                let verifier = param(pairs, "code_verifier").unwrap_or("");
                if !pkce_matches(challenge, &pending.challenge_method, verifier) {
                    return Err(Denied::InvalidGrant("PKCE code_verifier does not match"));
                }
            }
            let actor = current_actor(instance, &pending.actor.user_sys_id)
                .ok_or(Denied::InvalidGrant("user inactive"))?;
            Ok(user_tokens(instance, &client, &actor, now, false))
        }
        _ => Err(Denied::UnsupportedGrant),
    }
}

fn user_tokens(
    instance: &Instance,
    client: &Client,
    actor: &Actor,
    now: i64,
    reuse: bool,
) -> serde_json::Value {
    let access = instance.tokens.issue(
        TokenKind::Access,
        actor,
        &client.client_id,
        client.access_lifespan,
        now,
        reuse,
    );
    // Every user grant extends the refresh token in force, or issues one.
    let refresh = instance.tokens.issue(
        TokenKind::Refresh,
        actor,
        &client.client_id,
        client.refresh_lifespan,
        now,
        true,
    );
    json!({
        "access_token": access,
        "refresh_token": refresh,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": client.access_lifespan - 1,
    })
}

/// The user with the roles they hold now: a new token is a new session.
fn current_actor(instance: &Instance, user_sys_id: &str) -> Option<Actor> {
    let db = instance.db.read();
    let user = db.row_view("sys_user", user_sys_id)?;
    if user.get("active") == "false" || user.get("locked_out") == "true" {
        return None;
    }
    let name = user.get("user_name").to_string();
    Some(auth::actor_for(&db, user_sys_id, &name))
}

/// Client id and secret from the body, or else from HTTP Basic (requests-oauthlib's default).
fn client_credentials(headers: &HeaderMap, pairs: &[(String, String)]) -> Option<(String, String)> {
    if let (Some(id), Some(secret)) = (param(pairs, "client_id"), param(pairs, "client_secret")) {
        return Some((id.to_string(), secret.to_string()));
    }
    let header = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((unescape(id), unescape(secret)))
}

fn authenticate_client(instance: &Instance, client_id: &str, secret: &str) -> Option<Client> {
    let client = find_client(instance, client_id)?;
    let stored = {
        let db = instance.db.read();
        db.find_eq("oauth_entity", "client_id", client_id)
            .first()
            .map(|r| r.get("client_secret").to_string())?
    };
    password::verify(secret, &stored).then_some(client)
}

fn find_client(instance: &Instance, client_id: &str) -> Option<Client> {
    if client_id.is_empty() {
        return None;
    }
    let db = instance.db.read();
    let row = db
        .find_eq("oauth_entity", "client_id", client_id)
        .into_iter()
        .next()?;
    if row.get("active") == "false" {
        return None;
    }
    let lifespan = |c: &str, default: i64| {
        row.get(c)
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 1)
            .unwrap_or(default)
    };
    Some(Client {
        client_id: client_id.to_string(),
        access_lifespan: lifespan("access_token_lifespan", 1800),
        refresh_lifespan: lifespan("refresh_token_lifespan", 8_640_000),
        redirect_urls: row
            .get("redirect_url")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        application_user: row.get("user").to_string(),
    })
}

fn pkce_matches(challenge: &str, method: &str, verifier: &str) -> bool {
    if verifier.len() < 43 || verifier.len() > 128 {
        return false;
    }
    let computed = if method.eq_ignore_ascii_case("S256") {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    } else {
        verifier.to_string()
    };
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// The authorization request's parameters, carried through the login form.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    challenge_method: String,
}

fn authorize_request(pairs: &[(String, String)]) -> AuthorizeRequest {
    let get = |k: &str| param(pairs, k).unwrap_or("").to_string();
    AuthorizeRequest {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        challenge_method: match get("code_challenge_method") {
            m if m.is_empty() => "plain".into(),
            m => m,
        },
    }
}

/// Checks client and redirect URI; an error here is shown on the page, never redirected
/// (redirecting to an unregistered URI would make the instance an open redirector).
fn validate_authorize(
    instance: &Instance,
    req: &AuthorizeRequest,
    response_type: &str,
) -> Result<Client, String> {
    if response_type != "code" {
        return Err("Only response_type=code is supported.".into());
    }
    let client =
        find_client(instance, &req.client_id).ok_or("Unknown or inactive OAuth client.")?;
    if !client.redirect_urls.iter().any(|u| u == &req.redirect_uri) {
        return Err(format!(
            "The redirect URL {} is not registered for this OAuth client (System OAuth > Application Registry > Redirect URL).",
            req.redirect_uri
        ));
    }
    if !req.code_challenge.is_empty() && !matches!(req.challenge_method.as_str(), "S256" | "plain")
    {
        return Err("code_challenge_method must be S256 or plain.".into());
    }
    Ok(client)
}

/// GET /oauth_auth.do: the login-and-consent page.
pub async fn authorize_page(
    State(instance): State<Arc<Instance>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let pairs = query_pairs(query.as_deref());
    let req = authorize_request(&pairs);
    if let Err(message) = validate_authorize(
        &instance,
        &req,
        param(&pairs, "response_type").unwrap_or(""),
    ) {
        return error_page(&message);
    }
    let signed_in = browser_user(&instance, &headers, instance.clock.now());
    Html(login_form(
        &req,
        signed_in.as_ref().map(|a| a.user_name.as_str()),
        None,
    ))
    .into_response()
}

/// POST /oauth_auth.do: credentials (unless already signed in) and the Allow/Deny decision.
pub async fn authorize_submit(
    State(instance): State<Arc<Instance>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = query_pairs(std::str::from_utf8(&body).ok());
    let req = authorize_request(&pairs);
    if let Err(message) = validate_authorize(&instance, &req, "code") {
        return error_page(&message);
    }
    let now = instance.clock.now();
    let session_actor = browser_user(&instance, &headers, now);
    let mut new_session = None;
    let actor = match session_actor {
        Some(a) => a,
        None => {
            let user = param(&pairs, "user_name").unwrap_or("");
            let secret = param(&pairs, "user_password").unwrap_or("");
            match auth::check_password(&instance.db.read(), user, secret) {
                Some(a) => {
                    new_session = Some(instance.sessions.create(a.clone(), now));
                    a
                }
                None => {
                    return Html(login_form(
                        &req,
                        None,
                        Some("User name or password invalid."),
                    ))
                    .into_response()
                }
            }
        }
    };
    let separator = if req.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    if param(&pairs, "decision") == Some("allow") {
        let code = instance.tokens.store_code(AuthCode {
            actor,
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: Some(req.code_challenge.clone()).filter(|c| !c.is_empty()),
            challenge_method: req.challenge_method.clone(),
            expires_at: now + AUTH_CODE_LIFESPAN_SECS,
        });
        query.append_pair("code", &code);
    } else {
        query.append_pair("error", "access_denied");
    }
    if !req.state.is_empty() {
        query.append_pair("state", &req.state);
    }
    let mut response = Redirect::to(&format!(
        "{}{separator}{}",
        req.redirect_uri,
        query.finish()
    ))
    .into_response();
    if let Some(session) = new_session {
        let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; Secure; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    response
}

/// Who the browser is signed in as: the session this page created, or a UI login
/// (`/login.do`): as on an instance, a user signed in to the UI only consents.
fn browser_user(instance: &Instance, headers: &HeaderMap, now: i64) -> Option<Actor> {
    auth::cookie(headers, SESSION_COOKIE)
        .and_then(|id| instance.sessions.resume(&id, now))
        .or_else(|| crate::ui::signed_in(instance, headers).map(|s| s.actor))
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>OAuth error</title></head>\
         <body><h1>Authorization failed</h1><p id=\"error\">{}</p></body></html>",
        escape_html(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

fn login_form(req: &AuthorizeRequest, signed_in_as: Option<&str>, error: Option<&str>) -> String {
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape_html(value)
        )
    };
    let credentials = match signed_in_as {
        Some(user) => format!("<p>Signed in as <b id=\"signed-in-user\">{}</b>.</p>", escape_html(user)),
        None => "<label>User name <input name=\"user_name\" id=\"user_name\" autocomplete=\"username\"></label><br>\
                 <label>Password <input name=\"user_password\" id=\"user_password\" type=\"password\" autocomplete=\"current-password\"></label><br>"
            .to_string(),
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>ServiceNow sandbox: authorize</title></head><body>\
         <h1>Connect to ServiceNow</h1>{}\
         <form method=\"post\" action=\"/oauth_auth.do\">{}{}{}{}{}{}\
         <p>The application requests access to your account.</p>\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\
         </form></body></html>",
        error
            .map(|e| format!("<p id=\"error\" role=\"alert\">{}</p>", escape_html(e)))
            .unwrap_or_default(),
        hidden("client_id", &req.client_id),
        hidden("redirect_uri", &req.redirect_uri),
        hidden("state", &req.state),
        hidden("code_challenge", &req.code_challenge),
        hidden("code_challenge_method", &req.challenge_method),
        credentials,
    )
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        // RFC 7636 Appendix B example.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, "S256", verifier));
        assert!(!pkce_matches(
            challenge,
            "S256",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"
        ));
        assert!(!pkce_matches(challenge, "plain", verifier));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
    }
}
