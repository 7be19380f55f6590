//! Shared test fixtures: a simulated call feeding a writer, and a real S3 server (s3s-fs).
#![allow(dead_code)]

use callbridge_audio::{mulaw_encode, DetectOptions, Span, ToneGenerator, PCMU_RATE};
use callbridge_recording::{Channel, Placement, RecordingMeta, RecordingWriter, RtpAudio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const FRAME: Duration = Duration::from_millis(20);
pub const ACCESS_KEY: &str = "AKIDCALLBRIDGETEST";
pub const SECRET_KEY: &str = "test-secret-key-for-s3s-fs";
pub const BUCKET: &str = "recordings";

pub fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

pub fn meta(call_id: &str) -> RecordingMeta {
    RecordingMeta {
        call_id: call_id.into(),
        tenant: "acme".into(),
        // 2026-03-04T12:00:00Z
        started_at_unix_ms: 1_772_625_600_000,
    }
}

/// One RTP packet as a peer would send it, with the time it reaches the recorder.
#[derive(Debug, Clone)]
pub struct Sent {
    pub channel: Channel,
    pub arrival: Duration,
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: Vec<u8>,
}

impl Sent {
    pub fn audio(&self) -> RtpAudio<'_> {
        RtpAudio {
            ssrc: self.ssrc,
            sequence: self.sequence,
            timestamp: self.timestamp,
            payload: &self.payload,
        }
    }
}

/// A talk spurt: a tone sent as 20 ms packets from `start` to `end` (call time).
pub struct Stream {
    pub channel: Channel,
    pub ssrc: u32,
    pub first_sequence: u16,
    pub first_timestamp: u32,
    pub freq_hz: f64,
    pub start: Duration,
    pub end: Duration,
}

impl Stream {
    pub fn tone(channel: Channel, freq_hz: f64, start: Duration, end: Duration) -> Self {
        Self {
            channel,
            ssrc: 0x1000 + channel as u32,
            first_sequence: 1000,
            first_timestamp: 90_000,
            freq_hz,
            start,
            end,
        }
    }

    /// The packets, each arriving `delay(i)` after it was sent.
    pub fn packets(&self, delay: impl Fn(usize) -> Duration) -> Vec<Sent> {
        let mut tone = ToneGenerator::new(self.freq_hz, 8000.0, PCMU_RATE);
        let count = ((self.end - self.start).as_millis() / FRAME.as_millis()) as usize;
        (0..count)
            .map(|i| Sent {
                channel: self.channel,
                arrival: self.start + FRAME * i as u32 + delay(i),
                ssrc: self.ssrc,
                sequence: self.first_sequence.wrapping_add(i as u16),
                timestamp: self.first_timestamp.wrapping_add(160 * i as u32),
                payload: tone.next_pcmu_frame().to_vec(),
            })
            .collect()
    }
}

/// Deterministic network jitter in `0..max_ms` (none for the first packet, which anchors).
pub fn jitter(max_ms: u64) -> impl Fn(usize) -> Duration {
    move |i| {
        if i == 0 {
            Duration::ZERO
        } else {
            ms((i as u64 * 7919 + 13) % max_ms)
        }
    }
}

/// Plays packets into the writer in arrival order, ticking every 20 ms as a runtime would, and
/// finishes at `hangup`. Returns each packet's placement in the order pushed.
pub fn play(
    writer: &mut RecordingWriter,
    mut packets: Vec<Sent>,
    until: Duration,
) -> Vec<Placement> {
    packets.sort_by_key(|p| p.arrival);
    let mut placements = Vec::new();
    let mut next = packets.into_iter().peekable();
    let mut now = Duration::ZERO;
    while now <= until {
        while let Some(packet) = next.next_if(|p| p.arrival <= now) {
            placements.push(writer.push(packet.channel, packet.arrival, packet.audio()));
        }
        writer.tick(now).unwrap();
        now += FRAME;
    }
    placements
}

/// Spans of `freq` with the recording's PCMU-quantised audio.
pub fn spans(samples: &[i16], freq: f64) -> Vec<Span> {
    callbridge_audio::tone_spans(samples, 8_000, freq, &DetectOptions::default())
}

pub fn silence_payload() -> Vec<u8> {
    vec![mulaw_encode(0); 160]
}

/// A real S3 server (s3s-fs over hyper) on 127.0.0.1, with a switch that makes it answer 503.
pub struct S3Server {
    pub endpoint: String,
    available: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl S3Server {
    pub async fn start() -> Self {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use hyper_util::server::conn::auto::Builder as ConnBuilder;
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;

        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let available = Arc::new(AtomicBool::new(true));
        let switch = Arc::clone(&available);
        let task = tokio::spawn(async move {
            // Connections live in this set, so aborting the server task closes them too.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let switch = Arc::clone(&switch);
                let handler = hyper::service::service_fn(move |request| {
                    let service = service.clone();
                    let up = switch.load(Ordering::SeqCst);
                    async move {
                        if up {
                            hyper::service::Service::call(&service, request).await
                        } else {
                            Ok(hyper::Response::builder()
                                .status(503)
                                .body(s3s::Body::from("unavailable".to_string()))
                                .unwrap())
                        }
                    }
                });
                connections.spawn(async move {
                    let _ = ConnBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), handler)
                        .await;
                });
            }
        });
        Self {
            endpoint,
            available,
            task,
            _root: root,
        }
    }

    pub fn set_available(&self, up: bool) {
        self.available.store(up, Ordering::SeqCst);
    }

    pub fn config(&self, prefix: &str) -> callbridge_recording::RecordingStoreConfig {
        callbridge_recording::RecordingStoreConfig::S3 {
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            endpoint: Some(self.endpoint.clone()),
            allow_http: true,
            credentials: callbridge_recording::S3Credentials::AccessKey {
                id: ACCESS_KEY.into(),
                secret: SECRET_KEY.into(),
                session_token: None,
            },
            prefix: prefix.into(),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
