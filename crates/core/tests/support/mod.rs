//! Shared test vocabulary: a clocked driver around the engine, and event builders.

#![allow(dead_code)]

use callbridge_core::{
    AccountRef, AgentId, CallId, CallSnapshot, CallerNumber, CaseRef, Command, ContactRef,
    Direction, EndCause, Engine, EngineConfig, Event, LookupFailure, LookupResult, PartyKind,
    QueueId, Timestamp, TransferTarget, E164,
};

pub const TENANT: &str = "acme-cc";
pub const NUMBER: &str = "+442071234567";

/// The engine plus a clock the test moves by hand.
pub struct Sim {
    pub engine: Engine,
    pub now: Timestamp,
}

impl Sim {
    pub fn new() -> Self {
        Sim::with_config(EngineConfig::default())
    }

    pub fn with_config(config: EngineConfig) -> Self {
        Sim {
            engine: Engine::new(config),
            now: Timestamp::from_millis(1_000),
        }
    }

    /// A fresh engine where these agents have linked their CRM account.
    pub fn with_linked(agents: &[&str]) -> Self {
        let mut sim = Sim::new();
        for agent in agents {
            sim.send(link(agent, true));
        }
        sim
    }

    pub fn send(&mut self, event: Event) -> Vec<Command> {
        self.engine.handle(self.now, event)
    }

    /// Moves the clock forward, running every deadline on the way.
    pub fn advance_ms(&mut self, millis: u64) -> Vec<Command> {
        let target = Timestamp::from_millis(self.now.as_millis() + millis);
        let mut out = Vec::new();
        let mut rounds = 0;
        while let Some(at) = self.engine.poll_timeout() {
            if at > target {
                break;
            }
            rounds += 1;
            assert!(rounds < 10_000, "the engine's next deadline never moves on");
            self.now = self.now.max(at);
            out.extend(self.engine.handle_timeout(self.now));
        }
        self.now = target;
        out.extend(self.engine.handle_timeout(self.now));
        out
    }

    pub fn advance_secs(&mut self, secs: u64) -> Vec<Command> {
        self.advance_ms(secs * 1_000)
    }

    pub fn state(&self, call: &str) -> CallSnapshot {
        self.engine
            .call_state(&CallId::from(call))
            .unwrap_or_else(|| panic!("call {call} is not in memory"))
    }
}

/// Agent `id` of [`TENANT`].
pub fn agent(id: &str) -> AgentId {
    AgentId::in_tenant(&TENANT.into(), id).unwrap()
}

pub fn call_id(id: &str) -> CallId {
    CallId::from(id)
}

pub fn link(agent: &str, linked: bool) -> Event {
    Event::AgentLinkChanged {
        agent: self::agent(agent),
        linked,
    }
}

pub fn offer_with(call: &str, agent: &str, customer: CallerNumber, direction: Direction) -> Event {
    Event::CallOffered {
        call: call.into(),
        tenant: TENANT.into(),
        direction,
        customer,
        agent: self::agent(agent),
    }
}

/// An inbound call from [`NUMBER`] ringing at `agent`.
pub fn offer(call: &str, agent: &str) -> Event {
    offer_with(
        call,
        agent,
        CallerNumber::Dialable(E164::parse(NUMBER).unwrap()),
        Direction::Inbound,
    )
}

pub fn answer(call: &str, agent: &str) -> Event {
    Event::AgentAnswered {
        call: call.into(),
        agent: self::agent(agent),
    }
}

pub fn connect(call: &str, agent: &str) -> Event {
    Event::Connected {
        call: call.into(),
        agent: self::agent(agent),
    }
}

pub fn transfer(call: &str, from: &str, to: &str) -> Event {
    Event::Transferred {
        call: call.into(),
        from: self::agent(from),
        to: TransferTarget::Agent(self::agent(to)),
    }
}

pub fn transfer_to_queue(call: &str, from: &str, queue: &str) -> Event {
    Event::Transferred {
        call: call.into(),
        from: self::agent(from),
        to: TransferTarget::Queue(QueueId::from(queue)),
    }
}

pub fn end(call: &str) -> Event {
    Event::Ended {
        call: call.into(),
        cause: EndCause::CustomerHungUp,
    }
}

pub fn lookup_done(call: &str, agent: &str, contacts: Vec<ContactRef>) -> Event {
    Event::LookupCompleted {
        call: call.into(),
        agent: self::agent(agent),
        result: LookupResult::Matches(contacts),
    }
}

pub fn lookup_failed(call: &str, agent: &str, failure: LookupFailure) -> Event {
    Event::LookupCompleted {
        call: call.into(),
        agent: self::agent(agent),
        result: LookupResult::Failed(failure),
    }
}

pub fn chosen(call: &str, agent: &str, contact: ContactRef) -> Event {
    Event::ContactChosen {
        call: call.into(),
        agent: self::agent(agent),
        contact,
    }
}

pub fn manual(call: &str, agent: &str) -> Event {
    Event::ManualCaseRequested {
        call: call.into(),
        agent: self::agent(agent),
    }
}

pub fn case_ref(id: &str) -> CaseRef {
    CaseRef {
        id: id.into(),
        label: format!("CS-{id}"),
    }
}

pub fn case_created(call: &str, case: &str) -> Event {
    Event::CaseCreated {
        call: call.into(),
        case: case_ref(case),
    }
}

/// A contact at the Acme account.
pub fn contact(id: &str) -> ContactRef {
    ContactRef {
        kind: PartyKind::Contact,
        id: id.into(),
        name: format!("Contact {id}"),
        account: Some(AccountRef {
            id: "acct-acme".into(),
            name: "Acme".into(),
        }),
    }
}

pub fn consumer(id: &str) -> ContactRef {
    ContactRef {
        kind: PartyKind::Consumer,
        id: id.into(),
        name: format!("Consumer {id}"),
        account: None,
    }
}

pub fn create_cases(commands: &[Command]) -> Vec<&Command> {
    commands
        .iter()
        .filter(|c| matches!(c, Command::CreateCase { .. }))
        .collect()
}

pub fn lookups(commands: &[Command]) -> Vec<&Command> {
    commands
        .iter()
        .filter(|c| matches!(c, Command::LookupContacts { .. }))
        .collect()
}
