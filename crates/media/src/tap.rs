//! Recording taps: a copy of every relayed packet, for the recorder, off the media path.
//!
//! The tap is a bounded channel the recorder drains. The relay only ever `try_send`s into it:
//! a slow or stuck recorder loses packets (counted, logged) instead of delaying the call.

use std::time::Instant;

use tokio::sync::mpsc;

use crate::frame::Payload;
use crate::rtp::RtpHeader;

/// Which party a tapped packet came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The caller, on the SIP trunk.
    Customer,
    /// The agent, on the WebRTC session.
    Agent,
}

/// One packet as it arrived at the relay.
#[derive(Debug, Clone, Copy)]
pub struct TapPacket {
    pub side: Side,
    /// When the relay received it (the recorder positions audio by this, not by RTP time,
    /// because each side's RTP clock has its own origin).
    pub received_at: Instant,
    /// The header as the sender wrote it. For the agent side the marker bit is not known
    /// (str0m does not expose it) and is `false`.
    pub header: RtpHeader,
    /// The PCMU payload.
    pub payload: Payload,
}

/// Where a call's taps go: the sending half of a channel created by the recorder.
pub type TapSender = mpsc::Sender<TapPacket>;

/// The tap of one call, with its count of packets the recorder was too slow to take.
#[derive(Debug)]
pub(crate) struct Tap {
    sender: TapSender,
    dropped: u64,
}

impl Tap {
    pub(crate) fn new(sender: TapSender) -> Self {
        Tap { sender, dropped: 0 }
    }

    /// Offers a packet; never waits. Returns false once the recorder has gone away.
    pub(crate) fn offer(&mut self, packet: TapPacket) -> bool {
        match self.sender.try_send(packet) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                // Log the first drop and then every 500th (10 s of one side), not every packet.
                if self.dropped % 500 == 1 {
                    tracing::warn!(
                        dropped = self.dropped,
                        "recording tap is full: the recorder is not keeping up"
                    );
                }
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}
