//! `callbridge doctor`'s telephony checks: can recordings be stored, can the spool be written,
//! do the prompt files play, is every queue reachable by a number and answered by an agent, can
//! the trunk host be resolved. Each failure says which setting or permission fixes it.

use std::path::Path;

use callbridge_kernel::check::{Check, Text};
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
    let title = Text::new(
        "recording spool is writable",
        "録音の一時保存ディレクトリに書き込める",
    );
    let probe = dir.join(format!(".doctor-{}", uuid::Uuid::new_v4().simple()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"probe"))
        .and_then(|_| std::fs::remove_file(&probe));
    let shown = dir.display();
    match result {
        Ok(()) => Check::pass(
            id,
            title,
            Text::new(format!("{shown} is writable"), format!("{shown} に書き込めます")),
        ),
        Err(e) => Check::fail(
            id,
            title,
            Text::new(format!("{shown}: {e}"), format!("{shown} に書き込めません: {e}")),
            Text::new(
                "set telephony.spool_dir to a directory the service user can write (recordings wait there until stored)",
                "telephony.spool_dir をサービスの実行ユーザーが書き込めるディレクトリにしてください（録音は保存されるまでここで待ちます）",
            ),
        ),
    }
}

/// Writes, reads back and deletes a small object where recordings go (also the console's check
/// before it saves a recording store).
pub async fn recording_store(t: &TenantTelephony) -> Check {
    let id = "telephony.recordings.store";
    let title = Text::new("recordings can be stored", "録音を保存できる");
    let fix = match &t.recordings {
        RecordingStorage::Local { .. } => Text::new(
            "make [tenant.telephony.recordings].path a directory the service user can write",
            "[tenant.telephony.recordings].path をサービスの実行ユーザーが書き込めるディレクトリにしてください",
        ),
        RecordingStorage::S3 { bucket, prefix, .. } => {
            let actions = callbridge_recording::policy::S3_ACTIONS.join(", ");
            let resource =
                callbridge_recording::policy::s3_resource(bucket, prefix, t.tenant.as_str());
            Text::new(
                format!(
                    "AWS console > IAM > the user (or role) > permissions: allow {actions} on {resource} (the \
                     console's Setup > Recording store shows the policy to paste); check bucket, region and endpoint"
                ),
                format!(
                    "AWS console > IAM > 対象のユーザー（またはロール）> アクセス許可: {resource} に {actions} を許可して\
                     ください（貼り付けるポリシーはコンソールの「セットアップ > 録音の保存先」にあります）。\
                     バケット、リージョン、エンドポイントも確認してください"
                ),
            )
        }
    };
    let cannot_open = |e: &dyn std::fmt::Display| {
        Text::new(e.to_string(), format!("録音の保存先を開けません: {e}"))
    };
    let store = match RecordingStore::from_config(&store_config(&t.recordings)) {
        Ok(store) => store,
        Err(e) => return Check::fail(id, title, cannot_open(&e), fix),
    };
    let meta = RecordingMeta {
        call_id: format!("doctor-probe-{}", uuid::Uuid::new_v4().simple()),
        tenant: t.tenant.to_string(),
        started_at_unix_ms: callbridge_kernel::time::Clock::start().wall().as_millis() as i64,
    };
    let key = match store.key_for(&meta) {
        Ok(key) => key,
        Err(e) => return Check::fail(id, title, cannot_open(&e), fix),
    };
    let key = ObjectPath::from(format!("{key}.doctor"));
    let objects = store.object_store();
    let steps = async {
        objects
            .put(&key, PutPayload::from_static(b"callbridge doctor probe"))
            .await
            .map_err(|e| {
                Text::new(
                    format!("writing a probe object failed: {e}"),
                    format!("確認用のオブジェクトを書き込めませんでした: {e}"),
                )
            })?;
        objects.head(&key).await.map_err(|e| {
            Text::new(
                format!("the probe object cannot be read back: {e}"),
                format!("確認用のオブジェクトを読み戻せません: {e}"),
            )
        })?;
        objects.delete(&key).await.map_err(|e| {
            Text::new(
                format!("the probe object cannot be deleted: {e}"),
                format!("確認用のオブジェクトを削除できません: {e}"),
            )
        })
    };
    match tokio::time::timeout(std::time::Duration::from_secs(15), steps).await {
        Ok(Ok(())) => Check::pass(
            id,
            title,
            Text::new(
                format!("wrote, read and deleted {key}"),
                format!("{key} を書き込み、読み戻し、削除しました"),
            ),
        ),
        Ok(Err(detail)) => Check::fail(id, title, detail, fix),
        Err(_) => Check::fail(
            id,
            title,
            Text::new("no answer within 15 s", "15 秒以内に応答がありません"),
            fix,
        ),
    }
}

fn prompts(t: &TenantTelephony) -> Vec<Check> {
    let mut checks = Vec::new();
    for q in &t.queues {
        for (what, what_ja, path) in [
            ("music", "保留音", &q.music),
            ("announcement", "アナウンス", &q.announcement),
        ] {
            let Some(path) = path else { continue };
            let id = format!("telephony.queue.{}.{what}", q.id);
            let title = Text::new(
                format!("queue {} {what} plays", q.id),
                format!("キュー {} の{what_ja}を再生できる", q.id),
            );
            let shown = path.display();
            checks.push(match callbridge_audio::read_wav(path) {
                Ok(audio) if audio.channels.first().is_some_and(|c| !c.is_empty()) => {
                    let seconds = audio.channels[0].len() as f64 / f64::from(audio.rate);
                    let rate = audio.rate;
                    Check::pass(
                        id,
                        title,
                        Text::new(
                            format!("{shown}: {seconds:.1} s at {rate} Hz"),
                            format!("{shown}: {seconds:.1} 秒、{rate} Hz"),
                        ),
                    )
                }
                Ok(_) => Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{shown} holds no audio"),
                        format!("{shown} に音声がありません"),
                    ),
                    Text::new(
                        "use a WAV with audio in it",
                        "音声の入った WAV を使ってください",
                    ),
                ),
                Err(e) => Check::fail(
                    id,
                    title,
                    Text::new(
                        format!("{shown}: {e}"),
                        format!("{shown} を読めません: {e}"),
                    ),
                    Text::new(
                        "use a 16-bit PCM WAV file (any rate, mono or stereo), e.g. `sox in.mp3 -b 16 out.wav`",
                        "16 ビット PCM の WAV ファイル（サンプル レートは任意、モノラルかステレオ）を使ってください。\
                         例: `sox in.mp3 -b 16 out.wav`",
                    ),
                ),
            });
        }
    }
    checks
}

fn routing(t: &TenantTelephony) -> Vec<Check> {
    let mut checks = Vec::new();
    for q in &t.queues {
        let queue = &q.id;
        let id = format!("telephony.queue.{queue}.agents");
        let title = Text::new(
            format!("queue {queue} has agents"),
            format!("キュー {queue} に応答するエージェントがいる"),
        );
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
                Text::new(
                    "no agent serves this queue: its calls get the no-agent treatment",
                    "このキューに応答するエージェントがいません: 着信はエージェント不在時の扱いになります",
                ),
                Text::new(
                    format!("add \"{queue}\" to some [[tenant.telephony.agent]] queues"),
                    format!("いずれかの [[tenant.telephony.agent]] の queues に \"{queue}\" を追加してください"),
                ),
            )
        } else {
            // Agent names are the same words in both languages.
            Check::pass(id, title, Text::verbatim(agents.join(", ")))
        });
        let numbers = t.numbers.iter().filter(|n| n.queue == q.id).count();
        if numbers == 0 {
            checks.push(Check::warn(
                format!("telephony.queue.{queue}.numbers"),
                Text::new(
                    format!("queue {queue} is reachable"),
                    format!("キュー {queue} に着信できる"),
                ),
                Text::new(
                    "no number routes here; only transfers reach this queue",
                    "このキューに振り分ける番号がありません。転送でしか届きません",
                ),
                Text::new(
                    format!("add a [[tenant.telephony.number]] with queue = \"{queue}\" if customers should call it"),
                    format!(
                        "顧客がこのキューに電話できるようにするなら、queue = \"{queue}\" の [[tenant.telephony.number]] を\
                         追加してください"
                    ),
                ),
            ));
        }
    }
    checks
}

async fn trunk_host(host: &str, port: u16) -> Check {
    let id = "telephony.trunk.host";
    let title = Text::new(
        "the trunk's host resolves",
        "トランクのホスト名を解決できる",
    );
    match tokio::net::lookup_host((host, port)).await {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => {
                let ip = addr.ip();
                Check::pass(
                    id,
                    title,
                    Text::new(format!("{host} is {ip}"), format!("{host} は {ip} です")),
                )
            }
            None => Check::fail(
                id,
                title,
                Text::new(
                    format!("{host} has no address"),
                    format!("{host} にアドレスがありません"),
                ),
                Text::new(
                    "check [tenant.telephony.trunk].host",
                    "[tenant.telephony.trunk].host を確認してください",
                ),
            ),
        },
        Err(e) => Check::fail(
            id,
            title,
            Text::new(
                format!("{host}: {e}"),
                format!("{host} を解決できません: {e}"),
            ),
            Text::new(
                "check [tenant.telephony.trunk].host (the carrier's SIP host) and this machine's DNS",
                "[tenant.telephony.trunk].host（通信事業者の SIP ホスト）とこのマシンの DNS を確認してください",
            ),
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
        // Whatever was found, every check reads in Japanese too.
        for c in checks {
            assert!(c.missing_japanese().is_empty(), "{c:#?}");
        }
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
        assert_eq!(
            store.ja.fix.as_deref(),
            Some("[tenant.telephony.recordings].path をサービスの実行ユーザーが書き込めるディレクトリにしてください")
        );
        let music = status(&checks, "telephony.queue.support.music");
        assert_eq!(music.status, Status::Fail);
        assert!(music.fix.as_deref().unwrap().contains("16-bit PCM WAV"));
        assert_eq!(
            music.ja.title.as_deref(),
            Some("キュー support の保留音を再生できる")
        );
        assert!(music
            .ja
            .fix
            .as_deref()
            .unwrap()
            .starts_with("16 ビット PCM の WAV ファイル"));
    }
}
