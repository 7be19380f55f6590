//! Telephony's settings, built from the validated configuration: once at start, and again on
//! each [`TelephonyHandle::reconfigure`](super::TelephonyHandle::reconfigure) while calls run.
//!
//! Everything that decides is the switchboard's (`Switchboard::reconfigure`); this file only
//! turns the configuration into what each part holds (the switchboard's queues and
//! memberships, the number routes, the tenants' trunks and prompts, the recording stores, the
//! web edge's directories) so that a start and a change build them the same way.

use parking_lot::RwLock;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use callbridge_config::telephony::{TelephonyConfig, WaitingTreatment};
use callbridge_config::Config;
use callbridge_core::{AgentId, QueueId, TenantId};
use callbridge_recording::{RecordingStore, StoreDirectory};
use callbridge_switchboard::{Memberships, QueueConfig, SwitchboardConfig, Waiting};
use thiserror::Error;

use super::admission::Admission;
use super::switch::TenantContext;
use super::{store_config, unserved, AgentDirectory, QueueDirectory, QueueFacts};

/// Why new settings were not applied. Nothing changed: calls, numbers and queues are as they
/// were.
#[derive(Debug, Error)]
pub enum ReconfigureError {
    #[error(
        "the configuration has no [telephony] section, so telephony cannot take its tenants; \
         keep the [telephony] section of the file telephony was started with"
    )]
    NoTelephony,
    /// A tenant's `[tenant.telephony]` without its `[[tenant]]` entry, or similar.
    #[error("{0}")]
    Tenants(String),
    #[error(
        "tenant {tenant}: the recording store cannot be used: {detail}; fix \
         [tenant.telephony.recordings]"
    )]
    RecordingStore { tenant: TenantId, detail: String },
    #[error(
        "queue {queue} of tenant {tenant}: the prompt {} cannot be played: {detail}; give a \
         mono WAV file that exists and is readable",
        path.display()
    )]
    Prompt {
        tenant: TenantId,
        queue: QueueId,
        path: PathBuf,
        detail: String,
    },
    #[error("the queues cannot be used: {0}")]
    Queues(#[from] callbridge_switchboard::ConfigError),
    #[error("telephony has stopped")]
    Stopped,
}

/// What a reconfiguration applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconfigured {
    /// Tenants telephony now serves.
    pub tenants: usize,
    /// Numbers (DIDs) that now route to a queue.
    pub numbers: usize,
    pub queues: usize,
    /// Agents of every tenant's `[[tenant.telephony.agent]]`.
    pub agents: usize,
    /// Calls in progress when the change was applied (none of them was ended by it unless it
    /// waited in a queue that was removed or left with nobody logged in).
    pub calls_in_progress: usize,
    /// Calls the change ended or turned to their queue's treatment (a removed queue, or one left
    /// with nobody logged in).
    pub calls_turned_away: usize,
    /// `[telephony]` keys whose new value differs from the running one and that only a restart
    /// applies (SIP listeners, media addresses and ports, the spool directory).
    pub restart_needed: Vec<&'static str>,
}

/// Everything telephony's parts hold that comes from the configuration.
pub(crate) struct Plan {
    pub board: SwitchboardConfig,
    pub memberships: Memberships,
    pub admission: Admission,
    pub tenants: HashMap<TenantId, TenantContext>,
    pub agents: AgentDirectory,
    pub queues: QueueDirectory,
    pub stores: HashMap<String, RecordingStore>,
    pub wall: callbridge_supervision::wall::WallSetup,
    /// Every music and announcement file, with its queue: decoded before the plan is used.
    pub prompts: Vec<(TenantId, QueueId, PathBuf)>,
    pub numbers: usize,
}

impl Plan {
    pub fn build(config: &Config) -> Result<Plan, ReconfigureError> {
        let telephony = config
            .telephony
            .as_ref()
            .ok_or(ReconfigureError::NoTelephony)?;
        Plan::for_telephony(telephony, config)
    }

    /// The plan of `telephony`, its tenants' regions and time zones taken from `config`.
    pub fn for_telephony(
        telephony: &TelephonyConfig,
        config: &Config,
    ) -> Result<Plan, ReconfigureError> {
        let mut tenants = HashMap::new();
        let mut agents = HashMap::new();
        let mut queues = HashMap::new();
        let mut stores = HashMap::new();
        let mut memberships = Memberships::new();
        let mut prompts = Vec::new();
        for t in &telephony.tenants {
            let entry = config
                .tenants
                .iter()
                .find(|c| c.id == t.tenant)
                .ok_or_else(|| {
                    ReconfigureError::Tenants(format!(
                        "tenant {} has telephony settings but no [[tenant]] entry: add one with \
                     id = \"{}\" (its default_region says how callers' numbers are read)",
                        t.tenant, t.tenant
                    ))
                })?;
            queues.insert(
                t.tenant.clone(),
                t.queues
                    .iter()
                    .map(|q| QueueFacts {
                        id: q.id.to_string(),
                        wrap_up: q.wrap_up,
                        service_level: q.service_level,
                    })
                    .collect(),
            );
            agents.insert(
                t.tenant.clone(),
                t.agents
                    .iter()
                    .map(|a| {
                        (
                            a.name.clone(),
                            a.queues.iter().map(|q| q.to_string()).collect(),
                        )
                    })
                    .collect(),
            );
            for a in &t.agents {
                let id = AgentId::in_tenant(&t.tenant, &a.name).map_err(|e| {
                    ReconfigureError::Tenants(format!(
                        "tenant {}: agent {:?} is not a usable name: {e}",
                        t.tenant, a.name
                    ))
                })?;
                memberships.insert(id, a.queues.clone());
            }
            for q in &t.queues {
                for path in [&q.music, &q.announcement].into_iter().flatten() {
                    prompts.push((t.tenant.clone(), q.id.clone(), path.clone()));
                }
            }
            let store = RecordingStore::from_config(&store_config(&t.recordings)).map_err(|e| {
                ReconfigureError::RecordingStore {
                    tenant: t.tenant.clone(),
                    detail: e.to_string(),
                }
            })?;
            stores.insert(t.tenant.as_str().to_string(), store);
            tenants.insert(
                t.tenant.clone(),
                TenantContext {
                    telephony: t.clone(),
                    region: entry.default_region,
                },
            );
        }
        let admission = Admission::new(telephony, |tenant| tenants.get(tenant).map(|t| t.region))
            .map_err(ReconfigureError::Tenants)?;
        let board = switchboard_config(telephony);
        // The switchboard's own check, before anything is started or changed.
        callbridge_switchboard::Switchboard::new(board.clone())?;
        Ok(Plan {
            board,
            memberships,
            admission,
            tenants,
            agents,
            queues,
            stores,
            wall: wall_setup(telephony, config),
            prompts,
            numbers: telephony.tenants.iter().map(|t| t.numbers.len()).sum(),
        })
    }

    /// Decodes every prompt once (the media engine keeps them), so that a file that cannot be
    /// played is a mistake of the settings and not a silent queue.
    pub async fn load_prompts(
        &self,
        media: &callbridge_media::Media,
    ) -> Result<(), ReconfigureError> {
        for (tenant, queue, path) in &self.prompts {
            media
                .preload(path.clone())
                .await
                .map_err(|e| ReconfigureError::Prompt {
                    tenant: tenant.clone(),
                    queue: queue.clone(),
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
        }
        Ok(())
    }
}

/// Each agent whose list of queues differs between `before` and `after`, with the new list
/// (empty for an agent `after` no longer lists): what their connected softphone is told.
pub(crate) fn queue_news(
    before: &AgentDirectory,
    after: &AgentDirectory,
) -> Vec<(AgentId, Vec<String>)> {
    let listed = |directory: &AgentDirectory| -> BTreeMap<(TenantId, String), Vec<String>> {
        directory
            .iter()
            .flat_map(|(tenant, agents)| {
                agents
                    .iter()
                    .map(move |(name, queues)| ((tenant.clone(), name.clone()), queues.clone()))
            })
            .collect()
    };
    let (before, after) = (listed(before), listed(after));
    let mut news: Vec<(AgentId, Vec<String>)> = Vec::new();
    for key in before.keys().chain(after.keys()) {
        let now = after.get(key).cloned().unwrap_or_default();
        if before.get(key).cloned().unwrap_or_default() == now {
            continue;
        }
        if let Ok(agent) = AgentId::in_tenant(&key.0, &key.1) {
            if !news.iter().any(|(a, _)| a == &agent) {
                news.push((agent, now));
            }
        }
    }
    news
}

/// The `[telephony]` keys a running telephony cannot change (its sockets and spool are open):
/// those whose value in `new` differs from `running`.
pub(crate) fn restart_needed(
    running: &TelephonyConfig,
    new: &TelephonyConfig,
) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if running.sip.udp != new.sip.udp {
        keys.push("sip_udp");
    }
    if running.sip.tcp != new.sip.tcp {
        keys.push("sip_tcp");
    }
    if running.sip.public_ip != new.sip.public_ip {
        keys.push("sip_public_ip");
    }
    if running.sip.flood_limit != new.sip.flood_limit {
        keys.push("sip_flood_limit");
    }
    if running.media.bind_ip != new.media.bind_ip {
        keys.push("media_bind_ip");
    }
    if running.media.public_ip != new.media.public_ip {
        keys.push("media_public_ip");
    }
    if running.media.rtp_ports != new.media.rtp_ports {
        keys.push("rtp_ports");
    }
    if running.media.media_timeout != new.media.media_timeout {
        keys.push("media_timeout_secs");
    }
    if running.spool_dir != new.spool_dir {
        keys.push("spool_dir");
    }
    keys
}

/// The tenants' recording stores, replaced as a whole by a reconfiguration. A tenant that is
/// removed keeps its store until the next start, so the recordings of its last calls (still on
/// the spool, or being uploaded) reach it.
#[derive(Default)]
pub(crate) struct LiveStores {
    stores: RwLock<HashMap<String, RecordingStore>>,
}

impl LiveStores {
    pub fn new(stores: HashMap<String, RecordingStore>) -> Self {
        LiveStores {
            stores: RwLock::new(stores),
        }
    }

    pub fn replace(&self, stores: HashMap<String, RecordingStore>) {
        let mut current = self.stores.write();
        current.extend(stores);
    }
}

impl StoreDirectory for LiveStores {
    fn store_for(&self, tenant: &str) -> Option<RecordingStore> {
        self.stores.read().get(tenant).cloned()
    }
}

pub(crate) fn switchboard_config(telephony: &TelephonyConfig) -> SwitchboardConfig {
    let mut config = SwitchboardConfig {
        agent_grace: telephony.agent_grace,
        ..SwitchboardConfig::default()
    };
    for tenant in &telephony.tenants {
        for q in &tenant.queues {
            let mut queue = QueueConfig::new(tenant.tenant.clone(), q.id.clone());
            queue.ring_timeout = q.ring_timeout;
            queue.waiting = match q.waiting {
                WaitingTreatment::Ringback => Waiting::Ringback,
                WaitingTreatment::Music => Waiting::Music,
            };
            queue.max_waiting = q.max_waiting;
            queue.max_wait = q.max_wait;
            queue.overflow = unserved(q.overflow);
            queue.no_agent = unserved(q.no_agent);
            queue.wrap_up = Some(q.wrap_up);
            config.queues.push(queue);
        }
    }
    config
}

/// What the wall lists before anything happens: each tenant's queues with their service-level
/// targets, and its agents, in configuration order.
fn wall_setup(
    telephony: &TelephonyConfig,
    config: &Config,
) -> callbridge_supervision::wall::WallSetup {
    use callbridge_supervision::wall::{AgentSetup, QueueSetup, TenantSetup, WallSetup};
    WallSetup {
        tenants: telephony
            .tenants
            .iter()
            .map(|t| TenantSetup {
                tenant: t.tenant.clone(),
                timezone: config
                    .tenants
                    .iter()
                    .find(|c| c.id == t.tenant)
                    .map_or(jiff::tz::TimeZone::UTC, |c| c.timezone.clone()),
                queues: t
                    .queues
                    .iter()
                    .map(|q| QueueSetup {
                        queue: q.id.clone(),
                        service_level: q.service_level,
                    })
                    .collect(),
                agents: t
                    .agents
                    .iter()
                    .map(|a| AgentSetup {
                        name: a.name.clone(),
                        queues: a.queues.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory(list: &[(&str, &str, &[&str])]) -> AgentDirectory {
        let mut directory = AgentDirectory::new();
        for (tenant, agent, queues) in list {
            directory.entry(TenantId::new(*tenant)).or_default().push((
                (*agent).to_string(),
                queues.iter().map(|q| (*q).to_string()).collect(),
            ));
        }
        directory
    }

    #[test]
    fn only_agents_whose_queues_changed_get_news_and_one_no_longer_listed_serves_none() {
        let before = directory(&[
            ("acme", "ann", &["support"]),
            ("acme", "bob", &["sales", "support"]),
            ("globex", "gil", &["support"]),
        ]);
        let after = directory(&[
            ("acme", "ann", &["support"]),
            ("acme", "bob", &["support", "sales"]),
            ("acme", "cat", &["billing"]),
        ]);
        let mut news: Vec<(String, Vec<String>)> = queue_news(&before, &after)
            .into_iter()
            .map(|(agent, queues)| (agent.to_string(), queues))
            .collect();
        news.sort();
        assert_eq!(
            news,
            [
                // The order of an agent's queues is the configuration's: a new order is news.
                (
                    "acme:bob".to_string(),
                    vec!["support".to_string(), "sales".to_string()]
                ),
                ("acme:cat".to_string(), vec!["billing".to_string()]),
                // Gil's tenant was removed: he serves no queue.
                ("globex:gil".to_string(), vec![]),
            ]
        );
        assert!(queue_news(&after, &after).is_empty());
    }
}
