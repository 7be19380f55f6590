//! Shared test vocabulary: a switchboard with a clock the test moves by hand, input builders
//! and output filters.

#![allow(dead_code)]

use std::time::Duration;

use callbridge_core::{
    AgentId, CallId, CallerNumber, Event, QueueId, Timestamp, TransferTarget, E164,
};
use callbridge_kernel::time::{Now, WallTime};
use callbridge_switchboard::{
    AgentState, Cdr, Input, Output, QueueConfig, Switchboard, SwitchboardConfig,
};

pub const TENANT: &str = "acme";
pub const CUSTOMER: &str = "+442071234567";
pub const DID: &str = "+441134960000";

/// What the wall clock reads at the monotonic origin (2023-11-14T22:13:20Z), so that a record
/// showing a monotonic reading instead of a wall one would be caught.
pub const WALL_AT_ORIGIN: u64 = 1_700_000_000_000;

/// The switchboard plus two clocks the test moves by hand: the monotonic one (`now`) and the
/// wall one, which follows it at `WALL_AT_ORIGIN` plus whatever steps the test applied.
pub struct Sim {
    pub sb: Switchboard,
    pub now: Timestamp,
    /// Steps applied to the wall clock (an NTP correction, an operator setting the time).
    pub wall_step_ms: i64,
}

impl Sim {
    pub fn new(config: SwitchboardConfig) -> Self {
        Sim {
            sb: Switchboard::new(config).expect("valid config"),
            now: Timestamp::from_millis(1_000_000),
            wall_step_ms: 0,
        }
    }

    /// Queues "sales" and "support" of [`TENANT`], with their defaults.
    pub fn standard() -> Self {
        Sim::with_queues(vec![queue("sales"), queue("support")])
    }

    pub fn with_queues(queues: Vec<QueueConfig>) -> Self {
        Sim::new(SwitchboardConfig {
            queues,
            ..SwitchboardConfig::default()
        })
    }

    pub fn send(&mut self, input: Input) -> Vec<Output> {
        let now = self.clocks();
        self.sb.handle(now, input)
    }

    /// What the wall clock reads when the monotonic clock reads `at`.
    pub fn wall_at(&self, at: Timestamp) -> WallTime {
        let millis = (WALL_AT_ORIGIN + at.as_millis()) as i64 + self.wall_step_ms;
        WallTime::from_millis(millis as u64)
    }

    /// Both clocks' readings now.
    pub fn clocks(&self) -> Now {
        Now::new(self.now, self.wall_at(self.now))
    }

    /// Moves the clock forward, running every deadline on the way at its own time.
    pub fn advance_ms(&mut self, millis: u64) -> Vec<Output> {
        let target = Timestamp::from_millis(self.now.as_millis() + millis);
        let mut out = Vec::new();
        while let Some(at) = self.sb.poll_timeout() {
            if at > target {
                break;
            }
            self.now = self.now.max(at);
            let now = self.clocks();
            out.extend(self.sb.handle_timeout(now));
        }
        self.now = target;
        out
    }

    pub fn advance_secs(&mut self, secs: u64) -> Vec<Output> {
        self.advance_ms(secs * 1_000)
    }

    /// Logs the agent in to `queues`, available; returns the outputs.
    pub fn online(&mut self, agent: &str, queues: &[&str]) -> Vec<Output> {
        self.send(Input::AgentOnline {
            agent: self::agent(agent),
            tenant: TENANT.into(),
            queues: queues.iter().map(|q| QueueId::from(*q)).collect(),
            available: true,
        })
    }

    pub fn inbound(&mut self, call: &str, queue: &str) -> Vec<Output> {
        self.send(Input::InboundCall {
            call: call.into(),
            tenant: TENANT.into(),
            queue: queue.into(),
            customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
            dialled: DID.into(),
        })
    }

    pub fn answer(&mut self, agent: &str, call: &str) -> Vec<Output> {
        self.send(Input::Answer {
            agent: self::agent(agent),
            call: call.into(),
        })
    }

    pub fn transfer(&mut self, agent: &str, call: &str, to: TransferTarget) -> Vec<Output> {
        self.send(Input::Transfer {
            agent: self::agent(agent),
            call: call.into(),
            to,
        })
    }

    pub fn state(&self, agent: &str) -> AgentState {
        self.sb.agent_state(&self::agent(agent))
    }

    pub fn is_available(&self, agent: &str) -> bool {
        matches!(self.state(agent), AgentState::Available { .. })
    }
}

pub fn queue(id: &str) -> QueueConfig {
    QueueConfig::new(TENANT, id)
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn to_agent(agent: &str) -> TransferTarget {
    TransferTarget::Agent(self::agent(agent))
}

pub fn to_queue(queue: &str) -> TransferTarget {
    TransferTarget::Queue(queue.into())
}

/// The agents rung, in order.
pub fn rung(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::RingAgent { agent, .. } => Some(agent.name().to_string()),
            _ => None,
        })
        .collect()
}

pub fn records(out: &[Output]) -> Vec<Cdr> {
    out.iter()
        .filter_map(|o| match o {
            Output::CallRecord(cdr) => Some((**cdr).clone()),
            _ => None,
        })
        .collect()
}

pub fn the_record(out: &[Output]) -> Cdr {
    let all = records(out);
    assert_eq!(all.len(), 1, "expected one record in {out:#?}");
    all.into_iter().next().unwrap()
}

pub fn integration(out: &[Output]) -> Vec<Event> {
    out.iter()
        .filter_map(|o| match o {
            Output::Integration { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

pub fn ended_count(out: &[Output]) -> usize {
    integration(out)
        .iter()
        .filter(|e| matches!(e, Event::Ended { .. }))
        .count()
}

pub fn has(out: &[Output], wanted: &Output) -> bool {
    out.contains(wanted)
}

pub fn refusals(out: &[Output]) -> Vec<callbridge_switchboard::Refusal> {
    out.iter()
        .filter_map(|o| match o {
            Output::Refused { refusal, .. } => Some(refusal.clone()),
            _ => None,
        })
        .collect()
}

pub fn call(id: &str) -> CallId {
    CallId::from(id)
}

/// Agent `id` of [`TENANT`], or `<tenant>:<agent>` of another tenant.
pub fn agent(id: &str) -> AgentId {
    if id.contains(':') {
        AgentId::parse(id).unwrap()
    } else {
        AgentId::in_tenant(&TENANT.into(), id).unwrap()
    }
}

/// The messages the agent was sent, in order.
pub fn messages_to(out: &[Output], who: &str) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::AgentUpdate { agent, message, .. } if agent.name().as_str() == who => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect()
}
