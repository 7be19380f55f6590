//! Identifiers every crate shares: a tenant, an agent (who always belongs to one tenant), a call,
//! a CRM record and a Case.
//!
//! Tenant, call and record ids are opaque text: they are compared and copied, never parsed. An
//! agent id is structured: it carries its tenant and its tenant-local name, so nobody splits or
//! joins `<tenant>:<agent>` text. That text form exists only at the edges (the softphone URL, the
//! call-events API, the journal, store rows): [`AgentId::parse`] reads it and `Display` writes it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an opaque text id (compared and copied, never parsed). Exported so that other crates'
/// own ids (the core's queue and recording ids) have exactly the same shape; the caller's scope
/// must have `fmt`, `Serialize` and `Deserialize` in it.
#[macro_export]
macro_rules! text_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier produced elsewhere.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }
    };
}

text_id!(
    /// A contact center: its CRM connection, storage, numbers and agents.
    TenantId
);
text_id!(
    /// One customer interaction, for its whole life, transfers included.
    ///
    /// It is also the idempotency key of the call's Case (written to the Case's correlation
    /// column), the last segment of the call's permanent recording link and the key of the call's
    /// rows in the store.
    CallId
);
text_id!(
    /// An opaque identifier of a record in the CRM.
    RecordId
);

/// A Case in the CRM.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseRef {
    /// The Case record.
    pub id: RecordId,
    /// What the agent sees (for example the Case number).
    pub label: String,
}

/// The longest agent name, in bytes (all its characters are ASCII).
pub const MAX_AGENT_NAME: usize = 64;

/// An agent's name within its tenant: 1-64 letters, digits, `.`, `_`, `-` or `@` (CRM user
/// names and e-mail-like ids), never a `:`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentName(String);

impl AgentName {
    /// Checks a name as it arrives from configuration, the softphone or the call-events API.
    pub fn parse(name: &str) -> Result<AgentName, AgentIdError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_AGENT_NAME
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if valid {
            Ok(AgentName(name.to_owned()))
        } else {
            Err(AgentIdError::InvalidName {
                name: shorten(name),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An agent ("communicator"): the tenant they work for and their name there. Two tenants may
/// have agents of the same name; their ids differ.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId {
    tenant: TenantId,
    name: AgentName,
}

impl AgentId {
    pub fn new(tenant: TenantId, name: AgentName) -> AgentId {
        AgentId { tenant, name }
    }

    /// The agent called `name` in `tenant`, checking the name.
    pub fn in_tenant(tenant: &TenantId, name: &str) -> Result<AgentId, AgentIdError> {
        Ok(AgentId::new(tenant.clone(), AgentName::parse(name)?))
    }

    /// Reads the text form `<tenant>:<agent>`.
    pub fn parse(text: &str) -> Result<AgentId, AgentIdError> {
        // A name never holds a `:`, so the last one separates it from the tenant.
        match text.rsplit_once(':') {
            Some((tenant, name)) if !tenant.is_empty() => {
                Ok(AgentId::new(TenantId::new(tenant), AgentName::parse(name)?))
            }
            _ => Err(AgentIdError::NoTenant {
                text: shorten(text),
            }),
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The tenant-local name (what the agent, the CRM link and the softphone know them by).
    pub fn name(&self) -> &AgentName {
        &self.name
    }
}

/// The text form `<tenant>:<agent>`.
impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.tenant, self.name)
    }
}

impl FromStr for AgentId {
    type Err = AgentIdError;

    fn from_str(text: &str) -> Result<AgentId, AgentIdError> {
        AgentId::parse(text)
    }
}

/// Serialised as its text form, `<tenant>:<agent>`, as every wire format has it.
impl Serialize for AgentId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AgentId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AgentId, D::Error> {
        let text = String::deserialize(deserializer)?;
        AgentId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why text is not an agent id or name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentIdError {
    /// The name part breaks the naming rule.
    InvalidName { name: String },
    /// The text has no `<tenant>:` in front of the name.
    NoTenant { text: String },
}

impl fmt::Display for AgentIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentIdError::InvalidName { name } => write!(
                f,
                "agent name {name:?} is not valid: use 1-{MAX_AGENT_NAME} letters, digits, '.', \
                 '_', '-' or '@'"
            ),
            AgentIdError::NoTenant { text } => write!(
                f,
                "agent id {text:?} names no tenant: write it as <tenant>:<agent>"
            ),
        }
    }
}

impl std::error::Error for AgentIdError {}

/// Offending input as an error quotes it: bounded, since it may be anyone's input.
fn shorten(text: &str) -> String {
    text.chars().take(2 * MAX_AGENT_NAME).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids_carry_their_tenant_and_name() {
        let id = AgentId::in_tenant(&TenantId::new("acme"), "alice.agent").unwrap();
        assert_eq!(id.tenant().as_str(), "acme");
        assert_eq!(id.name().as_str(), "alice.agent");
        assert_eq!(id.to_string(), "acme:alice.agent");
        assert_eq!(AgentId::parse("acme:alice.agent"), Ok(id.clone()));
        assert_eq!("acme:alice.agent".parse::<AgentId>(), Ok(id));
    }

    #[test]
    fn names_follow_the_agent_naming_rule() {
        for ok in [
            "alice.agent",
            "a",
            "bob_smith-2",
            "ann@example.com",
            &"x".repeat(64),
        ] {
            assert!(AgentName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "acme:alice", "al ice", "é", &"x".repeat(65)] {
            assert!(
                matches!(AgentName::parse(bad), Err(AgentIdError::InvalidName { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn text_without_a_tenant_or_with_a_bad_name_is_refused_with_the_fix() {
        let error = AgentId::parse("alice").unwrap_err();
        assert_eq!(
            error.to_string(),
            "agent id \"alice\" names no tenant: write it as <tenant>:<agent>"
        );
        assert!(matches!(
            AgentId::parse(":alice"),
            Err(AgentIdError::NoTenant { .. })
        ));
        let error = AgentId::parse("acme:al ice").unwrap_err();
        assert!(error.to_string().contains("use 1-64 letters"), "{error}");
    }

    #[test]
    fn a_tenant_may_hold_a_colon_since_a_name_cannot() {
        let id = AgentId::parse("eu:acme:alice").unwrap();
        assert_eq!(id.tenant().as_str(), "eu:acme");
        assert_eq!(id.name().as_str(), "alice");
    }

    #[test]
    fn agent_ids_serialise_as_their_text_form() {
        let id = AgentId::parse("acme:alice").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"acme:alice\"");
        assert_eq!(serde_json::from_str::<AgentId>(&json).unwrap(), id);
        let error = serde_json::from_str::<AgentId>("\"alice\"").unwrap_err();
        assert!(error.to_string().contains("names no tenant"), "{error}");
    }
}
