//! `callbridge tenant ...` as an operator runs it: a tenant kept in the store created with its
//! ServiceNow connection (the client secret read from standard input, sealed, never in the
//! text) and its first admin (one-time password printed, and it works); a duplicate id, a bad
//! value or a missing secret refused with what to do; `account` commands know the new tenant.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use callbridge_store::{SecretKey, Store};

mod common;
use common::{config, BIN, KEY};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
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

#[tokio::test]
async fn a_tenant_is_added_with_its_crm_and_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let config = config.to_str().unwrap();
    let add = |id: &'static str, url: &'static str, secret: &'static str| {
        run(
            &[
                "tenant",
                "add",
                "--config",
                config,
                id,
                "--admin",
                "gina",
                "--name",
                "Globex \"East\"",
                "--region",
                "JP",
                "--instance-url",
                url,
                "--client-id",
                "globex-client",
            ],
            secret,
        )
    };
    let out = ok(&add(
        "globex",
        "https://globex.service-now.com",
        "sn-secret\n",
    ));
    assert!(
        out.contains("created tenant globex (kept in the store, version 1)"),
        "{out}"
    );
    assert!(
        out.contains("created admin account gina in tenant globex"),
        "{out}"
    );
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("the password is printed")
        .to_string();

    let store = Store::open(
        &format!("sqlite://{}", dir.path().join("callbridge.db").display()),
        SecretKey::from_base64(KEY).unwrap(),
    )
    .await
    .unwrap();
    let kept = store.store_tenant("globex").await.unwrap().unwrap();
    assert!(
        kept.config.contains("name = 'Globex \"East\"'"),
        "{}",
        kept.config
    );
    assert!(
        kept.config
            .contains("client_secret = { store = \"crm.client_secret\" }"),
        "{}",
        kept.config
    );
    assert!(!kept.config.contains("sn-secret"), "{}", kept.config);
    assert_eq!(kept.secrets[0].1.expose(), "sn-secret");
    let admin = store.account("globex", "gina").await.unwrap().unwrap();
    assert_eq!(admin.role, callbridge_store::Role::Admin);
    assert!(callbridge_web::account::password::verify(
        Some(&admin.password_hash),
        &password
    ));
    store.close().await;

    let listed = ok(&run(&["tenant", "list", "--config", config], ""));
    assert!(
        listed.contains("acme") && listed.contains("file "),
        "{listed}"
    );
    assert!(
        listed.contains("globex") && listed.contains("store, version 1"),
        "{listed}"
    );
    // The account commands know the new tenant.
    let agent = ok(&run(
        &[
            "account", "add", "--config", config, "--tenant", "globex", "--user", "ann", "--role",
            "agent",
        ],
        "",
    ));
    assert!(
        agent.contains("created agent account ann in tenant globex"),
        "{agent}"
    );

    let again = refused(&add("globex", "https://globex.service-now.com", "x\n"));
    assert!(
        again.contains("tenant id globex is already used"),
        "{again}"
    );
    let file = refused(&add("acme", "https://globex.service-now.com", "x\n"));
    assert!(file.contains("tenant id acme is already used"), "{file}");
    let bad = refused(&add("initech", "ftp://initech", "x\n"));
    assert!(bad.contains("store:initech@v1"), "{bad}");
    assert!(bad.contains("key `tenant[0].crm.instance_url`"), "{bad}");
    let no_secret = refused(&add("initech", "https://initech.service-now.com", ""));
    assert!(no_secret.contains("standard input"), "{no_secret}");
}
