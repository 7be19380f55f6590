//! Inbound call set-up rate: sipp's built-in UAC (`-sn uac`: INVITE, 200, ACK, BYE) calls the
//! endpoint at a fixed rate while a minimal runtime answers every call at once. Prints, per
//! rate, the calls completed per second of wall time and the failures sipp counted.
//!
//! `cargo bench -p callbridge-sip --bench inbound_rate`
//! Environment: `BENCH_RATES` (calls/s, comma separated, default `100,200,300`),
//! `BENCH_CALLS` (calls per rate, default 3000). Needs `sipp` (Debian: sip-tester).

use std::process::Stdio;
use std::time::{Duration, Instant};

use callbridge_sip::{SipConfig, SipEndpoint, SipEvent};

const ANSWER_SDP: &str = "v=0\r\no=callbridge 1 1 IN IP4 127.0.0.1\r\ns=-\r\n\
c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Successful and failed call counts from the last line of sipp's statistics CSV.
fn read_counts(csv: &str) -> Option<(u64, u64)> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.next_back()?.split(';').collect();
    let column = |name: &str| -> Option<u64> {
        let at = header.iter().position(|h| *h == name)?;
        last.get(at)?.trim().parse().ok()
    };
    Some((column("SuccessfulCall(C)")?, column("FailedCall(C)")?))
}

async fn measure(rate: u32, calls: u32) {
    let config = SipConfig {
        udp: Some("127.0.0.1:0".parse().unwrap()),
        tcp: None,
        flood_limit: None,
        session_expires: None,
        user_agent: "callbridge-bench".into(),
        ..SipConfig::default()
    };
    let (endpoint, mut events) = SipEndpoint::start(config).await.unwrap();
    let lead = endpoint.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let SipEvent::IncomingCall(call) = event {
                lead.answer(call.leg, ANSWER_SDP.into()).ok();
            }
        }
    });
    let target = endpoint.local_addrs().udp.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.csv");
    let started = Instant::now();
    let status = tokio::process::Command::new("sipp")
        .args([
            "-sn",
            "uac",
            "-i",
            "127.0.0.1",
            "-p",
            &free_udp_port().to_string(),
            "-mp",
            &free_udp_port().to_string(),
            "-r",
            &rate.to_string(),
            "-m",
            &calls.to_string(),
            "-l",
            "10000",
            "-timeout",
            "120s",
            "-nostdin",
            "-trace_stat",
            "-stf",
            &stats.display().to_string(),
            "-fd",
            "1",
            &target.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .expect("run sipp");
    let elapsed = started.elapsed();
    let csv = std::fs::read_to_string(&stats).unwrap_or_default();
    let (ok, failed) = read_counts(&csv).unwrap_or((0, u64::from(calls)));
    // Wait for the endpoint to forget every leg, so leaks would show.
    let mut lingering = endpoint.live_legs();
    for _ in 0..100 {
        if lingering == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        lingering = endpoint.live_legs();
    }
    println!(
        "offered {rate:>4} calls/s x {calls}: completed {ok} in {:.2} s = {:.1} calls/s, failed {failed}, sipp exit {:?}, legs left {lingering}",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        status.code(),
    );
    endpoint.shutdown();
}

fn main() {
    if std::process::Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!("sipp is not installed (apt-get install sip-tester); nothing measured");
        return;
    }
    let rates: Vec<u32> = std::env::var("BENCH_RATES")
        .unwrap_or_else(|_| "100,200,300".into())
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let calls: u32 = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(3000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for rate in rates {
        runtime.block_on(measure(rate, calls));
    }
}
