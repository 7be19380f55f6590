//! Injected faults, so tests can make the CRM fail the ways real ones do: error statuses (5xx,
//! 429 with Retry-After), slow answers and dropped connections, for a number of requests or a
//! time window, optionally only under a path prefix. Set through the admin-only
//! `/api/x_cb_sandbox/faults` endpoint.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status and ServiceNow's error envelope. 429 carries Retry-After.
    Status {
        status: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Delay the answer.
    Latency { ms: u64 },
    /// Close the connection without a complete answer.
    Drop,
}

/// The admin's request: what, for how many requests and/or how long, and where.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRequest {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Affect this many requests, then stop.
    #[serde(default)]
    pub count: Option<u64>,
    /// Affect requests for this many seconds (wall clock), then stop.
    #[serde(default)]
    pub seconds: Option<u64>,
    /// Only requests whose path starts with this (e.g. `/api/now/table/sn_customerservice_case`).
    #[serde(default)]
    pub path_prefix: Option<String>,
}

impl FaultRequest {
    pub fn validate(&self) -> Result<(), String> {
        if self.count.is_none() && self.seconds.is_none() {
            return Err(
                "give `count` (number of requests) or `seconds` (time window), or both".into(),
            );
        }
        if let FaultKind::Status { status, .. } = self.kind {
            if !(400..=599).contains(&status) {
                return Err(format!("status {status} is not an error status (400-599)"));
            }
        }
        Ok(())
    }
}

struct Active {
    request: FaultRequest,
    remaining: Option<u64>,
    until: Option<Instant>,
}

#[derive(Default)]
pub struct Faults {
    active: Mutex<Vec<Active>>,
}

impl Faults {
    pub fn add(&self, request: FaultRequest) {
        let until = request
            .seconds
            .map(|s| Instant::now() + Duration::from_secs(s));
        self.active.lock().push(Active {
            remaining: request.count,
            until,
            request,
        });
    }

    pub fn clear(&self) {
        self.active.lock().clear();
    }

    pub fn list(&self) -> Vec<FaultRequest> {
        self.active
            .lock()
            .iter()
            .map(|a| a.request.clone())
            .collect()
    }

    /// The faults that apply to this request, consuming one use of each.
    pub fn take(&self, path: &str) -> Vec<FaultKind> {
        let now = Instant::now();
        let mut active = self.active.lock();
        active.retain(|a| a.remaining != Some(0) && a.until.is_none_or(|u| u > now));
        let mut hit = Vec::new();
        for a in active.iter_mut() {
            if a.request
                .path_prefix
                .as_deref()
                .is_some_and(|p| !path.starts_with(p))
            {
                continue;
            }
            if let Some(n) = a.remaining.as_mut() {
                *n -= 1;
            }
            hit.push(a.request.kind.clone());
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_stop_after_their_count_and_respect_the_prefix() {
        let faults = Faults::default();
        faults.add(FaultRequest {
            kind: FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
            count: Some(2),
            seconds: None,
            path_prefix: Some("/api/now/table/sn_customerservice_case".into()),
        });
        assert!(faults.take("/api/now/table/customer_contact").is_empty());
        assert_eq!(
            faults.take("/api/now/table/sn_customerservice_case").len(),
            1
        );
        assert_eq!(
            faults.take("/api/now/table/sn_customerservice_case").len(),
            1
        );
        assert!(faults
            .take("/api/now/table/sn_customerservice_case")
            .is_empty());
    }

    #[test]
    fn a_fault_needs_a_count_or_a_window() {
        let r: FaultRequest = serde_json::from_str(r#"{"kind":"drop"}"#).unwrap();
        assert!(r.validate().is_err());
        let r: FaultRequest =
            serde_json::from_str(r#"{"kind":"status","status":200,"count":1}"#).unwrap();
        assert!(r.validate().is_err());
        let r: FaultRequest =
            serde_json::from_str(r#"{"kind":"latency","ms":50,"seconds":5}"#).unwrap();
        assert!(r.validate().is_ok());
    }
}
