//! `[tenant.servicenow.link]`: which CRM user may become an agent's CRM identity. Without such
//! a rule whoever completes an agent's link (another agent, a user with other rights) would
//! become that agent: their rights would decide the agent's screen pops, and the agent's Cases
//! would be assigned to them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, Validator};
use callbridge_core::AgentName;

/// A field of the CRM user's record (ServiceNow `sys_user`) compared with the agent's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    /// `sys_user.user_name`
    UserName,
    /// `sys_user.email`
    Email,
}

impl IdentityField {
    /// The field as ServiceNow names it.
    pub fn column(self) -> &'static str {
        match self {
            IdentityField::UserName => "user_name",
            IdentityField::Email => "email",
        }
    }
}

/// Which CRM user an agent may link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPolicy {
    /// The agent's name must equal one of these fields of the signed-in CRM user (letter case
    /// ignored, as ServiceNow ignores it at sign-in).
    pub match_fields: Vec<IdentityField>,
    /// Set by the admin: agent name → the `sys_user.user_name` that agent must sign in as. For
    /// an agent listed here, only this user matches.
    pub agents: BTreeMap<String, String>,
}

impl Default for LinkPolicy {
    fn default() -> Self {
        LinkPolicy {
            match_fields: vec![IdentityField::UserName, IdentityField::Email],
            agents: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    #[serde(default = "default_match_fields")]
    match_fields: Vec<String>,
    #[serde(default)]
    agents: BTreeMap<String, String>,
}

impl Default for RawLink {
    fn default() -> Self {
        RawLink {
            match_fields: default_match_fields(),
            agents: BTreeMap::new(),
        }
    }
}

fn default_match_fields() -> Vec<String> {
    vec!["user_name".into(), "email".into()]
}

impl Validator<'_> {
    pub(super) fn link(&self, key: &str, raw: RawLink) -> Result<LinkPolicy, ConfigError> {
        let mut match_fields = Vec::new();
        for (i, field) in raw.match_fields.iter().enumerate() {
            let field = match field.as_str() {
                "user_name" => IdentityField::UserName,
                "email" => IdentityField::Email,
                other => {
                    return Err(self.error(
                        format!("{key}.match_fields[{i}]"),
                        format!(
                            "{other:?}: use \"user_name\" and/or \"email\" (fields of sys_user)"
                        ),
                    ))
                }
            };
            if !match_fields.contains(&field) {
                match_fields.push(field);
            }
        }
        if match_fields.is_empty() && raw.agents.is_empty() {
            return Err(self.error(
                format!("{key}.match_fields"),
                "empty, and no [tenant.servicenow.link.agents] mapping: no agent could link; list \
                 \"user_name\" and/or \"email\", or map each agent to its CRM user",
            ));
        }
        let mut agents = BTreeMap::new();
        for (agent, user) in raw.agents {
            if AgentName::parse(&agent).is_err() {
                return Err(self.error(
                    format!("{key}.agents.{agent}"),
                    "agent names use 1-64 letters, digits, '.', '_', '-' or '@'",
                ));
            }
            let user = user.trim().to_string();
            if user.is_empty() || user.chars().any(char::is_whitespace) {
                return Err(self.error(
                    format!("{key}.agents.{agent}"),
                    format!(
                        "{user:?}: give the CRM user name (sys_user.user_name) this agent signs in as"
                    ),
                ));
            }
            agents.insert(agent, user);
        }
        Ok(LinkPolicy {
            match_fields,
            agents,
        })
    }
}
