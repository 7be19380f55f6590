//! `callbridge softphone-url` on a configuration without `[telephony]` (calls come from a PBX
//! through the call-events API): it prints a URL whose ticket opens the agent's WebSocket.

use std::process::Command;

use callbridge_config::Secret;

mod common;
use common::{config, BIN, KEY};

fn softphone_url(config: &std::path::Path, tenant: &str, agent: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["softphone-url", "--config"])
        .arg(config)
        .args(["--tenant", tenant, "--agent", agent])
        .output()
        .unwrap()
}

#[test]
fn softphone_url_works_without_telephony_and_its_ticket_opens_that_agents_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let out = softphone_url(&config, "acme", "alice.agent");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap();
    let (path, ticket) = url.trim().split_once("?ticket=").unwrap();
    assert_eq!(
        path,
        "wss://cc.example.com/api/v1/tenants/acme/agents/alice.agent/softphone"
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let key = Secret::new(KEY.to_string());
    assert!(callbridge_web::gateway::ticket::verify(
        &key,
        "acme",
        "alice.agent",
        ticket,
        now
    ));
    assert!(!callbridge_web::gateway::ticket::verify(
        &key, "acme", "bob", ticket, now
    ));

    let unknown = softphone_url(&config, "globex", "alice.agent");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no tenant \"globex\""));
    let bad = softphone_url(&config, "acme", "acme:alice");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an agent name"));
}
