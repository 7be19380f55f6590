//! The small JSON file kept next to each spooled WAV: who the recording belongs to and whether
//! it was finished. Recovery needs it to know the tenant and call id of a file left by a crash.
//!
//! It is replaced atomically (written to a temporary name, synced, renamed, directory synced), so
//! a crash leaves either the old or the new version, never half of one.

use crate::meta::RecordingMeta;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// The sidecar layout version this code writes and understands.
pub const SIDECAR_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpoolState {
    /// The call is (or was, if the process died) still being written.
    Recording,
    /// `finish` ran, or recovery repaired the file: ready to upload.
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    pub format: u32,
    #[serde(flatten)]
    pub meta: RecordingMeta,
    pub state: SpoolState,
    /// Audio length once complete.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// True when the WAV was repaired after a crash rather than finished normally.
    #[serde(default)]
    pub repaired: bool,
}

impl Sidecar {
    pub fn recording(meta: RecordingMeta) -> Self {
        Self {
            format: SIDECAR_FORMAT,
            meta,
            state: SpoolState::Recording,
            duration_ms: None,
            repaired: false,
        }
    }

    /// Reads and checks a sidecar; the error says what is wrong with the file.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let sidecar: Sidecar =
            serde_json::from_slice(&text).map_err(|e| format!("invalid JSON: {e}"))?;
        if sidecar.format != SIDECAR_FORMAT {
            return Err(format!("unknown sidecar format {}", sidecar.format));
        }
        sidecar.meta.validate().map_err(|e| e.to_string())?;
        Ok(sidecar)
    }

    /// Atomically replaces the sidecar at `path`.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let temporary = path.with_extension("json.tmp");
        let mut file = File::create(&temporary)?;
        file.write_all(&serde_json::to_vec_pretty(self).map_err(io::Error::other)?)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temporary, path)?;
        sync_parent(path)
    }
}

/// Makes a file's creation, rename or removal durable by syncing its directory.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}
