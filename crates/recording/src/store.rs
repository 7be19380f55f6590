//! A tenant's recording store: where finished recordings go, built from configuration.
//!
//! Local disk is the default; S3 (or any S3-compatible endpoint) is reached with an IAM user's
//! access key or with the ambient role credentials (environment, web identity, container or
//! instance metadata: object_store's `from_env` chain). Objects are keyed
//! `<prefix>/<tenant>/<yyyy>/<mm>/<dd>/<call id>.wav` by the call's start date (UTC).

use crate::meta::{validate_segment, InvalidName, RecordingMeta};
use crate::spool::SpooledRecording;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload, RetryConfig, WriteMultipart};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Files at least this large are sent as a multipart upload, one part at a time from disk,
/// instead of being read whole into memory (a one-hour call is 115 MB).
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// Part size of multipart uploads.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
/// S3 refuses parts smaller than 5 MiB (all but the last), with `EntityTooSmall`.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts in flight at once during a multipart upload.
const PART_CONCURRENCY: usize = 4;

/// Where a tenant's recordings are stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordingStoreConfig {
    /// A directory on this machine.
    Local { root: PathBuf },
    /// An S3 bucket, or a bucket on an S3-compatible service when `endpoint` is set.
    S3 {
        bucket: String,
        region: String,
        /// For S3-compatible services: `https://host:port` (path-style requests are used).
        #[serde(default)]
        endpoint: Option<String>,
        /// Allow a plain `http://` endpoint (test servers, in-cluster gateways).
        #[serde(default)]
        allow_http: bool,
        credentials: S3Credentials,
        /// Key prefix inside the bucket, such as `recordings`; empty for none.
        #[serde(default)]
        prefix: String,
    },
}

/// How Callbridge authenticates to S3.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum S3Credentials {
    /// An IAM user's access key (optionally with a session token for temporary credentials).
    AccessKey {
        id: String,
        secret: String,
        #[serde(default)]
        session_token: Option<String>,
    },
    /// The default chain: `AWS_*` environment variables, web identity, ECS/EKS container
    /// credentials, then instance metadata. This is how a role is used.
    Environment,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3Credentials::AccessKey {
                id, session_token, ..
            } => f
                .debug_struct("AccessKey")
                .field("id", id)
                .field("secret", &"<redacted>")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            S3Credentials::Environment => f.write_str("Environment"),
        }
    }
}

/// What went wrong building a store or putting a recording in it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid recording store configuration: {0}")]
    Config(String),
    #[error(transparent)]
    InvalidName(#[from] InvalidName),
    #[error("recording start time {0} ms is not a representable date")]
    Timestamp(i64),
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("reading the spooled file: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored object {key} has {found} bytes, expected {expected}")]
    SizeMismatch {
        key: String,
        expected: u64,
        found: u64,
    },
    #[error("no recording store is configured for tenant {0:?}")]
    NoStore(String),
}

/// A stored recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub bytes: u64,
}

/// One tenant's object store and key prefix.
#[derive(Debug, Clone)]
pub struct RecordingStore {
    store: Arc<dyn ObjectStore>,
    /// S3 stores presign GETs, so browsers fetch audio from the bucket directly.
    signer: Option<Arc<dyn Signer>>,
    /// [`RecordingStore::presigned_origin`], once learnt (shared by the store's clones).
    presigned_origin: Arc<std::sync::OnceLock<String>>,
    prefix: ObjectPath,
    multipart_threshold: u64,
    part_size: usize,
}

impl RecordingStore {
    /// Builds the store a configuration describes. Does no network IO: a bad key or an
    /// unreachable bucket shows at the first upload (and in `doctor`).
    pub fn from_config(config: &RecordingStoreConfig) -> Result<Self, StoreError> {
        match config {
            RecordingStoreConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", root.display()))
                })?;
                let store = LocalFileSystem::new_with_prefix(root)
                    .map_err(|e| StoreError::Config(e.to_string()))?;
                Self::new(Arc::new(store), "")
            }
            RecordingStoreConfig::S3 {
                bucket,
                region,
                endpoint,
                allow_http,
                credentials,
                prefix,
            } => {
                let builder = match credentials {
                    S3Credentials::AccessKey {
                        id,
                        secret,
                        session_token,
                    } => {
                        let builder = AmazonS3Builder::new()
                            .with_access_key_id(id)
                            .with_secret_access_key(secret);
                        match session_token {
                            Some(token) => builder.with_token(token),
                            None => builder,
                        }
                    }
                    S3Credentials::Environment => AmazonS3Builder::from_env(),
                };
                let mut builder = builder
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_allow_http(*allow_http)
                    .with_retry(short_retries());
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                let store = Arc::new(
                    builder
                        .build()
                        .map_err(|e| StoreError::Config(e.to_string()))?,
                );
                let mut built = Self::new(store.clone(), prefix)?;
                built.signer = Some(store);
                Ok(built)
            }
        }
    }

    /// Wraps any object store; `prefix` is `/`-separated, each part a safe name.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self, StoreError> {
        let mut path = ObjectPath::default();
        for part in prefix.split('/').filter(|p| !p.is_empty()) {
            validate_segment("key prefix part", part)?;
            path = path.child(part);
        }
        Ok(Self {
            store,
            signer: None,
            presigned_origin: Arc::default(),
            prefix: path,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
        })
    }

    /// Changes when multipart uploads are used and their part size (at least
    /// [`MIN_PART_SIZE`]).
    pub fn with_multipart(mut self, threshold: u64, part_size: usize) -> Self {
        self.multipart_threshold = threshold;
        self.part_size = part_size.max(MIN_PART_SIZE);
        self
    }

    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The recording's waveform: read from `<key>.peaks.json` when it was computed before,
    /// otherwise computed from the WAV (streamed, never held whole) and stored there, once.
    pub async fn ensure_peaks(&self, key: &str) -> Result<crate::Peaks, StoreError> {
        use futures::StreamExt as _;
        let peaks_path = ObjectPath::from(crate::peaks_key(key));
        match self.store.get(&peaks_path).await {
            Ok(found) => {
                let bytes = found.bytes().await?;
                if let Ok(peaks) = serde_json::from_slice::<crate::Peaks>(&bytes) {
                    return Ok(peaks);
                }
                tracing::warn!(%peaks_path, "unreadable peaks file; computing it again");
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let mut builder = crate::PeaksBuilder::new();
        let mut stream = self.store.get(&ObjectPath::from(key)).await?.into_stream();
        while let Some(chunk) = stream.next().await {
            builder
                .feed(&chunk?)
                .map_err(|e| StoreError::Config(format!("{key}: {e}")))?;
        }
        let peaks = builder
            .finish()
            .map_err(|e| StoreError::Config(format!("{key}: {e}")))?;
        let json = serde_json::to_vec(&peaks).expect("peaks serialise");
        self.store.put(&peaks_path, PutPayload::from(json)).await?;
        Ok(peaks)
    }

    /// Deletes a recording and its peaks (retention). Objects already gone are no error.
    pub async fn delete_recording(&self, key: &str) -> Result<(), StoreError> {
        for path in [
            ObjectPath::from(crate::peaks_key(key)),
            ObjectPath::from(key),
        ] {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The presigner of an S3 store; `None` for local disk (Callbridge serves those itself).
    pub fn signer(&self) -> Option<&Arc<dyn Signer>> {
        self.signer.as_ref()
    }

    /// The origin (`scheme://host[:port]`) browsers fetch this store's presigned URLs from, for
    /// the recording page's Content-Security-Policy. Read from a presigned URL itself, so it is
    /// right for AWS's path- or host-style URLs and for any S3-compatible endpoint. It is the
    /// bucket's endpoint, the same for every object, so it is signed once (local signing, no
    /// request) and kept. `None` for a store that does not presign, or while signing fails (then
    /// it is tried again next time).
    pub async fn presigned_origin(&self) -> Option<String> {
        if let Some(origin) = self.presigned_origin.get() {
            return Some(origin.clone());
        }
        let signer = self.signer.as_ref()?;
        let any_object = self.prefix.child("origin-probe");
        match signer
            .signed_url(http::Method::GET, &any_object, Duration::from_secs(60))
            .await
        {
            Ok(url) => {
                let origin = url.origin().ascii_serialization();
                Some(self.presigned_origin.get_or_init(|| origin).clone())
            }
            Err(error) => {
                tracing::warn!(%error, "could not presign to learn the store's media origin");
                None
            }
        }
    }

    /// The object key of a recording.
    pub fn key_for(&self, meta: &RecordingMeta) -> Result<ObjectPath, StoreError> {
        meta.validate()?;
        let started = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(meta.started_at_unix_ms) * 1_000_000,
        )
        .map_err(|_| StoreError::Timestamp(meta.started_at_unix_ms))?;
        Ok(self
            .prefix
            .child(meta.tenant.as_str())
            .child(format!("{:04}", started.year()))
            .child(format!("{:02}", u8::from(started.month())))
            .child(format!("{:02}", started.day()))
            .child(format!("{}.wav", meta.call_id)))
    }

    /// Puts a spooled recording and checks, with a HEAD, that the store holds all of it.
    pub async fn upload(&self, recording: &SpooledRecording) -> Result<StoredObject, StoreError> {
        let key = self.key_for(&recording.meta)?;
        let bytes = tokio::fs::metadata(&recording.wav_path).await?.len();
        if bytes >= self.multipart_threshold {
            self.put_multipart(recording, &key).await?;
        } else {
            let body = tokio::fs::read(&recording.wav_path).await?;
            self.store.put(&key, PutPayload::from(body)).await?;
        }
        let stored = self.store.head(&key).await?;
        if stored.size != bytes {
            return Err(StoreError::SizeMismatch {
                key: key.to_string(),
                expected: bytes,
                found: stored.size,
            });
        }
        Ok(StoredObject {
            key: key.to_string(),
            bytes,
        })
    }

    async fn put_multipart(
        &self,
        recording: &SpooledRecording,
        key: &ObjectPath,
    ) -> Result<(), StoreError> {
        let upload = self.store.put_multipart(key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        match self.stream_parts(recording, &mut writer).await {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(error) => {
                // Best effort: an abandoned upload otherwise lingers (and is billed) until a
                // bucket lifecycle rule removes it.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(%key, error = %abort, "could not abort a failed multipart upload");
                }
                Err(error)
            }
        }
    }

    async fn stream_parts(
        &self,
        recording: &SpooledRecording,
        writer: &mut WriteMultipart,
    ) -> Result<(), StoreError> {
        let mut file = tokio::fs::File::open(&recording.wav_path).await?;
        let mut buffer = vec![0u8; self.part_size.min(1024 * 1024)];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                return Ok(());
            }
            writer.wait_for_capacity(PART_CONCURRENCY).await?;
            writer.write(&buffer[..read]);
        }
    }
}

/// object_store's own retries are kept short: a failed upload stays on the spool and the
/// uploader tries again later, so there is no point in holding a request open for minutes.
fn short_retries() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        retry_timeout: Duration::from_secs(30),
        ..RetryConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn meta(call_id: &str, tenant: &str, started_at_unix_ms: i64) -> RecordingMeta {
        RecordingMeta {
            call_id: call_id.into(),
            tenant: tenant.into(),
            started_at_unix_ms,
        }
    }

    #[test]
    fn keys_follow_the_documented_layout() {
        let store = RecordingStore::new(Arc::new(InMemory::new()), "rec/v1").unwrap();
        // 2026-03-04T23:59:59.999Z
        let key = store
            .key_for(&meta("c-1", "acme", 1_772_668_799_999))
            .unwrap();
        assert_eq!(key.as_ref(), "rec/v1/acme/2026/03/04/c-1.wav");
        let bare = RecordingStore::new(Arc::new(InMemory::new()), "").unwrap();
        assert_eq!(
            bare.key_for(&meta("c-1", "acme", 0)).unwrap().as_ref(),
            "acme/1970/01/01/c-1.wav"
        );
    }

    #[test]
    fn unsafe_names_and_dates_are_refused() {
        let store = RecordingStore::new(Arc::new(InMemory::new()), "").unwrap();
        assert!(matches!(
            store.key_for(&meta("../x", "acme", 0)),
            Err(StoreError::InvalidName(_))
        ));
        assert!(matches!(
            store.key_for(&meta("c", "acme", i64::MAX)),
            Err(StoreError::Timestamp(i64::MAX))
        ));
        assert!(matches!(
            RecordingStore::new(Arc::new(InMemory::new()), "a/../b"),
            Err(StoreError::InvalidName(_))
        ));
    }

    #[test]
    fn config_parses_and_hides_secrets() {
        let config: RecordingStoreConfig = serde_json::from_value(serde_json::json!({
            "kind": "s3", "bucket": "b", "region": "eu-west-1",
            "credentials": {"type": "access_key", "id": "AKIA1", "secret": "s3cr3t"}
        }))
        .unwrap();
        let printed = format!("{config:?}");
        assert!(
            printed.contains("AKIA1") && !printed.contains("s3cr3t"),
            "{printed}"
        );
        let role: RecordingStoreConfig = serde_json::from_value(serde_json::json!({
            "kind": "s3", "bucket": "b", "region": "eu-west-1", "prefix": "calls",
            "credentials": {"type": "environment"}
        }))
        .unwrap();
        assert!(RecordingStore::from_config(&role).is_ok());
        let unknown = serde_json::from_value::<RecordingStoreConfig>(serde_json::json!({
            "kind": "local", "root": "/x", "bucket": "oops"
        }));
        assert!(unknown.is_err());
    }
}
