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

    /// Whether the user behind `access_token` may read the Case `case`, asked with that token
    /// (the recording page's check for a viewer who signed in with the CRM). A Case that does
    /// not exist or that the user's rights hide is `false`; a token the CRM no longer accepts is
    /// [`CrmError::RelinkRequired`].
    async fn may_read_case_as(
        &self,
        _tenant: &TenantId,
        _access_token: &str,
        _case: &callbridge_kernel::ids::CaseRef,
    ) -> Result<bool, CrmError> {
        Err(CrmError::Rejected(
            "this CRM cannot check a viewer's access to a Case".into(),
        ))
    }

    /// What a person's sign-in with this tenant's CRM is, as a text that is equal for two
    /// tenants exactly when signing in through either is the same sign-in (the same CRM kind,
    /// instance and OAuth client: the same page, and a token good for both). It must start with
    /// the CRM's kind so that two kinds never collide. `None` (the default): the adapter cannot
    /// tell, and the tenant's sign-in counts as its own.
    fn sign_in_identity(&self, _tenant: &TenantId) -> Option<String> {
        None
    }

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

/// Tenants whose CRM sign-in is one and the same (equal [`AccountLinking::sign_in_identity`]):
/// a viewer who signs in through one of them has signed in for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInGroup {
    /// The tenants' ids, sorted; never empty.
    pub tenants: Vec<String>,
    /// The CRM's name as people know it ("ServiceNow").
    pub crm_name: String,
}

/// Groups the tenants whose CRM signs people in by their sign-in: tenants with the same CRM
/// name and the same [`AccountLinking::sign_in_identity`] share a group; a tenant whose CRM
/// cannot tell its identity is a group of its own; a tenant whose CRM signs nobody in (`None`)
/// is in no group. Groups are ordered by their first tenant, tenants within a group sorted.
pub fn group_by_sign_in<'a>(
    tenants: impl IntoIterator<Item = (&'a str, Option<&'a dyn AccountLinking>)>,
) -> Vec<SignInGroup> {
    let mut groups: Vec<(Option<String>, SignInGroup)> = Vec::new();
    for (tenant, crm) in tenants {
        let Some(crm) = crm else { continue };
        let crm_name = crm.crm_name().to_string();
        let identity = crm.sign_in_identity(&TenantId::new(tenant));
        let joined = identity.as_ref().and_then(|identity| {
            groups.iter_mut().find(|(other, group)| {
                other.as_ref() == Some(identity) && group.crm_name == crm_name
            })
        });
        match joined {
            Some((_, group)) => group.tenants.push(tenant.to_string()),
            None => groups.push((
                identity,
                SignInGroup {
                    tenants: vec![tenant.to_string()],
                    crm_name,
                },
            )),
        }
    }
    let mut groups: Vec<SignInGroup> = groups.into_iter().map(|(_, group)| group).collect();
    for group in &mut groups {
        group.tenants.sort();
    }
    groups.sort_by(|a, b| a.tenants.cmp(&b.tenants));
    groups
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A CRM that only says who it is: grouping asks nothing else.
    struct SignIn {
        name: &'static str,
        identity: Option<&'static str>,
    }

    #[async_trait]
    impl AccountLinking for SignIn {
        fn crm_name(&self) -> &str {
            self.name
        }
        fn sign_in_identity(&self, _tenant: &TenantId) -> Option<String> {
            self.identity.map(str::to_string)
        }
        fn logout_url(&self, _tenant: &TenantId) -> Result<String, CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
        fn authorize(&self, _t: &TenantId, _r: &str) -> Result<Authorization, CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
        async fn exchange_code(
            &self,
            _t: &TenantId,
            _c: &str,
            _r: &str,
            _v: &str,
            _n: i64,
        ) -> Result<LinkTokens, CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
        async fn current_user(&self, _t: &TenantId, _a: &str) -> Result<CrmUser, CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
        async fn missing_reads(
            &self,
            _t: &TenantId,
            _a: &str,
        ) -> Result<Vec<MissingRead>, CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
        async fn revoke(&self, _t: &TenantId, _tokens: &LinkTokens) -> Result<(), CrmError> {
            Err(CrmError::Rejected("not asked when grouping".into()))
        }
    }

    fn group(tenants: &[&str], crm_name: &str) -> SignInGroup {
        SignInGroup {
            tenants: tenants.iter().map(|t| t.to_string()).collect(),
            crm_name: crm_name.to_string(),
        }
    }

    #[test]
    fn tenants_with_the_same_sign_in_are_one_group() {
        let shared = SignIn {
            name: "ServiceNow",
            identity: Some("servicenow https://acme.example.com client-1"),
        };
        let same_again = SignIn {
            name: "ServiceNow",
            identity: Some("servicenow https://acme.example.com client-1"),
        };
        let groups = group_by_sign_in([
            ("zeta", Some(&shared as &dyn AccountLinking)),
            ("alpha", Some(&same_again as &dyn AccountLinking)),
        ]);
        assert_eq!(groups, vec![group(&["alpha", "zeta"], "ServiceNow")]);
    }

    #[test]
    fn another_client_another_crm_or_an_unknown_identity_is_a_group_of_its_own() {
        let one = SignIn {
            name: "ServiceNow",
            identity: Some("servicenow https://acme.example.com client-1"),
        };
        let other_client = SignIn {
            name: "ServiceNow",
            identity: Some("servicenow https://acme.example.com client-2"),
        };
        let other_crm = SignIn {
            name: "Elsewhere",
            identity: Some("servicenow https://acme.example.com client-1"),
        };
        let unknown = SignIn {
            name: "ServiceNow",
            identity: None,
        };
        let unknown_too = SignIn {
            name: "ServiceNow",
            identity: None,
        };
        let groups = group_by_sign_in([
            ("b", Some(&other_client as &dyn AccountLinking)),
            ("a", Some(&one as &dyn AccountLinking)),
            ("c", Some(&other_crm as &dyn AccountLinking)),
            ("d", Some(&unknown as &dyn AccountLinking)),
            ("e", Some(&unknown_too as &dyn AccountLinking)),
        ]);
        assert_eq!(
            groups,
            vec![
                group(&["a"], "ServiceNow"),
                group(&["b"], "ServiceNow"),
                group(&["c"], "Elsewhere"),
                group(&["d"], "ServiceNow"),
                group(&["e"], "ServiceNow"),
            ]
        );
    }

    #[test]
    fn a_tenant_whose_crm_signs_nobody_in_is_in_no_group() {
        let one = SignIn {
            name: "ServiceNow",
            identity: Some("servicenow https://acme.example.com client-1"),
        };
        let groups = group_by_sign_in([("a", Some(&one as &dyn AccountLinking)), ("quiet", None)]);
        assert_eq!(groups, vec![group(&["a"], "ServiceNow")]);
        assert!(group_by_sign_in([("quiet", None)]).is_empty());
    }
}
