//! Per-source request rate limiting (token bucket), with throttled logging.
//!
//! Time is an argument, so the arithmetic is tested without sleeping. Only requests are
//! limited: responses can only complete transactions we started, and limiting them would
//! break our own outbound calls under load.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How many requests one source address may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodLimit {
    /// Sustained requests per second per source IP address.
    pub requests_per_second: u32,
    /// Requests a quiet source may send at once before the sustained rate applies.
    pub burst: u32,
}

impl Default for FloodLimit {
    /// Sized for a carrier trunk at the product's 200 calls/s target: an inbound call costs
    /// about three requests (INVITE, ACK, BYE) plus OPTIONS pings, so 1000/s leaves headroom.
    fn default() -> Self {
        FloodLimit {
            requests_per_second: 1000,
            burst: 2000,
        }
    }
}

/// Buckets untouched for this long are full again and carry no information.
const IDLE_BUCKET: Duration = Duration::from_secs(60);
/// Pruning walks the whole map, so it runs at most this often.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

struct Bucket {
    tokens: f64,
    updated: Instant,
}

struct Buckets {
    by_source: HashMap<IpAddr, Bucket>,
    pruned: Instant,
}

/// Token buckets for every source seen recently.
pub(crate) struct FloodGuard {
    limit: FloodLimit,
    buckets: Mutex<Buckets>,
}

impl FloodGuard {
    pub(crate) fn new(limit: FloodLimit, now: Instant) -> Self {
        FloodGuard {
            limit,
            buckets: Mutex::new(Buckets {
                by_source: HashMap::new(),
                pruned: now,
            }),
        }
    }

    /// Takes one token for `source`; `false` means the request must be dropped.
    pub(crate) fn admit(&self, source: IpAddr, now: Instant) -> bool {
        let rate = f64::from(self.limit.requests_per_second);
        let capacity = f64::from(self.limit.burst.max(1));
        let mut buckets = self.buckets.lock();
        if now.saturating_duration_since(buckets.pruned) >= PRUNE_EVERY {
            buckets
                .by_source
                .retain(|_, bucket| now.saturating_duration_since(bucket.updated) < IDLE_BUCKET);
            buckets.pruned = now;
        }
        let bucket = buckets.by_source.entry(source).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    #[cfg(test)]
    fn tracked_sources(&self) -> usize {
        self.buckets.lock().by_source.len()
    }
}

/// Lets a noisy condition be logged at most once per interval, counting what was suppressed.
pub(crate) struct LogThrottle {
    interval: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogThrottle {
    pub(crate) fn new(interval: Duration) -> Self {
        LogThrottle {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(suppressed since the last log)` when this occurrence should be logged.
    pub(crate) fn should_log(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock();
        let due = match state.0 {
            None => true,
            Some(last) => now.saturating_duration_since(last) >= self.interval,
        };
        if due {
            let suppressed = state.1;
            *state = (Some(now), 0);
            Some(suppressed)
        } else {
            state.1 += 1;
            None
        }
    }
}

/// Sources a [`SourceLogThrottle`] remembers at most; beyond it the quietest are forgotten
/// (a spoofing flood must not grow the map without bound).
const MAX_LOGGED_SOURCES: usize = 4096;

/// One log line per source address per interval, counting what was suppressed in between.
///
/// For conditions a remote party can trigger at will (a refused INVITE): without it one source
/// under the flood limit writes a line per request, up to a thousand a second.
pub struct SourceLogThrottle {
    interval: Duration,
    by_source: Mutex<HashMap<IpAddr, (Instant, u64)>>,
}

impl SourceLogThrottle {
    pub fn new(interval: Duration) -> Self {
        SourceLogThrottle {
            interval,
            by_source: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(suppressed since this source's last line)` when this occurrence should be logged.
    pub fn should_log(&self, source: IpAddr, now: Instant) -> Option<u64> {
        let mut by_source = self.by_source.lock();
        if let Some((last, suppressed)) = by_source.get_mut(&source) {
            if now.saturating_duration_since(*last) < self.interval {
                *suppressed += 1;
                return None;
            }
            let reported = *suppressed;
            *last = now;
            *suppressed = 0;
            return Some(reported);
        }
        if by_source.len() >= MAX_LOGGED_SOURCES {
            let interval = self.interval;
            by_source.retain(|_, (last, _)| now.saturating_duration_since(*last) < interval);
            if by_source.len() >= MAX_LOGGED_SOURCES {
                // Every tracked source is active: log this one without tracking it.
                return Some(0);
            }
        }
        by_source.insert(source, (now, 0));
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_burst_is_admitted_then_the_sustained_rate_applies() {
        let start = Instant::now();
        let guard = FloodGuard::new(
            FloodLimit {
                requests_per_second: 10,
                burst: 5,
            },
            start,
        );
        let admitted = (0..20).filter(|_| guard.admit(ip(1), start)).count();
        assert_eq!(admitted, 5);
        // 10/s refills one token every 100 ms.
        assert!(!guard.admit(ip(1), start + Duration::from_millis(50)));
        assert!(guard.admit(ip(1), start + Duration::from_millis(160)));
        assert!(!guard.admit(ip(1), start + Duration::from_millis(170)));
    }

    #[test]
    fn one_flooding_source_does_not_starve_another() {
        let start = Instant::now();
        let guard = FloodGuard::new(
            FloodLimit {
                requests_per_second: 1,
                burst: 1,
            },
            start,
        );
        assert!(guard.admit(ip(1), start));
        assert!(!guard.admit(ip(1), start));
        assert!(guard.admit(ip(2), start));
    }

    #[test]
    fn idle_sources_are_forgotten() {
        let start = Instant::now();
        let guard = FloodGuard::new(FloodLimit::default(), start);
        for last in 0..50 {
            guard.admit(ip(last), start);
        }
        assert_eq!(guard.tracked_sources(), 50);
        guard.admit(ip(200), start + IDLE_BUCKET + PRUNE_EVERY);
        assert_eq!(guard.tracked_sources(), 1);
    }

    #[test]
    fn each_source_gets_one_line_per_interval_with_the_suppressed_count() {
        let start = Instant::now();
        let throttle = SourceLogThrottle::new(Duration::from_secs(10));
        assert_eq!(throttle.should_log(ip(1), start), Some(0));
        let logged = (1..1000)
            .filter(|i| {
                throttle
                    .should_log(ip(1), start + Duration::from_millis(*i))
                    .is_some()
            })
            .count();
        assert_eq!(logged, 0, "a thousand refusals in a second log one line");
        assert_eq!(
            throttle.should_log(ip(2), start),
            Some(0),
            "sources are independent"
        );
        assert_eq!(
            throttle.should_log(ip(1), start + Duration::from_secs(10)),
            Some(999)
        );
    }

    #[test]
    fn the_log_throttle_reports_what_it_suppressed() {
        let start = Instant::now();
        let throttle = LogThrottle::new(Duration::from_secs(10));
        assert_eq!(throttle.should_log(start), Some(0));
        assert_eq!(throttle.should_log(start + Duration::from_secs(1)), None);
        assert_eq!(throttle.should_log(start + Duration::from_secs(2)), None);
        assert_eq!(
            throttle.should_log(start + Duration::from_secs(10)),
            Some(2)
        );
    }
}
