//! The small vocabulary every Callbridge crate shares, so that no crate reaches into another for
//! it: structured identifiers (`ids`), the two clocks (`time`), purpose-bound signed tickets
//! (`ticket`), the outcome of a health check (`check`) and a secret that never prints (`secret`).
//!
//! Invariant: no IO, no async, no knowledge of SIP, HTTP, SQL or any CRM.

pub mod check;
pub mod ids;
pub mod secret;
pub mod ticket;
pub mod time;

pub use secret::Secret;
