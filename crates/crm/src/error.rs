use std::time::Duration;

/// Why a CRM request did not succeed, in the terms the runtime acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrmError {
    /// The agent's CRM authorisation is gone (expired refresh token, revoked, never linked).
    #[error("the agent's CRM account must be linked again")]
    RelinkRequired,
    /// The CRM asked us to slow down.
    #[error("the CRM is rate limiting us; retry in {0:?}")]
    RateLimited(Duration),
    /// Down, slow, refused a connection, or answered 5xx: worth retrying.
    #[error("the CRM is unavailable: {0}")]
    Unavailable(String),
    /// The CRM refused the request itself (permissions, a missing column, bad data): retrying
    /// will not help until someone fixes the setup.
    #[error("the CRM refused the request: {0}")]
    Rejected(String),
}

impl CrmError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, CrmError::RateLimited(_) | CrmError::Unavailable(_))
    }
}
