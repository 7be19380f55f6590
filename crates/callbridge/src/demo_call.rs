//! `callbridge demo call`: one customer call into the demo, placed the way a carrier would with
//! Callbridge's own SIP (`callbridge-sip`) and media (`callbridge-media`) crates, and narrated:
//! ringing, who answered, how long it lasted. The caller plays a steady tone once answered,
//! keeps the call up for `--seconds`, then hangs up with BYE.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use callbridge_core::CallId;
use callbridge_media::{Media, MediaConfig, Prompt};
use callbridge_sip::{
    LegId, OutboundInvite, SipConfig, SipEndpoint, SipEvent, Transport, TrunkTarget,
};

/// The caller's tone: 440 Hz, easy to tell from ringback and music.
pub const TONE_HZ: f64 = 440.0;
/// The caller's RTP ports (the demo's own are 30000-30999).
const CALLER_RTP_PORTS: std::ops::RangeInclusive<u16> = 31000..=31099;

pub struct CallOptions {
    /// The caller ID to present (a seeded customer's number, E.164).
    pub from: String,
    /// The number dialled (the demo's DID).
    pub to: String,
    /// The demo's SIP address.
    pub sip: SocketAddr,
    /// How long to stay on the line once answered.
    pub talk: Duration,
    /// How long to let it ring before giving up (CANCEL).
    pub ring: Duration,
    /// The demo's callbridge.toml: when given, the agent who answered is named.
    pub config: Option<PathBuf>,
}

/// Normalises what a person types (`+81 90-1234-5678`) into a SIP user part (`+819012345678`).
pub fn caller_id(raw: &str) -> anyhow::Result<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    anyhow::ensure!(
        (3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        "--from {raw:?} is not a phone number: give digits with an optional leading + \
         (spaces, dashes, dots and brackets are ignored), e.g. --from +819012345678"
    );
    Ok(compact)
}

pub async fn run(options: CallOptions) -> anyhow::Result<ExitCode> {
    let from = caller_id(&options.from)?;
    let local_ip = route_to(options.sip)?;
    let (sip, mut events) = SipEndpoint::start(SipConfig {
        udp: Some(SocketAddr::new(local_ip, 0)),
        tcp: None,
        user_agent: "callbridge demo call".into(),
        public_ip: None,
        flood_limit: None,
        session_expires: None,
        event_capacity: 64,
        tcp_limits: Default::default(),
    })
    .await
    .context("starting the caller's SIP endpoint")?;
    let mut media_config = MediaConfig::loopback(CALLER_RTP_PORTS);
    media_config.bind_ip = local_ip;
    media_config.public_ip = local_ip;
    // Silence from Callbridge (music off, an agent on mute) must not end the caller's side.
    media_config.media_timeout = options.talk + options.ring + Duration::from_secs(60);
    let (media, _media_events) =
        Media::start(media_config).context("starting the caller's media")?;
    let tone = ToneFile::create()?;

    let call = CallId::new(format!("demo-call-{}", rand::random::<u32>()));
    media
        .open_trunk_leg(&call)
        .context("opening the caller's RTP port")?;
    let offer = media.trunk_offer(&call)?;
    let leg = sip
        .invite(OutboundInvite {
            target: TrunkTarget {
                host: options.sip.ip().to_string(),
                port: options.sip.port(),
                transport: Transport::Udp,
            },
            from_user: from.clone(),
            from_display: Some("Demo customer".into()),
            to_user: options.to.clone(),
            credentials: None,
            sdp_offer: offer,
        })
        .context("sending the INVITE")?;
    say(format!(
        "calling {} at {} from {from}",
        options.to, options.sip
    ));

    let placed = Placed {
        sip,
        media,
        call,
        leg,
        tone,
    };
    let outcome = placed.converse(&options, &from, &mut events).await;
    // Let the BYE or CANCEL leave before the endpoint stops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    placed.media.close_trunk_leg(&placed.call);
    placed.sip.shutdown();
    Ok(outcome)
}

/// The call in progress: its SIP leg and its media.
struct Placed {
    sip: SipEndpoint,
    media: Media,
    call: CallId,
    leg: LegId,
    tone: ToneFile,
}

impl Placed {
    async fn converse(
        &self,
        options: &CallOptions,
        from: &str,
        events: &mut tokio::sync::mpsc::Receiver<SipEvent>,
    ) -> ExitCode {
        let Placed {
            sip,
            media,
            call,
            leg,
            tone,
        } = self;
        let leg = *leg;
        let started = Instant::now();
        let mut rang = false;
        let mut answered: Option<Instant> = None;
        loop {
            let deadline = match answered {
                Some(at) => at + options.talk,
                None => started + options.ring,
            };
            let event = tokio::select! {
                event = events.recv() => event,
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let _ = sip.hang_up(leg);
                    return match answered {
                        Some(at) => {
                            say(format!("hung up after {} s", at.elapsed().as_secs()));
                            ExitCode::SUCCESS
                        }
                        None => {
                            say(format!(
                                "nobody answered within {} s; the call is cancelled",
                                options.ring.as_secs()
                            ));
                            ExitCode::FAILURE
                        }
                    };
                }
                _ = tokio::signal::ctrl_c() => {
                    let _ = sip.hang_up(leg);
                    say(format!("hung up (Ctrl-C) after {} s", started.elapsed().as_secs()));
                    return ExitCode::SUCCESS;
                }
            };
            let Some(event) = event else {
                say("the SIP endpoint stopped".to_string());
                return ExitCode::FAILURE;
            };
            match event {
                SipEvent::OutboundProgress { .. } if !rang => {
                    rang = true;
                    say("ringing".to_string());
                }
                SipEvent::OutboundAnswered { sdp, .. } => {
                    let Some(sdp) = sdp else {
                        say("answered without SDP: no audio path; hanging up".to_string());
                        let _ = sip.hang_up(leg);
                        return ExitCode::FAILURE;
                    };
                    if let Err(error) = media.apply_trunk_answer(call, sdp.as_bytes()) {
                        say(format!("answered with unusable SDP ({error}); hanging up"));
                        let _ = sip.hang_up(leg);
                        return ExitCode::FAILURE;
                    }
                    answered = Some(Instant::now());
                    let by = match &options.config {
                        Some(config) => who_answered(config, from).await,
                        None => None,
                    };
                    match by {
                        Some(agent) => say(format!("answered by {agent}")),
                        None => say("answered".to_string()),
                    }
                    if let Err(error) = media.play(call, Prompt::Music(tone.path.clone())).await {
                        say(format!("cannot play the tone: {error}"));
                    }
                    say(format!(
                        "playing a {TONE_HZ} Hz tone; hanging up in {} s",
                        options.talk.as_secs()
                    ));
                }
                SipEvent::OutboundFailed { status, reason, .. } => {
                    say(format!(
                        "not answered: {status} {reason}{}",
                        failure_hint(status)
                    ));
                    return ExitCode::FAILURE;
                }
                SipEvent::RemoteHangUp { .. } => {
                    let after = answered.unwrap_or(started).elapsed().as_secs();
                    say(format!("Callbridge hung up after {after} s"));
                    return ExitCode::SUCCESS;
                }
                SipEvent::SessionExpired { .. } => {
                    say("the call's session timer ran out".to_string());
                    return ExitCode::FAILURE;
                }
                SipEvent::Lost { reason, .. } => {
                    say(format!("the call was lost: {reason}"));
                    return ExitCode::FAILURE;
                }
                SipEvent::Reinvite { sdp, reply, .. } => {
                    // Hold and resume: answer with our side of the same stream.
                    let answer = match sdp {
                        Some(offer) => media.answer_trunk_offer(call, offer.as_bytes()),
                        None => media.trunk_offer(call),
                    };
                    let _ = reply.send(answer.map_err(|_| 488));
                }
                _ => {}
            }
        }
    }
}

/// What a refusal most likely means in the demo.
fn failure_hint(status: u16) -> &'static str {
    match status {
        486 | 480 => " (no agent is available: open an agent's softphone and go available)",
        404 => " (that number is not one of the demo's; the DID is +81312345000)",
        403 => " (the demo only accepts calls from 127.0.0.1)",
        503 => " (is `callbridge demo` running, and is --sip its SIP address?)",
        _ => "",
    }
}

/// The agent who answered a call from `from`, read from the demo's event journal (the
/// `agent_answered` that follows the `call_offered` for this caller). None if it cannot tell.
async fn who_answered(config: &std::path::Path, from: &str) -> Option<String> {
    let config = callbridge_config::Config::load(config).ok()?;
    let key = callbridge_store::SecretKey::from_base64(config.server.master_key.expose()).ok()?;
    let store = callbridge_store::Store::open(&config.server.database_url, key)
        .await
        .ok()?;
    let tenant = config.tenants.first()?.id.as_str().to_string();
    let digits = from.trim_start_matches('+');
    let since = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let mut found = None;
    // The journal entry is written as the agent answers, around our 200: allow it a moment.
    for _ in 0..20 {
        let events = store.events_since(&tenant, since).await.ok()?;
        found = answered_by(&events, digits);
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;
    found
}

/// Picks the latest answering agent of a call offered from `digits` out of journal payloads.
fn answered_by(events: &[String], digits: &str) -> Option<String> {
    let parsed: Vec<serde_json::Value> = events
        .iter()
        .filter_map(|e| serde_json::from_str(e).ok())
        .collect();
    let ours: Vec<&serde_json::Value> = parsed
        .iter()
        .filter(|e| e["type"] == "call_offered")
        .filter(|e| {
            e["customer"]["value"]
                .as_str()
                .is_some_and(|n| n.trim_start_matches('+') == digits)
        })
        .map(|e| &e["call"])
        .collect();
    parsed
        .iter()
        .rev()
        .find(|e| e["type"] == "agent_answered" && ours.contains(&&e["call"]))
        .and_then(|e| e["agent"].as_str())
        .map(|agent| agent.split_once(':').map_or(agent, |(_, a)| a).to_string())
}

/// The local address packets to `target` leave from (what our SDP and Via must carry).
fn route_to(target: SocketAddr) -> anyhow::Result<IpAddr> {
    let any: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let probe = std::net::UdpSocket::bind(any)?;
    probe
        .connect(target)
        .with_context(|| format!("no route to {target}"))?;
    Ok(probe.local_addr()?.ip())
}

/// The tone the caller plays, as a one-second WAV looped by the media engine.
struct ToneFile {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl ToneFile {
    fn create() -> anyhow::Result<ToneFile> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("tone.wav");
        callbridge_audio::write_tone_wav(&path, 8000, TONE_HZ, 6000.0, Duration::from_secs(1))
            .context("writing the caller's tone")?;
        Ok(ToneFile { path, _dir: dir })
    }
}

fn say(line: String) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_number_becomes_a_caller_id_and_garbage_is_refused_with_how_to_fix_it() {
        assert_eq!(caller_id("+81 90-1234-5678").unwrap(), "+819012345678");
        assert_eq!(caller_id("(669) 262.7777").unwrap(), "6692627777");
        let error = caller_id("alice").unwrap_err().to_string();
        assert!(error.contains("--from \"alice\""), "{error}");
        assert!(error.contains("e.g. --from +819012345678"), "{error}");
        assert!(caller_id("+").is_err());
    }

    #[test]
    fn the_answering_agent_is_the_one_who_answered_this_callers_call() {
        let events = [
            r#"{"type":"call_offered","call":"c1","tenant":"demo","direction":"inbound","customer":{"kind":"dialable","value":"+15550001"},"agent":"demo:bob.agent"}"#,
            r#"{"type":"call_offered","call":"c2","tenant":"demo","direction":"inbound","customer":{"kind":"dialable","value":"+819012345678"},"agent":"demo:alice.agent"}"#,
            r#"{"type":"agent_answered","call":"c1","agent":"demo:bob.agent"}"#,
            r#"{"type":"agent_answered","call":"c2","agent":"demo:alice.agent"}"#,
        ]
        .map(String::from);
        assert_eq!(
            answered_by(&events, "819012345678").as_deref(),
            Some("alice.agent")
        );
        assert_eq!(answered_by(&events[..3], "819012345678"), None);
    }
}
