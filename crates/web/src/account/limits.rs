//! Sign-in attempt limits: at most 5 failed attempts per tenant and user name, and 20 per client
//! address, in any 15 minutes; beyond that a sign-in is refused (429) until the oldest failure
//! leaves the window, and `Retry-After` says when. A successful sign-in clears its user's
//! failures (not its address's).
//!
//! Kept in memory, per process: a restart forgets them, and several Callbridge processes behind
//! one address each count their own. The tables are bounded (old windows are dropped first).

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_USER: usize = 5;
pub const PER_ADDRESS: usize = 20;
/// How many users or addresses each table keeps at most.
const MAX_KEYS: usize = 100_000;

/// Failure times per key within the window.
struct Failures<K> {
    limit: usize,
    by_key: HashMap<K, VecDeque<Instant>>,
}

impl<K: Eq + Hash + Clone> Failures<K> {
    fn new(limit: usize) -> Self {
        Failures {
            limit,
            by_key: HashMap::new(),
        }
    }

    /// When `key` may try again, if it is over its limit now.
    fn blocked_until(&mut self, key: &K, now: Instant) -> Option<Instant> {
        let times = self.by_key.get_mut(key)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.is_empty() {
            self.by_key.remove(key);
            return None;
        }
        if times.len() >= self.limit {
            // The oldest failures that must leave before one more attempt is allowed.
            let release = times[times.len() - self.limit];
            return Some(release + WINDOW);
        }
        None
    }

    fn fail(&mut self, key: K, now: Instant) {
        if self.by_key.len() >= MAX_KEYS && !self.by_key.contains_key(&key) {
            self.by_key.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
            if self.by_key.len() >= MAX_KEYS {
                // Still full of fresh failures: forget the key whose last failure is oldest.
                if let Some(oldest) = self
                    .by_key
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| k.clone())
                {
                    self.by_key.remove(&oldest);
                }
            }
        }
        let times = self.by_key.entry(key).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }

    fn clear(&mut self, key: &K) {
        self.by_key.remove(key);
    }
}

/// Who is trying to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attempt {
    pub tenant: String,
    pub user: String,
    pub address: IpAddr,
}

/// The per-process table of failed sign-ins.
pub struct SignInLimits {
    users: Failures<(String, String)>,
    addresses: Failures<IpAddr>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            users: Failures::new(PER_USER),
            addresses: Failures::new(PER_ADDRESS),
        }
    }
}

impl SignInLimits {
    /// `Err(seconds to wait)` if this attempt must be refused without looking at the password.
    pub fn check(&mut self, attempt: &Attempt, now: Instant) -> Result<(), u64> {
        let user = (attempt.tenant.clone(), attempt.user.clone());
        let until = [
            self.users.blocked_until(&user, now),
            self.addresses.blocked_until(&attempt.address, now),
        ]
        .into_iter()
        .flatten()
        .max();
        match until {
            Some(until) => Err(until.duration_since(now).as_secs().max(1)),
            None => Ok(()),
        }
    }

    pub fn failed(&mut self, attempt: &Attempt, now: Instant) {
        self.users
            .fail((attempt.tenant.clone(), attempt.user.clone()), now);
        self.addresses.fail(attempt.address, now);
    }

    pub fn succeeded(&mut self, attempt: &Attempt) {
        self.users
            .clear(&(attempt.tenant.clone(), attempt.user.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(user: &str, address: [u8; 4]) -> Attempt {
        Attempt {
            tenant: "acme".into(),
            user: user.into(),
            address: IpAddr::from(address),
        }
    }

    #[test]
    fn five_failures_for_a_user_block_the_sixth_until_the_first_is_15_minutes_old() {
        let mut limits = SignInLimits::default();
        let t0 = Instant::now();
        let alice = attempt("alice", [192, 0, 2, 1]);
        for i in 0..5 {
            let now = t0 + Duration::from_secs(i * 60);
            assert_eq!(limits.check(&alice, now), Ok(()));
            limits.failed(&alice, now);
        }
        let now = t0 + Duration::from_secs(300);
        assert_eq!(limits.check(&alice, now), Err(600));
        // The same user from elsewhere is blocked too; another user is not.
        assert!(limits
            .check(&attempt("alice", [198, 51, 100, 1]), now)
            .is_err());
        assert_eq!(limits.check(&attempt("bob", [192, 0, 2, 1]), now), Ok(()));
        assert_eq!(limits.check(&alice, t0 + WINDOW), Ok(()));
    }

    #[test]
    fn twenty_failures_from_one_address_block_it_whatever_the_user() {
        let mut limits = SignInLimits::default();
        let t0 = Instant::now();
        for i in 0..20 {
            let a = attempt(&format!("user{i}"), [192, 0, 2, 9]);
            assert_eq!(limits.check(&a, t0), Ok(()));
            limits.failed(&a, t0);
        }
        assert_eq!(limits.check(&attempt("new", [192, 0, 2, 9]), t0), Err(900));
        assert_eq!(limits.check(&attempt("new", [192, 0, 2, 10]), t0), Ok(()));
    }

    #[test]
    fn a_success_clears_the_users_failures() {
        let mut limits = SignInLimits::default();
        let t0 = Instant::now();
        let alice = attempt("alice", [192, 0, 2, 1]);
        for _ in 0..4 {
            limits.failed(&alice, t0);
        }
        limits.succeeded(&alice);
        for _ in 0..4 {
            limits.failed(&alice, t0);
        }
        assert_eq!(limits.check(&alice, t0), Ok(()));
    }
}
