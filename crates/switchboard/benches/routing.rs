//! Routing throughput: 10,000 agents in 20 queues and 1,000 inbound calls per second for a
//! minute of simulated time. Agents answer after 1.5 s (one ring in twenty rings out and the
//! agent comes back 10 s after that), talk for 4 s, and the customer hangs up. Only the time spent
//! inside the switchboard is measured.
//!
//! Run with `cargo bench -p callbridge-switchboard --bench routing`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use callbridge_core::{AgentId, CallerNumber, QueueId, Timestamp, E164};
use callbridge_switchboard::{Input, Outcome, Output, QueueConfig, Switchboard, SwitchboardConfig};

const TENANT: &str = "bench";
const AGENTS: usize = 10_000;
const QUEUES: usize = 20;
const CALLS_PER_SECOND: u64 = 1_000;
const SIMULATED_SECONDS: u64 = 60;

/// Inputs the simulated world will send, in time order.
struct Agenda {
    heap: BinaryHeap<Reverse<(Timestamp, u64)>>,
    inputs: Vec<Option<Input>>,
}

impl Agenda {
    fn push(&mut self, at: Timestamp, input: Input) {
        self.heap.push(Reverse((at, self.inputs.len() as u64)));
        self.inputs.push(Some(input));
    }

    fn next_at(&self) -> Option<Timestamp> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    fn pop(&mut self) -> Option<(Timestamp, Input)> {
        let Reverse((at, index)) = self.heap.pop()?;
        Some((at, self.inputs[index as usize].take()?))
    }
}

fn later(now: Timestamp, millis: u64) -> Timestamp {
    Timestamp::from_millis(now.as_millis() + millis)
}

fn main() {
    let queues: Vec<QueueConfig> = (0..QUEUES)
        .map(|q| QueueConfig::new(TENANT, format!("q{q}")))
        .collect();
    let mut sb = Switchboard::new(SwitchboardConfig {
        queues,
        ..SwitchboardConfig::default()
    })
    .expect("valid config");
    let mut agenda = Agenda {
        heap: BinaryHeap::new(),
        inputs: Vec::new(),
    };
    let start = Timestamp::from_millis(1_000);
    for a in 0..AGENTS {
        agenda.push(
            start,
            Input::AgentOnline {
                agent: AgentId::parse(&format!("{TENANT}:agent{a}")).unwrap(),
                tenant: TENANT.into(),
                queues: vec![
                    QueueId::from(format!("q{}", a % QUEUES)),
                    QueueId::from(format!("q{}", (a / QUEUES) % QUEUES)),
                ],
                available: true,
            },
        );
    }
    let calls = CALLS_PER_SECOND * SIMULATED_SECONDS;
    for c in 0..calls {
        agenda.push(
            later(start, 1_000 + c * 1_000 / CALLS_PER_SECOND),
            Input::InboundCall {
                call: format!("call{c}").into(),
                tenant: TENANT.into(),
                queue: format!("q{}", c % QUEUES as u64).into(),
                customer: CallerNumber::Dialable(
                    E164::parse(&format!("+1555{:07}", c % 10_000_000)).unwrap(),
                ),
                dialled: "+15550000000".into(),
            },
        );
    }

    let mut inside = Duration::ZERO;
    let (mut inputs, mut timeouts, mut outputs, mut rings, mut records) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut max_active = 0usize;
    let mut answered = 0u64;
    let mut misses = 0x5eed_u64;
    loop {
        let timer = sb.poll_timeout();
        let next = match (agenda.next_at(), timer) {
            (Some(a), Some(t)) => a.min(t),
            (a, t) => match a.or(t) {
                Some(at) => at,
                None => break,
            },
        };
        let began = Instant::now();
        let out = if timer == Some(next) {
            timeouts += 1;
            sb.handle_timeout(clocks(next))
        } else {
            let (at, input) = agenda.pop().expect("an input is due");
            inputs += 1;
            sb.handle(clocks(at), input)
        };
        inside += began.elapsed();
        outputs += out.len() as u64;
        max_active = max_active.max(sb.active_calls());
        for output in out {
            match output {
                Output::RingAgent { agent, call, .. } => {
                    rings += 1;
                    // One ring in twenty rings out, spread over the queues by a fixed
                    // pseudo-random sequence; the agent makes themselves available again 10 s
                    // after the ring timeout made them unavailable.
                    misses = misses
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    if (misses >> 33) % 20 == 0 {
                        agenda.push(later(next, 30_000), Input::SetAvailable { agent });
                    } else {
                        agenda.push(later(next, 1_500), Input::Answer { agent, call });
                    }
                }
                Output::Bridge { call, .. } => {
                    agenda.push(later(next, 4_000), Input::CustomerHungUp { call });
                }
                Output::CallRecord(cdr) => {
                    records += 1;
                    if cdr.outcome == Outcome::Answered {
                        answered += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let decisions = inputs + timeouts;
    println!("routing: {AGENTS} agents, {QUEUES} queues, {CALLS_PER_SECOND} calls/s for {SIMULATED_SECONDS} s simulated");
    println!(
        "  calls ended (one record each): {records} of {calls}, {answered} answered; most calls \
         at once: {max_active}"
    );
    println!("  inputs {inputs}, timer wake-ups {timeouts}, outputs {outputs}, rings {rings}");
    println!(
        "  time inside the switchboard: {:.3} s -> {:.0} decisions/s, {:.2} µs per decision",
        inside.as_secs_f64(),
        decisions as f64 / inside.as_secs_f64(),
        inside.as_secs_f64() * 1e6 / decisions as f64
    );
    println!(
        "  headroom: the simulated load needs {:.1}% of one core",
        inside.as_secs_f64() * 100.0 / SIMULATED_SECONDS as f64
    );
    assert_eq!(records, calls, "every call ends with one record");
    assert_eq!(
        answered, calls,
        "the agents have the capacity for every call"
    );
}

/// Both clock readings for the bench's virtual time (the wall clock follows the monotonic one).
fn clocks(at: Timestamp) -> callbridge_kernel::time::Now {
    callbridge_kernel::time::Now::new(
        at,
        callbridge_kernel::time::WallTime::from_millis(at.as_millis()),
    )
}
