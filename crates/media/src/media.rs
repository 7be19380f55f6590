//! The handle the telephony runtime drives: legs, sessions, bridges, prompts and taps.
//!
//! [`Media`] is cheap to clone. Its methods only update a small registry (under a lock held for
//! microseconds, never across an await) and post commands to the leg and session tasks; no
//! method touches a packet, so the control path never slows the media path.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use callbridge_core::{AgentId, CallId};
use parking_lot::Mutex;
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::agent::{
    answer_offer, install_crypto, shared_dtls_cert, AgentControl, AgentSession, WebRtcError,
};
use crate::config::{ConfigError, MediaConfig};
use crate::events::MediaEvent;
use crate::frame::bridge_pair;
use crate::ports::{PortLease, PortPool};
use crate::prompt::{
    load_wav, ringback_clip, silence_clip, Clip, Prompt, PromptError, PromptPlayer,
};
use crate::sdp::{
    Direction, LocalSdp, SdpError, TrunkSdp, DEFAULT_TELEPHONE_EVENT_PT, PCMU_PAYLOAD_TYPE,
};
use crate::tap::{Tap, TapSender};
use crate::trunk::{LegControl, TrunkLeg};

/// Why a media operation failed.
#[derive(Debug, Error)]
pub enum MediaError {
    #[error("no media ports left in the configured range")]
    PortsExhausted,
    #[error("call {0} already has a trunk leg")]
    LegExists(CallId),
    #[error("call {0} has no trunk leg")]
    UnknownCall(CallId),
    #[error("agent {0} has no media session")]
    UnknownAgent(AgentId),
    #[error("agent {0}'s media session has ended")]
    AgentGone(AgentId),
    /// The SIP side answers 488 Not Acceptable Here.
    #[error("unacceptable SDP: {0}")]
    Sdp(#[from] SdpError),
    #[error(transparent)]
    WebRtc(#[from] WebRtcError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("media socket error: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a new trunk leg receives RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunkLegInfo {
    /// The bound socket's address.
    pub local_addr: SocketAddr,
    /// The address written into SDP (configured public IP, same port).
    pub public_addr: SocketAddr,
}

struct LegEntry {
    control: mpsc::UnboundedSender<LegControl>,
    public_addr: SocketAddr,
    session_id: u64,
    session_version: u64,
    remote: Option<TrunkSdp>,
    agent: Option<AgentId>,
}

struct AgentEntry {
    control: mpsc::UnboundedSender<AgentControl>,
    call: Option<CallId>,
}

#[derive(Default)]
struct Registry {
    legs: HashMap<CallId, LegEntry>,
    agents: HashMap<AgentId, AgentEntry>,
}

struct Inner {
    config: MediaConfig,
    ports: Arc<Mutex<PortPool>>,
    events: mpsc::UnboundedSender<MediaEvent>,
    registry: Mutex<Registry>,
    clips: Mutex<HashMap<PathBuf, Clip>>,
    dtls_cert: Option<str0m::config::DtlsCert>,
}

/// The media engine. Clone it freely; tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct Media {
    inner: Arc<Inner>,
}

impl Media {
    /// Validates the configuration and returns the handle with the stream of media events.
    /// Legs and sessions are spawned on the Tokio runtime the methods are called from.
    pub fn start(
        config: MediaConfig,
    ) -> Result<(Media, mpsc::UnboundedReceiver<MediaEvent>), ConfigError> {
        config.validate()?;
        install_crypto();
        let (events, receiver) = mpsc::unbounded_channel();
        let inner = Inner {
            ports: PortPool::new(config.port_range.clone()),
            config,
            events,
            registry: Mutex::new(Registry::default()),
            clips: Mutex::new(HashMap::new()),
            dtls_cert: shared_dtls_cert(),
        };
        Ok((
            Media {
                inner: Arc::new(inner),
            },
            receiver,
        ))
    }

    /// The configuration in force.
    pub fn config(&self) -> &MediaConfig {
        &self.inner.config
    }

    fn bind(&self) -> Result<(UdpSocket, PortLease, SocketAddr), MediaError> {
        let config = &self.inner.config;
        let (socket, lease) =
            PortPool::bind(&self.inner.ports, config.bind_ip).ok_or(MediaError::PortsExhausted)?;
        let public_addr = SocketAddr::new(config.public_ip, lease.port());
        Ok((UdpSocket::from_std(socket)?, lease, public_addr))
    }

    /// Allocates a port for a call's trunk side and starts its task.
    pub fn open_trunk_leg(&self, call: &CallId) -> Result<TrunkLegInfo, MediaError> {
        let mut registry = self.inner.registry.lock();
        if registry.legs.contains_key(call) {
            return Err(MediaError::LegExists(call.clone()));
        }
        let (socket, lease, public_addr) = self.bind()?;
        let local_addr = socket.local_addr()?;
        let (control, control_rx) = mpsc::unbounded_channel();
        let leg = TrunkLeg {
            call: call.clone(),
            socket,
            lease,
            control: control_rx,
            events: self.inner.events.clone(),
            media_timeout: self.inner.config.media_timeout,
        };
        tokio::spawn(leg.run());
        registry.legs.insert(
            call.clone(),
            LegEntry {
                control,
                public_addr,
                session_id: rand::random::<u32>().into(),
                session_version: 0,
                remote: None,
                agent: None,
            },
        );
        Ok(TrunkLegInfo {
            local_addr,
            public_addr,
        })
    }

    /// Parses the carrier's offer and returns our answer. [`MediaError::Sdp`] means 488.
    pub fn answer_trunk_offer(&self, call: &CallId, offer: &[u8]) -> Result<String, MediaError> {
        let remote = TrunkSdp::parse(offer)?;
        let mut registry = self.inner.registry.lock();
        let leg = registry
            .legs
            .get_mut(call)
            .ok_or_else(|| MediaError::UnknownCall(call.clone()))?;
        leg.session_version += 1;
        let answer = LocalSdp {
            public_ip: leg.public_addr.ip(),
            port: leg.public_addr.port(),
            session_id: leg.session_id,
            session_version: leg.session_version,
            direction: remote.direction.answer_to(),
            telephone_event_payload_type: remote.telephone_event_payload_type,
            pcmu_payload_type: remote.pcmu_payload_type,
        };
        leg.remote = Some(remote.clone());
        let _ = leg.control.send(LegControl::Remote(remote));
        Ok(answer.render())
    }

    /// Our offer for an outbound call (or an INVITE without SDP): PCMU and telephone-event 101.
    pub fn trunk_offer(&self, call: &CallId) -> Result<String, MediaError> {
        let mut registry = self.inner.registry.lock();
        let leg = registry
            .legs
            .get_mut(call)
            .ok_or_else(|| MediaError::UnknownCall(call.clone()))?;
        leg.session_version += 1;
        Ok(LocalSdp {
            public_ip: leg.public_addr.ip(),
            port: leg.public_addr.port(),
            session_id: leg.session_id,
            session_version: leg.session_version,
            direction: Direction::SendRecv,
            telephone_event_payload_type: Some(DEFAULT_TELEPHONE_EVENT_PT),
            pcmu_payload_type: PCMU_PAYLOAD_TYPE,
        }
        .render())
    }

    /// Applies the carrier's answer to our offer.
    pub fn apply_trunk_answer(&self, call: &CallId, answer: &[u8]) -> Result<(), MediaError> {
        let remote = TrunkSdp::parse(answer)?;
        let mut registry = self.inner.registry.lock();
        let leg = registry
            .legs
            .get_mut(call)
            .ok_or_else(|| MediaError::UnknownCall(call.clone()))?;
        leg.remote = Some(remote.clone());
        let _ = leg.control.send(LegControl::Remote(remote));
        Ok(())
    }

    /// The carrier's current SDP for the call, if known.
    pub fn trunk_remote(&self, call: &CallId) -> Option<TrunkSdp> {
        let registry = self.inner.registry.lock();
        registry.legs.get(call).and_then(|leg| leg.remote.clone())
    }

    /// Ends the call's media: stops its task (freeing the port) and unbridges its agent.
    /// Returns false if the call had no leg.
    pub fn close_trunk_leg(&self, call: &CallId) -> bool {
        let mut registry = self.inner.registry.lock();
        let Some(leg) = registry.legs.remove(call) else {
            return false;
        };
        if let Some(agent) = leg.agent {
            detach_agent(&mut registry, &agent);
        }
        // Dropping `leg.control` ends the task.
        true
    }

    /// Answers the softphone's WebRTC offer (`{"type":"offer","sdp":...}` JSON) and starts the
    /// agent's persistent session. A session the agent already had is replaced (its bridge,
    /// if any, moves to the new one).
    pub fn open_agent_session(
        &self,
        agent: &AgentId,
        offer_json: &str,
    ) -> Result<String, MediaError> {
        let (socket, lease, public_addr) = self.bind()?;
        let (rtc, answer) = answer_offer(public_addr, offer_json, self.inner.dtls_cert.as_ref())?;
        let (control, control_rx) = mpsc::unbounded_channel();
        let session = AgentSession {
            agent: agent.clone(),
            rtc,
            socket,
            lease,
            public_addr,
            control: control_rx,
            events: self.inner.events.clone(),
            timeout: self.inner.config.agent_timeout,
        };
        tokio::spawn(session.run());
        let mut registry = self.inner.registry.lock();
        let call = registry.agents.remove(agent).and_then(|old| old.call);
        registry.agents.insert(
            agent.clone(),
            AgentEntry {
                control,
                call: None,
            },
        );
        if let Some(call) = call {
            bridge(&mut registry, &call, agent)?;
        }
        Ok(answer)
    }

    /// Ends the agent's session (logout). Returns false if there was none.
    pub fn close_agent_session(&self, agent: &AgentId) -> bool {
        let mut registry = self.inner.registry.lock();
        let Some(entry) = registry.agents.remove(agent) else {
            return false;
        };
        if let Some(call) = entry.call {
            if let Some(leg) = registry.legs.get_mut(&call) {
                leg.agent = None;
                let _ = leg.control.send(LegControl::Detach);
            }
        }
        true
    }

    /// Bridges the call with the agent: customer audio to the agent, the agent's to the
    /// customer (replacing any prompt). The call's previous agent (a transfer) and the agent's
    /// previous call are unbridged first.
    pub fn connect(&self, call: &CallId, agent: &AgentId) -> Result<(), MediaError> {
        let mut registry = self.inner.registry.lock();
        bridge(&mut registry, call, agent)
    }

    /// Unbridges the call; it stays up (play a prompt, or connect another agent).
    pub fn disconnect(&self, call: &CallId) -> Result<(), MediaError> {
        let mut registry = self.inner.registry.lock();
        let leg = registry
            .legs
            .get_mut(call)
            .ok_or_else(|| MediaError::UnknownCall(call.clone()))?;
        let agent = leg.agent.take();
        let _ = leg.control.send(LegControl::Detach);
        if let Some(agent) = agent {
            if let Some(entry) = registry.agents.get_mut(&agent) {
                entry.call = None;
                let _ = entry.control.send(AgentControl::Detach);
            }
        }
        Ok(())
    }

    /// Plays a prompt to the customer. It replaces any prompt playing and, on a bridged call,
    /// the agent's audio until it ends or the call is connected again. A WAV file is loaded
    /// (off the async threads) on its first use, then shared.
    pub async fn play(&self, call: &CallId, prompt: Prompt) -> Result<(), MediaError> {
        let (clip, looped) = match prompt {
            Prompt::Ringback => (ringback_clip(), true),
            Prompt::Silence => (silence_clip(), true),
            Prompt::Music(path) => (self.clip(path).await?, true),
            Prompt::Announcement(path) => (self.clip(path).await?, false),
        };
        self.leg_command(call, LegControl::Play(PromptPlayer::new(clip, looped)))
    }

    /// Tells the leg that the customer owes us audio from now on (the call was answered): the
    /// silence watchdog restarts with a full `media_timeout`, even if it fired before.
    pub fn expect_media(&self, call: &CallId) -> Result<(), MediaError> {
        self.leg_command(call, LegControl::ExpectMedia)
    }

    /// Stops the prompt (the customer hears the agent if bridged, otherwise nothing).
    pub fn stop_prompt(&self, call: &CallId) -> Result<(), MediaError> {
        self.leg_command(call, LegControl::StopPrompt)
    }

    /// Sends every relayed packet of both sides of the call to `tap` until `stop_recording`
    /// or the end of the call. The relay never waits for the tap: when it is full, packets
    /// are dropped and counted.
    pub fn record(&self, call: &CallId, tap: TapSender) -> Result<(), MediaError> {
        self.leg_command(call, LegControl::Record(Tap::new(tap)))
    }

    /// Stops the call's tap (its channel closes once the leg lets go of it).
    pub fn stop_recording(&self, call: &CallId) -> Result<(), MediaError> {
        self.leg_command(call, LegControl::StopRecording)
    }

    fn leg_command(&self, call: &CallId, command: LegControl) -> Result<(), MediaError> {
        let registry = self.inner.registry.lock();
        let leg = registry
            .legs
            .get(call)
            .ok_or_else(|| MediaError::UnknownCall(call.clone()))?;
        let _ = leg.control.send(command);
        Ok(())
    }

    /// Decodes a prompt file now, so that playing it later starts at once (and in order with
    /// the commands that follow it). Fails like `play` would for a file that cannot be used.
    pub async fn preload(&self, path: PathBuf) -> Result<(), MediaError> {
        self.clip(path).await.map(|_| ())
    }

    async fn clip(&self, path: PathBuf) -> Result<Clip, MediaError> {
        if let Some(clip) = self.inner.clips.lock().get(&path) {
            return Ok(clip.clone());
        }
        let key = path.clone();
        let clip = tokio::task::spawn_blocking(move || load_wav(&path))
            .await
            .map_err(|e| MediaError::Io(std::io::Error::other(e)))??;
        self.inner.clips.lock().insert(key, clip.clone());
        Ok(clip)
    }
}

/// Unbridges whatever the agent is bridged with.
fn detach_agent(registry: &mut Registry, agent: &AgentId) {
    if let Some(entry) = registry.agents.get_mut(agent) {
        entry.call = None;
        let _ = entry.control.send(AgentControl::Detach);
    }
}

fn bridge(registry: &mut Registry, call: &CallId, agent: &AgentId) -> Result<(), MediaError> {
    let agent_entry = registry
        .agents
        .get(agent)
        .ok_or_else(|| MediaError::UnknownAgent(agent.clone()))?;
    if agent_entry.control.is_closed() {
        registry.agents.remove(agent);
        return Err(MediaError::AgentGone(agent.clone()));
    }
    if !registry.legs.contains_key(call) {
        return Err(MediaError::UnknownCall(call.clone()));
    }
    // The call's previous agent (transfer) and the agent's previous call let go first.
    let previous_agent = registry.legs.get(call).and_then(|leg| leg.agent.clone());
    if let Some(previous) = previous_agent.filter(|a| a != agent) {
        detach_agent(registry, &previous);
    }
    let previous_call = registry.agents.get(agent).and_then(|a| a.call.clone());
    if let Some(previous) = previous_call.filter(|c| c != call) {
        if let Some(leg) = registry.legs.get_mut(&previous) {
            leg.agent = None;
            let _ = leg.control.send(LegControl::Detach);
        }
    }

    let (leg_end, agent_end) = bridge_pair();
    let agent_entry = registry.agents.get_mut(agent).expect("checked above");
    agent_entry.call = Some(call.clone());
    let _ = agent_entry.control.send(AgentControl::Attach(agent_end));
    let leg = registry.legs.get_mut(call).expect("checked above");
    leg.agent = Some(agent.clone());
    let _ = leg.control.send(LegControl::Attach(leg_end));
    Ok(())
}
