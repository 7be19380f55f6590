//! The ServiceNow adapter behind the [`Crm`] port.
//!
//! - Lookups run with the **agent's own** token (their CRM rights decide what they may see),
//!   refreshed before expiry and once more on a 401; a refused refresh means "re-link".
//! - Case writes run with the tenant's **service** credential (client_credentials or password
//!   grant), so a Case never depends on an agent's browser or token; the agent goes into
//!   `assigned_to` from their link.
//! - Numbers are searched in the formats CRMs really hold and every candidate is re-checked
//!   client-side (`callbridge-phone`), so a loose query cannot pop the wrong person.

use callbridge_core::{
    AccountRef, AgentId, CallId, CaseFields, CaseRef, ContactRef, PartyRefs, RecordId, TenantId,
};
use callbridge_crm::{
    Crm, CrmContext, CrmError, LookupRights, LookupTrace, SearchedTable, StoredPhone, TracedRecord,
};
use callbridge_phone::{
    match_stored_with, storage_variants, suffix_key, MatchOptions, Region, E164,
};
use callbridge_store::{AgentLink, Store};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::config::{ServiceGrant, ServiceNowConfig};
use super::connection::Connection;
use super::limiter::HourlyLimiter;
use crate::{
    create_case, find_by_correlation, lookup_by_phone, ApiError, Auth, ColumnName, LookupTarget,
    SysId, TokenSet,
};

/// Refresh a token this long before it expires.
const REFRESH_MARGIN_SECS: i64 = 60;
/// Records per table a lookup asks for: more than one, so ambiguity is visible.
const LOOKUP_LIMIT: usize = 5;

/// One tenant's ServiceNow instance behind the [`Crm`] port.
pub struct ServiceNowCrm {
    tenant: TenantId,
    default_region: Region,
    config: ServiceNowConfig,
    connection: Connection,
    store: Option<Store>,
    service_token: Mutex<Option<TokenSet>>,
    limiter: Option<HourlyLimiter>,
    targets: Vec<LookupTarget>,
}

impl ServiceNowCrm {
    /// The adapter for `context.tenant`, over `connection`.
    pub fn new(
        config: ServiceNowConfig,
        connection: Connection,
        context: &CrmContext,
    ) -> ServiceNowCrm {
        ServiceNowCrm {
            tenant: context.tenant.clone(),
            default_region: context.default_region,
            targets: lookup_targets(&config),
            limiter: config.requests_per_hour.map(HourlyLimiter::new),
            service_token: Mutex::new(None),
            store: context.store.clone(),
            connection,
            config,
        }
    }

    /// The tenant's ServiceNow settings.
    pub fn config(&self) -> &ServiceNowConfig {
        &self.config
    }

    /// The tenant's instance and clients (shared with the link flow).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// What a lookup asks of each configured caller table.
    pub fn lookup_targets(&self) -> &[LookupTarget] {
        &self.targets
    }

    /// This adapter, if it serves `tenant` (each tenant has its own).
    fn serving(&self, tenant: &TenantId) -> Result<&Self, CrmError> {
        if *tenant == self.tenant {
            Ok(self)
        } else {
            Err(CrmError::Rejected(format!(
                "tenant {tenant} has no CRM configured"
            )))
        }
    }

    fn store(&self) -> Result<&Store, CrmError> {
        self.store.as_ref().ok_or_else(|| {
            CrmError::Unavailable("the agents' CRM links cannot be read: no database".into())
        })
    }

    /// The agent's bearer token, refreshed when it is about to expire (or `force`).
    async fn agent_auth(
        &self,
        conn: &Self,
        tenant: &TenantId,
        agent: &AgentId,
        force: bool,
    ) -> Result<Auth, CrmError> {
        let local = agent.name().as_str();
        let link = self
            .store()?
            .link(tenant.as_str(), local)
            .await
            .map_err(|e| CrmError::Unavailable(format!("reading the agent's CRM link: {e}")))?
            .ok_or(CrmError::RelinkRequired)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if !force && link.access_expires_at.unix_timestamp() - REFRESH_MARGIN_SECS > now {
            return Ok(Auth::bearer(link.access_token));
        }
        let tokens = match conn
            .connection
            .oauth
            .refresh(&link.refresh_token, now)
            .await
        {
            Ok(tokens) => tokens,
            Err(e) if e.is_refused() => {
                // For good: the agent's profile says "link again" until they do.
                if let Err(error) = self
                    .store()?
                    .mark_link_refused(tenant.as_str(), local, OffsetDateTime::now_utc())
                    .await
                {
                    tracing::warn!(%agent, %error, "could not note the refused CRM link");
                }
                return Err(CrmError::RelinkRequired);
            }
            Err(e) => {
                return Err(CrmError::Unavailable(format!(
                    "refreshing the agent's CRM token: {e}"
                )))
            }
        };
        let refreshed = AgentLink {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens
                .refresh_token
                .clone()
                .unwrap_or(link.refresh_token.clone()),
            access_expires_at: OffsetDateTime::from_unix_timestamp(tokens.expires_at)
                .unwrap_or(OffsetDateTime::now_utc()),
            ..link
        };
        self.store()?
            .save_link(tenant.as_str(), local, refreshed)
            .await
            .map_err(|e| CrmError::Unavailable(format!("saving the refreshed CRM token: {e}")))?;
        Ok(tokens.auth())
    }

    /// The tenant's service token, obtained or refreshed as needed (or `force`).
    async fn service_auth(&self, conn: &Self, force: bool) -> Result<Auth, CrmError> {
        let mut slot = conn.service_token.lock().await;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if let Some(tokens) = slot.as_ref() {
            if !force && !tokens.expires_within(now, REFRESH_MARGIN_SECS) {
                return Ok(tokens.auth());
            }
            if let Some(refresh) = tokens.refresh_token.clone() {
                if let Ok(fresh) = conn.connection.oauth.refresh(&refresh, now).await {
                    let auth = fresh.auth();
                    *slot = Some(fresh);
                    return Ok(auth);
                }
            }
        }
        let granted = match &conn.config.service_grant {
            ServiceGrant::ClientCredentials => conn.connection.oauth.client_credentials(now).await,
            ServiceGrant::Password { user, password } => {
                conn.connection
                    .oauth
                    .password(user, password.expose(), now)
                    .await
            }
        };
        let tokens = granted.map_err(|e| {
            // Not `Rejected`: the Case must not be dropped while an admin fixes the credential;
            // the outbox keeps retrying and its dead-letter list catches a lasting failure.
            CrmError::Unavailable(format!(
                "the tenant's service credential was not accepted ({e}); run `callbridge doctor`"
            ))
        })?;
        let auth = tokens.auth();
        *slot = Some(tokens);
        Ok(auth)
    }

    fn spend_budget_now(&self, conn: &Self) -> Result<(), CrmError> {
        match &conn.limiter {
            Some(limiter) => limiter.try_acquire().map_err(|wait| {
                CrmError::Unavailable(format!(
                    "the hourly CRM request budget is spent for {wait:?}"
                ))
            }),
            None => Ok(()),
        }
    }

    async fn wait_for_budget(&self, conn: &Self) {
        if let Some(limiter) = &conn.limiter {
            limiter.acquire().await;
        }
    }

    async fn assigned_user(&self, tenant: &TenantId, agent: &AgentId) -> Option<String> {
        let link = self
            .store
            .as_ref()?
            .link(tenant.as_str(), agent.name().as_str())
            .await
            .ok()??;
        Some(link.crm_user_id)
    }

    /// Every candidate the CRM returned, each phone column re-checked against the caller
    /// (`callbridge-phone`): the pop trusts a record only when one of them matches.
    fn traced_records(
        &self,
        conn: &Self,
        caller: &E164,
        candidates: Vec<crate::Candidate>,
    ) -> Vec<TracedRecord> {
        let options = MatchOptions {
            suffix_digits: conn.config.lookup.suffix_digits,
        };
        let region = conn.default_region;
        candidates
            .into_iter()
            .filter_map(|candidate| {
                let table = conn.config.lookup.tables.iter().find(|t| t.table == candidate.table)?;
                let phones: Vec<StoredPhone> = candidate
                    .phones
                    .iter()
                    .map(|(column, stored)| StoredPhone {
                        column: column.as_str().to_string(),
                        stored: stored.clone(),
                        matched: match_stored_with(stored, caller, region, &options),
                    })
                    .collect();
                if let Some(matched) = phones.iter().find_map(|p| p.matched.as_ref()) {
                    tracing::debug!(table = %candidate.table, sys_id = %candidate.sys_id, explanation = %matched.explanation, "caller matched");
                }
                let account = table.account_column.as_ref().and_then(|column| {
                    let id = candidate.raw.get(column.as_str()).filter(|v| !v.is_empty())?;
                    let name = candidate.raw.get(&format!("{}.name", column.as_str())).unwrap_or(id);
                    Some(AccountRef {
                        id: RecordId::from(id),
                        name: name.to_string(),
                    })
                });
                Some(TracedRecord {
                    table: candidate.table.to_string(),
                    contact: ContactRef {
                        kind: table.kind,
                        id: RecordId::from(candidate.sys_id.as_str()),
                        // The table's configured name column first (a custom table's
                        // `u_full_name`), then the usual `name`, first and last name, number.
                        name: candidate
                            .raw
                            .non_empty(table.name_column.as_str())
                            .map(|n| n.trim().to_string())
                            .unwrap_or_else(|| candidate.display_name.clone()),
                        account,
                    },
                    phones,
                })
            })
            .collect()
    }

    /// The auth a lookup runs with: the agent's own (refreshed on `force`) or the service's.
    async fn lookup_auth(
        &self,
        conn: &Self,
        tenant: &TenantId,
        rights: &LookupRights,
        force: bool,
    ) -> Result<Auth, CrmError> {
        match rights {
            LookupRights::Agent(agent) => self.agent_auth(conn, tenant, agent, force).await,
            LookupRights::Service => self.service_auth(conn, force).await,
        }
    }

    /// Runs `op` with the service token, renewing it once after a 401.
    async fn as_service<T, F, Fut>(&self, conn: &Self, op: F) -> Result<T, CrmError>
    where
        F: Fn(Auth) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        self.wait_for_budget(conn).await;
        let auth = self.service_auth(conn, false).await?;
        match op(auth).await {
            Err(ApiError::Unauthorized { .. }) => {
                let auth = self.service_auth(conn, true).await?;
                op(auth).await.map_err(|e| match e {
                    ApiError::Unauthorized { message } => CrmError::Unavailable(format!(
                        "the service account is not authenticated ({message}); run `callbridge doctor`"
                    )),
                    other => crm_error(other),
                })
            }
            other => other.map_err(crm_error),
        }
    }
}

#[callbridge_crm::async_trait]
impl Crm for ServiceNowCrm {
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        let rights = LookupRights::Agent(agent.clone());
        Ok(self.trace_lookup(tenant, &rights, caller).await?.contacts())
    }

    async fn trace_lookup(
        &self,
        tenant: &TenantId,
        rights: &LookupRights,
        caller: &E164,
    ) -> Result<LookupTrace, CrmError> {
        let conn = self.serving(tenant)?;
        self.spend_budget_now(conn)?;
        let variants = storage_variants(caller);
        let suffix = conn
            .config
            .lookup
            .suffix_digits
            .map(|n| suffix_key(caller, n));
        let run = |auth: Auth| {
            let variants = &variants;
            let suffix = suffix.as_deref();
            async move {
                lookup_by_phone(
                    &conn.connection.tables,
                    &auth,
                    &conn.targets,
                    variants,
                    suffix,
                    LOOKUP_LIMIT,
                )
                .await
            }
        };
        let auth = self.lookup_auth(conn, tenant, rights, false).await?;
        let candidates = match run(auth).await {
            Err(e) if matches!(e.error, ApiError::Unauthorized { .. }) => {
                let auth = self.lookup_auth(conn, tenant, rights, true).await?;
                run(auth).await.map_err(|e| match (e.error, rights) {
                    (ApiError::Unauthorized { .. }, LookupRights::Agent(_)) => {
                        CrmError::RelinkRequired
                    }
                    (ApiError::Unauthorized { message }, LookupRights::Service) => {
                        CrmError::Unavailable(format!(
                            "the service account is not authenticated ({message}); run `callbridge doctor`"
                        ))
                    }
                    (other, _) => crm_error(other),
                })?
            }
            other => other.map_err(|e| crm_error(e.error))?,
        };
        let records = self.traced_records(conn, caller, candidates);
        Ok(LookupTrace {
            tables: conn
                .config
                .lookup
                .tables
                .iter()
                .map(|t| SearchedTable {
                    table: t.table.to_string(),
                    kind: t.kind,
                    phone_columns: t
                        .phone_columns
                        .iter()
                        .map(|c| c.as_str().to_string())
                        .collect(),
                })
                .collect(),
            formats: variants,
            suffix,
            records,
        })
    }

    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError> {
        let conn = self.serving(tenant)?;
        let case = &conn.config.case;
        let found = self
            .as_service(conn, |auth| async move {
                find_by_correlation(
                    &conn.connection.tables,
                    &auth,
                    &case.table,
                    &case.correlation_column,
                    call.as_str(),
                )
                .await
            })
            .await?;
        Ok(found.map(case_ref))
    }

    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        let conn = self.serving(tenant)?;
        let case = &conn.config.case;
        let mut values = Map::new();
        let mut put = |column: Option<&ColumnName>, value: &str| {
            if let Some(column) = column {
                if !value.is_empty() {
                    values.insert(
                        column.as_str().to_string(),
                        Value::String(value.to_string()),
                    );
                }
            }
        };
        put(Some(&case.correlation_column), call.as_str());
        put(
            case.caller_number_column.as_ref(),
            fields.caller.for_display(),
        );
        put(Some(&case.recording_url_column), &fields.recording_link);
        put(
            Some(&ColumnName::new(super::config::CASE_TITLE_COLUMN).expect("valid")),
            &fields.short_description,
        );
        put(
            case.contact_column.as_ref(),
            fields
                .party
                .contact
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or(""),
        );
        put(
            case.consumer_column.as_ref(),
            fields
                .party
                .consumer
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or(""),
        );
        put(
            case.account_column.as_ref(),
            fields
                .party
                .account
                .as_ref()
                .map(|r| r.as_str())
                .unwrap_or(""),
        );
        if let Some(contact_type) = &case.contact_type {
            values.insert("contact_type".into(), Value::String(contact_type.clone()));
        }
        if let (Some(column), Some(user)) = (
            case.assigned_to_column.as_ref(),
            self.assigned_user(tenant, &fields.assigned_agent).await,
        ) {
            values.insert(column.as_str().to_string(), Value::String(user));
        }
        let created = self
            .as_service(conn, |auth| {
                let values = values.clone();
                async move { create_case(&conn.connection.tables, &auth, &case.table, values).await }
            })
            .await?;
        Ok(case_ref(created))
    }

    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case_ref: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError> {
        let conn = self.serving(tenant)?;
        let case = &conn.config.case;
        let mut values = Map::new();
        for (column, value) in [
            (&case.contact_column, &parties.contact),
            (&case.consumer_column, &parties.consumer),
            (&case.account_column, &parties.account),
        ] {
            if let (Some(column), Some(value)) = (column, value) {
                values.insert(
                    column.as_str().to_string(),
                    Value::String(value.as_str().to_string()),
                );
            }
        }
        if values.is_empty() {
            return Ok(());
        }
        let sys_id =
            SysId::new(case_ref.id.as_str()).map_err(|e| CrmError::Rejected(e.to_string()))?;
        self.as_service(conn, |auth| {
            let values = values.clone();
            let sys_id = sys_id.clone();
            async move {
                conn.connection
                    .tables
                    .update(&auth, &case.table, &sys_id, &values, &[])
                    .await
                    .map(|_| ())
            }
        })
        .await
    }

    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case_ref: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError> {
        let conn = self.serving(tenant)?;
        let case = &conn.config.case;
        if note.trim().is_empty() {
            return Err(CrmError::Rejected("a work note must not be empty".into()));
        }
        let sys_id =
            SysId::new(case_ref.id.as_str()).map_err(|e| CrmError::Rejected(e.to_string()))?;
        // `work_notes` is a journal field: a write appends one entry (servicenow.md, the Case
        // table), so a retried write can at worst add the same note twice, never lose one.
        let mut values = Map::new();
        values.insert(WORK_NOTES.into(), Value::String(note.to_string()));
        let sys_id_column = ColumnName::new("sys_id").expect("valid");
        self.as_service(conn, |auth| {
            let values = values.clone();
            let sys_id = sys_id.clone();
            let fields = [sys_id_column.clone()];
            async move {
                conn.connection
                    .tables
                    .update(&auth, &case.table, &sys_id, &values, &fields)
                    .await
                    .map(|_| ())
            }
        })
        .await
    }

    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case_ref: &CaseRef,
    ) -> Result<bool, CrmError> {
        let conn = self.serving(tenant)?;
        let table = &conn.config.case.table;
        // Not a sys_id at all: no such Case, so nobody may read it.
        let Ok(sys_id) = SysId::new(case_ref.id.as_str()) else {
            return Ok(false);
        };
        self.spend_budget_now(conn)?;
        let fields = [ColumnName::new("sys_id").expect("valid")];
        let read = |auth: Auth| {
            let sys_id = &sys_id;
            let fields = &fields;
            async move {
                conn.connection
                    .tables
                    .get(&auth, table, sys_id, fields)
                    .await
            }
        };
        let auth = self.agent_auth(conn, tenant, agent, false).await?;
        let answer = match read(auth).await {
            Err(ApiError::Unauthorized { .. }) => {
                let auth = self.agent_auth(conn, tenant, agent, true).await?;
                read(auth).await
            }
            other => other,
        };
        match answer {
            // Row ACLs that hide a record answer 404 like a missing one: both are "no".
            Ok(found) => Ok(found.is_some()),
            Err(ApiError::Forbidden { .. }) => Ok(false),
            Err(ApiError::Unauthorized { .. }) => Err(CrmError::RelinkRequired),
            Err(other) => Err(crm_error(other)),
        }
    }
}

/// The Case's journal field for notes only the CRM's agents see.
const WORK_NOTES: &str = "work_notes";

fn case_ref(case: crate::CaseRef) -> CaseRef {
    CaseRef {
        id: RecordId::from(case.sys_id.as_str()),
        label: case.number,
    }
}

/// ServiceNow's failures in the runtime's terms.
pub(crate) fn crm_error(error: ApiError) -> CrmError {
    match error {
        ApiError::RateLimited { retry_after, .. } => CrmError::RateLimited(retry_after),
        ApiError::Server { .. }
        | ApiError::Transport(_)
        | ApiError::Timeout
        | ApiError::UnexpectedResponse(_)
        | ApiError::Unserviced => CrmError::Unavailable(error.to_string()),
        ApiError::Unauthorized { .. } => CrmError::RelinkRequired,
        ApiError::Forbidden { .. }
        | ApiError::NotFound { .. }
        | ApiError::InvalidTable { .. }
        | ApiError::BadRequest { .. }
        | ApiError::InvalidRequest(_) => CrmError::Rejected(error.to_string()),
    }
}

/// What a lookup asks of each caller table: its phone columns, and its name and account
/// columns (with the account's name) to show the agent.
fn lookup_targets(config: &ServiceNowConfig) -> Vec<LookupTarget> {
    config
        .lookup
        .tables
        .iter()
        .map(|t| {
            let mut fields = vec![t.name_column.clone()];
            if let Some(account) = &t.account_column {
                fields.push(account.clone());
                if let Ok(name) = ColumnName::new(format!("{}.name", account.as_str())) {
                    fields.push(name);
                }
            }
            LookupTarget {
                table: t.table.clone(),
                phone_columns: t.phone_columns.clone(),
                fields,
            }
        })
        .collect()
}
