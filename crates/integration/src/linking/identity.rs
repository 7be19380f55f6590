//! Whether the CRM user who signed in may become this agent's CRM identity, per the tenant's
//! [`LinkPolicy`]. The agent's screen pops run with that user's rights and the agent's Cases are
//! assigned to that user, so anyone else is refused.

use callbridge_crm::CrmUser;

use callbridge_config::{IdentityField, LinkPolicy};

/// Whether `user` may be linked to `agent`. An admin mapping for the agent overrides the
/// field rule; letters are compared without case, as ServiceNow compares user names at sign-in.
pub fn admits(policy: &LinkPolicy, agent: &str, user: &CrmUser) -> bool {
    if let Some(mapped) = policy.agents.get(agent) {
        return same(mapped, &user.user_name);
    }
    policy.match_fields.iter().any(|field| {
        let value = match field {
            IdentityField::UserName => &user.user_name,
            IdentityField::Email => &user.email,
        };
        same(agent, value)
    })
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

/// Who `agent` must sign in as, in words, for the refusal page.
pub fn expected_user(policy: &LinkPolicy, agent: &str, crm: &str) -> String {
    if let Some(mapped) = policy.agents.get(agent) {
        return format!("the {crm} user {mapped} (set by your administrator)");
    }
    let fields: Vec<&str> = policy
        .match_fields
        .iter()
        .map(|f| match f {
            IdentityField::UserName => "user name",
            IdentityField::Email => "e-mail address",
        })
        .collect();
    format!("the {crm} user whose {} is {agent}", fields.join(" or "))
}

/// The signed-in user, as the refusal page names them.
pub fn describe(user: &CrmUser) -> String {
    match (user.name.is_empty(), user.email.is_empty()) {
        (false, false) => format!("{} ({}, {})", user.user_name, user.name, user.email),
        (false, true) => format!("{} ({})", user.user_name, user.name),
        (true, false) => format!("{} ({})", user.user_name, user.email),
        (true, true) => user.user_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn user(user_name: &str, email: &str) -> CrmUser {
        CrmUser {
            id: "0123".into(),
            user_name: user_name.into(),
            name: "Some One".into(),
            email: email.into(),
        }
    }

    #[test]
    fn by_default_the_agent_name_must_equal_the_crm_user_name_or_email() {
        let policy = LinkPolicy::default();
        let alice = user("alice.agent", "alice@example.com");
        assert!(admits(&policy, "alice.agent", &alice));
        assert!(admits(&policy, "Alice.Agent", &alice));
        assert!(admits(&policy, "alice@example.com", &alice));
        assert!(!admits(
            &policy,
            "alice.agent",
            &user("carol.norole", "carol@example.com")
        ));
        assert!(!admits(&policy, "bob.agent", &alice));
    }

    #[test]
    fn only_the_listed_fields_count() {
        let policy = LinkPolicy {
            match_fields: vec![IdentityField::Email],
            agents: BTreeMap::new(),
        };
        let alice = user("alice.agent", "alice@example.com");
        assert!(!admits(&policy, "alice.agent", &alice));
        assert!(admits(&policy, "alice@example.com", &alice));
        // An empty e-mail never matches anything.
        assert!(!admits(&policy, "", &user("x", "")));
        assert_eq!(
            expected_user(&policy, "alice@example.com", "ServiceNow"),
            "the ServiceNow user whose e-mail address is alice@example.com"
        );
    }

    #[test]
    fn an_admin_mapping_overrides_the_field_rule_for_its_agent() {
        let mut policy = LinkPolicy::default();
        policy.agents.insert("alice".into(), "alice.agent".into());
        assert!(admits(&policy, "alice", &user("alice.agent", "")));
        assert!(!admits(&policy, "alice", &user("alice", "alice")));
        assert!(admits(&policy, "bob.agent", &user("bob.agent", "")));
        assert_eq!(
            expected_user(&policy, "alice", "ServiceNow"),
            "the ServiceNow user alice.agent (set by your administrator)"
        );
    }
}
