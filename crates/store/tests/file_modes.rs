//! Issue 8, item 16: the SQLite database and its WAL were created 0644, readable by every user
//! of the machine. They hold customers' numbers and sealed secrets: owner-only.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use callbridge_store::{SecretKey, Store};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_sqlite_database_and_its_wal_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("callbridge.db");
    let url = format!("sqlite://{}", db.display());
    let store = Store::open(&url, SecretKey::generate()).await.unwrap();
    store.put_secret("acme", "probe", "value").await.unwrap();
    for name in ["callbridge.db", "callbridge.db-wal", "callbridge.db-shm"] {
        let path = dir.path().join(name);
        assert!(path.exists(), "{name} missing");
        assert_eq!(mode(&path), 0o600, "{name}");
    }
    store.close().await;
}

#[tokio::test]
async fn a_database_left_readable_by_an_older_version_is_made_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let url = format!("sqlite://{}", db.display());
    Store::open(&url, SecretKey::generate())
        .await
        .unwrap()
        .close()
        .await;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&url, SecretKey::generate()).await.unwrap();
    assert_eq!(mode(&db), 0o600);
    store.close().await;
}
