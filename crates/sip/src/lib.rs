//! The SIP trunk adapter: rsipstack wrapped behind typed events and commands (UDP and TCP).
