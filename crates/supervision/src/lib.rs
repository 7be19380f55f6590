//! Supervision, sans IO: what a supervisor sees of the contact center.
//!
//! - [`wall`]: the live wall. The switchboard's outputs (with the wall-clock time they were
//!   carried out) go in; per-queue figures (calls waiting, longest wait, answered, answered
//!   within the queue's service-level target, abandoned, today in the tenant's time zone) and per-agent rows (state,
//!   since when, current call) come out, whole or as the rows changed since the last look.
//! - [`charts`]: calls, abandonment and service level per interval over a period, counted from
//!   call-detail records.
//! - [`history`]: the call history's filters as typed values (every mistake a message saying
//!   what to write), its paging cursor, and its CSV rows (safe from spreadsheet formulas).
//!
//! # Architecture invariants
//!
//! No IO, no clock, no tasks: every time is an input. Knows neither HTTP nor SQL nor SIP; the
//! telephony runtime feeds the wall and the web edge serves both.

pub mod charts;
pub mod history;
pub mod wall;
