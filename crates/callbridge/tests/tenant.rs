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

    // `serve` starts with the file's tenant and the store's.
    let mut server = Command::new(BIN)
        .args(["serve", "--config", config])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let listening = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("serve prints where it listens");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(listening.ends_with("(2 tenants)"), "{listening}");
}

/// `POST /api/v1/session` on the server at `addr`: the session cookie, or the refusal's status.
async fn sign_in(addr: &str, tenant: &str, user: &str, password: &str) -> Result<String, u16> {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"tenant": tenant, "user": user, "password": password}))
        .send()
        .await
        .unwrap();
    if response.status() != 200 {
        return Err(response.status().as_u16());
    }
    Ok(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string())
}

#[tokio::test]
async fn a_removed_tenant_is_dropped_by_a_running_server_within_its_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let config = config.to_str().unwrap();
    let added = ok(&run(
        &[
            "tenant",
            "add",
            "--config",
            config,
            "globex",
            "--admin",
            "gina",
            "--instance-url",
            "https://globex.service-now.com",
            "--client-id",
            "globex-client",
        ],
        "sn-secret\n",
    ));
    let password = added
        .lines()
        .find_map(|l| l.strip_prefix("one-time password: "))
        .expect("the password is printed")
        .to_string();

    let mut server = Command::new(BIN)
        .args(["serve", "--config", config])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let listening = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("serve prints where it listens");
    let addr = listening
        .strip_prefix("Callbridge listening on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{listening}"))
        .to_string();
    let cookie = sign_in(&addr, "globex", "gina", &password)
        .await
        .expect("the store tenant's admin signs in");
    let session = |cookie: String| {
        let addr = addr.clone();
        async move {
            reqwest::Client::new()
                .get(format!("http://{addr}/api/v1/session"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(session(cookie.clone()).await, 200);

    // A file tenant and an unknown one are refused, saying what to do.
    let file = refused(&run(&["tenant", "remove", "--config", config, "acme"], ""));
    assert!(
        file.contains("tenant acme is set in")
            && file.contains("remove it from")
            && file.contains("and restart"),
        "{file}"
    );
    let unknown = refused(&run(
        &["tenant", "remove", "--config", config, "initech"],
        "",
    ));
    assert!(
        unknown.contains("no tenant initech is configured"),
        "{unknown}"
    );

    let removed_at = std::time::Instant::now();
    let out = ok(&run(
        &["tenant", "remove", "--config", config, "globex"],
        "",
    ));
    assert!(
        out.contains(
            "removed tenant globex from the store; a running server stops serving it within 5 s"
        ),
        "{out}"
    );
    assert!(out.contains("ended 1 session(s) of its accounts"), "{out}");
    // The command ended the session in the store at once.
    assert_eq!(session(cookie.clone()).await, 401);
    // The server drops the tenant at its next refresh (every 5 s): its admin cannot sign in.
    let deadline = removed_at + std::time::Duration::from_secs(6);
    loop {
        match sign_in(&addr, "globex", "gina", &password).await {
            Err(401) => break,
            other => {
                assert!(std::time::Instant::now() < deadline, "sign-in: {other:?}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    eprintln!(
        "the running server dropped the removed tenant {:?} after the command",
        removed_at.elapsed()
    );
    server.kill().unwrap();
    server.wait().unwrap();

    // Its account and its audit stay; the removal is in the audit.
    let store = Store::open(
        &format!("sqlite://{}", dir.path().join("callbridge.db").display()),
        SecretKey::from_base64(KEY).unwrap(),
    )
    .await
    .unwrap();
    assert!(store.account("globex", "gina").await.unwrap().is_some());
    assert!(store.store_tenant("globex").await.unwrap().is_none());
    let audit = store
        .admin_audit(&callbridge_store::AuditFilter {
            tenant: "globex".into(),
            from: None,
            to: None,
            user: None,
            call: None,
            allowed: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "tenant.remove" && e.actor == "cli"),
        "{audit:?}"
    );
    store.close().await;
    let listed = ok(&run(&["tenant", "list", "--config", config], ""));
    assert!(!listed.contains("globex"), "{listed}");
}

/// The check of one id in `callbridge doctor --json`'s report for `tenant`.
fn doctor_status(config: &str, tenant: &str, check: &str) -> String {
    let out = run(
        &[
            "doctor",
            "--config",
            config,
            "--tenant",
            tenant,
            "--json",
            "--no-write",
        ],
        "",
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor printed no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let found = report["tenants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["tenant"] == tenant)
        .flat_map(|t| t["checks"].as_array().cloned().unwrap_or_default())
        .find(|c| c["id"] == check);
    found.map_or_else(
        || format!("no {check} for {tenant} in {report}"),
        |c| c["status"].as_str().unwrap_or_default().to_string(),
    )
}

/// An instance whose certificate a private CA signed (the sandbox's): `--ca-file` keeps that
/// trust root with the stored tenant (as an absolute path, a relative one being the operator's
/// directory), and `doctor` checks the store's tenants as well as the file's.
// Multi-threaded: the sandbox answers doctor while this thread waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_added_with_its_instances_ca_is_checked_by_doctor() {
    let sandbox = callbridge_sandbox::start(callbridge_sandbox::SandboxOptions::default())
        .await
        .unwrap();
    let ca = sandbox.ca_path.clone().expect("the sandbox serves HTTPS");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let config = config.to_str().unwrap();
    let add = |id: &str, ca_file: Option<&str>| {
        let mut args = vec![
            "tenant",
            "add",
            "--config",
            config,
            id,
            "--admin",
            "gina",
            "--instance-url",
            &sandbox.base_url,
            "--client-id",
            &sandbox.credentials.client_id,
        ];
        if let Some(path) = ca_file {
            args.extend(["--ca-file", path]);
        }
        let mut child = Command::new(BIN)
            .args(&args)
            .current_dir(ca.parent().unwrap())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        writeln!(input, "{}", sandbox.credentials.client_secret).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let file_name = ca.file_name().unwrap().to_str().unwrap();
    ok(&add("globex", Some(file_name)));
    ok(&add("initech", None));
    let refused_ca = refused(&add("hooli", Some("no-such-ca.pem")));
    assert!(
        refused_ca.contains("ca_file") && refused_ca.contains("no-such-ca.pem"),
        "{refused_ca}"
    );

    let store = Store::open(
        &format!("sqlite://{}", dir.path().join("callbridge.db").display()),
        SecretKey::from_base64(KEY).unwrap(),
    )
    .await
    .unwrap();
    let kept = store.store_tenant("globex").await.unwrap().unwrap();
    store.close().await;
    assert!(
        kept.config
            .contains(&format!("ca_file = \"{}\"", ca.display())),
        "{}",
        kept.config
    );

    assert_eq!(
        doctor_status(config, "globex", "instance.reachable"),
        "pass"
    );
    // Without the CA the instance's certificate is not trusted: the check can fail.
    assert_eq!(
        doctor_status(config, "initech", "instance.reachable"),
        "fail"
    );
    sandbox.shutdown().await;
}
