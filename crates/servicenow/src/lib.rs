//! The ServiceNow adapter crate: the only crate that knows ServiceNow. Its wire client (the HTTP
//! building blocks: wire format, encoded queries, OAuth endpoints) and, in [`adapter`], the CRM
//! port's implementation with its configuration section.
//!
//! `../shared/reference/servicenow.md` is the specification; code and tests cite its sections.
//! What lives here, one job per module:
//!
//! - [`names`]: validated [`TableName`], [`ColumnName`] and [`SysId`] (config never reaches a
//!   URL or a query unchecked);
//! - [`query`]: encoded queries whose values cannot change their structure (`^` → `^^`,
//!   `javascript:` refused);
//! - [`error`]: [`ApiError`] from ServiceNow's error envelope, with `is_retryable`;
//! - [`connection`]: one instance's keep-alive HTTPS client ([`Instance`]);
//! - [`oauth`]: PKCE, the authorization URL and the token grants ([`OAuthClient`], [`TokenSet`]);
//! - [`client`]: the Table and Batch APIs ([`TableClient`]), credentials per call ([`Auth`]);
//! - [`lookup`]: phone lookup over several tables in one round trip;
//! - [`cases`]: find a Case by correlation id, create one in one POST;
//! - [`dictionary`]: table and column definitions, inherited columns included (for `doctor`);
//! - [`access`]: whether a credential may read a table, and the CSM role that grants it;
//! - [`adapter`]: the CRM port for ServiceNow ([`adapter::ServiceNowKind`]).
//!
//! Policy is the caller's: when to refresh tokens, how to retry, which numbers to look for and
//! which candidate is the customer.

pub mod access;
pub mod adapter;
pub mod cases;
pub mod client;
pub mod connection;
pub mod dictionary;
pub mod error;
pub mod lookup;
pub mod names;
pub mod oauth;
pub mod probe;
pub mod query;
pub mod record;
pub mod setup;
pub mod users;

pub use access::{csm_role, read_access, ReadAccess};
pub use cases::{create_case, find_by_correlation, CaseRef};
pub use client::{Auth, BatchOutcome, TableClient, TableRequest};
pub use connection::{Instance, InstanceConfig};
pub use dictionary::{
    caller_tables, describe_table, CallerKind, CallerTable, CallerTables, ColumnInfo,
    DictionaryError, TableInfo,
};
pub use error::{ApiError, ConfigError};
pub use lookup::{lookup_by_phone, Candidate, LookupError, LookupTarget};
pub use names::{ColumnName, NameError, SysId, TableName};
pub use oauth::{authorization_url, Grant, OAuthClient, OAuthError, Pkce, TokenSet};
pub use query::{Condition, Query, QueryError};
pub use record::Record;
pub use users::{current_user, CrmUser};
