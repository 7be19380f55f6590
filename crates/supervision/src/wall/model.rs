//! The wall's state and the rules that change it (see the module documentation).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use callbridge_core::{AgentId, CallId, Direction, EndCause, Event, QueueId, TenantId};
use callbridge_kernel::time::WallTime;
use callbridge_switchboard::{AgentState, Output, UnavailableReason};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::view::{AgentRow, CallRow, QueueRow, TenantChanges, TenantWall};

/// The target a queue the configuration does not name gets.
const DEFAULT_TARGET: Duration = Duration::from_secs(20);

/// What the wall knows before anything happens: each tenant's queues (with their targets) and
/// agents, in the order to show them.
#[derive(Clone, Debug, Default)]
pub struct WallSetup {
    pub tenants: Vec<TenantSetup>,
}

#[derive(Clone, Debug)]
pub struct TenantSetup {
    pub tenant: TenantId,
    /// The tenant's time zone (`[[tenant]] timezone`): its "today" starts at its midnight.
    pub timezone: TimeZone,
    pub queues: Vec<QueueSetup>,
    pub agents: Vec<AgentSetup>,
}

#[derive(Clone, Debug)]
pub struct QueueSetup {
    pub queue: QueueId,
    pub service_level: Duration,
}

#[derive(Clone, Debug)]
pub struct AgentSetup {
    pub name: String,
    pub queues: Vec<QueueId>,
}

/// The live wall of every tenant.
#[derive(Debug, Default)]
pub struct Wall {
    tenants: BTreeMap<TenantId, TenantState>,
    pub(super) calls: HashMap<CallId, CallInfo>,
    /// The latest time the wall was told of: the day of a tenant it has never heard of (UTC).
    latest: WallTime,
    /// Tenants that lost rows since [`take_lost_rows`](Wall::take_lost_rows) was last called.
    lost_rows: BTreeSet<TenantId>,
}

#[derive(Debug)]
struct TenantState {
    /// UTC for a tenant the setup did not name.
    timezone: TimeZone,
    /// The tenant's day the counts are for; `None` until the wall first sees the tenant's clock.
    day: Option<Date>,
    /// In display order.
    queue_order: Vec<QueueId>,
    queues: HashMap<QueueId, QueueState>,
    agent_order: Vec<String>,
    agents: HashMap<String, AgentInfo>,
    /// The agents the settings list; another agent is shown only while logged in.
    listed: BTreeSet<String>,
    dirty_queues: BTreeSet<QueueId>,
    dirty_agents: BTreeSet<String>,
}

#[derive(Debug)]
struct QueueState {
    target: Duration,
    /// Waiting calls by when they began to wait (ties by call id).
    waiting: BTreeSet<(WallTime, CallId)>,
    answered: u32,
    answered_in_time: u32,
    abandoned: u32,
}

#[derive(Debug)]
struct AgentInfo {
    state: AgentState,
    since: WallTime,
    queues: Vec<QueueId>,
}

#[derive(Debug)]
pub(super) struct CallInfo {
    tenant: TenantId,
    direction: Direction,
    number: String,
    began: WallTime,
    held: bool,
    /// The queue the call waits in now, and since when.
    waiting_in: Option<(QueueId, WallTime)>,
}

fn timestamp(at: WallTime) -> Timestamp {
    i64::try_from(at.as_millis())
        .ok()
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .unwrap_or(Timestamp::MAX)
}

/// The date in `timezone` at `at`.
fn day_of(timezone: &TimeZone, at: WallTime) -> Date {
    timezone.to_datetime(timestamp(at)).date()
}

/// When the day after the one at `at` begins in `timezone` (its first instant: 01:00 where a
/// change to summer time skips midnight).
fn next_midnight(timezone: &TimeZone, at: WallTime) -> WallTime {
    let millis = day_of(timezone, at)
        .tomorrow()
        .and_then(|day| day.to_zoned(timezone.clone()))
        .and_then(|zoned| zoned.start_of_day())
        .map(|zoned| zoned.timestamp().as_millisecond());
    match millis {
        Ok(ms) => WallTime::from_millis(u64::try_from(ms).unwrap_or(0).max(at.as_millis() + 1)),
        // Past the calendar's end: never.
        Err(_) => WallTime::from_millis(u64::MAX),
    }
}

fn day_text(day: Date) -> String {
    day.to_string()
}

impl QueueState {
    fn new(target: Duration) -> QueueState {
        QueueState {
            target,
            waiting: BTreeSet::new(),
            answered: 0,
            answered_in_time: 0,
            abandoned: 0,
        }
    }

    fn row(&self, queue: &QueueId) -> QueueRow {
        let offered = self.answered + self.abandoned;
        QueueRow {
            queue: queue.to_string(),
            waiting: self.waiting.len() as u32,
            longest_waiting_since: self.waiting.first().map(|(at, _)| at.as_millis()),
            target_seconds: self.target.as_secs(),
            answered: self.answered,
            answered_in_time: self.answered_in_time,
            abandoned: self.abandoned,
            service_level: (offered > 0)
                .then(|| f64::from(self.answered_in_time) / f64::from(offered)),
        }
    }
}

impl Default for TenantState {
    fn default() -> Self {
        TenantState {
            timezone: TimeZone::UTC,
            day: None,
            queue_order: Vec::new(),
            queues: HashMap::new(),
            agent_order: Vec::new(),
            agents: HashMap::new(),
            listed: BTreeSet::new(),
            dirty_queues: BTreeSet::new(),
            dirty_agents: BTreeSet::new(),
        }
    }
}

impl TenantState {
    fn queue(&mut self, queue: &QueueId) -> &mut QueueState {
        if !self.queues.contains_key(queue) {
            self.queue_order.push(queue.clone());
        }
        self.dirty_queues.insert(queue.clone());
        self.queues
            .entry(queue.clone())
            .or_insert_with(|| QueueState::new(DEFAULT_TARGET))
    }

    fn agent(&mut self, name: &str, at: WallTime) -> &mut AgentInfo {
        if !self.agents.contains_key(name) {
            self.agent_order.push(name.to_string());
        }
        self.dirty_agents.insert(name.to_string());
        self.agents
            .entry(name.to_string())
            .or_insert_with(|| AgentInfo {
                state: AgentState::Offline,
                since: at,
                queues: Vec::new(),
            })
    }

    /// Forgets the queues `queues` does not name, and the agents `agents` does not name who
    /// are logged out; whether any went.
    fn keep_only(&mut self, queues: &[QueueSetup], agents: &[AgentSetup]) -> bool {
        let before = (self.queue_order.len(), self.agent_order.len());
        let stays = |name: &String, agent: &AgentInfo| {
            agents.iter().any(|a| &a.name == name) || !matches!(agent.state, AgentState::Offline)
        };
        let staying: BTreeSet<String> = self
            .agents
            .iter()
            .filter(|(name, agent)| stays(name, agent))
            .map(|(name, _)| name.clone())
            .collect();
        self.queue_order
            .retain(|id| queues.iter().any(|q| &q.queue == id));
        self.queues
            .retain(|id, _| queues.iter().any(|q| &q.queue == id));
        self.dirty_queues
            .retain(|id| queues.iter().any(|q| &q.queue == id));
        self.agent_order.retain(|name| staying.contains(name));
        self.agents.retain(|name, _| staying.contains(name));
        self.dirty_agents.retain(|name| staying.contains(name));
        before != (self.queue_order.len(), self.agent_order.len())
    }

    /// The queue's state if the wall shows it (a removed queue's last calls count nowhere),
    /// marked changed.
    fn shown_queue(&mut self, queue: &QueueId) -> Option<&mut QueueState> {
        let state = self.queues.get_mut(queue)?;
        self.dirty_queues.insert(queue.clone());
        Some(state)
    }

    /// Marks every agent busy with `call` as changed (its number or hold changed).
    fn touch_agents_on(&mut self, call: &CallId) {
        for (name, agent) in &self.agents {
            if agent.state.call() == Some(call) {
                self.dirty_agents.insert(name.clone());
            }
        }
    }
}

impl Wall {
    pub fn new(setup: WallSetup, now: WallTime) -> Wall {
        let mut wall = Wall {
            latest: now,
            ..Wall::default()
        };
        for t in setup.tenants {
            let tenant = wall.tenants.entry(t.tenant).or_default();
            tenant.day = Some(day_of(&t.timezone, now));
            tenant.timezone = t.timezone;
            for q in t.queues {
                if !tenant.queues.contains_key(&q.queue) {
                    tenant.queue_order.push(q.queue.clone());
                }
                tenant
                    .queues
                    .insert(q.queue, QueueState::new(q.service_level));
            }
            for a in t.agents {
                tenant.listed.insert(a.name.clone());
                tenant.agent(&a.name, now).queues = a.queues;
            }
            tenant.dirty_agents.clear();
            tenant.dirty_queues.clear();
        }
        wall
    }

    /// New settings while the day runs: a tenant's time zone, its queues' service-level
    /// targets and its agents' queues are replaced, and queues, agents and tenants the setup
    /// adds appear (at the end of the display order, in the next changes). Queues, agents and
    /// tenants it no longer names go at once, with their counts: the wall shows what is
    /// configured (a removed queue's callers get its no-agent treatment; its calls answered
    /// today stay in the call history). An agent taken out of the settings while logged in
    /// keeps a row until they log out (they may finish a call). The tenants that lost rows are
    /// in [`take_lost_rows`](Self::take_lost_rows).
    pub fn reconfigure(&mut self, setup: WallSetup, now: WallTime) {
        self.advance_day(now);
        let lost_rows: Vec<TenantId> = self
            .tenants
            .keys()
            .filter(|id| !setup.tenants.iter().any(|t| &t.tenant == *id))
            .cloned()
            .collect();
        self.tenants.retain(|id, _| !lost_rows.contains(id));
        for t in setup.tenants {
            let tenant = self.tenants.entry(t.tenant.clone()).or_default();
            if tenant.day.is_none() {
                tenant.day = Some(day_of(&t.timezone, now));
            }
            tenant.timezone = t.timezone;
            let removed = tenant.keep_only(&t.queues, &t.agents);
            tenant.listed = t.agents.iter().map(|a| a.name.clone()).collect();
            for q in t.queues {
                tenant.queue(&q.queue).target = q.service_level;
            }
            for a in t.agents {
                tenant.agent(&a.name, now).queues = a.queues;
            }
            if removed {
                self.lost_rows.insert(t.tenant);
            }
        }
        self.lost_rows.extend(lost_rows);
        // The calls of a removed tenant are forgotten with it (their records end nothing here).
        self.calls
            .retain(|_, call| self.tenants.contains_key(&call.tenant));
    }

    /// The tenants that lost rows (queues or agents the settings no longer name, a tenant
    /// removed) since the last call: changed rows cannot say that a row went, so their viewers
    /// are given the whole wall again ([`snapshot`](Self::snapshot)).
    pub fn take_lost_rows(&mut self) -> Vec<TenantId> {
        std::mem::take(&mut self.lost_rows).into_iter().collect()
    }

    /// Whether [`observe`](Self::observe) does anything with this output (the runtime sends
    /// the wall only these).
    pub fn observes(output: &Output) -> bool {
        matches!(
            output,
            Output::CallQueued { .. }
                | Output::RingAgent { .. }
                | Output::Originate { .. }
                | Output::AgentUpdate { .. }
                | Output::CallRecord(_)
                | Output::Integration {
                    event: Event::Held { .. } | Event::Resumed { .. },
                    ..
                }
        )
    }

    /// Applies one switchboard output, carried out at `at`.
    pub fn observe(&mut self, at: WallTime, output: &Output) {
        self.advance_day(at);
        self.apply(at, output);
        // A tenant first heard of just now counts from its day at `at`.
        self.advance_day(at);
    }

    fn apply(&mut self, at: WallTime, output: &Output) {
        match output {
            Output::CallQueued {
                tenant,
                call,
                queue,
                customer,
                direction,
            } => {
                let info = self.call_info(call, tenant, *direction, customer.for_display(), at);
                let previous = info.waiting_in.replace((queue.clone(), at));
                let state = self.tenants.entry(tenant.clone()).or_default();
                if let Some((old, since)) = previous {
                    state.queue(&old).waiting.remove(&(since, call.clone()));
                }
                state.queue(queue).waiting.insert((at, call.clone()));
            }
            Output::RingAgent {
                agent,
                call,
                customer,
                direction,
                ..
            } => {
                self.call_info(call, agent.tenant(), *direction, customer.for_display(), at);
                if let Some(state) = self.tenants.get_mut(agent.tenant()) {
                    state.touch_agents_on(call);
                }
            }
            Output::Originate {
                call, tenant, to, ..
            } => {
                self.call_info(call, tenant, Direction::Outbound, to, at);
                if let Some(state) = self.tenants.get_mut(tenant) {
                    state.touch_agents_on(call);
                }
            }
            Output::AgentUpdate { agent, state, .. } => self.agent_state(agent, state, at),
            Output::Integration { tenant, event } => {
                let (call, held) = match event {
                    Event::Held { call } => (call, true),
                    Event::Resumed { call } => (call, false),
                    _ => return,
                };
                if let Some(info) = self.calls.get_mut(call) {
                    info.held = held;
                    if let Some(state) = self.tenants.get_mut(tenant) {
                        state.touch_agents_on(call);
                    }
                }
            }
            Output::CallRecord(cdr) => {
                let Some(info) = self.calls.remove(&cdr.call) else {
                    return;
                };
                let customer_left = matches!(
                    cdr.end_cause,
                    EndCause::Abandoned | EndCause::CustomerHungUp
                );
                let Some(state) = self.tenants.get_mut(&info.tenant) else {
                    return;
                };
                if let Some((queue, since)) = info.waiting_in {
                    if let Some(q) = state.shown_queue(&queue) {
                        q.waiting.remove(&(since, cdr.call.clone()));
                        if customer_left {
                            q.abandoned += 1;
                        }
                    }
                }
                state.touch_agents_on(&cdr.call);
            }
            _ => {}
        }
    }

    /// The call's facts, created at its first sighting (the first sighting's facts stay: a
    /// call keeps its direction and number for life).
    fn call_info(
        &mut self,
        call: &CallId,
        tenant: &TenantId,
        direction: Direction,
        number: &str,
        at: WallTime,
    ) -> &mut CallInfo {
        self.calls.entry(call.clone()).or_insert_with(|| CallInfo {
            tenant: tenant.clone(),
            direction,
            number: number.to_string(),
            began: at,
            held: false,
            waiting_in: None,
        })
    }

    fn agent_state(&mut self, agent: &AgentId, new: &AgentState, at: WallTime) {
        // Answered: the call's stay in its queue ends, counted for that queue.
        if let AgentState::OnCall { call } = new {
            if let Some(info) = self.calls.get_mut(call) {
                if let Some((queue, since)) = info.waiting_in.take() {
                    let waited = at.as_millis().saturating_sub(since.as_millis());
                    let shown = self
                        .tenants
                        .get_mut(&info.tenant)
                        .and_then(|state| state.shown_queue(&queue));
                    if let Some(q) = shown {
                        q.waiting.remove(&(since, call.clone()));
                        q.answered += 1;
                        if u128::from(waited) <= q.target.as_millis() {
                            q.answered_in_time += 1;
                        }
                    }
                }
            }
        }
        let name = agent.name().as_str();
        if matches!(new, AgentState::Offline) {
            // A tenant the wall does not show (removed) has nothing to show offline.
            let Some(state) = self.tenants.get_mut(agent.tenant()) else {
                return;
            };
            if !state.listed.contains(name) {
                // Not in the settings (taken out while logged in, or never listed): shown only
                // while logged in.
                if state.agents.remove(name).is_some() {
                    state.agent_order.retain(|a| a != name);
                    state.dirty_agents.remove(name);
                    self.lost_rows.insert(agent.tenant().clone());
                }
                return;
            }
        }
        let row = self
            .tenants
            .entry(agent.tenant().clone())
            .or_default()
            .agent(name, at);
        if !same_state(&row.state, new) {
            row.since = at;
        }
        row.state = new.clone();
    }

    /// A tenant whose day at `at` is later than its counts' resets every queue's counts first.
    fn advance_day(&mut self, at: WallTime) {
        self.latest = self.latest.max(at);
        for tenant in self.tenants.values_mut() {
            let day = day_of(&tenant.timezone, at);
            match tenant.day {
                Some(counted) if day <= counted => continue,
                None => {
                    tenant.day = Some(day);
                    continue;
                }
                Some(_) => tenant.day = Some(day),
            }
            for (id, q) in &mut tenant.queues {
                q.answered = 0;
                q.answered_in_time = 0;
                q.abandoned = 0;
                tenant.dirty_queues.insert(id.clone());
            }
        }
    }

    /// When the counts next start again: the earliest next midnight after `now` of any
    /// tenant, each in its own time zone (UTC midnight when there is none).
    pub fn next_rollover(&self, now: WallTime) -> WallTime {
        self.tenants
            .values()
            .map(|t| next_midnight(&t.timezone, now))
            .min()
            .unwrap_or_else(|| next_midnight(&TimeZone::UTC, now))
    }

    /// The day `state`'s counts are for.
    fn day_of_tenant(&self, state: &TenantState) -> String {
        day_text(
            state
                .day
                .unwrap_or_else(|| day_of(&state.timezone, self.latest)),
        )
    }

    /// The clock reached `now`: a new day resets the counts (the changed rows are in the next
    /// [`take_changes`](Self::take_changes)).
    pub fn roll_over(&mut self, now: WallTime) {
        self.advance_day(now);
    }

    /// The tenants the wall knows.
    pub fn tenants(&self) -> impl Iterator<Item = &TenantId> {
        self.tenants.keys()
    }

    /// The whole wall of `tenant` (empty for a tenant the wall has never heard of).
    pub fn snapshot(&self, tenant: &TenantId) -> TenantWall {
        let Some(state) = self.tenants.get(tenant) else {
            return TenantWall {
                day: day_text(day_of(&TimeZone::UTC, self.latest)),
                queues: Vec::new(),
                agents: Vec::new(),
            };
        };
        TenantWall {
            day: self.day_of_tenant(state),
            queues: state
                .queue_order
                .iter()
                .map(|q| state.queues[q].row(q))
                .collect(),
            agents: state
                .agent_order
                .iter()
                .map(|a| self.agent_row(a, &state.agents[a]))
                .collect(),
        }
    }

    /// The rows changed since the last call, per tenant with changes (in tenant order, rows in
    /// display order).
    pub fn take_changes(&mut self) -> Vec<TenantChanges> {
        let mut out = Vec::new();
        let latest = self.latest;
        for (id, state) in &mut self.tenants {
            if state.dirty_agents.is_empty() && state.dirty_queues.is_empty() {
                continue;
            }
            let dirty_queues = std::mem::take(&mut state.dirty_queues);
            let dirty_agents = std::mem::take(&mut state.dirty_agents);
            let state = &*state;
            let day = state.day.unwrap_or_else(|| day_of(&state.timezone, latest));
            out.push(TenantChanges {
                tenant: id.to_string(),
                day: day_text(day),
                queues: state
                    .queue_order
                    .iter()
                    .filter(|q| dirty_queues.contains(*q))
                    .map(|q| state.queues[q].row(q))
                    .collect(),
                agents: state
                    .agent_order
                    .iter()
                    .filter(|a| dirty_agents.contains(*a))
                    .map(|a| agent_row(&self.calls, a, &state.agents[a]))
                    .collect(),
            });
        }
        out
    }

    fn agent_row(&self, name: &str, agent: &AgentInfo) -> AgentRow {
        agent_row(&self.calls, name, agent)
    }
}

fn agent_row(calls: &HashMap<CallId, CallInfo>, name: &str, agent: &AgentInfo) -> AgentRow {
    let (state, reason, reason_text) = match &agent.state {
        AgentState::Offline => ("offline", None, None),
        AgentState::Available { .. } => ("available", None, None),
        AgentState::Unavailable { reason } => match reason {
            UnavailableReason::Away => ("unavailable", Some("away"), None),
            UnavailableReason::MissedCall => ("unavailable", Some("missed_call"), None),
            UnavailableReason::Other(text) => ("unavailable", Some("other"), Some(text.clone())),
        },
        AgentState::Ringing { .. } => ("ringing", None, None),
        AgentState::Dialing { .. } => ("dialing", None, None),
        AgentState::OnCall { .. } => ("on_call", None, None),
        AgentState::WrapUp { .. } => ("wrap_up", None, None),
    };
    let call = agent.state.call().map(|id| match calls.get(id) {
        Some(info) => CallRow {
            id: id.to_string(),
            direction: direction_word(info.direction),
            number: info.number.clone(),
            started_at: info.began.as_millis(),
            held: info.held,
        },
        // Seen before any output that names its number: shown without one until it comes.
        None => CallRow {
            id: id.to_string(),
            direction: "inbound",
            number: String::new(),
            started_at: agent.since.as_millis(),
            held: false,
        },
    });
    AgentRow {
        agent: name.to_string(),
        state,
        reason,
        reason_text,
        since: agent.since.as_millis(),
        call,
        queues: agent.queues.iter().map(|q| q.to_string()).collect(),
    }
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// The same state for the wall's "since": the same kind, the same call. Wrap-up's end and
/// available's idle order may move without the agent doing anything new.
fn same_state(a: &AgentState, b: &AgentState) -> bool {
    match (a, b) {
        (AgentState::Available { .. }, AgentState::Available { .. })
        | (AgentState::WrapUp { .. }, AgentState::WrapUp { .. })
        | (AgentState::Offline, AgentState::Offline) => true,
        _ => a == b,
    }
}
