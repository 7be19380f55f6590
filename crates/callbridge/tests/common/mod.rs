//! What the CLI tests share: the binary under test and a minimal configuration file (one tenant,
//! a ServiceNow section that is never called, a SQLite store in the test's folder).

#![allow(dead_code)] // each test binary uses its own part

pub const BIN: &str = env!("CARGO_BIN_EXE_callbridge");
pub const KEY: &str = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=";

pub fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("callbridge.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
public_url = "https://cc.example.com"
database_url = "sqlite://{db}"
master_key = "{KEY}"

[[tenant]]
id = "acme"
default_region = "US"

[tenant.servicenow]
instance_url = "https://example.service-now.com"
client_id = "id"
client_secret = "secret"
"#,
            db = dir.join("callbridge.db").display()
        ),
    )
    .unwrap();
    path
}
