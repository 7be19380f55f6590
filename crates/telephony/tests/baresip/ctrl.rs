//! baresip's `ctrl_tcp` control channel: JSON messages framed as netstrings
//! (`<decimal length>:<payload>,`) over one TCP connection.
//!
//! The test sends commands (`dial`, `hangup`) and waits for call events (`CALL_ESTABLISHED`,
//! `CALL_CLOSED`). baresip interleaves command responses and events on the same stream, so a
//! reader task splits them into two queues and nothing is lost while the test waits for the other
//! kind.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The largest message accepted from baresip; its events are a few hundred bytes, so anything
/// near this means the stream is not what we think it is.
const MAX_MESSAGE: usize = 64 * 1024;

/// Why bytes from the control socket are not a netstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetstringError {
    BadLength(String),
    TooLong(usize),
    MissingComma { len: usize, found: u8 },
}

impl std::fmt::Display for NetstringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetstringError::BadLength(prefix) => {
                write!(
                    f,
                    "netstring length prefix {prefix:?} is not a decimal number"
                )
            }
            NetstringError::TooLong(len) => write!(
                f,
                "netstring announces {len} bytes, more than the {MAX_MESSAGE} accepted"
            ),
            NetstringError::MissingComma { len, found } => write!(
                f,
                "netstring of {len} bytes ends with {:?} instead of ','",
                char::from(*found)
            ),
        }
    }
}

impl std::error::Error for NetstringError {}

/// Splits a byte stream into netstring payloads as the bytes arrive.
#[derive(Debug, Default)]
pub struct NetstringDecoder {
    buffer: Vec<u8>,
}

impl NetstringDecoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete payload, `Ok(None)` when more bytes are needed.
    pub fn next_payload(&mut self) -> Result<Option<Vec<u8>>, NetstringError> {
        let Some(colon) = self.buffer.iter().position(|&b| b == b':') else {
            // A length prefix longer than any acceptable length will never become valid.
            if self.buffer.len() > MAX_MESSAGE.to_string().len() {
                return Err(NetstringError::BadLength(
                    String::from_utf8_lossy(&self.buffer[..self.buffer.len().min(16)]).into_owned(),
                ));
            }
            return Ok(None);
        };
        let prefix = &self.buffer[..colon];
        let len = std::str::from_utf8(prefix)
            .ok()
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<usize>().ok())
            .ok_or_else(|| {
                NetstringError::BadLength(String::from_utf8_lossy(prefix).into_owned())
            })?;
        if len > MAX_MESSAGE {
            return Err(NetstringError::TooLong(len));
        }
        let end = colon + 1 + len;
        if self.buffer.len() <= end {
            return Ok(None);
        }
        if self.buffer[end] != b',' {
            return Err(NetstringError::MissingComma {
                len,
                found: self.buffer[end],
            });
        }
        let payload = self.buffer[colon + 1..end].to_vec();
        self.buffer.drain(..=end);
        Ok(Some(payload))
    }
}

/// Frames one payload as a netstring.
pub fn netstring(payload: &[u8]) -> Vec<u8> {
    let mut framed = format!("{}:", payload.len()).into_bytes();
    framed.extend_from_slice(payload);
    framed.push(b',');
    framed
}

/// A connected control channel.
pub struct Ctrl {
    writer: OwnedWriteHalf,
    responses: mpsc::UnboundedReceiver<Value>,
    events: mpsc::UnboundedReceiver<Value>,
    reader: JoinHandle<()>,
    next_token: u64,
    /// Every event received so far, for failure messages.
    pub seen_events: Vec<Value>,
}

impl Ctrl {
    /// Connects, retrying until `deadline` while baresip starts up.
    pub async fn connect(addr: SocketAddr, deadline: Instant) -> std::io::Result<Ctrl> {
        let stream = loop {
            match TcpStream::connect(addr).await {
                Ok(stream) => break stream,
                Err(err) if Instant::now() >= deadline => return Err(err),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let (mut read, writer) = stream.into_split();
        let (responses_tx, responses) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut decoder = NetstringDecoder::default();
            let mut chunk = [0u8; 4096];
            loop {
                let read_len = match read.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                decoder.push(&chunk[..read_len]);
                loop {
                    let payload = match decoder.next_payload() {
                        Ok(Some(payload)) => payload,
                        Ok(None) => break,
                        Err(err) => panic!("baresip's control stream is corrupt: {err}"),
                    };
                    let message: Value = serde_json::from_slice(&payload).unwrap_or_else(|err| {
                        panic!(
                            "baresip sent a control message that is not JSON ({err}): {}",
                            String::from_utf8_lossy(&payload)
                        )
                    });
                    let queue = if message.get("response").is_some() {
                        &responses_tx
                    } else {
                        &events_tx
                    };
                    if queue.send(message).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Ctrl {
            writer,
            responses,
            events,
            reader,
            next_token: 0,
            seen_events: Vec::new(),
        })
    }

    /// Runs a command (as typed at baresip's console, without the slash) and returns the
    /// response's `data`; panics if baresip reports failure or does not answer within 5 s.
    pub async fn command(&mut self, command: &str, params: &str) -> String {
        self.next_token += 1;
        let token = self.next_token.to_string();
        let message = json!({ "command": command, "params": params, "token": token });
        self.writer
            .write_all(&netstring(message.to_string().as_bytes()))
            .await
            .expect("write to baresip's control socket");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let response = tokio::time::timeout_at(deadline, self.responses.recv())
                .await
                .unwrap_or_else(|_| panic!("baresip did not answer {message}"))
                .unwrap_or_else(|| panic!("baresip closed its control socket after {message}"));
            if response["token"] != token.as_str() {
                continue; // the answer to an earlier command that timed out
            }
            assert_eq!(
                response["ok"], true,
                "baresip refused {message}: {response}"
            );
            return response["data"].as_str().unwrap_or_default().to_string();
        }
    }

    /// The next call event of `kind` (`CALL_ESTABLISHED`, `CALL_CLOSED`, ...), skipping others.
    pub async fn expect_call_event(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.recv()).await;
            let event = match next {
                Ok(Some(event)) => event,
                Ok(None) => panic!(
                    "baresip closed its control socket waiting for {kind}; saw {:#?}",
                    self.seen_events
                ),
                Err(_) => panic!(
                    "baresip reported no {kind} within {timeout:?}; saw {:#?}",
                    self.seen_events
                ),
            };
            self.seen_events.push(event.clone());
            if event["class"] == "call" && event["type"] == kind {
                return event;
            }
        }
    }
}

impl Drop for Ctrl {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[test]
fn netstrings_split_across_reads_are_reassembled() {
    let mut decoder = NetstringDecoder::default();
    let mut stream = netstring(br#"{"a":1}"#);
    stream.extend(netstring(b""));
    let (first, second) = stream.split_at(5);
    decoder.push(first);
    assert_eq!(decoder.next_payload(), Ok(None));
    decoder.push(second);
    assert_eq!(decoder.next_payload(), Ok(Some(br#"{"a":1}"#.to_vec())));
    assert_eq!(decoder.next_payload(), Ok(Some(Vec::new())));
    assert_eq!(decoder.next_payload(), Ok(None));
}

#[test]
fn malformed_netstrings_are_typed_errors() {
    let mut decoder = NetstringDecoder::default();
    decoder.push(b"1x:a,");
    assert_eq!(
        decoder.next_payload(),
        Err(NetstringError::BadLength("1x".into()))
    );

    let mut decoder = NetstringDecoder::default();
    decoder.push(b"3:abc;");
    assert_eq!(
        decoder.next_payload(),
        Err(NetstringError::MissingComma {
            len: 3,
            found: b';'
        })
    );

    let mut decoder = NetstringDecoder::default();
    decoder.push(b"99999999:");
    assert_eq!(
        decoder.next_payload(),
        Err(NetstringError::TooLong(99_999_999))
    );

    let mut decoder = NetstringDecoder::default();
    decoder.push(b"12345678901234567890");
    assert!(matches!(
        decoder.next_payload(),
        Err(NetstringError::BadLength(_))
    ));
}
