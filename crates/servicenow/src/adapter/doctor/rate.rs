//! Check 7: rate-limit headroom. A REST API rate-limit rule that governs the service account
//! answers 429 once its hourly budget is spent; Callbridge paces itself only when
//! `requests_per_hour` is configured, and must stay at or under the rule.

use crate::probe::rate_limit_rule;
use crate::Instance;

use super::connection::Service;
use super::TenantConfig;
use callbridge_kernel::check::{Check, Text};

pub const RATE_LIMIT: &str = "rate_limit";

fn title() -> Text {
    Text::new("Rate-limit headroom", "レート制限の余裕")
}

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
                title(),
                Text::new(
                    format!("could not tell which rate-limit rule applies: {e}"),
                    format!("どのレート制限ルールが適用されるか判定できませんでした: {e}"),
                ),
                Text::new(
                    "Run doctor again; System Web Services > REST API Rate Limits lists the rules (sys_rate_limit_rules)",
                    "doctor をもう一度実行してください。ルールの一覧は System Web Services > REST API Rate Limits\
                     （sys_rate_limit_rules）にあります",
                ),
            ));
            return;
        }
    };
    let (user, user_ja) = (&service.user, &service.user_ja);
    let Some(rule) = rule else {
        let (pacing, pacing_ja) = match configured {
            Some(n) => (
                format!("; Callbridge paces itself at {n} requests per hour"),
                format!("。Callbridge は 1 時間あたり {n} リクエストに抑えます"),
            ),
            None => (String::new(), String::new()),
        };
        checks.push(Check::pass(
            RATE_LIMIT,
            title(),
            Text::new(
                format!("no REST API rate-limit rule applies to {user}{pacing}"),
                format!("{user_ja} に適用される REST API レート制限ルールはありません{pacing_ja}"),
            ),
        ));
        return;
    };
    let limit = rule.requests_per_hour;
    let (named, named_ja) = if rule.rule.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!(" (rule {})", rule.rule),
            format!("（{}）", rule.rule),
        )
    };
    let found =
        format!("a rate-limit rule{named} allows {user} {limit} Table API requests per hour");
    let found_ja =
        format!("レート制限ルール{named_ja}により、{user_ja} の Table API リクエストは 1 時間あたり {limit} 件までです");
    match configured {
        None => checks.push(Check::warn(
            RATE_LIMIT,
            title(),
            Text::new(
                format!("{found}, and requests_per_hour is not set, so Callbridge will not pace itself and may hit 429s at busy times"),
                format!(
                    "{found_ja}。requests_per_hour が未設定のため Callbridge は送信ペースを抑えず、\
                     混雑時に 429 を受けることがあります"
                ),
            ),
            Text::new(
                format!(
                    "Configuration: set tenant.servicenow.requests_per_hour = {}; or raise the rule in System Web Services > \
                     REST API Rate Limits",
                    suggested(limit)
                ),
                format!(
                    "設定: tenant.servicenow.requests_per_hour = {} を設定してください。または System Web Services > \
                     REST API Rate Limits でルールの上限を上げてください",
                    suggested(limit)
                ),
            ),
        )),
        Some(n) if u64::from(n) > limit => checks.push(Check::warn(
            RATE_LIMIT,
            title(),
            Text::new(
                format!("{found}, but requests_per_hour is {n}: Callbridge would exceed it and get 429s"),
                format!("{found_ja}。requests_per_hour は {n} のため、Callbridge は上限を超えて 429 を受けます"),
            ),
            Text::new(
                format!(
                    "Configuration: lower tenant.servicenow.requests_per_hour to {limit} or less; or raise the rule in \
                     System Web Services > REST API Rate Limits to at least {n}"
                ),
                format!(
                    "設定: tenant.servicenow.requests_per_hour を {limit} 以下にしてください。または System Web Services > \
                     REST API Rate Limits でルールを {n} 以上にしてください"
                ),
            ),
        )),
        Some(n) => checks.push(Check::pass(
            RATE_LIMIT,
            title(),
            Text::new(
                format!("{found}; Callbridge paces itself at {n}"),
                format!("{found_ja}。Callbridge は {n} に抑えます"),
            ),
        )),
    }
}

pub fn skip(reason: &Text, checks: &mut Vec<Check>) {
    checks.push(Check::skipped(RATE_LIMIT, title(), reason));
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_leave_a_margin() {
        assert_eq!(super::suggested(1000), 900);
        assert_eq!(super::suggested(1), 1);
    }
}
