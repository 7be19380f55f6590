//! `[tenant.crm.link]`: which CRM user may become an agent's CRM identity. Without such a rule
//! whoever completes an agent's link (another agent, a user with other rights) would become
//! that agent: their rights would decide the agent's screen pops, and the agent's Cases would be
//! assigned to them.

use std::collections::BTreeMap;

use callbridge_kernel::ids::AgentName;

use crate::reader::Section;

/// A field of the CRM user's record (ServiceNow `sys_user`) compared with the agent's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    /// `sys_user.user_name`
    UserName,
    /// `sys_user.email`
    Email,
}

impl IdentityField {
    /// The field as the CRM's user record names it.
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
    /// Set by the admin: agent name → the user name that agent must sign in as. For an agent
    /// listed here, only this user matches.
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

/// Reads the `link` table of a CRM section; None when a mistake was reported.
pub(crate) fn read(section: Section<'_, '_>) -> Option<LinkPolicy> {
    let reader = section.reader;
    let mut ok = true;
    let mut match_fields = Vec::new();
    let listed = section.strings("match_fields");
    if listed.is_none() && section.has("match_fields") {
        ok = false;
    }
    match listed {
        None => match_fields = LinkPolicy::default().match_fields,
        Some(list) => {
            for field in list {
                let parsed = match field.value.as_str() {
                    "user_name" => IdentityField::UserName,
                    "email" => IdentityField::Email,
                    other => {
                        field.report(
                            reader,
                            format!("{other:?} is not a field agents are matched on"),
                            "use \"user_name\" and/or \"email\" (fields of the CRM user's record)",
                        );
                        ok = false;
                        continue;
                    }
                };
                if !match_fields.contains(&parsed) {
                    match_fields.push(parsed);
                }
            }
        }
    }
    let mut agents = BTreeMap::new();
    if let Some(mapping) = section.node("agents") {
        match mapping.value.entries() {
            None => {
                mapping.report(
                    reader,
                    format!("expected a table, found {}", mapping.value.kind()),
                    "write [tenant.crm.link.agents] with one line per agent: \"jdoe\" = \"john.doe\"",
                );
                ok = false;
            }
            Some(entries) => {
                for (key, node) in entries {
                    let agent = key.get();
                    let at = format!("{}.{agent}", mapping.key);
                    let span = node.span().or_else(|| key.span());
                    if AgentName::parse(agent).is_err() {
                        reader.report(
                            &at,
                            &key.span().or(span),
                            format!("{agent:?} is not an agent name"),
                            "agent names use 1-64 letters, digits, '.', '_', '-' or '@'",
                        );
                        ok = false;
                        continue;
                    }
                    let user = node.as_str().map(str::trim).unwrap_or_default();
                    if user.is_empty() || user.chars().any(char::is_whitespace) {
                        reader.report(
                            &at,
                            &span,
                            format!("{user:?} is not a CRM user name"),
                            format!(
                                "give the CRM user name this agent signs in as, e.g. \"{agent}\" = \"john.doe\""
                            ),
                        );
                        ok = false;
                        continue;
                    }
                    agents.insert(agent.to_string(), user.to_string());
                }
            }
        }
    }
    if ok && match_fields.is_empty() && agents.is_empty() {
        reader.report(
            &section.child_key("match_fields"),
            &section.span,
            "empty, and no [tenant.crm.link.agents] mapping: no agent could link",
            "list \"user_name\" and/or \"email\", or map each agent to its CRM user",
        );
        ok = false;
    }
    section.finish();
    ok.then_some(LinkPolicy {
        match_fields,
        agents,
    })
}
