//! Call-detail records: one per call, written when it ends.

use callbridge_core::{
    AgentId, CallId, CallerNumber, Direction, EndCause, QueueId, TenantId, Timestamp,
    TransferTarget,
};
use callbridge_kernel::time::{Now, WallTime};
use serde::{Deserialize, Serialize};

use crate::outbound::OutboundFailure;

/// How a call turned out.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    /// An agent talked to the customer (however the call ended afterwards; see `end_cause`).
    Answered,
    /// The customer hung up before any agent answered.
    Abandoned,
    /// Nobody was logged in to the queue.
    NoAgent,
    /// The queue was full or the caller waited longer than the queue allows.
    Overflow,
    /// An outbound call was not answered.
    OutboundFailed(OutboundFailure),
    /// The agent hung up an outbound call before it was answered.
    Cancelled,
    /// The call failed before anyone answered (trunk, media, an agent's disconnection).
    Failed(String),
}

impl Outcome {
    /// A short word for storage columns and reports.
    pub fn as_word(&self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::NoAgent => "no_agent",
            Outcome::Overflow => "overflow",
            Outcome::OutboundFailed(_) => "outbound_failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// What an agent did with a call offered to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferResult {
    /// Still ringing (only while the call is in progress; never in a finished record).
    Ringing,
    Answered,
    /// Rang until the ring timeout.
    Missed,
    Declined,
    /// The ring stopped for a reason that is not the agent's: the customer hung up, the agent's
    /// softphone went away, the call failed.
    Withdrawn,
}

/// One time a call rang at an agent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OfferRecord {
    pub agent: AgentId,
    pub at: WallTime,
    pub result: OfferResult,
}

/// One blind transfer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransferRecord {
    pub at: WallTime,
    pub from: AgentId,
    pub to: TransferTarget,
}

/// The call-detail record of one finished call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cdr {
    pub call: CallId,
    pub tenant: TenantId,
    pub direction: Direction,
    /// The customer's number (inbound: the caller; outbound: the number dialled).
    pub customer: CallerNumber,
    /// Inbound: the number the customer dialled; outbound: the number the agent dialled.
    pub dialled: String,
    /// Every queue the call waited in, in order (transfers to queues add to it).
    pub queues: Vec<QueueId>,
    /// Every time in a record is a wall-clock reading: when it happened in the world.
    pub created_at: WallTime,
    /// When the call first joined a queue.
    pub queued_at: Option<WallTime>,
    /// When an agent (or, outbound, the called party) first answered.
    pub first_answered_at: Option<WallTime>,
    pub ended_at: WallTime,
    /// Every agent the call rang at, in order.
    pub offers: Vec<OfferRecord>,
    /// The agent who answered first (outbound: the agent who dialled, once answered).
    pub first_agent: Option<AgentId>,
    /// The agent who had the call last (outbound: the agent who dialled).
    pub last_agent: Option<AgentId>,
    pub transfers: Vec<TransferRecord>,
    pub hold_count: u32,
    /// From creation to the first answer (or to the end, if never answered), measured on the
    /// monotonic clock: a step of the wall clock during the call does not change it.
    pub wait_ms: u64,
    /// From the first answer to the end, holds and transfers included (monotonic, like
    /// `wait_ms`).
    pub talk_ms: u64,
    pub outcome: Outcome,
    pub end_cause: EndCause,
}

/// The record as the call goes, finished by [`CdrDraft::finish`].
#[derive(Clone, Debug)]
pub(crate) struct CdrDraft {
    pub call: CallId,
    pub tenant: TenantId,
    pub direction: Direction,
    pub customer: CallerNumber,
    pub dialled: String,
    pub queues: Vec<QueueId>,
    pub created_at: WallTime,
    pub queued_at: Option<WallTime>,
    pub first_answered_at: Option<WallTime>,
    /// The monotonic readings that durations and queue order are measured with.
    created: Timestamp,
    queued: Option<Timestamp>,
    first_answered: Option<Timestamp>,
    pub offers: Vec<OfferRecord>,
    pub first_agent: Option<AgentId>,
    pub last_agent: Option<AgentId>,
    pub transfers: Vec<TransferRecord>,
    pub hold_count: u32,
}

impl CdrDraft {
    pub fn new(
        call: CallId,
        tenant: TenantId,
        direction: Direction,
        customer: CallerNumber,
        dialled: String,
        now: Now,
    ) -> Self {
        CdrDraft {
            call,
            tenant,
            direction,
            customer,
            dialled,
            queues: Vec::new(),
            created_at: now.wall,
            queued_at: None,
            first_answered_at: None,
            created: now.monotonic,
            queued: None,
            first_answered: None,
            offers: Vec::new(),
            first_agent: None,
            last_agent: None,
            transfers: Vec::new(),
            hold_count: 0,
        }
    }

    pub fn joined_queue(&mut self, queue: &QueueId, now: Now) {
        self.queued_at.get_or_insert(now.wall);
        self.queued.get_or_insert(now.monotonic);
        self.queues.push(queue.clone());
    }

    pub fn offered(&mut self, agent: &AgentId, now: Now) {
        self.offers.push(OfferRecord {
            agent: agent.clone(),
            at: now.wall,
            result: OfferResult::Ringing,
        });
    }

    /// Since when (monotonic) the caller has been waiting for an agent: since they first joined
    /// a queue, or since the call began.
    pub fn waiting_since(&self) -> Timestamp {
        self.queued.unwrap_or(self.created)
    }

    /// Settles the latest offer to `agent` that is still ringing.
    pub fn offer_ended(&mut self, agent: &AgentId, result: OfferResult) {
        if let Some(offer) = self
            .offers
            .iter_mut()
            .rev()
            .find(|o| &o.agent == agent && o.result == OfferResult::Ringing)
        {
            offer.result = result;
        }
    }

    pub fn answered_by(&mut self, agent: &AgentId, now: Now) {
        self.first_answered_at.get_or_insert(now.wall);
        self.first_answered.get_or_insert(now.monotonic);
        self.first_agent.get_or_insert_with(|| agent.clone());
        self.last_agent = Some(agent.clone());
    }

    pub fn finish(mut self, now: Now, outcome: Outcome, end_cause: EndCause) -> Cdr {
        for offer in &mut self.offers {
            if offer.result == OfferResult::Ringing {
                offer.result = OfferResult::Withdrawn;
            }
        }
        // A wall clock stepped back during the call must not end it before it began.
        let ended_at = now.wall.max(self.created_at);
        let ended = now.monotonic.max(self.created);
        let wait_until = self.first_answered.unwrap_or(ended);
        Cdr {
            wait_ms: wait_until.saturating_since(self.created).as_millis() as u64,
            talk_ms: self
                .first_answered
                .map(|at| ended.saturating_since(at).as_millis() as u64)
                .unwrap_or(0),
            call: self.call,
            tenant: self.tenant,
            direction: self.direction,
            customer: self.customer,
            dialled: self.dialled,
            queues: self.queues,
            created_at: self.created_at,
            queued_at: self.queued_at,
            first_answered_at: self.first_answered_at,
            ended_at,
            offers: self.offers,
            first_agent: self.first_agent,
            last_agent: self.last_agent,
            transfers: self.transfers,
            hold_count: self.hold_count,
            outcome,
            end_cause,
        }
    }
}
