//! The agent's softphone connection: a WebSocket carrying call control, WebRTC signalling for
//! the agent's persistent audio session, and CRM notices.

pub mod protocol;
pub mod ticket;
