//! What the telephony benchmarks share: the contact center under test ([`center`]), the
//! simulated agents in their own process ([`pool`]), sipp as the carrier ([`sipp`]), and
//! CPU/memory readings from `/proc` ([`procstat`]).

// Each benchmark binary uses a different part of this module.
#![allow(dead_code)]

pub mod center;
pub mod pool;
pub mod procstat;
pub mod sipp;
pub mod stats;
pub mod tone;

/// A size from the environment, or `default` when unset; a value that does not parse stops
/// the benchmark with a message naming the variable.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a valid value")),
        Err(_) => default,
    }
}

/// A comma-separated list from the environment, e.g. `RATES=100,200,300`.
pub fn env_list<T: std::str::FromStr + Clone>(name: &str, default: &[T]) -> Vec<T> {
    match std::env::var(name) {
        Ok(text) => text
            .split(',')
            .map(|item| {
                item.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: {item:?} is not a valid value"))
            })
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// The server's runtime: two workers, like the two cores the figures are quoted for.
pub fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

/// Whether sipp can be run; benchmarks that need it say so and stop when it cannot.
pub fn have_sipp() -> bool {
    std::process::Command::new("sipp")
        .arg("-v")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

pub fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Every `.wav` file under `dir`, recursively (recordings are stored per tenant and date).
pub fn wav_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(wav_files(&path));
        } else if path.extension().is_some_and(|e| e == "wav") {
            found.push(path);
        }
    }
    found
}

/// Waits (up to `patience`) until `dir` holds `want` recordings; returns how many there are.
pub async fn wait_for_recordings(
    dir: &std::path::Path,
    want: usize,
    patience: std::time::Duration,
) -> usize {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let count = wav_files(dir).len();
        if count >= want || std::time::Instant::now() > deadline {
            return count;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
