//! Inbound REST rate limiting as `sys_rate_limit_rules` describes it (servicenow.md §1.6):
//! hourly windows per user; a rule for the single user wins over role rules (lowest limit across
//! roles), which win over all-users rules. `X-RateLimit-*` headers go out on every request a rule
//! matches, and a request over the limit gets 429 with `Retry-After`.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::instance::Actor;
use crate::store::Db;

#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub rule_sys_id: String,
    pub limit: u64,
    /// Unix time the window resets (the next top of the hour).
    pub reset_at: i64,
    pub exceeded: bool,
    pub service: String,
}

impl RuleHit {
    pub fn headers(&self, now: i64) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Reset", self.reset_at.to_string()),
            ("X-RateLimit-Rule", self.rule_sys_id.clone()),
        ];
        if self.exceeded {
            h.push(("Retry-After", (self.reset_at - now).max(1).to_string()));
        }
        h
    }

    pub fn detail(&self) -> String {
        format!(
            "Rate limit of {} requests per hour for {} exceeded",
            self.limit, self.service
        )
    }
}

#[derive(Default)]
pub struct RateLimiter {
    /// (rule, user, window start) -> requests counted.
    counts: Mutex<HashMap<(String, String, i64), u64>>,
}

struct Rule {
    sys_id: String,
    limit: u64,
    precedence: u8,
}

impl RateLimiter {
    /// Counts this request against the rule that governs it, if any.
    pub fn check(
        &self,
        db: &Db,
        actor: &Actor,
        service: &str,
        method: &str,
        now: i64,
    ) -> Option<RuleHit> {
        let rule = governing_rule(db, actor, service, method)?;
        let window = now - now.rem_euclid(3600);
        let mut counts = self.counts.lock();
        counts.retain(|(_, _, w), _| *w == window);
        let count = counts
            .entry((rule.sys_id.clone(), actor.user_sys_id.clone(), window))
            .or_insert(0);
        *count += 1;
        Some(RuleHit {
            rule_sys_id: rule.sys_id,
            limit: rule.limit,
            reset_at: window + 3600,
            exceeded: *count > rule.limit,
            service: service.to_string(),
        })
    }
}

fn governing_rule(db: &Db, actor: &Actor, service: &str, method: &str) -> Option<Rule> {
    db.find_eq("sys_rate_limit_rules", "active", "true")
        .iter()
        .filter(|r| r.get("rest_service").eq_ignore_ascii_case(service))
        .filter(|r| {
            let m = r.get("http_method");
            m.is_empty() || m.eq_ignore_ascii_case("all") || m.eq_ignore_ascii_case(method)
        })
        .filter_map(|r| {
            let precedence = match r.get("type") {
                "user" if r.get("user") == actor.user_sys_id => 0,
                "role" => {
                    let role = db.row_view("sys_user_role", r.get("role"))?;
                    if !actor.roles.contains(role.get("name")) {
                        return None;
                    }
                    1
                }
                "all_users" | "" => 2,
                _ => return None,
            };
            Some(Rule {
                sys_id: r.get("sys_id").to_string(),
                limit: r.get("request_limit").parse().unwrap_or(u64::MAX),
                precedence,
            })
        })
        .min_by_key(|rule| (rule.precedence, rule.limit))
}
