//! Files and directories only their owner may read: the sandbox's data directory holds user
//! password hashes, OAuth tokens and the key that seals the printed credentials.
//!
//! Modes are set when a file is created (never "write, then chmod", which leaves a window) and
//! tightened on files an older version left readable.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Owner-only modes: rwx for directories, rw for files.
pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) and makes it owner-only.
pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    set_mode(dir, DIR_MODE)
}

/// Writes `contents` to `path`, replacing it, readable by the owner only.
pub fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    // An existing file keeps its old mode through `open`: tighten it before writing.
    tighten(path)?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))
}

/// Creates `path` empty and owner-only if it does not exist (so SQLite, which gives its WAL
/// and shared-memory files the database file's mode, creates those owner-only too), and
/// tightens it if it does.
pub fn touch_file(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    tighten(path)
}

/// Makes an existing file owner-only; a missing file is not an error.
pub fn tighten(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        set_mode(path, FILE_MODE)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("restricting {} to mode {mode:o}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}
