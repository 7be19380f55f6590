//! `callbridge account ...` as an administrator runs it: accounts in the configured store, the
//! one-time password printed once, clear errors for an unknown tenant, a taken user name or a
//! bad role, and passwords that work (checked against the store's hash).

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use callbridge_store::{SecretKey, Store};

mod common;
use common::{config, BIN, KEY};

fn account(config: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .arg("account")
        .arg(args[0])
        .arg("--config")
        .arg(config)
        .args(&args[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

async fn store(dir: &std::path::Path) -> Store {
    Store::open(
        &format!("sqlite://{}", dir.join("callbridge.db").display()),
        SecretKey::from_base64(KEY).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn an_admin_adds_lists_resets_disables_and_signs_out_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let user = ["--tenant", "acme", "--user", "alice"];

    let added = ok(&account(
        &config,
        &[
            "add",
            user[0],
            user[1],
            user[2],
            user[3],
            "--role",
            "agent",
            "--display-name",
            "Alice Tanaka",
        ],
        None,
    ));
    assert!(
        added.contains("created agent account alice in tenant acme"),
        "{added}"
    );
    let one_time = added
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("the generated password is printed")
        .to_string();
    assert_eq!(one_time.len(), 20);
    let s = store(dir.path()).await;
    let stored = s.account("acme", "alice").await.unwrap().unwrap();
    assert!(callbridge_web::account::password::verify(
        Some(&stored.password_hash),
        &one_time
    ));
    assert_eq!(stored.display_name, "Alice Tanaka");

    // From stdin: nothing printed but the confirmation.
    let from_stdin = ok(&account(
        &config,
        &[
            "add",
            "--tenant",
            "acme",
            "--user",
            "sam",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    ));
    assert!(!from_stdin.contains("password:"), "{from_stdin}");
    let sam = s.account("acme", "sam").await.unwrap().unwrap();
    assert!(callbridge_web::account::password::verify(
        Some(&sam.password_hash),
        "a long enough password"
    ));

    let short = refused(&account(
        &config,
        &[
            "add",
            "--tenant",
            "acme",
            "--user",
            "tom",
            "--role",
            "agent",
            "--password-stdin",
        ],
        Some("short\n"),
    ));
    assert!(short.contains("at least 12 characters"), "{short}");
    let duplicate = refused(&account(
        &config,
        &["add", user[0], user[1], user[2], user[3], "--role", "admin"],
        None,
    ));
    assert!(
        duplicate.contains("tenant acme already has a user alice"),
        "{duplicate}"
    );
    let bad_role = refused(&account(
        &config,
        &["add", "--tenant", "acme", "--user", "x", "--role", "boss"],
        None,
    ));
    assert!(
        bad_role.contains("\"boss\" is not a role: use agent, supervisor or admin"),
        "{bad_role}"
    );
    let no_tenant = refused(&account(
        &config,
        &[
            "add", "--tenant", "globex", "--user", "x", "--role", "agent",
        ],
        None,
    ));
    assert!(no_tenant.contains("no tenant \"globex\""), "{no_tenant}");
    assert!(no_tenant.contains("the tenants are: acme"), "{no_tenant}");
    let bad_user = refused(&account(
        &config,
        &[
            "add", "--tenant", "acme", "--user", "a b", "--role", "agent",
        ],
        None,
    ));
    assert!(bad_user.contains("is not a user name"), "{bad_user}");

    let list = ok(&account(&config, &["list"], None));
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[0].contains("alice") && rows[0].contains("agent") && rows[0].contains("Alice Tanaka")
    );
    assert!(rows[1].contains("sam") && rows[1].contains("supervisor"));

    // A reset ends the sessions and the old password.
    let now = time::OffsetDateTime::now_utc();
    s.create_session(callbridge_store::NewSession {
        id_digest: b"d1",
        tenant: "acme",
        user_name: "alice",
        created_at: now,
        expires_at: now + time::Duration::hours(1),
        client_address: "127.0.0.1",
    })
    .await
    .unwrap();
    let reset = ok(&account(
        &config,
        &["reset-password", user[0], user[1], user[2], user[3]],
        None,
    ));
    let new_password = reset
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .unwrap();
    let stored = s.account("acme", "alice").await.unwrap().unwrap();
    assert!(callbridge_web::account::password::verify(
        Some(&stored.password_hash),
        new_password
    ));
    assert!(!callbridge_web::account::password::verify(
        Some(&stored.password_hash),
        &one_time
    ));
    assert!(s.session(b"d1", now).await.unwrap().is_none());
    let nobody = refused(&account(
        &config,
        &["reset-password", "--tenant", "acme", "--user", "nobody"],
        None,
    ));
    assert!(
        nobody.contains("tenant acme has no user nobody"),
        "{nobody}"
    );

    let disabled = ok(&account(
        &config,
        &["disable", user[0], user[1], user[2], user[3]],
        None,
    ));
    assert!(disabled.contains("is disabled"), "{disabled}");
    assert!(s.account("acme", "alice").await.unwrap().unwrap().disabled);
    assert!(ok(&account(&config, &["list", "--tenant", "acme"], None)).contains("disabled"));
    ok(&account(
        &config,
        &["disable", user[0], user[1], user[2], user[3], "--enable"],
        None,
    ));
    assert!(!s.account("acme", "alice").await.unwrap().unwrap().disabled);

    s.create_session(callbridge_store::NewSession {
        id_digest: b"d2",
        tenant: "acme",
        user_name: "alice",
        created_at: now,
        expires_at: now + time::Duration::hours(1),
        client_address: "127.0.0.1",
    })
    .await
    .unwrap();
    let out = ok(&account(
        &config,
        &["sign-out", user[0], user[1], user[2], user[3]],
        None,
    ));
    assert!(
        out.contains("1 session(s) of alice in tenant acme ended"),
        "{out}"
    );
    assert!(s.session(b"d2", now).await.unwrap().is_none());
    s.close().await;
}
