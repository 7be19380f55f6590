//! Checks 1 to 3: the instance answers as ServiceNow over TLS we trust, the tenant's service
//! credential obtains a token, and the agents' sign-in redirect URI is registered.

use std::time::Duration;

use crate::probe::{authorize_page_accepts, reachability, Reachability};
use crate::{current_user, ApiError, Auth, Grant, Instance, OAuthClient, OAuthError};

use super::unix_now;
use super::TenantConfig;
use crate::adapter::connection::instance_config;
use crate::adapter::ServiceGrant;
use callbridge_kernel::check::{Check, Text};

pub const REACHABLE: &str = "instance.reachable";
pub const SERVICE_GRANT: &str = "oauth.service_grant";
pub const AUTHORIZE_REDIRECT: &str = "oauth.authorize_redirect";

const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The service account, once its credential worked.
pub struct Service {
    pub auth: Auth,
    /// How fixes name the account: its user name, or a description when unknown.
    pub user: String,
    /// The same in Japanese (the user name itself when known).
    pub user_ja: String,
}

fn reachable_title(tenant: &TenantConfig) -> Text {
    let url = &tenant.servicenow.instance_url;
    Text::new(
        format!("ServiceNow instance {url} reachable"),
        format!("ServiceNow インスタンス {url} に接続できる"),
    )
}

fn grant_title(tenant: &TenantConfig) -> Text {
    match &tenant.servicenow.service_grant {
        ServiceGrant::ClientCredentials => Text::new(
            "Service credential (client_credentials grant)",
            "サービス資格情報（client_credentials グラント）でトークンを取得できる",
        ),
        ServiceGrant::Password { user, .. } => Text::new(
            format!("Service credential (password grant as {user})"),
            format!("サービス資格情報（{user} としてパスワード グラント）でトークンを取得できる"),
        ),
    }
}

fn redirect_title() -> Text {
    Text::new(
        "Agents' sign-in redirect URI registered",
        "エージェントのサインイン用リダイレクト URI が登録されている",
    )
}

/// Why a check did not run: `prerequisite` (a check id) failed.
pub fn skipped_because(prerequisite: &str) -> Text {
    Text::new(
        format!("skipped: {prerequisite} failed"),
        format!("スキップ: {prerequisite} が失敗したため"),
    )
}

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
                Text::new(
                    format!("cannot set up the connection: {e}"),
                    format!("接続を準備できません: {e}"),
                ),
                Text::new(
                    "Configuration: tenant.servicenow.instance_url must be https://<instance>.service-now.com and \
                     tenant.servicenow.ca_file a PEM file holding the CA certificate(s) that sign the instance's certificate",
                    "設定: tenant.servicenow.instance_url を https://<instance>.service-now.com に、\
                     tenant.servicenow.ca_file をインスタンスの証明書に署名した CA 証明書を含む PEM ファイルにしてください",
                ),
            ));
            return None;
        }
    };
    match reachability(&instance).await {
        Ok(Reachability::ServiceNow) => {
            let (tls, tls_ja) = if sn.instance_url.starts_with("https://") {
                if sn.ca_pem.is_some() {
                    (
                        "TLS verified with the configured CA",
                        "TLS は設定した CA で検証済み",
                    )
                } else {
                    (
                        "TLS verified with the public roots",
                        "TLS は公開ルート証明書で検証済み",
                    )
                }
            } else {
                (
                    "plain HTTP (loopback only)",
                    "暗号化なしの HTTP（ループバックのみ）",
                )
            };
            checks.push(Check::pass(
                REACHABLE,
                title,
                Text::new(
                    format!("answered an anonymous Table API request like ServiceNow (401 Service-now); {tls}"),
                    format!("匿名の Table API リクエストに ServiceNow として応答しました（401 Service-now）。{tls_ja}"),
                ),
            ));
            Some(instance)
        }
        Ok(Reachability::NotServiceNow { status, hint }) => {
            let fix = if (300..400).contains(&status) {
                Text::new(
                    "The instance redirected: wake it if it is a hibernating developer instance (developer.servicenow.com), \
                     or correct tenant.servicenow.instance_url to the instance's own https://<instance>.service-now.com address",
                    "インスタンスがリダイレクトしました: 休止中の開発者インスタンスなら起動してください（developer.servicenow.com）。\
                     そうでなければ tenant.servicenow.instance_url をインスタンス自身の https://<instance>.service-now.com に直してください",
                )
            } else {
                Text::new(
                    "Configuration: point tenant.servicenow.instance_url at the instance itself (https://<instance>.service-now.com), \
                     not at a portal, proxy login page or another site; check System Web Services > REST API access is not blocked",
                    "設定: tenant.servicenow.instance_url はポータル、プロキシのログイン ページ、別のサイトではなく、\
                     インスタンス自身（https://<instance>.service-now.com）を指すようにしてください。\
                     System Web Services > REST API でアクセスが遮断されていないかも確認してください",
                )
            };
            checks.push(Check::fail(
                REACHABLE,
                title,
                Text::new(
                    format!(
                        "something answered, but not like a ServiceNow instance: HTTP {status}: {hint}"
                    ),
                    format!("応答はありましたが、ServiceNow インスタンスの応答ではありません: HTTP {status}: {hint}"),
                ),
                fix,
            ));
            None
        }
        Err(e) => {
            checks.push(Check::fail(
                REACHABLE,
                title,
                Text::new(e.to_string(), format!("インスタンスに接続できません: {e}")),
                transport_fix(&e, sn.ca_pem.is_some()),
            ));
            None
        }
    }
}

fn transport_fix(error: &ApiError, has_ca: bool) -> Text {
    // The transport error's own words: its message's advice ("... and TLS trust") names TLS
    // for every failure, a refused connection too.
    let text = match error {
        ApiError::Transport(cause) => cause.to_ascii_lowercase(),
        other => other.to_string().to_ascii_lowercase(),
    };
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
        Text::new(
            "TLS: the instance's certificate is not signed by a public CA; save the CA certificate that signs it \
             (PEM) and set tenant.servicenow.ca_file to that file",
            "TLS: インスタンスの証明書は公開 CA の署名ではありません。署名した CA 証明書を PEM で保存し、\
             tenant.servicenow.ca_file にそのファイルを設定してください",
        )
    } else if tls {
        Text::new(
            "TLS: tenant.servicenow.ca_file does not hold the CA that signs the instance's certificate (or the \
             certificate does not name this host); export the right CA (PEM) into that file",
            "TLS: tenant.servicenow.ca_file にインスタンスの証明書に署名した CA がありません（または証明書がこのホスト名を\
             含みません）。正しい CA を PEM でそのファイルに書き出してください",
        )
    } else {
        Text::new(
            "Network: check tenant.servicenow.instance_url (host and port), DNS, firewalls and HTTPS_PROXY/NO_PROXY \
             from this server to the instance",
            "ネットワーク: tenant.servicenow.instance_url（ホストとポート）、DNS、ファイアウォール、\
             このサーバーからインスタンスへの HTTPS_PROXY/NO_PROXY を確認してください",
        )
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
            let (user, user_ja, who, who_ja) = match current_user(instance, &auth).await {
                Ok(u) if !u.user_name.is_empty() => {
                    let who = if u.name.is_empty() {
                        u.user_name.clone()
                    } else {
                        format!("{} ({})", u.user_name, u.name)
                    };
                    (u.user_name.clone(), u.user_name, who.clone(), who)
                }
                _ => match configured_user {
                    Some(user) => (user.clone(), user.clone(), user.clone(), user),
                    None => {
                        let user = "the OAuth Application User of the Application Registry entry";
                        let ja = "アプリケーションレジストリのエントリの OAuth Application User";
                        (user.into(), ja.into(), user.into(), ja.into())
                    }
                },
            };
            let grant = match sn.service_grant {
                ServiceGrant::ClientCredentials => Grant::ClientCredentials,
                ServiceGrant::Password { .. } => Grant::Password,
            };
            checks.push(Check::pass(
                SERVICE_GRANT,
                title,
                Text::new(
                    format!("the {grant} grant issued a token; it acts as {who}"),
                    format!(
                        "{grant} グラントでトークンが発行されました。{who_ja} として動作します"
                    ),
                ),
            ));
            Some(Service {
                auth,
                user,
                user_ja,
            })
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

fn registry_fix(tenant: &TenantConfig) -> Text {
    let id = &tenant.servicenow.client_id;
    Text::new(
        format!(
            "System OAuth > Application Registry: open the entry whose Client ID is {id}, check the Client ID and \
             Client Secret (unlock the secret field and copy it again) and that the entry is Active, then set \
             tenant.servicenow.client_id and client_secret to them"
        ),
        format!(
            "System OAuth > Application Registry（アプリケーションレジストリ）: Client ID が {id} のエントリを開き、\
             Client ID と Client Secret（シークレット欄のロックを外してコピーし直す）、エントリが Active であることを確認し、\
             その値を tenant.servicenow.client_id と client_secret に設定してください"
        ),
    )
}

fn cc_enable_fix() -> Text {
    Text::new(
        "System Properties (sys_properties.list): create \
         glide.oauth.inbound.client.credential.grant_type.enabled = true (type true|false) and set the OAuth Application \
         User on the Application Registry entry (add the field to the form; use a web-service-only integration user with \
         the sn_customerservice_agent and personalize_dictionary roles); client credentials need Washington DC or later",
        "System Properties（sys_properties.list）: glide.oauth.inbound.client.credential.grant_type.enabled = true\
         （型 true|false）を作成し、アプリケーションレジストリのエントリに OAuth Application User を設定してください\
         （フォームにフィールドを追加します。sn_customerservice_agent と personalize_dictionary ロールを持つ Web サービス専用の\
         連携ユーザーを使います）。client credentials グラントには Washington DC 以降が必要です",
    )
}

/// "Either (1) …; or (2) …" of two fixes.
fn either(first: Text, second: Text) -> Text {
    Text::new(
        format!("Either (1) {}; or (2) {}", first.en, second.en),
        format!(
            "次のどちらかです: (1) {}。または (2) {}",
            first.ja.unwrap_or(first.en),
            second.ja.unwrap_or(second.en)
        ),
    )
}

fn client_credentials_failure(tenant: &TenantConfig, error: &OAuthError) -> (Text, Text) {
    match error {
        OAuthError::Denied { .. } => (
            Text::new(
                "the instance refused the client_credentials grant (401 server_error/access_denied). ServiceNow gives \
                 this same answer for a wrong Client ID or Secret and for a client-credentials grant that is switched off \
                 or has no OAuth Application User, so either may be the cause",
                "インスタンスが client_credentials グラントを拒否しました（401 server_error/access_denied）。ServiceNow は \
                 Client ID やシークレットの誤りにも、client credentials グラントが無効または OAuth Application User 未設定の\
                 場合にも同じ応答を返すため、どちらも原因になり得ます",
            ),
            either(registry_fix(tenant), cc_enable_fix()),
        ),
        OAuthError::Rejected { error: code, .. } if code == "invalid_client" || code == "unauthorized_client" => {
            (refused(error), registry_fix(tenant))
        }
        OAuthError::Rejected { error: code, .. } if code == "unsupported_grant_type" => {
            (refused(error), cc_enable_fix())
        }
        OAuthError::Rejected { .. } => (
            refused(error),
            either(registry_fix(tenant), cc_enable_fix()),
        ),
        other => (token_failed(other), unreachable_fix()),
    }
}

/// [`OAuthError`]'s words in Japanese, the instance's own (an error code, its description, a
/// transport error) kept as they are.
pub(super) fn oauth_error_ja(error: &OAuthError) -> String {
    match error {
        OAuthError::Denied { grant } => format!(
            "インスタンスが {grant} グラントを拒否しました（クライアント シークレット、ユーザー、パスワード、\
             リフレッシュ トークンのいずれかの誤り、またはグラントの無効）"
        ),
        OAuthError::Rejected {
            grant,
            status,
            error,
            description,
        } => {
            let description = match description {
                Some(d) if !d.is_empty() => format!(": {d}"),
                _ => String::new(),
            };
            format!("インスタンスが {grant} グラントを拒否しました（{status} {error}{description}）")
        }
        OAuthError::InvalidVerifier | OAuthError::Api(_) => {
            format!("トークンを要求できませんでした: {error}")
        }
    }
}

/// The instance's refusal of a token request.
fn refused(error: &OAuthError) -> Text {
    Text::new(error.to_string(), oauth_error_ja(error))
}

/// A token request that got no answer to judge (network, timeout, 5xx).
fn token_failed(error: &OAuthError) -> Text {
    Text::new(error.to_string(), oauth_error_ja(error))
}

fn unreachable_fix() -> Text {
    Text::new(
        "Run doctor again; if it persists, check the instance's health (System Diagnostics > Stats) and the network \
         path to /oauth_token.do",
        "doctor をもう一度実行してください。続く場合はインスタンスの状態（System Diagnostics > Stats）と \
         /oauth_token.do までのネットワーク経路を確認してください",
    )
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
) -> (Text, Text) {
    if !error.is_refused() {
        return (token_failed(error), unreachable_fix());
    }
    let basic = current_user(instance, &Auth::basic(user, password)).await;
    let ropc = Text::new(
        "System Properties: make sure glide.oauth.inbound.ropc.grant_type.disabled is false (the password \
         grant is off when it is true), or switch to service_grant = \"client_credentials\"",
        "System Properties: glide.oauth.inbound.ropc.grant_type.disabled が false であることを確認してください\
         （true ではパスワード グラントが無効です）。または service_grant = \"client_credentials\" に切り替えてください",
    );
    let registry = registry_fix(tenant);
    let registry_ja = registry.ja.clone().unwrap_or_default();
    let error_ja = oauth_error_ja(error);
    match basic {
        Ok(_) => (
            Text::new(
                format!(
                    "{error}. The user {user} and its password are right (Basic authentication works), so the \
                     client is refused or the password grant is disabled"
                ),
                format!(
                    "{error_ja}。ユーザー {user} とパスワードは正しい（Basic 認証は通る）ため、クライアントが拒否されているか、\
                     パスワード グラントが無効です"
                ),
            ),
            either(registry, ropc),
        ),
        Err(ApiError::Unauthorized { .. }) => (
            Text::new(
                format!("{error}. Basic authentication as {user} fails too: the user name or password is wrong"),
                format!("{error_ja}。{user} での Basic 認証も失敗します: ユーザー名かパスワードが誤っています"),
            ),
            Text::new(
                format!(
                    "User Administration > Users: open {user}, set a new password (clear \"Password needs reset\", check \
                     Active and not Locked out) and put it in tenant.servicenow.service_password; if that does not help, \
                     {}",
                    registry.en
                ),
                format!(
                    "User Administration > Users: {user} を開いて新しいパスワードを設定し（\"Password needs reset\" を外し、\
                     Active でロックアウトされていないことを確認）、tenant.servicenow.service_password に設定してください。\
                     それでも解決しない場合は、{registry_ja}"
                ),
            ),
        ),
        Err(_) => (
            Text::new(
                format!("{error}. ServiceNow gives this answer for a wrong client secret, user or password, or a disabled password grant"),
                format!(
                    "{error_ja}。ServiceNow はクライアント シークレット、ユーザー、パスワードの誤りにも、\
                     パスワード グラントの無効にもこの応答を返します"
                ),
            ),
            Text::new(
                format!(
                    "Check, in this order: (1) {}; (2) User Administration > Users: the password of {user}; (3) {}",
                    registry.en, ropc.en
                ),
                format!(
                    "次の順に確認してください: (1) {registry_ja}。(2) User Administration > Users: {user} のパスワード。(3) {}",
                    ropc.ja.clone().unwrap_or_default()
                ),
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
            redirect_title(),
            Text::new(
                format!("/oauth_auth.do accepts client {client_id} with redirect URI {uri}"),
                format!("/oauth_auth.do はクライアント {client_id} とリダイレクト URI {uri} を受け付けます"),
            ),
        )),
        Ok(false) => checks.push(Check::fail(
            AUTHORIZE_REDIRECT,
            redirect_title(),
            Text::new(
                format!(
                    "/oauth_auth.do refused client {client_id} with redirect URI {uri}: agents cannot link their \
                     ServiceNow accounts"
                ),
                format!(
                    "/oauth_auth.do がクライアント {client_id} とリダイレクト URI {uri} を拒否しました: \
                     エージェントが ServiceNow アカウントを連携できません"
                ),
            ),
            Text::new(
                format!(
                    "System OAuth > Application Registry: open the entry whose Client ID is {client_id}, add {uri} to \
                     Redirect URL (comma-separated, exactly as written) and check the entry is Active; if the URI itself \
                     is wrong, correct server.public_url"
                ),
                format!(
                    "System OAuth > Application Registry（アプリケーションレジストリ）: Client ID が {client_id} のエントリを開き、\
                     Redirect URL に {uri} を書かれたとおりに追加し（カンマ区切り）、エントリが Active であることを確認してください。\
                     URI 自体が誤っている場合は server.public_url を直してください"
                ),
            ),
        )),
        Err(e) => checks.push(Check::fail(
            AUTHORIZE_REDIRECT,
            redirect_title(),
            Text::new(e.to_string(), format!("/oauth_auth.do を確認できませんでした: {e}")),
            unreachable_fix(),
        )),
    }
}

/// The checks 2 and 3 would have produced, when check 1 failed.
pub fn skip_after_unreachable(tenant: &TenantConfig, checks: &mut Vec<Check>) {
    let reason = skipped_because(REACHABLE);
    checks.push(Check::skipped(SERVICE_GRANT, grant_title(tenant), &reason));
    checks.push(Check::skipped(AUTHORIZE_REDIRECT, redirect_title(), reason));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_grant_reads_in_japanese_with_the_instances_words_kept() {
        let denied = OAuthError::Denied {
            grant: Grant::Password,
        };
        assert!(
            oauth_error_ja(&denied).starts_with("インスタンスが password グラントを拒否しました"),
            "{}",
            oauth_error_ja(&denied)
        );
        let rejected = OAuthError::Rejected {
            grant: Grant::ClientCredentials,
            status: 400,
            error: "invalid_client".into(),
            description: Some("Client authentication failed".into()),
        };
        let text = refused(&rejected);
        assert_eq!(text.en, rejected.to_string());
        assert_eq!(
            text.ja.as_deref(),
            Some(
                "インスタンスが client_credentials グラントを拒否しました\
                 （400 invalid_client: Client authentication failed）"
            )
        );
        let refused = ApiError::Transport(
            "error sending request: client error (Connect): tcp connect error: Connection refused"
                .into(),
        );
        assert!(transport_fix(&refused, false).en.starts_with("Network: "));
        let untrusted = ApiError::Transport(
            "client error (Connect): invalid peer certificate: UnknownIssuer".into(),
        );
        assert!(transport_fix(&untrusted, false).en.starts_with("TLS: "));
        assert!(transport_fix(&untrusted, true)
            .ja
            .unwrap()
            .starts_with("TLS: tenant.servicenow.ca_file"));
        let fix = either(
            Text::new("fix one", "一つ目"),
            Text::new("fix two", "二つ目"),
        );
        assert_eq!(fix.en, "Either (1) fix one; or (2) fix two");
        assert_eq!(
            fix.ja.as_deref(),
            Some("次のどちらかです: (1) 一つ目。または (2) 二つ目")
        );
    }
}
