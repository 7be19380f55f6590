//! Property tests: random interleavings of agents' actions, callers and network events (valid,
//! duplicated, late and nonsensical), with the outputs applied to a model of the world.
//!
//! Proven after every input:
//! - never two agents bridged to one call, never one agent bridged to two calls;
//! - the switchboard's agents and calls agree: an agent busy with a call is the one the call
//!   names, and the reverse (so no agent is in two calls and no call has two agents);
//! - no call waits in a queue while an agent serving it is available, and the queue counters
//!   match the agents' states;
//! - nothing is said about a call after its record, and a call's recording starts at most once
//!   and stops at most once, after it started;
//! - the customer leg is answered at most once, and an answered call never gets ringback or a
//!   rejection (only a hang-up).
//!
//! Proven at the end (everyone hangs up, every agent logs out, time passes):
//! - every call that produced any output ended exactly once, with one `Ended` and one record,
//!   and every recording that started was stopped.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use callbridge_core::{
    AgentId, CallId, CallerNumber, Event, QueueId, TenantId, TransferTarget, E164,
};
use callbridge_switchboard::{
    AgentState, CallStatus, Input, Leg, MissedCallPolicy, OutboundFailure, Output, QueueConfig,
    Switchboard, SwitchboardConfig, UnavailableReason, Unserved, Waiting,
};
use proptest::prelude::*;
use support::{secs, Sim, TENANT};

const AGENTS: [&str; 4] = ["a0", "a1", "a2", "a3"];
const QUEUES: [&str; 2] = ["q0", "q1"];
const CALLS: usize = 8;
const DAY: u64 = 86_400;

#[derive(Clone, Debug)]
enum Op {
    Online(usize, u8, bool),
    SetAvailable(usize),
    SetUnavailable(usize),
    Offline(usize),
    /// The agent's softphone goes away without signing out (a call in progress waits).
    Lost(usize),
    Inbound(usize, usize),
    /// Answer by whoever the call is ringing at (if anyone).
    AnswerRinging(usize),
    /// Answer by a random agent (usually not the one being rung).
    Answer(usize, usize),
    Decline(usize, usize),
    DeclineRinging(usize),
    Dial(usize, usize),
    OutboundRinging(usize),
    OutboundAnswered(usize),
    OutboundFailed(usize),
    /// Transfer by the call's holder (if any) to an agent or a queue.
    TransferByHolder(usize, bool, usize),
    /// Transfer by a random agent.
    Transfer(usize, usize, usize),
    HoldByHolder(usize, bool),
    HangUpByHolder(usize),
    AgentHangUp(usize, usize),
    CustomerHungUp(usize),
    PromptFinished(usize),
    MediaTimeout(usize),
    TrunkFailed(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..AGENTS.len();
    let c = 0..CALLS;
    let q = 0..QUEUES.len();
    prop_oneof![
        3 => (a.clone(), 0u8..4, prop::bool::weighted(0.8)).prop_map(|(a, m, v)| Op::Online(a, m, v)),
        3 => a.clone().prop_map(Op::SetAvailable),
        1 => a.clone().prop_map(Op::SetUnavailable),
        1 => a.clone().prop_map(Op::Offline),
        2 => a.clone().prop_map(Op::Lost),
        // (agents start logged in; see `Setup::logins`)
        5 => (c.clone(), q.clone()).prop_map(|(c, q)| Op::Inbound(c, q)),
        8 => c.clone().prop_map(Op::AnswerRinging),
        1 => (a.clone(), c.clone()).prop_map(|(a, c)| Op::Answer(a, c)),
        1 => (a.clone(), c.clone()).prop_map(|(a, c)| Op::Decline(a, c)),
        1 => c.clone().prop_map(Op::DeclineRinging),
        2 => (a.clone(), c.clone()).prop_map(|(a, c)| Op::Dial(a, c)),
        1 => c.clone().prop_map(Op::OutboundRinging),
        2 => c.clone().prop_map(Op::OutboundAnswered),
        1 => c.clone().prop_map(Op::OutboundFailed),
        4 => (c.clone(), any::<bool>(), 0usize..4).prop_map(|(c, q, t)| Op::TransferByHolder(c, q, t)),
        1 => (a.clone(), c.clone(), a.clone()).prop_map(|(a, c, t)| Op::Transfer(a, c, t)),
        3 => (c.clone(), any::<bool>()).prop_map(|(c, h)| Op::HoldByHolder(c, h)),
        2 => c.clone().prop_map(Op::HangUpByHolder),
        1 => (a.clone(), c.clone()).prop_map(|(a, c)| Op::AgentHangUp(a, c)),
        3 => c.clone().prop_map(Op::CustomerHungUp),
        1 => c.clone().prop_map(Op::PromptFinished),
        1 => c.clone().prop_map(Op::MediaTimeout),
        1 => c.clone().prop_map(Op::TrunkFailed),
        4 => prop_oneof![0u64..2_000, 2_000u64..40_000].prop_map(Op::Advance),
    ]
}

#[derive(Clone, Debug)]
struct Setup {
    missed_stays_available: bool,
    global_wrap_up: u64,
    q0_music: bool,
    q1_announces: bool,
    /// The queues each agent logs in to before the interleaving starts (bit i: queue i).
    logins: Vec<u8>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        any::<bool>(),
        prop_oneof![Just(0u64), Just(3)],
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(1u8..4, AGENTS.len()),
    )
        .prop_map(
            |(missed_stays_available, global_wrap_up, q0_music, q1_announces, logins)| Setup {
                missed_stays_available,
                global_wrap_up,
                q0_music,
                q1_announces,
                logins,
            },
        )
}

fn config(setup: &Setup) -> SwitchboardConfig {
    let mut q0 = QueueConfig::new(TENANT, QUEUES[0]);
    q0.waiting = if setup.q0_music {
        Waiting::Music
    } else {
        Waiting::Ringback
    };
    q0.max_waiting = 2;
    q0.max_wait = secs(30);
    q0.overflow = Unserved::Announcement;
    q0.no_agent = Unserved::Busy;
    q0.wrap_up = Some(secs(5));
    let mut q1 = QueueConfig::new(TENANT, QUEUES[1]);
    q1.waiting = Waiting::Music;
    q1.max_waiting = 3;
    q1.max_wait = secs(60);
    q1.ring_timeout = secs(10);
    q1.overflow = Unserved::Busy;
    q1.no_agent = if setup.q1_announces {
        Unserved::Announcement
    } else {
        Unserved::HangUp
    };
    SwitchboardConfig {
        queues: vec![q0, q1],
        missed_call: if setup.missed_stays_available {
            MissedCallPolicy::StayAvailable
        } else {
            MissedCallPolicy::MakeUnavailable
        },
        wrap_up: secs(setup.global_wrap_up),
        // Longer than any run, so a call id is never reused (the runtime's ids are unique).
        ended_call_memory: secs(DAY),
        ..SwitchboardConfig::default()
    }
}

fn agent(i: usize) -> AgentId {
    support::agent(AGENTS[i])
}

fn call(i: usize) -> CallId {
    CallId::from(format!("c{i}"))
}

fn queue(i: usize) -> QueueId {
    QueueId::from(QUEUES[i])
}

/// Who the call names as its agent, if anyone.
fn call_agent(sb: &Switchboard, id: &CallId) -> Option<AgentId> {
    match sb.call(id)?.status {
        CallStatus::Ringing { agent }
        | CallStatus::Connected { agent }
        | CallStatus::OnHold { agent }
        | CallStatus::Dialing { agent, .. } => Some(agent),
        _ => None,
    }
}

fn input_for(sb: &Switchboard, op: &Op) -> Option<Input> {
    Some(match op {
        Op::Online(a, mask, available) => Input::AgentOnline {
            agent: agent(*a),
            tenant: TENANT.into(),
            queues: (0..QUEUES.len())
                .filter(|q| mask & (1 << q) != 0)
                .map(queue)
                .collect(),
            available: *available,
        },
        Op::SetAvailable(a) => Input::SetAvailable { agent: agent(*a) },
        Op::SetUnavailable(a) => Input::SetUnavailable {
            agent: agent(*a),
            reason: UnavailableReason::Away,
        },
        Op::Offline(a) => Input::AgentOffline { agent: agent(*a) },
        Op::Lost(a) => Input::AgentLost { agent: agent(*a) },
        Op::Inbound(c, q) => Input::InboundCall {
            call: call(*c),
            tenant: TENANT.into(),
            queue: queue(*q),
            customer: CallerNumber::Dialable(E164::parse("+15551234567").unwrap()),
            dialled: "+15550000000".into(),
        },
        Op::AnswerRinging(c) => match sb.call(&call(*c))?.status {
            CallStatus::Ringing { agent } => Input::Answer {
                agent,
                call: call(*c),
            },
            _ => return None,
        },
        Op::Answer(a, c) => Input::Answer {
            agent: agent(*a),
            call: call(*c),
        },
        Op::Decline(a, c) => Input::Decline {
            agent: agent(*a),
            call: call(*c),
        },
        Op::DeclineRinging(c) => match sb.call(&call(*c))?.status {
            CallStatus::Ringing { agent } => Input::Decline {
                agent,
                call: call(*c),
            },
            _ => return None,
        },
        Op::Dial(a, c) => Input::Dial {
            agent: agent(*a),
            call: call(*c),
            to: E164::parse("+15559876543").unwrap(),
        },
        Op::OutboundRinging(c) => Input::OutboundRinging { call: call(*c) },
        Op::OutboundAnswered(c) => Input::OutboundAnswered { call: call(*c) },
        Op::OutboundFailed(c) => Input::OutboundFailed {
            call: call(*c),
            failure: OutboundFailure::Busy,
        },
        Op::TransferByHolder(c, to_queue, t) => Input::Transfer {
            agent: sb.holder(&call(*c))?,
            call: call(*c),
            to: if *to_queue {
                TransferTarget::Queue(queue(t % QUEUES.len()))
            } else {
                TransferTarget::Agent(agent(*t))
            },
        },
        Op::Transfer(a, c, t) => Input::Transfer {
            agent: agent(*a),
            call: call(*c),
            to: TransferTarget::Agent(agent(*t)),
        },
        Op::HoldByHolder(c, hold) => {
            let holder = sb.holder(&call(*c))?;
            if *hold {
                Input::Hold {
                    agent: holder,
                    call: call(*c),
                }
            } else {
                Input::Resume {
                    agent: holder,
                    call: call(*c),
                }
            }
        }
        Op::HangUpByHolder(c) => Input::AgentHangUp {
            agent: call_agent(sb, &call(*c))?,
            call: call(*c),
        },
        Op::AgentHangUp(a, c) => Input::AgentHangUp {
            agent: agent(*a),
            call: call(*c),
        },
        Op::CustomerHungUp(c) => Input::CustomerHungUp { call: call(*c) },
        Op::PromptFinished(c) => Input::PromptFinished { call: call(*c) },
        Op::MediaTimeout(c) => Input::MediaTimeout {
            call: call(*c),
            leg: Leg::Customer,
        },
        Op::TrunkFailed(c) => Input::TrunkFailed {
            call: call(*c),
            detail: "trunk down".into(),
        },
        Op::Advance(_) => return None,
    })
}

/// The world as the outputs describe it.
#[derive(Default)]
struct World {
    bridged: BTreeMap<CallId, AgentId>,
    ended: BTreeMap<CallId, usize>,
    records: BTreeMap<CallId, usize>,
    recording_started: BTreeSet<CallId>,
    recording_stopped: BTreeSet<CallId>,
    /// Customer legs answered (200 sent, or the far end answered an outbound call).
    answered: BTreeSet<CallId>,
    seen: BTreeSet<CallId>,
}

impl World {
    fn apply(&mut self, outputs: &[Output]) -> Result<(), TestCaseError> {
        for output in outputs {
            // A refusal may name any call an agent asked about, ended or never started.
            let about_call = match output {
                Output::Refused { .. } => None,
                _ => output.call(),
            };
            if let Some(id) = about_call {
                prop_assert!(
                    !self.records.contains_key(id),
                    "{output:?} after the record of {id}"
                );
                self.seen.insert(id.clone());
            }
            match output {
                Output::Bridge { call, agent } => {
                    prop_assert!(
                        !self.bridged.contains_key(call),
                        "{call} bridged to {agent} while bridged to {:?}",
                        self.bridged.get(call)
                    );
                    prop_assert!(
                        !self.bridged.values().any(|a| a == agent),
                        "{agent} bridged to two calls"
                    );
                    self.bridged.insert(call.clone(), agent.clone());
                }
                Output::Unbridge { call } => {
                    prop_assert!(
                        self.bridged.remove(call).is_some(),
                        "unbridge of unbridged {call}"
                    );
                }
                Output::AnswerCustomer { call } => {
                    prop_assert!(self.answered.insert(call.clone()), "{call} answered twice");
                }
                Output::RingbackCustomer { call } | Output::RejectCustomer { call, .. } => {
                    prop_assert!(
                        !self.answered.contains(call),
                        "{output:?} on an answered call"
                    );
                }
                Output::HangUpCustomer { call } => {
                    prop_assert!(self.answered.contains(call), "hang-up of unanswered {call}");
                }
                Output::Integration {
                    event: Event::Connected { call, .. },
                    ..
                } => {
                    // Outbound calls are answered by the far end, not by an AnswerCustomer.
                    self.answered.insert(call.clone());
                }
                Output::StartRecording { call } => {
                    prop_assert!(
                        self.recording_started.insert(call.clone()),
                        "{call} recorded twice"
                    );
                }
                Output::StopRecording { call } => {
                    prop_assert!(self.recording_started.contains(call));
                    prop_assert!(
                        self.recording_stopped.insert(call.clone()),
                        "{call} stopped twice"
                    );
                }
                Output::Integration {
                    event: Event::Ended { call, .. },
                    ..
                } => {
                    *self.ended.entry(call.clone()).or_default() += 1;
                    prop_assert!(
                        !self.bridged.contains_key(call),
                        "{call} ended while bridged"
                    );
                }
                Output::CallRecord(cdr) => {
                    prop_assert_eq!(self.ended.get(&cdr.call), Some(&1));
                    self.records.insert(cdr.call.clone(), 1);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn check_state(sb: &Switchboard) -> Result<(), TestCaseError> {
    let tenant = TenantId::from(TENANT);
    // Agents and calls name each other.
    for name in AGENTS {
        let state = sb.agent_state(&support::agent(name));
        if let Some(busy_with) = state.call() {
            prop_assert_eq!(
                call_agent(sb, busy_with),
                Some(support::agent(name)),
                "{} is busy with {} but the call disagrees",
                name,
                busy_with
            );
        }
    }
    for c in 0..CALLS {
        if let Some(named) = call_agent(sb, &call(c)) {
            let state = sb.agent_state(&named);
            prop_assert_eq!(state.call(), Some(&call(c)));
        }
    }
    // Nobody idles while a call they serve waits; the counters match the agents.
    for (qi, _) in QUEUES.iter().enumerate() {
        let status = sb.queue_status(&tenant, &queue(qi)).unwrap();
        let serving: Vec<usize> = (0..AGENTS.len())
            .filter(|a| {
                sb.agent_queues(&agent(*a))
                    .is_some_and(|qs| qs.contains(&queue(qi)))
            })
            .collect();
        let available = serving
            .iter()
            .filter(|a| matches!(sb.agent_state(&agent(**a)), AgentState::Available { .. }))
            .count();
        prop_assert_eq!(status.logged_in, serving.len());
        prop_assert_eq!(status.available, available);
        let waiting = (0..CALLS)
            .filter(|c| {
                matches!(sb.call(&call(*c)).map(|v| v.status),
                    Some(CallStatus::Queued { queue: q, .. }) if q == queue(qi))
            })
            .count();
        prop_assert_eq!(status.waiting, waiting);
        prop_assert!(
            waiting == 0 || available == 0,
            "queue {} has {} waiting calls and {} available agents",
            QUEUES[qi],
            waiting,
            available
        );
    }
    Ok(())
}

fn run(setup: &Setup, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut sim = Sim::new(config(setup));
    let mut world = World::default();
    let logins = setup
        .logins
        .iter()
        .enumerate()
        .map(|(a, mask)| Op::Online(a, *mask, true));
    for op in logins.chain(ops.iter().cloned()) {
        let outputs = match op {
            Op::Advance(ms) => sim.advance_ms(ms),
            _ => match input_for(&sim.sb, &op) {
                Some(input) => sim.send(input),
                None => continue,
            },
        };
        world.apply(&outputs)?;
        check_state(&sim.sb)?;
    }
    // Wind down: every customer hangs up, every agent logs out, time passes.
    for c in 0..CALLS {
        let out = sim.send(Input::CustomerHungUp { call: call(c) });
        world.apply(&out)?;
    }
    for a in 0..AGENTS.len() {
        let out = sim.send(Input::AgentOffline { agent: agent(a) });
        world.apply(&out)?;
    }
    let out = sim.advance_secs(2 * DAY);
    world.apply(&out)?;
    check_state(&sim.sb)?;
    prop_assert_eq!(sim.sb.active_calls(), 0);
    for id in &world.seen {
        prop_assert_eq!(
            world.ended.get(id),
            Some(&1),
            "{} did not end exactly once",
            id
        );
        prop_assert_eq!(world.records.get(id), Some(&1));
        prop_assert_eq!(
            world.recording_started.contains(id),
            world.recording_stopped.contains(id)
        );
    }
    prop_assert!(world.bridged.is_empty());
    prop_assert_eq!(
        sim.sb.pending_timers(),
        0,
        "every deadline ran or was cancelled"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn random_interleavings_keep_every_invariant(
        setup in setup(),
        ops in prop::collection::vec(op(), 1..150),
    ) {
        run(&setup, &ops)?;
    }
}
