//! Reliability under a misbehaving CRM: stretches of calls run while the sandbox instance is
//! down, rate-limits, answers slowly or drops connections, while its tokens expire, and across a
//! restart of the integration server with Case writes still queued. After recovery every test
//! asks the instance itself (as its admin, by correlation id): exactly one Case per connected
//! call, none for a call that never connected, nothing left in the outbox or the dead-letter list.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use callbridge_core::NotifyReason;
use callbridge_integration::runtime::{AgentNotice, Notice, OutboxOptions, CREATE_CASE};
use serde_json::{json, Value};
use support::{fast_outbox, World, TENANT};
use tokio::time::Instant;

/// The Case table as the adapter writes it (Table API v2). The admin's own reads use v1, so
/// faults under this prefix never hide the truth from the assertions.
const CASE_PATH: &str = "/api/now/v2/table/sn_customerservice_case";
/// Every REST API of the instance (not the OAuth endpoints).
const REST_PATH: &str = "/api/now";
/// The batch endpoint the screen-pop lookup uses.
const BATCH_PATH: &str = "/api/now/v1/batch";

const AGENTS: [(&str, &str); 2] = [("alice", "alice.agent"), ("bob", "bob.agent")];

/// Demo-data numbers, as a PBX sends them: one contact, one consumer, shared numbers.
const DEMO_CALLERS: [&str; 6] = [
    "+18582877834",    // Sofia Garcia
    "+81661234567",    // Aiko Yamamoto
    "+1 408 555 0134", // Michael Brown's mobile
    "03-1234-5678",    // Haruto Tanaka and Yui Sato
    "+16692627777",    // Emily Carter and Michael Brown
    "+14089965744",    // Olivia Martinez and Liam Nguyen
];

/// A retry budget that outlasts the outages below (the default test budget of six quick
/// attempts would dead-letter a Case during a four-second outage, as configured).
fn patient_outbox() -> OutboxOptions {
    OutboxOptions {
        max_attempts: 60,
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(500),
        ..fast_outbox()
    }
}

/// For the restart tests: a lease short enough that rows a killed process held come due again
/// within the test (leases are stored, so the killed process's lease is the one that counts),
/// and still longer than one attempt takes there.
fn short_lease_outbox() -> OutboxOptions {
    OutboxOptions {
        lease: Duration::from_secs(3),
        ..patient_outbox()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Offered, answered, connected, ended: exactly one Case.
    Connected,
    /// Offered and abandoned while ringing: no Case.
    Abandoned,
    /// Answered but hung up before the customer was connected: no Case.
    NeverConnected,
}

#[derive(Debug, Clone)]
struct PlannedCall {
    id: String,
    agent: &'static str,
    caller: String,
    fate: Fate,
}

impl PlannedCall {
    fn connects(&self) -> bool {
        self.fate == Fate::Connected
    }

    fn events(&self) -> Vec<Value> {
        let offered = json!({"type": "offered", "agent": self.agent, "caller": self.caller});
        let answered = json!({"type": "answered", "agent": self.agent});
        match self.fate {
            Fate::Connected => vec![
                offered,
                answered,
                json!({"type": "connected", "agent": self.agent}),
                json!({"type": "ended", "cause": "customer_hung_up"}),
            ],
            Fate::Abandoned => vec![offered, json!({"type": "ended", "cause": "abandoned"})],
            Fate::NeverConnected => vec![
                offered,
                answered,
                json!({"type": "ended", "cause": "agent_hung_up"}),
            ],
        }
    }
}

/// A caller nobody in the CRM holds: a random Kyoto number.
fn unknown_caller() -> String {
    format!(
        "+81 75-{}-{:04}",
        200 + rand::random::<u32>() % 800,
        rand::random::<u32>() % 10_000
    )
}

/// `n` calls whose ids start with `prefix`: about one in four never connects; the callers mix
/// demo contacts (one match, several matches) with unknown numbers.
fn plan(prefix: &str, n: usize) -> Vec<PlannedCall> {
    (0..n)
        .map(|i| PlannedCall {
            id: format!("{prefix}{i:03}"),
            agent: AGENTS[i % AGENTS.len()].0,
            caller: if i % 3 == 2 {
                unknown_caller()
            } else {
                DEMO_CALLERS[i % DEMO_CALLERS.len()].to_string()
            },
            fate: match i % 8 {
                3 => Fate::Abandoned,
                6 => Fate::NeverConnected,
                _ => Fate::Connected,
            },
        })
        .collect()
}

async fn start_linked(outbox: OutboxOptions) -> World {
    let world = World::start_with(outbox, None).await;
    for (agent, crm_user) in AGENTS {
        world.link(agent, crm_user).await;
    }
    world
}

async fn run_call(world: &World, call: &PlannedCall) {
    world.call(&call.id, &call.events()).await;
}

/// Runs the calls one after another, `gap` apart.
async fn run_stretch(world: &World, calls: &[PlannedCall], gap: Duration) {
    for call in calls {
        run_call(world, call).await;
        tokio::time::sleep(gap).await;
    }
}

/// The instance's Cases whose correlation id starts with `prefix`, by correlation id, read as
/// the admin. `None` while the instance does not answer (an outage covers the admin too).
async fn crm_cases(world: &World, prefix: &str) -> Option<BTreeMap<String, Vec<Value>>> {
    let admin = world.admin();
    let reply = admin
        .http
        .get(format!(
            "{}/api/now/table/sn_customerservice_case",
            admin.base
        ))
        .basic_auth(&admin.user, Some(&admin.password))
        .query(&[
            ("sysparm_query", format!("correlation_idSTARTSWITH{prefix}")),
            (
                "sysparm_fields",
                "sys_id,number,correlation_id,contact,consumer,short_description".into(),
            ),
            ("sysparm_exclude_reference_link", "true".into()),
            ("sysparm_limit", "10000".into()),
        ])
        .send()
        .await
        .ok()?;
    if !reply.status().is_success() {
        return None;
    }
    let body: Value = reply.json().await.ok()?;
    let mut by_call: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for case in body["result"].as_array()? {
        let call = case["correlation_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        by_call.entry(call).or_default().push(case.clone());
    }
    Some(by_call)
}

/// Panics on anything that must never be seen, even mid-recovery: a second Case for a call,
/// or a Case for a call that never connected (or that nobody made).
fn assert_nothing_extra(by_call: &BTreeMap<String, Vec<Value>>, calls: &[PlannedCall]) {
    for (id, cases) in by_call {
        let call = calls.iter().find(|c| &c.id == id);
        match call {
            None => panic!("a Case for {id}, which is no planned call: {cases:#?}"),
            Some(call) if !call.connects() => {
                panic!(
                    "a Case for {id}, which never connected ({:?}): {cases:#?}",
                    call.fate
                )
            }
            Some(_) => assert_eq!(cases.len(), 1, "duplicate Cases for {id}: {cases:#?}"),
        }
    }
}

/// Waits (up to `within`) until the outbox has written every connected call's Case and holds
/// nothing else, reading only the local store (no CRM requests).
async fn wait_for_outbox(world: &World, calls: &[PlannedCall], within: Duration) {
    let store = &world.server.store;
    let deadline = Instant::now() + within;
    loop {
        let mut unwritten = Vec::new();
        for call in calls.iter().filter(|c| c.connects()) {
            let done = store
                .outbox_result(TENANT, CREATE_CASE, &call.id)
                .await
                .unwrap();
            if done.is_none() {
                unwritten.push(call.id.as_str());
            }
        }
        let pending = store.pending_count(TENANT).await.unwrap();
        if unwritten.is_empty() && pending == 0 {
            return;
        }
        if Instant::now() >= deadline {
            let dead: Vec<_> = store
                .dead_letters(TENANT)
                .await
                .unwrap()
                .into_iter()
                .map(|d| (d.idempotency_key, d.dead_reason))
                .collect();
            panic!(
                "after {within:?}: Cases not written for {unwritten:?}; {pending} outbox items \
                 pending; dead letters: {dead:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The rule: after recovery, exactly one Case per connected call in the CRM, none for the
/// others, nothing dead-lettered; and it stays so for a while. Returns the Cases by call id.
async fn assert_one_case_per_connected_call(
    world: &World,
    prefix: &str,
    calls: &[PlannedCall],
    within: Duration,
) -> BTreeMap<String, Value> {
    wait_for_outbox(world, calls, within).await;
    let read = |label: &'static str| async move {
        for _ in 0..50 {
            if let Some(by_call) = crm_cases(world, prefix).await {
                return by_call;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the instance did not answer the admin's {label} read");
    };
    let first = read("first").await;
    assert_nothing_extra(&first, calls);
    let missing: Vec<_> = calls
        .iter()
        .filter(|c| c.connects() && !first.contains_key(&c.id))
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "connected calls without a Case in the CRM: {missing:?}"
    );
    // Late retries or stale leases must not add anything afterwards.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = read("second").await;
    assert_nothing_extra(&settled, calls);
    assert_eq!(
        settled.keys().collect::<Vec<_>>(),
        first.keys().collect::<Vec<_>>(),
        "the set of Cases changed after recovery"
    );
    let dead = world.server.store.dead_letters(TENANT).await.unwrap();
    assert!(dead.is_empty(), "dead-lettered writes: {dead:#?}");
    let connected = calls.iter().filter(|c| c.connects()).count();
    assert_eq!(settled.len(), connected);
    settled
        .into_iter()
        .map(|(id, mut cases)| (id, cases.remove(0)))
        .collect()
}

fn reasons(notices: &[AgentNotice]) -> Vec<&NotifyReason> {
    notices
        .iter()
        .filter_map(|n| match &n.notice {
            Notice::Message { reason, .. } => Some(reason),
            _ => None,
        })
        .collect()
}

fn count_delayed(notices: &[AgentNotice]) -> usize {
    reasons(notices)
        .into_iter()
        .filter(|r| matches!(r, NotifyReason::CaseCreationDelayed { .. }))
        .count()
}

fn assert_none_failed_for_good(notices: &[AgentNotice]) {
    let failed: Vec<_> = reasons(notices)
        .into_iter()
        .filter(|r| matches!(r, NotifyReason::CaseCreationFailed { .. }))
        .collect();
    assert!(failed.is_empty(), "Cases reported lost: {failed:?}");
}

/// Requests the instance counted for the Case table (any method, any API version).
fn case_table_requests(counts: &Value) -> u64 {
    counts
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with(" table/sn_customerservice_case"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crm_down_for_a_stretch_of_calls_still_gives_exactly_one_case_per_connected_call() {
    let mut world = start_linked(patient_outbox()).await;
    let admin = world.admin();
    let prefix = "down-";
    let calls = plan(prefix, 34);
    // A few calls while all is well, then every REST API answers 503 for four seconds while
    // the stretch goes on, then the instance recovers and the last calls run normally.
    run_stretch(&world, &calls[..6], Duration::from_millis(20)).await;
    admin
        .fault(json!({"kind": "status", "status": 503, "seconds": 4, "path_prefix": REST_PATH}))
        .await;
    let outage = Instant::now();
    run_stretch(&world, &calls[6..28], Duration::from_millis(150)).await;
    if let Some(left) = Duration::from_secs(4).checked_sub(outage.elapsed()) {
        tokio::time::sleep(left + Duration::from_millis(200)).await;
    }
    run_stretch(&world, &calls[28..], Duration::from_millis(20)).await;

    assert_one_case_per_connected_call(&world, prefix, &calls, Duration::from_secs(25)).await;
    let notices = world.drain_notices();
    assert!(
        count_delayed(&notices) > 0,
        "the outage should have delayed some Cases (agents are told)"
    );
    assert_none_failed_for_good(&notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_is_waited_out_as_retry_after_asks_and_gives_exactly_one_case_per_connected_call(
) {
    let mut world = start_linked(patient_outbox()).await;
    let admin = world.admin();
    let prefix = "storm-";
    let calls = plan(prefix, 30);
    admin.reset_requests().await;
    admin
        .fault(json!({"kind": "status", "status": 429, "retry_after_secs": 2, "seconds": 4, "path_prefix": CASE_PATH}))
        .await;
    run_stretch(&world, &calls, Duration::from_millis(30)).await;

    // Count the Case-table requests before the admin's own reads add to them.
    wait_for_outbox(&world, &calls, Duration::from_secs(25)).await;
    let counts = admin.requests().await;
    assert_one_case_per_connected_call(&world, prefix, &calls, Duration::from_secs(5)).await;

    // Waiting 2 s between attempts, a write meets at most three 429s in a 4 s storm, then a
    // lookup and a create: five requests. Retrying on the 50-500 ms backoff instead would
    // have hammered the instance about ten times per Case during the storm.
    let connected = calls.iter().filter(|c| c.connects()).count() as u64;
    let requests = case_table_requests(&counts);
    assert!(
        requests <= connected * 5,
        "{requests} Case-table requests for {connected} Cases: Retry-After was not honoured \
         ({counts})"
    );
    assert!(
        requests >= connected * 2,
        "{requests} Case-table requests for {connected} Cases: the storm missed the writes"
    );
    let notices = world.drain_notices();
    assert!(
        count_delayed(&notices) > 0,
        "the storm should have delayed Cases"
    );
    assert_none_failed_for_good(&notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_and_dropped_connections_still_give_exactly_one_case_per_connected_call() {
    let mut world = start_linked(patient_outbox()).await;
    let admin = world.admin();
    let prefix = "slow-";
    let calls = plan(prefix, 30);
    // Every Case request is slow for five seconds; a few are much slower; some connections are
    // dropped without an answer; and some screen-pop lookups outlast the contact wait (1 s),
    // so their Cases are written first and completed with the contact afterwards.
    for fault in [
        json!({"kind": "latency", "ms": 600, "seconds": 5, "path_prefix": CASE_PATH}),
        json!({"kind": "latency", "ms": 2500, "count": 6, "path_prefix": CASE_PATH}),
        json!({"kind": "drop", "count": 12, "path_prefix": CASE_PATH}),
        json!({"kind": "latency", "ms": 1500, "count": 6, "path_prefix": BATCH_PATH}),
    ] {
        admin.fault(fault).await;
    }
    run_stretch(&world, &calls, Duration::from_millis(60)).await;

    let cases =
        assert_one_case_per_connected_call(&world, prefix, &calls, Duration::from_secs(30)).await;
    let notices = world.drain_notices();
    assert!(
        count_delayed(&notices) > 0,
        "dropped connections should have delayed some Cases"
    );
    assert_none_failed_for_good(&notices);
    // A Case written before its slow lookup finished still gets the one matched contact.
    for call in calls.iter().filter(|c| c.connects()) {
        let popped = notices.iter().find_map(|n| match &n.notice {
            Notice::ScreenPop { contact } if n.call.as_str() == call.id => Some(contact),
            _ => None,
        });
        if let Some(contact) = popped {
            let case = &cases[&call.id];
            let party = [&case["contact"], &case["consumer"]];
            assert!(
                party.contains(&&json!(contact.id.as_str())),
                "{}: the Case does not name the popped contact {contact:?}: {case:#}",
                call.id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expiring_mid_run_are_renewed_and_every_connected_call_gets_exactly_one_case() {
    let mut world = start_linked(patient_outbox()).await;
    let admin = world.admin();
    let prefix = "expiry-";
    let calls = plan(prefix, 32);
    // The instance's clock jumps past the access-token lifespan (1800 s) twice mid-run: the
    // service token and both agents' tokens die each time; the refresh tokens (100 days) live.
    // Each call rings until its screen-pop lookup has answered (a pop for a call that already
    // ended is rightly not shown), so every lookup's outcome is visible.
    let mut notices = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        if i == 10 || i == 22 {
            admin
                .post("/api/x_cb_sandbox/clock", json!({"advance_seconds": 1900}))
                .await;
        }
        let events = call.events();
        world.call(&call.id, &events[..1]).await;
        ring_until_looked_up(&mut world, call, &mut notices).await;
        world.call(&call.id, &events[1..]).await;
    }

    assert_one_case_per_connected_call(&world, prefix, &calls, Duration::from_secs(20)).await;
    notices.extend(world.drain_notices());
    let complaints: Vec<_> = reasons(&notices)
        .into_iter()
        .filter(|r| {
            matches!(
                r,
                NotifyReason::RelinkRequired
                    | NotifyReason::LookupFailed { .. }
                    | NotifyReason::CaseCreationDelayed { .. }
                    | NotifyReason::CaseCreationFailed { .. }
            )
        })
        .collect();
    assert!(
        complaints.is_empty(),
        "expired tokens must be renewed without troubling anyone: {complaints:?}"
    );
}

/// Collects notices until the screen-pop lookup of `call` has an outcome (a pop, a chooser, an
/// offer of a new contact, or a message saying why not).
async fn ring_until_looked_up(world: &mut World, call: &PlannedCall, seen: &mut Vec<AgentNotice>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, world.notices.recv()).await;
        let notice = match next {
            Err(_) => panic!("{}: no screen-pop outcome for {}", call.id, call.caller),
            Ok(Err(e)) => panic!("notice channel: {e}"),
            Ok(Ok(notice)) => notice,
        };
        let outcome = notice.call.as_str() == call.id
            && matches!(
                notice.notice,
                Notice::ScreenPop { .. }
                    | Notice::ChooseContact { .. }
                    | Notice::NewContact { .. }
                    | Notice::Message {
                        reason: NotifyReason::LookupFailed { .. } | NotifyReason::RelinkRequired,
                        ..
                    }
            );
        seen.push(notice);
        if outcome {
            return;
        }
    }
}

/// Runs the calls while every Case request hangs for a second and then fails, waits until all
/// their Case writes are queued, and kills the integration server with those writes pending
/// (most of them leased by the attempt in flight).
async fn run_then_kill_with_cases_queued(
    prefix: &str,
    n: usize,
) -> (
    tempfile::TempDir,
    callbridge_sandbox::RunningSandbox,
    Vec<PlannedCall>,
) {
    let world = start_linked(short_lease_outbox()).await;
    let admin = world.admin();
    admin
        .fault(json!({"kind": "latency", "ms": 1000, "seconds": 120, "path_prefix": CASE_PATH}))
        .await;
    admin
        .fault(json!({"kind": "status", "status": 503, "seconds": 120, "path_prefix": CASE_PATH}))
        .await;
    let calls = plan(prefix, n);
    run_stretch(&world, &calls, Duration::from_millis(20)).await;
    let connected = calls.iter().filter(|c| c.connects()).count() as u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while world.server.store.pending_count(TENANT).await.unwrap() < connected {
        assert!(
            Instant::now() < deadline,
            "the Case writes were not all queued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let every queued write make at least one (failed) attempt.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cases = crm_cases(&world, prefix).await.unwrap();
    assert!(cases.is_empty(), "no Case can exist yet: {cases:#?}");
    let (dir, sandbox) = world.stop().await;
    (dir, sandbox, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_with_cases_queued_writes_each_exactly_once_after_restart() {
    let prefix = "restart-";
    let (dir, sandbox, calls) = run_then_kill_with_cases_queued(prefix, 24).await;
    support::admin_of(&sandbox).clear_faults().await;

    let world = World::start_with(short_lease_outbox(), Some((dir, sandbox))).await;
    // The restarted server takes new calls as well (the links survived in the store).
    let after = plan(&format!("{prefix}after-"), 8);
    run_stretch(&world, &after, Duration::from_millis(20)).await;

    let all: Vec<PlannedCall> = calls.iter().chain(&after).cloned().collect();
    assert_one_case_per_connected_call(&world, prefix, &all, Duration::from_secs(25)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_that_reached_the_crm_before_the_crash_is_not_created_again() {
    let prefix = "lost-";
    let (dir, sandbox, calls) = run_then_kill_with_cases_queued(prefix, 20).await;
    // The CRM created these Cases but the answers never came back (a 10 s timeout, a crash):
    // to Callbridge their writes are still pending, already attempted.
    let admin = support::admin_of(&sandbox);
    let mut reached = BTreeMap::new();
    for call in calls.iter().filter(|c| c.connects()).step_by(3) {
        let created = admin
            .post(
                "/api/now/table/sn_customerservice_case",
                json!({
                    "correlation_id": call.id,
                    "short_description": "created before the answer was lost",
                    "contact_type": "phone",
                }),
            )
            .await;
        let sys_id = created["result"]["sys_id"].as_str().unwrap().to_string();
        reached.insert(call.id.clone(), sys_id);
    }
    assert!(reached.len() >= 4);
    admin.clear_faults().await;

    let world = World::start_with(short_lease_outbox(), Some((dir, sandbox))).await;
    let cases =
        assert_one_case_per_connected_call(&world, prefix, &calls, Duration::from_secs(25)).await;
    for (call, sys_id) in &reached {
        assert_eq!(
            cases[call]["sys_id"],
            json!(sys_id),
            "{call}: the Case that reached the CRM must be the only one"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_slower_than_its_lease_never_races_its_own_retry() {
    // The worker holds a 2 s lease per attempt. The first attempt spends 2.5 s before its Case
    // request is even sent (a slow token endpoint here; a spent hourly request budget in
    // production), and that request is slow too. Its lease runs out meanwhile and the row is
    // claimed again: two attempts at once would find no Case and create one each.
    let outbox = OutboxOptions {
        lease: Duration::from_secs(2),
        ..patient_outbox()
    };
    let world = start_linked(outbox).await;
    let admin = world.admin();
    admin
        .fault(json!({"kind": "latency", "ms": 2500, "count": 1, "path_prefix": "/oauth_token.do"}))
        .await;
    admin
        .fault(json!({"kind": "latency", "ms": 1000, "count": 1, "path_prefix": CASE_PATH}))
        .await;
    let call = PlannedCall {
        id: "lease-000".into(),
        agent: "alice",
        caller: unknown_caller(),
        fate: Fate::Connected,
    };
    run_call(&world, &call).await;
    assert_one_case_per_connected_call(&world, "lease-", &[call], Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_in_flight_at_a_crash_is_written_right_after_the_restart_not_after_its_lease() {
    // A lease as long as the one the crash report measured (60 s): the restart must not wait
    // for it, because only the stopped process can have taken it.
    let outbox = OutboxOptions {
        lease: Duration::from_secs(60),
        heartbeat: Duration::from_secs(20),
        ..patient_outbox()
    };
    let world = start_linked(outbox.clone()).await;
    let admin = world.admin();
    // The Case request hangs, then fails: the write is in flight when the process dies.
    admin
        .fault(json!({"kind": "latency", "ms": 3000, "seconds": 120, "path_prefix": CASE_PATH}))
        .await;
    admin
        .fault(json!({"kind": "status", "status": 503, "seconds": 120, "path_prefix": CASE_PATH}))
        .await;
    let call = PlannedCall {
        id: "crash-000".into(),
        agent: "alice",
        caller: unknown_caller(),
        fate: Fate::Connected,
    };
    run_call(&world, &call).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while world.server.store.pending_count(TENANT).await.unwrap() < 1 {
        assert!(Instant::now() < deadline, "the Case write was not queued");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the attempt start (its lease is taken at once) and kill the process mid-request.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (dir, sandbox) = world.stop().await;
    let killed = Instant::now();
    support::admin_of(&sandbox).clear_faults().await;

    let world = World::start_with(outbox, Some((dir, sandbox))).await;
    let restarted = killed.elapsed();
    world.one_case(&call.id, Duration::from_secs(10)).await;
    let after_kill = killed.elapsed();
    println!(
        "Case in the CRM {:.1} s after the kill ({:.1} s after the restart began)",
        after_kill.as_secs_f64(),
        (after_kill - restarted).as_secs_f64()
    );
    assert!(
        after_kill < Duration::from_secs(10),
        "the restart waited {after_kill:?} for a dead process's lease"
    );
    assert_one_case_per_connected_call(&world, "crash-", &[call], Duration::from_secs(5)).await;
}
