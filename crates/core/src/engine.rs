//! The engine: all calls and agents of a process, driven by `(now, event)`.

use std::collections::{BTreeMap, BTreeSet};

use crate::call::{Call, CallSnapshot, Ctx};
use crate::command::{Command, NotifyReason};
use crate::event::{Event, LookupResult};
use crate::held::HeldEvents;
use crate::ids::{AgentId, CallId, TenantId};
use crate::policy::{EngineConfig, TenantPolicy};
use crate::time::Timestamp;
use crate::verdict::{Ignored, Verdict};

/// Counters of what the engine ignored or refused, for diagnostics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Events for call ids the engine never saw offered.
    pub ignored_unknown_call: u64,
    /// Events for calls already forgotten (their id is in the settled record).
    pub ignored_settled_call: u64,
    /// Telephony events that arrived after the call ended.
    pub ignored_after_end: u64,
    /// Events that repeat what the engine already knows, or are stale.
    pub ignored_duplicate: u64,
    /// Contact choices from agents who are not on the call.
    pub ignored_not_involved: u64,
    /// `CaseCreated`/`CaseFound` naming a different Case than the one already known.
    pub case_ref_conflicts: u64,
    /// Attempts to create a second Case for a call (always refused).
    pub create_refused: u64,
    /// Calls dropped from memory.
    pub calls_forgotten: u64,
    /// Events held because their call was not offered yet.
    pub held_for_offer: u64,
    /// Events refused because the holding bounds were reached.
    pub hold_refused: u64,
    /// Held events dropped because their call's offer never came within the window.
    pub held_expired: u64,
    /// Calls closed by `max_call_lifetime` because their `ended` never came.
    pub closed_without_end: u64,
    /// Failed screen-pop lookups tried again.
    pub lookup_retries: u64,
}

/// The sans-IO state of every call and agent.
///
/// Feed it with [`handle`](Engine::handle); when [`poll_timeout`](Engine::poll_timeout) is
/// reached, call [`handle_timeout`](Engine::handle_timeout). Both return the commands to execute,
/// in order. Time only moves forward: a `now` earlier than one already seen counts as that one.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    now: Timestamp,
    links: BTreeMap<AgentId, bool>,
    calls: BTreeMap<CallId, Call>,
    /// Forgotten calls and when their record expires.
    settled: BTreeMap<CallId, Timestamp>,
    settled_expiry: BTreeSet<(Timestamp, CallId)>,
    /// One entry per call that has a deadline: `(Call::scheduled, id)`.
    timers: BTreeSet<(Timestamp, CallId)>,
    /// Events that arrived before their call's offer.
    held: HeldEvents,
    stats: EngineStats,
}

impl Engine {
    /// An engine with no calls, where no agent is linked yet.
    pub fn new(config: EngineConfig) -> Self {
        Engine {
            config,
            now: Timestamp::ZERO,
            links: BTreeMap::new(),
            calls: BTreeMap::new(),
            settled: BTreeMap::new(),
            settled_expiry: BTreeSet::new(),
            timers: BTreeSet::new(),
            held: HeldEvents::default(),
            stats: EngineStats::default(),
        }
    }

    /// Sets a tenant's policy. It applies to decisions taken from now on.
    pub fn set_tenant_policy(&mut self, tenant: TenantId, policy: TenantPolicy) {
        self.config.tenants.insert(tenant, policy);
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The latest time the engine was given.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    fn advance(&mut self, now: Timestamp) -> Timestamp {
        self.now = self.now.max(now);
        self.now
    }

    /// Processes one event and returns the commands it causes.
    pub fn handle(&mut self, now: Timestamp, event: Event) -> Vec<Command> {
        self.handle_with_verdict(now, event).0
    }

    /// Processes one event and returns the commands it causes and what became of the event
    /// (applied, held until its call's offer, or ignored and why), for senders that must be told.
    pub fn handle_with_verdict(&mut self, now: Timestamp, event: Event) -> (Vec<Command>, Verdict) {
        let now = self.advance(now);
        let mut out = Vec::new();
        let verdict = self.apply(now, event, &mut out);
        (out, verdict)
    }

    /// Facts about a call reported before its offer. The offer applies them; results of the
    /// engine's own commands and agents' requests are not held (they follow an offer).
    fn holds_until_offered(event: &Event) -> bool {
        matches!(
            event,
            Event::AgentAnswered { .. }
                | Event::Connected { .. }
                | Event::Transferred { .. }
                | Event::Held { .. }
                | Event::Resumed { .. }
                | Event::Ended { .. }
                | Event::RecordingReady { .. }
                // A journalled lookup outcome replayed at start: it saves the offer a new lookup.
                | Event::LookupCompleted {
                    result: LookupResult::Matches(_),
                    ..
                }
        )
    }

    fn apply(&mut self, now: Timestamp, event: Event, out: &mut Vec<Command>) -> Verdict {
        if let Some(call) = event.call() {
            if !self.calls.contains_key(call) && Self::holds_until_offered(&event) {
                if self.settled.contains_key(call) {
                    self.stats.ignored_settled_call += 1;
                    return Verdict::Ignored(Ignored::CallSettled);
                }
                let call = call.clone();
                let verdict = self.held.hold(now, &self.config, &call, event);
                match verdict {
                    Verdict::Held { .. } => self.stats.held_for_offer += 1,
                    _ => self.stats.hold_refused += 1,
                }
                return verdict;
            }
        }
        match event {
            Event::AgentLinkChanged { agent, linked } => {
                self.links.insert(agent, linked);
                Verdict::Applied
            }
            Event::CallOffered {
                call,
                tenant,
                direction,
                customer,
                agent,
            } => {
                if self.settled.contains_key(&call) {
                    self.stats.ignored_settled_call += 1;
                    return Verdict::Ignored(Ignored::CallSettled);
                }
                let mut early = Vec::new();
                if !self.calls.contains_key(&call) {
                    let mut created = Call::new(tenant, direction, customer, now);
                    for event in self.held.take(&call) {
                        match event {
                            Event::LookupCompleted {
                                result: LookupResult::Matches(found),
                                ..
                            } => created.restore_lookup(found),
                            other => early.push(other),
                        }
                    }
                    self.calls.insert(call.clone(), created);
                }
                let verdict = self.dispatch(now, &call, out, |c, cx| c.on_offered(cx, agent));
                // Whatever overtook the offer now applies, in a sensible order (see `held.rs`).
                for event in early {
                    self.apply(now, event, out);
                }
                verdict
            }
            Event::AgentAnswered { call, agent } => {
                self.dispatch(now, &call, out, |c, cx| c.on_answered(cx, agent))
            }
            Event::Connected { call, agent } => {
                self.dispatch(now, &call, out, |c, cx| c.on_connected(cx, agent))
            }
            Event::Transferred { call, from, to } => {
                self.dispatch(now, &call, out, |c, cx| c.on_transferred(cx, from, to))
            }
            Event::Held { call } => self.dispatch(now, &call, out, |c, cx| c.on_hold(cx, true)),
            Event::Resumed { call } => self.dispatch(now, &call, out, |c, cx| c.on_hold(cx, false)),
            Event::Ended { call, cause } => {
                self.dispatch(now, &call, out, |c, cx| c.on_ended(cx, cause))
            }
            Event::RecordingReady { call, recording } => {
                self.dispatch(now, &call, out, |c, cx| c.on_recording_ready(cx, recording))
            }
            Event::LookupCompleted {
                call,
                agent,
                result,
            } => self.dispatch(now, &call, out, |c, cx| {
                c.on_lookup_completed(cx, agent, result)
            }),
            Event::ContactChosen {
                call,
                agent,
                contact,
            } => self.dispatch(now, &call, out, |c, cx| {
                c.on_contact_chosen(cx, agent, contact)
            }),
            Event::CaseCreated { call, case } | Event::CaseFound { call, case } => {
                self.dispatch(now, &call, out, |c, cx| c.on_case_known(cx, case))
            }
            Event::CaseNotFound { call } => {
                self.dispatch(now, &call, out, |c, cx| c.on_case_not_found(cx))
            }
            Event::CaseCreateFailed {
                call,
                reason,
                permanent,
            } => self.dispatch(now, &call, out, |c, cx| {
                c.on_case_create_failed(cx, reason, permanent)
            }),
            Event::ManualCaseRequested { call, agent } => {
                let requester = agent.clone();
                let verdict = self.dispatch(now, &call, out, |c, cx| c.on_manual_case(cx, agent));
                if matches!(
                    verdict,
                    Verdict::Ignored(Ignored::UnknownCall | Ignored::CallSettled)
                ) {
                    out.push(Command::NotifyAgent {
                        agent: requester,
                        call,
                        reason: NotifyReason::CallNotFound,
                    });
                }
                verdict
            }
        }
    }

    /// Runs `f` on a known call and returns what became of the event; counts it as ignored when
    /// the call is unknown.
    fn dispatch(
        &mut self,
        now: Timestamp,
        call: &CallId,
        out: &mut Vec<Command>,
        f: impl FnOnce(&mut Call, &mut Ctx<'_>),
    ) -> Verdict {
        match self.with_call(now, call, out, f) {
            Some(None) => Verdict::Applied,
            Some(Some(ignored)) => Verdict::Ignored(ignored),
            None if self.settled.contains_key(call) => {
                self.stats.ignored_settled_call += 1;
                Verdict::Ignored(Ignored::CallSettled)
            }
            None => {
                self.stats.ignored_unknown_call += 1;
                Verdict::Ignored(Ignored::UnknownCall)
            }
        }
    }

    /// Runs `f` on the call; `None` if the call is unknown, otherwise why the call did not use
    /// the event (`Some(None)`: it did).
    fn with_call(
        &mut self,
        now: Timestamp,
        call_id: &CallId,
        out: &mut Vec<Command>,
        f: impl FnOnce(&mut Call, &mut Ctx<'_>),
    ) -> Option<Option<Ignored>> {
        let Engine {
            config,
            links,
            calls,
            timers,
            stats,
            ..
        } = self;
        let call = calls.get_mut(call_id)?;
        let policy = config.policy_for(call.tenant());
        let mut cx = Ctx {
            now,
            call_id,
            policy,
            config,
            links,
            out,
            stats,
            ignored: None,
        };
        f(call, &mut cx);
        let ignored = cx.ignored;
        reschedule(timers, config, call_id, call);
        Some(ignored)
    }

    /// The next instant at which [`handle_timeout`](Engine::handle_timeout) has work to do.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let call = self.timers.first().map(|(at, _)| *at);
        let settled = self.settled_expiry.first().map(|(at, _)| *at);
        [call, settled, self.held.next_expiry()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs every deadline due at `now`: Cases that waited long enough for their contact are
    /// created, settled calls are forgotten, expired settled records are dropped.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<Command> {
        let now = self.advance(now);
        let mut out = Vec::new();
        // Each due call runs once per call of this method, even if it is rescheduled at once.
        let not_due = self.timers.split_off(&(
            Timestamp::from_millis(now.as_millis().saturating_add(1)),
            CallId::new(String::new()),
        ));
        let due = std::mem::replace(&mut self.timers, not_due);
        for (_, call_id) in due {
            let Engine {
                config,
                links,
                calls,
                timers,
                stats,
                settled,
                settled_expiry,
                ..
            } = self;
            let Some(call) = calls.get_mut(&call_id) else {
                continue;
            };
            call.scheduled = None;
            let policy = config.policy_for(call.tenant());
            let mut cx = Ctx {
                now,
                call_id: &call_id,
                policy,
                config,
                links,
                out: &mut out,
                stats,
                ignored: None,
            };
            if call.on_timeout(&mut cx, config) {
                calls.remove(&call_id);
                let expires = now.saturating_add(config.settled_retention);
                settled.insert(call_id.clone(), expires);
                settled_expiry.insert((expires, call_id));
                stats.calls_forgotten += 1;
            } else {
                reschedule(timers, config, &call_id, call);
            }
        }
        while let Some((at, call_id)) = self.settled_expiry.first().cloned() {
            if at > now {
                break;
            }
            self.settled_expiry.remove(&(at, call_id.clone()));
            self.settled.remove(&call_id);
        }
        self.stats.held_expired += self.held.expire(now);
        out
    }

    /// A view of a call the engine holds in memory.
    pub fn call_state(&self, call: &CallId) -> Option<CallSnapshot> {
        self.calls.get(call).map(Call::snapshot)
    }

    /// Whether the call was forgotten and its id is still kept so late events are ignored.
    pub fn is_settled(&self, call: &CallId) -> bool {
        self.settled.contains_key(call)
    }

    /// Whether the agent's CRM account is linked (as far as the engine was told).
    pub fn is_linked(&self, agent: &AgentId) -> bool {
        self.links.get(agent).copied().unwrap_or(false)
    }

    /// How many calls are held in memory.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// How many events wait for `call`'s offer.
    pub fn held_events(&self, call: &CallId) -> usize {
        self.held.count(call)
    }

    /// How many events wait for their calls' offers, in total.
    pub fn held_total(&self) -> usize {
        self.held.total()
    }

    /// How many forgotten call ids are kept.
    pub fn settled_calls(&self) -> usize {
        self.settled.len()
    }

    /// What the engine ignored or refused so far.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }
}

/// Keeps the call's single timer entry in line with its next deadline.
fn reschedule(
    timers: &mut BTreeSet<(Timestamp, CallId)>,
    config: &EngineConfig,
    call_id: &CallId,
    call: &mut Call,
) {
    let next = call.wake_at(config);
    if next == call.scheduled {
        return;
    }
    if let Some(old) = call.scheduled {
        timers.remove(&(old, call_id.clone()));
    }
    if let Some(at) = next {
        timers.insert((at, call_id.clone()));
    }
    call.scheduled = next;
}
