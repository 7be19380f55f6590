//! The telephony runtime: wires the switchboard to SIP, media, recording, the softphone WebSocket and the integration engine.
