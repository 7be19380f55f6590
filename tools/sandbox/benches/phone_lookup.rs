//! Sandbox speed (issue 2): with N generated contacts (default 1,000,000; `BENCH_CONTACTS`
//! overrides), how long the sandbox takes to start (fresh, then again on the same data), and the
//! latency of a phone-number lookup (`sysparm_query=phone=...`) over HTTPS keep-alive.
//! Prints figures; asserts nothing. Run: `cargo bench -p callbridge-sandbox --bench phone_lookup`.

use std::time::{Duration, Instant};

use callbridge_sandbox::{start, SandboxOptions, Seed};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let contacts: u64 = std::env::var("BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let lookups: usize = std::env::var("BENCH_LOOKUPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir()?;
    let options = SandboxOptions {
        data_dir: Some(dir.path().to_path_buf()),
        seed: Seed::Demo,
        contacts,
        ..Default::default()
    };

    let t = Instant::now();
    let fresh = start(options.clone()).await?;
    let fresh_start = t.elapsed();
    fresh.shutdown().await;

    let t = Instant::now();
    let sandbox = start(options).await?;
    let restart = t.elapsed();

    let ca = std::fs::read(sandbox.ca_path.as_ref().expect("https"))?;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
        .pool_max_idle_per_host(4)
        .build()?;
    let creds = &sandbox.credentials;
    // A token, as the connector uses, rather than Basic (which would verify a password each time
    // unless the session cookie is replayed).
    let token: serde_json::Value = client
        .post(format!("{}/oauth_token.do", sandbox.base_url))
        .form(&[
            ("grant_type", "password"),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.client_secret.as_str()),
            ("username", "alice.agent"),
            (
                "password",
                creds.password("alice.agent").expect("demo seed"),
            ),
        ])
        .send()
        .await?
        .json()
        .await?;
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("token"));

    let lookup = |i: u64| {
        // Generated contact i has an E.164 US number when i % 4 == 0 (seed.rs).
        let i = (i * 4) % contacts.max(4);
        let exchange = 200 + (i / 10_000) % 800;
        let number = format!("+1408{exchange:03}{:04}", i % 10_000);
        let client = client.clone();
        let url = format!("{}/api/now/table/customer_contact", sandbox.base_url);
        let bearer = bearer.clone();
        async move {
            let t = Instant::now();
            let response = client
                .get(url)
                .header("Authorization", bearer)
                .query(&[
                    ("sysparm_query", format!("phone={number}").as_str()),
                    ("sysparm_fields", "sys_id,name,phone,account"),
                    ("sysparm_limit", "2"),
                ])
                .send()
                .await
                .expect("request");
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.expect("body");
            assert!(body.len() > 20);
            t.elapsed()
        }
    };

    let t = Instant::now();
    lookup(1).await;
    let first = t.elapsed();
    for i in 0..200 {
        lookup(i).await;
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(lookups);
    let wall = Instant::now();
    for i in 0..lookups as u64 {
        latencies.push(lookup(i * 7919).await);
    }
    let elapsed = wall.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!("contacts loaded:              {contacts}");
    println!("fresh start (seed+generate):  {fresh_start:.2?}");
    println!("restart on the same data:     {restart:.2?}");
    println!("first lookup (builds index):  {first:.2?}");
    println!(
        "phone lookups (sequential, HTTPS keep-alive, bearer): n={} p50={:.2?} p90={:.2?} p99={:.2?} max={:.2?} ({:.0} req/s)",
        latencies.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies[latencies.len() - 1],
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    sandbox.shutdown().await;
    Ok(())
}
