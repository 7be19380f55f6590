//! Agent identities. The core's `AgentId` is global; an agent belongs to one tenant, so the
//! runtime names agents `<tenant>:<agent>` and splits the name again at the edges (store, CRM).

use callbridge_core::{AgentId, TenantId};

pub fn agent_id(tenant: &TenantId, local: &str) -> AgentId {
    AgentId::new(format!("{}:{local}", tenant.as_str()))
}

/// The tenant-local part of an agent id (the whole id when it has no tenant prefix).
pub fn local_name(agent: &AgentId) -> &str {
    agent
        .as_str()
        .split_once(':')
        .map(|(_, l)| l)
        .unwrap_or(agent.as_str())
}

/// Agent names as they arrive from telephony or the softphone: 1-64 letters, digits, `.`, `_`,
/// `-`, `@` (CRM user names and e-mail-like ids), never a `:`.
pub fn valid_local_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids_round_trip_through_their_tenant_prefix() {
        let id = agent_id(&TenantId::new("acme"), "alice.agent");
        assert_eq!(id.as_str(), "acme:alice.agent");
        assert_eq!(local_name(&id), "alice.agent");
        assert!(valid_local_name("alice.agent"));
        assert!(!valid_local_name("acme:alice"));
        assert!(!valid_local_name(""));
    }
}
