//! Relay benchmark: N bridged and recorded calls through one `Media`, on loopback.
//!
//! Customer side: one plain UDP "carrier" per call sending time-stamped PCMU every 20 ms.
//! Agent side: one str0m test softphone per call doing the same over DTLS-SRTP. Both ends
//! read the stamps back, so the one-way delay through the relay is measured per packet.
//! The load generators run in the same process, on their own runtime, on the same cores:
//! figures are for the relay *plus* its peers, so the relay alone has more headroom.
//!
//! Environment: `CALLS` (default 500), `SECONDS` (default 20), `IDLE_AGENTS` (default 200),
//! `SERVER_THREADS` (default 2).
//!
//! Prints: packets/s relayed, loss each way, one-way delay and added jitter (p50/p99), CPU of
//! the relay's threads per packet, heap and RSS per bridged call and per idle agent session.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callbridge_media::rtp::{write_rtp, RtpHeader, RtpPacket};
use callbridge_media::testing::{
    read_stamp, stamp_frame, KeepReceived, OutgoingAudio, Softphone, SoftphoneOptions,
};
use callbridge_media::{AgentId, CallId, Media, MediaConfig};
use tokio::net::UdpSocket;
use tokio::runtime::{Handle, Runtime};

// ---- heap accounting per side: the relay's threads vs the load generators' threads ----

struct CountingAllocator;

static SERVER_HEAP: AtomicI64 = AtomicI64::new(0);
static CLIENT_HEAP: AtomicI64 = AtomicI64::new(0);

thread_local! {
    static IS_CLIENT: Cell<bool> = const { Cell::new(false) };
}

fn heap_counter() -> &'static AtomicI64 {
    match IS_CLIENT.try_with(Cell::get) {
        Ok(true) => &CLIENT_HEAP,
        _ => &SERVER_HEAP,
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        heap_counter().fetch_add(layout.size() as i64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        heap_counter().fetch_sub(layout.size() as i64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        heap_counter().fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// CPU seconds used so far by the threads whose name starts with `prefix`.
fn thread_cpu_seconds(prefix: &str) -> f64 {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3; utime 14, stime 15.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let stime: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        total += (utime + stime) / ticks_per_second;
    }
    total
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

// ---- the customer side ----

/// What every carrier task shares with the benchmark's main thread.
struct Carriers {
    epoch: Instant,
    /// Send audio while set.
    sending: AtomicBool,
    /// End the tasks.
    stop: AtomicBool,
    sent: AtomicU64,
    received: AtomicU64,
    /// One-way delays (ms) of the agent's frames, by call.
    delays: parking_lot::Mutex<Vec<(u32, f64)>>,
}

/// Sends stamped PCMU to the leg every 20 ms while `sending`, records stamped arrivals.
async fn run_carrier(socket: UdpSocket, leg: SocketAddr, shared: Arc<Carriers>, index: u32) {
    let epoch = shared.epoch;
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = [0u8; 1500];
    let mut out = [0u8; 200];
    let mut seq: u16 = 0;
    let mut local_delays = Vec::with_capacity(4096);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                if !shared.sending.load(Ordering::Relaxed) {
                    continue;
                }
                let mut payload = [0xFFu8; 160];
                stamp_frame(epoch, Instant::now(), &mut payload);
                let header = RtpHeader { marker: seq == 0, payload_type: 0, sequence: seq,
                    timestamp: u32::from(seq) * 160, ssrc: 0x5EED_0000 | index };
                seq = seq.wrapping_add(1);
                let n = write_rtp(&header, &payload, &mut out).expect("fits");
                if socket.send_to(&out[..n], leg).await.is_ok() {
                    shared.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            received = socket.recv_from(&mut buf) => {
                let Ok((len, _)) = received else { continue };
                let arrived = Instant::now();
                if let Ok(packet) = RtpPacket::parse(&buf[..len]) {
                    if let Some(sent) = read_stamp(epoch, packet.payload) {
                        shared.received.fetch_add(1, Ordering::Relaxed);
                        local_delays.push(arrived.duration_since(sent).as_secs_f64() * 1000.0);
                    }
                }
            }
        }
    }
    shared
        .delays
        .lock()
        .extend(local_delays.into_iter().map(|d| (index, d)));
}

/// Added jitter: each packet's delay above its stream's minimum delay (ms), pooled.
fn jitter_of(delays: &[(u32, f64)]) -> Vec<f64> {
    let mut min = std::collections::HashMap::<u32, f64>::new();
    for (stream, d) in delays {
        let m = min.entry(*stream).or_insert(f64::MAX);
        *m = m.min(*d);
    }
    let mut jitter: Vec<f64> = delays.iter().map(|(s, d)| d - min[s]).collect();
    jitter.sort_by(f64::total_cmp);
    jitter
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    let calls = env("CALLS", 500);
    let seconds = env("SECONDS", 20);
    let idle_agents = env("IDLE_AGENTS", 200);
    let server_threads = env("SERVER_THREADS", 2);

    let server: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(server_threads)
        .thread_name("relay")
        .enable_all()
        .build()
        .unwrap();
    let client: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("peers")
        .on_thread_start(|| IS_CLIENT.with(|c| c.set(true)))
        .enable_all()
        .build()
        .unwrap();

    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let span = (calls * 2 + idle_agents + 200) as u16;
    let start = probe.local_addr().unwrap().port().min(65_535 - span);
    drop(probe);
    let mut config = MediaConfig::loopback(start..=start + span);
    config.agent_timeout = Duration::from_secs(30);
    config.media_timeout = Duration::from_secs(30);
    let (media, mut events) = {
        let _guard = server.enter();
        Media::start(config).unwrap()
    };
    server.spawn(async move { while events.recv().await.is_some() {} });

    println!("relay bench: {calls} calls for {seconds} s, {idle_agents} idle agents, {server_threads} relay threads, 2 peer threads, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));

    // ---- idle agent sessions: memory ----
    let heap_before = SERVER_HEAP.load(Ordering::Relaxed);
    let rss_before = rss_bytes();
    let idle_phones = connect_agents(
        &server,
        &client,
        &media,
        "idle",
        idle_agents,
        OutgoingAudio::Nothing,
        KeepReceived::Audio,
    );
    std::thread::sleep(Duration::from_secs(2));
    let idle_heap =
        (SERVER_HEAP.load(Ordering::Relaxed) - heap_before) as f64 / idle_agents.max(1) as f64;
    let idle_rss = (rss_bytes().saturating_sub(rss_before)) as f64 / idle_agents.max(1) as f64;
    println!(
        "idle agent session: relay heap {:.1} kB each; process RSS {:.1} kB each (includes the peer's own str0m client)",
        idle_heap / 1024.0,
        idle_rss / 1024.0
    );
    for i in 0..idle_agents {
        media.close_agent_session(&AgentId::parse(&format!("t:idle-{i}")).unwrap());
    }
    client.block_on(async move { drop(idle_phones) });
    std::thread::sleep(Duration::from_millis(500));

    // ---- bridged, recorded calls ----
    let epoch = Instant::now();
    let heap_before = SERVER_HEAP.load(Ordering::Relaxed);
    let rss_before = rss_bytes();
    let phones = connect_agents(
        &server,
        &client,
        &media,
        "agent",
        calls,
        OutgoingAudio::Stamped(epoch),
        KeepReceived::Stamps(epoch),
    );
    for phone in &phones {
        phone.set_sending(false);
    }
    let carriers = Arc::new(Carriers {
        epoch,
        sending: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        sent: AtomicU64::new(0),
        received: AtomicU64::new(0),
        delays: parking_lot::Mutex::new(Vec::new()),
    });
    let tapped = Arc::new(AtomicU64::new(0));
    let mut carrier_tasks = Vec::new();
    for i in 0..calls {
        let call = CallId::new(format!("call-{i}"));
        let agent = AgentId::parse(&format!("t:agent-{i}")).unwrap();
        let socket = client.block_on(async { UdpSocket::bind("127.0.0.1:0").await.unwrap() });
        let carrier_addr = socket.local_addr().unwrap();
        let leg = {
            let _guard = server.enter();
            let info = media.open_trunk_leg(&call).unwrap();
            let offer = format!(
                "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio {} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
                carrier_addr.port()
            );
            media.answer_trunk_offer(&call, offer.as_bytes()).unwrap();
            media.connect(&call, &agent).unwrap();
            let (tap, mut tap_rx) = tokio::sync::mpsc::channel(256);
            media.record(&call, tap).unwrap();
            let tapped = Arc::clone(&tapped);
            // The recorder's stand-in: drains the tap every 100 ms, as a spool writer that
            // flushes in blocks would. (Awaiting each packet instead costs the relay's
            // threads one task wake-up per packet.)
            server.spawn(async move {
                let mut ticker = tokio::time::interval(Duration::from_millis(100));
                loop {
                    ticker.tick().await;
                    loop {
                        match tap_rx.try_recv() {
                            Ok(_) => {
                                tapped.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return,
                        }
                    }
                }
            });
            info.local_addr
        };
        carrier_tasks.push(client.spawn(run_carrier(socket, leg, Arc::clone(&carriers), i as u32)));
    }
    std::thread::sleep(Duration::from_millis(500));
    let setup_heap =
        (SERVER_HEAP.load(Ordering::Relaxed) - heap_before) as f64 / calls.max(1) as f64;
    let setup_rss = rss_bytes().saturating_sub(rss_before) as f64 / calls.max(1) as f64;

    // Start both directions, skip a warm-up second, then measure. What the phones sent before
    // their call was bridged was dropped by design, so it is not counted.
    let phone_sent_before: u64 = phones.iter().map(|p| p.counts().1).sum();
    carriers.sending.store(true, Ordering::Relaxed);
    for phone in &phones {
        phone.set_sending(true);
    }
    std::thread::sleep(Duration::from_secs(1));
    let cpu_start = thread_cpu_seconds("relay");
    let peers_cpu_start = thread_cpu_seconds("peers");
    let window_start = Instant::now();
    let relayed_start = relayed(&phones, &carriers);
    std::thread::sleep(Duration::from_secs(seconds as u64));
    let relayed_end = relayed(&phones, &carriers);
    let window = window_start.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds("relay") - cpu_start;
    let peers_cpu = thread_cpu_seconds("peers") - peers_cpu_start;

    // Stop senders, let the pipes drain, then count.
    carriers.sending.store(false, Ordering::Relaxed);
    for phone in &phones {
        phone.set_sending(false);
    }
    std::thread::sleep(Duration::from_millis(800));
    carriers.stop.store(true, Ordering::Relaxed);
    client.block_on(async {
        for task in carrier_tasks {
            let _ = task.await;
        }
    });

    let (mut phone_sent, mut phone_received) = (0u64, 0u64);
    let mut agent_delays = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        let (received, sent) = phone.counts();
        phone_sent += sent;
        phone_received += received;
        agent_delays.extend(phone.take_stamps().into_iter().map(|s| {
            (
                i as u32,
                s.arrived.saturating_duration_since(s.sent).as_secs_f64() * 1000.0,
            )
        }));
    }
    let carrier_sent = carriers.sent.load(Ordering::Relaxed);
    let carrier_received = carriers.received.load(Ordering::Relaxed);
    let customer_to_agent_loss = 1.0 - phone_received as f64 / carrier_sent.max(1) as f64;
    let phone_sent = phone_sent - phone_sent_before;
    let agent_to_customer_loss = 1.0 - carrier_received as f64 / phone_sent.max(1) as f64;
    let packets = (relayed_end - relayed_start) as f64;

    println!("bridged+recorded calls: {calls}");
    println!(
        "  relayed: {:.0} packets/s ({} in {:.1} s), tapped {} packets",
        packets / window,
        packets,
        window,
        tapped.load(Ordering::Relaxed)
    );
    println!(
        "  loss: customer->agent {:.4}% ({} of {}), agent->customer {:.4}% ({} of {})",
        customer_to_agent_loss * 100.0,
        carrier_sent.saturating_sub(phone_received),
        carrier_sent,
        agent_to_customer_loss * 100.0,
        phone_sent.saturating_sub(carrier_received),
        phone_sent
    );
    let carrier_delays = carriers.delays.lock().clone();
    for (name, delays) in [
        ("customer->agent", &agent_delays),
        ("agent->customer", &carrier_delays),
    ] {
        let all = sorted(delays.iter().map(|(_, d)| *d).collect());
        let jitter = jitter_of(delays);
        println!(
            "  {name}: one-way delay p50 {:.2} ms p99 {:.2} ms max {:.2} ms; added jitter p50 {:.2} ms p99 {:.2} ms",
            percentile(&all, 0.5), percentile(&all, 0.99), all.last().copied().unwrap_or(f64::NAN),
            percentile(&jitter, 0.5), percentile(&jitter, 0.99)
        );
    }
    println!(
        "  relay CPU: {:.2} core-seconds/s ({:.0}% of {} cores), {:.2} us per relayed packet; peers used {:.2} core-seconds/s",
        cpu / window, cpu / window * 100.0 / 2.0, 2, cpu / packets.max(1.0) * 1e6, peers_cpu / window
    );
    println!(
        "  memory per bridged call (leg + agent session + tap): relay heap {:.1} kB; process RSS {:.1} kB (includes both peers)",
        setup_heap / 1024.0, setup_rss / 1024.0
    );
    println!(
        "  process RSS total {:.1} MB",
        rss_bytes() as f64 / 1048576.0
    );
    client.block_on(async move { drop(phones) });
}

fn relayed(phones: &[Softphone], carriers: &Carriers) -> u64 {
    phones.iter().map(|p| p.counts().0).sum::<u64>() + carriers.received.load(Ordering::Relaxed)
}

/// Opens `count` agent sessions, each with a connected softphone on the peers' runtime.
fn connect_agents(
    server: &Runtime,
    client: &Runtime,
    media: &Media,
    prefix: &str,
    count: usize,
    send: OutgoingAudio,
    keep: KeepReceived,
) -> Vec<Softphone> {
    let server_handle: Handle = server.handle().clone();
    // The peers' str0m clients are built on this thread: count their memory as the peers'.
    IS_CLIENT.with(|c| c.set(true));
    let phones = client.block_on(async {
        let mut phones = Vec::with_capacity(count);
        for i in 0..count {
            let pending = Softphone::offer(SoftphoneOptions { send, keep }).unwrap();
            let offer = pending.offer_json().to_owned();
            let agent = AgentId::parse(&format!("t:{prefix}-{i}")).unwrap();
            let media = media.clone();
            // Answer on the relay's runtime so the session's memory is counted as the relay's.
            let answer = server_handle
                .spawn(async move { media.open_agent_session(&agent, &offer) })
                .await
                .unwrap()
                .unwrap();
            phones.push(pending.accept(&answer).unwrap());
        }
        for phone in &phones {
            assert!(
                phone.wait_connected(Duration::from_secs(20)).await,
                "a softphone did not connect"
            );
        }
        phones
    });
    IS_CLIENT.with(|c| c.set(false));
    phones
}
