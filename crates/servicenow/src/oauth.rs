//! OAuth against `/oauth_auth.do` and `/oauth_token.do` (servicenow.md §2): the authorization
//! URL with PKCE (an agent linking their account), and the token grants
//! (authorization_code, refresh_token, password, client_credentials).
//!
//! Requests are form-encoded with the client credentials in the body (§2.2). A real instance
//! answers every failure with one body, 401 `{"error_description":"access_denied","error":"server_error"}`
//! (§2.3), so the reason cannot be told apart: [`OAuthError::Denied`] lists the candidates.
//! Refresh policy (when to refresh, what to store) is the caller's; `now` is passed in.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use reqwest::Url;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::client::Auth;
use crate::connection::{endpoint, query_string, Instance, RawResponse};
use crate::error::{json_kind, snippet, ApiError};

pub const AUTHORIZE_PATH: &str = "oauth_auth.do";
pub const TOKEN_PATH: &str = "oauth_token.do";

/// Lifetimes above this are not believed (the instance default for refresh tokens is 100 days).
const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// A PKCE verifier and its S256 challenge (RFC 7636).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl Pkce {
    /// A fresh random verifier (64 characters).
    pub fn generate() -> Pkce {
        let mut bytes = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Pkce::from_verifier(URL_SAFE_NO_PAD.encode(bytes))
            .expect("64 base64url characters are a valid verifier")
    }

    /// Rebuilds the pair from a stored verifier: 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
    pub fn from_verifier(verifier: impl Into<String>) -> Result<Pkce, OAuthError> {
        let verifier = verifier.into();
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(unreserved) {
            return Err(OAuthError::InvalidVerifier);
        }
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Ok(Pkce {
            verifier,
            challenge,
        })
    }

    /// The secret half: keep it (server-side) until the code is exchanged.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The public half, sent in the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    pub fn method(&self) -> &'static str {
        "S256"
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// A random value for the `state` parameter (CSRF protection of the redirect).
pub fn random_state() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Where to send the agent's browser: `<instance>/oauth_auth.do?response_type=code&client_id=..&redirect_uri=..&state=..&code_challenge=..&code_challenge_method=S256`.
pub fn authorization_url(
    instance: &Url,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
) -> Url {
    let mut base = instance.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    endpoint(
        &base,
        AUTHORIZE_PATH,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("code_challenge", pkce.challenge()),
            ("code_challenge_method", pkce.method()),
        ],
    )
}

/// The grant a token request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    Password,
    ClientCredentials,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::Password => "password",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The real instance's answer to every failure (401 server_error/access_denied).
    #[error(
        "the instance refused the {grant} grant: wrong client secret, user, password, refresh token, or the grant is disabled"
    )]
    Denied { grant: Grant },
    /// An RFC 6749 error body (`invalid_grant`, `invalid_client`, ...), as some instances and
    /// proxies send.
    #[error(
        "the instance refused the {grant} grant ({status} {error}{})",
        describe(description)
    )]
    Rejected {
        grant: Grant,
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// A PKCE verifier that RFC 7636 does not allow.
    #[error("the PKCE code verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'")]
    InvalidVerifier,
    /// Transport, timeout, rate limit, server error or an unexpected answer.
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

impl OAuthError {
    /// Whether the same request may succeed later (transport, timeouts, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self, OAuthError::Api(e) if e.is_retryable())
    }

    /// The instance said no: credentials or configuration must change (for an agent's token:
    /// "re-link your account").
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            OAuthError::Denied { .. } | OAuthError::Rejected { .. }
        )
    }
}

/// Tokens from a grant. `Debug` never shows the tokens; `Serialize` does (for encrypted storage).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Unix seconds: the `now` given to the request plus `expires_in`.
    pub expires_at: i64,
    pub scope: String,
}

impl TokenSet {
    /// `Authorization: Bearer <access_token>`.
    pub fn auth(&self) -> Auth {
        Auth::bearer(self.access_token.clone())
    }

    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// Expired, or expiring within `margin_secs` (refresh before that).
    pub fn expires_within(&self, now: i64, margin_secs: i64) -> bool {
        now.saturating_add(margin_secs) >= self.expires_at
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// A registered OAuth client (System OAuth > Application Registry) on one instance.
#[derive(Clone)]
pub struct OAuthClient {
    instance: Instance,
    client_id: String,
    client_secret: String,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("instance", &self.instance)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl OAuthClient {
    pub fn new(
        instance: Instance,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> OAuthClient {
        OAuthClient {
            instance,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The authorization URL for this client on this instance (see [`authorization_url`]).
    pub fn authorization_url(&self, redirect_uri: &str, state: &str, pkce: &Pkce) -> Url {
        authorization_url(
            self.instance.base_url(),
            &self.client_id,
            redirect_uri,
            state,
            pkce,
        )
    }

    /// Exchanges the code from the redirect, proving possession of the PKCE verifier.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        now: i64,
    ) -> Result<TokenSet, OAuthError> {
        let pkce = Pkce::from_verifier(code_verifier)?;
        self.grant(
            Grant::AuthorizationCode,
            &[
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pkce.verifier()),
            ],
            now,
        )
        .await
    }

    /// A new access token from a refresh token. When the answer carries no refresh token, the
    /// one sent stays in force and is returned in the set.
    pub async fn refresh(&self, refresh_token: &str, now: i64) -> Result<TokenSet, OAuthError> {
        let mut tokens = self
            .grant(
                Grant::RefreshToken,
                &[("refresh_token", refresh_token)],
                now,
            )
            .await?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.to_string());
        }
        Ok(tokens)
    }

    /// Resource-owner password grant (may be disabled on the instance, §2.1).
    pub async fn password(
        &self,
        username: &str,
        password: &str,
        now: i64,
    ) -> Result<TokenSet, OAuthError> {
        self.grant(
            Grant::Password,
            &[("username", username), ("password", password)],
            now,
        )
        .await
    }

    /// Client-credentials grant: acts as the client's OAuth Application User (Washington DC+,
    /// disabled unless `glide.oauth.inbound.client.credential.grant_type.enabled=true`, §2.1).
    pub async fn client_credentials(&self, now: i64) -> Result<TokenSet, OAuthError> {
        self.grant(Grant::ClientCredentials, &[], now).await
    }

    async fn grant(
        &self,
        grant: Grant,
        extra: &[(&str, &str)],
        now: i64,
    ) -> Result<TokenSet, OAuthError> {
        let mut pairs = vec![
            ("grant_type", grant.as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        pairs.extend_from_slice(extra);
        let request = self
            .instance
            .http()
            .post(self.instance.url(TOKEN_PATH, &[]))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(query_string(&pairs));
        let response = self.instance.send(request).await?;
        token_answer(grant, response, now)
    }
}

/// Interprets a token endpoint answer.
fn token_answer(grant: Grant, response: RawResponse, now: i64) -> Result<TokenSet, OAuthError> {
    match response.status {
        200 => parse_tokens(&response.body, now).map_err(OAuthError::Api),
        401 => Err(OAuthError::Denied { grant }),
        400 | 403 => match serde_json::from_slice::<Value>(&response.body) {
            Ok(Value::Object(map)) if map.get("error").is_some_and(Value::is_string) => {
                Err(OAuthError::Rejected {
                    grant,
                    status: response.status,
                    error: map["error"].as_str().unwrap_or_default().to_string(),
                    description: map
                        .get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
            }
            _ => Err(OAuthError::Api(ApiError::from_response(
                response.status,
                &response.headers,
                &response.body,
            ))),
        },
        _ => Err(OAuthError::Api(match response.success() {
            // A 2xx other than 200 is not what the endpoint documents.
            Ok(other) => ApiError::UnexpectedResponse(format!(
                "the token endpoint answered {}",
                other.status
            )),
            Err(e) => e,
        })),
    }
}

/// `{"access_token":..,"refresh_token":..,"scope":..,"token_type":"Bearer","expires_in":1799}`.
fn parse_tokens(body: &[u8], now: i64) -> Result<TokenSet, ApiError> {
    let unexpected = |what: String| ApiError::UnexpectedResponse(format!("token endpoint: {what}"));
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        unexpected(format!(
            "the body is not JSON (it starts with '{}')",
            snippet(body)
        ))
    })?;
    let Value::Object(map) = value else {
        return Err(unexpected(format!(
            "the body is {}, not an object",
            json_kind(&value)
        )));
    };
    let string = |name: &str| -> Result<Option<String>, ApiError> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(unexpected(format!(
                "`{name}` is {}, not a string",
                json_kind(other)
            ))),
        }
    };
    let access_token = string("access_token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unexpected("no access_token in a success answer".into()))?;
    if let Some(kind) = string("token_type")? {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(unexpected(format!(
                "token_type is '{}', expected Bearer",
                crate::names::shown(&kind)
            )));
        }
    }
    let expires_in = match map.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|n| (0..=MAX_EXPIRES_IN).contains(n))
    .ok_or_else(|| unexpected("expires_in is missing or not a number of seconds".into()))?;
    Ok(TokenSet {
        access_token,
        refresh_token: string("refresh_token")?.filter(|t| !t.is_empty()),
        expires_at: now.saturating_add(expires_in),
        scope: string("scope")?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn answer(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(pkce.method(), "S256");
    }

    #[test]
    fn pkce_verifiers_are_43_to_128_unreserved_characters() {
        let generated = Pkce::generate();
        assert!((43..=128).contains(&generated.verifier().len()));
        assert_ne!(generated, Pkce::generate());
        assert!(Pkce::from_verifier("a".repeat(42)).is_err());
        assert!(Pkce::from_verifier("a".repeat(43)).is_ok());
        assert!(Pkce::from_verifier("a".repeat(128)).is_ok());
        assert!(Pkce::from_verifier("a".repeat(129)).is_err());
        assert!(Pkce::from_verifier(format!("{}+/", "a".repeat(50))).is_err());
        assert!(!format!("{generated:?}").contains(generated.verifier()));
    }

    #[test]
    fn authorization_url_carries_the_pkce_challenge() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let base = Url::parse("https://dev1.service-now.com").unwrap();
        let url = authorization_url(
            &base,
            "abc123",
            "https://cb.example.com/cb?t=1&x=y",
            "st ate+",
            &pkce,
        );
        assert_eq!(url.path(), "/oauth_auth.do");
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let expected = [
            ("response_type", "code"),
            ("client_id", "abc123"),
            ("redirect_uri", "https://cb.example.com/cb?t=1&x=y"),
            ("state", "st ate+"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ];
        assert_eq!(
            pairs,
            expected
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .to_vec()
        );
    }

    // servicenow.md §2.3: the recorded success body.
    #[test]
    fn rule_2_3_token_answers_give_an_absolute_expiry() {
        let tokens = token_answer(
            Grant::Password,
            answer(
                200,
                r#"{"scope":"useraccount","token_type":"Bearer","expires_in":1799,"refresh_token":"jZPd","access_token":"2wRl"}"#,
            ),
            1_000_000,
        )
        .unwrap();
        assert_eq!(tokens.access_token, "2wRl");
        assert_eq!(tokens.refresh_token.as_deref(), Some("jZPd"));
        assert_eq!(tokens.expires_at, 1_001_799);
        assert_eq!(tokens.scope, "useraccount");
        assert!(!tokens.is_expired(1_001_798));
        assert!(tokens.is_expired(1_001_799));
        assert!(tokens.expires_within(1_001_700, 120));
        // Client credentials: scope "" and no refresh token (§2.3).
        let cc = token_answer(
            Grant::ClientCredentials,
            answer(
                200,
                r#"{"access_token":"x","scope":"","token_type":"Bearer","expires_in":"1799"}"#,
            ),
            0,
        )
        .unwrap();
        assert_eq!(cc.refresh_token, None);
        assert_eq!(cc.expires_at, 1799);
    }

    #[test]
    fn rule_2_3_every_failure_is_denied() {
        let error = token_answer(
            Grant::RefreshToken,
            answer(
                401,
                r#"{"error_description":"access_denied","error":"server_error"}"#,
            ),
            0,
        )
        .unwrap_err();
        assert_eq!(
            error,
            OAuthError::Denied {
                grant: Grant::RefreshToken
            }
        );
        assert_eq!(
            error.to_string(),
            "the instance refused the refresh_token grant: wrong client secret, user, password, refresh token, or the grant is disabled"
        );
        assert!(error.is_refused());
        assert!(!error.is_retryable());
        let rfc = token_answer(
            Grant::AuthorizationCode,
            answer(400, r#"{"error":"invalid_grant","error_description":"PKCE code_verifier does not match"}"#),
            0,
        )
        .unwrap_err();
        assert!(
            matches!(&rfc, OAuthError::Rejected { error, .. } if error == "invalid_grant"),
            "{rfc:?}"
        );
        assert!(rfc
            .to_string()
            .contains("PKCE code_verifier does not match"));
        let busy = token_answer(Grant::Password, answer(503, "<html>busy</html>"), 0).unwrap_err();
        assert!(busy.is_retryable(), "{busy:?}");
    }

    #[test]
    fn hostile_token_answers_are_unexpected_responses() {
        for body in [
            "",
            "<html>",
            "[]",
            "{}",
            r#"{"access_token":""}"#,
            r#"{"access_token":7,"expires_in":1}"#,
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_in":"soon"}"#,
            r#"{"access_token":"a","expires_in":1,"token_type":"mac"}"#,
            r#"{"access_token":"a","expires_in":1,"refresh_token":{}}"#,
        ] {
            let error = token_answer(Grant::Password, answer(200, body), 0).unwrap_err();
            assert!(
                matches!(error, OAuthError::Api(ApiError::UnexpectedResponse(_))),
                "{body}: {error:?}"
            );
        }
    }

    #[test]
    fn token_debug_never_prints_tokens() {
        let tokens = TokenSet {
            access_token: "secret-access".into(),
            refresh_token: Some("secret-refresh".into()),
            expires_at: 5,
            scope: "useraccount".into(),
        };
        let shown = format!("{tokens:?} {:?}", tokens.auth());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("expires_at: 5"));
    }
}
