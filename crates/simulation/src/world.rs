//! The switchboard, the core engine, a fake CRM and scripted agents and customers, wired
//! together in virtual time. Like quinn-proto's `Pair`: two sans-IO machines, their outputs
//! delivered to each other by the test, and a clock that jumps to the next thing due.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Duration;

use callbridge_core::{
    AgentId, CallId, CallerNumber, Command, Engine, EngineConfig, Event, LookupFailure,
    LookupResult, NotifyReason, QueueId, TenantId, Timestamp, TransferTarget, E164,
};
use callbridge_kernel::time::{Now, WallTime};
use callbridge_switchboard::{
    AgentState, Input, Output, QueueConfig, Switchboard, SwitchboardConfig, UnavailableReason,
};

use crate::crm::{FakeCrm, Outage};
use crate::ledger::Ledger;
use crate::rng::Rng;

const TENANT: &str = "acme";
const QUEUES: [&str; 2] = ["support", "sales"];
/// What the wall clock reads at the start of the simulated day (2023-11-15T00:00:00Z).
const WALL_AT_START: u64 = 1_700_006_400_000;
const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// The shape of one simulated day.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    /// How long customers keep calling.
    pub day: Duration,
    pub agents: usize,
    /// Percent of agents with a linked CRM account (at the start; some links change later).
    pub linked_percent: u64,
    /// Mean gap between two customers' calls, in seconds.
    pub mean_arrival_gap_secs: u64,
    pub lookup_outages: usize,
    pub case_outages: usize,
}

impl Scenario {
    /// A busy contact-center day: 24 hours, 16 agents, a call every 24 s on average (callers
    /// queue and some give up), CRM outages
    /// for lookups and for Case writes scattered through the day.
    pub fn day(seed: u64) -> Self {
        Scenario {
            seed,
            day: Duration::from_secs(24 * 3600),
            agents: 16,
            linked_percent: 75,
            mean_arrival_gap_secs: 24,
            lookup_outages: 6,
            case_outages: 6,
        }
    }
}

/// Something scripted to happen at a virtual time.
#[derive(Clone, Debug)]
enum Action {
    /// A customer calls a queue.
    Arrival,
    /// The customer gives up if nobody has answered yet.
    Abandon {
        call: CallId,
    },
    Answer {
        agent: AgentId,
        call: CallId,
    },
    Decline {
        agent: AgentId,
        call: CallId,
    },
    /// The connected agent transfers the call, if they still hold it.
    Transfer {
        agent: AgentId,
        call: CallId,
        to: TransferTarget,
    },
    /// The conversation ends, if `agent` still holds the call; `by_agent` says who hangs up.
    HangUp {
        agent: AgentId,
        call: CallId,
        by_agent: bool,
    },
    /// An agent who missed a call makes themselves available again.
    Available {
        agent: AgentId,
    },
    /// An agent links or unlinks their CRM account.
    Link {
        agent: AgentId,
        linked: bool,
    },
    /// The CRM's answer reaches the engine.
    Deliver {
        event: Event,
    },
    /// The outbox tries to write the call's Case.
    WriteCase {
        call: CallId,
        attempt: u32,
    },
    /// A transferee's lookup of the call's Case.
    FindCase {
        call: CallId,
        attempt: u32,
    },
}

struct Scheduled {
    at: Timestamp,
    seq: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The machines and the world around them.
pub struct World {
    scenario: Scenario,
    rng: Rng,
    now: Timestamp,
    end_of_calls: Timestamp,
    switchboard: Switchboard,
    engine: Engine,
    pub crm: FakeCrm,
    agenda: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    agents: Vec<AgentId>,
    linked: BTreeMap<AgentId, bool>,
    /// Each agent's state as the switchboard last told it.
    states: BTreeMap<AgentId, AgentState>,
    next_call: u64,
    pub ledger: Ledger,
}

impl World {
    pub fn new(scenario: Scenario) -> Self {
        let mut rng = Rng::new(scenario.seed);
        let queues = QUEUES
            .iter()
            .map(|q| {
                let mut queue = QueueConfig::new(TENANT, *q);
                queue.wrap_up = Some(Duration::from_secs(5));
                queue
            })
            .collect();
        let switchboard = Switchboard::new(SwitchboardConfig {
            queues,
            ..SwitchboardConfig::default()
        })
        .expect("the simulation's queues are valid");
        let day_ms = scenario.day.as_millis() as u64;
        let crm = FakeCrm {
            lookup_outages: outages(&mut rng, scenario.lookup_outages, day_ms),
            case_outages: outages(&mut rng, scenario.case_outages, day_ms),
            ..FakeCrm::default()
        };
        let agents = (1..=scenario.agents)
            .map(|n| AgentId::parse(&format!("{TENANT}:agent{n:02}")).expect("a valid agent id"))
            .collect();
        let mut world = World {
            rng,
            now: Timestamp::ZERO,
            end_of_calls: Timestamp::from_millis(day_ms),
            switchboard,
            engine: Engine::new(EngineConfig::default()),
            crm,
            agenda: BinaryHeap::new(),
            seq: 0,
            agents,
            linked: BTreeMap::new(),
            states: BTreeMap::new(),
            next_call: 0,
            ledger: Ledger::default(),
            scenario,
        };
        world.start_of_day();
        world
    }

    /// Runs the day, then lets every call and CRM write finish; returns when nothing is due.
    pub fn run(&mut self) {
        // Calls last minutes and outages end within the day: three hours after the last
        // arrival everything the day started is settled. Later deadlines are the machines'
        // memory of ended calls, which no rule here depends on.
        let horizon = self
            .end_of_calls
            .saturating_add(Duration::from_secs(3 * 3600));
        while let Some(at) = self.next_due() {
            if at > horizon {
                break;
            }
            self.now = self.now.max(at);
            self.step();
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Whether the first answerer of a call had a linked account when they answered.
    pub fn linked_now(&self, agent: &AgentId) -> bool {
        self.linked.get(agent).copied().unwrap_or(false)
    }

    // ---- the clock ------------------------------------------------------------------------

    fn clocks(&self) -> Now {
        Now::new(
            self.now,
            WallTime::from_millis(WALL_AT_START + self.now.as_millis()),
        )
    }

    fn next_due(&self) -> Option<Timestamp> {
        let scripted = self.agenda.peek().map(|Reverse(s)| s.at);
        [
            scripted,
            self.switchboard.poll_timeout(),
            self.engine.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Does everything due now: the machines' deadlines first, then one scripted action.
    fn step(&mut self) {
        if self
            .switchboard
            .poll_timeout()
            .is_some_and(|at| at <= self.now)
        {
            let outputs = self.switchboard.handle_timeout(self.clocks());
            return self.on_outputs(outputs);
        }
        if self.engine.poll_timeout().is_some_and(|at| at <= self.now) {
            let commands = self.engine.handle_timeout(self.now);
            return self.on_commands(commands);
        }
        if let Some(Reverse(next)) = self.agenda.pop() {
            self.act(next.action);
        }
    }

    fn schedule(&mut self, after_ms: u64, action: Action) {
        self.seq += 1;
        self.agenda.push(Reverse(Scheduled {
            at: self.now.saturating_add(Duration::from_millis(after_ms)),
            seq: self.seq,
            action,
        }));
    }

    // ---- the script -----------------------------------------------------------------------

    fn start_of_day(&mut self) {
        for index in 0..self.agents.len() {
            let agent = self.agents[index].clone();
            let linked = self.rng.chance(self.scenario.linked_percent);
            self.link(agent.clone(), linked);
            // Everyone serves support; every other agent serves sales too.
            let queues = if index % 2 == 0 {
                vec![QueueId::new(QUEUES[0]), QueueId::new(QUEUES[1])]
            } else {
                vec![QueueId::new(QUEUES[0])]
            };
            self.feed_switchboard(Input::AgentOnline {
                agent: agent.clone(),
                tenant: TenantId::new(TENANT),
                queues,
                available: true,
            });
            // A few agents link or unlink their CRM account during the day.
            if self.rng.chance(25) {
                let at = self.rng.between(HOUR, 20 * HOUR);
                self.schedule(
                    at,
                    Action::Link {
                        agent,
                        linked: !linked,
                    },
                );
            }
        }
        self.schedule(0, Action::Arrival);
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Arrival => self.arrival(),
            Action::Abandon { call } => {
                if !self.ledger.connected.contains_key(&call) {
                    self.ledger.abandon_attempts += 1;
                    self.feed_switchboard(Input::CustomerHungUp { call });
                }
            }
            Action::Answer { agent, call } => self.feed_switchboard(Input::Answer { agent, call }),
            Action::Decline { agent, call } => {
                self.feed_switchboard(Input::Decline { agent, call })
            }
            Action::Transfer { agent, call, to } => {
                if self.holds(&agent, &call) {
                    self.feed_switchboard(Input::Transfer {
                        agent: agent.clone(),
                        call: call.clone(),
                        to,
                    });
                    // Refused (the colleague is busy): the conversation goes on, then ends.
                    if self.holds(&agent, &call) {
                        self.ledger.refused_transfers += 1;
                        let talk = self.rng.between(10 * SECOND, 3 * MINUTE);
                        let by_agent = self.rng.chance(50);
                        self.schedule(
                            talk,
                            Action::HangUp {
                                agent,
                                call,
                                by_agent,
                            },
                        );
                    }
                }
            }
            Action::HangUp {
                agent,
                call,
                by_agent,
            } => {
                if self.holds(&agent, &call) {
                    let input = if by_agent {
                        Input::AgentHangUp { agent, call }
                    } else {
                        Input::CustomerHungUp { call }
                    };
                    self.feed_switchboard(input);
                }
            }
            Action::Available { agent } => self.feed_switchboard(Input::SetAvailable { agent }),
            Action::Link { agent, linked } => self.link(agent, linked),
            Action::Deliver { event } => self.feed_engine(event),
            Action::WriteCase { call, attempt } => self.write_case(call, attempt),
            Action::FindCase { call, attempt } => self.find_case(call, attempt),
        }
    }

    fn arrival(&mut self) {
        if self.now >= self.end_of_calls {
            return;
        }
        self.next_call += 1;
        let call = CallId::new(format!("call-{:05}", self.next_call));
        let queue = if self.rng.chance(70) {
            QUEUES[0]
        } else {
            QUEUES[1]
        };
        // Most callers show a number; some withhold it.
        let customer = if self.rng.chance(8) {
            CallerNumber::Withheld
        } else {
            CallerNumber::Dialable(
                E164::parse(&format!("+4420{:08}", self.rng.between(0, 99_999_999)))
                    .expect("a London number is a possible E.164 number"),
            )
        };
        self.ledger.offered.insert(call.clone());
        self.feed_switchboard(Input::InboundCall {
            call: call.clone(),
            tenant: TenantId::new(TENANT),
            queue: QueueId::new(queue),
            customer,
            dialled: "+441134960000".into(),
        });
        let patience = self.rng.between(30 * SECOND, 6 * MINUTE);
        self.schedule(patience, Action::Abandon { call });
        let mean = self.scenario.mean_arrival_gap_secs * SECOND;
        let gap = self.rng.between(mean / 10, mean * 2);
        self.schedule(gap, Action::Arrival);
    }

    fn link(&mut self, agent: AgentId, linked: bool) {
        self.linked.insert(agent.clone(), linked);
        self.ledger.link_changes += 1;
        self.feed_engine(Event::AgentLinkChanged { agent, linked });
    }

    fn holds(&self, agent: &AgentId, call: &CallId) -> bool {
        self.switchboard
            .call(call)
            .is_some_and(|view| view.holder.as_ref() == Some(agent))
    }

    // ---- the switchboard's side -------------------------------------------------------------

    fn feed_switchboard(&mut self, input: Input) {
        let outputs = self.switchboard.handle(self.clocks(), input);
        self.on_outputs(outputs);
    }

    fn on_outputs(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                // The one wire between the machines: the switchboard's events are the core's
                // input, for the tenant the switchboard names (as the runtime's feed does).
                Output::Integration { tenant, event } => {
                    assert_eq!(tenant.as_str(), TENANT, "{event:?}");
                    self.observe(&event);
                    self.feed_engine(event);
                }
                Output::RingAgent { agent, call, .. } => self.ringing(agent, call),
                Output::AgentUpdate { agent, state, .. } => self.agent_state(agent, state),
                Output::CallRecord(cdr) => {
                    *self.ledger.records.entry(cdr.call.clone()).or_default() += 1;
                }
                _ => {}
            }
        }
    }

    /// What the cross-machine rules need to know about the events between the machines.
    fn observe(&mut self, event: &Event) {
        match event {
            Event::AgentAnswered { call, agent } => {
                let linked = self.linked_now(agent);
                self.ledger
                    .first_answer
                    .entry(call.clone())
                    .or_insert((agent.clone(), linked));
            }
            Event::Connected { call, agent } => {
                self.ledger.connected.insert(call.clone(), ());
                self.conversation(agent.clone(), call.clone());
            }
            Event::Transferred { call, .. } => {
                self.ledger.transfers += 1;
                self.ledger.transferred.insert(call.clone());
            }
            Event::Ended { call, .. } => {
                *self.ledger.ended.entry(call.clone()).or_default() += 1;
            }
            _ => {}
        }
    }

    /// A call rings at an agent: they must be free, and they answer, decline or let it ring.
    fn ringing(&mut self, agent: AgentId, call: CallId) {
        let free = match self.states.get(&agent) {
            Some(AgentState::Available { .. }) => true,
            Some(AgentState::Ringing { call: ringing }) => ringing == &call,
            _ => false,
        };
        if !free {
            self.ledger.double_offers.push(format!(
                "{agent} was offered {call} at {} while {:?}",
                self.now,
                self.states.get(&agent)
            ));
        }
        self.ledger.rings += 1;
        let roll = self.rng.between(0, 99);
        if roll < 85 {
            let after = self.rng.between(SECOND, 12 * SECOND);
            self.schedule(after, Action::Answer { agent, call });
        } else if roll < 92 {
            let after = self.rng.between(SECOND, 5 * SECOND);
            self.schedule(after, Action::Decline { agent, call });
        }
        // Otherwise the agent lets it ring until the ring timeout.
    }

    fn agent_state(&mut self, agent: AgentId, state: AgentState) {
        if let AgentState::Unavailable {
            reason: UnavailableReason::MissedCall,
        } = state
        {
            let after = self.rng.between(10 * SECOND, 2 * MINUTE);
            self.schedule(
                after,
                Action::Available {
                    agent: agent.clone(),
                },
            );
        }
        self.states.insert(agent, state);
    }

    /// An agent and a customer are talking: the call is transferred, or one of them hangs up.
    fn conversation(&mut self, agent: AgentId, call: CallId) {
        let talk = self.rng.between(20 * SECOND, 8 * MINUTE);
        if self.rng.chance(18) {
            let to = if self.rng.chance(60) {
                let others: Vec<AgentId> = self
                    .agents
                    .iter()
                    .filter(|a| **a != agent)
                    .cloned()
                    .collect();
                TransferTarget::Agent(self.rng.pick(&others).clone())
            } else {
                TransferTarget::Queue(QueueId::new(*self.rng.pick(&QUEUES)))
            };
            self.schedule(talk / 2, Action::Transfer { agent, call, to });
        } else {
            let by_agent = self.rng.chance(50);
            self.schedule(
                talk,
                Action::HangUp {
                    agent,
                    call,
                    by_agent,
                },
            );
        }
    }

    // ---- the core's side --------------------------------------------------------------------

    fn feed_engine(&mut self, event: Event) {
        let commands = self.engine.handle(self.now, event);
        self.on_commands(commands);
    }

    fn on_commands(&mut self, commands: Vec<Command>) {
        for command in commands {
            self.command(command);
        }
    }

    fn latency(&mut self) -> u64 {
        self.rng.between(80, 1_500)
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::LookupContacts {
                call,
                agent,
                number,
                ..
            } => {
                let latency = self.latency();
                let result = if self.crm.lookups_down(self.now) {
                    self.crm.lookups_failed += 1;
                    LookupResult::Failed(LookupFailure::Unavailable(
                        "the CRM did not answer (simulated outage)".into(),
                    ))
                } else {
                    self.crm.lookups_answered += 1;
                    LookupResult::Matches(FakeCrm::contacts_for(number.as_str()))
                };
                let event = Event::LookupCompleted {
                    call,
                    agent,
                    result,
                };
                self.schedule(latency, Action::Deliver { event });
            }
            Command::CreateCase { call, .. } => {
                *self
                    .ledger
                    .create_case_commands
                    .entry(call.clone())
                    .or_default() += 1;
                let latency = self.latency();
                self.schedule(latency, Action::WriteCase { call, attempt: 1 });
            }
            Command::UpdateCaseContact { .. } => self.crm.case_updates += 1,
            Command::FindCase { call, .. } => {
                let latency = self.latency();
                self.schedule(latency, Action::FindCase { call, attempt: 1 });
            }
            Command::NotifyAgent {
                call,
                reason: NotifyReason::CaseSuppressedFirstAgentNotLinked { .. },
                ..
            } => {
                self.ledger.suppressed.insert(call);
            }
            Command::PopContact { .. }
            | Command::ShowChooser { .. }
            | Command::OfferNewContact { .. }
            | Command::ShowCase { .. }
            | Command::NotifyAgent { .. } => self.ledger.notices += 1,
        }
    }

    /// The outbox: one durable intent per Case, retried with backoff until the CRM takes it
    /// (outages here are transient; none is a refusal).
    fn write_case(&mut self, call: CallId, attempt: u32) {
        if self.crm.cases_down(self.now) {
            self.crm.case_writes_failed += 1;
            self.feed_engine(Event::CaseCreateFailed {
                call: call.clone(),
                reason: "the CRM did not answer (simulated outage)".into(),
                permanent: false,
            });
            let backoff = (SECOND << attempt.min(6)).min(MINUTE);
            return self.schedule(
                backoff,
                Action::WriteCase {
                    call,
                    attempt: attempt + 1,
                },
            );
        }
        let case = self.crm.create_case(&call);
        self.feed_engine(Event::CaseCreated { call, case });
    }

    fn find_case(&mut self, call: CallId, attempt: u32) {
        self.crm.finds += 1;
        if self.crm.cases_down(self.now) && attempt < 5 {
            let backoff = 250 << attempt;
            return self.schedule(
                backoff,
                Action::FindCase {
                    call,
                    attempt: attempt + 1,
                },
            );
        }
        let event = match self.crm.case_of(&call) {
            Some(case) if !self.crm.cases_down(self.now) => Event::CaseFound {
                call,
                case: case.clone(),
            },
            _ => Event::CaseNotFound { call },
        };
        self.feed_engine(event);
    }

    /// Which calls the day started, for the checks.
    pub fn calls(&self) -> &BTreeSet<CallId> {
        &self.ledger.offered
    }
}

/// `count` outages of 5 to 45 minutes, spread over the day.
fn outages(rng: &mut Rng, count: usize, day_ms: u64) -> Vec<Outage> {
    (0..count)
        .map(|_| {
            let from = rng.between(0, day_ms.saturating_sub(HOUR));
            let length = rng.between(5 * MINUTE, 45 * MINUTE);
            Outage {
                from: Timestamp::from_millis(from),
                until: Timestamp::from_millis(from + length),
            }
        })
        .collect()
}

impl World {
    /// For diagnosing a failed run: each agent's state and each call still in progress.
    pub fn debug_state(&self) -> String {
        let mut text = String::new();
        for agent in &self.agents {
            text += &format!("{agent}: {:?}\n", self.switchboard.agent_state(agent));
        }
        for call in &self.ledger.offered {
            if let Some(view) = self.switchboard.call(call) {
                text += &format!("{call}: {view:?}\n");
            }
        }
        text
    }
}
