//! Call set-up rate: sipp, as the carrier, calls the DID at a fixed rate; each call goes
//! through admission, the queue and the switchboard to one of N agents, whose softphones
//! (str0m over the real WebSocket) answer every `ringing` at once. The customer plays a tone
//! for `TALK_MS` and hangs up. Every call is bridged and recorded.
//!
//! `cargo bench -p callbridge-telephony --bench setup_rate`
//! Environment: `RATES` (calls/s, comma separated, default `100,200,300`), `CALLS` (per rate,
//! default 2000), `AGENTS` (default 400; at least rate × (talk + set-up) are busy at once),
//! `TALK_MS` (default 1000), `SIPP_RTP_TASKS` (sipp's `-rtp_threadtasks`, default 50).
//!
//! Prints per rate: offered and completed calls/s, sipp's successful/failed calls and
//! retransmissions, INVITE→200 time (sipp's `rtd`, p50/p99/max), and CPU time of the server
//! process (per call, and by thread), of sipp and of the agents' process. Needs `sipp`.
//!
//! The agents run in a second process (`common/pool.rs`), so the server's CPU is its own.
//! Ceiling analysis: see the top of `concurrent_calls.rs` and the figures this prints.

mod common;

use std::time::Duration;

use common::center::{agent_name, CenterOptions, ContactCenter};
use common::pool::{AgentPool, PoolConfig};
use common::procstat::{print_thread_cpu, ProcessSample, ThreadCpu};
use common::sipp::SippRun;
use common::stats::summary;
use common::{env_list, env_or, server_runtime};

const CUSTOMER_HZ: f64 = 700.0;
const AGENT_HZ: f64 = 1200.0;

struct Settings {
    rates: Vec<u32>,
    calls: u32,
    agents: usize,
    talk: Duration,
    rtp_tasks: u32,
}

fn main() {
    if common::pool::run_if_pool() {
        return;
    }
    if !common::have_sipp() {
        eprintln!("setup_rate needs sipp (Debian: apt-get install sip-tester); skipped");
        return;
    }
    let settings = Settings {
        rates: env_list("RATES", &[100, 200, 300]),
        calls: env_or("CALLS", 2000),
        agents: env_or("AGENTS", 400),
        talk: Duration::from_millis(env_or("TALK_MS", 1000)),
        rtp_tasks: env_or("SIPP_RTP_TASKS", 50),
    };
    server_runtime().block_on(measure(settings));
}

async fn measure(settings: Settings) {
    let center = ContactCenter::start(&CenterOptions {
        agents: settings.agents,
        sip_flood_limit: 100_000,
    })
    .await
    .expect("the contact center starts");
    let (pool, ready) = AgentPool::spawn(&PoolConfig {
        web_addr: center.web_addr(),
        master_key: center.master_key.clone(),
        agents: (0..settings.agents).map(agent_name).collect(),
        tone_hz: Some(AGENT_HZ),
        customer_hz: CUSTOMER_HZ,
        keep_audio: false,
        available: true,
    })
    .await
    .expect("the agent pool starts");
    println!(
        "setup_rate: {} agents connected in {:.1} s ({} failed), talk {} ms, {} calls per rate",
        ready.connected,
        ready.seconds,
        ready.failed,
        settings.talk.as_millis(),
        settings.calls
    );
    let mut total_successful = 0;
    for &rate in &settings.rates {
        let server_before = ProcessSample::current();
        let threads_before = ThreadCpu::current();
        let pool_before = ProcessSample::of_pid(pool.pid()).unwrap_or_default();
        let sipp = SippRun {
            target: center.sip,
            rate,
            calls: settings.calls,
            limit: settings.calls,
            talk: settings.talk,
            customer_hz: CUSTOMER_HZ,
            rtp_tasks_per_thread: settings.rtp_tasks,
        }
        .start()
        .expect("sipp starts");
        let outcome = sipp.finish().await.expect("sipp reports");
        let server = ProcessSample::current();
        let threads = ThreadCpu::current().since(&threads_before);
        let pool_after = ProcessSample::of_pid(pool.pid()).unwrap_or_default();
        total_successful += outcome.successful;

        // sipp starts the last call at calls/rate and it ends `talk` later.
        let placing = outcome.wall.saturating_sub(settings.talk).as_secs_f64();
        let server_cpu = server.cpu.saturating_sub(server_before.cpu);
        println!("\n  offered {rate} calls/s:");
        println!(
            "    completed {:.0} calls/s ({} successful, {} failed, {} retransmissions; sipp exit {})",
            outcome.successful as f64 / placing,
            outcome.successful,
            outcome.failed,
            outcome.retransmissions,
            if outcome.exit_ok { "ok" } else { "with errors" }
        );
        for (what, times) in [
            ("100", &outcome.invite_to_100_ms),
            ("180", &outcome.invite_to_180_ms),
            ("200", &outcome.invite_to_200_ms),
        ] {
            println!("    INVITE→{what}: {}", summary(&mut times.clone(), "ms"));
        }
        println!(
            "    CPU: server {:.2} s ({:.2} ms per call, {:.0}% of one core over {:.1} s), \
             sipp {:.2} s, agents' process {:.2} s",
            server_cpu.as_secs_f64(),
            server_cpu.as_secs_f64() * 1000.0 / outcome.successful.max(1) as f64,
            100.0 * server_cpu.as_secs_f64() / outcome.wall.as_secs_f64(),
            outcome.wall.as_secs_f64(),
            outcome.cpu.as_secs_f64(),
            pool_after.cpu.saturating_sub(pool_before.cpu).as_secs_f64()
        );
        println!("    server threads:");
        print_thread_cpu(&threads, outcome.wall);
        if !outcome.exit_ok && outcome.failed > 0 {
            let shown: String = outcome.errors.chars().take(1500).collect();
            println!("    sipp's errors (first lines):\n{shown}");
        }
        // Let the last calls end (records, recordings) before the next rate.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    let recordings = common::wait_for_recordings(
        &center.recordings_dir(),
        total_successful as usize,
        Duration::from_secs(30),
    )
    .await;
    let outcomes = center
        .call_outcomes(settings.calls * settings.rates.len() as u32 + 100)
        .await;
    let report = pool.report().await.expect("the agents report");
    println!(
        "\n  agents: {} rings, {} answered, {} ended; call records by outcome: {outcomes:?}; \
         recordings stored: {recordings} of {total_successful} successful calls",
        report.rung, report.answered, report.ended
    );
    center.stop().await;
}
