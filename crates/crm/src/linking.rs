use std::fmt::Write as _;

use async_trait::async_trait;
use callbridge_core::TenantId;

use crate::CrmError;

/// Where to send the agent's browser to sign in to the CRM, and what the callback needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The CRM's sign-in and consent page, with `state` and the PKCE challenge in it.
    pub url: String,
    /// The random `state` the callback brings back.
    pub state: String,
    /// The PKCE verifier to present with the code; never leaves the server.
    pub verifier: String,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("url", &self.url)
            .field("state", &self.state)
            .field("verifier", &"<redacted>")
            .finish()
    }
}

/// The tokens a completed sign-in grants the agent's own CRM user.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires, in Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for LinkTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkTokens")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The CRM user behind a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmUser {
    /// The user's record id (what Cases are assigned to).
    pub id: String,
    /// The sign-in name.
    pub user_name: String,
    /// The full name, empty when unknown.
    pub name: String,
    /// The e-mail address, empty when the record has none.
    pub email: String,
}

/// A table (or object type) the agent's CRM user may not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRead {
    pub table: String,
    /// What it is for us ("caller lookup" or "Cases").
    pub purpose: &'static str,
    /// The CRM role that grants reading it, when the adapter knows one.
    pub role: Option<&'static str>,
    /// The CRM's refusal.
    pub refusal: String,
}

/// The CRM side of linking an agent's own CRM account (OAuth authorization code with PKCE, or
/// whatever the CRM uses). Which CRM user may become which agent, and what the agent is told,
/// are the caller's policy.
#[async_trait]
pub trait AccountLinking: Send + Sync + 'static {
    /// The CRM's name as agents know it ("ServiceNow"), for what they are told.
    fn crm_name(&self) -> &str;

    /// Where an agent signs out of the CRM (to sign in as someone else).
    fn logout_url(&self, tenant: &TenantId) -> Result<String, CrmError>;

    /// Starts a sign-in that comes back to `redirect_uri`: a fresh state and PKCE pair.
    fn authorize(&self, tenant: &TenantId, redirect_uri: &str) -> Result<Authorization, CrmError>;

    /// Exchanges the callback's `code`. A refused code or a grant without a refresh token is
    /// [`CrmError::Rejected`]; an unreachable CRM is [`CrmError::Unavailable`].
    async fn exchange_code(
        &self,
        tenant: &TenantId,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        now: i64,
    ) -> Result<LinkTokens, CrmError>;

    /// Who the access token belongs to.
    async fn current_user(
        &self,
        tenant: &TenantId,
        access_token: &str,
    ) -> Result<CrmUser, CrmError>;

    /// What the user behind `access_token` may not read of what lookups and Cases need: every
    /// lookup table and the Case table. Empty when all is readable.
    async fn missing_reads(
        &self,
        tenant: &TenantId,
        access_token: &str,
    ) -> Result<Vec<MissingRead>, CrmError>;

    /// Revokes the tokens at the CRM where it supports that; forgetting them locally is the
    /// caller's part. Best effort: an error means they may still be valid until they expire.
    async fn revoke(&self, tenant: &TenantId, tokens: &LinkTokens) -> Result<(), CrmError>;

    /// The CRM's web address agents' browsers open (the softphone frames it and opens records
    /// there), if it has one.
    fn instance_url(&self, _tenant: &TenantId) -> Option<String> {
        None
    }

    /// The CRM's record tables by role (`contact`, `consumer`, `case`), for pages that open a
    /// record in the CRM.
    fn record_tables(&self, _tenant: &TenantId) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// "customer_contact (caller lookup), ... ": the tables, each with what grants it.
pub fn describe_missing(missing: &[MissingRead]) -> String {
    let mut text = String::new();
    for (i, m) in missing.iter().enumerate() {
        if i > 0 {
            text.push_str(if i + 1 == missing.len() {
                " and "
            } else {
                ", "
            });
        }
        let _ = write!(text, "{} ({}", m.table, m.purpose);
        match m.role {
            Some(role) => {
                let _ = write!(text, "; granted by role {role})");
            }
            None => text.push_str("; granted by the role its read ACL requires)"),
        }
    }
    text
}

/// The roles to grant, deduplicated, in the order the tables came.
pub fn roles_to_grant(missing: &[MissingRead]) -> Vec<&'static str> {
    let mut roles = Vec::new();
    for role in missing.iter().filter_map(|m| m.role) {
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles
}
