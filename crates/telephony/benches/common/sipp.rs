//! sipp as the carrier: places calls to the contact center's DID with
//! `benches/scenarios/customer_calls_timed.xml` (the end-to-end tests' customer: INVITE with a
//! PCMU offer, wait for 200, ACK, play a tone with `rtp_stream` for `-d` ms, BYE), and reads
//! back its own counts: successful and failed calls, retransmissions, and for every call the
//! time from INVITE to 100, 180 and 200 (`-trace_rtt`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::center::{CALLER, DID};
use super::procstat::ProcessSample;

pub struct SippRun {
    pub target: SocketAddr,
    /// Calls per second sipp starts.
    pub rate: u32,
    pub calls: u32,
    /// At most this many calls at once (`-l`).
    pub limit: u32,
    /// How long the customer talks once answered.
    pub talk: Duration,
    pub customer_hz: f64,
    /// `-rtp_threadtasks`: calls each of sipp's RTP playback threads serves.
    pub rtp_tasks_per_thread: u32,
}

#[derive(Debug)]
pub struct SippOutcome {
    pub successful: u64,
    pub failed: u64,
    pub retransmissions: u64,
    /// INVITE sent → 100 Trying received, per call, in ms: the SIP stack's own latency.
    pub invite_to_100_ms: Vec<f64>,
    /// INVITE sent → 180 received (the call is queued and an agent rings), in ms.
    pub invite_to_180_ms: Vec<f64>,
    /// INVITE sent → 200 received (an agent answered), per successful call, in ms.
    pub invite_to_200_ms: Vec<f64>,
    pub wall: Duration,
    /// sipp's own CPU time (it is reaped before this is read).
    pub cpu: Duration,
    pub exit_ok: bool,
    /// sipp's error log, when it failed.
    pub errors: String,
}

/// A sipp process placing calls; [`RunningSipp::finish`] waits for it.
pub struct RunningSipp {
    child: tokio::process::Child,
    dir: tempfile::TempDir,
    started: Instant,
    children_cpu_before: Duration,
}

impl SippRun {
    pub fn start(&self) -> anyhow::Result<RunningSipp> {
        let dir = tempfile::tempdir()?;
        super::tone::write_mulaw_wav(&dir.path().join("tone.wav"), self.customer_hz, 30.0)?;
        let scenario = scenario_path();
        let media_port = std::net::UdpSocket::bind("127.0.0.1:0")?
            .local_addr()?
            .port()
            & !1;
        let sip_port = std::net::UdpSocket::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let global_timeout = self.calls / self.rate.max(1) + self.talk.as_secs() as u32 + 60;
        let args: Vec<String> = vec![
            self.target.to_string(),
            "-sf".into(),
            scenario.display().to_string(),
            "-s".into(),
            DID.trim_start_matches('+').into(),
            "-set".into(),
            "caller".into(),
            CALLER.into(),
            "-i".into(),
            "127.0.0.1".into(),
            "-p".into(),
            sip_port.to_string(),
            "-mi".into(),
            "127.0.0.1".into(),
            "-mp".into(),
            media_port.to_string(),
            "-rtp_threadtasks".into(),
            self.rtp_tasks_per_thread.to_string(),
            "-r".into(),
            self.rate.to_string(),
            "-m".into(),
            self.calls.to_string(),
            "-l".into(),
            self.limit.to_string(),
            "-d".into(),
            self.talk.as_millis().to_string(),
            "-timeout".into(),
            format!("{global_timeout}s"),
            "-timeout_error".into(),
            "-trace_err".into(),
            "-trace_stat".into(),
            "-stf".into(),
            "stats.csv".into(),
            "-fd".into(),
            "1".into(),
            "-trace_rtt".into(),
            "-rtt_freq".into(),
            "1".into(),
            "-nostdin".into(),
        ];
        let children_cpu_before = ProcessSample::current().children_cpu;
        // sipp holds sockets per call for RTP: give it every descriptor the hard limit allows.
        let child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -n \"$(ulimit -Hn)\"; exec sipp \"$@\"")
            .arg("sipp")
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting sipp (Debian: apt-get install sip-tester)")?;
        Ok(RunningSipp {
            child,
            dir,
            started: Instant::now(),
            children_cpu_before,
        })
    }
}

impl RunningSipp {
    /// Waits for sipp to finish and collects its counts.
    pub async fn finish(mut self) -> anyhow::Result<SippOutcome> {
        let status = self.child.wait().await?;
        let wall = self.started.elapsed();
        let cpu = ProcessSample::current()
            .children_cpu
            .saturating_sub(self.children_cpu_before);
        let dir = self.dir.path();
        let stats = std::fs::read_to_string(dir.join("stats.csv")).unwrap_or_default();
        let Some(counts) = last_counts(&stats) else {
            bail!(
                "sipp wrote no statistics ({status}):\n{}",
                read_logs(dir, "errors.log")
            );
        };
        let mut rtt = read_rtt(dir);
        Ok(SippOutcome {
            successful: counts.successful,
            failed: counts.failed,
            retransmissions: counts.retransmissions,
            invite_to_100_ms: rtt.remove("1").unwrap_or_default(),
            invite_to_180_ms: rtt.remove("2").unwrap_or_default(),
            invite_to_200_ms: rtt.remove("3").unwrap_or_default(),
            wall,
            cpu,
            exit_ok: status.success(),
            errors: if status.success() {
                String::new()
            } else {
                read_logs(dir, "errors.log")
            },
        })
    }
}

fn scenario_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/customer_calls_timed.xml")
}

struct Counts {
    successful: u64,
    failed: u64,
    retransmissions: u64,
}

/// The cumulative counts on the last line of sipp's `;`-separated statistics file.
fn last_counts(csv: &str) -> Option<Counts> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.next_back()?.split(';').collect();
    let column = |name: &str| -> Option<u64> {
        let at = header.iter().position(|h| *h == name)?;
        last.get(at)?.trim().parse().ok()
    };
    Some(Counts {
        successful: column("SuccessfulCall(C)")?,
        failed: column("FailedCall(C)")?,
        retransmissions: column("Retransmissions(C)").unwrap_or(0),
    })
}

/// Every response time sipp traced, by rtd name (`<scenario>_<pid>_rtt.csv`, `;`-separated
/// with a header naming the time and rtd columns).
fn read_rtt(dir: &Path) -> BTreeMap<String, Vec<f64>> {
    let mut times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if !entry.file_name().to_string_lossy().ends_with("_rtt.csv") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let mut lines = text.lines();
        let Some(header) = lines.next() else { continue };
        let header: Vec<&str> = header.split(';').collect();
        let time_at = header.iter().position(|h| h.contains("response_time"));
        let rtd_at = header.iter().position(|h| h.contains("rtd"));
        let (Some(time_at), Some(rtd_at)) = (time_at, rtd_at) else {
            continue;
        };
        for line in lines {
            let fields: Vec<&str> = line.split(';').collect();
            let (Some(time), Some(rtd)) = (fields.get(time_at), fields.get(rtd_at)) else {
                continue;
            };
            if let Ok(ms) = time.trim().parse::<f64>() {
                times.entry(rtd.trim().to_string()).or_default().push(ms);
            }
        }
    }
    times
}

/// The first 4 kB of each sipp log whose name ends with `suffix`.
fn read_logs(dir: &Path, suffix: &str) -> String {
    let mut logs = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(suffix) {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let shown: String = text.chars().take(4096).collect();
            logs.push_str(&format!("--- {name}\n{shown}\n"));
        }
    }
    logs
}
