//! Events that arrived before their call's offer. Senders deliver out of order (parallel
//! webhooks, retries), so an `answered`, `connected` or `ended` for a call not offered yet is
//! kept for a bounded time and applied when the offer arrives, instead of being lost.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::Event;
use crate::ids::CallId;
use crate::policy::EngineConfig;
use crate::time::Timestamp;
use crate::verdict::{Ignored, Verdict};

#[derive(Debug)]
struct HeldCall {
    /// Fixed by the first held event: later ones do not extend it, so a call that is never
    /// offered cannot keep memory forever by trickling events.
    until: Timestamp,
    events: Vec<Event>,
}

/// Early events, per call, bounded per call and in total.
#[derive(Debug, Default)]
pub(crate) struct HeldEvents {
    calls: BTreeMap<CallId, HeldCall>,
    expiry: BTreeSet<(Timestamp, CallId)>,
    total: usize,
}

impl HeldEvents {
    /// Keeps `event` (about `call`, not offered yet) until the offer or the window's end.
    pub(crate) fn hold(
        &mut self,
        now: Timestamp,
        config: &EngineConfig,
        call: &CallId,
        event: Event,
    ) -> Verdict {
        if let Some(held) = self.calls.get(call) {
            if held.events.contains(&event) {
                // A retried copy: already waiting.
                return Verdict::Held { until: held.until };
            }
        }
        let per_call = self.calls.get(call).map_or(0, |h| h.events.len());
        if per_call >= config.max_held_per_call || self.total >= config.max_held_total {
            return Verdict::Ignored(Ignored::HoldFull);
        }
        let held = self.calls.entry(call.clone()).or_insert_with(|| {
            let until = now.saturating_add(config.hold_unoffered_for);
            self.expiry.insert((until, call.clone()));
            HeldCall {
                until,
                events: Vec::new(),
            }
        });
        held.events.push(event);
        self.total += 1;
        Verdict::Held { until: held.until }
    }

    /// The held events of `call`, in the order to apply them after its offer: arrival order,
    /// except that `ended` comes last (whatever else was reported happened before the end).
    pub(crate) fn take(&mut self, call: &CallId) -> Vec<Event> {
        let Some(held) = self.calls.remove(call) else {
            return Vec::new();
        };
        self.expiry.remove(&(held.until, call.clone()));
        self.total -= held.events.len();
        let (mut events, ends): (Vec<Event>, Vec<Event>) = held
            .events
            .into_iter()
            .partition(|e| !matches!(e, Event::Ended { .. }));
        events.extend(ends);
        events
    }

    /// Drops the events of calls whose window closed at or before `now`; returns how many.
    pub(crate) fn expire(&mut self, now: Timestamp) -> u64 {
        let mut dropped = 0;
        while let Some((at, call)) = self.expiry.first().cloned() {
            if at > now {
                break;
            }
            self.expiry.remove(&(at, call.clone()));
            if let Some(held) = self.calls.remove(&call) {
                self.total -= held.events.len();
                dropped += held.events.len() as u64;
            }
        }
        dropped
    }

    /// When the next window closes.
    pub(crate) fn next_expiry(&self) -> Option<Timestamp> {
        self.expiry.first().map(|(at, _)| *at)
    }

    /// How many events wait for `call`'s offer.
    pub(crate) fn count(&self, call: &CallId) -> usize {
        self.calls.get(call).map_or(0, |h| h.events.len())
    }

    /// How many events wait in total.
    pub(crate) fn total(&self) -> usize {
        self.total
    }
}
