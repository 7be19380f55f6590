//! Check 7: rate-limit headroom. A REST API rate-limit rule that governs the service account
//! answers 429 once its hourly budget is spent; Callbridge paces itself only when
//! `requests_per_hour` is configured, and must stay at or under the rule.

use crate::probe::rate_limit_rule;
use crate::Instance;

use super::connection::Service;
use super::TenantConfig;
use callbridge_kernel::check::Check;

pub const RATE_LIMIT: &str = "rate_limit";
const TITLE: &str = "Rate-limit headroom";

/// Leave this share of a rule's budget for retries, agents' own use and doctor itself.
const MARGIN_PERCENT: u64 = 10;

/// A `requests_per_hour` that stays under `limit` with some margin.
fn suggested(limit: u64) -> u64 {
    (limit - limit * MARGIN_PERCENT / 100).max(1)
}

pub async fn check(
    tenant: &TenantConfig,
    instance: &Instance,
    service: &Service,
    checks: &mut Vec<Check>,
) {
    let configured = tenant.servicenow.requests_per_hour;
    let rule = match rate_limit_rule(instance, &service.auth).await {
        Ok(rule) => rule,
        Err(e) => {
            checks.push(Check::warn(
                RATE_LIMIT,
                TITLE,
                format!("could not tell which rate-limit rule applies: {e}"),
                "Run doctor again; System Web Services > REST API Rate Limits lists the rules (sys_rate_limit_rules)",
            ));
            return;
        }
    };
    let Some(rule) = rule else {
        let pacing = match configured {
            Some(n) => format!("; Callbridge paces itself at {n} requests per hour"),
            None => String::new(),
        };
        checks.push(Check::pass(
            RATE_LIMIT,
            TITLE,
            format!(
                "no REST API rate-limit rule applies to {}{pacing}",
                service.user
            ),
        ));
        return;
    };
    let limit = rule.requests_per_hour;
    let named = if rule.rule.is_empty() {
        String::new()
    } else {
        format!(" (rule {})", rule.rule)
    };
    let found = format!(
        "a rate-limit rule{named} allows {} {limit} Table API requests per hour",
        service.user
    );
    match configured {
        None => checks.push(Check::warn(
            RATE_LIMIT,
            TITLE,
            format!("{found}, and requests_per_hour is not set, so Callbridge will not pace itself and may hit 429s at busy times"),
            format!(
                "Configuration: set tenant.servicenow.requests_per_hour = {}; or raise the rule in System Web Services > \
                 REST API Rate Limits",
                suggested(limit)
            ),
        )),
        Some(n) if u64::from(n) > limit => checks.push(Check::warn(
            RATE_LIMIT,
            TITLE,
            format!("{found}, but requests_per_hour is {n}: Callbridge would exceed it and get 429s"),
            format!(
                "Configuration: lower tenant.servicenow.requests_per_hour to {} or less; or raise the rule in System \
                 Web Services > REST API Rate Limits to at least {n}",
                limit
            ),
        )),
        Some(n) => checks.push(Check::pass(
            RATE_LIMIT,
            TITLE,
            format!("{found}; Callbridge paces itself at {n}"),
        )),
    }
}

pub fn skip(reason: &str, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(RATE_LIMIT, TITLE, reason));
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_leave_a_margin() {
        assert_eq!(super::suggested(1000), 900);
        assert_eq!(super::suggested(1), 1);
    }
}
