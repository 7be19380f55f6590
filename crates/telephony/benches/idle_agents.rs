//! Memory per idle connected agent: K agents open the softphone WebSocket, set up their
//! persistent WebRTC session (str0m on the server, ICE-lite + DTLS-SRTP) and become available,
//! then idle (ICE consent checks and RTCP only). Prints the server process's RSS and live heap
//! growth per agent, and the CPU idle agents cost.
//!
//! `cargo bench -p callbridge-telephony --bench idle_agents`
//! Environment: `AGENTS` (default 200), `IDLE_SECONDS` (default 10).
//!
//! The agents' softphones run in a second process (see `common/pool.rs`), so `/proc/self`
//! is the server alone: the ServiceNow sandbox, the integration server and telephony.
//! Heap is counted by a wrapping global allocator; RSS is `VmRSS`. Where RSS grows more than
//! the heap, the difference is allocator slack (freed memory glibc keeps), not live data.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use common::center::{agent_name, CenterOptions, ContactCenter};
use common::pool::{AgentPool, PoolConfig};
use common::procstat::{print_thread_cpu, ProcessSample, ThreadCpu};
use common::{env_or, server_runtime};

/// Counts live heap bytes in this process.
struct CountingAllocator;

static LIVE_HEAP: AtomicI64 = AtomicI64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_HEAP.fetch_add(layout.size() as i64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_HEAP.fetch_add(layout.size() as i64, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_HEAP.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_HEAP.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn main() {
    if common::pool::run_if_pool() {
        return;
    }
    let agents: usize = env_or("AGENTS", 200);
    let idle = Duration::from_secs(env_or("IDLE_SECONDS", 10));
    server_runtime().block_on(measure(agents, idle));
}

async fn measure(agents: usize, idle: Duration) {
    let center = ContactCenter::start(&CenterOptions {
        agents,
        sip_flood_limit: 10_000,
    })
    .await
    .expect("the contact center starts");
    // Let start-up work (setup, migrations, first allocations) settle before the baseline.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = ProcessSample::current();
    let heap_before = LIVE_HEAP.load(Ordering::Relaxed);

    let (pool, ready) = AgentPool::spawn(&PoolConfig {
        web_addr: center.web_addr(),
        master_key: center.master_key.clone(),
        agents: (0..agents).map(agent_name).collect(),
        tone_hz: None,
        customer_hz: 700.0,
        keep_audio: false,
        available: true,
    })
    .await
    .expect("the agent pool starts");
    println!(
        "idle_agents: {} of {agents} agents connected in {:.1} s ({} failed{})",
        ready.connected,
        ready.seconds,
        ready.failed,
        ready
            .first_error
            .as_deref()
            .map(|e| format!("; first error: {e}"))
            .unwrap_or_default()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected = ProcessSample::current();
    let heap_connected = LIVE_HEAP.load(Ordering::Relaxed);
    let threads_before = ThreadCpu::current();
    let pool_before = ProcessSample::of_pid(pool.pid()).unwrap_or_default();
    let idle_started = Instant::now();
    tokio::time::sleep(idle).await;
    let idle_wall = idle_started.elapsed();
    let after_idle = ProcessSample::current();
    let threads_used = ThreadCpu::current().since(&threads_before);
    let pool_after = ProcessSample::of_pid(pool.pid()).unwrap_or_default();
    let heap_after_idle = LIVE_HEAP.load(Ordering::Relaxed);

    let n = ready.connected.max(1) as f64;
    let rss_growth = connected.rss_bytes as i64 - before.rss_bytes as i64;
    let heap_growth = heap_connected - heap_before;
    println!(
        "  server RSS:  {:.1} MiB -> {:.1} MiB: {:.1} kB per agent",
        common::mib(before.rss_bytes as i64),
        common::mib(connected.rss_bytes as i64),
        rss_growth as f64 / n / 1000.0
    );
    println!(
        "  server heap: {:.1} MiB -> {:.1} MiB: {:.1} kB per agent (live allocations); \
         after {:.0} s idle {:.1} kB per agent",
        common::mib(heap_before),
        common::mib(heap_connected),
        heap_growth as f64 / n / 1000.0,
        idle_wall.as_secs_f64(),
        (heap_after_idle - heap_before) as f64 / n / 1000.0
    );
    let idle_cpu = after_idle.cpu.saturating_sub(connected.cpu);
    println!(
        "  server CPU while idle: {:.3} s over {:.0} s = {:.2}% of one core, {:.1} µs per agent per second",
        idle_cpu.as_secs_f64(),
        idle_wall.as_secs_f64(),
        100.0 * idle_cpu.as_secs_f64() / idle_wall.as_secs_f64(),
        idle_cpu.as_secs_f64() * 1e6 / n / idle_wall.as_secs_f64()
    );
    print_thread_cpu(&threads_used, idle_wall);
    println!(
        "  agents' process (str0m clients): RSS {:.1} MiB, CPU while idle {:.3} s",
        common::mib(pool_after.rss_bytes as i64),
        pool_after.cpu.saturating_sub(pool_before.cpu).as_secs_f64()
    );
    let _ = pool.report().await;
    center.stop().await;
}
