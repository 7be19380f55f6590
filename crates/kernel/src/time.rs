//! The two clocks, as explicit inputs.
//!
//! A contact center needs time for two different jobs, and one clock cannot do both:
//!
//! - **Timers and deadlines** (ring timeouts, retries, how long a caller has waited) must not
//!   move when the system clock is stepped (NTP, an operator, a leap smear): they run on
//!   [`MonotonicTime`], milliseconds since an origin the runtime picks when it starts.
//! - **Records** (call-detail records, journal rows) must say when something happened in the
//!   world: they carry [`WallTime`], milliseconds since the UNIX epoch.
//!
//! The state machines never read a clock: every entry point takes the readings as arguments
//! ([`Now`] when a machine needs both), so they stay deterministic and a test can move time
//! by hand. The runtime's one reader of the system's clocks is [`Clock`], which the glue holds.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A reading of the monotonic clock: milliseconds since the runtime's origin. For timers and
/// deadlines; it says nothing about the date.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MonotonicTime(u64);

impl MonotonicTime {
    /// The origin.
    pub const ZERO: MonotonicTime = MonotonicTime(0);

    /// The instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        MonotonicTime(millis)
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        MonotonicTime(self.0.saturating_add(millis_of(duration)))
    }

    /// How long after `earlier` this instant is (zero if it is not after it).
    pub fn saturating_since(self, earlier: MonotonicTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for MonotonicTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{}ms", self.0)
    }
}

/// A reading of the wall clock: milliseconds since the UNIX epoch (UTC). For records only: it
/// may jump backwards or forwards when the system clock is set, so never measure with it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct WallTime(u64);

impl WallTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: WallTime = WallTime(0);

    /// `millis` milliseconds after the UNIX epoch.
    pub const fn from_millis(millis: u64) -> Self {
        WallTime(millis)
    }

    /// Milliseconds since the UNIX epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        WallTime(self.0.saturating_add(millis_of(duration)))
    }
}

impl fmt::Display for WallTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms after the UNIX epoch", self.0)
    }
}

/// Both clocks read at one moment: what a machine that both runs timers and writes records is
/// given at each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Now {
    /// For timers and deadlines.
    pub monotonic: MonotonicTime,
    /// For records.
    pub wall: WallTime,
}

impl Now {
    pub const fn new(monotonic: MonotonicTime, wall: WallTime) -> Self {
        Now { monotonic, wall }
    }
}

/// The runtime's clock: the one place that reads the system's monotonic and wall clocks. The
/// glue holds one and hands its readings to the machines.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: std::time::Instant,
    /// The wall reading at `origin`: what [`Clock::wall_at`] counts from.
    origin_wall: WallTime,
}

impl Clock {
    /// A clock whose monotonic origin is now.
    pub fn start() -> Self {
        let origin = std::time::Instant::now();
        let origin_wall = Clock::read_wall();
        Clock {
            origin,
            origin_wall,
        }
    }

    /// The wall time of a monotonic `deadline`, counted from this clock's start, so the same
    /// deadline always gives the same wall time (a deadline told twice, before and after a
    /// reconnect, reads the same). Reading both clocks at each call would not: they are read at
    /// two instants, and the result could move by a millisecond.
    pub fn wall_at(&self, deadline: MonotonicTime) -> WallTime {
        WallTime(self.origin_wall.0.saturating_add(deadline.0))
    }

    /// The monotonic reading.
    pub fn monotonic(&self) -> MonotonicTime {
        MonotonicTime(millis_of(self.origin.elapsed()))
    }

    /// The wall reading (the UNIX epoch if the system clock is set before it).
    pub fn wall(&self) -> WallTime {
        Clock::read_wall()
    }

    fn read_wall() -> WallTime {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        WallTime(millis_of(since_epoch))
    }

    /// Both readings.
    pub fn now(&self) -> Now {
        Now::new(self.monotonic(), self.wall())
    }

    /// How long from now until `deadline` (zero if it has passed): what the glue sleeps.
    pub fn until(&self, deadline: MonotonicTime) -> Duration {
        deadline.saturating_since(self.monotonic())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::start()
    }
}

fn millis_of(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_has_one_wall_time_however_often_it_is_asked() {
        let clock = Clock::start();
        let deadline = clock.monotonic().saturating_add(Duration::from_secs(30));
        let first = clock.wall_at(deadline);
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(clock.wall_at(deadline), first);
        // And it is where the wall clock will be then, give or take the two readings at start.
        let expected = clock.wall().as_millis() + clock.until(deadline).as_millis() as u64;
        assert!(
            first.as_millis().abs_diff(expected) <= 2,
            "{first:?} vs {expected}"
        );
    }

    #[test]
    fn adding_durations_saturates_instead_of_overflowing() {
        let late = MonotonicTime::from_millis(u64::MAX - 1);
        assert_eq!(
            late.saturating_add(Duration::from_secs(10)),
            MonotonicTime::from_millis(u64::MAX)
        );
        assert_eq!(
            MonotonicTime::from_millis(5).saturating_since(MonotonicTime::from_millis(9)),
            Duration::ZERO
        );
        assert_eq!(
            WallTime::from_millis(u64::MAX).saturating_add(Duration::from_millis(1)),
            WallTime::from_millis(u64::MAX)
        );
    }

    #[test]
    fn the_monotonic_clock_starts_at_its_origin_and_never_goes_back() {
        let clock = Clock::start();
        let first = clock.monotonic();
        assert!(first.as_millis() < 60_000, "{first}");
        let second = clock.monotonic();
        assert!(second >= first);
        let later = second.saturating_add(Duration::from_secs(3600));
        assert!(clock.until(later) > Duration::from_secs(3590));
        assert_eq!(clock.until(MonotonicTime::ZERO), Duration::ZERO);
    }

    #[test]
    fn the_wall_clock_reads_the_date() {
        // 2020-01-01T00:00:00Z: any machine running this is past it.
        assert!(Clock::start().wall() > WallTime::from_millis(1_577_836_800_000));
    }
}
