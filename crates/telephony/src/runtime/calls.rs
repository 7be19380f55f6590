//! Which SIP leg carries which call, and what the runtime must remember about each call that the
//! switchboard does not (its tenant, the SDP we answered with).

use std::collections::HashMap;

use callbridge_core::{CallId, TenantId};
use callbridge_sip::LegId;

/// The runtime's notes on one live call.
#[derive(Debug, Clone)]
pub struct CallLeg {
    pub call: CallId,
    pub tenant: TenantId,
    pub leg: Option<LegId>,
    /// Our SDP for the customer leg: sent in 183/200 for inbound calls.
    pub local_sdp: Option<String>,
    /// The inbound INVITE had no offer: our 200 carries one and the ACK brings the answer.
    pub offerless: bool,
    /// An outbound call's caller id when the agent chose it (`dial` with `caller_id`, where the
    /// trunk allows it); otherwise the trunk's own is presented.
    pub caller_id: Option<callbridge_phone::E164>,
}

#[derive(Default)]
pub struct CallTable {
    by_call: HashMap<CallId, CallLeg>,
    by_leg: HashMap<LegId, CallId>,
}

impl CallTable {
    pub fn insert(&mut self, entry: CallLeg) {
        if let Some(leg) = entry.leg {
            self.by_leg.insert(leg, entry.call.clone());
        }
        self.by_call.insert(entry.call.clone(), entry);
    }

    /// Binds an outbound call to the leg its INVITE created.
    pub fn set_leg(&mut self, call: &CallId, leg: LegId) {
        if let Some(entry) = self.by_call.get_mut(call) {
            entry.leg = Some(leg);
            self.by_leg.insert(leg, call.clone());
        }
    }

    pub fn get(&self, call: &CallId) -> Option<&CallLeg> {
        self.by_call.get(call)
    }

    pub fn call_of(&self, leg: LegId) -> Option<&CallId> {
        self.by_leg.get(&leg)
    }

    pub fn leg_of(&self, call: &CallId) -> Option<LegId> {
        self.by_call.get(call).and_then(|c| c.leg)
    }

    pub fn remove(&mut self, call: &CallId) -> Option<CallLeg> {
        let entry = self.by_call.remove(call)?;
        if let Some(leg) = entry.leg {
            self.by_leg.remove(&leg);
        }
        Some(entry)
    }
}
