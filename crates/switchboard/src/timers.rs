//! Deadlines: one ordered set of `(when, what)`. Each entry names the exact ring, stay, wrap-up
//! or attempt it belongs to, so an entry that outlived its purpose is recognised and skipped.

use std::collections::BTreeSet;

use callbridge_core::{AgentId, CallId, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// The ring `ring_id` of the call ends unanswered.
    Ring { call: CallId, ring_id: u64 },
    /// The call's stay `visit` in its queue reaches the queue's maximum wait.
    MaxWait { call: CallId, visit: u64 },
    /// The outbound call was not answered in time.
    OutboundAnswer { call: CallId },
    /// The agent's wrap-up `wrap_up_id` is over.
    WrapUp { agent: AgentId, wrap_up_id: u64 },
    /// The ended call's id can be forgotten.
    Forget { call: CallId },
    /// The grace period of the agent's loss `lost_id` is over: their call ends.
    Grace { agent: AgentId, lost_id: u64 },
    /// What the agent's next connection is told about a call that ended while they were away
    /// (`farewell_id`) can be forgotten.
    Farewell { agent: AgentId, farewell_id: u64 },
}

#[derive(Debug, Default)]
pub(crate) struct Timers {
    due: BTreeSet<(Timestamp, Timer)>,
}

impl Timers {
    pub fn set(&mut self, at: Timestamp, timer: Timer) {
        self.due.insert((at, timer));
    }

    pub fn cancel(&mut self, at: Timestamp, timer: Timer) {
        self.due.remove(&(at, timer));
    }

    pub fn next(&self) -> Option<Timestamp> {
        self.due.first().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest timer due at `now` or before.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<Timer> {
        if self.next()? > now {
            return None;
        }
        self.due.pop_first().map(|(_, timer)| timer)
    }

    pub fn len(&self) -> usize {
        self.due.len()
    }
}
