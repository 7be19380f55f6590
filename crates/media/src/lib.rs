//! RTP relay, SDP for the trunk, WebRTC agent sessions on str0m, bridging, prompts and recording taps.
