//! One call's state machine: screen pop, Case work and who is on the call.

use std::collections::{BTreeMap, BTreeSet};

use callbridge_phone::E164;

use crate::caller::{CallerNumber, NoLookupReason};
use crate::command::{CaseFields, CaseTrigger, Command, NotifyReason};
use crate::engine::EngineStats;
use crate::event::{Direction, EndCause, LookupFailure, LookupResult, TransferTarget};
use crate::ids::{AgentId, CallId, CaseRef, ContactRef, PartyRefs, RecordingLocator, TenantId};
use crate::policy::{EngineConfig, TemplateValues, TenantPolicy};
use crate::pop::{distinct, ScreenPop};
use crate::time::Timestamp;
use crate::verdict::Ignored;

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallPhase {
    /// Offered; nobody has answered yet.
    Ringing,
    /// An agent answered; media not connected yet.
    Answered,
    /// An agent and the customer are connected.
    Connected,
    /// Handed over; waiting for the next agent.
    Transferring,
    /// Over.
    Ended,
}

/// The agent who answered a call first, and whether their CRM account was linked at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FirstAnswer {
    /// Who answered first.
    pub agent: AgentId,
    /// Whether their CRM account was linked when they answered.
    pub linked: bool,
    /// When.
    pub at: Timestamp,
}

/// Why no Case is created automatically for a call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Suppression {
    /// The transfer rule: the first answerer had no linked CRM account.
    FirstAnswererNotLinked { agent: AgentId },
    /// The tenant does not create Cases automatically in this direction.
    DirectionNotEnabled { direction: Direction },
}

impl Suppression {
    /// What the agents on the call are told.
    pub fn reason(&self) -> NotifyReason {
        match self {
            Suppression::FirstAnswererNotLinked { agent } => {
                NotifyReason::CaseSuppressedFirstAgentNotLinked {
                    first_agent: agent.clone(),
                }
            }
            Suppression::DirectionNotEnabled { direction } => {
                NotifyReason::CaseNotAutomaticForDirection {
                    direction: *direction,
                }
            }
        }
    }
}

/// The state of a call's Case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// No decision yet (the agent and customer have not been connected).
    NotStarted,
    /// No automatic Case, for this reason; a linked agent on the call can still create it by hand.
    Suppressed(Suppression),
    /// The Case will be created once the caller is matched to a contact, or at `deadline`.
    AwaitingContact { deadline: Timestamp },
    /// [`Command::CreateCase`] was emitted; waiting for the outcome.
    Creating,
    /// The Case exists.
    Created(CaseRef),
    /// Creating the Case failed for good (it is in the dead-letter list).
    Failed { detail: String },
    /// [`Command::FindCase`] was emitted after a failure; waiting for the answer.
    Finding { detail: String },
}

impl CaseStatus {
    /// Whether the engine still waits for the CRM (or for a deadline) about this Case.
    pub fn is_settled(&self) -> bool {
        !matches!(
            self,
            CaseStatus::AwaitingContact { .. } | CaseStatus::Creating | CaseStatus::Finding { .. }
        )
    }
}

/// The state of the call's screen-pop lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LookupStatus {
    /// No lookup was made (withheld number, outbound call, no linked agent yet).
    NotStarted,
    /// [`Command::LookupContacts`] was emitted on behalf of `agent`.
    InFlight { agent: AgentId },
    /// The matching records (duplicates removed).
    Done(Vec<ContactRef>),
    /// The lookup failed; the next linked agent offered the call triggers a new one.
    Failed,
}

/// A read-only view of a call, for tests, diagnostics and the runtime's status pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSnapshot {
    /// The tenant of the first offer.
    pub tenant: TenantId,
    /// The direction of the first offer.
    pub direction: Direction,
    /// The caller of the first offer.
    pub caller: CallerNumber,
    /// Where the call is in its life.
    pub phase: CallPhase,
    /// Whether the customer is on hold.
    pub on_hold: bool,
    /// Who answered first, and whether they were linked then (decides the automatic Case).
    pub first_answer: Option<FirstAnswer>,
    /// The agent the call is with (the last one to answer or connect, until a transfer).
    pub current_agent: Option<AgentId>,
    /// Agents the call is ringing at.
    pub ringing: Vec<AgentId>,
    /// The screen-pop lookup.
    pub lookup: LookupStatus,
    /// The contact an agent chose (chooser or "new contact").
    pub chosen_contact: Option<ContactRef>,
    /// The Case.
    pub case: CaseStatus,
    /// Whether [`Command::CreateCase`] was ever emitted for this call.
    pub case_create_emitted: bool,
    /// The stored recording, once ready.
    pub recording: Option<RecordingLocator>,
    /// Why the call ended, once ended.
    pub end_cause: Option<EndCause>,
    /// The latest transfer.
    pub last_transfer: Option<TransferTarget>,
}

/// What an agent was last told about the call's Case (so duplicates tell them nothing new).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Told {
    Shown,
    Suppressed,
    Failed,
}

/// Everything a call handler needs besides the call itself.
pub(crate) struct Ctx<'a> {
    pub now: Timestamp,
    pub call_id: &'a CallId,
    pub policy: &'a TenantPolicy,
    pub config: &'a EngineConfig,
    pub links: &'a BTreeMap<AgentId, bool>,
    pub out: &'a mut Vec<Command>,
    pub stats: &'a mut EngineStats,
    /// Why the event being handled was not used; `None`: it was.
    pub ignored: Option<Ignored>,
}

impl Ctx<'_> {
    fn linked(&self, agent: &AgentId) -> bool {
        self.links.get(agent).copied().unwrap_or(false)
    }

    fn notify(&mut self, agent: &AgentId, reason: NotifyReason) {
        self.out.push(Command::NotifyAgent {
            agent: agent.clone(),
            call: self.call_id.clone(),
            reason,
        });
    }

    fn duplicate(&mut self) {
        self.stats.ignored_duplicate += 1;
        self.ignored = Some(Ignored::AlreadyKnown);
    }

    /// The event contradicts a later state of the call.
    fn stale(&mut self) {
        self.stats.ignored_duplicate += 1;
        self.ignored = Some(Ignored::Stale);
    }

    fn after_end(&mut self) {
        self.stats.ignored_after_end += 1;
        self.ignored = Some(Ignored::CallEnded);
    }
}

/// One call. Private to the crate; [`CallSnapshot`] is the public view.
#[derive(Debug)]
pub(crate) struct Call {
    tenant: TenantId,
    direction: Direction,
    caller: CallerNumber,
    phase: CallPhase,
    on_hold: bool,
    /// When the call was created (its first offer): `max_call_lifetime` counts from here.
    offered_at: Timestamp,
    ended_at: Option<Timestamp>,
    end_cause: Option<EndCause>,
    /// The last time an event changed this call.
    touched_at: Timestamp,
    first_answer: Option<FirstAnswer>,
    current_agent: Option<AgentId>,
    ringing: BTreeSet<AgentId>,
    /// Agents offered the call, transferred to, or on it: they may choose a contact or ask for
    /// the Case.
    involved: BTreeSet<AgentId>,
    /// Agents who answered or were connected.
    participants: BTreeSet<AgentId>,
    /// Agents who get the Case (or the reason there is none) when it is known.
    audience: BTreeSet<AgentId>,
    told: BTreeMap<AgentId, Told>,
    /// Agents whose screen pop was dealt with (popped, waiting, or told why not).
    pop_handled: BTreeSet<AgentId>,
    /// Agents waiting for the lookup result.
    pop_waiting: BTreeSet<AgentId>,
    lookup: LookupStatus,
    /// How many times the lookup failed because the CRM could not answer.
    lookup_failures: u32,
    /// When the failed lookup is tried again, and with whose token.
    lookup_retry: Option<(Timestamp, AgentId)>,
    /// Agents told the lookup failed, who get the pop if a retry finds the caller.
    retry_waiters: BTreeSet<AgentId>,
    chosen: Option<ContactRef>,
    connected_once: bool,
    case: CaseStatus,
    create_emitted: bool,
    /// The person references the Case was created (or last updated) with, if we created it.
    case_party: Option<PartyRefs>,
    delay_notified: bool,
    recording: Option<RecordingLocator>,
    last_transfer: Option<TransferTarget>,
    /// The instant this call is in the engine's timer set for.
    pub(crate) scheduled: Option<Timestamp>,
}

impl Call {
    pub(crate) fn new(
        tenant: TenantId,
        direction: Direction,
        caller: CallerNumber,
        now: Timestamp,
    ) -> Self {
        Call {
            tenant,
            direction,
            caller,
            phase: CallPhase::Ringing,
            on_hold: false,
            offered_at: now,
            ended_at: None,
            end_cause: None,
            touched_at: now,
            first_answer: None,
            current_agent: None,
            ringing: BTreeSet::new(),
            involved: BTreeSet::new(),
            participants: BTreeSet::new(),
            audience: BTreeSet::new(),
            told: BTreeMap::new(),
            pop_handled: BTreeSet::new(),
            pop_waiting: BTreeSet::new(),
            lookup: LookupStatus::NotStarted,
            lookup_failures: 0,
            lookup_retry: None,
            retry_waiters: BTreeSet::new(),
            chosen: None,
            connected_once: false,
            case: CaseStatus::NotStarted,
            create_emitted: false,
            case_party: None,
            delay_notified: false,
            recording: None,
            last_transfer: None,
            scheduled: None,
        }
    }

    pub(crate) fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub(crate) fn snapshot(&self) -> CallSnapshot {
        CallSnapshot {
            tenant: self.tenant.clone(),
            direction: self.direction,
            caller: self.caller.clone(),
            phase: self.phase,
            on_hold: self.on_hold,
            first_answer: self.first_answer.clone(),
            current_agent: self.current_agent.clone(),
            ringing: self.ringing.iter().cloned().collect(),
            lookup: self.lookup.clone(),
            chosen_contact: self.chosen.clone(),
            case: self.case.clone(),
            case_create_emitted: self.create_emitted,
            recording: self.recording.clone(),
            end_cause: self.end_cause.clone(),
            last_transfer: self.last_transfer.clone(),
        }
    }

    fn ended(&self) -> bool {
        self.phase == CallPhase::Ended
    }

    fn touch(&mut self, cx: &Ctx<'_>) {
        self.touched_at = cx.now;
    }

    // ----- timers -----------------------------------------------------------------------------

    /// When this call next needs [`Call::on_timeout`]: a contact-wait deadline, or the moment it
    /// can be forgotten.
    pub(crate) fn wake_at(&self, config: &EngineConfig) -> Option<Timestamp> {
        let deadline = match self.case {
            CaseStatus::AwaitingContact { deadline } => Some(deadline),
            _ => None,
        };
        let retry = self.lookup_retry.as_ref().map(|(at, _)| *at);
        let close = (!self.ended()).then(|| self.close_at(config));
        [deadline, retry, close, self.forget_at(config)]
            .into_iter()
            .flatten()
            .min()
    }

    /// When an open call whose `ended` never came is closed.
    fn close_at(&self, config: &EngineConfig) -> Timestamp {
        self.offered_at.saturating_add(config.max_call_lifetime)
    }

    /// When an ended call may be dropped from memory.
    fn forget_at(&self, config: &EngineConfig) -> Option<Timestamp> {
        let ended_at = self.ended_at?;
        if self.case.is_settled() && self.lookup_retry.is_none() {
            Some(
                self.touched_at
                    .max(ended_at)
                    .saturating_add(config.forget_after),
            )
        } else {
            Some(ended_at.saturating_add(config.max_linger))
        }
    }

    /// Runs due deadlines; returns whether the call can now be forgotten.
    pub(crate) fn on_timeout(&mut self, cx: &mut Ctx<'_>, config: &EngineConfig) -> bool {
        if !self.ended() && self.close_at(config) <= cx.now {
            cx.stats.closed_without_end += 1;
            let limit = config.max_call_lifetime.as_secs();
            self.on_ended(
                cx,
                EndCause::Failed(format!(
                    "no ended event arrived within {limit} s of the offer (max_call_lifetime)"
                )),
            );
        }
        if self
            .lookup_retry
            .as_ref()
            .is_some_and(|(at, _)| *at <= cx.now)
        {
            self.retry_lookup(cx);
        }
        if let CaseStatus::AwaitingContact { deadline } = self.case {
            if deadline <= cx.now {
                // Never guess: several unresolved matches give a Case without a contact.
                let contact = self.resolved_contact().unwrap_or(None);
                self.create_case(cx, CaseTrigger::Automatic, contact);
            }
        }
        self.forget_at(config).is_some_and(|at| at <= cx.now)
    }

    // ----- telephony events -------------------------------------------------------------------

    pub(crate) fn on_offered(&mut self, cx: &mut Ctx<'_>, agent: AgentId) {
        if self.ended() {
            return cx.after_end();
        }
        if self.current_agent.as_ref() == Some(&agent) || self.ringing.contains(&agent) {
            return cx.duplicate();
        }
        self.touch(cx);
        self.involved.insert(agent.clone());
        self.ringing.insert(agent.clone());
        self.screen_pop(cx, &agent);
    }

    /// Whether `agent` may take the call now. A former participant who is neither ringing,
    /// current, nor the latest transfer target is replaying a stale event.
    fn may_take(&self, agent: &AgentId) -> bool {
        self.current_agent.as_ref() == Some(agent)
            || self.ringing.contains(agent)
            || !self.participants.contains(agent)
            || self.last_transfer == Some(TransferTarget::Agent(agent.clone()))
    }

    fn record_first_answer(&mut self, cx: &Ctx<'_>, agent: &AgentId) {
        if self.first_answer.is_none() {
            self.first_answer = Some(FirstAnswer {
                agent: agent.clone(),
                linked: cx.linked(agent),
                at: cx.now,
            });
        }
    }

    pub(crate) fn on_answered(&mut self, cx: &mut Ctx<'_>, agent: AgentId) {
        if self.ended() {
            // Overtaken by the hang-up, it still says who answered first (the transfer rule).
            if self.first_answer.is_some() {
                return cx.after_end();
            }
            self.touch(cx);
            self.record_first_answer(cx, &agent);
            self.join_after_end(&agent);
            return;
        }
        let already = self.current_agent.as_ref() == Some(&agent)
            && matches!(self.phase, CallPhase::Answered | CallPhase::Connected);
        if already {
            return cx.duplicate();
        }
        if !self.may_take(&agent) {
            return cx.stale();
        }
        self.touch(cx);
        self.record_first_answer(cx, &agent);
        self.ringing.clear();
        self.current_agent = Some(agent.clone());
        self.phase = CallPhase::Answered;
        self.join(cx, &agent);
    }

    pub(crate) fn on_connected(&mut self, cx: &mut Ctx<'_>, agent: AgentId) {
        if self.ended() {
            // Facts are monotonic: a connection reported after the hang-up still happened, so
            // the call gets its Case (under the same rules) if it was the first connection.
            if self.connected_once {
                return cx.after_end();
            }
            self.touch(cx);
            self.record_first_answer(cx, &agent);
            self.join_after_end(&agent);
            self.connected_once = true;
            self.decide_automatic_case(cx);
            return;
        }
        let already =
            self.current_agent.as_ref() == Some(&agent) && self.phase == CallPhase::Connected;
        if already {
            return cx.duplicate();
        }
        if !self.may_take(&agent) {
            if self.connected_once {
                return cx.stale();
            }
            // The call has moved on since, so this agent does not take it back, but the report
            // still proves the agent and customer were connected: the first connection decides
            // the Case.
            self.touch(cx);
            self.connected_once = true;
            self.decide_automatic_case(cx);
            return;
        }
        self.touch(cx);
        self.record_first_answer(cx, &agent);
        self.ringing.clear();
        self.current_agent = Some(agent.clone());
        self.phase = CallPhase::Connected;
        self.join(cx, &agent);
        if !self.connected_once {
            self.connected_once = true;
            self.decide_automatic_case(cx);
        }
    }

    pub(crate) fn on_transferred(&mut self, cx: &mut Ctx<'_>, from: AgentId, to: TransferTarget) {
        if self.ended() {
            return cx.after_end();
        }
        let from_holds_call =
            self.current_agent.as_ref() == Some(&from) || self.ringing.contains(&from);
        if !from_holds_call {
            return cx.stale();
        }
        self.touch(cx);
        self.ringing.remove(&from);
        if self.current_agent.as_ref() == Some(&from) {
            self.current_agent = None;
        }
        if self.phase != CallPhase::Ringing {
            self.phase = CallPhase::Transferring;
        }
        if let TransferTarget::Agent(target) = &to {
            self.involved.insert(target.clone());
        }
        self.last_transfer = Some(to);
    }

    pub(crate) fn on_hold(&mut self, cx: &mut Ctx<'_>, held: bool) {
        if self.ended() {
            return cx.after_end();
        }
        if self.on_hold == held {
            return cx.duplicate();
        }
        self.touch(cx);
        self.on_hold = held;
    }

    pub(crate) fn on_ended(&mut self, cx: &mut Ctx<'_>, cause: EndCause) {
        if self.ended() {
            return cx.duplicate();
        }
        self.touch(cx);
        self.phase = CallPhase::Ended;
        self.ended_at = Some(cx.now);
        self.end_cause = Some(cause);
        self.on_hold = false;
        self.ringing.clear();
        self.pop_waiting.clear();
    }

    pub(crate) fn on_recording_ready(&mut self, cx: &mut Ctx<'_>, recording: RecordingLocator) {
        if self.recording.is_some() {
            return cx.duplicate();
        }
        self.touch(cx);
        self.recording = Some(recording);
    }

    /// An agent reported answering or connected after the end: they were on the call, so they
    /// may choose its contact, ask for its Case and are told about it; there is no pop to show.
    fn join_after_end(&mut self, agent: &AgentId) {
        self.involved.insert(agent.clone());
        if self.participants.insert(agent.clone()) {
            self.audience.insert(agent.clone());
        }
    }

    /// An agent answered or was connected: they join the call's audience, get their screen pop
    /// if nobody rang them first, and learn what is known of the Case.
    fn join(&mut self, cx: &mut Ctx<'_>, agent: &AgentId) {
        self.involved.insert(agent.clone());
        if !self.participants.insert(agent.clone()) {
            return;
        }
        self.audience.insert(agent.clone());
        self.screen_pop(cx, agent);
        if matches!(self.case, CaseStatus::Failed { .. }) {
            // A receiving agent joins a call whose Case failed: it may exist by now (an
            // administrator replayed it), so look it up by correlation id.
            self.find_case(cx);
        }
        self.tell(cx, agent);
    }

    // ----- screen pop -------------------------------------------------------------------------

    fn screen_pop(&mut self, cx: &mut Ctx<'_>, agent: &AgentId) {
        if !self.pop_handled.insert(agent.clone()) {
            return;
        }
        let number = match self.caller.lookup_number() {
            Ok(number) => number.clone(),
            Err(why) => {
                if self.direction == Direction::Inbound {
                    let reason = match why {
                        NoLookupReason::Withheld => NotifyReason::CallerIdWithheld,
                        NoLookupReason::Unusable => NotifyReason::CallerIdUnusable,
                    };
                    cx.notify(agent, reason);
                }
                return;
            }
        };
        if self.direction == Direction::Outbound {
            // No pop; a lookup only to put the contact on an automatic outbound Case.
            if cx.policy.auto_case_outbound
                && self.lookup == LookupStatus::NotStarted
                && cx.linked(agent)
            {
                self.start_lookup(cx, agent, number);
            }
            return;
        }
        if !cx.linked(agent) {
            // CRM data only reaches agents with their own CRM account; the lookup result of
            // another agent is not shown to them.
            cx.notify(agent, NotifyReason::AgentNotLinked);
            return;
        }
        if let Some(chosen) = &self.chosen {
            cx.out.push(Command::PopContact {
                agent: agent.clone(),
                call: cx.call_id.clone(),
                contact: chosen.clone(),
            });
            return;
        }
        match &self.lookup {
            LookupStatus::Done(matches) => {
                pop_command(cx, agent, matches, number.as_str());
            }
            LookupStatus::InFlight { .. } => {
                self.pop_waiting.insert(agent.clone());
            }
            LookupStatus::NotStarted | LookupStatus::Failed => {
                self.start_lookup(cx, agent, number);
                self.pop_waiting.insert(agent.clone());
            }
        }
    }

    fn start_lookup(&mut self, cx: &mut Ctx<'_>, agent: &AgentId, number: E164) {
        self.lookup_retry = None;
        self.lookup = LookupStatus::InFlight {
            agent: agent.clone(),
        };
        cx.out.push(Command::LookupContacts {
            tenant: self.tenant.clone(),
            call: cx.call_id.clone(),
            agent: agent.clone(),
            number,
        });
    }

    /// Whether a pop for `agent` is still useful: the call rings at them or is with them.
    fn pop_relevant(&self, agent: &AgentId) -> bool {
        !self.ended()
            && (self.ringing.contains(agent) || self.current_agent.as_ref() == Some(agent))
    }

    pub(crate) fn on_lookup_completed(
        &mut self,
        cx: &mut Ctx<'_>,
        agent: AgentId,
        result: LookupResult,
    ) {
        if self.lookup
            != (LookupStatus::InFlight {
                agent: agent.clone(),
            })
        {
            return cx.duplicate();
        }
        self.touch(cx);
        let waiting: Vec<AgentId> = std::mem::take(&mut self.pop_waiting)
            .into_iter()
            .filter(|a| self.pop_relevant(a))
            .collect();
        match result {
            LookupResult::Matches(found) => {
                let matches = distinct(found);
                let number = self
                    .caller
                    .lookup_number()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default();
                for agent in waiting {
                    match &self.chosen {
                        Some(chosen) => cx.out.push(Command::PopContact {
                            agent,
                            call: cx.call_id.clone(),
                            contact: chosen.clone(),
                        }),
                        None => pop_command(cx, &agent, &matches, &number),
                    }
                }
                self.lookup = LookupStatus::Done(matches);
                self.retry_waiters.clear();
                // A retry that succeeded after the Case was written without its contact.
                self.reconcile_case_party(cx);
            }
            LookupResult::Failed(failure) => {
                let retry = matches!(failure, LookupFailure::Unavailable(_));
                let reason = match failure {
                    LookupFailure::RelinkRequired => NotifyReason::RelinkRequired,
                    LookupFailure::Unavailable(detail) => NotifyReason::LookupFailed { detail },
                };
                for agent in waiting {
                    // Told once per call: a retry that fails again does not repeat it.
                    if self.retry_waiters.insert(agent.clone()) || !retry {
                        cx.notify(&agent, reason.clone());
                    }
                }
                self.lookup = LookupStatus::Failed;
                if retry {
                    self.lookup_failures += 1;
                    self.schedule_lookup_retry(cx, agent);
                } else {
                    self.retry_waiters.clear();
                }
            }
        }
        self.create_if_contact_resolved(cx);
    }

    /// Whether the caller's record is still worth finding: for the pop of a live call, or for
    /// the contact of the call's Case.
    fn lookup_still_needed(&self) -> bool {
        if self.chosen.is_some() {
            return false;
        }
        !self.ended()
            || matches!(
                self.case,
                CaseStatus::AwaitingContact { .. } | CaseStatus::Creating | CaseStatus::Created(_)
            )
    }

    /// After the CRM could not answer: try again later with the same agent's token, a bounded
    /// number of times, with a doubling wait.
    fn schedule_lookup_retry(&mut self, cx: &mut Ctx<'_>, agent: AgentId) {
        if self.lookup_failures > cx.config.lookup_retries || !self.lookup_still_needed() {
            self.retry_waiters.clear();
            return;
        }
        let doubling = 1u32 << (self.lookup_failures - 1).min(16);
        let wait = cx.config.lookup_retry_after.saturating_mul(doubling);
        self.lookup_retry = Some((cx.now.saturating_add(wait), agent));
    }

    fn retry_lookup(&mut self, cx: &mut Ctx<'_>) {
        let Some((_, agent)) = self.lookup_retry.take() else {
            return;
        };
        if self.lookup != LookupStatus::Failed || !self.lookup_still_needed() {
            self.retry_waiters.clear();
            return;
        }
        let Ok(number) = self.caller.lookup_number().cloned() else {
            return;
        };
        cx.stats.lookup_retries += 1;
        self.start_lookup(cx, &agent, number);
        let waiters: Vec<AgentId> = self
            .retry_waiters
            .iter()
            .filter(|a| self.pop_relevant(a))
            .cloned()
            .collect();
        self.pop_waiting.extend(waiters);
    }

    /// A lookup outcome recorded before a restart: the call starts with it instead of asking
    /// the CRM again.
    pub(crate) fn restore_lookup(&mut self, found: Vec<ContactRef>) {
        self.lookup = LookupStatus::Done(distinct(found));
    }

    /// The person the Case should name: the agent's choice, else the lookup's only match.
    fn matched_party(&self) -> Option<PartyRefs> {
        if let Some(chosen) = &self.chosen {
            return Some(PartyRefs::of(chosen));
        }
        match &self.lookup {
            LookupStatus::Done(matches) if matches.len() == 1 => Some(PartyRefs::of(&matches[0])),
            _ => None,
        }
    }

    /// If we wrote the Case with other person references than the ones now known, one update
    /// corrects it. Never clears a contact.
    fn reconcile_case_party(&mut self, cx: &mut Ctx<'_>) {
        let CaseStatus::Created(case) = &self.case else {
            return;
        };
        let (Some(used), Some(party)) = (&self.case_party, self.matched_party()) else {
            return;
        };
        if *used == party {
            return;
        }
        cx.out.push(Command::UpdateCaseContact {
            tenant: self.tenant.clone(),
            call: cx.call_id.clone(),
            case: case.clone(),
            party: party.clone(),
        });
        self.case_party = Some(party);
    }

    pub(crate) fn on_contact_chosen(
        &mut self,
        cx: &mut Ctx<'_>,
        agent: AgentId,
        contact: ContactRef,
    ) {
        if !self.involved.contains(&agent) {
            cx.stats.ignored_not_involved += 1;
            cx.ignored = Some(Ignored::NotOnCall);
            return;
        }
        if self.chosen.as_ref() == Some(&contact) {
            return cx.duplicate();
        }
        self.touch(cx);
        self.chosen = Some(contact);
        self.lookup_retry = None;
        self.retry_waiters.clear();
        match &self.case {
            CaseStatus::AwaitingContact { .. } => self.create_if_contact_resolved(cx),
            CaseStatus::Created(_) => self.reconcile_case_party(cx),
            // Creating: reconciled when the Case is created. Otherwise: used if one is created.
            _ => {}
        }
    }

    /// `Some(contact)` when the caller is matched (or known to be unmatched); `None` while the
    /// lookup runs or the agent still has to choose between several records.
    fn resolved_contact(&self) -> Option<Option<ContactRef>> {
        if let Some(chosen) = &self.chosen {
            return Some(Some(chosen.clone()));
        }
        match &self.lookup {
            LookupStatus::InFlight { .. } => None,
            // The CRM could not answer and a retry is due: worth waiting for (within the
            // contact wait), rather than writing the Case without its contact at once.
            LookupStatus::Failed if self.lookup_retry.is_some() => None,
            LookupStatus::Done(matches) if matches.len() == 1 => Some(Some(matches[0].clone())),
            LookupStatus::Done(matches)
                if matches.len() > 1 && self.direction == Direction::Inbound =>
            {
                None
            }
            _ => Some(None),
        }
    }

    // ----- the Case ---------------------------------------------------------------------------

    /// At the first connection: create the Case, wait for the contact, or record why not.
    fn decide_automatic_case(&mut self, cx: &mut Ctx<'_>) {
        if self.case == CaseStatus::NotStarted && !self.create_emitted {
            let first = self
                .first_answer
                .clone()
                .expect("a connected call has a first answerer");
            if !cx.policy.auto_case_for(self.direction) {
                self.case = CaseStatus::Suppressed(Suppression::DirectionNotEnabled {
                    direction: self.direction,
                });
            } else if !first.linked {
                self.case = CaseStatus::Suppressed(Suppression::FirstAnswererNotLinked {
                    agent: first.agent,
                });
            } else {
                match self.resolved_contact() {
                    Some(contact) => self.create_case(cx, CaseTrigger::Automatic, contact),
                    None => {
                        self.case = CaseStatus::AwaitingContact {
                            deadline: cx.now.saturating_add(cx.policy.contact_wait),
                        };
                    }
                }
            }
        }
        self.tell_everyone(cx);
    }

    fn create_if_contact_resolved(&mut self, cx: &mut Ctx<'_>) {
        if let CaseStatus::AwaitingContact { .. } = self.case {
            if let Some(contact) = self.resolved_contact() {
                self.create_case(cx, CaseTrigger::Automatic, contact);
            }
        }
    }

    /// The only place that emits [`Command::CreateCase`]; it does so at most once per call.
    fn create_case(&mut self, cx: &mut Ctx<'_>, trigger: CaseTrigger, contact: Option<ContactRef>) {
        if self.create_emitted {
            cx.stats.create_refused += 1;
            return;
        }
        let assigned_agent = match &trigger {
            CaseTrigger::Manual { requested_by } => requested_by.clone(),
            CaseTrigger::Automatic => match &self.first_answer {
                Some(first) => first.agent.clone(),
                None => return,
            },
        };
        self.create_emitted = true;
        self.case = CaseStatus::Creating;
        let party = contact.as_ref().map(PartyRefs::of).unwrap_or_default();
        self.case_party = Some(party.clone());
        let short_description = cx.policy.short_description.render(
            &TemplateValues {
                caller: self.caller.for_display(),
                direction: self.direction,
                agent: &assigned_agent,
                call: cx.call_id,
            },
            cx.policy.short_description_max_chars,
        );
        cx.out.push(Command::CreateCase {
            tenant: self.tenant.clone(),
            call: cx.call_id.clone(),
            idempotency_key: cx.call_id.clone(),
            trigger,
            fields: CaseFields {
                caller: self.caller.clone(),
                recording_link: cx.policy.recording_links.link_for(cx.call_id),
                party,
                assigned_agent,
                direction: self.direction,
                short_description,
            },
        });
    }

    fn find_case(&mut self, cx: &mut Ctx<'_>) {
        if let CaseStatus::Failed { detail } = &self.case {
            self.case = CaseStatus::Finding {
                detail: detail.clone(),
            };
            cx.out.push(Command::FindCase {
                tenant: self.tenant.clone(),
                call: cx.call_id.clone(),
            });
        }
    }

    /// Tells `agent` what is known of the Case, unless they were told already.
    fn tell(&mut self, cx: &mut Ctx<'_>, agent: &AgentId) {
        let (told, command) = match &self.case {
            CaseStatus::Created(case) => (
                Told::Shown,
                Command::ShowCase {
                    agent: agent.clone(),
                    call: cx.call_id.clone(),
                    case: case.clone(),
                },
            ),
            CaseStatus::Suppressed(suppression) => (
                Told::Suppressed,
                Command::NotifyAgent {
                    agent: agent.clone(),
                    call: cx.call_id.clone(),
                    reason: suppression.reason(),
                },
            ),
            CaseStatus::Failed { detail } => (
                Told::Failed,
                Command::NotifyAgent {
                    agent: agent.clone(),
                    call: cx.call_id.clone(),
                    reason: NotifyReason::CaseCreationFailed {
                        detail: detail.clone(),
                    },
                },
            ),
            _ => return,
        };
        if self.told.get(agent) != Some(&told) {
            self.told.insert(agent.clone(), told);
            cx.out.push(command);
        }
    }

    fn tell_everyone(&mut self, cx: &mut Ctx<'_>) {
        for agent in self.audience.clone() {
            self.tell(cx, &agent);
        }
    }

    /// [`Event::CaseCreated`](crate::Event::CaseCreated) and
    /// [`Event::CaseFound`](crate::Event::CaseFound): the CRM holds this call's Case.
    pub(crate) fn on_case_known(&mut self, cx: &mut Ctx<'_>, case: CaseRef) {
        if let CaseStatus::Created(existing) = &self.case {
            if *existing == case {
                cx.duplicate();
            } else {
                cx.stats.case_ref_conflicts += 1;
            }
            return;
        }
        self.touch(cx);
        self.case = CaseStatus::Created(case);
        // The agent may have chosen a contact (or a lookup retry found the caller) while the
        // Case was being written.
        self.reconcile_case_party(cx);
        self.tell_everyone(cx);
    }

    pub(crate) fn on_case_not_found(&mut self, cx: &mut Ctx<'_>) {
        let CaseStatus::Finding { detail } = &self.case else {
            return cx.duplicate();
        };
        let detail = detail.clone();
        self.touch(cx);
        self.case = CaseStatus::Failed { detail };
        self.tell_everyone(cx);
    }

    pub(crate) fn on_case_create_failed(
        &mut self,
        cx: &mut Ctx<'_>,
        reason: String,
        permanent: bool,
    ) {
        if self.case != CaseStatus::Creating {
            return cx.duplicate();
        }
        self.touch(cx);
        if permanent {
            self.case = CaseStatus::Failed { detail: reason };
            self.tell_everyone(cx);
        } else if !self.delay_notified {
            self.delay_notified = true;
            for agent in self.audience.clone() {
                cx.notify(
                    &agent,
                    NotifyReason::CaseCreationDelayed {
                        detail: reason.clone(),
                    },
                );
            }
        }
    }

    pub(crate) fn on_manual_case(&mut self, cx: &mut Ctx<'_>, agent: AgentId) {
        if !self.involved.contains(&agent) {
            cx.ignored = Some(Ignored::NotOnCall);
            return cx.notify(&agent, NotifyReason::NotOnCall);
        }
        if !cx.linked(&agent) {
            cx.ignored = Some(Ignored::AgentNotLinked);
            return cx.notify(&agent, NotifyReason::AgentNotLinked);
        }
        self.touch(cx);
        self.audience.insert(agent.clone());
        match &self.case {
            CaseStatus::Created(case) => {
                self.told.insert(agent.clone(), Told::Shown);
                cx.out.push(Command::ShowCase {
                    agent,
                    call: cx.call_id.clone(),
                    case: case.clone(),
                });
            }
            CaseStatus::Creating | CaseStatus::Finding { .. } => {
                cx.notify(&agent, NotifyReason::CaseCreationInProgress);
            }
            CaseStatus::AwaitingContact { .. } => {
                // Asked for explicitly: stop waiting for the contact.
                let contact = self.resolved_contact().unwrap_or(None);
                self.create_case(cx, CaseTrigger::Automatic, contact);
            }
            CaseStatus::Failed { .. } => {
                // It may exist by now (replayed from the dead-letter list); if not, the agent is
                // told again why there is none.
                self.told.remove(&agent);
                self.find_case(cx);
            }
            CaseStatus::NotStarted | CaseStatus::Suppressed(_) => {
                let contact = self.resolved_contact().unwrap_or(None);
                let trigger = CaseTrigger::Manual {
                    requested_by: agent,
                };
                self.create_case(cx, trigger, contact);
            }
        }
    }
}

/// The pop for `agent` given the lookup's matches: one pops, several ask, none offers a new one.
fn pop_command(cx: &mut Ctx<'_>, agent: &AgentId, matches: &[ContactRef], number: &str) {
    let agent = agent.clone();
    let call = cx.call_id.clone();
    cx.out.push(match ScreenPop::of(matches.to_vec()) {
        ScreenPop::NewContact => Command::OfferNewContact {
            agent,
            call,
            number: number.to_owned(),
        },
        ScreenPop::Contact(contact) => Command::PopContact {
            agent,
            call,
            contact,
        },
        ScreenPop::Chooser(candidates) => Command::ShowChooser {
            agent,
            call,
            candidates,
        },
    });
}
