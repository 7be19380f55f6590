//! Test harness: a real sipp as the carrier, an endpoint on loopback, and a small "lead" task
//! that plays the runtime's part.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use callbridge_sip::{LegId, SipConfig, SipEndpoint, SipEvent};
use tokio::process::Command;
use tokio::sync::mpsc;

/// The SDP our "lead" answers with (sipp scenarios check for its m= line).
pub const ANSWER_SDP: &str = "v=0\r\no=callbridge 1 1 IN IP4 127.0.0.1\r\ns=-\r\n\
c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// `None` (and a loud message) when sipp is not installed.
pub fn sipp_available() -> bool {
    let found = std::process::Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("!!!!!!!! sipp is not installed: SKIPPING this test (apt-get install sip-tester) !!!!!!!!");
    }
    found
}

pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

/// A UDP port free right now on `ip` (sipp binds it itself a moment later).
pub fn free_udp_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn free_tcp_port(ip: &str) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn loopback_config() -> SipConfig {
    SipConfig {
        udp: Some("127.0.0.1:0".parse().unwrap()),
        tcp: Some("127.0.0.1:0".parse().unwrap()),
        user_agent: "callbridge-test".into(),
        ..SipConfig::default()
    }
}

/// How the sipp run went.
pub struct SippRun {
    pub code: Option<i32>,
    pub errors: String,
    pub messages: String,
    pub stdout: String,
}

impl SippRun {
    pub fn assert_success(&self, what: &str) {
        assert_eq!(
            self.code,
            Some(0),
            "sipp {what} failed (exit {:?})\n--- errors ---\n{}\n--- messages ---\n{}\n--- stdout ---\n{}",
            self.code,
            self.errors,
            self.messages,
            self.stdout
        );
    }
}

/// One sipp process.
pub struct Sipp {
    pub args: Vec<String>,
    dir: tempfile::TempDir,
}

impl Sipp {
    /// sipp as the calling carrier (`-sf scenario target`), bound to `local_ip`.
    pub fn client(scenario_file: &str, target: SocketAddr, local_ip: &str, tcp: bool) -> Sipp {
        let port = if tcp {
            free_tcp_port(local_ip)
        } else {
            free_udp_port(local_ip)
        };
        Sipp::new(scenario_file, Some(target), local_ip, port, tcp)
    }

    /// sipp as the answering carrier, listening on `port`.
    pub fn server(scenario_file: &str, local_ip: &str, port: u16, tcp: bool) -> Sipp {
        Sipp::new(scenario_file, None, local_ip, port, tcp)
    }

    fn new(
        scenario_file: &str,
        target: Option<SocketAddr>,
        local_ip: &str,
        port: u16,
        tcp: bool,
    ) -> Sipp {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "-sf".to_string(),
            scenario(scenario_file).display().to_string(),
            "-i".into(),
            local_ip.into(),
            "-p".into(),
            port.to_string(),
            "-mp".into(),
            free_udp_port(local_ip).to_string(),
            "-m".into(),
            "1".into(),
            "-timeout".into(),
            "20s".into(),
            "-timeout_error".into(),
            "-s".into(),
            "+15550001000".into(),
            "-nostdin".into(),
            "-trace_err".into(),
            "-error_file".into(),
            dir.path().join("errors.log").display().to_string(),
            "-trace_msg".into(),
            "-message_file".into(),
            dir.path().join("messages.log").display().to_string(),
        ];
        if tcp {
            args.extend(["-t".into(), "t1".into()]);
        }
        if let Some(target) = target {
            args.push(target.to_string());
        }
        Sipp { args, dir }
    }

    pub fn arg(mut self, extra: &[&str]) -> Sipp {
        let target = if self
            .args
            .last()
            .is_some_and(|a| a.contains(':') && !a.starts_with('-'))
        {
            self.args.pop()
        } else {
            None
        };
        self.args.extend(extra.iter().map(|a| a.to_string()));
        self.args.extend(target);
        self
    }

    /// Runs sipp to completion (killed by pid after 40 s).
    pub async fn run(self) -> SippRun {
        let mut child = Command::new("sipp")
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn sipp");
        let pid = child.id();
        let output = match tokio::time::timeout(Duration::from_secs(40), child.wait()).await {
            Ok(status) => status.ok().and_then(|s| s.code()),
            Err(_) => {
                eprintln!("sipp (pid {pid:?}) overran its time; killing it");
                child.kill().await.ok();
                None
            }
        };
        let mut stdout = String::new();
        if let Some(mut out) = child.stdout.take() {
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(2), out.read_to_end(&mut buf)).await;
            stdout = String::from_utf8_lossy(&buf)
                .chars()
                .rev()
                .take(3000)
                .collect::<String>()
                .chars()
                .rev()
                .collect();
        }
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        SippRun {
            code: output,
            errors: read("errors.log"),
            messages: read("messages.log"),
            stdout,
        }
    }
}

/// What the "lead" does with each inbound call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// 180, then 200 with `ANSWER_SDP`.
    RingThenAnswer,
    /// 183 with early-media SDP, then 200.
    EarlyMediaThenAnswer,
    /// 180 only; the caller is expected to give up.
    RingOnly,
    /// Reject with this status.
    Reject(u16),
    /// Answer, then hang up ourselves once confirmed.
    AnswerThenHangUp,
    /// Answer immediately without ringing.
    AnswerAtOnce,
}

/// Plays the runtime: applies `policy` to calls, answers re-INVITEs with `ANSWER_SDP`
/// (sendonly answered as recvonly), and forwards every event for the test to inspect.
pub fn spawn_lead(
    endpoint: SipEndpoint,
    mut events: mpsc::Receiver<SipEvent>,
    policy: Policy,
) -> mpsc::UnboundedReceiver<Recorded> {
    let (record, recorded) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let leg = event.leg();
            match &event {
                SipEvent::IncomingCall(_) => match policy {
                    Policy::RingThenAnswer | Policy::AnswerThenHangUp => {
                        endpoint.ringing(leg, None).unwrap();
                        endpoint.answer(leg, ANSWER_SDP.into()).unwrap();
                    }
                    Policy::EarlyMediaThenAnswer => {
                        endpoint.ringing(leg, Some(ANSWER_SDP.into())).unwrap();
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        endpoint.answer(leg, ANSWER_SDP.into()).unwrap();
                    }
                    Policy::RingOnly => endpoint.ringing(leg, None).unwrap(),
                    Policy::Reject(status) => endpoint.reject(leg, status).unwrap(),
                    Policy::AnswerAtOnce => endpoint.answer(leg, ANSWER_SDP.into()).unwrap(),
                },
                SipEvent::Confirmed { .. } if policy == Policy::AnswerThenHangUp => {
                    // Give the carrier's ACK retransmission window a moment, as a person would.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    endpoint.hang_up(leg).unwrap();
                }
                SipEvent::OutboundAnswered { .. } => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    endpoint.hang_up(leg).unwrap();
                }
                _ => {}
            }
            let event = match event {
                SipEvent::Reinvite { leg, sdp, reply } => {
                    let answer = ANSWER_SDP.replace(
                        "a=rtpmap:0 PCMU/8000\r\n",
                        "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n",
                    );
                    reply.send(Ok(answer)).ok();
                    Recorded::Reinvite { leg, sdp }
                }
                other => Recorded::Event(other),
            };
            if record.send(event).is_err() {
                break;
            }
        }
    });
    recorded
}

/// An event as the test sees it (re-INVITE replies are already sent).
#[derive(Debug)]
pub enum Recorded {
    Event(SipEvent),
    Reinvite { leg: LegId, sdp: Option<String> },
}

/// Everything recorded so far, waiting briefly for stragglers.
pub async fn drain(recorded: &mut mpsc::UnboundedReceiver<Recorded>) -> Vec<Recorded> {
    let mut all = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), recorded.recv()).await
    {
        all.push(event);
    }
    all
}

/// Waits for the endpoint to have no live legs (the dialogs were cleaned up).
pub async fn wait_no_legs(endpoint: &SipEndpoint) {
    for _ in 0..100 {
        if endpoint.live_legs() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} legs still alive", endpoint.live_legs());
}
