//! The one place a tenant's ServiceNow connection is built from its configuration: the
//! instance (keep-alive HTTPS with the optional extra trust root), the Table API client and the
//! OAuth client. The adapter, the link flow and doctor all use it.

use std::time::Duration;

use super::config::ServiceNowConfig;
use crate::{ConfigError, Instance, InstanceConfig, OAuthClient, TableClient};

/// How long one request to the instance may take at most.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A tenant's instance and the clients over it (they share one connection pool).
#[derive(Clone)]
pub struct Connection {
    pub instance: Instance,
    pub tables: TableClient,
    pub oauth: OAuthClient,
}

impl Connection {
    /// Connects nothing yet: builds the clients (an unusable CA file fails here).
    pub fn new(config: &ServiceNowConfig) -> Result<Connection, ConfigError> {
        let instance = Instance::new(instance_config(config))?;
        Ok(Connection {
            tables: TableClient::new(instance.clone()),
            oauth: OAuthClient::new(
                instance.clone(),
                config.client_id.clone(),
                config.client_secret.expose().to_string(),
            ),
            instance,
        })
    }
}

/// The instance's settings: its URL, the request timeout and the extra trust root.
pub fn instance_config(config: &ServiceNowConfig) -> InstanceConfig {
    let mut instance =
        InstanceConfig::new(config.instance_url.clone()).with_timeout(REQUEST_TIMEOUT);
    if let Some(pem) = &config.ca_pem {
        instance = instance.with_root_ca_pem(pem.clone().into_bytes());
    }
    instance
}
