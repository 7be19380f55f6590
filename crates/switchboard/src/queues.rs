//! The queues' live state: who is logged in, who is idle (in idle order) and which calls wait
//! (in wait order). These indexes make both routing questions a walk from the front of an
//! ordered map: "the longest-idle available agent of this queue" and "the longest-waiting call
//! among these queues".

use std::collections::{BTreeMap, BTreeSet};

use callbridge_core::{AgentId, CallId, QueueId, TenantId};

use crate::agent::IdleKey;
use crate::call::WaitKey;
use crate::config::{QueueConfig, QueueKey};

#[derive(Debug)]
pub(crate) struct QueueState {
    pub config: QueueConfig,
    /// Logged-in agents serving the queue, whatever their state.
    pub members: BTreeSet<AgentId>,
    /// Available agents, longest idle first.
    pub idle: BTreeMap<IdleKey, AgentId>,
    /// Calls waiting for an agent (not those ringing one), longest waiting first.
    pub waiting: BTreeMap<WaitKey, CallId>,
}

impl QueueState {
    /// The longest-idle available agent, preferring agents not in `tried`; an agent who already
    /// declined or missed the call is offered it again only when nobody else is idle.
    pub fn longest_idle(&self, tried: &[AgentId]) -> Option<&AgentId> {
        self.idle
            .values()
            .find(|agent| !tried.contains(agent))
            .or_else(|| self.idle.values().next())
    }

    pub fn longest_waiting(&self) -> Option<(&WaitKey, &CallId)> {
        self.waiting.iter().next()
    }

    /// Whether one more call would exceed the queue's waiting limit.
    pub fn is_full(&self) -> bool {
        self.waiting.len() >= self.config.max_waiting as usize
    }
}

/// Every queue, by tenant then id (two tenants may use the same queue id).
#[derive(Debug, Default)]
pub(crate) struct Queues {
    by_tenant: BTreeMap<TenantId, BTreeMap<QueueId, QueueState>>,
}

impl Queues {
    pub fn new(configs: BTreeMap<QueueKey, QueueConfig>) -> Self {
        let mut by_tenant: BTreeMap<TenantId, BTreeMap<QueueId, QueueState>> = BTreeMap::new();
        for ((tenant, id), config) in configs {
            by_tenant.entry(tenant).or_default().insert(
                id,
                QueueState {
                    config,
                    members: BTreeSet::new(),
                    idle: BTreeMap::new(),
                    waiting: BTreeMap::new(),
                },
            );
        }
        Queues { by_tenant }
    }

    pub fn get(&self, tenant: &TenantId, queue: &QueueId) -> Option<&QueueState> {
        self.by_tenant.get(tenant)?.get(queue)
    }

    pub fn get_mut(&mut self, tenant: &TenantId, queue: &QueueId) -> Option<&mut QueueState> {
        self.by_tenant.get_mut(tenant)?.get_mut(queue)
    }

    pub fn contains(&self, tenant: &TenantId, queue: &QueueId) -> bool {
        self.get(tenant, queue).is_some()
    }

    /// Every queue's tenant and id, in order.
    pub fn keys(&self) -> Vec<QueueKey> {
        self.by_tenant
            .iter()
            .flat_map(|(tenant, queues)| queues.keys().map(|q| (tenant.clone(), q.clone())))
            .collect()
    }

    /// Adds a queue nobody serves yet, or gives an existing one its new settings (its members,
    /// idle agents and waiting calls stay).
    pub fn configure(&mut self, config: QueueConfig) {
        let queues = self.by_tenant.entry(config.tenant.clone()).or_default();
        match queues.get_mut(&config.id) {
            Some(state) => state.config = config,
            None => {
                queues.insert(
                    config.id.clone(),
                    QueueState {
                        config,
                        members: BTreeSet::new(),
                        idle: BTreeMap::new(),
                        waiting: BTreeMap::new(),
                    },
                );
            }
        }
    }

    /// Takes a queue out; returns its settings.
    pub fn remove(&mut self, tenant: &TenantId, queue: &QueueId) -> Option<QueueConfig> {
        let queues = self.by_tenant.get_mut(tenant)?;
        let removed = queues.remove(queue).map(|state| state.config);
        if queues.is_empty() {
            self.by_tenant.remove(tenant);
        }
        removed
    }
}
