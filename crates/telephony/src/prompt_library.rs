//! Uploaded music and announcements, kept as files beside the data directory:
//! `<configuration directory>/media/<tenant>/<kind>-<sha256>.wav`, each with a small JSON file
//! of facts (`.json` beside it).
//!
//! Why files and not the store: the media engine plays prompts from paths and decodes each path
//! once (`Media::preload`), and a queue names its prompt by path in the tenant's settings
//! (`music = "media/acme/music-….wav"`, relative to the configuration directory like any other
//! path). A name made of the content's hash never changes meaning: uploading a new recording
//! makes a new path, so a call still playing the old one is not disturbed and no decoded copy
//! goes stale. The files go with the data directory in a backup, like the recording spool.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::prompt_file::{self, PromptFileError, PromptKind};

/// The directory under the configuration directory that holds uploads.
pub const MEDIA_DIR: &str = "media";

/// One uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPrompt {
    /// `<kind>-<sha256 hex>`: the same bytes uploaded twice are one file.
    pub id: String,
    pub kind: PromptKind,
    /// The name it was uploaded under (for people; never used as a path).
    pub name: String,
    pub millis: u64,
    pub bytes: u64,
    /// RFC 3339.
    pub uploaded_at: String,
    pub uploaded_by: String,
    /// What a queue's `music` or `announcement` says to play it (relative to the configuration
    /// directory).
    pub reference: String,
}

/// Why an upload was not kept.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(PromptFileError),
    #[error("the file could not be kept: {0}")]
    Io(#[from] std::io::Error),
}

/// The tenants' uploaded prompts.
#[derive(Clone, Debug)]
pub struct PromptLibrary {
    /// The configuration directory (references are relative to it).
    base: PathBuf,
}

impl PromptLibrary {
    pub fn new(configuration_dir: &Path) -> PromptLibrary {
        PromptLibrary {
            base: configuration_dir.to_path_buf(),
        }
    }

    fn tenant_dir(&self, tenant: &str) -> std::io::Result<PathBuf> {
        // Tenant ids are validated by the configuration; this keeps a path a path regardless.
        let plain = !tenant.is_empty()
            && !tenant.starts_with('.')
            && tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !plain {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("tenant id {tenant:?} cannot name a directory"),
            ));
        }
        Ok(self.base.join(MEDIA_DIR).join(tenant))
    }

    /// Checks `bytes` (`prompt_file::check`) and keeps them for `tenant`; the same file
    /// uploaded again keeps its first facts.
    pub async fn add(
        &self,
        tenant: &str,
        kind: PromptKind,
        name: &str,
        bytes: Vec<u8>,
        actor: &str,
    ) -> Result<StoredPrompt, AddError> {
        let facts = prompt_file::check(&bytes, kind).map_err(AddError::Invalid)?;
        let dir = self.tenant_dir(tenant)?;
        let id = format!("{}-{}", kind.as_str(), hex::encode(Sha256::digest(&bytes)));
        let wav = dir.join(format!("{id}.wav"));
        let facts_file = dir.join(format!("{id}.json"));
        if let Ok(existing) = tokio::fs::read(&facts_file).await {
            if let Ok(known) = serde_json::from_slice::<StoredPrompt>(&existing) {
                if tokio::fs::metadata(&wav).await.is_ok() {
                    return Ok(known);
                }
            }
        }
        let stored = StoredPrompt {
            id: id.clone(),
            kind,
            name: name.chars().take(200).collect(),
            millis: facts.millis,
            bytes: bytes.len() as u64,
            uploaded_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            uploaded_by: actor.to_string(),
            reference: format!("{MEDIA_DIR}/{tenant}/{id}.wav"),
        };
        tokio::fs::create_dir_all(&dir).await?;
        // Written whole under a temporary name, then renamed: a reader never sees half a file.
        write_whole(&wav, &bytes).await?;
        let json = serde_json::to_vec_pretty(&stored).expect("facts serialise");
        write_whole(&facts_file, &json).await?;
        Ok(stored)
    }

    /// The tenant's uploads, newest first.
    pub async fn list(&self, tenant: &str) -> std::io::Result<Vec<StoredPrompt>> {
        let dir = self.tenant_dir(tenant)?;
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut all = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Ok(text) = tokio::fs::read(&path).await else {
                continue;
            };
            if let Ok(prompt) = serde_json::from_slice::<StoredPrompt>(&text) {
                if tokio::fs::metadata(path.with_extension("wav"))
                    .await
                    .is_ok()
                {
                    all.push(prompt);
                }
            }
        }
        all.sort_by(|a, b| {
            b.uploaded_at
                .cmp(&a.uploaded_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(all)
    }

    /// The tenant's upload `id`, if it is kept.
    pub async fn get(&self, tenant: &str, id: &str) -> std::io::Result<Option<StoredPrompt>> {
        Ok(self.list(tenant).await?.into_iter().find(|p| p.id == id))
    }

    /// The path a queue's setting resolves to for `prompt` (the configuration's paths are
    /// relative to the configuration directory).
    pub fn path_of(&self, prompt: &StoredPrompt) -> PathBuf {
        self.base.join(&prompt.reference)
    }

    /// Removes the tenant's upload `id` (its file and its facts) and returns what it was;
    /// `None` when the tenant has no such upload. Whether a queue still plays it is the
    /// caller's question: this only removes.
    pub async fn remove(&self, tenant: &str, id: &str) -> std::io::Result<Option<StoredPrompt>> {
        // Only an id the listing knows names a file: nothing else reaches the file system.
        let Some(prompt) = self.get(tenant, id).await? else {
            return Ok(None);
        };
        let dir = self.tenant_dir(tenant)?;
        // The facts first: a half-done removal leaves a file no listing shows, not a listing
        // entry without its file.
        remove_if_there(&dir.join(format!("{}.json", prompt.id))).await?;
        remove_if_there(&dir.join(format!("{}.wav", prompt.id))).await?;
        Ok(Some(prompt))
    }
}

async fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

async fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension(format!("part-{}", std::process::id()));
    tokio::fs::write(&temporary, bytes).await?;
    tokio::fs::rename(&temporary, path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_second() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        callbridge_audio::write_wav(&path, 8000, &[vec![100i16; 8000]]).unwrap();
        std::fs::read(path).unwrap()
    }

    #[tokio::test]
    async fn an_upload_is_kept_by_its_content_and_listed_with_its_reference() {
        let dir = tempfile::tempdir().unwrap();
        let library = PromptLibrary::new(dir.path());
        let kept = library
            .add("acme", PromptKind::Music, "hold.wav", one_second(), "ada")
            .await
            .unwrap();
        assert!(kept.id.starts_with("music-"));
        assert_eq!(kept.millis, 1000);
        assert_eq!(kept.reference, format!("media/acme/{}.wav", kept.id));
        assert!(dir.path().join(&kept.reference).is_file());
        // The same bytes again: the same file, its first facts.
        let again = library
            .add(
                "acme",
                PromptKind::Music,
                "other name.wav",
                one_second(),
                "bob",
            )
            .await
            .unwrap();
        assert_eq!(again, kept);
        assert_eq!(
            library.list("acme").await.unwrap(),
            std::slice::from_ref(&kept)
        );
        assert!(library.list("globex").await.unwrap().is_empty());
        assert_eq!(library.get("acme", &kept.id).await.unwrap(), Some(kept));
    }

    #[tokio::test]
    async fn a_removed_upload_leaves_no_file_and_no_listing() {
        let dir = tempfile::tempdir().unwrap();
        let library = PromptLibrary::new(dir.path());
        let kept = library
            .add("acme", PromptKind::Music, "hold.wav", one_second(), "ada")
            .await
            .unwrap();
        let wav = library.path_of(&kept);
        assert!(wav.exists());
        assert_eq!(library.remove("other", &kept.id).await.unwrap(), None);
        assert_eq!(library.remove("acme", "../../etc").await.unwrap(), None);
        assert_eq!(
            library.remove("acme", &kept.id).await.unwrap(),
            Some(kept.clone())
        );
        assert!(!wav.exists());
        assert!(!wav.with_extension("json").exists());
        assert!(library.list("acme").await.unwrap().is_empty());
        assert_eq!(library.remove("acme", &kept.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_refused_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let library = PromptLibrary::new(dir.path());
        let err = library
            .add(
                "acme",
                PromptKind::Music,
                "x.mp3",
                b"ID3 not a wav".to_vec(),
                "ada",
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AddError::Invalid(PromptFileError::NotWav)));
        assert!(!dir.path().join(MEDIA_DIR).exists());
    }

    #[tokio::test]
    async fn a_tenant_id_that_is_no_plain_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let library = PromptLibrary::new(dir.path());
        for tenant in ["..", "../x", "a/b", ""] {
            assert!(library
                .add(tenant, PromptKind::Music, "x", one_second(), "ada")
                .await
                .is_err());
        }
    }
}
