//! Timestamps in the database: UTC microseconds since the Unix epoch, as `i64`.

use std::time::Duration;

use time::OffsetDateTime;

use crate::StoreError;

/// `t` as microseconds since the epoch (sub-microsecond precision is dropped).
pub(crate) fn to_micros(t: OffsetDateTime) -> i64 {
    let micros = t.unix_timestamp_nanos().div_euclid(1_000);
    i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
}

/// The instant `micros` microseconds after the epoch, in UTC.
pub(crate) fn from_micros(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {micros} µs is out of range: {e}")))
}

pub(crate) fn opt_from_micros(micros: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    micros.map(from_micros).transpose()
}

/// `d` in microseconds, saturating.
pub(crate) fn duration_micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The system clock, for informational columns only.
pub(crate) fn wall_clock_micros() -> i64 {
    to_micros(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn micros_round_trip_and_truncate_below_a_microsecond() {
        let t = datetime!(2025-03-04 05:06:07.123456789 UTC);
        assert_eq!(
            from_micros(to_micros(t)).unwrap(),
            datetime!(2025-03-04 05:06:07.123456 UTC)
        );
        let before_epoch = datetime!(1969-12-31 23:59:59.9999995 UTC);
        assert_eq!(to_micros(before_epoch), -1);
    }

    #[test]
    fn out_of_range_values_are_reported_as_corrupt() {
        assert!(matches!(from_micros(i64::MAX), Err(StoreError::Corrupt(_))));
        assert_eq!(duration_micros(Duration::MAX), i64::MAX);
    }
}
