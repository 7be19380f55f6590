//! The CRM port: everything Callbridge asks of a CRM, as dyn-compatible traits (usable as
//! `Arc<dyn ...>`), in the core's plain types. ServiceNow is the first adapter
//! (`callbridge-servicenow`); a second CRM is one new crate implementing these traits plus a
//! [`CrmKind`] that builds it from its configuration section.
//!
//! - [`Crm`]: what the runtime does during and after calls: contact lookup with the agent's own
//!   rights, the one Case per call (create, find by call id, update its parties, add a work
//!   note), and whether an agent's CRM user may read a Case (the recording page asks); the
//!   same lookup with its evidence ([`LookupTrace`]) for the console's match tester.
//! - [`AccountLinking`]: the CRM side of "link my CRM account": the authorization URL (state and
//!   PKCE are the adapter's), the code exchange, who signed in, what their own token may read,
//!   revoking tokens, and which tenants share one sign-in ([`group_by_sign_in`]). The policy
//!   (which user may be which agent, what to say) is the caller's.
//! - [`CrmDoctor`]: the CRM's setup checks, as shared [`Check`] rows.
//! - [`CrmSetup`]: what the console's tenant setup shows of the CRM section and schema.
//! - [`CrmKind`] and [`CrmRegistry`]: how the composition root offers adapters by their
//!   configuration `kind`, so the runtime obtains a tenant's adapter ([`CrmTenant`]) from its
//!   [`CrmSection`] without naming it.
//!
//! Invariant: no CRM's name, URL or wire format appears here.
//!
//! [`Check`]: callbridge_kernel::check::Check

mod calls;
mod doctor;
mod error;
mod linking;
mod registry;
mod setup;
mod trace;

pub use callbridge_config::{checked_base_url, ConfigError, CrmSection};
pub use calls::Crm;
pub use doctor::{CrmDoctor, DoctorRequest, DoctorScope};
pub use error::CrmError;
pub use linking::{
    describe_missing, group_by_sign_in, roles_to_grant, AccountLinking, Authorization, CrmUser,
    LinkTokens, MissingRead, SignInGroup,
};
pub use registry::{CrmContext, CrmKind, CrmRegistry, CrmTenant, UnknownKind};
pub use setup::{
    CreateColumnError, CrmAdmin, CrmSetup, DescribeTableError, NewColumn, NewColumnKind,
    Registration, RoleNeed, SchemaColumn, SchemaTable, SchemaView, SetupValue, SetupView,
    TableChoice, TableChoices,
};
pub use trace::{LookupRights, LookupTrace, SearchedTable, StoredPhone, TracedRecord};

pub use async_trait::async_trait;
