//! `callbridge serve --config bad.toml`: every mistake in the file is printed with its file,
//! line, column, key and fix, and the command exits non-zero without starting anything.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_callbridge");

#[test]
fn serve_prints_every_located_mistake_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[server]\nlisten = \"127.0.0.1:0\"\nmaster_key = \"x\"\nlisten_port = 8080\n\n\
         [[tenant]]\nid = \"acme\"\ndefault_region = \"Japan\"\n[tenant.crm]\nkind = \"servicenow\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = path.display();
    assert!(
        stderr.contains(&format!(
            "error: {file}:4:1: key `server.listen_port`: unknown key `listen_port` in [server]. \
             Fix: did you mean `listen`? Otherwise remove it."
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "\nerror: {file}:8:18: key `tenant[0].default_region`: "
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("Fix: write an ISO 3166 region code"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");
}
