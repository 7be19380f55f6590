//! The ServiceNow adapter: everything Callbridge does with ServiceNow, behind the CRM port
//! (`callbridge-crm`). The composition root registers [`ServiceNowKind`]; the registry builds a
//! tenant's adapter from its `[tenant.crm] kind = "servicenow"` section.
//!
//! - [`config`]: the section's keys, parsed and validated (errors name the full key);
//! - [`connection`]: the one builder of a tenant's instance, Table API and OAuth clients;
//! - [`crm`]: lookups with the agent's token, Case writes with the service credential;
//! - [`limiter`]: the instance's hourly request budget;
//! - [`linking`]: the OAuth side of linking an agent's own account;
//! - [`doctor`]: the setup checks of `callbridge doctor`;
//! - [`rights`]: what an agent's own account must be able to read (link step and doctor);
//! - [`setup_flow`]: the console's tenant setup (values, schema, the recording-link column).

pub mod config;
pub mod connection;
pub mod crm;
pub mod doctor;
pub mod limiter;
pub mod linking;
pub mod rights;
pub mod setup_flow;

use std::sync::Arc;

use callbridge_crm::{ConfigError, CrmContext, CrmKind, CrmSection, CrmTenant};

pub use config::{CaseConfig, LookupConfig, LookupTable, ServiceGrant, ServiceNowConfig};
pub use connection::Connection;
pub use crm::ServiceNowCrm;

/// The `kind` of a ServiceNow section.
pub const KIND: &str = "servicenow";

/// ServiceNow as a CRM kind the binary offers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServiceNowKind;

impl ServiceNowKind {
    /// The tenant's adapter itself (benches and tests reach past the port with it).
    pub fn adapter(
        section: &CrmSection,
        context: &CrmContext,
    ) -> Result<ServiceNowCrm, ConfigError> {
        let config = ServiceNowConfig::from_section(section)?;
        let connection = Connection::new(&config).map_err(|e| {
            section.error(
                "",
                format!("the ServiceNow connection cannot be set up: {e}"),
                "check instance_url and ca_file",
            )
        })?;
        Ok(ServiceNowCrm::new(config, connection, context))
    }
}

impl CrmKind for ServiceNowKind {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn display_name(&self) -> &'static str {
        "ServiceNow"
    }

    fn build(&self, section: &CrmSection, context: &CrmContext) -> Result<CrmTenant, ConfigError> {
        let crm = ServiceNowKind::adapter(section, context)?;
        let doctor = doctor::ServiceNowDoctor::new(crm.config().clone(), context);
        let linking =
            linking::ServiceNowLinking::new(crm.config().clone(), crm.connection().clone());
        // OpenFrame: the instance frames the softphone and serves openFrameAPI.min.js.
        let page_origin = callbridge_config::origin_of(&crm.config().instance_url);
        let setup = setup_flow::ServiceNowSetup::new(
            crm.config().clone(),
            crm.connection().clone(),
            context,
        );
        Ok(CrmTenant {
            crm: Arc::new(crm),
            linking: Some(Arc::new(linking)),
            doctor: Some(Arc::new(doctor)),
            setup: Some(Arc::new(setup)),
            page_origin,
        })
    }
}
