//! Starting and stopping telephony: the SIP endpoint, the media engine, the recorder and
//! uploader, the integration feed and the switch loop that ties them together.

mod admission;
mod calls;
mod feed;
mod recorder;
mod softphones;
mod switch;
pub mod wall;
mod words;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use callbridge_config::Config;
use callbridge_core::TenantId;
use callbridge_core::{AgentId, Event};
use callbridge_media::{Media, MediaConfig};
use callbridge_sip::{FloodLimit, SipConfig, SipEndpoint};
use callbridge_store::Store;
use callbridge_switchboard::{QueueConfig, Switchboard, SwitchboardConfig, Unserved, Waiting};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use admission::{Admission, Refused, Route};
pub use recorder::RecordingDone;
pub use softphones::{Attached, Softphones};
pub use switch::{outbound_failure, Request};

use crate::softphone::protocol::ClientMessage;

use callbridge_config::telephony::{
    RecordingStorage, S3Credentials, TelephonyConfig, WaitingTreatment,
};
use recorder::{Recorder, RecorderThread};
use switch::{Sources, Switch, TenantContext};

/// Each tenant's configured agents: name and the queues they serve.
type AgentDirectory = HashMap<TenantId, Vec<(String, Vec<String>)>>;

/// Each tenant's queues: name, after-call work time and service-level target.
type QueueDirectory = HashMap<TenantId, Vec<QueueFacts>>;

/// What the web edge asks of a configured queue.
#[derive(Clone, Debug)]
pub(crate) struct QueueFacts {
    id: String,
    wrap_up: std::time::Duration,
    service_level: std::time::Duration,
}

/// What the agent's WebSocket (the web edge) needs from the running telephony: who may connect,
/// and a way to attach a connection, pass on what the agent sends and detach it.
#[derive(Clone)]
pub struct TelephonyHandle {
    pub(crate) requests: mpsc::UnboundedSender<Request>,
    pub(crate) phones: Arc<Softphones>,
    pub(crate) agents: Arc<AgentDirectory>,
    pub(crate) queues: Arc<QueueDirectory>,
    pub(crate) recording_stores: Arc<callbridge_recording::TenantStores>,
    pub(crate) wall: wall::WallWatch,
}

impl TelephonyHandle {
    /// The tenant's recording store (`[tenant.telephony.recordings]`), for the recording page.
    pub fn recording_store(&self, tenant: &str) -> Option<callbridge_recording::RecordingStore> {
        use callbridge_recording::StoreDirectory as _;
        self.recording_stores.store_for(tenant)
    }

    /// The supervisor's live wall of every tenant telephony serves.
    pub fn wall(&self) -> &wall::WallWatch {
        &self.wall
    }

    /// Whether the tenant has telephony settings (`[tenant.telephony]`).
    pub fn serves_tenant(&self, tenant: &str) -> bool {
        self.agents.contains_key(&TenantId::new(tenant))
    }

    /// Makes a new connection the agent's softphone (replacing an older one, which logs the
    /// agent out first): what telephony has to tell the agent arrives on the returned stream.
    pub fn attach(&self, agent: &AgentId) -> Attached {
        self.phones.attach(agent)
    }

    /// The attached connection has welcomed the agent: telephony now tells it the agent's state.
    pub fn welcomed(&self, agent: &AgentId) {
        let _ = self.requests.send(Request::Attached {
            agent: agent.clone(),
        });
    }

    /// A message from the agent's softphone (anything but `ping`, which the connection answers).
    pub fn message(&self, agent: &AgentId, message: ClientMessage) {
        let _ = self.requests.send(Request::Message {
            agent: agent.clone(),
            message,
        });
    }

    /// The connection `id` ended, whichever way; if it was still the agent's softphone, the
    /// agent is logged out when `signed_out` (its session ended), and otherwise a call in
    /// progress waits for the agent's next connection (the grace period).
    pub fn detach(&self, agent: &AgentId, id: u64, signed_out: bool) {
        self.phones.detach(agent, id, signed_out);
    }

    /// The agent's session ended while no softphone of theirs is connected: a call that waits
    /// for them (the grace period) ends now, as a sign-out on a connection would. A connected
    /// softphone is left to its own close (`4401`, or none for a ticket's connection).
    pub fn signed_out(&self, agent: &AgentId) {
        if !self.phones.is_connected(agent) {
            let _ = self.requests.send(Request::Detached {
                agent: agent.clone(),
                signed_out: true,
            });
        }
    }

    /// The tenant's configured agents (name, queues), in configuration order; empty for a
    /// tenant without telephony.
    pub fn agents(&self, tenant: &str) -> Vec<(String, Vec<String>)> {
        self.agents
            .get(&TenantId::new(tenant))
            .cloned()
            .unwrap_or_default()
    }

    /// The tenant's queues with their after-call work time, in configuration order.
    pub fn queues(&self, tenant: &str) -> Vec<(String, std::time::Duration)> {
        self.queues
            .get(&TenantId::new(tenant))
            .map(|queues| queues.iter().map(|q| (q.id.clone(), q.wrap_up)).collect())
            .unwrap_or_default()
    }

    /// The tenant's queues with their service-level target (`service_level_secs`), in
    /// configuration order.
    pub fn service_levels(&self, tenant: &str) -> Vec<(String, std::time::Duration)> {
        self.queues
            .get(&TenantId::new(tenant))
            .map(|queues| {
                queues
                    .iter()
                    .map(|q| (q.id.clone(), q.service_level))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The agent's state as last told to their softphone (`agent_state.state`), `offline`
    /// when no softphone is connected.
    pub fn agent_state(&self, agent: &AgentId) -> String {
        self.phones
            .last_state(agent)
            .unwrap_or_else(|| "offline".to_string())
    }

    /// The queues of a configured agent, or None if the tenant has no such agent.
    pub fn agent_queues(&self, tenant: &str, agent: &str) -> Option<Vec<String>> {
        self.agents
            .get(&TenantId::new(tenant))?
            .iter()
            .find(|(name, _)| name == agent)
            .map(|(_, queues)| queues.clone())
    }
}

/// Where telephony's call events go, one by one in the order it produces them: the CRM engine.
/// Whoever starts telephony hands it one (the integration's runtime handle, in a closure), so
/// telephony knows nothing of the integration's runtime.
pub trait CallEventSink: Send + Sync + 'static {
    fn submit(&self, event: Event);
}

impl<F: Fn(Event) + Send + Sync + 'static> CallEventSink for F {
    fn submit(&self, event: Event) {
        self(event)
    }
}

/// How long a stop waits for the call events still to be journalled.
const JOURNAL_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Running telephony.
pub struct Telephony {
    handle: TelephonyHandle,
    sip: SipEndpoint,
    sip_addrs: Vec<SocketAddr>,
    recorder: Option<RecorderThread>,
    uploader: Option<callbridge_recording::Uploader>,
    tasks: Vec<JoinHandle<()>>,
    /// Journals call events behind the engine; drained, not aborted, at shutdown.
    journal: Option<JoinHandle<()>>,
}

impl Telephony {
    /// Starts telephony for `telephony`'s tenants, feeding call events to `integration`.
    pub async fn start(
        telephony: &TelephonyConfig,
        config: &Config,
        integration: Arc<dyn CallEventSink>,
        store: Store,
    ) -> anyhow::Result<Telephony> {
        let board = Switchboard::new(switchboard_config(telephony))
            .context("the queue configuration is not usable")?;
        let (media, media_events) = Media::start(MediaConfig {
            bind_ip: telephony.media.bind_ip,
            public_ip: telephony.media.public_ip,
            port_range: telephony.media.rtp_ports.clone(),
            media_timeout: telephony.media.media_timeout,
            agent_timeout: std::time::Duration::from_secs(10),
        })
        .context("the media settings are not usable")?;
        let (sip, sip_events) = SipEndpoint::start(SipConfig {
            udp: telephony.sip.udp,
            tcp: telephony.sip.tcp,
            user_agent: format!("Callbridge/{}", env!("CARGO_PKG_VERSION")),
            public_ip: telephony.sip.public_ip,
            flood_limit: Some(FloodLimit {
                requests_per_second: telephony.sip.flood_limit,
                burst: telephony.sip.flood_limit.saturating_mul(2),
            }),
            ..SipConfig::default()
        })
        .await
        .context("starting the SIP endpoint")?;
        let addrs = sip.local_addrs();
        let sip_addrs: Vec<SocketAddr> = addrs.udp.into_iter().chain(addrs.tcp).collect();

        // Recordings: recover what a previous run left on the spool before anything new.
        let spool = Arc::new(
            callbridge_recording::Spool::open(&telephony.spool_dir).with_context(|| {
                format!(
                    "opening the recording spool {}",
                    telephony.spool_dir.display()
                )
            })?,
        );
        let mut stores = callbridge_recording::TenantStores::new();
        for tenant in &telephony.tenants {
            let store = callbridge_recording::RecordingStore::from_config(&store_config(
                &tenant.recordings,
            ))
            .with_context(|| format!("tenant {}: recording storage", tenant.tenant))?;
            stores = stores.with_tenant(tenant.tenant.as_str(), store);
        }
        let stores = Arc::new(stores);
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        let uploader =
            callbridge_recording::Uploader::spawn(stores.clone(), Default::default(), ready_tx);
        let recovered = spool.recover().context("recovering the recording spool")?;
        if !recovered.is_empty() {
            tracing::info!(
                count = recovered.len(),
                "uploading recordings left by the previous run"
            );
        }
        for r in recovered {
            uploader.submit(r);
        }
        let (recorder, recorder_thread) = Recorder::start(spool, uploader.queue());
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let forward = recorder::forward_ready(ready_rx, done_tx, store.clone(), stores.clone());

        // Prompts are decoded once, before the first call needs them.
        for queue in telephony.tenants.iter().flat_map(|t| &t.queues) {
            for path in [&queue.music, &queue.announcement].into_iter().flatten() {
                media
                    .preload(path.clone())
                    .await
                    .with_context(|| format!("queue {}: prompt {}", queue.id, path.display()))?;
            }
        }
        let (feed, feed_task) = feed::Feed::start(store.clone(), integration);
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let phones = Arc::new(Softphones::new(requests.clone()));
        let mut tenants = HashMap::new();
        let mut agents = HashMap::new();
        let mut queues = HashMap::new();
        for t in &telephony.tenants {
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
            let region = config
                .tenants
                .iter()
                .find(|c| c.id == t.tenant)
                .map(|c| c.default_region)
                .with_context(|| {
                    format!(
                        "tenant {} has telephony settings but no [[tenant]] entry",
                        t.tenant
                    )
                })?;
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
            tenants.insert(
                t.tenant.clone(),
                TenantContext {
                    telephony: t.clone(),
                    region,
                },
            );
        }
        let admission = Admission::new(telephony, |tenant| tenants.get(tenant).map(|t| t.region))
            .map_err(anyhow::Error::msg)?;
        let clock = callbridge_kernel::time::Clock::start();
        let (wall_feed, wall_watch, wall_task) = wall::start(wall_setup(telephony, config), clock);
        let switch = Switch {
            board,
            calls: Default::default(),
            tenants,
            admission,
            sip: sip.clone(),
            media,
            phones: phones.clone(),
            feed,
            recorder,
            store,
            pending: Default::default(),
            refusal_log: callbridge_sip::SourceLogThrottle::new(std::time::Duration::from_secs(10)),
            clock,
            last_ended: Default::default(),
            wall: wall_feed,
        };
        let switch_task = tokio::spawn(switch.run(Sources {
            sip: sip_events,
            media: media_events,
            requests: requests_rx,
            recordings: done_rx,
        }));
        tracing::info!(sip = ?sip_addrs, "telephony started");
        Ok(Telephony {
            handle: TelephonyHandle {
                requests,
                phones,
                agents: Arc::new(agents),
                queues: Arc::new(queues),
                recording_stores: stores,
                wall: wall_watch,
            },
            sip,
            sip_addrs,
            recorder: Some(recorder_thread),
            uploader: Some(uploader),
            tasks: vec![switch_task, forward, wall_task],
            journal: Some(feed_task),
        })
    }

    pub fn handle(&self) -> TelephonyHandle {
        self.handle.clone()
    }

    /// Where SIP listens (UDP first, then TCP).
    pub fn sip_addrs(&self) -> &[SocketAddr] {
        &self.sip_addrs
    }

    /// Stops accepting calls, finishes recordings in progress (they upload at the next start)
    /// and stops every task.
    pub async fn shutdown(mut self) {
        self.sip.shutdown();
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        // The switch is gone with its feed: the journal task writes what it still holds (the
        // engine already has those events) and ends.
        if let Some(mut journal) = self.journal.take() {
            if tokio::time::timeout(JOURNAL_DRAIN, &mut journal)
                .await
                .is_err()
            {
                tracing::warn!("call events not journalled within {JOURNAL_DRAIN:?} of the stop; a restart will not replay them");
                journal.abort();
            }
        }
        if let Some(recorder) = self.recorder.take() {
            let _ = tokio::task::spawn_blocking(move || recorder.join()).await;
        }
        if let Some(uploader) = self.uploader.take() {
            uploader.shutdown().await;
        }
    }
}

fn switchboard_config(telephony: &TelephonyConfig) -> SwitchboardConfig {
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

fn unserved(u: callbridge_config::telephony::Unserved) -> Unserved {
    match u {
        callbridge_config::telephony::Unserved::Busy => Unserved::Busy,
        callbridge_config::telephony::Unserved::Announcement => Unserved::Announcement,
        callbridge_config::telephony::Unserved::HangUp => Unserved::HangUp,
    }
}

pub(crate) fn store_config(
    storage: &RecordingStorage,
) -> callbridge_recording::RecordingStoreConfig {
    match storage {
        RecordingStorage::Local { root } => {
            callbridge_recording::RecordingStoreConfig::Local { root: root.clone() }
        }
        RecordingStorage::S3 {
            bucket,
            region,
            endpoint,
            credentials,
            prefix,
        } => callbridge_recording::RecordingStoreConfig::S3 {
            bucket: bucket.clone(),
            region: region.clone(),
            allow_http: endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://")),
            endpoint: endpoint.clone(),
            credentials: match credentials {
                S3Credentials::AccessKey { id, secret } => {
                    callbridge_recording::S3Credentials::AccessKey {
                        id: id.clone(),
                        secret: secret.expose().to_string(),
                        session_token: None,
                    }
                }
                S3Credentials::Role => callbridge_recording::S3Credentials::Environment,
            },
            prefix: prefix.clone(),
        },
    }
}
