//! Connector overhead on a screen-pop lookup (issue 3, "Speed"): what Callbridge's ServiceNow
//! connector adds on top of the CRM's own response time, and how many CRM requests an inbound
//! call with one matching contact costs.
//!
//! Against an in-process sandbox over HTTPS with generated contacts (default 10,000;
//! `BENCH_CONTACTS`), an agent linked with a password-grant token:
//!
//! - (a) `ServiceNowCrm::lookup` end to end (agent link read from the store and decrypted,
//!   query and batch built, one HTTPS round trip, answer parsed, candidates re-checked), for a
//!   number held by exactly one demo contact, `BENCH_LOOKUPS` (default 2,000) sequential calls;
//! - (b) the identical request sent by a bare reqwest client with the same keep-alive: the
//!   adapter's request is captured byte for byte (pointed once at a local capture listener)
//!   and replayed verbatim;
//! - (b') `callbridge_servicenow::lookup_by_phone` alone (no store, no re-check), to split (a)-(b);
//! - (c) the connector's pure in-process work per call with no network (classify, storage
//!   variants, build the query and the batch body, parse a captured answer, re-check the
//!   candidates with `match_stored_with`), timed per call over `BENCH_PURE_ITERS` (100,000).
//!
//! (a), (b) and (b') are interleaved call by call so that they see the same machine state.
//! Overhead = (a) - (b), at p50 and p99. Then one call through the whole runtime (signed call
//! events -> screen pop -> Case) with the sandbox's request counters. Prints figures; asserts
//! only that the lookups find the expected contact.
//!
//! Run: `cargo bench -p callbridge-integration --bench connector_overhead`.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use callbridge_config::TenantConfig;
use callbridge_core::{AccountRef, AgentId, ContactRef, RecordId, TenantId};
use callbridge_integration::crm::{context, Crm, CrmRegistry};
use callbridge_integration::events_api::signature;
use callbridge_integration::runtime::{Notice, OutboxOptions};
use callbridge_phone::{
    classify, match_stored_with, storage_variants, CallerId, MatchOptions, Region, E164,
};
use callbridge_servicenow::adapter::{ServiceNowConfig, ServiceNowCrm, ServiceNowKind};
use callbridge_servicenow::{
    lookup_by_phone, Auth, BatchOutcome, ColumnName, Condition, Instance, InstanceConfig,
    LookupTarget, Query, TableClient, TableRequest,
};
use common::*;
use rand::RngCore;
use serde_json::{json, Value};

/// Sofia Garcia's business phone, stored as "+1 858 287 7834": one demo contact holds it.
const CALLER: &str = "+18582877834";
const EXPECTED: &str = "Sofia Garcia";
/// What the adapter asks per table (`LOOKUP_LIMIT` in the servicenow crate's adapter/crm.rs).
const LOOKUP_LIMIT: usize = 5;
/// Columns `lookup_by_phone` always asks for (lookup.rs `STANDARD_FIELDS`).
const STANDARD_FIELDS: [&str; 6] = [
    "sys_id",
    "name",
    "first_name",
    "last_name",
    "number",
    "account",
];

fn main() -> anyhow::Result<()> {
    let contacts: u64 = env_or("BENCH_CONTACTS", 10_000);
    let host = SandboxHost::start(contacts)?;
    let result = run_on(&client_runtime(), run(host.info(), contacts));
    host.stop();
    result
}

async fn run(sandbox: SandboxFacts, contacts: u64) -> anyhow::Result<()> {
    let lookups: usize = env_or("BENCH_LOOKUPS", 2_000);
    let pure_iters: usize = env_or("BENCH_PURE_ITERS", 100_000);
    let sandbox = &sandbox;
    let cb = callbridge(sandbox).await?;
    let tenant_config = cb.config.tenants[0].clone();
    let sn = ServiceNowConfig::from_section(&tenant_config.crm)?;
    let tenant = TenantId::new(TENANT);
    let agent = AgentId::in_tenant(&tenant, AGENT).unwrap();
    let region = tenant_config.default_region;
    let CallerId::Dialable(caller) = classify(CALLER, region) else {
        anyhow::bail!("{CALLER} is not dialable");
    };

    println!("== connector overhead on a screen-pop lookup ==");
    machine_note();
    println!(
        "sandbox: HTTPS on {}, demo data + {contacts} generated contacts; lookup tables: {}",
        sandbox.base_url,
        sn.lookup
            .tables
            .iter()
            .map(|t| format!(
                "{}({})",
                t.table,
                t.phone_columns
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ))
            .collect::<Vec<_>>()
            .join(" + ")
    );

    let crm = adapter(&tenant_config, &cb)?;
    let found = crm.lookup(&tenant, &agent, &caller).await?;
    anyhow::ensure!(
        found.len() == 1 && found[0].name == EXPECTED,
        "expected exactly {EXPECTED}, got {found:?}"
    );

    // Capture the adapter's request byte for byte: the same tenant, pointed at a local listener.
    let captured = capture_adapter_request(&tenant_config, &cb, &tenant, &agent, &caller).await?;
    println!(
        "adapter request (captured): {} request(s) per lookup: {} {} ({} bytes body, {} tables in one Batch API call)",
        captured.count,
        captured.method,
        captured.path,
        captured.body.len(),
        sn.lookup.tables.len()
    );

    // (b): the same bytes, sent by a bare keep-alive client.
    let bare = bare_client(&cb.ca_pem);
    let url = format!("{}{}", cb.base_url, captured.path);
    let bare_call = || {
        let request = bare
            .post(&url)
            .header("authorization", &captured.authorization)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(captured.body.clone());
        async move {
            let response = request.send().await?;
            anyhow::ensure!(
                response.status() == 200,
                "bare request: {}",
                response.status()
            );
            Ok::<_, anyhow::Error>(response.bytes().await?)
        }
    };
    let answer = bare_call().await?;
    let sofia_id = found[0].id.as_str().to_string();
    anyhow::ensure!(
        String::from_utf8_lossy(&answer).contains("serviced_requests"),
        "unexpected batch answer"
    );

    // (b'): the servicenow crate's own lookup, with the adapter's targets.
    let targets = crm.lookup_targets().to_vec();
    let table_client = TableClient::new(Instance::new(
        InstanceConfig::new(cb.base_url.clone())
            .with_root_ca_pem(cb.ca_pem.clone())
            .with_timeout(Duration::from_secs(10)),
    )?);
    let auth = Auth::bearer(cb.agent_token.clone());
    let variants = storage_variants(&caller);

    // Warm up every path (connections, TLS sessions, the sandbox's phone index, caches).
    for _ in 0..200 {
        crm.lookup(&tenant, &agent, &caller).await?;
        bare_call().await?;
        lookup_by_phone(
            &table_client,
            &auth,
            &targets,
            &variants,
            None,
            LOOKUP_LIMIT,
        )
        .await?;
    }

    let mut a = Vec::with_capacity(lookups);
    let mut b = Vec::with_capacity(lookups);
    let mut b2 = Vec::with_capacity(lookups);
    let cpu_before = thread_cpu();
    let wall = Instant::now();
    for i in 0..lookups {
        // Rotate the order so that no path always runs right after another.
        for step in 0..3 {
            match (i + step) % 3 {
                0 => {
                    let t = Instant::now();
                    let contacts = crm.lookup(&tenant, &agent, &caller).await?;
                    a.push(t.elapsed());
                    anyhow::ensure!(contacts.len() == 1 && contacts[0].id.as_str() == sofia_id);
                }
                1 => {
                    let t = Instant::now();
                    let body = bare_call().await?;
                    b.push(t.elapsed());
                    anyhow::ensure!(body.len() == answer.len(), "the answer changed size");
                }
                _ => {
                    let t = Instant::now();
                    let candidates = lookup_by_phone(
                        &table_client,
                        &auth,
                        &targets,
                        &variants,
                        None,
                        LOOKUP_LIMIT,
                    )
                    .await?;
                    b2.push(t.elapsed());
                    anyhow::ensure!(candidates.len() == 1);
                }
            }
        }
    }
    let wall = wall.elapsed();
    let cpu = cpu_between(&cpu_before, &thread_cpu());

    // (d): the agent's link read, alone (part of (a)'s own work).
    let mut link_reads = Vec::with_capacity(lookups);
    for _ in 0..lookups {
        let t = Instant::now();
        let link = cb.store.link(TENANT, AGENT).await?;
        link_reads.push(t.elapsed());
        anyhow::ensure!(link.is_some());
    }

    let (sa, sb, sb2, sd) = (
        Summary::of(&a),
        Summary::of(&b),
        Summary::of(&b2),
        Summary::of(&link_reads),
    );
    let mut paired: Vec<i64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x.as_nanos() as i64 - y.as_nanos() as i64)
        .collect();
    paired.sort();
    let paired_at =
        |p: f64| paired[((paired.len() as f64 * p) as usize).min(paired.len() - 1)] as f64 / 1000.0;

    println!();
    println!("sequential lookups over HTTPS keep-alive, interleaved (a)/(b)/(b'):");
    for (label, s) in [
        ("(a)  ServiceNowCrm::lookup, end to end    ", &sa),
        ("(b)  bare reqwest, same request bytes      ", &sb),
        ("(b') servicenow::lookup_by_phone (no store)", &sb2),
        ("(d)  Store::link (SQLite read + decrypt)   ", &sd),
    ] {
        println!(
            "  {label} {}  ({:.0}/s one at a time)",
            s.line(),
            s.sequential_rate()
        );
    }
    println!(
        "  throughput: {:.0} round trips/s over the three paths ({} calls in {:.2?})",
        (3 * lookups) as f64 / wall.as_secs_f64(),
        3 * lookups,
        wall
    );
    print_cpu(&cpu, wall, Some(((3 * lookups) as u64, "round trip")));

    // (c): the pure in-process work.
    let pure = PureInputs {
        region,
        targets: targets.clone(),
        servicenow: sn.clone(),
        answer: answer.to_vec(),
    };
    let built = pure.build_body(&storage_variants(&caller));
    let same_request = same_batch(&built, &captured.body);
    let mut samples = Vec::with_capacity(pure_iters);
    let mut phases = [Duration::ZERO; 4];
    for _ in 0..pure_iters / 10 {
        std::hint::black_box(pure.run(CALLER, None));
    }
    for _ in 0..pure_iters {
        let t = Instant::now();
        let contacts = pure.run(CALLER, Some(&mut phases));
        samples.push(t.elapsed());
        debug_assert_eq!(contacts.len(), 1);
        std::hint::black_box(contacts);
    }
    let check = pure.run(CALLER, None);
    anyhow::ensure!(check.len() == 1 && check[0].name == EXPECTED, "{check:?}");
    let sc = Summary::of(&samples);
    let per = |d: Duration| us(d / pure_iters as u32);
    println!();
    println!("pure connector work per call, no network, {pure_iters} iterations (one thread):");
    println!(
        "  (c)  classify+variants+build+parse+re-check     {}",
        sc.line()
    );
    println!(
        "       mean by phase: classify {}  variants {}  build query+batch body {}  parse+re-check {}",
        per(phases[0]),
        per(phases[1]),
        per(phases[2]),
        per(phases[3])
    );
    println!(
        "       (c) builds the same batch body the adapter sent (batch id aside): {}",
        if same_request { "yes" } else { "NO" }
    );

    println!();
    println!("connector overhead = (a) - (b):");
    println!(
        "  p50 {}   p99 {}   (percentile differences; paired per-call differences: p50 {:+.0}µs, p90 {:+.0}µs)",
        diff_us(sa.p50, sb.p50),
        diff_us(sa.p99, sb.p99),
        paired_at(0.50),
        paired_at(0.90)
    );
    println!(
        "  of which: link read p50 {}, servicenow crate (b')-(b) p50 {}, adapter glue (a)-(b') p50 {}",
        us(sd.p50),
        diff_us(sb2.p50, sb.p50),
        diff_us(sa.p50, sb2.p50)
    );
    println!("  pure in-process work (c) p99 {}", us(sc.p99));
    let overhead_p99 = sa.p99.saturating_sub(sb.p99);
    println!(
        "  target: overhead p99 < 1 ms -> {} (p99 difference {}; (c) p99 {})",
        if overhead_p99 < Duration::from_millis(1) && sc.p99 < Duration::from_millis(1) {
            "met"
        } else {
            "NOT met"
        },
        us(overhead_p99),
        us(sc.p99)
    );

    println!();
    count_requests_per_call(&cb).await?;
    Ok(())
}

/// The tenant's ServiceNow adapter itself (the production one, reached past the port).
fn adapter(tenant: &TenantConfig, cb: &Callbridge) -> anyhow::Result<ServiceNowCrm> {
    let context = context(tenant, &cb.config.server.public_url, Some(cb.store.clone()));
    Ok(ServiceNowKind::adapter(&tenant.crm, &context)?)
}

struct Captured {
    method: String,
    path: String,
    authorization: String,
    body: Vec<u8>,
    /// Requests that reached the listener during one lookup.
    count: usize,
}

/// Runs one lookup of an adapter pointed at a local plain-HTTP listener and returns what it
/// sent. The listener answers every batch item with an empty list.
async fn capture_adapter_request(
    tenant: &TenantConfig,
    cb: &Callbridge,
    tenant_id: &TenantId,
    agent: &callbridge_core::AgentId,
    caller: &E164,
) -> anyhow::Result<Captured> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel::<(String, String, BTreeMap<String, String>, Vec<u8>)>();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                while let Some((method, path, headers, body)) = read_request(&mut stream) {
                    let answer = empty_batch_answer(&body);
                    let _ = tx.send((method, path, headers, body));
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        answer.len()
                    );
                    if stream.write_all(head.as_bytes()).is_err()
                        || stream.write_all(answer.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let mut pointed = tenant.clone();
    pointed.crm.table.insert(
        "instance_url".into(),
        toml::Value::String(format!("http://{addr}")),
    );
    pointed.crm.table.remove("ca_file");
    let crm = adapter(&pointed, cb)?;
    let contacts = crm.lookup(tenant_id, agent, caller).await?;
    anyhow::ensure!(
        contacts.is_empty(),
        "the capture listener answers empty lists"
    );
    let requests: Vec<_> = rx.try_iter().collect();
    let (method, path, headers, body) = requests
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the adapter sent nothing"))?;
    Ok(Captured {
        method,
        path,
        authorization: headers.get("authorization").cloned().unwrap_or_default(),
        body,
        count: requests.len(),
    })
}

/// Method, path, lower-cased headers and body of one HTTP request.
type RawRequest = (String, String, BTreeMap<String, String>, Vec<u8>);

/// Reads one HTTP/1.1 request with a Content-Length body; None at EOF or on anything else.
fn read_request(stream: &mut std::net::TcpStream) -> Option<RawRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, path, headers, body))
}

fn empty_batch_answer(request: &[u8]) -> String {
    let request: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let empty = STANDARD.encode(br#"{"result":[]}"#);
    let serviced: Vec<Value> = request["rest_requests"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| json!({"id": item["id"], "status_code": 200, "status_text": "OK", "headers": [], "body": empty}))
                .collect()
        })
        .unwrap_or_default();
    json!({"serviced_requests": serviced, "unserviced_requests": []}).to_string()
}

/// Two batch bodies equal apart from their random `batch_request_id`.
fn same_batch(a: &[u8], b: &[u8]) -> bool {
    let strip = |raw: &[u8]| {
        let mut v: Value = serde_json::from_slice(raw).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("batch_request_id");
        }
        v
    };
    strip(a) == strip(b)
}

/// What the pure in-process path needs: the tenant's tables and a captured batch answer.
struct PureInputs {
    region: Region,
    targets: Vec<LookupTarget>,
    servicenow: ServiceNowConfig,
    answer: Vec<u8>,
}

impl PureInputs {
    /// The batch body for these stored-format variants, as `lookup_by_phone` and
    /// `TableClient::batch` build it.
    fn build_body(&self, variants: &[String]) -> Vec<u8> {
        let mut requests = Vec::with_capacity(self.targets.len());
        for target in &self.targets {
            let mut values: Vec<&str> = Vec::with_capacity(variants.len());
            for v in variants {
                if !values.contains(&v.as_str()) {
                    values.push(v);
                }
            }
            let mut conditions = Vec::new();
            for column in &target.phone_columns {
                for value in &values {
                    conditions.push(Condition::eq(column, value).expect("clean value"));
                }
            }
            let query = Query::from_condition(Condition::any(conditions).expect("conditions"));
            let mut fields: Vec<ColumnName> = STANDARD_FIELDS
                .iter()
                .map(|f| ColumnName::new(*f).expect("valid"))
                .collect();
            for f in target.phone_columns.iter().chain(&target.fields) {
                if !fields.contains(f) {
                    fields.push(f.clone());
                }
            }
            requests.push(TableRequest::list(
                &target.table,
                &query,
                &fields,
                LOOKUP_LIMIT,
            ));
        }
        let batch_id = {
            let mut bytes = [0u8; 8];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let items: Vec<Value> = requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "id": (i + 1).to_string(),
                    "method": r.method().as_str(),
                    "url": format!("/{}", r.path_and_query()),
                    "exclude_response_headers": false,
                    "headers": [{"name": "Accept", "value": "application/json"}],
                })
            })
            .collect();
        json!({"batch_request_id": batch_id, "rest_requests": items})
            .to_string()
            .into_bytes()
    }

    /// Parses the captured batch answer and re-checks the candidates, as the adapter does.
    fn parse_and_match(&self, caller: &E164) -> Vec<ContactRef> {
        let root: Value = serde_json::from_slice(&self.answer).expect("JSON answer");
        let mut contacts = Vec::new();
        let options = MatchOptions {
            suffix_digits: self.servicenow.lookup.suffix_digits,
        };
        let items = root["serviced_requests"].as_array().expect("serviced");
        for item in items {
            let index: usize = item["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("id");
            let status = item["status_code"].as_u64().expect("status") as u16;
            let body = STANDARD
                .decode(item["body"].as_str().expect("body"))
                .expect("base64");
            let mut headers = http::HeaderMap::new();
            if let Some(list) = item["headers"].as_array() {
                for h in list {
                    if let (Some(name), Some(value)) = (h["name"].as_str(), h["value"].as_str()) {
                        if let (Ok(name), Ok(value)) = (
                            http::HeaderName::from_bytes(name.as_bytes()),
                            http::HeaderValue::from_str(value),
                        ) {
                            headers.append(name, value);
                        }
                    }
                }
            }
            let target = &self.targets[index - 1];
            let table = &self.servicenow.lookup.tables[index - 1];
            let records = BatchOutcome::Serviced {
                status,
                headers,
                body,
            }
            .into_records()
            .expect("records");
            for raw in records {
                let sys_id = raw.sys_id().expect("sys_id").to_string();
                let full = format!(
                    "{} {}",
                    raw.get_or_empty("first_name").trim(),
                    raw.get_or_empty("last_name").trim()
                );
                let name = raw
                    .non_empty("name")
                    .map(|n| n.trim().to_string())
                    .or_else(|| Some(full.trim().to_string()).filter(|n| !n.is_empty()))
                    .unwrap_or_else(|| sys_id.clone());
                let phones: Vec<(ColumnName, String)> = target
                    .phone_columns
                    .iter()
                    .filter_map(|c| {
                        raw.non_empty(c.as_str())
                            .map(|v| (c.clone(), v.to_string()))
                    })
                    .collect();
                let matched = phones.iter().find_map(|(_, stored)| {
                    match_stored_with(stored, caller, self.region, &options)
                });
                if matched.is_none() {
                    continue;
                }
                let account = table.account_column.as_ref().and_then(|column| {
                    let id = raw.get(column.as_str()).filter(|v| !v.is_empty())?;
                    let name = raw.get(&format!("{}.name", column.as_str())).unwrap_or(id);
                    Some(AccountRef {
                        id: RecordId::from(id),
                        name: name.to_string(),
                    })
                });
                contacts.push(ContactRef {
                    kind: table.kind,
                    id: RecordId::from(sys_id.as_str()),
                    name,
                    account,
                });
            }
        }
        contacts
    }

    /// One call's pure work; `phases` accumulates classify / variants / build / parse+match.
    fn run(&self, raw: &str, phases: Option<&mut [Duration; 4]>) -> Vec<ContactRef> {
        let t0 = Instant::now();
        let CallerId::Dialable(caller) = classify(raw, self.region) else {
            panic!("not dialable")
        };
        let t1 = Instant::now();
        let variants = storage_variants(&caller);
        let t2 = Instant::now();
        let body = self.build_body(&variants);
        std::hint::black_box(&body);
        let t3 = Instant::now();
        let contacts = self.parse_and_match(&caller);
        if let Some(p) = phases {
            let t4 = Instant::now();
            p[0] += t1 - t0;
            p[1] += t2 - t1;
            p[2] += t3 - t2;
            p[3] += t4 - t3;
        }
        contacts
    }
}

/// One inbound call with one matching contact through the whole runtime (signed call events,
/// engine, lookup, outbox, Case), counting the requests the sandbox served.
async fn count_requests_per_call(cb: &Callbridge) -> anyhow::Result<()> {
    let outbox = OutboxOptions {
        poll_interval: Duration::from_millis(50),
        ..OutboxOptions::default()
    };
    let server = callbridge_web::start(
        &cb.config,
        outbox,
        &CrmRegistry::new().with(std::sync::Arc::new(ServiceNowKind)),
    )
    .await?;
    let mut notices = server.runtime.subscribe();
    let http = reqwest::Client::new();
    let events_url = format!("{}/api/v1/tenants/{TENANT}/call-events", cb.public_url);
    println!("CRM requests per inbound call with one matching contact (offered -> answered -> connected -> Case), full runtime:");
    for (n, label) in [
        (1, "first call (cold: no service token yet)"),
        (2, "second call (steady state)"),
    ] {
        let call = format!("bench-count-{n}-{:08x}", rand::random::<u32>());
        cb.admin.reset_requests().await?;
        let started = Instant::now();
        let send = |kind: &str, i: usize| {
            let mut body = json!({"event_id": format!("{call}-{i}"), "call_id": call, "type": kind, "agent": AGENT});
            if kind == "offered" {
                body["caller"] = json!(CALLER);
            }
            let raw = body.to_string();
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            http.post(&events_url)
                .header("content-type", "application/json")
                .header(
                    signature::HEADER,
                    signature::sign(EVENTS_SECRET.as_bytes(), now, raw.as_bytes()),
                )
                .body(raw)
                .send()
        };
        let r = send("offered", 0).await?;
        anyhow::ensure!(r.status() == 202, "offered: {}", r.status());
        let pop = wait_notice(&mut notices, &call, |n| {
            !matches!(n, Notice::Message { .. })
        })
        .await?;
        let popped = started.elapsed();
        anyhow::ensure!(
            matches!(&pop, Notice::ScreenPop { contact } if contact.name == EXPECTED),
            "expected a screen pop of {EXPECTED}, got {pop:?}"
        );
        for (i, kind) in ["answered", "connected"].into_iter().enumerate() {
            let r = send(kind, i + 1).await?;
            anyhow::ensure!(r.status() == 202, "{kind}: {}", r.status());
        }
        let shown = wait_notice(&mut notices, &call, |n| {
            matches!(n, Notice::ShowCase { .. })
        })
        .await?;
        let cased = started.elapsed();
        let counts = cb.admin.requests().await?;
        let (mut crm, mut oauth, mut admin) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (k, v) in counts {
            if k.contains("x_cb_sandbox") {
                admin.insert(k, v);
            } else if k.contains("oauth_token.do") || k.contains("oauth_auth.do") {
                oauth.insert(k, v);
            } else {
                crm.insert(k, v);
            }
        }
        let crm_total: u64 = crm.values().sum();
        let Notice::ShowCase { case } = shown else {
            unreachable!()
        };
        println!(
            "  {label}: {crm_total} CRM request(s) {crm:?}; OAuth token requests {oauth:?}; admin reads {admin:?}"
        );
        println!(
            "    screen pop after {popped:.2?}, Case {} shown after {cased:.2?}; target <= 2 -> {}",
            case.label,
            if crm_total <= 2 { "met" } else { "NOT met" }
        );
        let in_crm = cb.admin.case_count(&call).await?;
        anyhow::ensure!(in_crm == 1, "{in_crm} Cases for {call}");
    }
    server.shutdown().await;
    Ok(())
}

async fn wait_notice(
    notices: &mut tokio::sync::broadcast::Receiver<callbridge_integration::runtime::AgentNotice>,
    call: &str,
    pick: impl Fn(&Notice) -> bool,
) -> anyhow::Result<Notice> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, notices.recv()).await {
            Err(_) => anyhow::bail!("no notice for {call} in time"),
            Ok(Err(e)) => anyhow::bail!("notices: {e}"),
            Ok(Ok(n)) if n.call.as_str() == call && pick(&n.notice) => return Ok(n.notice),
            Ok(Ok(_)) => {}
        }
    }
}
