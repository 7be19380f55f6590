//! Outbox throughput on SQLite (the default store): enqueue, claim and complete N items
//! (default 10,000; `BENCH_ITEMS` overrides) in a fresh database file, as one worker would,
//! claiming in batches of `BENCH_BATCH` (default 50). Prints items per second; asserts only
//! that every item went through exactly once.
//! Run: `cargo bench -p callbridge-store --bench outbox`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use callbridge_store::{OutboxItem, SecretKey, Store};
use serde_json::json;
use time::OffsetDateTime;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let items = env_or("BENCH_ITEMS", 10_000);
    let batch = env_or("BENCH_BATCH", 50);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url, SecretKey::generate()).await?;
    let now = OffsetDateTime::now_utc();
    let lease = Duration::from_secs(60);

    let start = Instant::now();
    for n in 0..items {
        let call = format!("call-{n:06}");
        store
            .enqueue(OutboxItem::new(
                "bench",
                "create_case",
                call.clone(),
                json!({"call_id": call, "caller": "+441632960001", "agent": "a1"}),
            ))
            .await?;
    }
    let enqueued = start.elapsed();

    let t = Instant::now();
    let mut done = HashSet::with_capacity(items);
    loop {
        let claimed = store.claim_due(now, batch, lease).await?;
        if claimed.is_empty() {
            break;
        }
        for item in claimed {
            store
                .complete(item.id, json!({"sys_id": format!("sys-{}", item.id)}))
                .await?;
            assert!(done.insert(item.id), "item {} handed out twice", item.id);
        }
    }
    let drained = t.elapsed();
    let total = start.elapsed();
    assert_eq!(done.len(), items);
    assert_eq!(store.pending_count("bench").await?, 0);
    store.close().await;

    println!("outbox on SQLite (WAL, synchronous=FULL), {items} items, claim batch {batch}:");
    println!(
        "  enqueue:          {:>9.0} items/s ({:.2} s)",
        per_second(items, enqueued),
        enqueued.as_secs_f64()
    );
    println!(
        "  claim + complete: {:>9.0} items/s ({:.2} s)",
        per_second(items, drained),
        drained.as_secs_f64()
    );
    println!(
        "  enqueue + claim + complete: {:.0} items/s end to end ({:.2} s)",
        per_second(items, total),
        total.as_secs_f64()
    );
    Ok(())
}
