//! Simulated agents in a second process, so that the server's CPU and memory can be read
//! from `/proc/self` without the str0m client side of every agent mixed in.
//!
//! The benchmark binary re-executes itself with [`POOL_ENV`] set to a JSON [`PoolConfig`];
//! [`run_if_pool`] (the first thing every benchmark's `main` calls) turns that process into the
//! pool. Each agent opens the real softphone WebSocket with a ticket, sets up its persistent
//! WebRTC session with a str0m test softphone, optionally becomes available, and from then on
//! answers every `ringing` at once and lets the customer hang up.
//!
//! The two processes talk over the pool's stdin and stdout, one JSON line each way: the pool
//! prints `{"ready": ...}` once every agent is connected, waits for a line on stdin, prints
//! `{"report": ...}` and exits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use callbridge_config::Secret;
use callbridge_media::testing::{
    dominant_tone, KeepReceived, OutgoingAudio, ReceivedFrame, Softphone, SoftphoneOptions,
};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::center::TENANT;
use super::stats::percentile;

/// Set (to the JSON config) in the environment of the pool process.
pub const POOL_ENV: &str = "CALLBRIDGE_BENCH_AGENT_POOL";

/// How many agents set up their sessions at the same time.
const CONNECT_PARALLELISM: usize = 16;

/// A jump in RTP time bigger than this starts a new call in the analysis.
const NEW_CALL_GAP: Duration = Duration::from_millis(500);
const PCMU_FRAME_TICKS: u64 = 160;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolConfig {
    /// Where the integration server serves the softphone WebSocket.
    pub web_addr: std::net::SocketAddr,
    /// The server's master key, to issue softphone tickets.
    pub master_key: String,
    pub agents: Vec<String>,
    /// The agents' tone, or None for silent (idle) softphones.
    pub tone_hz: Option<f64>,
    /// The customer's tone, to check that agents hear the right audio (with `keep_audio`).
    pub customer_hz: f64,
    /// Keep every received frame for loss and jitter analysis (about 17 kB per second per
    /// agent), or only count frames.
    pub keep_audio: bool,
    /// Become available for calls once connected.
    pub available: bool,
}

/// Sent once every agent has connected (or failed to).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ready {
    pub connected: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub seconds: f64,
}

/// What the agents saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolReport {
    pub rung: u64,
    pub answered: u64,
    pub ended: u64,
    pub frames_received: u64,
    pub frames_sent: u64,
    /// With `keep_audio`: frames the RTP timestamps say were sent to the agents in calls.
    pub frames_expected: u64,
    /// With `keep_audio`: calls seen in the received audio (runs of contiguous frames).
    pub calls_heard: u64,
    /// With `keep_audio`: of those, the ones where the customer's tone dominates.
    pub calls_with_customer_tone: u64,
    /// Inter-arrival deviation from the RTP clock, |Δarrival − Δrtp/8 kHz|, in ms.
    pub jitter_ms: Option<Percentiles>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Percentiles {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

// ---- the benchmark's side -----------------------------------------------------------------

/// The pool process, seen from the benchmark.
pub struct AgentPool {
    child: Child,
    stdin: ChildStdin,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl AgentPool {
    /// Starts the pool and waits until every agent has connected.
    pub async fn spawn(config: &PoolConfig) -> anyhow::Result<(AgentPool, Ready)> {
        let exe = std::env::current_exe().context("finding the benchmark's own executable")?;
        let mut child = tokio::process::Command::new(exe)
            .env(POOL_ENV, serde_json::to_string(config)?)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the agent pool process")?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut pool = AgentPool {
            child,
            stdin,
            stdout,
        };
        let ready: Ready = pool.read_message("ready").await?;
        Ok((pool, ready))
    }

    /// The pool's process id (for its CPU time and memory).
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// Asks for the report; the pool exits after sending it.
    pub async fn report(mut self) -> anyhow::Result<PoolReport> {
        self.stdin.write_all(b"report\n").await?;
        self.stdin.flush().await?;
        let report = self.read_message("report").await?;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        Ok(report)
    }

    async fn read_message<T: for<'de> Deserialize<'de>>(&mut self, key: &str) -> anyhow::Result<T> {
        while let Some(line) = self.stdout.next_line().await? {
            let Ok(mut value) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if let Some(message) = value.get_mut(key) {
                return Ok(serde_json::from_value(message.take())?);
            }
        }
        bail!("the agent pool exited before sending {key:?}")
    }
}

// ---- the pool process -----------------------------------------------------------------------

/// If this process is an agent pool, runs it to the end and returns true.
pub fn run_if_pool() -> bool {
    let Ok(config) = std::env::var(POOL_ENV) else {
        return false;
    };
    let config: PoolConfig = serde_json::from_str(&config).expect("the pool's config is JSON");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    runtime.block_on(run_pool(config));
    // The agents' tasks are still running: leave without waiting for them.
    runtime.shutdown_background();
    true
}

/// Counters shared by every agent's task.
#[derive(Default)]
struct Counters {
    rung: AtomicU64,
    answered: AtomicU64,
    ended: AtomicU64,
}

async fn run_pool(config: PoolConfig) {
    let config = Arc::new(config);
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let results: Vec<anyhow::Result<Softphone>> = futures::stream::iter(config.agents.clone())
        .map(|name| {
            let config = config.clone();
            let counters = counters.clone();
            async move { connect_agent(&config, &name, counters).await }
        })
        .buffer_unordered(CONNECT_PARALLELISM)
        .collect()
        .await;
    let mut phones = Vec::new();
    let mut first_error = None;
    for result in results {
        match result {
            Ok(phone) => phones.push(phone),
            Err(e) => {
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let ready = Ready {
        connected: phones.len(),
        failed: config.agents.len() - phones.len(),
        first_error,
        seconds: started.elapsed().as_secs_f64(),
    };
    println!("{}", json!({ "ready": ready }));

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let _ = stdin.next_line().await;
    let report = report(&config, &counters, &phones);
    println!("{}", json!({ "report": report }));
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens one agent's softphone: WebSocket, WebRTC session, availability. The WebSocket then
/// lives on in a task that answers every call.
async fn connect_agent(
    config: &PoolConfig,
    name: &str,
    counters: Arc<Counters>,
) -> anyhow::Result<Softphone> {
    let key = Secret::new(config.master_key.clone());
    let ticket = callbridge_web::softphone_ticket(
        &key,
        TENANT,
        name,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    );
    let url = format!(
        "ws://{}/api/v1/tenants/{TENANT}/agents/{name}/softphone?ticket={ticket}",
        config.web_addr
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("{name}: WebSocket"))?;
    expect(&mut ws, "welcome", |_| true).await?;
    let options = SoftphoneOptions {
        send: match config.tone_hz {
            Some(hz) => OutgoingAudio::Tone(hz),
            None => OutgoingAudio::Nothing,
        },
        keep: if config.keep_audio {
            KeepReceived::Audio
        } else {
            // Nothing the customer sends is stamped, so this keeps only the counts.
            KeepReceived::Stamps(Instant::now())
        },
    };
    let pending = Softphone::offer(options).map_err(|e| anyhow!("{name}: offer: {e}"))?;
    let offer: Value = serde_json::from_str(pending.offer_json())?;
    send(&mut ws, json!({ "type": "media_offer", "offer": offer })).await?;
    let answer = expect(&mut ws, "media_answer", |_| true).await?;
    let phone = pending
        .accept(&answer["answer"].to_string())
        .map_err(|e| anyhow!("{name}: answer: {e}"))?;
    if !phone.wait_connected(Duration::from_secs(10)).await {
        bail!("{name}: ICE/DTLS did not connect in 10 s");
    }
    expect(&mut ws, "media", |m| m["connected"] == true).await?;
    if config.available {
        send(
            &mut ws,
            json!({ "type": "set_availability", "available": true }),
        )
        .await?;
        expect(&mut ws, "agent_state", |m| m["state"] == "available").await?;
    }
    tokio::spawn(answer_every_call(ws, counters));
    Ok(phone)
}

/// Answers each call as soon as it rings and counts how calls go.
async fn answer_every_call(mut ws: Socket, counters: Arc<Counters>) {
    let mut on_call = false;
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        match message["type"].as_str() {
            Some("ringing") => {
                counters.rung.fetch_add(1, Ordering::Relaxed);
                let answer = json!({ "type": "answer", "call": message["call"] });
                if send(&mut ws, answer).await.is_err() {
                    return;
                }
            }
            Some("agent_state") => match message["state"].as_str() {
                Some("on_call") if !on_call => {
                    on_call = true;
                    counters.answered.fetch_add(1, Ordering::Relaxed);
                }
                Some("on_call") => {}
                Some(_) if on_call => {
                    on_call = false;
                    counters.ended.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            },
            _ => {}
        }
    }
}

async fn send(ws: &mut Socket, message: Value) -> anyhow::Result<()> {
    ws.send(Message::Text(message.to_string().into())).await?;
    Ok(())
}

/// The next message of `kind` for which `accept` holds, skipping others; fails after 20 s.
async fn expect(
    ws: &mut Socket,
    kind: &str,
    accept: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| anyhow!("no {kind:?} message within 20 s"))?;
        let Some(Ok(Message::Text(text))) = next else {
            bail!("the WebSocket ended waiting for {kind:?}: {next:?}");
        };
        let value: Value = serde_json::from_str(text.as_str())?;
        if value["type"] == kind && accept(&value) {
            return Ok(value);
        }
        if value["type"] == "error" {
            bail!("the server refused while waiting for {kind:?}: {value}");
        }
    }
}

// ---- analysis -------------------------------------------------------------------------------

fn report(config: &PoolConfig, counters: &Counters, phones: &[Softphone]) -> PoolReport {
    let mut report = PoolReport {
        rung: counters.rung.load(Ordering::Relaxed),
        answered: counters.answered.load(Ordering::Relaxed),
        ended: counters.ended.load(Ordering::Relaxed),
        ..PoolReport::default()
    };
    let mut deviations = Vec::new();
    for phone in phones {
        let (received, sent) = phone.counts();
        report.frames_received += received;
        report.frames_sent += sent;
        if !config.keep_audio {
            continue;
        }
        let frames = phone.received_frames();
        for call in split_calls(&frames) {
            report.calls_heard += 1;
            let span = call.last().map_or(0, |l| l.rtp_time) - call[0].rtp_time;
            report.frames_expected += span / PCMU_FRAME_TICKS + 1;
            deviations.extend(inter_arrival_deviations(call));
            if heard_tone(call, config) == Some(config.customer_hz) {
                report.calls_with_customer_tone += 1;
            }
        }
    }
    if config.keep_audio {
        deviations.sort_by(f64::total_cmp);
        report.jitter_ms = summarize(&deviations);
    }
    report
}

/// Splits one agent's received frames into calls: runs with no big jump in RTP time (the relay
/// gives each call its own timestamp base). Late arrivals do not split a call: they count as
/// jitter, and frames missing inside a run count as lost.
fn split_calls(frames: &[ReceivedFrame]) -> Vec<&[ReceivedFrame]> {
    let gap_ticks = NEW_CALL_GAP.as_millis() as u64 * 8;
    let mut calls = Vec::new();
    let mut start = 0;
    for i in 1..frames.len() {
        let (a, b) = (&frames[i - 1], &frames[i]);
        let rtp_jump = b.rtp_time < a.rtp_time || b.rtp_time - a.rtp_time > gap_ticks;
        if rtp_jump {
            calls.push(&frames[start..i]);
            start = i;
        }
    }
    if start < frames.len() {
        calls.push(&frames[start..]);
    }
    calls
}

/// |(arrival_i − arrival_i−1) − (rtp_i − rtp_i−1) / 8 kHz| in ms for consecutive frames.
fn inter_arrival_deviations(call: &[ReceivedFrame]) -> impl Iterator<Item = f64> + '_ {
    call.windows(2).map(|pair| {
        let arrival = pair[1].at.duration_since(pair[0].at).as_secs_f64() * 1000.0;
        let media = (pair[1].rtp_time - pair[0].rtp_time) as f64 / 8.0;
        (arrival - media).abs()
    })
}

/// The dominant tone over the middle of the call, among the customer's and the agents'.
fn heard_tone(call: &[ReceivedFrame], config: &PoolConfig) -> Option<f64> {
    let middle = &call[call.len() / 4..call.len() * 3 / 4];
    let samples: Vec<i16> = middle
        .iter()
        .flat_map(|f| f.samples.iter().copied())
        .collect();
    let mut candidates = vec![config.customer_hz];
    candidates.extend(config.tone_hz);
    dominant_tone(&samples, &candidates)
}

fn summarize(sorted: &[f64]) -> Option<Percentiles> {
    Some(Percentiles {
        n: sorted.len(),
        p50: percentile(sorted, 50.0)?,
        p99: percentile(sorted, 99.0)?,
        p999: percentile(sorted, 99.9)?,
        max: *sorted.last()?,
    })
}
