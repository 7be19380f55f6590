//! Audio frames as they move between the tasks of the relay.
//!
//! A frame is a fixed-size value (no heap), so handing one from a trunk leg to an agent session
//! through a bounded channel allocates nothing per packet.

use std::time::Instant;

use tokio::sync::mpsc;

/// Largest RTP payload relayed: 60 ms of PCMU. Anything larger is not G.711 voice and is dropped.
pub const MAX_PAYLOAD: usize = 480;

/// A copied RTP payload of at most [`MAX_PAYLOAD`] bytes.
#[derive(Clone, Copy)]
pub struct Payload {
    len: u16,
    bytes: [u8; MAX_PAYLOAD],
}

impl Payload {
    /// Copies `data`, or `None` if it is longer than [`MAX_PAYLOAD`].
    pub fn copy_from(data: &[u8]) -> Option<Payload> {
        if data.len() > MAX_PAYLOAD {
            return None;
        }
        let mut bytes = [0u8; MAX_PAYLOAD];
        bytes[..data.len()].copy_from_slice(data);
        Some(Payload {
            len: data.len() as u16,
            bytes,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payload({} bytes)", self.len)
    }
}

/// What a payload is, independent of the payload type numbers each leg negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Pcmu,
    TelephoneEvent,
}

/// One packet's worth of audio crossing from one leg to the other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub received_at: Instant,
    pub kind: PayloadKind,
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Payload,
}

/// Frames queued towards one side of a bridge before newer ones are dropped: 64 × 20 ms is
/// over a second, far beyond any healthy scheduling delay.
const BRIDGE_QUEUE: usize = 64;

/// One task's end of a bridge: frames for the other side go out, the other side's come in.
///
/// Each `connect` makes a fresh pair, so a frame can never reach the wrong call, and an idle
/// agent session holds no channel (a queue of frames costs ~16 kB of memory).
#[derive(Debug)]
pub(crate) struct BridgeEnd {
    pub to_peer: mpsc::Sender<Frame>,
    pub from_peer: mpsc::Receiver<Frame>,
}

/// The two ends of a new bridge.
pub(crate) fn bridge_pair() -> (BridgeEnd, BridgeEnd) {
    let (a_tx, a_rx) = mpsc::channel(BRIDGE_QUEUE);
    let (b_tx, b_rx) = mpsc::channel(BRIDGE_QUEUE);
    (
        BridgeEnd {
            to_peer: a_tx,
            from_peer: b_rx,
        },
        BridgeEnd {
            to_peer: b_tx,
            from_peer: a_rx,
        },
    )
}

/// The next frame from the peer, pending forever while not bridged; `None` once the peer
/// has gone away (the caller then drops its end).
pub(crate) async fn next_from_peer(end: &mut Option<BridgeEnd>) -> Option<Frame> {
    match end {
        Some(end) => end.from_peer.recv().await,
        None => std::future::pending().await,
    }
}
