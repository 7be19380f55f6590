//! The uploader: a tokio task that moves finished recordings from the spool to their tenant's
//! store, and announces each one once the store has it.
//!
//! A failed upload stays on the spool and is tried again after a capped exponential backoff,
//! while other recordings keep flowing. Spool files are deleted only after the store answers a
//! HEAD with the full size. Stopping the uploader abandons nothing: whatever is not uploaded is
//! still on the spool, and `Spool::recover` hands it back at the next start.

use crate::spool::SpooledRecording;
use crate::store::{RecordingStore, StoreError};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Finds a tenant's store. The runtime implements it over its configuration (so a tenant whose
/// store is fixed in the config starts working without a restart), or uses [`TenantStores`].
pub trait StoreDirectory: Send + Sync + 'static {
    fn store_for(&self, tenant: &str) -> Option<RecordingStore>;
}

/// A fixed map of tenants to stores, with an optional default for tenants not listed.
#[derive(Debug, Clone, Default)]
pub struct TenantStores {
    by_tenant: HashMap<String, RecordingStore>,
    default: Option<RecordingStore>,
}

impl TenantStores {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_tenant(mut self, tenant: impl Into<String>, store: RecordingStore) -> Self {
        self.by_tenant.insert(tenant.into(), store);
        self
    }

    pub fn with_default(mut self, store: RecordingStore) -> Self {
        self.default = Some(store);
        self
    }
}

impl StoreDirectory for TenantStores {
    fn store_for(&self, tenant: &str) -> Option<RecordingStore> {
        self.by_tenant
            .get(tenant)
            .or(self.default.as_ref())
            .cloned()
    }
}

/// "This call's recording is in its tenant's store."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingReady {
    pub call_id: String,
    pub tenant: String,
    pub key: String,
    pub bytes: u64,
    pub duration: Duration,
}

/// Retry timing of failed uploads.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Wait after the first failure.
    pub initial: Duration,
    /// Longest wait between attempts.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failures + 1`: doubling from `initial`, capped at `max`, with
    /// ±20 % jitter so that recordings failing together do not retry together.
    pub fn delay(&self, failures: u32) -> Duration {
        let doubled = self
            .initial
            .saturating_mul(1u32 << failures.saturating_sub(1).min(20));
        let capped = doubled.min(self.max);
        capped.mul_f64(rand::thread_rng().gen_range(0.8..=1.2))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct UploaderOptions {
    pub retry: RetryPolicy,
    /// Recordings uploaded at the same time.
    pub max_concurrent: usize,
}

impl Default for UploaderOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_concurrent: 4,
        }
    }
}

/// A handle to the running uploader task.
pub struct Uploader {
    queue: mpsc::UnboundedSender<SpooledRecording>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// A cloneable way to hand recordings to the uploader (for the call tasks).
#[derive(Debug, Clone)]
pub struct UploadQueue(mpsc::UnboundedSender<SpooledRecording>);

impl UploadQueue {
    /// Queues a finished recording; false if the uploader has stopped (the recording stays on
    /// the spool for the next start).
    pub fn submit(&self, recording: SpooledRecording) -> bool {
        self.0.send(recording).is_ok()
    }
}

impl Uploader {
    /// Starts the uploader on the current tokio runtime. Each uploaded recording is reported on
    /// `ready`; queue the `Spool::recover` list first thing.
    pub fn spawn(
        stores: Arc<dyn StoreDirectory>,
        options: UploaderOptions,
        ready: mpsc::UnboundedSender<RecordingReady>,
    ) -> Self {
        let (queue, incoming) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let worker = Worker {
            stores,
            options,
            ready,
            pending: HashMap::new(),
            in_flight: JoinSet::new(),
        };
        Self {
            queue,
            stop: Some(stop),
            task: tokio::spawn(worker.run(incoming, stopped)),
        }
    }

    pub fn queue(&self) -> UploadQueue {
        UploadQueue(self.queue.clone())
    }

    pub fn submit(&self, recording: SpooledRecording) -> bool {
        self.queue.send(recording).is_ok()
    }

    /// Stops at once: uploads in progress are abandoned, and everything not yet uploaded stays
    /// on the spool.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(error) = (&mut self.task).await {
            tracing::error!(%error, "recording uploader task failed");
        }
    }
}

struct Pending {
    recording: SpooledRecording,
    failures: u32,
    due: Instant,
    uploading: bool,
}

struct Worker {
    stores: Arc<dyn StoreDirectory>,
    options: UploaderOptions,
    ready: mpsc::UnboundedSender<RecordingReady>,
    /// Keyed by call id, so a recording queued twice (recovered and finished) uploads once.
    pending: HashMap<String, Pending>,
    in_flight: JoinSet<(String, Result<RecordingReady, StoreError>)>,
}

impl Worker {
    async fn run(
        mut self,
        mut incoming: mpsc::UnboundedReceiver<SpooledRecording>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        let mut accepting = true;
        loop {
            self.start_due_uploads();
            if !accepting && self.pending.is_empty() {
                return;
            }
            let next_due = self
                .pending
                .values()
                .filter(|p| !p.uploading)
                .map(|p| p.due)
                .min();
            let can_start = self.in_flight.len() < self.options.max_concurrent.max(1);
            tokio::select! {
                _ = &mut stopped => return,
                received = incoming.recv(), if accepting => match received {
                    Some(recording) => self.enqueue(recording),
                    None => accepting = false,
                },
                Some(joined) = self.in_flight.join_next(), if !self.in_flight.is_empty() => {
                    match joined {
                        Ok((call_id, outcome)) => self.completed(call_id, outcome),
                        Err(error) => tracing::error!(%error, "a recording upload task failed"),
                    }
                }
                _ = sleep_until_option(next_due), if next_due.is_some() && can_start => {}
            }
        }
    }

    fn enqueue(&mut self, recording: SpooledRecording) {
        let call_id = recording.meta.call_id.clone();
        if self.pending.contains_key(&call_id) {
            tracing::debug!(%call_id, "recording already queued for upload");
            return;
        }
        self.pending.insert(
            call_id,
            Pending {
                recording,
                failures: 0,
                due: Instant::now(),
                uploading: false,
            },
        );
    }

    fn start_due_uploads(&mut self) {
        let now = Instant::now();
        let capacity = self.options.max_concurrent.max(1);
        let mut due: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| !p.uploading && p.due <= now)
            .map(|(id, p)| (p.due, id.clone()))
            .collect();
        due.sort();
        for (_, call_id) in due {
            if self.in_flight.len() >= capacity {
                break;
            }
            let entry = self.pending.get_mut(&call_id).expect("listed above");
            entry.uploading = true;
            let recording = entry.recording.clone();
            let stores = Arc::clone(&self.stores);
            self.in_flight
                .spawn(async move { (call_id, upload_one(stores.as_ref(), recording).await) });
        }
    }

    fn completed(&mut self, call_id: String, outcome: Result<RecordingReady, StoreError>) {
        match outcome {
            Ok(ready) => {
                self.pending.remove(&call_id);
                tracing::info!(%call_id, key = %ready.key, bytes = ready.bytes, "recording uploaded");
                // Nobody listening is not an error: the recording is safely stored.
                let _ = self.ready.send(ready);
            }
            Err(error) => {
                let Some(entry) = self.pending.get_mut(&call_id) else {
                    return;
                };
                entry.failures += 1;
                entry.uploading = false;
                let delay = self.options.retry.delay(entry.failures);
                entry.due = Instant::now() + delay;
                tracing::warn!(
                    %call_id,
                    tenant = %entry.recording.meta.tenant,
                    failures = entry.failures,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "recording upload failed; it stays on the spool and will be retried"
                );
            }
        }
    }
}

async fn upload_one(
    stores: &dyn StoreDirectory,
    recording: SpooledRecording,
) -> Result<RecordingReady, StoreError> {
    let tenant = &recording.meta.tenant;
    let store = stores
        .store_for(tenant)
        .ok_or_else(|| StoreError::NoStore(tenant.clone()))?;
    let stored = store.upload(&recording).await?;
    // The store has every byte: the spool copy can go. If deleting fails the next start uploads
    // the same key again, which overwrites it with identical content.
    let to_remove = recording.clone();
    let removed = tokio::task::spawn_blocking(move || to_remove.remove_files()).await;
    match removed {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(call_id = %recording.meta.call_id, %error,
            "uploaded recording could not be removed from the spool"),
        Err(error) => tracing::error!(%error, "spool cleanup task failed"),
    }
    Ok(RecordingReady {
        call_id: recording.meta.call_id,
        tenant: recording.meta.tenant,
        key: stored.key,
        bytes: stored.bytes,
        duration: recording.duration,
    })
}

async fn sleep_until_option(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
        };
        let within = |d: Duration, nominal: f64| {
            let s = d.as_secs_f64();
            s >= nominal * 0.8 - 1e-9 && s <= nominal * 1.2 + 1e-9
        };
        assert!(within(policy.delay(1), 1.0));
        assert!(within(policy.delay(2), 2.0));
        assert!(within(policy.delay(4), 8.0));
        assert!(within(policy.delay(5), 10.0));
        assert!(within(policy.delay(u32::MAX), 10.0));
    }
}
