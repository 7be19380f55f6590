//! The agent's softphone messages as telephony speaks them: call control and the WebRTC
//! signalling of the agent's persistent audio session (`protocol`, documented in
//! `docs/softphone-protocol.md`). The WebSocket itself is the web edge's (`callbridge-web`): it
//! hands telephony what the agent sends through [`TelephonyHandle`](crate::TelephonyHandle) and
//! forwards what telephony queues for the agent.

pub mod protocol;
