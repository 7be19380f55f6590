//! Counts of requests the instance served, by method and resource (`GET table/customer_contact`),
//! readable by admins. Connector benchmarks use them to prove how many CRM round trips a call
//! costs.

use std::collections::BTreeMap;

use parking_lot::Mutex;

#[derive(Default)]
pub struct RequestMetrics {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl RequestMetrics {
    pub fn record(&self, method: &str, path: &str) {
        let key = format!("{method} {}", resource_of(path));
        *self.counts.lock().entry(key).or_insert(0) += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().clone()
    }

    pub fn reset(&self) {
        self.counts.lock().clear();
    }
}

/// `/api/now/v2/table/incident/abc` -> `table/incident`; `/oauth_token.do` -> `oauth_token.do`.
fn resource_of(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "now", "table", table, ..] | ["api", "now", "v1" | "v2", "table", table, ..] => {
            format!("table/{table}")
        }
        ["api", "now", "stats", table, ..] | ["api", "now", "v1", "stats", table, ..] => {
            format!("stats/{table}")
        }
        ["api", "now", "v1", "batch"] => "batch".into(),
        _ => path.trim_matches('/').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_group_by_table_whatever_the_version() {
        let m = RequestMetrics::default();
        m.record("GET", "/api/now/table/customer_contact");
        m.record("GET", "/api/now/v2/table/customer_contact/abc");
        m.record("POST", "/oauth_token.do");
        let s = m.snapshot();
        assert_eq!(s["GET table/customer_contact"], 2);
        assert_eq!(s["POST oauth_token.do"], 1);
    }
}
