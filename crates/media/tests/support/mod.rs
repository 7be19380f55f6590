//! A plain-UDP "carrier" for the integration tests, and set-up helpers.

#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use callbridge_audio::{mulaw_decode, ToneGenerator};
use callbridge_media::rtp::{write_rtp, RtpHeader, RtpPacket, TelephoneEvent};
use callbridge_media::testing::{Softphone, SoftphoneOptions};
use callbridge_media::{AgentId, CallId, Media, MediaConfig, MediaEvent};
use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A port range starting at a port the OS just handed out (the pool skips any port that is
/// taken by the time it binds, so a race only costs a skipped port).
pub fn free_range(size: u16) -> RangeInclusive<u16> {
    let probe = StdUdpSocket::bind("127.0.0.1:0").unwrap();
    let start = probe.local_addr().unwrap().port().min(65_535 - size);
    start..=start + size - 1
}

pub fn start_media(
    tweak: impl FnOnce(&mut MediaConfig),
) -> (Media, mpsc::UnboundedReceiver<MediaEvent>) {
    let mut config = MediaConfig::loopback(free_range(40));
    tweak(&mut config);
    Media::start(config).unwrap()
}

/// One packet the carrier received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub from: SocketAddr,
    pub header: RtpHeader,
    pub payload: Vec<u8>,
}

/// The customer's side: sends PCMU from its socket, records what comes back.
pub struct Carrier {
    pub socket: Arc<UdpSocket>,
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    sender: Option<JoinHandle<()>>,
    receiver: JoinHandle<()>,
}

impl Drop for Carrier {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.abort();
        }
        self.receiver.abort();
    }
}

impl Carrier {
    pub async fn bind() -> Carrier {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let receiver = {
            let socket = Arc::clone(&socket);
            let received = Arc::clone(&received);
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                while let Ok((len, from)) = socket.recv_from(&mut buf).await {
                    if let Ok(packet) = RtpPacket::parse(&buf[..len]) {
                        received.lock().push(Received {
                            at: Instant::now(),
                            from,
                            header: packet.header,
                            payload: packet.payload.to_vec(),
                        });
                    }
                }
            })
        };
        Carrier {
            socket,
            addr,
            received,
            sender: None,
            receiver,
        }
    }

    /// An offer naming `media_addr` as where the carrier receives (usually `self.addr`).
    pub fn offer_for(media_addr: SocketAddr) -> String {
        format!(
            "v=0\r\no=carrier 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
             m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
             a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
            ip = media_addr.ip(),
            port = media_addr.port()
        )
    }

    pub fn offer(&self) -> String {
        Carrier::offer_for(self.addr)
    }

    /// Sends a tone to `to` every 20 ms until stopped (at most `limit` packets).
    pub fn start_tone(&mut self, to: SocketAddr, freq: f64, limit: Option<usize>) {
        let socket = Arc::clone(&self.socket);
        self.stop_sending();
        self.sender = Some(tokio::spawn(async move {
            let mut tone = ToneGenerator::new(freq, 8000.0, 8000);
            let mut ticker = tokio::time::interval(Duration::from_millis(20));
            let ssrc = 0xC0FFEE;
            let mut buf = [0u8; 400];
            for i in 0..limit.unwrap_or(usize::MAX) {
                ticker.tick().await;
                let header = RtpHeader {
                    marker: i == 0,
                    payload_type: 0,
                    sequence: i as u16,
                    timestamp: (i as u32) * 160,
                    ssrc,
                };
                let n = write_rtp(&header, &tone.next_pcmu_frame(), &mut buf).unwrap();
                let _ = socket.send_to(&buf[..n], to).await;
            }
        }));
    }

    pub fn stop_sending(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.abort();
        }
    }

    /// Sends the RFC 4733 packets of one key press, end report three times.
    pub async fn send_dtmf(&self, to: SocketAddr, digit_event: u8, timestamp: u32, seq: &mut u16) {
        let mut buf = [0u8; 64];
        for (i, (end, duration)) in [
            (false, 160u16),
            (false, 320),
            (false, 480),
            (true, 640),
            (true, 640),
            (true, 640),
        ]
        .into_iter()
        .enumerate()
        {
            let event = TelephoneEvent {
                event: digit_event,
                end,
                volume: 10,
                duration,
            };
            let header = RtpHeader {
                marker: i == 0,
                payload_type: 101,
                sequence: *seq,
                timestamp,
                ssrc: 0xC0FFEE,
            };
            *seq = seq.wrapping_add(1);
            let n = write_rtp(&header, &event.to_bytes(), &mut buf).unwrap();
            self.socket.send_to(&buf[..n], to).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().clone()
    }

    /// Decoded PCMU received at or after `since`.
    pub fn samples_since(&self, since: Instant) -> Vec<i16> {
        self.received
            .lock()
            .iter()
            .filter(|r| r.at >= since && r.header.payload_type == 0)
            .flat_map(|r| r.payload.iter().map(|b| mulaw_decode(*b)))
            .collect()
    }
}

/// An agent session with a connected test softphone.
pub async fn connected_agent(
    media: &Media,
    agent: &AgentId,
    options: SoftphoneOptions,
) -> Softphone {
    let pending = Softphone::offer(options).unwrap();
    let answer = media
        .open_agent_session(agent, pending.offer_json())
        .unwrap();
    let phone = pending.accept(&answer).unwrap();
    assert!(
        phone.wait_connected(Duration::from_secs(5)).await,
        "softphone did not connect"
    );
    phone
}

/// A trunk leg answered for `carrier`; returns where the leg receives.
pub fn answered_leg(media: &Media, call: &CallId, carrier: &Carrier) -> SocketAddr {
    let info = media.open_trunk_leg(call).unwrap();
    media
        .answer_trunk_offer(call, carrier.offer().as_bytes())
        .unwrap();
    info.local_addr
}

/// Waits for the first event matching `pick`, skipping others.
pub async fn next_event<T>(
    events: &mut mpsc::UnboundedReceiver<MediaEvent>,
    within: Duration,
    mut pick: impl FnMut(&MediaEvent) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(within, async {
        while let Some(event) = events.recv().await {
            if let Some(found) = pick(&event) {
                return Some(found);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}
