//! Callbridge's test kit: support that tests and benches share, never shipped (`publish =
//! false`, used only as a dev-dependency).
//!
//! - [`MemoryCrm`]: a CRM held in memory behind the CRM port (`callbridge-crm`): contacts by
//!   number, Cases by call, agents' links, and failures on demand. It is the second adapter of
//!   the port, which proves a CRM plugs in without touching telephony, the store or the web.
//! - [`sandbox`]: the ServiceNow sandbox as tests and benches drive it: [`SandboxFacts`] (its
//!   address, CA and credentials, and the `[tenant.servicenow]` section pointing at it) and
//!   [`SandboxAdmin`] (the admin's requests and the instance set-up a customer does once).

mod memory_crm;
pub mod sandbox;

pub use memory_crm::{MemoryCrm, Operation, StoredCase};
pub use sandbox::{SandboxAdmin, SandboxFacts};
