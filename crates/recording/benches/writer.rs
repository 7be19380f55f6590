//! How many calls one core can record: PCMU in (50 packets/s per leg), stereo WAV out.
//!
//! Every recording gets a customer and an agent packet each 20 ms and a `tick`, exactly as the
//! runtime drives them, but time is simulated, so the loop runs as fast as the core allows. The
//! ratio of recorded call-seconds to wall-clock seconds is the number of concurrent calls one
//! core could keep up with. Three runs: the default (header rewrite plus `fdatasync` every
//! 800 ms per call, inside `tick`); the same checkpoints with the syncs handed to four helper
//! threads (`sync_at_checkpoint: false` + `sync_handle`); and no checkpoints at all (CPU only).
//!
//! `cargo bench -p callbridge-recording --bench writer`

use callbridge_audio::{ToneGenerator, PCMU_RATE};
use callbridge_recording::{
    Channel, RecordingMeta, RecordingWriter, RtpAudio, Spool, WriterOptions,
};
use std::fs::File;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const CALLS: usize = 200;
const CALL_SECONDS: u32 = 30;

fn main() {
    let frame_customer = ToneGenerator::new(700.0, 8000.0, PCMU_RATE).next_pcmu_frame();
    let frame_agent = ToneGenerator::new(1200.0, 8000.0, PCMU_RATE).next_pcmu_frame();
    let runs = [
        (
            "checkpoint every 800 ms, fdatasync inside tick (default)",
            WriterOptions::default(),
            0,
        ),
        (
            "checkpoint every 800 ms, fdatasync on 4 helper threads",
            WriterOptions {
                sync_at_checkpoint: false,
                ..WriterOptions::default()
            },
            4,
        ),
        (
            "no checkpoints (CPU only)",
            WriterOptions {
                checkpoint_interval: Duration::from_secs(24 * 3600),
                ..WriterOptions::default()
            },
            0,
        ),
    ];
    println!("{CALLS} calls x {CALL_SECONDS} s, PCMU 20 ms packets on both legs, all calls driven by one thread");
    for (label, options, sync_threads) in runs {
        // On the build disk rather than /tmp, which may be a RAM disk that makes syncs free.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let mut writers: Vec<RecordingWriter> = (0..CALLS)
            .map(|i| {
                let meta = RecordingMeta {
                    call_id: format!("bench-{i}"),
                    tenant: "bench".into(),
                    started_at_unix_ms: 0,
                };
                RecordingWriter::create_with(&spool, meta, options).unwrap()
            })
            .collect();

        let files: Arc<Vec<File>> =
            Arc::new(writers.iter().map(|w| w.sync_handle().unwrap()).collect());
        let (sync_requests, syncer) = start_syncers(sync_threads, Arc::clone(&files));
        let mut syncs = 0u64;

        let steps = CALL_SECONDS * 50;
        let started = Instant::now();
        for step in 0..steps {
            let now = Duration::from_millis(u64::from(step) * 20);
            for (index, writer) in writers.iter_mut().enumerate() {
                for (channel, ssrc, payload) in [
                    (Channel::Customer, 1, &frame_customer),
                    (Channel::Agent, 2, &frame_agent),
                ] {
                    writer.push(
                        channel,
                        now,
                        RtpAudio {
                            ssrc,
                            sequence: step as u16,
                            timestamp: step * 160,
                            payload,
                        },
                    );
                }
                if writer.tick(now).unwrap() {
                    syncs += 1;
                    if let Some(requests) = &sync_requests {
                        requests.send(index).unwrap();
                    }
                }
            }
        }
        let end = Duration::from_secs(u64::from(CALL_SECONDS));
        let bytes: u64 = writers
            .into_iter()
            .map(|w| w.finish(end).unwrap().bytes)
            .sum();
        drop(sync_requests);
        for thread in syncer {
            thread.join().unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();

        let call_seconds = (CALLS as f64) * f64::from(CALL_SECONDS);
        let packets = call_seconds * 100.0;
        println!("\n{label}");
        println!("  wall time              {elapsed:.2} s");
        println!(
            "  concurrent calls/core  {:.0}  (recorded call-seconds per wall second)",
            call_seconds / elapsed
        );
        println!("  packets/s              {:.0}", packets / elapsed);
        println!("  checkpoints/s          {:.0}", syncs as f64 / elapsed);
        println!("  per packet             {:.2} µs", elapsed * 1e6 / packets);
        println!(
            "  WAV bytes/s            {:.1} MB/s ({} bytes)",
            bytes as f64 / elapsed / 1e6,
            bytes
        );
    }
}

/// `threads` helper threads that `fdatasync` the files whose index they are sent.
fn start_syncers(
    threads: usize,
    files: Arc<Vec<File>>,
) -> (Option<Sender<usize>>, Vec<JoinHandle<()>>) {
    if threads == 0 {
        return (None, Vec::new());
    }
    let (requests, queue) = channel::<usize>();
    let queue = Arc::new(Mutex::new(queue));
    let handles = (0..threads)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let files = Arc::clone(&files);
            std::thread::spawn(move || loop {
                let next = queue.lock().unwrap().recv();
                match next {
                    Ok(index) => files[index].sync_data().unwrap(),
                    Err(_) => return,
                }
            })
        })
        .collect();
    (Some(requests), handles)
}
