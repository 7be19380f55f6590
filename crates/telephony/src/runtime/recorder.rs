//! Recording calls: the media relay copies each call's packets into a tap; one recorder thread
//! drains every tap into that call's spooled stereo WAV, and finished recordings go to the
//! uploader, whose "stored" reports come back to the switch loop as [`RecordingDone`].
//!
//! A thread rather than async tasks because the writer does blocking file I/O. Writing is cheap
//! (16 kB/s per call; one thread serves thousands of calls), waiting for the disk is not: the
//! once-a-second fdatasync of each recording (what bounds a power loss to a second of audio)
//! runs on a small pool of sync threads, so a slow disk delays syncs, never the writing. Measured
//! in the recording crate's bench: 195-350 calls with the sync inline on one thread, 1,750+ with
//! it on helper threads.

use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use callbridge_core::{CallId, RecordingLocator, TenantId};
use callbridge_kernel::time::WallTime;
use callbridge_media::{Side, TapPacket, TapSender};
use callbridge_recording::{
    Channel, RecordingMeta, RecordingReady, RecordingWriter, RtpAudio, Spool, UploadQueue,
    WriterOptions,
};
use tokio::sync::mpsc;

/// Packets buffered per call between the relay and the recorder: 2 s of both sides.
const TAP_CAPACITY: usize = 200;
/// How often the recorder thread drains taps and writes settled audio.
const TURN: Duration = Duration::from_millis(20);
/// Threads waiting on fdatasync for the recorder.
const SYNC_THREADS: usize = 4;

/// A recording that reached its tenant's store.
#[derive(Debug, Clone)]
pub struct RecordingDone {
    pub call_id: String,
    pub tenant: String,
    pub locator: RecordingLocator,
}

enum Command {
    Start {
        call: CallId,
        meta: RecordingMeta,
        packets: mpsc::Receiver<TapPacket>,
    },
    Stop {
        call: CallId,
    },
}

/// Tells the recorder thread which calls to record. Cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    commands: std_mpsc::Sender<Command>,
}

/// The recorder thread; it ends when every [`Recorder`] is dropped, finishing what it holds.
pub struct RecorderThread(JoinHandle<()>);

impl RecorderThread {
    pub fn join(self) {
        let _ = self.0.join();
    }
}

impl Recorder {
    /// Starts the recorder thread; finished recordings are handed to `uploads`.
    pub fn start(spool: Arc<Spool>, uploads: UploadQueue) -> (Recorder, RecorderThread) {
        let (commands, rx) = std_mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || run(spool, uploads, rx))
            .expect("the recorder thread starts");
        (Recorder { commands }, RecorderThread(thread))
    }

    /// Starts the call's recording now (`started_at`, the switch loop's wall reading); returns
    /// the tap for the media relay.
    pub fn start_call(
        &self,
        call: &CallId,
        tenant: &TenantId,
        started_at: WallTime,
    ) -> Result<TapSender, String> {
        let meta = RecordingMeta {
            call_id: call.to_string(),
            tenant: tenant.to_string(),
            started_at_unix_ms: started_at.as_millis() as i64,
        };
        meta.validate().map_err(|e| e.to_string())?;
        let (tap, packets) = mpsc::channel(TAP_CAPACITY);
        self.commands
            .send(Command::Start {
                call: call.clone(),
                meta,
                packets,
            })
            .map_err(|_| "the recorder has stopped".to_string())?;
        Ok(tap)
    }

    /// Finishes the call's recording (no-op if it has none).
    pub fn stop(&self, call: &CallId) {
        let _ = self.commands.send(Command::Stop { call: call.clone() });
    }
}

/// Forwards the uploader's reports to the switch loop, after recording where each one is (the
/// recording page serves it from there) and computing its waveform once, beside it.
pub fn forward_ready(
    mut ready: mpsc::UnboundedReceiver<RecordingReady>,
    done: mpsc::UnboundedSender<RecordingDone>,
    store: callbridge_store::Store,
    stores: Arc<dyn callbridge_recording::StoreDirectory>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(r) = ready.recv().await {
            tracing::info!(call = %r.call_id, key = %r.key, bytes = r.bytes, "recording stored");
            let saved = store
                .save_recording(
                    &r.tenant,
                    &r.call_id,
                    &r.key,
                    i64::try_from(r.bytes).unwrap_or(i64::MAX),
                    time::OffsetDateTime::now_utc(),
                )
                .await;
            if let Err(e) = saved {
                tracing::error!(call = %r.call_id, error = %e, "could not record where the recording is stored");
            }
            if let Some(tenant_store) = stores.store_for(&r.tenant) {
                // The page computes missing peaks at first open: a failure here costs that.
                if let Err(e) = tenant_store.ensure_peaks(&r.key).await {
                    tracing::warn!(call = %r.call_id, error = %e, "could not compute the recording's waveform");
                }
            }
            let _ = done.send(RecordingDone {
                call_id: r.call_id,
                tenant: r.tenant,
                locator: RecordingLocator::new(r.key),
            });
        }
    })
}

struct Active {
    writer: RecordingWriter,
    started: Instant,
    packets: mpsc::Receiver<TapPacket>,
    sync: Arc<SyncTarget>,
}

/// A recording's file as the sync pool sees it; `queued` keeps one sync per file in flight.
struct SyncTarget {
    file: std::fs::File,
    queued: std::sync::atomic::AtomicBool,
}

/// Hands files to the sync threads.
struct SyncPool {
    jobs: std_mpsc::Sender<Arc<SyncTarget>>,
}

impl SyncPool {
    fn start() -> SyncPool {
        let (jobs, rx) = std_mpsc::channel::<Arc<SyncTarget>>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..SYNC_THREADS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("recorder-sync-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(target) = job else { return };
                    target
                        .queued
                        .store(false, std::sync::atomic::Ordering::Release);
                    if let Err(e) = target.file.sync_data() {
                        tracing::error!(error = %e, "recording sync failed");
                    }
                })
                .expect("a sync thread starts");
        }
        SyncPool { jobs }
    }

    fn sync(&self, target: &Arc<SyncTarget>) {
        let already = target
            .queued
            .swap(true, std::sync::atomic::Ordering::AcqRel);
        if !already {
            let _ = self.jobs.send(target.clone());
        }
    }
}

fn open_writer(
    spool: &Spool,
    meta: RecordingMeta,
) -> std::io::Result<(RecordingWriter, Arc<SyncTarget>)> {
    let options = WriterOptions {
        sync_at_checkpoint: false,
        ..WriterOptions::default()
    };
    let writer = RecordingWriter::create_with(spool, meta, options)?;
    let sync = Arc::new(SyncTarget {
        file: writer.sync_handle()?,
        queued: std::sync::atomic::AtomicBool::new(false),
    });
    Ok((writer, sync))
}

fn run(spool: Arc<Spool>, uploads: UploadQueue, commands: std_mpsc::Receiver<Command>) {
    let mut active: HashMap<CallId, Active> = HashMap::new();
    let pool = SyncPool::start();
    loop {
        match commands.recv_timeout(TURN) {
            Ok(Command::Start {
                call,
                meta,
                packets,
            }) => match open_writer(&spool, meta) {
                Ok((writer, sync)) => {
                    active.insert(
                        call,
                        Active {
                            writer,
                            started: Instant::now(),
                            packets,
                            sync,
                        },
                    );
                }
                Err(e) => tracing::error!(%call, error = %e, "cannot create the recording file"),
            },
            Ok(Command::Stop { call }) => {
                if let Some(mut a) = active.remove(&call) {
                    drain(&mut a);
                    finish(a, &call, &uploads);
                }
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => {}
            Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
        }
        for (call, a) in active.iter_mut() {
            drain(a);
            match a.writer.tick(a.started.elapsed()) {
                Ok(true) => pool.sync(&a.sync),
                Ok(false) => {}
                Err(e) => tracing::error!(%call, error = %e, "recording write failed"),
            }
        }
    }
    // Shutting down: what was recorded so far is kept and uploaded at the next start.
    for (call, mut a) in active.drain() {
        drain(&mut a);
        finish(a, &call, &uploads);
    }
}

fn drain(a: &mut Active) {
    while let Ok(packet) = a.packets.try_recv() {
        let channel = match packet.side {
            Side::Customer => Channel::Customer,
            Side::Agent => Channel::Agent,
        };
        let arrival = packet.received_at.saturating_duration_since(a.started);
        a.writer.push(
            channel,
            arrival,
            RtpAudio {
                ssrc: packet.header.ssrc,
                sequence: packet.header.sequence,
                timestamp: packet.header.timestamp,
                payload: packet.payload.as_bytes(),
            },
        );
    }
}

fn finish(a: Active, call: &CallId, uploads: &UploadQueue) {
    let now = a.started.elapsed();
    match a.writer.finish(now) {
        Ok(spooled) => {
            if !uploads.submit(spooled) {
                tracing::warn!(%call, "uploader stopped; the recording stays on the spool for the next start");
            }
        }
        Err(e) => {
            tracing::error!(%call, error = %e, "recording could not be finished; it will be repaired at the next start")
        }
    }
}
