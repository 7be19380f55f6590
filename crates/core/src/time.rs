//! Time as an explicit input.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time in milliseconds since an epoch the runtime chooses.
///
/// The core never reads a clock. Every entry point takes the current `Timestamp`, and deadlines
/// come back out as `Timestamp`s (see [`Engine::poll_timeout`](crate::Engine::poll_timeout)).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The epoch.
    pub const ZERO: Timestamp = Timestamp(0);

    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(millis))
    }

    /// How long after `earlier` this instant is (zero if it is not after it).
    pub fn saturating_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_durations_saturates_instead_of_overflowing() {
        let late = Timestamp::from_millis(u64::MAX - 1);
        assert_eq!(
            late.saturating_add(Duration::from_secs(10)),
            Timestamp::from_millis(u64::MAX)
        );
        assert_eq!(
            Timestamp::from_millis(5).saturating_since(Timestamp::from_millis(9)),
            Duration::ZERO
        );
    }
}
