//! The ServiceNow side of "link my CRM account": the OAuth authorization-code flow with PKCE
//! against the instance's `/oauth_auth.do` and token endpoint, who signed in (`sys_user`), and
//! what that user's own token may read. Which user may become which agent, tickets, the
//! browser binding and what the agent is told are the link flow's (integration).

use callbridge_core::TenantId;
use callbridge_crm::{
    async_trait, AccountLinking, Authorization, CrmError, CrmUser, LinkTokens, MissingRead,
};

use super::config::ServiceNowConfig;
use super::connection::Connection;
use super::rights;
use crate::oauth::random_state;
use crate::{current_user, ApiError, Auth, ColumnName, Pkce, SysId};

/// One tenant's instance as the link flow uses it.
pub struct ServiceNowLinking {
    config: ServiceNowConfig,
    connection: Connection,
}

impl ServiceNowLinking {
    pub fn new(config: ServiceNowConfig, connection: Connection) -> ServiceNowLinking {
        ServiceNowLinking { config, connection }
    }
}

/// `servicenow <instance> <client id>`, the instance as a URL parser normalizes it (lower-case
/// scheme and host, no default port, no trailing slash), so that two spellings of one instance
/// are one sign-in.
fn sign_in_identity(instance_url: &str, client_id: &str) -> String {
    let instance = match reqwest::Url::parse(instance_url) {
        Ok(url) => url.as_str().trim_end_matches('/').to_string(),
        Err(_) => instance_url.trim_end_matches('/').to_string(),
    };
    format!("servicenow {instance} {}", client_id.trim())
}

#[async_trait]
impl AccountLinking for ServiceNowLinking {
    fn crm_name(&self) -> &str {
        "ServiceNow"
    }

    fn instance_url(&self, _tenant: &TenantId) -> Option<String> {
        Some(self.config.instance_url.clone())
    }

    /// The instance and the OAuth client: the sign-in page and the token are the same for
    /// every tenant that names both.
    fn sign_in_identity(&self, _tenant: &TenantId) -> Option<String> {
        Some(sign_in_identity(
            &self.config.instance_url,
            &self.config.client_id,
        ))
    }

    /// The first lookup table of each kind, and the Case table.
    fn record_tables(&self, _tenant: &TenantId) -> Vec<(String, String)> {
        let mut tables: Vec<(String, String)> = Vec::new();
        for lookup in &self.config.lookup.tables {
            let role = match lookup.kind {
                callbridge_core::PartyKind::Contact => "contact",
                callbridge_core::PartyKind::Consumer => "consumer",
            };
            if !tables.iter().any(|(r, _)| r == role) {
                tables.push((role.to_string(), lookup.table.as_str().to_string()));
            }
        }
        tables.push((
            "case".to_string(),
            self.config.case.table.as_str().to_string(),
        ));
        tables
    }

    /// The instance's own sign-out page.
    fn logout_url(&self, _tenant: &TenantId) -> Result<String, CrmError> {
        Ok(format!("{}/logout.do", self.config.instance_url))
    }

    fn authorize(&self, _tenant: &TenantId, redirect_uri: &str) -> Result<Authorization, CrmError> {
        let pkce = Pkce::generate();
        let state = random_state();
        let url = self
            .connection
            .oauth
            .authorization_url(redirect_uri, &state, &pkce);
        Ok(Authorization {
            url: url.to_string(),
            state,
            verifier: pkce.verifier().to_string(),
        })
    }

    async fn exchange_code(
        &self,
        _tenant: &TenantId,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        now: i64,
    ) -> Result<LinkTokens, CrmError> {
        let tokens = self
            .connection
            .oauth
            .exchange_code(code, redirect_uri, verifier, now)
            .await
            .map_err(|e| {
                if e.is_refused() {
                    CrmError::Rejected(e.to_string())
                } else {
                    CrmError::Unavailable(e.to_string())
                }
            })?;
        let refresh_token = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| CrmError::Rejected("the instance issued no refresh token".into()))?;
        Ok(LinkTokens {
            access_token: tokens.access_token,
            refresh_token,
            expires_at: tokens.expires_at,
        })
    }

    async fn current_user(
        &self,
        _tenant: &TenantId,
        access_token: &str,
    ) -> Result<CrmUser, CrmError> {
        let user = current_user(
            &self.connection.instance,
            &Auth::bearer(access_token.to_string()),
        )
        .await
        .map_err(|e| CrmError::Unavailable(e.to_string()))?;
        Ok(CrmUser {
            id: user.sys_id,
            user_name: user.user_name,
            name: user.name,
            email: user.email,
        })
    }

    async fn missing_reads(
        &self,
        _tenant: &TenantId,
        access_token: &str,
    ) -> Result<Vec<MissingRead>, CrmError> {
        rights::missing_reads(
            &self.connection.tables,
            &Auth::bearer(access_token.to_string()),
            &self.config,
        )
        .await
        .map_err(|e| CrmError::Unavailable(e.to_string()))
    }

    /// A GET of the Case's `sys_id` with the viewer's token: ServiceNow answers 404 both for a
    /// missing record and for one the user's ACLs hide, and 403 for a table they may not read.
    async fn may_read_case_as(
        &self,
        _tenant: &TenantId,
        access_token: &str,
        case: &callbridge_kernel::ids::CaseRef,
    ) -> Result<bool, CrmError> {
        let Ok(sys_id) = SysId::new(case.id.as_str()) else {
            return Ok(false);
        };
        let fields = [ColumnName::new("sys_id").expect("valid")];
        let answer = self
            .connection
            .tables
            .get(
                &Auth::bearer(access_token.to_string()),
                &self.config.case.table,
                &sys_id,
                &fields,
            )
            .await;
        match answer {
            Ok(found) => Ok(found.is_some()),
            Err(ApiError::Forbidden { .. } | ApiError::NotFound { .. }) => Ok(false),
            Err(ApiError::Unauthorized { .. }) => Err(CrmError::RelinkRequired),
            Err(other) => Err(CrmError::Unavailable(other.to_string())),
        }
    }

    /// Not done for ServiceNow: Callbridge forgets the tokens when an agent unlinks, and they
    /// stay valid at the instance until they expire. Said as an error so no caller assumes
    /// otherwise.
    async fn revoke(&self, _tenant: &TenantId, _tokens: &LinkTokens) -> Result<(), CrmError> {
        Err(CrmError::Rejected(
            "revoking ServiceNow tokens is not supported; they expire on their own".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_identity;

    #[test]
    fn one_instance_and_client_is_one_sign_in_however_the_url_is_spelled() {
        let one = sign_in_identity("https://Acme.Service-Now.com", "client-1");
        assert_eq!(one, "servicenow https://acme.service-now.com client-1");
        assert_eq!(
            sign_in_identity("https://acme.service-now.com:443/", "client-1"),
            one
        );
        assert_ne!(
            sign_in_identity("https://acme.service-now.com", "client-2"),
            one
        );
        assert_ne!(
            sign_in_identity("https://globex.service-now.com", "client-1"),
            one
        );
        assert_ne!(
            sign_in_identity("http://127.0.0.1:8443", "client-1"),
            sign_in_identity("http://127.0.0.1:8444", "client-1")
        );
    }
}
