//! The spool: the local directory where recordings live from the first packet until their
//! tenant's store confirms it holds them.
//!
//! Each recording is `<call id>.wav` plus its sidecar `<call id>.json`. At start,
//! [`Spool::recover`] repairs what a crash left behind and lists everything still to upload.
//! Files it cannot account for go to `quarantine/` with a log line, never to the bin: they may
//! be the only copy of someone's call.

use crate::meta::RecordingMeta;
use crate::repair::{repair_wav, RATE};
use crate::sidecar::{sync_parent, Sidecar, SpoolState};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const QUARANTINE: &str = "quarantine";

/// A spool directory. Cheap to clone; clones share the set of recordings being written, so
/// recovery never touches a file a live writer owns.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    active: Arc<Mutex<HashSet<String>>>,
}

/// A recording on the spool that is complete and waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledRecording {
    pub meta: RecordingMeta,
    pub wav_path: PathBuf,
    pub sidecar_path: PathBuf,
    /// Size of the WAV file.
    pub bytes: u64,
    /// Length of the audio.
    pub duration: Duration,
    /// True when the file was repaired after a crash.
    pub repaired: bool,
}

impl SpooledRecording {
    /// Deletes the spooled files: the audio first, then the sidecar, so a crash in between
    /// leaves a sidecar without audio, which recovery quarantines instead of re-uploading.
    pub fn remove_files(&self) -> io::Result<()> {
        remove_if_present(&self.wav_path)?;
        remove_if_present(&self.sidecar_path)?;
        sync_parent(&self.wav_path)
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Spool {
    /// Opens (creating if needed) the spool directory.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(dir.join(QUARANTINE))?;
        Ok(Self {
            dir,
            active: Arc::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where files that could not be accounted for are moved.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.dir.join(QUARANTINE)
    }

    pub(crate) fn wav_path(&self, call_id: &str) -> PathBuf {
        self.dir.join(format!("{call_id}.wav"))
    }

    pub(crate) fn sidecar_path(&self, call_id: &str) -> PathBuf {
        self.dir.join(format!("{call_id}.json"))
    }

    /// Claims `call_id` for a writer in this process; false if one already has it.
    pub(crate) fn claim(&self, call_id: &str) -> bool {
        self.active
            .lock()
            .expect("spool lock")
            .insert(call_id.to_owned())
    }

    pub(crate) fn release(&self, call_id: &str) {
        self.active.lock().expect("spool lock").remove(call_id);
    }

    fn is_active(&self, call_id: &str) -> bool {
        self.active.lock().expect("spool lock").contains(call_id)
    }

    /// Repairs every recording a previous run left unfinished and returns every recording that
    /// still needs uploading, finished or repaired, oldest first. Recordings being written by
    /// this process are skipped; unknown or corrupt files are quarantined.
    pub fn recover(&self) -> io::Result<Vec<SpooledRecording>> {
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            match name
                .strip_suffix(".wav")
                .map(|stem| (stem, true))
                .or_else(|| name.strip_suffix(".json").map(|stem| (stem, false)))
            {
                Some((stem, is_wav)) => {
                    let group = groups.entry(stem.to_owned()).or_default();
                    if is_wav {
                        group.wav = Some(path);
                    } else {
                        group.sidecar = Some(path);
                    }
                }
                None => self.quarantine(&path, "not a spool file")?,
            }
        }

        let mut recovered = Vec::new();
        for (stem, group) in groups {
            if self.is_active(&stem) {
                continue;
            }
            if let Some(recording) = self.recover_one(&stem, group)? {
                recovered.push(recording);
            }
        }
        recovered.sort_by_key(|r| r.meta.started_at_unix_ms);
        Ok(recovered)
    }

    fn recover_one(&self, stem: &str, group: Group) -> io::Result<Option<SpooledRecording>> {
        let (wav, sidecar_path) = match (group.wav, group.sidecar) {
            (Some(wav), Some(sidecar)) => (wav, sidecar),
            (Some(wav), None) => {
                self.quarantine(&wav, "audio without a sidecar (tenant unknown)")?;
                return Ok(None);
            }
            (None, Some(sidecar)) => {
                self.quarantine(&sidecar, "sidecar without audio")?;
                return Ok(None);
            }
            (None, None) => return Ok(None),
        };
        let mut sidecar = match Sidecar::read(&sidecar_path) {
            Ok(sidecar) if sidecar.meta.call_id == stem => sidecar,
            Ok(sidecar) => {
                let reason = format!("sidecar names call {:?}", sidecar.meta.call_id);
                self.quarantine_pair(&wav, &sidecar_path, &reason)?;
                return Ok(None);
            }
            Err(reason) => {
                self.quarantine_pair(&wav, &sidecar_path, &format!("bad sidecar: {reason}"))?;
                return Ok(None);
            }
        };
        let repaired = match repair_wav(&wav) {
            Ok(repaired) => repaired,
            Err(error) => {
                let reason = format!("audio cannot be repaired: {error}");
                self.quarantine_pair(&wav, &sidecar_path, &reason)?;
                return Ok(None);
            }
        };
        let duration = Duration::from_millis(repaired.frames() * 1000 / u64::from(RATE));
        let was_unfinished = sidecar.state == SpoolState::Recording;
        if was_unfinished || repaired.header_fixed || repaired.trimmed_bytes > 0 {
            tracing::warn!(
                call_id = %sidecar.meta.call_id,
                tenant = %sidecar.meta.tenant,
                kept_ms = duration.as_millis() as u64,
                trimmed_bytes = repaired.trimmed_bytes,
                "recovered a recording left unfinished by a previous run"
            );
            sidecar.state = SpoolState::Complete;
            sidecar.duration_ms = Some(duration.as_millis() as u64);
            sidecar.repaired = true;
            sidecar.write(&sidecar_path)?;
        }
        let bytes = fs::metadata(&wav)?.len();
        Ok(Some(SpooledRecording {
            meta: sidecar.meta,
            wav_path: wav,
            sidecar_path,
            bytes,
            duration,
            repaired: sidecar.repaired,
        }))
    }

    fn quarantine_pair(&self, wav: &Path, sidecar: &Path, reason: &str) -> io::Result<()> {
        self.quarantine(wav, reason)?;
        self.quarantine(sidecar, reason)
    }

    /// Moves a file into `quarantine/`, never overwriting an earlier one of the same name.
    fn quarantine(&self, path: &Path, reason: &str) -> io::Result<()> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let mut target = self.quarantine_dir().join(name.as_ref());
        if target.exists() {
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis();
            target = self.quarantine_dir().join(format!("{name}.{stamp}"));
        }
        tracing::error!(
            file = %path.display(),
            moved_to = %target.display(),
            reason,
            "spool file quarantined; it was not uploaded and needs a person to look at it"
        );
        fs::rename(path, &target)?;
        sync_parent(&target)
    }
}

#[derive(Default)]
struct Group {
    wav: Option<PathBuf>,
    sidecar: Option<PathBuf>,
}
