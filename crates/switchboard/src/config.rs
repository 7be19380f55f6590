//! The switchboard's settings: queues and the agent rules the runtime validated from its config.

use std::collections::BTreeMap;
use std::time::Duration;

use callbridge_core::{AgentId, QueueId, TenantId};
use thiserror::Error;

/// What a caller hears while the queue looks for an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Waiting {
    /// The call is not answered: the caller hears ringing (180) and is not charged.
    Ringback,
    /// The call is answered and the queue's music plays.
    Music,
}

/// What happens to a call the queue cannot serve: the queue is full, the caller waited too long,
/// or nobody is logged in to the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unserved {
    /// Rejected as busy (486); hung up if the call was already answered.
    Busy,
    /// Answered, the queue's announcement plays, and the call is hung up when the runtime reports
    /// that the announcement finished.
    Announcement,
    /// Rejected as temporarily unavailable (480); hung up if the call was already answered.
    HangUp,
}

/// One queue of one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    pub tenant: TenantId,
    pub id: QueueId,
    /// How long one agent rings before the call moves on to the next.
    pub ring_timeout: Duration,
    /// What callers hear while they wait.
    pub waiting: Waiting,
    /// How many calls may wait (not counting calls ringing an agent); one more overflows.
    pub max_waiting: u32,
    /// How long a call may wait in this queue before it overflows.
    pub max_wait: Duration,
    /// What happens when the queue is full or the wait is too long.
    pub overflow: Unserved,
    /// What happens when nobody is logged in to the queue.
    pub no_agent: Unserved,
    /// Wrap-up after a call taken from this queue; `None` uses the global wrap-up.
    pub wrap_up: Option<Duration>,
}

impl QueueConfig {
    /// A queue with the defaults: 20 s ring timeout, ringback, 50 waiting calls, 10 minutes of
    /// waiting, busy on overflow, hang up when nobody is logged in, the global wrap-up.
    pub fn new(tenant: impl Into<TenantId>, id: impl Into<QueueId>) -> Self {
        QueueConfig {
            tenant: tenant.into(),
            id: id.into(),
            ring_timeout: Duration::from_secs(20),
            waiting: Waiting::Ringback,
            max_waiting: 50,
            max_wait: Duration::from_secs(600),
            overflow: Unserved::Busy,
            no_agent: Unserved::HangUp,
            wrap_up: None,
        }
    }
}

/// What happens to an agent who lets a call ring until the ring timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MissedCallPolicy {
    /// The agent becomes Unavailable ("missed a call") until they make themselves available, so
    /// an agent who walked away stops receiving calls.
    #[default]
    MakeUnavailable,
    /// The agent stays available (at the back of the idle order).
    StayAvailable,
}

/// Everything the switchboard needs to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwitchboardConfig {
    pub queues: Vec<QueueConfig>,
    /// What happens to an agent who does not answer in time.
    pub missed_call: MissedCallPolicy,
    /// Wrap-up after a call whose queue sets none (and after outbound calls). Default 0.
    pub wrap_up: Duration,
    /// How long a transferred call rings the target agent before it falls back to the call's
    /// queue. Default 20 s.
    pub transfer_ring_timeout: Duration,
    /// How long an outbound call may go unanswered before it is given up as "no answer".
    /// Default 60 s.
    pub outbound_answer_timeout: Duration,
    /// How long an ended call's id is remembered so that late or duplicated inputs cannot start
    /// it again. Default 5 minutes.
    pub ended_call_memory: Duration,
    /// How long a call in progress waits for its agent whose softphone went away without
    /// signing out (a reload, a network blip, another tab taking over) before it ends.
    /// Default 20 s; zero ends the call at once, as a sign-out does.
    pub agent_grace: Duration,
}

impl Default for SwitchboardConfig {
    fn default() -> Self {
        SwitchboardConfig {
            queues: Vec::new(),
            missed_call: MissedCallPolicy::default(),
            wrap_up: Duration::ZERO,
            transfer_ring_timeout: Duration::from_secs(20),
            outbound_answer_timeout: Duration::from_secs(60),
            ended_call_memory: Duration::from_secs(300),
            agent_grace: Duration::from_secs(20),
        }
    }
}

/// A configuration the switchboard cannot run with.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("queue {queue} of tenant {tenant} is configured twice")]
    DuplicateQueue { tenant: TenantId, queue: QueueId },
    #[error(
        "queue {queue} of tenant {tenant} has a ring timeout of zero; agents could never answer"
    )]
    ZeroRingTimeout { tenant: TenantId, queue: QueueId },
    #[error("the transfer ring timeout is zero; a transferred call could never be answered")]
    ZeroTransferRingTimeout,
    #[error("the outbound answer timeout is zero; an outbound call could never be answered")]
    ZeroOutboundAnswerTimeout,
    #[error(
        "agent {agent} is listed in queue {queue}, which tenant {tenant} does not have; \
         add the queue or take it out of the agent's queues"
    )]
    UnknownMemberQueue {
        agent: AgentId,
        tenant: TenantId,
        queue: QueueId,
    },
}

/// A queue is known by its tenant and its id: two tenants may both have a "support" queue.
pub(crate) type QueueKey = (TenantId, QueueId);

impl SwitchboardConfig {
    /// Checks the settings and indexes the queues by tenant and id.
    pub(crate) fn index_queues(&self) -> Result<BTreeMap<QueueKey, QueueConfig>, ConfigError> {
        if self.transfer_ring_timeout.is_zero() {
            return Err(ConfigError::ZeroTransferRingTimeout);
        }
        if self.outbound_answer_timeout.is_zero() {
            return Err(ConfigError::ZeroOutboundAnswerTimeout);
        }
        let mut queues = BTreeMap::new();
        for queue in &self.queues {
            if queue.ring_timeout.is_zero() {
                return Err(ConfigError::ZeroRingTimeout {
                    tenant: queue.tenant.clone(),
                    queue: queue.id.clone(),
                });
            }
            let key = (queue.tenant.clone(), queue.id.clone());
            if queues.insert(key, queue.clone()).is_some() {
                return Err(ConfigError::DuplicateQueue {
                    tenant: queue.tenant.clone(),
                    queue: queue.id.clone(),
                });
            }
        }
        Ok(queues)
    }
}
