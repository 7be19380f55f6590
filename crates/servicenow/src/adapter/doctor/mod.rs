//! `callbridge doctor` for a ServiceNow tenant: checks its setup end to end and says, for every
//! failure, which setup step fixes it.
//!
//! In order (a check whose prerequisite failed is reported `Skipped`, with why):
//!
//! 1. `instance.reachable`: the instance answers like ServiceNow over TLS we trust;
//! 2. `oauth.service_grant`: the service credential (client_credentials or password) gets a token;
//! 3. `oauth.authorize_redirect`: `/oauth_auth.do` accepts our callback (agents' link step);
//! 4. `access.dictionary`, `table.lookup.<table>`, `column.lookup.<table>.<column>`: the caller
//!    tables and their phone, name and account columns;
//! 5. `table.case`, `column.case.<role>`: the Case table, and columns long enough for call ids,
//!    recording links and caller numbers, with references to the expected tables;
//! 6. `access.read.<table>`, `access.create_case`: the service account reads every caller table
//!    and creates, finds (by correlation id) and deletes a probe Case (`write_probe`);
//! 7. `rate_limit`: the rule that governs the service account against `requests_per_hour`;
//! 8. `openframe.panel`, `openframe.origin`: an active `sn_openframe_configuration` row opens the
//!    softphone (`<public_url>/?tenant=<id>`) and the allow-list property lets the pages talk to it;
//! 9. `agent.<agent>.crm_access`: every agent with a stored CRM link, with their own (refreshed)
//!    token, can read every lookup table and the Case table, the rule the link step applies
//!    (`agents.linked` passes when nobody has linked and is skipped when the instance is
//!    unreachable; `agents.store` fails when the links cannot be read).
//!
//! Check ids are stable: they depend only on the configuration, except check 9's, which name
//! the agents that have linked.
//!
//! A [`DoctorScope`] other than `All` runs one part (the console's Setup step views): 1 always;
//! `Connection` 2, 3, 7 and 8; `Tables` 2, 4, 5 and 6; `Roles` 9.

mod access;
mod agents;
mod connection;
mod openframe;
mod rate;
mod schema;

use std::time::{SystemTime, UNIX_EPOCH};

use callbridge_core::{RecordingLinks, TenantId};
use callbridge_crm::{async_trait, CrmDoctor, DoctorRequest, DoctorScope};
use callbridge_kernel::check::{Check, Text};

use super::config::ServiceNowConfig;
use crate::TableClient;

pub use access::{PROBE_DESCRIPTION, PROBE_PREFIX};
pub use agents::{agent_id as agent_check_id, LINKED as AGENTS_LINKED};
pub use schema::MAX_CALL_ID_LEN;
pub(crate) use schema::{holds_link, longest_link};

/// A tenant as doctor checks it.
pub(crate) struct TenantConfig {
    pub id: TenantId,
    /// Where the tenant's Cases' recording links point (their column must be long enough).
    pub recording_links: RecordingLinks,
    /// Where agents' browsers come back after signing in (it must be registered).
    pub redirect_uri: String,
    /// How browsers reach this server: the softphone is `<public_url>/?tenant=<id>`.
    pub public_url: String,
    pub servicenow: ServiceNowConfig,
}

/// The ServiceNow setup checks of one tenant.
pub struct ServiceNowDoctor {
    tenant: TenantConfig,
}

impl ServiceNowDoctor {
    pub fn new(config: ServiceNowConfig, context: &callbridge_crm::CrmContext) -> ServiceNowDoctor {
        ServiceNowDoctor {
            tenant: TenantConfig {
                id: context.tenant.clone(),
                recording_links: context.recording_links.clone(),
                redirect_uri: context.redirect_uri.clone(),
                public_url: context.public_url.clone(),
                servicenow: config,
            },
        }
    }
}

#[async_trait]
impl CrmDoctor for ServiceNowDoctor {
    async fn checks(&self, _tenant: &TenantId, request: &DoctorRequest) -> Vec<Check> {
        check_tenant(&self.tenant, request).await
    }
}

async fn check_tenant(tenant: &TenantConfig, request: &DoctorRequest) -> Vec<Check> {
    let scope = request.scope;
    let connection = scope.runs(DoctorScope::Connection);
    let tables = scope.runs(DoctorScope::Tables);
    let mut checks = Vec::new();
    let Some(instance) = connection::reachable(tenant, &mut checks).await else {
        let reason = connection::skipped_because(connection::REACHABLE);
        if connection || tables {
            connection::skip_after_unreachable(tenant, &mut checks);
            skip_service_checks(tenant, &reason, request.write_probe, &mut checks);
        }
        if scope.runs(DoctorScope::Roles) {
            agents::skip(&reason, &mut checks);
        }
        return checks;
    };
    if connection || tables {
        let service = connection::service_grant(tenant, &instance, &mut checks).await;
        if connection {
            connection::authorize_redirect(tenant, &tenant.redirect_uri, &instance, &mut checks)
                .await;
        }
        match service {
            None => {
                let reason = connection::skipped_because(connection::SERVICE_GRANT);
                skip_service_checks(tenant, &reason, request.write_probe, &mut checks);
            }
            Some(service) => {
                let client = TableClient::new(instance.clone());
                if tables {
                    let known = schema::check(tenant, &client, &service, &mut checks).await;
                    access::check(
                        tenant,
                        &client,
                        &service,
                        &known,
                        request.write_probe,
                        &mut checks,
                    )
                    .await;
                }
                if connection {
                    rate::check(tenant, &instance, &service, &mut checks).await;
                    openframe::check(tenant, &client, &service, &mut checks).await;
                }
            }
        }
    }
    if scope.runs(DoctorScope::Roles) {
        match &request.links {
            Ok(store) => agents::check(tenant, &instance, store.as_ref(), &mut checks).await,
            Err(reason) => agents::store_failed(reason, &mut checks),
        }
    }
    checks
}

fn skip_service_checks(
    tenant: &TenantConfig,
    reason: &Text,
    write_probe: bool,
    checks: &mut Vec<Check>,
) {
    schema::skip(tenant, reason, checks);
    access::skip(tenant, reason, write_probe, checks);
    rate::skip(reason, checks);
    openframe::skip(reason, checks);
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
