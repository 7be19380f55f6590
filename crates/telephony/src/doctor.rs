//! `callbridge doctor`'s telephony checks: can recordings be stored, can the spool be written,
//! do the prompt files play, is every queue reachable by a number and answered by an agent, can
//! the trunk host be resolved. Each failure says which setting or permission fixes it.

use std::path::Path;

use callbridge_kernel::check::Check;
use callbridge_recording::{RecordingMeta, RecordingStore};
use object_store::path::Path as ObjectPath;
use object_store::PutPayload;

use crate::runtime::store_config;
use callbridge_config::telephony::{RecordingStorage, TelephonyConfig, TenantTelephony};

/// The telephony checks of one tenant (empty when the tenant has no telephony section).
pub async fn check_tenant(config: &TelephonyConfig, tenant: &str) -> Vec<Check> {
    let Some(t) = config.tenants.iter().find(|t| t.tenant.as_str() == tenant) else {
        return Vec::new();
    };
    let mut checks = vec![spool(&config.spool_dir)];
    checks.push(recording_store(t).await);
    checks.extend(prompts(t));
    checks.extend(routing(t));
    if let Some(trunk) = &t.trunk {
        checks.push(trunk_host(&trunk.host, trunk.port).await);
    }
    checks
}

fn spool(dir: &Path) -> Check {
    let id = "telephony.spool";
    let title = "recording spool is writable";
    let probe = dir.join(format!(".doctor-{}", uuid::Uuid::new_v4().simple()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"probe"))
        .and_then(|_| std::fs::remove_file(&probe));
    match result {
        Ok(()) => Check::pass(id, title, format!("{} is writable", dir.display())),
        Err(e) => Check::fail(
            id,
            title,
            format!("{}: {e}", dir.display()),
            "set telephony.spool_dir to a directory the service user can write (recordings wait there until stored)",
        ),
    }
}

/// Writes, reads back and deletes a small object where recordings go (also the console's check
/// before it saves a recording store).
pub async fn recording_store(t: &TenantTelephony) -> Check {
    let id = "telephony.recordings.store";
    let title = "recordings can be stored";
    let fix = match &t.recordings {
        RecordingStorage::Local { .. } => {
            "make [tenant.telephony.recordings].path a directory the service user can write"
                .to_string()
        }
        RecordingStorage::S3 { bucket, prefix, .. } => format!(
            "AWS console > IAM > the user (or role) > permissions: allow {} on {} (the console's \
             Setup > Recording store shows the policy to paste); check bucket, region and endpoint",
            callbridge_recording::policy::S3_ACTIONS.join(", "),
            callbridge_recording::policy::s3_resource(bucket, prefix, t.tenant.as_str()),
        ),
    };
    let store = match RecordingStore::from_config(&store_config(&t.recordings)) {
        Ok(store) => store,
        Err(e) => return Check::fail(id, title, e.to_string(), fix),
    };
    let meta = RecordingMeta {
        call_id: format!("doctor-probe-{}", uuid::Uuid::new_v4().simple()),
        tenant: t.tenant.to_string(),
        started_at_unix_ms: callbridge_kernel::time::Clock::start().wall().as_millis() as i64,
    };
    let key = match store.key_for(&meta) {
        Ok(key) => key,
        Err(e) => return Check::fail(id, title, e.to_string(), fix),
    };
    let key = ObjectPath::from(format!("{key}.doctor"));
    let objects = store.object_store();
    let steps = async {
        objects
            .put(&key, PutPayload::from_static(b"callbridge doctor probe"))
            .await
            .map_err(|e| format!("writing a probe object failed: {e}"))?;
        objects
            .head(&key)
            .await
            .map_err(|e| format!("the probe object cannot be read back: {e}"))?;
        objects
            .delete(&key)
            .await
            .map_err(|e| format!("the probe object cannot be deleted: {e}"))
    };
    match tokio::time::timeout(std::time::Duration::from_secs(15), steps).await {
        Ok(Ok(())) => Check::pass(id, title, format!("wrote, read and deleted {key}")),
        Ok(Err(detail)) => Check::fail(id, title, detail, fix),
        Err(_) => Check::fail(id, title, "no answer within 15 s", fix),
    }
}

fn prompts(t: &TenantTelephony) -> Vec<Check> {
    let mut checks = Vec::new();
    for q in &t.queues {
        for (what, path) in [("music", &q.music), ("announcement", &q.announcement)] {
            let Some(path) = path else { continue };
            let id = format!("telephony.queue.{}.{what}", q.id);
            let title = format!("queue {} {what} plays", q.id);
            checks.push(match callbridge_audio::read_wav(path) {
                Ok(audio) if audio.channels.first().is_some_and(|c| !c.is_empty()) => Check::pass(
                    id,
                    title,
                    format!(
                        "{}: {:.1} s at {} Hz",
                        path.display(),
                        audio.channels[0].len() as f64 / f64::from(audio.rate),
                        audio.rate
                    ),
                ),
                Ok(_) => Check::fail(id, title, format!("{} holds no audio", path.display()), "use a WAV with audio in it"),
                Err(e) => Check::fail(
                    id,
                    title,
                    format!("{}: {e}", path.display()),
                    "use a 16-bit PCM WAV file (any rate, mono or stereo), e.g. `sox in.mp3 -b 16 out.wav`",
                ),
            });
        }
    }
    checks
}

fn routing(t: &TenantTelephony) -> Vec<Check> {
    let mut checks = Vec::new();
    for q in &t.queues {
        let id = format!("telephony.queue.{}.agents", q.id);
        let title = format!("queue {} has agents", q.id);
        let agents: Vec<&str> = t
            .agents
            .iter()
            .filter(|a| a.queues.contains(&q.id))
            .map(|a| a.name.as_str())
            .collect();
        checks.push(if agents.is_empty() {
            Check::warn(
                id,
                title,
                "no agent serves this queue: its calls get the no-agent treatment",
                format!("add \"{}\" to some [[tenant.telephony.agent]] queues", q.id),
            )
        } else {
            Check::pass(id, title, agents.join(", "))
        });
        let numbers = t.numbers.iter().filter(|n| n.queue == q.id).count();
        if numbers == 0 {
            checks.push(Check::warn(
                format!("telephony.queue.{}.numbers", q.id),
                format!("queue {} is reachable", q.id),
                "no number routes here; only transfers reach this queue",
                format!("add a [[tenant.telephony.number]] with queue = \"{}\" if customers should call it", q.id),
            ));
        }
    }
    checks
}

async fn trunk_host(host: &str, port: u16) -> Check {
    let id = "telephony.trunk.host";
    let title = "the trunk's host resolves";
    match tokio::net::lookup_host((host, port)).await {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => Check::pass(id, title, format!("{host} is {}", addr.ip())),
            None => Check::fail(
                id,
                title,
                format!("{host} has no address"),
                "check [tenant.telephony.trunk].host",
            ),
        },
        Err(e) => Check::fail(
            id,
            title,
            format!("{host}: {e}"),
            "check [tenant.telephony.trunk].host (the carrier's SIP host) and this machine's DNS",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_kernel::check::Status;

    fn config(dir: &Path, recordings: &str) -> TelephonyConfig {
        let text = format!(
            r#"
[server]
master_key = "x"
[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"
spool_dir = "spool"
[[tenant]]
id = "acme"
[tenant.servicenow]
[tenant.telephony]
allowed_sources = ["127.0.0.1"]
[tenant.telephony.trunk]
host = "127.0.0.1"
caller_id = "+15551230000"
[[tenant.telephony.number]]
did = "+15551230001"
queue = "support"
[[tenant.telephony.queue]]
id = "support"
music = "music.wav"
[[tenant.telephony.queue]]
id = "backoffice"
[[tenant.telephony.agent]]
name = "alice"
queues = ["support"]
[tenant.telephony.recordings]
{recordings}
"#
        );
        callbridge_config::Config::parse("t.toml", &text, dir, &|_| None)
            .unwrap()
            .telephony
            .unwrap()
    }

    fn status<'a>(checks: &'a [Check], id: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no {id} in {checks:#?}"))
    }

    #[tokio::test]
    async fn a_working_local_setup_passes_and_gaps_are_named() {
        let dir = tempfile::tempdir().unwrap();
        callbridge_audio::write_tone_wav(
            &dir.path().join("music.wav"),
            8000,
            440.0,
            8000.0,
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let config = config(dir.path(), "store = \"local\"\npath = \"recordings\"");
        let checks = check_tenant(&config, "acme").await;
        assert_eq!(status(&checks, "telephony.spool").status, Status::Pass);
        assert_eq!(
            status(&checks, "telephony.recordings.store").status,
            Status::Pass,
            "{checks:#?}"
        );
        assert_eq!(
            status(&checks, "telephony.queue.support.music").status,
            Status::Pass
        );
        assert_eq!(
            status(&checks, "telephony.queue.support.agents").status,
            Status::Pass
        );
        assert_eq!(
            status(&checks, "telephony.queue.backoffice.agents").status,
            Status::Warn
        );
        assert_eq!(
            status(&checks, "telephony.queue.backoffice.numbers").status,
            Status::Warn
        );
        assert_eq!(status(&checks, "telephony.trunk.host").status, Status::Pass);
        assert!(check_tenant(&config, "globex").await.is_empty());
    }

    #[tokio::test]
    async fn an_unwritable_store_and_a_broken_prompt_fail_with_their_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("music.wav"), b"not a wav").unwrap();
        // A file where the recordings directory should be: nothing can be written under it.
        std::fs::write(dir.path().join("blocked"), b"").unwrap();
        let config = config(dir.path(), "store = \"local\"\npath = \"blocked\"");
        let checks = check_tenant(&config, "acme").await;
        let store = status(&checks, "telephony.recordings.store");
        assert_eq!(store.status, Status::Fail, "{store:?}");
        assert!(store.fix.as_deref().unwrap().contains("path"), "{store:?}");
        let music = status(&checks, "telephony.queue.support.music");
        assert_eq!(music.status, Status::Fail);
        assert!(music.fix.as_deref().unwrap().contains("16-bit PCM WAV"));
    }
}
