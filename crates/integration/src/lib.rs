//! The integration runtime: it binds the sans-IO core engine to the world. It reads the
//! configuration, feeds call events to the engine, executes the engine's commands against the
//! CRM adapter (lookups) and the durable outbox (Case writes), checks the signed call-events API's
//! requests for other telephony, and checks a tenant's setup (`doctor`). It has no HTTP of its
//! own: the web edge (`callbridge-web`) serves it.
//!
//! Invariant: decisions about calls and Cases live in `callbridge-core`; this crate only
//! translates and executes.

pub mod crm;
pub mod doctor;
pub mod events_api;
pub mod journal;
pub mod linking;
pub mod runtime;
pub mod server;
pub mod tenants;
