//! The live wall's push at scale: 1,000 agents in 10 queues, `BENCH_CHANGES` agent state
//! changes per second (default 200) for `BENCH_SECS` seconds (default 30), pushed to
//! `BENCH_VIEWERS` WebSocket viewers (default 1, then 10). The server side (the wall task of
//! `callbridge-telephony` and the console's WebSocket of `callbridge-web`) runs on its own
//! single-threaded runtime on one OS thread; the driver (standing in for the switch loop, which
//! hands the wall each output) and the viewers run on another. Prints, per change seen by a
//! viewer, the time from handing the change to the wall to the viewer reading it (p50, p99,
//! max), and the server thread's CPU time as a share of one core.
//! Run: `cargo bench -p callbridge-web --bench wall_push`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::routing::get;
use callbridge_core::{AgentId, CallId, CallerNumber, Direction, QueueId, TenantId, E164};
use callbridge_kernel::time::{Clock, WallTime};
use callbridge_supervision::wall::{AgentSetup, QueueSetup, TenantSetup, WallSetup};
use callbridge_switchboard::{AgentState, Output};
use callbridge_telephony::runtime::wall::{self, WallFeed, WallWatch};
use futures::StreamExt;
use parking_lot::Mutex;

const AGENTS: usize = 1000;
const QUEUES: usize = 10;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) of the calling thread, from /proc.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // Linux reports clock ticks of 1/100 s (USER_HZ).
    Duration::from_millis(ticks * 10)
}

fn setup() -> WallSetup {
    WallSetup {
        tenants: vec![TenantSetup {
            tenant: TenantId::new("acme"),
            timezone: jiff::tz::TimeZone::UTC,
            queues: (0..QUEUES)
                .map(|q| QueueSetup {
                    queue: QueueId::new(format!("queue{q}")),
                    service_level: Duration::from_secs(20),
                })
                .collect(),
            agents: (0..AGENTS)
                .map(|a| AgentSetup {
                    name: format!("agent{a:04}"),
                    queues: vec![QueueId::new(format!("queue{}", a % QUEUES))],
                })
                .collect(),
        }],
    }
}

/// What each agent was last changed to, and when it was handed to the wall.
type Sent = Arc<Mutex<HashMap<String, (&'static str, Instant)>>>;

/// The server: the wall task and the WebSocket, on a current-thread runtime on this thread.
fn serve_thread(
    ready: std::sync::mpsc::Sender<(WallFeed, std::net::SocketAddr)>,
    stop: tokio::sync::oneshot::Receiver<()>,
    cpu: std::sync::mpsc::Sender<Duration>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (feed, watch, _task) = wall::start(setup(), Clock::start());
        let app = axum::Router::new()
            .route(
                "/wall",
                get(
                    |State(watch): State<WallWatch>, upgrade: WebSocketUpgrade| async move {
                        upgrade.on_upgrade(move |socket| {
                            callbridge_web::supervision::wall::serve(
                                socket,
                                watch,
                                TenantId::new("acme"),
                                || async { true },
                            )
                        })
                    },
                ),
            )
            .with_state(watch);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        ready.send((feed, addr)).unwrap();
        let start = thread_cpu();
        let _ = stop.await;
        cpu.send(thread_cpu().saturating_sub(start)).unwrap();
    });
}

/// The state an agent is moved to at its `step`-th change, as the switchboard would say it.
fn next_state(agent: usize, step: u64) -> (AgentState, &'static str, Option<Output>) {
    let call = CallId::new(format!("c{agent}-{}", step / 4));
    match step % 4 {
        0 => {
            let ring = Output::RingAgent {
                agent: AgentId::parse(&format!("acme:agent{agent:04}")).unwrap(),
                call: call.clone(),
                customer: CallerNumber::Dialable(E164::parse("+81312345678").unwrap()),
                queue: Some(QueueId::new(format!("queue{}", agent % QUEUES))),
                direction: Direction::Inbound,
                transferred_by: None,
            };
            (AgentState::Ringing { call }, "ringing", Some(ring))
        }
        1 => (AgentState::OnCall { call }, "on_call", None),
        2 => (
            AgentState::WrapUp {
                until: callbridge_core::Timestamp::from_millis(0),
            },
            "wrap_up",
            None,
        ),
        _ => (
            AgentState::Available {
                since: callbridge_core::Timestamp::from_millis(step),
            },
            "available",
            None,
        ),
    }
}

async fn viewer(
    addr: std::net::SocketAddr,
    sent: Sent,
    latencies: Arc<Mutex<Vec<Duration>>>,
    until: Instant,
) {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/wall"))
        .await
        .expect("the wall accepts the viewer");
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(until.into(), socket.next()).await {
        let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
            continue;
        };
        let seen = Instant::now();
        let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        if value["type"] != "changes" {
            continue;
        }
        let sent = sent.lock();
        let mut found = latencies.lock();
        for row in value["agents"].as_array().into_iter().flatten() {
            let name = row["agent"].as_str().unwrap_or_default();
            if let Some((state, at)) = sent.get(name) {
                if row["state"] == *state {
                    found.push(seen.duration_since(*at));
                }
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn run(viewers: usize, rate: u64, secs: u64) {
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let (stop_tx, stop) = tokio::sync::oneshot::channel();
    let (cpu_tx, cpu) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || serve_thread(ready_tx, stop, cpu_tx));
    let (feed, addr) = ready.recv().unwrap();
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sent: Sent = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let changes = client.block_on(async {
        let until = Instant::now() + Duration::from_secs(secs) + Duration::from_secs(2);
        let mut tasks = Vec::new();
        for _ in 0..viewers {
            tasks.push(tokio::spawn(viewer(
                addr,
                sent.clone(),
                latencies.clone(),
                until,
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let clock = Clock::start();
        let mut steps = vec![0u64; AGENTS];
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let per_tick = rate / 100;
        let mut agent = 0usize;
        let mut changes = 0u64;
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            tick.tick().await;
            for _ in 0..per_tick {
                // Agents take turns in a stride, so consecutive changes hit different rows.
                agent = (agent + 7) % AGENTS;
                let (state, word, before) = next_state(agent, steps[agent]);
                steps[agent] += 1;
                let at: WallTime = clock.wall();
                if let Some(output) = before {
                    feed.observe(at, &output);
                }
                let name = format!("agent{agent:04}");
                sent.lock().insert(name.clone(), (word, Instant::now()));
                feed.observe(
                    at,
                    &Output::AgentUpdate {
                        agent: AgentId::parse(&format!("acme:{name}")).unwrap(),
                        state,
                        message: String::new(),
                    },
                );
                changes += 1;
            }
        }
        for task in tasks {
            let _ = task.await;
        }
        changes
    });
    stop_tx.send(()).unwrap();
    let cpu = cpu.recv().unwrap();
    server.join().unwrap();
    let mut latencies = std::mem::take(&mut *latencies.lock());
    latencies.sort();
    assert!(!latencies.is_empty(), "the viewers saw no change at all");
    let busy = Duration::from_secs(secs) + Duration::from_millis(2500);
    println!(
        "{viewers:>3} viewer(s): {changes} changes in {secs} s ({:.0}/s); change → viewer: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} rows seen; server thread CPU {:.2} s = {:.1}% of a core",
        changes as f64 / secs as f64,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        latencies.len(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / busy.as_secs_f64() * 100.0,
    );
}

fn main() {
    let rate = env_or("BENCH_CHANGES", 200);
    let secs = env_or("BENCH_SECS", 30);
    println!(
        "live wall push: {AGENTS} agents in {QUEUES} queues, {rate} agent state changes/s, {secs} s"
    );
    match std::env::var("BENCH_VIEWERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(viewers) => run(viewers, rate, secs),
        None => {
            run(1, rate, secs);
            run(10, rate, secs);
        }
    }
}
