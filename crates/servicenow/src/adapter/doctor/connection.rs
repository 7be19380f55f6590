//! Checks 1 to 3: the instance answers as ServiceNow over TLS we trust, the tenant's service
//! credential obtains a token, and the agents' sign-in redirect URI is registered.

use std::time::Duration;

use crate::probe::{authorize_page_accepts, reachability, Reachability};
use crate::{current_user, ApiError, Auth, Grant, Instance, OAuthClient, OAuthError};

use super::unix_now;
use super::TenantConfig;
use crate::adapter::connection::instance_config;
use crate::adapter::ServiceGrant;
use callbridge_kernel::check::Check;

pub const REACHABLE: &str = "instance.reachable";
pub const SERVICE_GRANT: &str = "oauth.service_grant";
pub const AUTHORIZE_REDIRECT: &str = "oauth.authorize_redirect";

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The service account, once its credential worked.
pub struct Service {
    pub auth: Auth,
    /// How fixes name the account: its user name, or a description when unknown.
    pub user: String,
}

fn reachable_title(tenant: &TenantConfig) -> String {
    format!(
        "ServiceNow instance {} reachable",
        tenant.servicenow.instance_url
    )
}

fn grant_title(tenant: &TenantConfig) -> String {
    match &tenant.servicenow.service_grant {
        ServiceGrant::ClientCredentials => "Service credential (client_credentials grant)".into(),
        ServiceGrant::Password { user, .. } => {
            format!("Service credential (password grant as {user})")
        }
    }
}

const REDIRECT_TITLE: &str = "Agents' sign-in redirect URI registered";

/// Check 1. Returns the connection when the instance answered like ServiceNow.
pub async fn reachable(tenant: &TenantConfig, checks: &mut Vec<Check>) -> Option<Instance> {
    let sn = &tenant.servicenow;
    let title = reachable_title(tenant);
    // The adapter's connection settings, with doctor's longer patience.
    let config = instance_config(sn).with_timeout(REQUEST_TIMEOUT);
    let instance = match Instance::new(config) {
        Ok(instance) => instance,
        Err(e) => {
            checks.push(Check::fail(
                REACHABLE,
                title,
                format!("cannot set up the connection: {e}"),
                "Configuration: tenant.servicenow.instance_url must be https://<instance>.service-now.com and \
                 tenant.servicenow.ca_file a PEM file holding the CA certificate(s) that sign the instance's certificate",
            ));
            return None;
        }
    };
    match reachability(&instance).await {
        Ok(Reachability::ServiceNow) => {
            let tls = if sn.instance_url.starts_with("https://") {
                if sn.ca_pem.is_some() {
                    "TLS verified with the configured CA"
                } else {
                    "TLS verified with the public roots"
                }
            } else {
                "plain HTTP (loopback only)"
            };
            checks.push(Check::pass(
                REACHABLE,
                title,
                format!("answered an anonymous Table API request like ServiceNow (401 Service-now); {tls}"),
            ));
            Some(instance)
        }
        Ok(Reachability::NotServiceNow { status, hint }) => {
            let fix = if (300..400).contains(&status) {
                "The instance redirected: wake it if it is a hibernating developer instance (developer.servicenow.com), \
                 or correct tenant.servicenow.instance_url to the instance's own https://<instance>.service-now.com address"
            } else {
                "Configuration: point tenant.servicenow.instance_url at the instance itself (https://<instance>.service-now.com), \
                 not at a portal, proxy login page or another site; check System Web Services > REST API access is not blocked"
            };
            checks.push(Check::fail(
                REACHABLE,
                title,
                format!(
                    "something answered, but not like a ServiceNow instance: HTTP {status}: {hint}"
                ),
                fix,
            ));
            None
        }
        Err(e) => {
            checks.push(Check::fail(
                REACHABLE,
                title,
                e.to_string(),
                transport_fix(&e, sn.ca_pem.is_some()),
            ));
            None
        }
    }
}

fn transport_fix(error: &ApiError, has_ca: bool) -> String {
    let text = error.to_string().to_ascii_lowercase();
    let tls = [
        "certificate",
        "tls",
        "handshake",
        "unknownissuer",
        "unknown issuer",
        "self signed",
        "invalid peer",
    ]
    .iter()
    .any(|w| text.contains(w));
    if tls && !has_ca {
        "TLS: the instance's certificate is not signed by a public CA; save the CA certificate that signs it \
         (PEM) and set tenant.servicenow.ca_file to that file"
            .into()
    } else if tls {
        "TLS: tenant.servicenow.ca_file does not hold the CA that signs the instance's certificate (or the \
         certificate does not name this host); export the right CA (PEM) into that file"
            .into()
    } else {
        "Network: check tenant.servicenow.instance_url (host and port), DNS, firewalls and HTTPS_PROXY/NO_PROXY \
         from this server to the instance"
            .into()
    }
}

/// Check 2. Returns the service credential when a token (or a session) was obtained.
pub async fn service_grant(
    tenant: &TenantConfig,
    instance: &Instance,
    checks: &mut Vec<Check>,
) -> Option<Service> {
    let sn = &tenant.servicenow;
    let title = grant_title(tenant);
    let oauth = OAuthClient::new(
        instance.clone(),
        sn.client_id.clone(),
        sn.client_secret.expose().to_string(),
    );
    let now = unix_now();
    let granted = match &sn.service_grant {
        ServiceGrant::ClientCredentials => oauth.client_credentials(now).await,
        ServiceGrant::Password { user, password } => {
            oauth.password(user, password.expose(), now).await
        }
    };
    match granted {
        Ok(tokens) => {
            let auth = tokens.auth();
            let configured_user = match &sn.service_grant {
                ServiceGrant::Password { user, .. } => Some(user.clone()),
                ServiceGrant::ClientCredentials => None,
            };
            let (user, who) = match current_user(instance, &auth).await {
                Ok(u) if !u.user_name.is_empty() => {
                    let who = if u.name.is_empty() {
                        u.user_name.clone()
                    } else {
                        format!("{} ({})", u.user_name, u.name)
                    };
                    (u.user_name, who)
                }
                _ => {
                    let user = configured_user.unwrap_or_else(|| {
                        "the OAuth Application User of the Application Registry entry".into()
                    });
                    (user.clone(), user)
                }
            };
            let grant = match sn.service_grant {
                ServiceGrant::ClientCredentials => Grant::ClientCredentials,
                ServiceGrant::Password { .. } => Grant::Password,
            };
            checks.push(Check::pass(
                SERVICE_GRANT,
                title,
                format!("the {grant} grant issued a token; it acts as {who}"),
            ));
            Some(Service { auth, user })
        }
        Err(error) => {
            let (detail, fix) = match &sn.service_grant {
                ServiceGrant::ClientCredentials => client_credentials_failure(tenant, &error),
                ServiceGrant::Password { user, password } => {
                    password_failure(tenant, instance, user, password.expose(), &error).await
                }
            };
            checks.push(Check::fail(SERVICE_GRANT, title, detail, fix));
            None
        }
    }
}

const REGISTRY_SECRET_FIX: &str = "System OAuth > Application Registry: open the entry whose Client ID is {id}, check \
     the Client ID and Client Secret (unlock the secret field and copy it again) and that the entry is Active, then \
     set tenant.servicenow.client_id and client_secret to them";

fn registry_fix(tenant: &TenantConfig) -> String {
    REGISTRY_SECRET_FIX.replace("{id}", &tenant.servicenow.client_id)
}

const CC_ENABLE_FIX: &str = "System Properties (sys_properties.list): create \
     glide.oauth.inbound.client.credential.grant_type.enabled = true (type true|false) and set the OAuth Application \
     User on the Application Registry entry (add the field to the form; use a web-service-only integration user with \
     the sn_customerservice_agent and personalize_dictionary roles); client credentials need Washington DC or later";

fn client_credentials_failure(tenant: &TenantConfig, error: &OAuthError) -> (String, String) {
    match error {
        OAuthError::Denied { .. } => (
            "the instance refused the client_credentials grant (401 server_error/access_denied). ServiceNow gives \
             this same answer for a wrong Client ID or Secret and for a client-credentials grant that is switched off \
             or has no OAuth Application User, so either may be the cause"
                .into(),
            format!("Either (1) {}; or (2) {CC_ENABLE_FIX}", registry_fix(tenant)),
        ),
        OAuthError::Rejected { error: code, .. } if code == "invalid_client" || code == "unauthorized_client" => {
            (error.to_string(), registry_fix(tenant))
        }
        OAuthError::Rejected { error: code, .. } if code == "unsupported_grant_type" => {
            (error.to_string(), CC_ENABLE_FIX.to_string())
        }
        OAuthError::Rejected { .. } => (
            error.to_string(),
            format!("Either (1) {}; or (2) {CC_ENABLE_FIX}", registry_fix(tenant)),
        ),
        other => (other.to_string(), unreachable_fix()),
    }
}

fn unreachable_fix() -> String {
    "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats) and the network \
     path to /oauth_token.do"
        .into()
}

/// The password grant's 401 does not say whether the client or the user is wrong; Basic auth
/// with the same user and password tells the two apart (it is available unless a REST access
/// policy forbids it, servicenow.md §2.4).
async fn password_failure(
    tenant: &TenantConfig,
    instance: &Instance,
    user: &str,
    password: &str,
    error: &OAuthError,
) -> (String, String) {
    if !error.is_refused() {
        return (error.to_string(), unreachable_fix());
    }
    let basic = current_user(instance, &Auth::basic(user, password)).await;
    let ropc = "System Properties: make sure glide.oauth.inbound.ropc.grant_type.disabled is false (the password \
                grant is off when it is true), or switch to service_grant = \"client_credentials\"";
    match basic {
        Ok(_) => (
            format!(
                "{error}. The user {user} and its password are right (Basic authentication works), so the \
                 client is refused or the password grant is disabled"
            ),
            format!("Either (1) {}; or (2) {ropc}", registry_fix(tenant)),
        ),
        Err(ApiError::Unauthorized { .. }) => (
            format!("{error}. Basic authentication as {user} fails too: the user name or password is wrong"),
            format!(
                "User Administration > Users: open {user}, set a new password (clear \"Password needs reset\", check \
                 Active and not Locked out) and put it in tenant.servicenow.service_password; if that does not help, \
                 {}",
                registry_fix(tenant)
            ),
        ),
        Err(_) => (
            format!("{error}. ServiceNow gives this answer for a wrong client secret, user or password, or a disabled password grant"),
            format!(
                "Check, in this order: (1) {}; (2) User Administration > Users: the password of {user}; (3) {ropc}",
                registry_fix(tenant)
            ),
        ),
    }
}

/// Check 3: `/oauth_auth.do` shows its sign-in page for our client and callback.
pub async fn authorize_redirect(
    tenant: &TenantConfig,
    redirect_uri: &str,
    instance: &Instance,
    checks: &mut Vec<Check>,
) {
    let uri = redirect_uri.to_string();
    let client_id = &tenant.servicenow.client_id;
    match authorize_page_accepts(instance, client_id, &uri).await {
        Ok(true) => checks.push(Check::pass(
            AUTHORIZE_REDIRECT,
            REDIRECT_TITLE,
            format!("/oauth_auth.do accepts client {client_id} with redirect URI {uri}"),
        )),
        Ok(false) => checks.push(Check::fail(
            AUTHORIZE_REDIRECT,
            REDIRECT_TITLE,
            format!(
                "/oauth_auth.do refused client {client_id} with redirect URI {uri}: agents cannot link their \
                 ServiceNow accounts"
            ),
            format!(
                "System OAuth > Application Registry: open the entry whose Client ID is {client_id}, add {uri} to \
                 Redirect URL (comma-separated, exactly as written) and check the entry is Active; if the URI itself \
                 is wrong, correct server.public_url"
            ),
        )),
        Err(e) => checks.push(Check::fail(AUTHORIZE_REDIRECT, REDIRECT_TITLE, e.to_string(), unreachable_fix())),
    }
}

/// The checks 2 and 3 would have produced, when check 1 failed.
pub fn skip_after_unreachable(tenant: &TenantConfig, checks: &mut Vec<Check>) {
    let reason = format!("skipped: {REACHABLE} failed");
    checks.push(Check::skipped(
        SERVICE_GRANT,
        grant_title(tenant),
        reason.clone(),
    ));
    checks.push(Check::skipped(AUTHORIZE_REDIRECT, REDIRECT_TITLE, reason));
}
