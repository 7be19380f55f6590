//! The demo's own secrets (issue 8, items 15 and 16): every account has its own password, the
//! printed credentials are never at rest in clear, and the data directory is owner-only.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;

const USERS: [&str; 4] = [
    "alice.agent",
    "bob.agent",
    "carol.norole",
    "callbridge.integration",
];
const ME: &str = "/api/now/table/sys_user?sysparm_limit=1";

// Item 15: the integration service account shared the agents' password.
#[tokio::test]
async fn every_demo_account_has_its_own_password() {
    let sb = Sandbox::start().await;
    let mut secrets: Vec<&str> = USERS.iter().map(|u| sb.password_of(u)).collect();
    secrets.push(&sb.creds.admin_password);
    secrets.push(&sb.creds.client_secret);
    let mut distinct = secrets.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), secrets.len(), "a secret is shared");

    for owner in USERS {
        for user in USERS {
            let status = sb
                .send(
                    sb.http
                        .get(sb.url(ME))
                        .basic_auth(user, Some(sb.password_of(owner))),
                )
                .await
                .status;
            let expected = if owner == user { 200 } else { 401 };
            assert_eq!(
                status.as_u16(),
                expected,
                "{owner}'s password used for {user}"
            );
        }
    }
    sb.shutdown().await;
}

// Item 16: `sandbox.credentials` held the admin, agent and client secrets in clear.
#[tokio::test]
async fn no_file_in_the_data_directory_holds_a_printed_secret_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let sb = Sandbox::start_in(data.clone()).await;
    let creds = sb.creds.clone();
    sb.shutdown().await;
    let mut secrets = vec![creds.admin_password.clone(), creds.client_secret.clone()];
    secrets.extend(creds.users.values().cloned());
    let files = files_under(&data);
    assert!(
        files.iter().any(|f| f.ends_with("sandbox.sqlite")),
        "{files:?}"
    );
    for file in &files {
        // The writer thread may still be closing the database: its WAL can vanish meanwhile.
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for secret in &secrets {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{} holds a secret in clear",
                file.display()
            );
        }
    }
    // ...and the sealed row still gives them back on the next start.
    let sb = Sandbox::start_in(data).await;
    assert_eq!(sb.creds, creds);
    sb.shutdown().await;
}

// Item 16: the databases, WAL files and the directory were 0644 / 0755.
#[tokio::test]
async fn every_file_the_sandbox_creates_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state").join("sandbox");
    let sb = Sandbox::start_in(data.clone()).await;
    // A write while running, so the WAL and shared-memory files exist when looked at.
    sb.agent_token("alice.agent").await;
    let files = files_under(&data);
    for name in ["sandbox.sqlite", "sandbox.sqlite-wal", "sandbox.sqlite-shm"] {
        assert!(files.iter().any(|f| f.ends_with(name)), "{name}: {files:?}");
    }
    assert_owner_only(&data);
    sb.shutdown().await;
    assert_owner_only(&data);
}

// A data directory from before: the clear row (one password for every account) is sealed at the
// next start and each account gets its own new password.
#[tokio::test]
async fn a_clear_credentials_row_from_an_older_version_is_sealed_with_new_own_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let sb = Sandbox::start_in(data.clone()).await;
    let creds = sb.creds.clone();
    sb.shutdown().await;
    let legacy = serde_json::json!({
        "admin_user": creds.admin_user,
        "admin_password": creds.admin_password,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "agent_password": "the-old-shared-password",
    });
    let db = rusqlite::Connection::open(data.join("sandbox.sqlite")).unwrap();
    db.execute(
        "UPDATE state SET value = ?1 WHERE key = 'sandbox.credentials'",
        [legacy.to_string()],
    )
    .unwrap();
    drop(db);

    let sb = Sandbox::start_in(data.clone()).await;
    assert_eq!(sb.creds.admin_password, creds.admin_password);
    let mut own: Vec<&str> = USERS.iter().map(|u| sb.password_of(u)).collect();
    own.sort();
    own.dedup();
    assert_eq!(own.len(), USERS.len(), "{:?}", sb.creds);
    for user in USERS {
        sb.get(Who::User(user), ME).await.expect(200);
    }
    sb.shutdown().await;
    let db = rusqlite::Connection::open(data.join("sandbox.sqlite")).unwrap();
    let stored: String = db
        .query_row(
            "SELECT value FROM state WHERE key = 'sandbox.credentials'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("sealed-v1:"), "{stored}");
    assert!(!stored.contains(&creds.admin_password));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn assert_owner_only(dir: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_owner_only(&path);
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
