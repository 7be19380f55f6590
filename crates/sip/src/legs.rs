//! The registry of live legs: what the runtime's commands act on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use rsipstack::dialog::invite_dialog::InviteDialog;

use crate::error::SipError;
use crate::event::LegId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Inbound,
    Outbound,
}

/// Where a leg is in its life, as far as the runtime's commands care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Inbound INVITE not answered yet (100/180/183 only).
    Offered,
    /// Inbound: our 200 is out, its ACK is not in.
    Answered,
    /// Outbound INVITE without a final response yet.
    Calling,
    /// Call up (ACK received, or our ACK sent).
    Confirmed,
    /// Hang-up, rejection or cancellation under way.
    Ending,
}

impl Phase {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Phase::Offered => "ringing",
            Phase::Answered => "waiting for the ACK",
            Phase::Calling => "calling",
            Phase::Confirmed => "connected",
            Phase::Ending => "ending",
        }
    }
}

pub(crate) struct Leg {
    pub(crate) dialog: InviteDialog,
    pub(crate) direction: Direction,
    pub(crate) phase: Phase,
    /// The runtime ended this leg (or we did, for a session timeout): its end needs no event.
    pub(crate) ended_locally: bool,
    /// RFC 4028 interval agreed with the carrier for this inbound leg.
    pub(crate) session_interval: Option<Duration>,
}

#[derive(Default)]
pub(crate) struct Legs {
    by_id: Mutex<HashMap<LegId, Leg>>,
    next: AtomicU64,
}

impl Legs {
    pub(crate) fn allocate(&self) -> LegId {
        LegId(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    pub(crate) fn insert(&self, id: LegId, leg: Leg) {
        self.by_id.lock().insert(id, leg);
    }

    /// Runs `action` on the leg under the registry lock (keep it short and non-blocking).
    pub(crate) fn with<R>(
        &self,
        id: LegId,
        action: impl FnOnce(&mut Leg) -> Result<R, SipError>,
    ) -> Result<R, SipError> {
        let mut legs = self.by_id.lock();
        let leg = legs.get_mut(&id).ok_or(SipError::UnknownLeg(id))?;
        action(leg)
    }

    pub(crate) fn remove(&self, id: LegId) -> Option<Leg> {
        self.by_id.lock().remove(&id)
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.lock().len()
    }
}
