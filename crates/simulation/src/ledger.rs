//! What the simulation saw, and the cross-machine rules checked against it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use callbridge_core::{AgentId, CallId};

use crate::world::World;

/// Everything observed between the machines and at the fake CRM.
#[derive(Default)]
pub struct Ledger {
    /// Every call a customer placed.
    pub offered: BTreeSet<CallId>,
    /// Calls an agent and the customer were connected on.
    pub connected: BTreeMap<CallId, ()>,
    /// The first agent who answered each call, and whether their CRM account was linked then.
    pub first_answer: BTreeMap<CallId, (AgentId, bool)>,
    /// `Ended` events per call.
    pub ended: BTreeMap<CallId, u32>,
    /// Call-detail records per call.
    pub records: BTreeMap<CallId, u32>,
    /// `CreateCase` commands per call.
    pub create_case_commands: BTreeMap<CallId, u32>,
    /// Calls whose agents were told no Case is created because the first answerer was unlinked.
    pub suppressed: BTreeSet<CallId>,
    /// Rings at an agent who was not free.
    pub double_offers: Vec<String>,
    pub rings: u64,
    pub transfers: u64,
    /// Calls transferred at least once.
    pub transferred: BTreeSet<CallId>,
    /// Transfers the switchboard turned down (the colleague was not free).
    pub refused_transfers: u64,
    pub abandon_attempts: u64,
    pub link_changes: u64,
    pub notices: u64,
}

/// A broken cross-machine rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the rules that span the switchboard, the core and the CRM.
pub fn check(world: &World) -> Vec<Violation> {
    let ledger = &world.ledger;
    let crm = &world.crm;
    let mut broken = Vec::new();
    let mut fail = |text: String| broken.push(Violation(text));
    for call in &ledger.offered {
        // Every call ends exactly once, with exactly one record.
        let ended = ledger.ended.get(call).copied().unwrap_or(0);
        let records = ledger.records.get(call).copied().unwrap_or(0);
        if ended != 1 || records != 1 {
            fail(format!(
                "{call}: {ended} Ended events and {records} records"
            ));
        }
        // At most one Case per call, ever.
        let commands = ledger.create_case_commands.get(call).copied().unwrap_or(0);
        let cases = crm.cases.get(call).map_or(0, Vec::len);
        if commands > 1 || cases > 1 {
            fail(format!(
                "{call}: {commands} CreateCase commands, {cases} Cases"
            ));
        }
        match ledger.first_answer.get(call) {
            // One Case per connected call whose first answerer was linked...
            Some((agent, true)) if cases != 1 => {
                fail(format!(
                    "{call}: answered first by linked {agent}, {cases} Cases"
                ));
            }
            // ...and none, even after a transfer, when they were not; the agents are told.
            Some((agent, false)) => {
                if cases != 0 {
                    fail(format!(
                        "{call}: answered first by unlinked {agent}, {cases} Cases"
                    ));
                }
                if !ledger.suppressed.contains(call) {
                    fail(format!("{call}: nobody was told why it has no Case"));
                }
            }
            Some(_) => {}
            None if cases != 0 => fail(format!("{call}: never answered, {cases} Cases")),
            None => {}
        }
    }
    for offer in &ledger.double_offers {
        fail(offer.clone());
    }
    broken
}

/// What a run simulated, for a reader to see it did real work.
pub fn summary(world: &World) -> String {
    let ledger = &world.ledger;
    let crm = &world.crm;
    let scenario = world.scenario();
    let outage_minutes =
        |outages: &[crate::Outage]| outages.iter().map(|o| o.minutes()).sum::<u64>();
    let unlinked_first = ledger.first_answer.values().filter(|(_, l)| !l).count();
    let unlinked_transferred = unlinked_first_then_transferred(ledger);
    format!(
        "seed {seed}: {hours} h, {agents} agents; {calls} calls ({connected} connected, \
         {unanswered} never answered), {rings} rings, {transfers} transfers ({refused} refused), {links} link \
         changes; lookups {lookups_ok} answered / {lookups_failed} failed in {lo} outages \
         ({lo_min} min); Cases {cases} written, {case_failures} writes failed in {co} outages \
         ({co_min} min), {updates} contact updates, {finds} Case finds; {unlinked} calls first \
         answered by an unlinked agent ({unlinked_transferred} of them transferred, {suppressed} \
         told why); {notices} other notices",
        seed = scenario.seed,
        hours = scenario.day.as_secs() / 3600,
        agents = scenario.agents,
        calls = ledger.offered.len(),
        connected = ledger.connected.len(),
        unanswered = ledger.offered.len() - ledger.connected.len(),
        rings = ledger.rings,
        transfers = ledger.transfers,
        refused = ledger.refused_transfers,
        links = ledger.link_changes,
        lookups_ok = crm.lookups_answered,
        lookups_failed = crm.lookups_failed,
        lo = crm.lookup_outages.len(),
        lo_min = outage_minutes(&crm.lookup_outages),
        cases = crm.case_count(),
        case_failures = crm.case_writes_failed,
        co = crm.case_outages.len(),
        co_min = outage_minutes(&crm.case_outages),
        updates = crm.case_updates,
        finds = crm.finds,
        unlinked = unlinked_first,
        unlinked_transferred = unlinked_transferred,
        suppressed = ledger.suppressed.len(),
        notices = ledger.notices,
    )
}

/// Calls whose first answerer was unlinked and that were then transferred: the transfer rule's
/// hard case.
pub fn unlinked_first_then_transferred(ledger: &Ledger) -> usize {
    ledger
        .first_answer
        .iter()
        .filter(|(call, (_, linked))| !linked && ledger.transferred.contains(*call))
        .count()
}
