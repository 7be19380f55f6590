//! Call recordings: both legs of a call in one stereo WAV (left customer, right agent, 8 kHz,
//! 16-bit), streamed to a local spool while the call runs, repaired after a crash, then uploaded
//! to the tenant's object store and announced.
//!
//! - [`RecordingWriter`] (sans clock and tasks): RTP audio in, WAV on the spool out.
//! - [`Spool`]: the spool directory and crash recovery.
//! - [`RecordingStore`]: a tenant's store (local disk, S3 or S3-compatible) and its object keys.
//! - [`Uploader`]: the task that uploads with retries and reports [`RecordingReady`].

pub mod meta;
pub mod peaks;
pub mod policy;
pub mod repair;
mod seq_window;
pub mod sidecar;
pub mod spool;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod track;
pub mod uploader;
pub mod writer;

pub use meta::{Channel, InvalidName, RecordingMeta};
pub use peaks::{peaks_key, Peaks, PeaksBuilder, PeaksError};
pub use spool::{Spool, SpooledRecording};
pub use store::{RecordingStore, RecordingStoreConfig, S3Credentials, StoreError, StoredObject};
pub use track::{AnchorReason, Placement, RtpAudio};
pub use uploader::{
    RecordingReady, RetryPolicy, StoreDirectory, TenantStores, UploadQueue, Uploader,
    UploaderOptions,
};
pub use writer::{ChannelStats, RecordingWriter, WriterOptions};
