//! The supervisor's charts: calls, abandonment and service level per interval over a period,
//! counted from call-detail records (one per finished call).
//!
//! [`ChartQuery::parse`] reads the request (period, interval, queue) or names its mistake;
//! [`Chart::count`] puts each finished call into its interval and counts it.
//!
//! # Rules
//!
//! - A call belongs to the interval in which it **started**; intervals start at `from` and are
//!   `interval` long (the last one ends at `to`), so a client that asks from its local midnight
//!   gets intervals on its own clock.
//! - Inbound calls are **answered**, **abandoned** (the customer hung up before any agent
//!   answered) or **unserved** (nobody logged in, overflow, failure); outbound calls are counted
//!   apart, with how many were answered.
//! - An answered inbound call is **in time** when the customer waited at most its queue's
//!   service-level target (`service_level_secs`) before the first answer.
//! - **Service level** = answered in time ÷ (answered + abandoned), over the calls whose queue
//!   has a target; none when there is no such call. Unlike the live wall, which counts every
//!   stay in a queue, a chart counts each call once, for the queue it first waited in.

use std::time::Duration;

use serde::Serialize;

use crate::history::{error, instant, known_pairs, name, FilterError};

/// The intervals a chart may use, in seconds (5 minutes to a day).
pub const INTERVALS: [u32; 6] = [300, 900, 1800, 3600, 21_600, 86_400];

/// The interval when the request names none: half an hour, the usual staffing interval.
pub const DEFAULT_INTERVAL: u32 = 1800;

/// The most intervals one chart holds (a week of 5-minute intervals is 2,016).
pub const MAX_SLOTS: i64 = 2016;

/// The parameters a chart request understands.
pub const PARAMETERS: [&str; 4] = ["from", "to", "interval", "queue"];

/// A validated chart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartQuery {
    /// The first interval's start (Unix milliseconds).
    pub from: i64,
    /// The end of the last interval (exclusive).
    pub to: i64,
    /// Seconds, one of [`INTERVALS`].
    pub interval: u32,
    /// Only calls that first waited in this queue.
    pub queue: Option<String>,
}

impl ChartQuery {
    /// Reads `pairs` (a query string's decoded pairs; empty values count as absent).
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ChartQuery, FilterError> {
        let (mut from, mut to, mut interval, mut queue) = (None, None, None, None);
        for (parameter, value) in known_pairs(pairs, &PARAMETERS, "a parameter of the charts")? {
            match parameter {
                "from" => from = Some(instant(parameter, value)?),
                "to" => to = Some(instant(parameter, value)?),
                "interval" => interval = Some(interval_seconds(value)?),
                "queue" => queue = Some(name(parameter, value, "a queue id")?),
                _ => unreachable!("every parameter is handled"),
            }
        }
        let missing = |p: &str| {
            error(
                p,
                format!(
                    "{p}: required; give the period's {} as RFC 3339 with its offset, e.g. \
                     2026-12-06T00:00:00+09:00",
                    if p == "from" { "start" } else { "end" }
                ),
            )
        };
        let from = from.ok_or_else(|| missing("from"))?;
        let to = to.ok_or_else(|| missing("to"))?;
        let interval = interval.unwrap_or(DEFAULT_INTERVAL);
        if from >= to {
            return Err(error(
                "to",
                "to: the period is empty; `to` must be later than `from`".to_string(),
            ));
        }
        let step = i64::from(interval) * 1000;
        if slot_count(from, to, step) > MAX_SLOTS {
            return Err(error(
                "interval",
                format!(
                    "interval: {interval} s makes more than {MAX_SLOTS} intervals over this \
                     period; choose a longer interval or a shorter period"
                ),
            ));
        }
        Ok(ChartQuery {
            from,
            to,
            interval,
            queue,
        })
    }

    fn slots(&self) -> usize {
        slot_count(self.from, self.to, i64::from(self.interval) * 1000) as usize
    }
}

/// How many intervals of `step` cover `[from, to)` (`from < to`), the last one possibly short.
fn slot_count(from: i64, to: i64, step: i64) -> i64 {
    (to - from + step - 1) / step
}

fn interval_seconds(value: &str) -> Result<u32, FilterError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|s| INTERVALS.contains(s))
        .ok_or_else(|| {
            error(
                "interval",
                format!(
                    "interval: {value:?} is not an interval the charts offer; give seconds, one \
                     of {}",
                    INTERVALS.map(|s| s.to_string()).join(", ")
                ),
            )
        })
}

/// Which way a call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallDirection {
    Inbound,
    Outbound,
}

/// What a chart needs of one finished call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartCall {
    /// Unix milliseconds.
    pub started_at: i64,
    pub direction: CallDirection,
    /// The queue it first waited in.
    pub queue: Option<String>,
    /// The record's outcome word (`answered`, `abandoned`, ...).
    pub outcome: String,
    /// From the call's arrival to the first answer (or to its end); none in records that do
    /// not hold it.
    pub wait_ms: Option<u64>,
}

/// The counts of one interval, or of the whole period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Inbound calls that started in the interval.
    pub inbound: u32,
    pub answered: u32,
    /// Answered within the queue's service-level target.
    pub answered_in_time: u32,
    pub abandoned: u32,
    /// Nobody logged in, overflow, or a failure before any answer.
    pub unserved: u32,
    pub outbound: u32,
    pub outbound_answered: u32,
    /// Answered in time ÷ (answered + abandoned) over calls whose queue has a target, 0 to 1.
    pub service_level: Option<f64>,
    /// Abandoned ÷ inbound, 0 to 1; none without inbound calls.
    pub abandon_rate: Option<f64>,
    #[serde(skip)]
    level_in_time: u32,
    #[serde(skip)]
    level_offered: u32,
}

impl Counts {
    fn add(&mut self, call: &ChartCall, target: Option<Duration>) {
        if call.direction == CallDirection::Outbound {
            self.outbound += 1;
            if call.outcome == "answered" {
                self.outbound_answered += 1;
            }
            return;
        }
        self.inbound += 1;
        match call.outcome.as_str() {
            "answered" => {
                self.answered += 1;
                let in_time = match (target, call.wait_ms) {
                    (Some(target), Some(wait)) => Duration::from_millis(wait) <= target,
                    _ => false,
                };
                if in_time {
                    self.answered_in_time += 1;
                }
                if target.is_some() {
                    self.level_offered += 1;
                    self.level_in_time += u32::from(in_time);
                }
            }
            "abandoned" => {
                self.abandoned += 1;
                if target.is_some() {
                    self.level_offered += 1;
                }
            }
            _ => self.unserved += 1,
        }
    }

    fn finish(&mut self) {
        self.service_level = (self.level_offered > 0)
            .then(|| f64::from(self.level_in_time) / f64::from(self.level_offered));
        self.abandon_rate =
            (self.inbound > 0).then(|| f64::from(self.abandoned) / f64::from(self.inbound));
    }
}

/// One interval of a chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Slot {
    /// The interval's start (Unix milliseconds).
    pub start: i64,
    #[serde(flatten)]
    pub counts: Counts,
}

/// A whole chart: every interval of the period, empty ones included, and the period's totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chart {
    pub slots: Vec<Slot>,
    pub totals: Counts,
}

impl Chart {
    /// Counts `calls` into the query's intervals. `target` gives a queue's service-level
    /// target (none for a queue without one). Calls outside the period, or of another queue
    /// when the query names one, are left out.
    pub fn count(
        query: &ChartQuery,
        calls: impl IntoIterator<Item = ChartCall>,
        target: impl Fn(&str) -> Option<Duration>,
    ) -> Chart {
        let step = i64::from(query.interval) * 1000;
        let mut slots: Vec<Slot> = (0..query.slots())
            .map(|i| Slot {
                start: query.from + i as i64 * step,
                counts: Counts::default(),
            })
            .collect();
        let mut totals = Counts::default();
        for call in calls {
            if call.started_at < query.from || call.started_at >= query.to {
                continue;
            }
            if query.queue.is_some() && call.queue != query.queue {
                continue;
            }
            let target = call.queue.as_deref().and_then(&target);
            let index = ((call.started_at - query.from) / step) as usize;
            slots[index].counts.add(&call, target);
            totals.add(&call, target);
        }
        for slot in &mut slots {
            slot.counts.finish();
        }
        totals.finish();
        Chart { slots, totals }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn query(pairs: &[(&str, &str)]) -> Result<ChartQuery, FilterError> {
        ChartQuery::parse(pairs.iter().copied())
    }

    fn day() -> ChartQuery {
        query(&[
            ("from", "2026-12-06T00:00:00+09:00"),
            ("to", "2026-12-07T00:00:00+09:00"),
            ("interval", "3600"),
        ])
        .unwrap()
    }

    fn inbound(at: i64, queue: &str, outcome: &str, wait_s: u64) -> ChartCall {
        ChartCall {
            started_at: at,
            direction: CallDirection::Inbound,
            queue: Some(queue.to_string()),
            outcome: outcome.to_string(),
            wait_ms: Some(wait_s * 1000),
        }
    }

    fn twenty_seconds(queue: &str) -> Option<Duration> {
        (queue == "support").then(|| Duration::from_secs(20))
    }

    #[test]
    fn a_day_in_hours_has_24_intervals_from_local_midnight() {
        let q = day();
        assert_eq!(q.interval, 3600);
        let chart = Chart::count(&q, [], twenty_seconds);
        assert_eq!(chart.slots.len(), 24);
        assert_eq!(chart.slots[0].start, q.from);
        assert_eq!(chart.slots[23].start, q.from + 23 * HOUR);
        assert_eq!(chart.totals.service_level, None);
        assert_eq!(chart.totals.abandon_rate, None);
    }

    #[test]
    fn calls_fall_in_the_interval_they_started_in_and_the_last_interval_is_cut_at_to() {
        let q = query(&[
            ("from", "2026-12-06T00:00:00Z"),
            ("to", "2026-12-06T01:15:00Z"),
            ("interval", "1800"),
        ])
        .unwrap();
        let start = q.from;
        let calls = [
            inbound(start, "support", "answered", 5),
            inbound(start + 1_799_999, "support", "answered", 5),
            inbound(start + 1_800_000, "support", "abandoned", 40),
            inbound(start + 4_499_999, "support", "answered", 5),
            // Outside the period on both sides.
            inbound(start - 1, "support", "answered", 5),
            inbound(q.to, "support", "answered", 5),
        ];
        let chart = Chart::count(&q, calls, twenty_seconds);
        let inbound: Vec<u32> = chart.slots.iter().map(|s| s.counts.inbound).collect();
        assert_eq!(inbound, vec![2, 1, 1]);
        assert_eq!(chart.totals.inbound, 4);
    }

    #[test]
    fn service_level_counts_answers_within_the_target_over_answered_and_abandoned() {
        let q = day();
        let at = q.from + 9 * HOUR;
        let calls = [
            inbound(at, "support", "answered", 20), // in time: the target itself
            inbound(at, "support", "answered", 21), // late
            inbound(at, "support", "abandoned", 3),
            inbound(at, "support", "no_agent", 0),  // neither
            inbound(at, "support", "overflow", 90), // neither
        ];
        let chart = Chart::count(&q, calls, twenty_seconds);
        let nine = &chart.slots[9].counts;
        assert_eq!(
            (nine.inbound, nine.answered, nine.answered_in_time),
            (5, 2, 1)
        );
        assert_eq!((nine.abandoned, nine.unserved), (1, 2));
        assert_eq!(nine.service_level, Some(1.0 / 3.0));
        assert_eq!(nine.abandon_rate, Some(1.0 / 5.0));
        assert_eq!(chart.totals, *nine);
    }

    #[test]
    fn calls_of_a_queue_without_a_target_are_counted_but_not_in_the_service_level() {
        let q = day();
        let at = q.from;
        let mut unknown = inbound(at, "support", "answered", 1);
        unknown.queue = None;
        let calls = [
            inbound(at, "sales", "answered", 1),
            inbound(at, "sales", "abandoned", 1),
            unknown,
        ];
        let chart = Chart::count(&q, calls, twenty_seconds);
        assert_eq!(chart.totals.answered, 2);
        assert_eq!(chart.totals.abandoned, 1);
        assert_eq!(chart.totals.answered_in_time, 0);
        assert_eq!(chart.totals.service_level, None);
    }

    #[test]
    fn an_answer_whose_record_lacks_the_wait_is_not_in_time() {
        let q = day();
        let mut call = inbound(q.from, "support", "answered", 0);
        call.wait_ms = None;
        let chart = Chart::count(&q, [call], twenty_seconds);
        assert_eq!(chart.totals.answered_in_time, 0);
        assert_eq!(chart.totals.service_level, Some(0.0));
    }

    #[test]
    fn outbound_calls_are_counted_apart_from_the_queue_figures() {
        let q = day();
        let dialled = |outcome: &str| ChartCall {
            started_at: q.from,
            direction: CallDirection::Outbound,
            queue: None,
            outcome: outcome.to_string(),
            wait_ms: Some(3000),
        };
        let chart = Chart::count(
            &q,
            [
                dialled("answered"),
                dialled("outbound_failed"),
                dialled("cancelled"),
            ],
            twenty_seconds,
        );
        assert_eq!(
            (chart.totals.outbound, chart.totals.outbound_answered),
            (3, 1)
        );
        assert_eq!(
            (chart.totals.inbound, chart.totals.service_level),
            (0, None)
        );
    }

    #[test]
    fn a_queue_filter_keeps_only_calls_that_first_waited_there() {
        let mut q = day();
        q.queue = Some("support".into());
        let calls = [
            inbound(q.from, "support", "answered", 1),
            inbound(q.from, "sales", "answered", 1),
        ];
        let chart = Chart::count(&q, calls, twenty_seconds);
        assert_eq!(chart.totals.inbound, 1);
    }

    #[test]
    fn mistakes_name_the_parameter_and_what_to_write() {
        let err = query(&[("to", "2026-12-07T00:00:00Z")]).unwrap_err();
        assert_eq!(err.parameter, "from");
        assert!(err.message.contains("required"), "{}", err.message);

        let err = query(&[
            ("from", "2026-12-06T00:00:00Z"),
            ("to", "2026-12-07T00:00:00Z"),
            ("interval", "600"),
        ])
        .unwrap_err();
        assert_eq!(err.parameter, "interval");
        assert!(
            err.message.contains("300, 900, 1800, 3600, 21600, 86400"),
            "{}",
            err.message
        );

        let err = query(&[
            ("from", "2026-12-07T00:00:00Z"),
            ("to", "2026-12-06T00:00:00Z"),
        ])
        .unwrap_err();
        assert_eq!(err.parameter, "to");

        let err = query(&[
            ("from", "2026-01-01T00:00:00Z"),
            ("to", "2026-12-31T00:00:00Z"),
            ("interval", "300"),
        ])
        .unwrap_err();
        assert_eq!(err.parameter, "interval");
        assert!(err.message.contains("longer interval"), "{}", err.message);

        let err = query(&[
            ("from", "2026-12-06T00:00:00Z"),
            ("to", "2026-12-07T00:00:00Z"),
            ("queue", "<script>"),
        ])
        .unwrap_err();
        assert_eq!(err.parameter, "queue");

        let err = query(&[
            ("from", "2026-12-06T00:00:00Z"),
            ("from", "2026-12-06T00:00:00Z"),
        ])
        .unwrap_err();
        assert_eq!(err.message, "from is given twice; give it once");

        let err = query(&[("period", "today")]).unwrap_err();
        assert!(
            err.message.contains("from, to, interval, queue"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_week_of_five_minute_intervals_is_the_most_one_chart_holds() {
        let q = query(&[
            ("from", "2026-12-01T00:00:00Z"),
            ("to", "2026-12-08T00:00:00Z"),
            ("interval", "300"),
        ])
        .unwrap();
        assert_eq!(q.slots() as i64, MAX_SLOTS);
        assert_eq!(q.queue, None);
    }
}
