//! Starting and stopping telephony: the SIP endpoint, the media engine, the recorder and
//! uploader, the integration feed and the switch loop that ties them together.

mod admission;
mod calls;
mod feed;
mod reconfigure;
mod recorder;
mod softphones;
mod switch;
pub mod wall;
mod words;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::RwLock;

use anyhow::Context;
use callbridge_config::Config;
use callbridge_core::TenantId;
use callbridge_core::{AgentId, Event};
use callbridge_media::{Media, MediaConfig};
use callbridge_sip::{FloodLimit, SipConfig, SipEndpoint};
use callbridge_store::Store;
use callbridge_switchboard::{Switchboard, Unserved};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use admission::{Admission, Refused, Route};
pub use reconfigure::{ReconfigureError, Reconfigured};
pub use recorder::RecordingDone;
pub use softphones::{Attached, Softphones};
pub use switch::{outbound_failure, Request};

use crate::softphone::protocol::{ClientMessage, ServerMessage};

use callbridge_config::telephony::{RecordingStorage, S3Credentials, TelephonyConfig};
use reconfigure::{LiveStores, Plan};
use recorder::{Recorder, RecorderThread};
use switch::{Sources, Switch};

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
    /// Replaced as a whole by [`reconfigure`](TelephonyHandle::reconfigure).
    pub(crate) agents: Arc<RwLock<Arc<AgentDirectory>>>,
    pub(crate) queues: Arc<RwLock<Arc<QueueDirectory>>>,
    pub(crate) recording_stores: Arc<LiveStores>,
    pub(crate) wall: wall::WallWatch,
    pub(crate) media: Media,
    /// The `[telephony]` settings telephony was started with (its sockets and spool).
    pub(crate) started_with: Arc<TelephonyConfig>,
    /// One reconfiguration at a time, so that two saves apply in the order they were made.
    pub(crate) reconfiguring: Arc<tokio::sync::Mutex<()>>,
    /// Uploaded music and announcements, beside the configuration directory.
    pub(crate) prompts: crate::prompt_library::PromptLibrary,
}

impl TelephonyHandle {
    /// The tenant's recording store (`[tenant.telephony.recordings]`), for the recording page.
    pub fn recording_store(&self, tenant: &str) -> Option<callbridge_recording::RecordingStore> {
        use callbridge_recording::StoreDirectory as _;
        self.recording_stores.store_for(tenant)
    }

    /// The tenants' uploaded music and announcements (`media/` beside the configuration).
    pub fn prompts(&self) -> &crate::prompt_library::PromptLibrary {
        &self.prompts
    }

    /// The supervisor's live wall of every tenant telephony serves.
    pub fn wall(&self) -> &wall::WallWatch {
        &self.wall
    }

    /// Whether the tenant has telephony settings (`[tenant.telephony]`).
    pub fn serves_tenant(&self, tenant: &str) -> bool {
        self.agent_directory().contains_key(&TenantId::new(tenant))
    }

    fn agent_directory(&self) -> Arc<AgentDirectory> {
        self.agents.read().clone()
    }

    fn queue_directory(&self) -> Arc<QueueDirectory> {
        self.queues.read().clone()
    }

    /// Applies new settings while calls run: every tenant's `[tenant.telephony]` (numbers,
    /// queues and their treatments, agents and their queues, allowed sources, trunk, recording
    /// store) and `agent_grace`, from `config` (the whole validated configuration: a tenant's
    /// region and time zone come from its `[[tenant]]` entry). No call in progress is ended
    /// unless it waited in a queue that is removed or left with nobody logged in (it gets the
    /// queue's no-agent treatment); the rules are in docs/ARCHITECTURE.md ("Telephony
    /// reconfigured live"). A mistake (a prompt that cannot be played, a recording store that
    /// cannot be used, an agent in a queue that does not exist) changes nothing.
    pub async fn reconfigure(&self, config: &Config) -> Result<Reconfigured, ReconfigureError> {
        let _one_at_a_time = self.reconfiguring.lock().await;
        let plan = Plan::build(config)?;
        plan.load_prompts(&self.media).await?;
        let telephony = config
            .telephony
            .as_ref()
            .ok_or(ReconfigureError::NoTelephony)?;
        let restart_needed = reconfigure::restart_needed(&self.started_with, telephony);
        let (reply, applied) = tokio::sync::oneshot::channel();
        let Plan {
            board,
            memberships,
            admission,
            tenants,
            agents,
            queues,
            stores,
            wall,
            numbers,
            ..
        } = plan;
        // Stores first: a call the change lets through may be recorded at once.
        self.recording_stores.replace(stores);
        self.requests
            .send(Request::Reconfigure(Box::new(switch::Reconfiguration {
                board,
                memberships,
                admission,
                tenants,
                reply,
            })))
            .map_err(|_| ReconfigureError::Stopped)?;
        let outcome = applied.await.map_err(|_| ReconfigureError::Stopped)??;
        let counts = Reconfigured {
            tenants: agents.len(),
            numbers,
            queues: queues.values().map(Vec::len).sum(),
            agents: agents.values().map(Vec::len).sum(),
            calls_in_progress: outcome.calls_in_progress,
            calls_turned_away: outcome.calls_turned_away,
            restart_needed,
        };
        let agents = Arc::new(agents);
        let before = std::mem::replace(&mut *self.agents.write(), agents.clone());
        *self.queues.write() = Arc::new(queues);
        // After the directory: a softphone welcomed from now on reads the new list (the
        // gateway reads it after attaching), one attached before gets the news.
        for (agent, queues) in reconfigure::queue_news(&before, &agents) {
            self.phones.send(&agent, ServerMessage::Queues { queues });
        }
        self.wall.reconfigure(wall);
        tracing::info!(?counts, "telephony reconfigured");
        Ok(counts)
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
        self.agent_directory()
            .get(&TenantId::new(tenant))
            .cloned()
            .unwrap_or_default()
    }

    /// The tenant's queues with their after-call work time, in configuration order.
    pub fn queues(&self, tenant: &str) -> Vec<(String, std::time::Duration)> {
        self.queue_directory()
            .get(&TenantId::new(tenant))
            .map(|queues| queues.iter().map(|q| (q.id.clone(), q.wrap_up)).collect())
            .unwrap_or_default()
    }

    /// The tenant's queues with their service-level target (`service_level_secs`), in
    /// configuration order.
    pub fn service_levels(&self, tenant: &str) -> Vec<(String, std::time::Duration)> {
        self.queue_directory()
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
        self.agent_directory()
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
        let plan = Plan::for_telephony(telephony, config)?;
        let board = Switchboard::new(plan.board.clone())
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
        let stores = Arc::new(LiveStores::new(plan.stores.clone()));
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
        plan.load_prompts(&media).await?;
        let (feed, feed_task) = feed::Feed::start(store.clone(), integration);
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let phones = Arc::new(Softphones::new(requests.clone()));
        let Plan {
            admission,
            tenants,
            agents,
            queues,
            wall: wall_setup,
            ..
        } = plan;
        let clock = callbridge_kernel::time::Clock::start();
        let (wall_feed, wall_watch, wall_task) = wall::start(wall_setup, clock);
        let switch = Switch {
            board,
            calls: Default::default(),
            tenants,
            admission,
            sip: sip.clone(),
            media: media.clone(),
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
                agents: Arc::new(RwLock::new(Arc::new(agents))),
                queues: Arc::new(RwLock::new(Arc::new(queues))),
                recording_stores: stores,
                wall: wall_watch,
                media,
                started_with: Arc::new(telephony.clone()),
                reconfiguring: Default::default(),
                prompts: crate::prompt_library::PromptLibrary::new(&config.dir),
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

pub(crate) fn unserved(u: callbridge_config::telephony::Unserved) -> Unserved {
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
