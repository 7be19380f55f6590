//! Time as an explicit input.
//!
//! The engine's clock is the monotonic one ([`callbridge_kernel::time::MonotonicTime`]): it
//! only runs deadlines (held events, lookup retries, the contact wait, the call lifetime), and a
//! step of the system clock must not move them. `Timestamp` is that type under the name the
//! engine's users already know.
//!
//! The core never reads a clock. Every entry point takes the current `Timestamp`, and deadlines
//! come back out as `Timestamp`s (see [`Engine::poll_timeout`](crate::Engine::poll_timeout)).

/// A reading of the monotonic clock, in milliseconds since the runtime's origin.
pub type Timestamp = callbridge_kernel::time::MonotonicTime;
