//! The supervisor's call history at scale: fills a fresh database with `BENCH_ROWS` call
//! records (default 1,000,000) of one tenant, plus a tenth as many of another, spread over 90
//! days, 100 agents, 10 queues, 200,000 customers and a realistic mix of outcomes; then reads
//! filtered pages of 50 the way the console does (`Store::call_history`, keyset cursor) and
//! prints p50 / p99 / max per filter; then reads whole days the way the charts do
//! (`Store::chart_calls`, every call of a day with its wait taken from the record's JSON, all
//! queues and one queue). SQLite always; PostgreSQL too when
//! `CALLBRIDGE_TEST_POSTGRES_URL` is set (`crates/store/scripts/with-postgres.sh`).
//! Run: `cargo bench -p callbridge-store --bench call_history`.

use std::time::{Duration, Instant};

use callbridge_store::{CallHistoryFilter, CallRecordRow, SecretKey, Store};

const DAY_MS: i64 = 86_400_000;
const START_MS: i64 = 1_788_000_000_000;
const AGENTS: u64 = 100;
const QUEUES: u64 = 10;
const CUSTOMERS: u64 = 200_000;
const PAGE: u32 = 50;
const SAMPLES: usize = 200;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (SplitMix64), so every run holds the same rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn customer(n: u64) -> String {
    format!("+8190{:08}", n)
}

fn record(tenant: &str, n: u64, rows: u64, rng: &mut Rng) -> CallRecordRow {
    let started_at = START_MS + (n as i64 * 90 * DAY_MS) / rows as i64 + rng.below(1000) as i64;
    let outcome = match rng.below(100) {
        0..=84 => "answered",
        85..=92 => "abandoned",
        93..=94 => "no_agent",
        95 => "overflow",
        96 => "failed",
        97..=98 => "outbound_failed",
        _ => "cancelled",
    };
    let outbound = matches!(outcome, "outbound_failed" | "cancelled") || rng.below(10) == 0;
    let agent = format!("agent{:03}", rng.below(AGENTS));
    let answered = outcome == "answered";
    let last = if answered && rng.below(20) == 0 {
        format!("agent{:03}", rng.below(AGENTS))
    } else {
        agent.clone()
    };
    let call_id = format!("{:016x}-{n:08}", rng.next());
    CallRecordRow {
        tenant: tenant.to_string(),
        record: format!(
            "{{\"call\":\"{call_id}\",\"tenant\":\"{tenant}\",\"direction\":\"inbound\",\"offers\":[{{\"agent\":\"{tenant}:{agent}\",\"at\":{started_at},\"result\":\"answered\"}}],\"transfers\":[],\"hold_count\":0,\"wait_ms\":4200,\"talk_ms\":183000,\"outcome\":{{\"kind\":\"{outcome}\"}},\"end_cause\":\"customer_hung_up\"}}"
        ),
        call_id,
        direction: if outbound { "outbound" } else { "inbound" }.into(),
        customer: customer(rng.below(CUSTOMERS)),
        queue: (!outbound).then(|| format!("queue{}", rng.below(QUEUES))),
        first_agent: (answered || outbound).then(|| agent.clone()),
        last_agent: (answered || outbound).then_some(last),
        outcome: outcome.into(),
        started_at,
        ended_at: started_at + 200_000,
    }
}

async fn fill(
    store: &Store,
    tenant: &str,
    rows: u64,
    seed: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng(seed);
    let mut batch = Vec::with_capacity(10_000);
    for n in 0..rows {
        batch.push(record(tenant, n, rows, &mut rng));
        if batch.len() == 10_000 {
            store.save_call_records(&batch).await?;
            batch.clear();
        }
    }
    store.save_call_records(&batch).await?;
    Ok(())
}

struct Scenario {
    name: &'static str,
    filter: fn(&mut Rng) -> CallHistoryFilter,
    /// Start deep in the history (from a cursor in the middle) rather than at the newest call.
    deep: bool,
}

fn scenarios() -> Vec<Scenario> {
    fn day(rng: &mut Rng) -> (i64, i64) {
        let from = START_MS + rng.below(89) as i64 * DAY_MS;
        (from, from + DAY_MS)
    }
    vec![
        Scenario {
            name: "no filter, newest page",
            filter: |_| CallHistoryFilter::default(),
            deep: false,
        },
        Scenario {
            name: "no filter, a page deep in the history",
            filter: |_| CallHistoryFilter::default(),
            deep: true,
        },
        Scenario {
            name: "one day",
            filter: |r| {
                let (from, to) = day(r);
                CallHistoryFilter {
                    from: Some(from),
                    to: Some(to),
                    ..Default::default()
                }
            },
            deep: false,
        },
        Scenario {
            name: "agent",
            filter: |r| CallHistoryFilter {
                agent: Some(format!("agent{:03}", r.below(AGENTS))),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "agent, deep",
            filter: |r| CallHistoryFilter {
                agent: Some(format!("agent{:03}", r.below(AGENTS))),
                ..Default::default()
            },
            deep: true,
        },
        Scenario {
            name: "queue + abandoned",
            filter: |r| CallHistoryFilter {
                queue: Some(format!("queue{}", r.below(QUEUES))),
                outcome: Some("abandoned".into()),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "customer number",
            filter: |r| CallHistoryFilter {
                number: Some(customer(r.below(CUSTOMERS))),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "outbound, one day",
            filter: |r| {
                let (from, to) = day(r);
                CallHistoryFilter {
                    direction: Some("outbound".into()),
                    from: Some(from),
                    to: Some(to),
                    ..Default::default()
                }
            },
            deep: false,
        },
        Scenario {
            name: "agent + failed (rare)",
            filter: |r| CallHistoryFilter {
                agent: Some(format!("agent{:03}", r.below(AGENTS))),
                outcome: Some("failed".into()),
                ..Default::default()
            },
            deep: false,
        },
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

async fn measure(store: &Store, label: &str, rows: u64) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n{label}: filtered pages of {PAGE} over {rows} call records of tenant acme");
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>7}",
        "filter", "p50 ms", "p99 ms", "max ms", "rows"
    );
    let mut worst = Duration::ZERO;
    for scenario in scenarios() {
        let mut rng = Rng(42);
        let mut times = Vec::with_capacity(SAMPLES);
        let mut rows_seen = 0;
        for _ in 0..SAMPLES {
            let mut filter = (scenario.filter)(&mut rng);
            if scenario.deep {
                let at = START_MS + rng.below(80) as i64 * DAY_MS;
                filter.after = Some((at, "8".into()));
            }
            let start = Instant::now();
            let page = store.call_history("acme", &filter, PAGE + 1).await?;
            times.push(start.elapsed());
            rows_seen += page.len();
        }
        times.sort();
        let p99 = percentile(&times, 0.99);
        worst = worst.max(p99);
        println!(
            "{:<40} {:>9.2} {:>9.2} {:>9.2} {:>7.1}",
            scenario.name,
            percentile(&times, 0.50).as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            rows_seen as f64 / SAMPLES as f64,
        );
    }
    println!(
        "worst p99: {:.2} ms (target < 100 ms)",
        worst.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The charts read a whole day (about rows / 90 calls here) and count it in memory.
async fn measure_charts(store: &Store, label: &str) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n{label}: the charts' read of one whole day (Store::chart_calls)");
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>7}",
        "day", "p50 ms", "p99 ms", "max ms", "rows"
    );
    for queue in [None, Some("queue3")] {
        let mut rng = Rng(7);
        let mut times = Vec::with_capacity(50);
        let mut rows_seen = 0;
        for _ in 0..50 {
            let from = START_MS + rng.below(89) as i64 * DAY_MS;
            let start = Instant::now();
            let calls = store
                .chart_calls("acme", from, from + DAY_MS, queue)
                .await?;
            times.push(start.elapsed());
            assert!(calls.iter().all(|c| c.wait_ms == Some(4200)));
            rows_seen += calls.len();
        }
        times.sort();
        println!(
            "{:<40} {:>9.2} {:>9.2} {:>9.2} {:>7.1}",
            if queue.is_some() {
                "one queue"
            } else {
                "every queue"
            },
            percentile(&times, 0.50).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            rows_seen as f64 / 50.0,
        );
    }
    Ok(())
}

async fn run(url: &str, label: &str, rows: u64) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(url, SecretKey::generate()).await?;
    let start = Instant::now();
    fill(&store, "acme", rows, 1).await?;
    fill(&store, "other", rows / 10, 2).await?;
    println!(
        "{label}: {} records written in {:.1} s",
        rows + rows / 10,
        start.elapsed().as_secs_f64()
    );
    measure(&store, label, rows).await?;
    measure_charts(&store, label).await?;
    store.close().await;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = env_or("BENCH_ROWS", 1_000_000) as u64;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("history.db").display());
    run(&url, "SQLite", rows).await?;
    match std::env::var("CALLBRIDGE_TEST_POSTGRES_URL") {
        Ok(url) => run(&url, "PostgreSQL", rows).await?,
        Err(_) => println!("\nPostgreSQL: skipped (set CALLBRIDGE_TEST_POSTGRES_URL, e.g. with crates/store/scripts/with-postgres.sh)"),
    }
    Ok(())
}
