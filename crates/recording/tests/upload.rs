//! Uploads to local disk and to a real S3 server (s3s-fs), including an outage.

mod common;

use callbridge_audio::{read_wav, read_wav_bytes};
use callbridge_recording::{
    Channel, RecordingReady, RecordingStore, RecordingStoreConfig, RecordingWriter, RetryPolicy,
    Spool, SpooledRecording, TenantStores, Uploader, UploaderOptions,
};
use common::*;
use object_store::path::Path as ObjectPath;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A finished recording with a customer tone, on `spool`.
fn finished_recording(spool: &Spool, call_id: &str, seconds: u64) -> SpooledRecording {
    let mut writer = RecordingWriter::create(spool, meta(call_id)).unwrap();
    let end = ms(seconds * 1000);
    let packets = Stream::tone(Channel::Customer, 700.0, ms(0), end).packets(jitter(20));
    play(&mut writer, packets, end);
    writer.finish(end).unwrap()
}

fn quick_retries() -> UploaderOptions {
    UploaderOptions {
        retry: RetryPolicy {
            initial: ms(200),
            max: ms(800),
        },
        max_concurrent: 2,
    }
}

/// Spool entries left, quarantine directory aside.
fn spool_files(spool: &Spool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(spool.dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn next_ready(ready: &mut mpsc::UnboundedReceiver<RecordingReady>) -> RecordingReady {
    tokio::time::timeout(Duration::from_secs(30), ready.recv())
        .await
        .expect("recording ready in time")
        .expect("uploader running")
}

#[tokio::test]
async fn uploads_to_local_disk_and_empties_the_spool() {
    let spool_dir = tempfile::tempdir().unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(spool_dir.path()).unwrap();
    let recording = finished_recording(&spool, "local-1", 2);
    let original = std::fs::read(&recording.wav_path).unwrap();

    let store = RecordingStore::from_config(&RecordingStoreConfig::Local {
        root: store_dir.path().join("recordings"),
    })
    .unwrap();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let uploader = Uploader::spawn(
        Arc::new(TenantStores::new().with_default(store)),
        quick_retries(),
        ready_tx,
    );
    assert!(uploader.submit(recording.clone()));
    let event = next_ready(&mut ready).await;
    assert_eq!(
        event,
        RecordingReady {
            call_id: "local-1".into(),
            tenant: "acme".into(),
            key: "acme/2026/03/04/local-1.wav".into(),
            bytes: original.len() as u64,
            duration: recording.duration,
        }
    );
    let stored = store_dir
        .path()
        .join("recordings/acme/2026/03/04/local-1.wav");
    assert_eq!(std::fs::read(&stored).unwrap(), original);
    assert!(spool_files(&spool).is_empty(), "{:?}", spool_files(&spool));
    uploader.shutdown().await;
}

#[tokio::test]
async fn uploads_to_s3_and_the_object_holds_the_call() {
    let server = S3Server::start().await;
    let spool_dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(spool_dir.path()).unwrap();
    let recording = finished_recording(&spool, "s3-call", 3);

    let store = RecordingStore::from_config(&server.config("calls")).unwrap();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let uploader = Uploader::spawn(
        Arc::new(TenantStores::new().with_tenant("acme", store.clone())),
        quick_retries(),
        ready_tx,
    );
    uploader.submit(recording.clone());
    let event = next_ready(&mut ready).await;
    assert_eq!(event.key, "calls/acme/2026/03/04/s3-call.wav");
    assert_eq!(event.bytes, recording.bytes);

    let object = store
        .object_store()
        .get(&ObjectPath::from(event.key.as_str()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let audio = read_wav_bytes(&object).unwrap();
    let found = spans(&audio.channels[0], 700.0);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].matches(ms(0), ms(3000), ms(20)), "{found:?}");
    assert!(spool_files(&spool).is_empty());
    uploader.shutdown().await;
}

#[tokio::test]
async fn an_outage_keeps_the_spool_and_the_upload_lands_when_s3_returns() {
    let server = S3Server::start().await;
    server.set_available(false);
    let spool_dir = tempfile::tempdir().unwrap();
    let local_dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(spool_dir.path()).unwrap();
    let stores = TenantStores::new()
        .with_tenant(
            "acme",
            RecordingStore::from_config(&server.config("")).unwrap(),
        )
        .with_default(
            RecordingStore::from_config(&RecordingStoreConfig::Local {
                root: local_dir.path().to_path_buf(),
            })
            .unwrap(),
        );
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let uploader = Uploader::spawn(Arc::new(stores), quick_retries(), ready_tx);

    let stuck = finished_recording(&spool, "during-outage", 1);
    uploader.submit(stuck.clone());
    // Another tenant's recording goes through while acme's store is down.
    let mut other = meta("other-tenant");
    other.tenant = "globex".into();
    let writer = RecordingWriter::create(&spool, other).unwrap();
    uploader.submit(writer.finish(ms(500)).unwrap());
    let first = next_ready(&mut ready).await;
    assert_eq!(first.tenant, "globex");

    // Several attempts fail; the spooled files stay.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(ready.try_recv().is_err());
    assert_eq!(
        spool_files(&spool),
        ["during-outage.json", "during-outage.wav"]
    );
    assert!(stuck.wav_path.exists());

    server.set_available(true);
    let landed = next_ready(&mut ready).await;
    assert_eq!(landed.call_id, "during-outage");
    assert_eq!(landed.bytes, stuck.bytes);
    assert!(spool_files(&spool).is_empty());
    uploader.shutdown().await;
}

#[tokio::test]
async fn a_crash_left_recording_is_recovered_then_uploaded() {
    let server = S3Server::start().await;
    let spool_dir = tempfile::tempdir().unwrap();
    {
        let spool = Spool::open(spool_dir.path()).unwrap();
        let mut writer = RecordingWriter::create(&spool, meta("before-crash")).unwrap();
        let packets = Stream::tone(Channel::Agent, 1200.0, ms(0), ms(3000)).packets(jitter(20));
        play(&mut writer, packets, ms(3000));
        std::mem::forget(writer);
    }
    let spool = Spool::open(spool_dir.path()).unwrap();
    let store = RecordingStore::from_config(&server.config("")).unwrap();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let uploader = Uploader::spawn(
        Arc::new(TenantStores::new().with_default(store)),
        quick_retries(),
        ready_tx,
    );
    for recording in spool.recover().unwrap() {
        uploader.submit(recording);
    }
    let event = next_ready(&mut ready).await;
    assert_eq!(event.call_id, "before-crash");
    assert!(event.duration >= ms(2000), "{:?}", event.duration);
    assert!(spool_files(&spool).is_empty());
    uploader.shutdown().await;
}

#[tokio::test]
async fn large_recordings_go_up_in_parts() {
    let server = S3Server::start().await;
    let spool_dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(spool_dir.path()).unwrap();
    // 200 s of stereo 8 kHz 16-bit: 6.4 MB, sent as a 5 MiB part and the rest.
    let mut writer = RecordingWriter::create(&spool, meta("long-call")).unwrap();
    let packets =
        Stream::tone(Channel::Customer, 700.0, ms(199_000), ms(200_000)).packets(jitter(5));
    play(&mut writer, packets, ms(200_000));
    let recording = writer.finish(ms(200_000)).unwrap();
    assert!(recording.bytes > 6_000_000);

    let store = RecordingStore::from_config(&server.config(""))
        .unwrap()
        .with_multipart(1024 * 1024, 5 * 1024 * 1024);
    let stored = store.upload(&recording).await.unwrap();
    assert_eq!(stored.bytes, recording.bytes);
    let object = store
        .object_store()
        .get(&ObjectPath::from(stored.key.as_str()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(object.as_ref(), std::fs::read(&recording.wav_path).unwrap());
    let audio = read_wav(&recording.wav_path).unwrap();
    let found = spans(&audio.channels[0], 700.0);
    assert!(
        found[0].matches(ms(199_000), ms(200_000), ms(20)),
        "{found:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_and_keep_the_file() {
    let server = S3Server::start().await;
    let spool_dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(spool_dir.path()).unwrap();
    let recording = finished_recording(&spool, "denied", 1);
    let mut config = server.config("");
    if let RecordingStoreConfig::S3 { credentials, .. } = &mut config {
        *credentials = callbridge_recording::S3Credentials::AccessKey {
            id: ACCESS_KEY.into(),
            secret: "wrong".into(),
            session_token: None,
        };
    }
    let store = RecordingStore::from_config(&config).unwrap();
    let err = store.upload(&recording).await.unwrap_err();
    assert!(
        matches!(err, callbridge_recording::StoreError::ObjectStore(_)),
        "{err}"
    );
    assert!(recording.wav_path.exists());
}
