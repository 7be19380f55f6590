//! The CRM port as the runtime uses it: the traits and error live in `callbridge-crm`, so that
//! any adapter crate can implement them. ServiceNow is the first adapter (`servicenow.rs`);
//! another CRM implements the same traits and is handed to [`crate::server::prepare_with`].

pub mod limiter;
pub mod servicenow;

pub use callbridge_crm::{Crm, CrmError};
