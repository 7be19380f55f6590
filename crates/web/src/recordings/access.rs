//! Who may listen to a call's recording: a pure decision over what the request brought and what
//! the CRM answered. The glue (`mod.rs`) gathers the facts and audits the verdict.

use callbridge_store::Role;

/// Who is asking, as far as the request shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No viewer session and no Callbridge session of a staff role.
    Anonymous,
    /// Signed in with the tenant's CRM (a viewer session).
    Crm {
        tenant: String,
        user_id: String,
        user_name: String,
    },
    /// A Callbridge account's session.
    Account {
        tenant: String,
        user_name: String,
        role: Role,
    },
}

impl Viewer {
    /// The audit's "who".
    pub fn shown(&self) -> String {
        match self {
            Viewer::Anonymous => "anonymous".to_string(),
            Viewer::Crm { user_name, .. } => user_name.clone(),
            Viewer::Account { user_name, .. } => format!("account:{user_name}"),
        }
    }

    pub fn crm_user_id(&self) -> Option<String> {
        match self {
            Viewer::Crm { user_id, .. } => Some(user_id.clone()),
            _ => None,
        }
    }

    pub fn tenant(&self) -> Option<&str> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Crm { tenant, .. } | Viewer::Account { tenant, .. } => Some(tenant),
        }
    }
}

/// What the CRM said when asked, with the viewer's own token, whether they may read the Case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAnswer {
    /// The call has no Case recorded in any tenant of the viewer's sign-in group (unknown
    /// call, or not yet created).
    NoCase,
    Readable,
    /// 403, 404 or an empty result.
    NotReadable,
    /// The CRM no longer accepts the viewer's token.
    TokenRefused,
    /// The CRM could not be asked.
    Unavailable(String),
}

/// Where to look for the call's Case for a viewer who signed in through `signed_in_with`: that
/// tenant first, then the other tenants of its sign-in group as configured now (`group`, sorted;
/// `None` when the tenant's CRM signs nobody in any more: that tenant alone, whose CRM then
/// cannot be asked).
pub fn tenants_to_search(signed_in_with: &str, group: Option<&[String]>) -> Vec<String> {
    let mut tenants = vec![signed_in_with.to_string()];
    for tenant in group.unwrap_or_default() {
        if tenant != signed_in_with {
            tenants.push(tenant.clone());
        }
    }
    tenants
}

/// Whether to ask the next tenant of the group after `answer` for one tenant's Case: only
/// after a refusal of that Case (a call id can be another call in another tenant); a readable
/// Case decides, and a refused token or an unreachable CRM is the same for every tenant.
pub fn look_further(answer: &CaseAnswer) -> bool {
    matches!(answer, CaseAnswer::NoCase | CaseAnswer::NotReadable)
}

/// The verdict on one open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send the browser to sign in with the CRM.
    SignIn,
    /// Ask the CRM (the caller then calls [`after_crm`]).
    AskCrm,
    Allow(&'static str),
    /// Refused; the page shown is the same for every reason, so nothing says whether the call
    /// exists.
    Refuse(&'static str),
    /// Nothing could be decided now (the CRM is down): try again later.
    Unavailable(String),
}

/// The first step: a staff session of the tenant listens without asking the CRM; a viewer
/// signed in with the CRM is checked there; anyone else signs in with the CRM first (an agent's
/// Callbridge session is not enough: their CRM rights decide).
pub fn first_step(viewer: &Viewer) -> Verdict {
    match viewer {
        Viewer::Account {
            role: Role::Supervisor | Role::Admin,
            ..
        } => Verdict::Allow("a supervisor or admin of the call's tenant"),
        Viewer::Crm { .. } => Verdict::AskCrm,
        Viewer::Account {
            role: Role::Agent, ..
        }
        | Viewer::Anonymous => Verdict::SignIn,
    }
}

/// The verdict once the CRM answered.
pub fn after_crm(answer: &CaseAnswer) -> Verdict {
    match answer {
        CaseAnswer::Readable => Verdict::Allow("the CRM lets the viewer read the call's Case"),
        CaseAnswer::NoCase => {
            Verdict::Refuse("no Case for this call id in the tenants the viewer signed in for")
        }
        CaseAnswer::NotReadable => Verdict::Refuse("the CRM refused the viewer the call's Case"),
        CaseAnswer::TokenRefused => Verdict::SignIn,
        CaseAnswer::Unavailable(reason) => Verdict::Unavailable(reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role) -> Viewer {
        Viewer::Account {
            tenant: "acme".into(),
            user_name: "sam".into(),
            role,
        }
    }

    #[test]
    fn staff_listen_crm_viewers_are_checked_everyone_else_signs_in() {
        assert!(matches!(
            first_step(&account(Role::Supervisor)),
            Verdict::Allow(_)
        ));
        assert!(matches!(
            first_step(&account(Role::Admin)),
            Verdict::Allow(_)
        ));
        assert_eq!(first_step(&account(Role::Agent)), Verdict::SignIn);
        assert_eq!(first_step(&Viewer::Anonymous), Verdict::SignIn);
        let crm = Viewer::Crm {
            tenant: "acme".into(),
            user_id: "u1".into(),
            user_name: "beth".into(),
        };
        assert_eq!(first_step(&crm), Verdict::AskCrm);
        assert_eq!(crm.shown(), "beth");
        assert_eq!(account(Role::Admin).shown(), "account:sam");
    }

    #[test]
    fn the_tenant_signed_in_with_is_searched_first_then_the_rest_of_its_group() {
        let group = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(tenants_to_search("b", Some(&group)), ["b", "a", "c"]);
        assert_eq!(tenants_to_search("b", None), ["b"]);
        assert!(look_further(&CaseAnswer::NoCase));
        assert!(look_further(&CaseAnswer::NotReadable));
        assert!(!look_further(&CaseAnswer::Readable));
        assert!(!look_further(&CaseAnswer::TokenRefused));
        assert!(!look_further(&CaseAnswer::Unavailable("down".into())));
    }

    #[test]
    fn only_a_readable_case_lets_a_crm_viewer_listen() {
        assert!(matches!(
            after_crm(&CaseAnswer::Readable),
            Verdict::Allow(_)
        ));
        assert!(matches!(after_crm(&CaseAnswer::NoCase), Verdict::Refuse(_)));
        assert!(matches!(
            after_crm(&CaseAnswer::NotReadable),
            Verdict::Refuse(_)
        ));
        assert_eq!(after_crm(&CaseAnswer::TokenRefused), Verdict::SignIn);
        assert_eq!(
            after_crm(&CaseAnswer::Unavailable("down".into())),
            Verdict::Unavailable("down".into())
        );
    }
}
