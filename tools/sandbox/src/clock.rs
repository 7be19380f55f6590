//! The instance clock. Tests move it forward (token expiry, rate-limit windows) through the admin
//! API instead of sleeping; everything in the sandbox that asks "what time is it" asks this.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// Seconds since the Unix epoch, including any offset a test applied.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset_secs.load(Ordering::Relaxed)
    }

    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// `now` as ServiceNow writes datetimes: `YYYY-MM-DD HH:MM:SS`, UTC.
    pub fn now_glide(&self) -> String {
        glide_datetime(self.now())
    }
}

/// Formats Unix seconds as a ServiceNow `glide_date_time` value (UTC).
pub fn glide_datetime(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glide_datetime_is_utc_and_zero_padded() {
        assert_eq!(glide_datetime(0), "1970-01-01 00:00:00");
        assert_eq!(glide_datetime(1_700_000_000), "2023-11-14 22:13:20");
    }

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(3600);
        assert!(clock.now() >= before + 3600);
    }
}
