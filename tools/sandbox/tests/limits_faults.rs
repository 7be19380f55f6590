//! Rate limits (servicenow.md §1.6 "Rate limiting details") and injected faults (§7 item 7;
//! issue 2 "Rate limits and faults").

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const CONTACTS: &str = "/api/now/table/customer_contact";
const CASES: &str = "/api/now/table/sn_customerservice_case";
const FAULTS: &str = "/api/x_cb_sandbox/faults";

async fn user_rule(sb: &Sandbox, user: &str, limit: u32) -> String {
    let user = sb.user_id(user).await;
    let reply = sb
        .post(
            Who::Admin,
            "/api/now/table/sys_rate_limit_rules",
            &json!({
                "name": "Integration cap",
                "type": "user",
                "user": user,
                "request_limit": limit.to_string(),
                "rest_service": "Table API",
            }),
        )
        .await;
    reply.expect(201);
    reply.result()["sys_id"].as_str().unwrap().to_string()
}

// §1.6: X-RateLimit-* on every matched request; over the hourly limit 429 with Retry-After and
// the documented envelope; the next hour resets the count.
#[tokio::test]
async fn user_rate_limit_rule_answers_429_after_the_limit() {
    let sb = Sandbox::start().await;
    let rule = user_rule(&sb, "alice.agent", 3).await;
    let mut reset = None;
    for i in 0..3 {
        let reply = sb.get(Who::User("alice.agent"), CONTACTS).await;
        reply.expect(200);
        assert_eq!(
            reply.header("x-ratelimit-limit").as_deref(),
            Some("3"),
            "request {i}"
        );
        assert_eq!(
            reply.header("x-ratelimit-rule").as_deref(),
            Some(rule.as_str())
        );
        let r: i64 = reply
            .header("x-ratelimit-reset")
            .unwrap()
            .parse()
            .expect("unix time");
        assert!(r > 1_600_000_000, "{r}");
        reset = Some(r);
        assert!(reply.header("retry-after").is_none());
    }
    let limited = sb.get(Who::User("alice.agent"), CONTACTS).await;
    assert_error(
        &limited,
        429,
        "Rate limit exceeded",
        Some("Rate limit of 3 requests per hour for Table API exceeded"),
    );
    let retry: i64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(limited.header("x-ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(
        limited
            .header("x-ratelimit-reset")
            .map(|v| v.parse::<i64>().unwrap()),
        reset
    );
    assert_eq!(
        limited.header("x-ratelimit-rule").as_deref(),
        Some(rule.as_str())
    );
    // Writes are refused too (nothing written).
    let write = sb
        .post(
            Who::User("alice.agent"),
            CASES,
            &json!({"short_description": "x"}),
        )
        .await;
    assert_eq!(write.status.as_u16(), 429);
    assert_eq!(sb.get(Who::Admin, CASES).await.total_count(), 0);

    // Other users are not limited and get no rate-limit headers.
    let bob = sb.get(Who::User("bob.agent"), CONTACTS).await;
    bob.expect(200);
    assert!(bob.header("x-ratelimit-limit").is_none());

    // An hour later the window has reset.
    sb.advance_clock(3600).await;
    let after = sb.get(Who::User("alice.agent"), CONTACTS).await;
    after.expect(200);
    assert_eq!(after.header("x-ratelimit-limit").as_deref(), Some("3"));
}

// §1.6: the limit counts requests of any authentication (Basic and Bearer) for the same user.
#[tokio::test]
async fn rate_limit_counts_per_user_across_basic_and_bearer() {
    let sb = Sandbox::start().await;
    user_rule(&sb, "callbridge.integration", 2).await;
    let (token, _) = sb.agent_token("callbridge.integration").await;
    sb.get(Who::Bearer(&token), CONTACTS).await.expect(200);
    sb.get(Who::User("callbridge.integration"), CONTACTS)
        .await
        .expect(200);
    assert_eq!(
        sb.get(Who::Bearer(&token), CONTACTS).await.status.as_u16(),
        429
    );
}

// §1.6: rule priority: a single-user rule wins over an all-users rule.
#[tokio::test]
async fn user_rule_wins_over_all_users_rule() {
    let sb = Sandbox::start().await;
    user_rule(&sb, "alice.agent", 5).await;
    // Created last: from here on it limits the admin too.
    sb.post(
        Who::Admin,
        "/api/now/table/sys_rate_limit_rules",
        &json!({"name": "Everyone", "type": "all_users", "request_limit": "1", "rest_service": "Table API"}),
    )
    .await
    .expect(201);
    let alice = sb.get(Who::User("alice.agent"), CONTACTS).await;
    assert_eq!(alice.header("x-ratelimit-limit").as_deref(), Some("5"));
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    let bob = sb.get(Who::User("bob.agent"), CONTACTS).await;
    assert_eq!(bob.header("x-ratelimit-limit").as_deref(), Some("1"));
    assert_eq!(
        sb.get(Who::User("bob.agent"), CONTACTS)
            .await
            .status
            .as_u16(),
        429
    );
}

async fn add_fault(sb: &Sandbox, fault: serde_json::Value) {
    sb.post(Who::Admin, FAULTS, &fault).await.expect(201);
}

// §7.7: injected status faults answer with the error envelope for `count` requests, then stop.
#[tokio::test]
async fn status_fault_answers_503_for_count_requests_then_normal() {
    let sb = Sandbox::start().await;
    add_fault(&sb, json!({"kind": "status", "status": 503, "count": 2})).await;
    for _ in 0..2 {
        let reply = sb.get(Who::User("alice.agent"), CONTACTS).await;
        assert_eq!(reply.status.as_u16(), 503, "{reply:?}");
        assert_eq!(reply.json["status"], "failure");
        assert!(reply.json["error"]["message"].is_string());
    }
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    let listed = sb.get(Who::Admin, FAULTS).await;
    assert_eq!(listed.rows().len(), 0, "spent faults are gone: {listed:?}");
}

// §7.7: an injected 429 carries Retry-After.
#[tokio::test]
async fn injected_429_carries_retry_after() {
    let sb = Sandbox::start().await;
    add_fault(
        &sb,
        json!({"kind": "status", "status": 429, "retry_after_secs": 7, "count": 1}),
    )
    .await;
    let reply = sb.get(Who::User("alice.agent"), CONTACTS).await;
    assert_eq!(reply.status.as_u16(), 429);
    assert_eq!(reply.header("retry-after").as_deref(), Some("7"));
    assert_eq!(reply.json["error"]["message"], "Rate limit exceeded");
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
}

// §7.7: injected latency slows answers down.
#[tokio::test]
async fn latency_fault_slows_answers() {
    let sb = Sandbox::start().await;
    add_fault(&sb, json!({"kind": "latency", "ms": 400, "count": 1})).await;
    let started = Instant::now();
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    assert!(started.elapsed() < Duration::from_millis(400));
}

// Issue 2: a dropped connection: the client sees a transport error, and the instance then serves
// normally.
#[tokio::test]
async fn drop_fault_makes_the_client_see_an_error() {
    let sb = Sandbox::start().await;
    add_fault(&sb, json!({"kind": "drop", "count": 1})).await;
    let outcome = async {
        let response = sb
            .request(Who::User("alice.agent"), http::Method::GET, CONTACTS)
            .send()
            .await?;
        response.bytes().await
    }
    .await;
    assert!(
        outcome.is_err(),
        "expected a transport error, got {outcome:?}"
    );
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
}

// Issue 2: faults may be limited to a path prefix.
#[tokio::test]
async fn fault_path_prefix_limits_where_it_applies() {
    let sb = Sandbox::start().await;
    add_fault(
        &sb,
        json!({"kind": "status", "status": 500, "count": 1, "path_prefix": CASES}),
    )
    .await;
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    let cases = sb.get(Who::User("alice.agent"), CASES).await;
    assert_eq!(cases.status.as_u16(), 500);
    sb.get(Who::User("alice.agent"), CASES).await.expect(200);
}

// Issue 2: a time-window fault applies until the window ends; DELETE clears faults.
#[tokio::test]
async fn time_window_fault_and_clearing() {
    let sb = Sandbox::start().await;
    add_fault(&sb, json!({"kind": "status", "status": 502, "seconds": 60})).await;
    for _ in 0..3 {
        assert_eq!(
            sb.get(Who::User("alice.agent"), CONTACTS)
                .await
                .status
                .as_u16(),
            502
        );
    }
    // The sandbox admin API itself is never faulted, so the fault can be cleared.
    sb.delete(Who::Admin, FAULTS).await.expect(204);
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
}

// Issue 2: faults also hit the OAuth token endpoint (a CRM whose OAuth server is down).
#[tokio::test]
async fn faults_apply_to_the_token_endpoint() {
    let sb = Sandbox::start().await;
    add_fault(
        &sb,
        json!({"kind": "status", "status": 503, "count": 1, "path_prefix": "/oauth_token.do"}),
    )
    .await;
    let reply = sb
        .password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await;
    assert_eq!(reply.status.as_u16(), 503);
    sb.password_grant("alice.agent", sb.creds.password("alice.agent").unwrap())
        .await
        .expect(200);
}

// Issue 2: the fault, clock and request-count endpoints are admin-only.
#[tokio::test]
async fn sandbox_admin_api_is_admin_only() {
    let sb = Sandbox::start().await;
    let fault = json!({"kind": "status", "status": 503, "count": 1});
    for who in [
        Who::User("alice.agent"),
        Who::User("callbridge.integration"),
    ] {
        assert_eq!(sb.post(who, FAULTS, &fault).await.status.as_u16(), 403);
        assert_eq!(
            sb.post(
                who,
                "/api/x_cb_sandbox/clock",
                &json!({"advance_seconds": 10})
            )
            .await
            .status
            .as_u16(),
            403
        );
        assert_eq!(
            sb.get(who, "/api/x_cb_sandbox/requests")
                .await
                .status
                .as_u16(),
            403
        );
    }
    let anonymous = sb.post(Who::Anonymous, FAULTS, &fault).await;
    assert_eq!(anonymous.status.as_u16(), 401);
    // Nothing was injected.
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    // Invalid faults are refused.
    for bad in [
        json!({"kind": "status", "status": 200, "count": 1}),
        json!({"kind": "drop"}),
        json!({"kind": "teleport", "count": 1}),
    ] {
        assert_eq!(
            sb.post(Who::Admin, FAULTS, &bad).await.status.as_u16(),
            400,
            "{bad}"
        );
    }
    // The clock only moves forward.
    let back = sb
        .post(
            Who::Admin,
            "/api/x_cb_sandbox/clock",
            &json!({"advance_seconds": -5}),
        )
        .await;
    assert_eq!(back.status.as_u16(), 400);
}

// Issue 2: request counters by resource, for connector benchmarks.
#[tokio::test]
async fn request_counters_count_by_resource() {
    let sb = Sandbox::start().await;
    sb.delete(Who::Admin, "/api/x_cb_sandbox/requests")
        .await
        .expect(204);
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    sb.get(
        Who::User("alice.agent"),
        "/api/now/v2/table/customer_contact",
    )
    .await
    .expect(200);
    let counts = sb.get(Who::Admin, "/api/x_cb_sandbox/requests").await;
    counts.expect(200);
    assert_eq!(counts.result()["GET table/customer_contact"], 2);
}

// §1.6: role rules apply to users holding the role (contained roles included); across several
// roles the lowest limit wins; a role rule wins over an all-users rule.
#[tokio::test]
async fn role_rules_use_the_lowest_limit_across_roles() {
    let sb = Sandbox::start().await;
    let agent = sb.role_id("sn_customerservice_agent").await;
    let openframe = sb.role_id("sn_openframe_user").await;
    for (role, limit) in [(&agent, "4"), (&openframe, "2")] {
        sb.post(
            Who::Admin,
            "/api/now/table/sys_rate_limit_rules",
            &json!({"name": "Role cap", "type": "role", "role": role, "request_limit": limit, "rest_service": "Table API"}),
        )
        .await
        .expect(201);
    }
    sb.post(
        Who::Admin,
        "/api/now/table/sys_rate_limit_rules",
        &json!({"name": "Everyone", "type": "all_users", "request_limit": "1000", "rest_service": "Table API"}),
    )
    .await
    .expect(201);
    let first = sb.get(Who::User("alice.agent"), CONTACTS).await;
    assert_eq!(first.header("x-ratelimit-limit").as_deref(), Some("2"));
    sb.get(Who::User("alice.agent"), CONTACTS).await.expect(200);
    assert_eq!(
        sb.get(Who::User("alice.agent"), CONTACTS)
            .await
            .status
            .as_u16(),
        429
    );
    // Carol holds neither role: the all-users rule governs her.
    let carol = sb
        .get(Who::User("carol.norole"), "/api/now/table/sys_user")
        .await;
    assert_eq!(carol.header("x-ratelimit-limit").as_deref(), Some("1000"));
}
