//! New settings while calls run: queues added, changed or removed, and logged-in agents' queue
//! memberships replaced, without ending any call that the change does not have to end.
//!
//! The rules (docs/ARCHITECTURE.md, "Telephony reconfigured live", says the same):
//!
//! - **Nothing is half-applied.** The new settings are checked first; a mistake changes nothing.
//! - **A call keeps the terms it joined with.** A waiting call keeps its place and its max-wait
//!   deadline; a ring in progress keeps its ring timeout. A lowered `max_waiting` turns away the
//!   next arrivals while the queue holds as many calls as the new limit or more, and throws
//!   nobody out. Treatments (`overflow`, `no_agent`) and `wrap_up` are read when they are
//!   needed, so the new ones apply from then on.
//! - **A removed queue's waiting callers get its no-agent treatment** (as when its last agent
//!   logs out), as the queue was configured before the change. A call ringing an agent from it
//!   keeps ringing; unanswered, it gets that same treatment. An answered call is not touched.
//! - **Memberships** replace the queues of every logged-in agent: an agent the settings no
//!   longer list serves no queue (their call in progress goes on). An agent taken out of a queue
//!   while a call from it rings them may still answer it; while talking or wrapping up, nothing
//!   changes until they are available, when they are offered calls of their new queues only.
//!   A queue left with nobody logged in gives its waiting callers its no-agent treatment.
//! - Afterwards, as after every input, no call waits while an agent who serves its queue is idle.

use std::collections::BTreeMap;

use callbridge_core::{AgentId, QueueId, TenantId};
use callbridge_kernel::time::Now;

use super::Switchboard;
use crate::config::{ConfigError, QueueConfig, SwitchboardConfig};
use crate::output::Output;

/// The queues each configured agent serves, by agent (of every tenant).
pub type Memberships = BTreeMap<AgentId, Vec<QueueId>>;

impl Switchboard {
    /// Applies new settings and memberships at `now`; returns what to do, in order (the calls
    /// a removed or emptied queue cannot serve any more, the calls offered to agents who now
    /// serve a queue with callers waiting). A mistake in them is returned and changes nothing.
    pub fn reconfigure(
        &mut self,
        now: Now,
        config: SwitchboardConfig,
        memberships: &Memberships,
    ) -> Result<Vec<Output>, ConfigError> {
        let indexed = config.index_queues()?;
        for (agent, queues) in memberships {
            let tenant = agent.tenant();
            if let Some(queue) = queues
                .iter()
                .find(|q| !indexed.contains_key(&(tenant.clone(), (*q).clone())))
            {
                return Err(ConfigError::UnknownMemberQueue {
                    agent: agent.clone(),
                    tenant: tenant.clone(),
                    queue: queue.clone(),
                });
            }
        }
        self.advance(now);
        let mut out = Vec::new();

        // Removed queues stay in the table (with their old settings) until their callers have
        // been given their no-agent treatment below.
        let removed: Vec<(TenantId, QueueId)> = self
            .queues
            .keys()
            .into_iter()
            .filter(|key| !indexed.contains_key(key))
            .collect();
        for (key, queue) in indexed {
            self.retired.remove(&key);
            self.queues.configure(queue);
        }
        self.config = config;

        let mut left: Vec<(TenantId, QueueId)> = Vec::new();
        let online: Vec<AgentId> = self.agents.keys().cloned().collect();
        for agent in &online {
            let mut queues = memberships.get(agent).cloned().unwrap_or_default();
            queues.sort();
            queues.dedup();
            let tenant = agent.tenant().clone();
            let gone = self.set_queues(agent, queues);
            left.extend(gone.into_iter().map(|q| (tenant.clone(), q)));
        }

        for (tenant, queue) in &removed {
            self.close_queue(tenant, queue, &mut out);
        }
        left.sort();
        left.dedup();
        for (tenant, queue) in left.into_iter().filter(|key| !removed.contains(key)) {
            self.drain_unstaffed_queues(&tenant, std::slice::from_ref(&queue), &mut out);
        }
        for agent in &online {
            self.offer_waiting_call(agent, &mut out);
        }
        self.prune_retired();
        Ok(out)
    }

    /// A queue the settings no longer have: its waiting callers get its no-agent treatment, then
    /// it goes, its settings kept for the calls still ringing an agent from it.
    fn close_queue(&mut self, tenant: &TenantId, queue: &QueueId, out: &mut Vec<Output>) {
        let waiting: Vec<_> = self
            .queues
            .get(tenant, queue)
            .map(|q| q.waiting.values().cloned().collect())
            .unwrap_or_default();
        for call in waiting {
            self.unserved_no_agent(call, out);
        }
        if let Some(config) = self.queues.remove(tenant, queue) {
            self.retired.insert((tenant.clone(), queue.clone()), config);
        }
    }

    /// A queue's settings: a configured queue's, or the last ones of a queue removed while
    /// calls from it were still in progress (their treatment and wrap-up).
    pub(super) fn queue_config(&self, tenant: &TenantId, queue: &QueueId) -> Option<&QueueConfig> {
        self.queues
            .get(tenant, queue)
            .map(|q| &q.config)
            .or_else(|| self.retired.get(&(tenant.clone(), queue.clone())))
    }

    /// Forgets the settings of removed queues no call in progress belongs to any more.
    fn prune_retired(&mut self) {
        let in_use: std::collections::BTreeSet<(TenantId, QueueId)> = self
            .calls
            .values()
            .flat_map(|call| {
                let ringing_from = match &call.phase {
                    crate::call::Phase::Ringing { route, .. } => route.queue().cloned(),
                    crate::call::Phase::Connected { queue, .. } => queue.clone(),
                    _ => None,
                };
                [call.queue.clone(), ringing_from]
                    .into_iter()
                    .flatten()
                    .map(|q| (call.tenant.clone(), q))
            })
            .collect();
        self.retired.retain(|key, _| in_use.contains(key));
    }
}
