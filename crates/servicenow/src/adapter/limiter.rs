//! Keeps a tenant under its instance's hourly rate-limit rule: a token bucket holding at most
//! the hourly budget, refilled continuously. Background writes wait for a token; interactive
//! lookups take one if there is one and otherwise fail fast (a screen pop minutes late is
//! worthless).

use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub struct HourlyLimiter {
    per_hour: f64,
    state: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl HourlyLimiter {
    pub fn new(per_hour: u32) -> HourlyLimiter {
        HourlyLimiter {
            per_hour: f64::from(per_hour.max(1)),
            state: Mutex::new(Bucket {
                tokens: f64::from(per_hour.max(1)),
                refilled: Instant::now(),
            }),
        }
    }

    /// Takes a token now, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        let mut bucket = self.state.lock();
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_hour / 3600.0).min(self.per_hour);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing * 3600.0 / self.per_hour))
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        while let Err(wait) = self.try_acquire() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_then_refused_with_the_wait() {
        let limiter = HourlyLimiter::new(2);
        assert!(limiter.try_acquire().is_ok());
        assert!(limiter.try_acquire().is_ok());
        let wait = limiter.try_acquire().unwrap_err();
        assert!(
            wait > Duration::from_secs(1700) && wait <= Duration::from_secs(1800),
            "{wait:?}"
        );
    }
}
