//! A local ServiceNow instance for development, tests and `callbridge demo`.
//!
//! It emulates what the Callbridge connector (and third-party ServiceNow clients) rely on: the
//! Table, Batch and Aggregate APIs with their quirks, Basic and OAuth authentication, users,
//! roles and ACLs, dictionary-driven schema, CSM tables, rate limits and injectable faults.
//! `../shared/reference/servicenow.md` is the specification; code cites its sections.
//!
//! Invariant: nothing here is used by the product at run time except through HTTP. The
//! connector talks to the sandbox exactly as it talks to a real instance.

pub mod api;
pub mod auth;
pub mod clock;
pub mod credentials;
pub mod faults;
pub mod instance;
pub mod oauth;
pub mod private;
pub mod query;
pub mod ratelimit;
pub mod render;
pub mod schema;
pub mod seed;
pub mod store;
pub mod tls;
pub mod ui;

mod server;

pub use seed::SandboxCredentials;
pub use server::{start, RunningSandbox, SandboxOptions, Seed};
