//! One baresip process as the customer's phone: its own config directory (from the templates
//! beside this file), auto-answer, a tone file as its microphone, what it hears recorded to a
//! WAV, and its control channel. Killed by pid when the test is done with it (or on drop).

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::ctrl::Ctrl;

/// Where Debian's baresip-core puts its modules.
const MODULE_PATH: &str = "/usr/lib/baresip/modules";
/// The tone file must outlast every call: baresip's aufile ends the call at end of file.
const TONE_SECONDS: u64 = 60;
/// RTP and RTCP ports baresip may use (it takes an even/odd pair per call).
const RTP_BLOCK: u16 = 16;

/// A running baresip.
pub struct Baresip {
    child: tokio::process::Child,
    /// Its SIP address (UDP).
    pub sip: SocketAddr,
    pub ctrl: Ctrl,
    dir: tempfile::TempDir,
}

impl Baresip {
    /// Starts baresip answering as `user`, playing a `tone_hz` tone into every call.
    /// Panics (never skips) if baresip is not installed.
    pub async fn start(user: &str, tone_hz: f64) -> Baresip {
        assert!(
            Path::new(MODULE_PATH).join("aufile.so").exists(),
            "baresip is required: apt-get install baresip-core (no modules in {MODULE_PATH})"
        );
        // Ports are probed free, then bound by baresip: another test can take one in between,
        // so a start that fails is retried on fresh ports.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(user, tone_hz).await {
                Ok(phone) => return phone,
                Err(log) => failures.push(log),
            }
        }
        panic!("baresip did not start:\n{}", failures.join("\n---\n"));
    }

    async fn try_start(user: &str, tone_hz: f64) -> Result<Baresip, String> {
        let dir = tempfile::tempdir().unwrap();
        let recordings = dir.path().join("heard");
        std::fs::create_dir(&recordings).unwrap();
        let tone = dir.path().join("tone.wav");
        callbridge_audio::write_tone_wav(
            &tone,
            8000,
            tone_hz,
            8000.0,
            Duration::from_secs(TONE_SECONDS),
        )
        .unwrap();
        let sip_port = free_sip_port();
        let ctrl_port = free_tcp_port();
        let rtp_low = free_udp_block(RTP_BLOCK);
        let config = fill(
            include_str!("config"),
            &[
                ("SIP_PORT", &sip_port.to_string()),
                ("TONE_WAV", &path_str(&tone)),
                ("RECORDINGS", &path_str(&recordings)),
                (
                    "RTP_PORTS",
                    &format!("{rtp_low}-{}", rtp_low + RTP_BLOCK - 1),
                ),
                ("MODULE_PATH", MODULE_PATH),
                ("CTRL_PORT", &ctrl_port.to_string()),
            ],
        );
        std::fs::write(dir.path().join("config"), config).unwrap();
        let accounts = fill(include_str!("accounts"), &[("USER", user)]);
        std::fs::write(dir.path().join("accounts"), accounts).unwrap();

        let log = std::fs::File::create(dir.path().join("baresip.log")).unwrap();
        // No -d: a daemon would fork and the pid we hold would not be baresip's. No console
        // module is loaded and stdin is null, so nothing waits for a keyboard.
        let mut child = tokio::process::Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .arg("-v")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("baresip is required: apt-get install baresip");

        let ctrl_addr = SocketAddr::from(([127, 0, 0, 1], ctrl_port));
        let deadline = Instant::now() + Duration::from_secs(10);
        let connected = tokio::select! {
            ctrl = Ctrl::connect(ctrl_addr, deadline) => ctrl.map_err(|err| err.to_string()),
            status = child.wait() => Err(format!("baresip exited: {status:?}")),
        };
        match connected {
            Ok(ctrl) => Ok(Baresip {
                child,
                sip: SocketAddr::from(([127, 0, 0, 1], sip_port)),
                ctrl,
                dir,
            }),
            Err(why) => {
                let _ = child.kill().await;
                Err(format!("{why}\n{}", read_log(dir.path())))
            }
        }
    }

    /// baresip's own log so far (for failure messages).
    pub fn log(&self) -> String {
        read_log(self.dir.path())
    }

    /// The codecs baresip set for its audio encoder and decoder, in the order it set them
    /// (`PCMU 8000Hz 1ch`), from its log: the one place it says what was negotiated.
    pub fn codecs_used(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|line| {
                line.strip_prefix("audio: Set audio encoder: ")
                    .or_else(|| line.strip_prefix("audio: Set audio decoder: "))
            })
            .map(|codec| codec.trim().to_string())
            .collect()
    }

    /// Everything baresip heard in its (one, finished) call, as written by the sndfile filter.
    /// The WAV header is completed when the call is torn down, just after baresip reports it
    /// closed, so this waits briefly for the file to become whole.
    pub async fn heard(&self) -> Vec<i16> {
        let dir = self.dir.path().join("heard");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let decoded = decoded_dumps(&dir);
            if let [only] = decoded.as_slice() {
                if let Ok(audio) = callbridge_audio::read_wav(only) {
                    if !audio.channels.is_empty() && !audio.channels[0].is_empty() {
                        assert_eq!(audio.rate, 8000, "PCMU is decoded at 8 kHz");
                        assert_eq!(audio.channels.len(), 1);
                        return audio.channels.into_iter().next().unwrap();
                    }
                }
            }
            assert!(decoded.len() <= 1, "one call, one recording: {decoded:?}");
            if Instant::now() >= deadline {
                panic!(
                    "baresip's recording never became readable ({decoded:?});\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills baresip by its pid and waits for it to go.
    pub async fn stop(mut self) {
        self.child.kill().await.expect("kill baresip");
    }
}

/// The sndfile filter's recordings of received audio: `dump-<time>-dec.wav`.
fn decoded_dumps(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.to_string_lossy().ends_with("-dec.wav"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default()
}

/// Replaces each `{{NAME}}` in `template`; panics if one is left unfilled.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    assert!(!text.contains("{{"), "unfilled placeholder in:\n{text}");
    text
}

fn path_str(path: &Path) -> String {
    path.to_str()
        .expect("temporary paths are UTF-8")
        .to_string()
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A port free for SIP over UDP and TCP, with the next one free for baresip's TLS listener.
fn free_sip_port() -> u16 {
    loop {
        let port = free_tcp_port();
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        let free = UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", next)).is_ok();
        if free {
            return port;
        }
    }
}

/// The first of `len` consecutive free UDP ports, starting even (RTP on even, RTCP on odd).
fn free_udp_block(len: u16) -> u16 {
    loop {
        let start = (20_000 + rand::random::<u16>() % 30_000) & !1;
        let all_free =
            (start..start + len).all(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok());
        if all_free {
            return start;
        }
    }
}
