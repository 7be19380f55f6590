//! The streaming writer: RTP audio of both legs in, one stereo WAV on the spool out.
//!
//! The writer holds no clock and starts no task: the runtime passes arrival times and calls
//! [`RecordingWriter::tick`] (every 20-100 ms is fine). Audio is written
//! `jitter_allowance` behind real time so that reordered packets still land in place; at each
//! checkpoint the header sizes are rewritten, buffered audio goes to the OS and the file is
//! `fdatasync`ed, which bounds what a crash can lose to the allowance plus the checkpoint
//! interval (one second with the defaults).
//!
//! The calls do blocking file IO (a few kilobytes per tick, one `fdatasync` per checkpoint); run
//! them where blocking is allowed, such as `spawn_blocking` or a recorder thread.

use crate::meta::{Channel, RecordingMeta};
use crate::repair::RATE;
use crate::sidecar::{sync_parent, Sidecar, SpoolState};
use crate::spool::{Spool, SpooledRecording};
use crate::track::{ChannelTrack, Placement, RtpAudio};
use hound::{SampleFormat, WavSpec, WavWriter};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest recording kept (24 h): a WAV's 32-bit sizes end near 37 h at this format, and a call
/// that long is a stuck leg, not a conversation.
pub const MAX_RECORDING: Duration = Duration::from_secs(24 * 3600);
/// Frames handed to hound per batch, so a late tick after a long stall does not allocate much.
const BATCH_FRAMES: u64 = 4_000;

/// Timing knobs of a writer.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// How long audio is held back for late and reordered packets before it is written.
    pub jitter_allowance: Duration,
    /// How often the header is rewritten and buffered audio handed to the OS (which bounds
    /// what a crash of the process loses).
    pub checkpoint_interval: Duration,
    /// `fdatasync` at each checkpoint, inside `tick` (which bounds what a power loss or kernel
    /// crash loses too). The sync waits for the disk, typically milliseconds: a runtime that
    /// drives many calls from one thread can turn this off and sync the files from
    /// [`RecordingWriter::sync_handle`] on other threads whenever `tick` reports a checkpoint.
    pub sync_at_checkpoint: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        // 200 ms of jitter plus an 800 ms checkpoint: a crash loses at most one second.
        Self {
            jitter_allowance: Duration::from_millis(200),
            checkpoint_interval: Duration::from_millis(800),
            sync_at_checkpoint: true,
        }
    }
}

/// Per-leg packet counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelStats {
    pub placed: u64,
    pub anchors: u64,
    pub duplicates: u64,
    pub late: u64,
    /// Too far ahead or oversized.
    pub rejected: u64,
}

/// Writes one call's recording to the spool while the call runs.
pub struct RecordingWriter {
    spool: Spool,
    meta: RecordingMeta,
    wav_path: PathBuf,
    sidecar_path: PathBuf,
    /// `None` only after `finish` has taken it.
    wav: Option<WavWriter<BufWriter<File>>>,
    /// The same open file, for `fdatasync` (hound does not expose its writer).
    sync_file: File,
    tracks: [ChannelTrack; 2],
    stats: [ChannelStats; 2],
    /// Stereo frames already handed to the file.
    written: u64,
    last_checkpoint: Duration,
    options: WriterOptions,
}

impl RecordingWriter {
    /// Starts a recording with the default timing. Time zero of `push`/`tick`/`finish` is now.
    pub fn create(spool: &Spool, meta: RecordingMeta) -> io::Result<Self> {
        Self::create_with(spool, meta, WriterOptions::default())
    }

    /// Starts a recording: claims the call id, writes the sidecar and the WAV header, and syncs
    /// them. Fails with `InvalidInput` for an unsafe call id or tenant and `AlreadyExists` when
    /// the call id is already on the spool.
    pub fn create_with(
        spool: &Spool,
        meta: RecordingMeta,
        options: WriterOptions,
    ) -> io::Result<Self> {
        meta.validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        if !spool.claim(&meta.call_id) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("call {:?} is already being recorded", meta.call_id),
            ));
        }
        // From here on, dropping `claim` on error releases the call id.
        let claim = Claim {
            spool,
            call_id: &meta.call_id,
        };
        let wav_path = spool.wav_path(&meta.call_id);
        let sidecar_path = spool.sidecar_path(&meta.call_id);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&wav_path)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create spool file {}: {e}", wav_path.display()),
                )
            })?;
        let (wav, sync_file) = match start_files(file, &meta, &wav_path, &sidecar_path) {
            Ok(opened) => opened,
            Err(error) => {
                // Leave nothing half-made behind: the call id must stay usable.
                let _ = fs::remove_file(&sidecar_path);
                let _ = fs::remove_file(&wav_path);
                return Err(error);
            }
        };
        std::mem::forget(claim);
        Ok(Self {
            spool: spool.clone(),
            meta,
            wav_path,
            sidecar_path,
            wav: Some(wav),
            sync_file,
            tracks: Default::default(),
            stats: Default::default(),
            written: 0,
            last_checkpoint: Duration::ZERO,
            options,
        })
    }

    pub fn meta(&self) -> &RecordingMeta {
        &self.meta
    }

    /// Audio written to the file so far.
    pub fn written(&self) -> Duration {
        frames_to_duration(self.written)
    }

    pub fn stats(&self, channel: Channel) -> ChannelStats {
        self.stats[channel.index()]
    }

    /// Places a packet of `channel`'s audio that arrived `arrival` after the writer was created.
    pub fn push(&mut self, channel: Channel, arrival: Duration, packet: RtpAudio<'_>) -> Placement {
        let placement =
            self.tracks[channel.index()].place(self.written, duration_to_frames(arrival), &packet);
        let stats = &mut self.stats[channel.index()];
        match placement {
            Placement::Placed => stats.placed += 1,
            Placement::Anchored(reason) => {
                stats.placed += 1;
                stats.anchors += 1;
                tracing::debug!(call_id = %self.meta.call_id, ?channel, ?reason, ssrc = packet.ssrc,
                    "recording anchored a stream at its arrival time");
            }
            Placement::Duplicate => stats.duplicates += 1,
            Placement::Late => stats.late += 1,
            Placement::TooFarAhead | Placement::Oversized => stats.rejected += 1,
        }
        placement
    }

    /// Writes audio up to `now - jitter_allowance` (silence where nothing arrived) and
    /// checkpoints when the interval has passed. Returns true when it checkpointed.
    pub fn tick(&mut self, now: Duration) -> io::Result<bool> {
        let target = duration_to_frames(now.saturating_sub(self.options.jitter_allowance));
        self.write_until(target)?;
        if now.saturating_sub(self.last_checkpoint) < self.options.checkpoint_interval {
            return Ok(false);
        }
        self.checkpoint(now)?;
        Ok(true)
    }

    /// Another handle to the WAV file, for syncing it from elsewhere (see
    /// [`WriterOptions::sync_at_checkpoint`]).
    pub fn sync_handle(&self) -> io::Result<File> {
        self.sync_file.try_clone()
    }

    /// Ends the recording at `now` (hangup): writes everything up to it, finalises and syncs the
    /// WAV, and marks the spool entry complete. Audio placed after `now` is discarded.
    pub fn finish(mut self, now: Duration) -> io::Result<SpooledRecording> {
        self.write_until(duration_to_frames(now))?;
        let wav = self.wav.take().expect("finish runs once");
        wav.finalize().map_err(into_io)?;
        self.sync_file.sync_all()?;
        let duration = frames_to_duration(self.written);
        let mut sidecar = Sidecar::recording(self.meta.clone());
        sidecar.state = SpoolState::Complete;
        sidecar.duration_ms = Some(duration.as_millis() as u64);
        sidecar.write(&self.sidecar_path)?;
        Ok(SpooledRecording {
            meta: self.meta.clone(),
            wav_path: self.wav_path.clone(),
            sidecar_path: self.sidecar_path.clone(),
            bytes: fs::metadata(&self.wav_path)?.len(),
            duration,
            repaired: false,
        })
    }

    fn checkpoint(&mut self, now: Duration) -> io::Result<()> {
        if let Some(wav) = &mut self.wav {
            wav.flush().map_err(into_io)?;
        }
        if self.options.sync_at_checkpoint {
            self.sync_file.sync_data()?;
        }
        self.last_checkpoint = now;
        Ok(())
    }

    fn write_until(&mut self, target: u64) -> io::Result<()> {
        let target = target.min(duration_to_frames(MAX_RECORDING));
        let wav = self.wav.as_mut().expect("writer not finished");
        while self.written < target {
            let frames = (target - self.written).min(BATCH_FRAMES) as usize;
            let mut batch = wav.get_i16_writer(frames as u32 * 2);
            let [customer, agent] = &self.tracks;
            for i in 0..frames {
                batch.write_sample(customer.sample(i));
                batch.write_sample(agent.sample(i));
            }
            batch.flush().map_err(into_io)?;
            for track in &mut self.tracks {
                track.advance(frames);
            }
            self.written += frames as u64;
        }
        Ok(())
    }
}

/// Writes the sidecar and the WAV header into a freshly created spool file and makes both
/// durable.
fn start_files(
    file: File,
    meta: &RecordingMeta,
    wav_path: &Path,
    sidecar_path: &Path,
) -> io::Result<(WavWriter<BufWriter<File>>, File)> {
    Sidecar::recording(meta.clone()).write(sidecar_path)?;
    let spec = WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    let sync_file = file.try_clone()?;
    // 64 KiB is two seconds of audio: one write syscall per checkpoint, not per tick.
    let buffered = BufWriter::with_capacity(64 * 1024, file);
    let mut wav = WavWriter::new(buffered, spec).map_err(into_io)?;
    wav.flush().map_err(into_io)?;
    sync_file.sync_all()?;
    sync_parent(wav_path)?;
    Ok((wav, sync_file))
}

impl Drop for RecordingWriter {
    fn drop(&mut self) {
        // An unfinished writer leaves its files for `Spool::recover`; hound's own drop
        // rewrites the header sizes on the way out.
        self.spool.release(&self.meta.call_id);
    }
}

/// Releases a claimed call id if `create` fails half-way.
struct Claim<'a> {
    spool: &'a Spool,
    call_id: &'a str,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.spool.release(self.call_id);
    }
}

fn into_io(error: hound::Error) -> io::Error {
    match error {
        hound::Error::IoError(e) => e,
        other => io::Error::other(other),
    }
}

fn duration_to_frames(duration: Duration) -> u64 {
    (duration.as_nanos() * u128::from(RATE) / 1_000_000_000) as u64
}

fn frames_to_duration(frames: u64) -> Duration {
    Duration::from_nanos((u128::from(frames) * 1_000_000_000 / u128::from(RATE)) as u64)
}
