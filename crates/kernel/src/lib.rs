//! The small vocabulary every Callbridge crate shares, so that no crate reaches into another for
//! it: structured identifiers (`ids`), the two clocks (`time`), purpose-bound signed tickets
//! (`ticket`) and the outcome of a health check (`check`).
//!
//! Invariant: no IO, no async, no knowledge of SIP, HTTP, SQL or any CRM.

pub mod check;
pub mod ids;
pub mod ticket;
pub mod time;
