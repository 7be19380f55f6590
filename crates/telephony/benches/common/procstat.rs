//! CPU and memory of processes and threads, read from `/proc` (Linux only).
//!
//! The benchmarks report the server's own share of the machine: its process CPU time, the
//! split across its threads (Tokio workers, the recorder, SQLite workers), and its resident
//! memory, separately from the agents' process and from sipp.

use std::collections::BTreeMap;
use std::time::Duration;

/// Clock ticks per second for `/proc/*/stat` times. Linux has reported 100 on every mainstream
/// architecture for decades; reading `sysconf` would need `libc` for one constant.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time (user + system) and resident memory of one process at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessSample {
    pub cpu: Duration,
    /// CPU time of children this process has waited for (sipp, once reaped).
    pub children_cpu: Duration,
    pub rss_bytes: u64,
}

impl ProcessSample {
    /// This process.
    pub fn current() -> ProcessSample {
        Self::of("self").expect("/proc/self is readable")
    }

    /// Another process by id; None once it has gone.
    pub fn of_pid(pid: u32) -> Option<ProcessSample> {
        Self::of(&pid.to_string())
    }

    fn of(pid: &str) -> Option<ProcessSample> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let times = StatTimes::parse(&stat)?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        Some(ProcessSample {
            cpu: times.own(),
            children_cpu: times.children(),
            rss_bytes: status_kib(&status, "VmRSS:").unwrap_or(0) * 1024,
        })
    }
}

/// The CPU fields of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat` line.
struct StatTimes {
    comm: String,
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
}

impl StatTimes {
    /// Fields after the command name (which may itself hold spaces and parentheses, so the
    /// last `)` ends it): state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    fn parse(line: &str) -> Option<StatTimes> {
        let open = line.find('(')?;
        let close = line.rfind(')')?;
        let comm = line.get(open + 1..close)?.to_string();
        let rest: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
        let field = |n: usize| -> Option<u64> { rest.get(n - 3)?.parse().ok() };
        Some(StatTimes {
            comm,
            utime: field(14)?,
            stime: field(15)?,
            cutime: field(16)?,
            cstime: field(17)?,
        })
    }

    fn own(&self) -> Duration {
        ticks(self.utime + self.stime)
    }

    fn children(&self) -> Duration {
        ticks(self.cutime + self.cstime)
    }
}

fn ticks(n: u64) -> Duration {
    Duration::from_millis(n * 1000 / TICKS_PER_SECOND)
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time of this process's threads, summed by thread name (Tokio's workers share one).
/// Threads that ended between two samples drop out, so compare samples taken while the
/// server runs.
#[derive(Debug, Clone, Default)]
pub struct ThreadCpu(pub BTreeMap<String, Duration>);

impl ThreadCpu {
    pub fn current() -> ThreadCpu {
        let mut by_name = BTreeMap::new();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return ThreadCpu(by_name);
        };
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            if let Some(times) = StatTimes::parse(&stat) {
                *by_name
                    .entry(thread_group(&times.comm))
                    .or_insert(Duration::ZERO) += times.own();
            }
        }
        ThreadCpu(by_name)
    }

    /// CPU used per thread group since `earlier`, largest first.
    pub fn since(&self, earlier: &ThreadCpu) -> Vec<(String, Duration)> {
        let mut used: Vec<(String, Duration)> = self
            .0
            .iter()
            .map(|(name, now)| {
                let before = earlier.0.get(name).copied().unwrap_or_default();
                (name.clone(), now.saturating_sub(before))
            })
            .filter(|(_, d)| !d.is_zero())
            .collect();
        used.sort_by_key(|(_, cpu)| std::cmp::Reverse(*cpu));
        used
    }
}

/// Groups numbered threads (`recorder-sync-3`, `sqlx-sqlite-worker-2`) under one name.
fn thread_group(comm: &str) -> String {
    comm.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-')
        .to_string()
}

/// Prints per-thread-group CPU as a share of the wall time.
pub fn print_thread_cpu(used: &[(String, Duration)], wall: Duration) {
    for (name, cpu) in used.iter().take(8) {
        println!(
            "    {name:<22} {:>8.2} s  ({:>5.1}% of one core)",
            cpu.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
        );
    }
}
