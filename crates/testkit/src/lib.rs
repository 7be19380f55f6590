//! Callbridge's test kit: support that tests and benches share, never shipped (`publish =
//! false`, used only as a dev-dependency).
//!
//! - [`MemoryCrm`]: a CRM held in memory behind the CRM port (`callbridge-crm`): contacts by
//!   number, Cases by call, agents' links, and failures on demand. It is the second adapter of
//!   the port, which proves a CRM plugs in without touching telephony, the store or the web.

mod memory_crm;

pub use memory_crm::{MemoryCrm, Operation, StoredCase};
