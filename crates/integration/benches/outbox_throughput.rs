//! Outbox throughput (issue 3, "Speed"): Cases per second from the durable outbox into the
//! sandbox on this machine's cores, rate limiter off.
//!
//! For each concurrency level (`BENCH_CONCURRENCY`, default "16,32,64"), N create-Case intents
//! (`BENCH_CASES`, default 3,000; the payload the runtime enqueues: `{"call", "trigger",
//! "fields": CaseFields}`) are put straight into a fresh-ish SQLite store, then the runtime's
//! outbox worker (`Runtime::start` with `OutboxOptions { concurrency, .. }`) is started and
//! timed until none is pending. Every level is checked in the sandbox with the Aggregate API
//! (`correlation_idSTARTSWITH<prefix>`: exactly N Cases, none dead-lettered).
//!
//! To tell where the time goes, the same N are also pushed through:
//! - the outbox worker with a CRM that answers at once (store + worker ceiling, no HTTP);
//! - `ServiceNowCrm::create_case` called directly, no outbox (adapter + HTTP + sandbox);
//! - bare reqwest POSTs of the same Case body (HTTP + sandbox ceiling);
//!
//! and the CPU time of each thread group (sandbox runtime, sandbox writer, Callbridge runtime,
//! SQLite workers) is read from /proc. Prints figures; asserts only correctness.
//!
//! Run: `cargo bench -p callbridge-integration --bench outbox_throughput`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callbridge_core::{
    AgentId, CallId, CallerNumber, CaseFields, CaseRef, CaseTrigger, ContactRef, Direction,
    EngineConfig, PartyRefs, RecordId, TenantId,
};
use callbridge_integration::crm::{Crm, CrmError};
use callbridge_integration::runtime::{Intent, OutboxOptions, Runtime};
use callbridge_phone::E164;
use callbridge_servicenow::adapter::{ServiceNowCrm, ServiceNowKind};
use callbridge_servicenow::{Instance, InstanceConfig, OAuthClient};
use common::*;
use serde_json::{json, Value};

const CALLER: &str = "+18582877834";

fn main() -> anyhow::Result<()> {
    let host = SandboxHost::start(0)?;
    let result = run_on(&client_runtime(), run(host.info()));
    host.stop();
    result
}

/// A CRM adapter that times each Case creation.
struct Timed<C> {
    inner: C,
    creates: Mutex<Vec<Duration>>,
}

#[async_trait::async_trait]
impl<C: Crm> Crm for Timed<C> {
    async fn lookup(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        caller: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        self.inner.lookup(tenant, agent, caller).await
    }

    async fn find_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<CaseRef>, CrmError> {
        self.inner.find_case(tenant, call).await
    }

    async fn create_case(
        &self,
        tenant: &TenantId,
        call: &CallId,
        fields: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        let t = Instant::now();
        let result = self.inner.create_case(tenant, call, fields).await;
        self.creates.lock().unwrap().push(t.elapsed());
        result
    }

    async fn update_case_parties(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        parties: &PartyRefs,
    ) -> Result<(), CrmError> {
        self.inner.update_case_parties(tenant, case, parties).await
    }

    async fn add_work_note(
        &self,
        tenant: &TenantId,
        case: &CaseRef,
        note: &str,
    ) -> Result<(), CrmError> {
        self.inner.add_work_note(tenant, case, note).await
    }

    async fn may_read_case(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        case: &CaseRef,
    ) -> Result<bool, CrmError> {
        self.inner.may_read_case(tenant, agent, case).await
    }
}

/// A CRM that creates every Case at once, without any IO.
struct Instant0 {
    next: AtomicU64,
}

#[async_trait::async_trait]
impl Crm for Instant0 {
    async fn lookup(
        &self,
        _: &TenantId,
        _: &AgentId,
        _: &E164,
    ) -> Result<Vec<ContactRef>, CrmError> {
        Ok(Vec::new())
    }

    async fn find_case(&self, _: &TenantId, _: &CallId) -> Result<Option<CaseRef>, CrmError> {
        Ok(None)
    }

    async fn create_case(
        &self,
        _: &TenantId,
        _: &CallId,
        _: &CaseFields,
    ) -> Result<CaseRef, CrmError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Ok(CaseRef {
            id: RecordId::from(format!("{n:032x}")),
            label: format!("CS{n:07}"),
        })
    }

    async fn update_case_parties(
        &self,
        _: &TenantId,
        _: &CaseRef,
        _: &PartyRefs,
    ) -> Result<(), CrmError> {
        Ok(())
    }

    async fn add_work_note(&self, _: &TenantId, _: &CaseRef, _: &str) -> Result<(), CrmError> {
        Ok(())
    }

    async fn may_read_case(
        &self,
        _: &TenantId,
        _: &AgentId,
        _: &CaseRef,
    ) -> Result<bool, CrmError> {
        Ok(true)
    }
}

struct Bench {
    cb: Callbridge,
    tenant: TenantId,
    engine: EngineConfig,
    contact: ContactRef,
    cases: usize,
}

impl Bench {
    fn fields(&self, call: &str) -> CaseFields {
        CaseFields {
            caller: CallerNumber::Dialable(E164::parse(CALLER).unwrap()),
            recording_link: format!("{}/recordings/{call}", self.cb.public_url),
            party: PartyRefs {
                contact: Some(self.contact.id.clone()),
                consumer: None,
                account: self.contact.account.as_ref().map(|a| a.id.clone()),
            },
            assigned_agent: AgentId::in_tenant(&self.tenant, AGENT).unwrap(),
            direction: Direction::Inbound,
            short_description: format!("Inbound call from {CALLER}"),
        }
    }

    /// Enqueues N create-Case intents as the runtime does; returns how long it took.
    async fn enqueue(&self, prefix: &str) -> anyhow::Result<Duration> {
        let t = Instant::now();
        for i in 0..self.cases {
            let call = CallId::new(format!("{prefix}{i:05}"));
            let fields = self.fields(call.as_str());
            let intent = Intent::CreateCase {
                call: call.clone(),
                trigger: CaseTrigger::Automatic,
                fields: Box::new(fields),
            };
            let done = self
                .cb
                .store
                .enqueue(intent.into_item(&self.tenant))
                .await?;
            anyhow::ensure!(done.created, "{call} was already queued");
        }
        Ok(t.elapsed())
    }

    /// Runs the outbox worker with `crm` until nothing is pending; returns the time taken.
    async fn drain<C: Crm>(&self, crm: Arc<C>, concurrency: usize) -> anyhow::Result<Duration> {
        let options = OutboxOptions {
            max_attempts: 12,
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(2),
            concurrency,
            poll_interval: Duration::from_millis(20),
            ..OutboxOptions::default()
        };
        let t = Instant::now();
        let runtime = Runtime::start(
            self.engine.clone(),
            std::slice::from_ref(&self.tenant),
            crm,
            self.cb.store.clone(),
            options,
        )
        .await?;
        let deadline = t + Duration::from_secs(120);
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if self.cb.store.pending_count(TENANT).await? == 0 {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the outbox did not drain in 120 s"
            );
        }
        let elapsed = t.elapsed();
        runtime.shutdown().await;
        anyhow::ensure!(
            self.cb.store.dead_letters(TENANT).await?.is_empty(),
            "dead-lettered items"
        );
        Ok(elapsed)
    }
}

async fn run(sandbox: SandboxFacts) -> anyhow::Result<()> {
    let cases: usize = env_or("BENCH_CASES", 3_000);
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "16,32,64".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let sandbox = &sandbox;
    let cb = callbridge(sandbox).await?;
    let tenant = TenantId::new(TENANT);
    let mut engine = EngineConfig::default();
    for t in &cb.config.tenants {
        engine.tenants.insert(t.id.clone(), t.policy.clone());
    }
    let crm = Arc::new(Timed {
        inner: ServiceNowKind::adapter(
            &cb.config.tenants[0].crm,
            &callbridge_integration::crm::context(
                &cb.config.tenants[0],
                &cb.config.server.public_url,
                Some(cb.store.clone()),
            ),
        )?,
        creates: Mutex::new(Vec::new()),
    });
    let caller = E164::parse(CALLER)?;
    let found = crm
        .lookup(
            &tenant,
            &AgentId::in_tenant(&tenant, AGENT).unwrap(),
            &caller,
        )
        .await?;
    anyhow::ensure!(found.len() == 1, "{found:?}");
    let bench = Bench {
        cb,
        tenant,
        engine,
        contact: found[0].clone(),
        cases,
    };
    // The service token, once (as any running server has it).
    crm.create_case(
        &bench.tenant,
        &CallId::new("bench-warm-up"),
        &bench.fields("bench-warm-up"),
    )
    .await?;
    crm.creates.lock().unwrap().clear();

    println!("== outbox throughput: Cases per second into the sandbox, rate limiter off ==");
    machine_note();
    println!(
        "store: SQLite (WAL, synchronous=FULL) at {} on {}; N = {cases} Cases per run",
        bench.cb.db_path.display(),
        filesystem_of(&bench.cb.db_path)
    );
    println!();

    let mut summary = Vec::new();
    for &concurrency in &levels {
        let prefix = format!("bench-c{concurrency}-");
        let enqueue = bench.enqueue(&prefix).await?;
        let before = thread_cpu();
        let elapsed = bench.drain(crm.clone(), concurrency).await?;
        let cpu = cpu_between(&before, &thread_cpu());
        let created = bench.cb.admin.case_count(&prefix).await?;
        anyhow::ensure!(
            created == cases as u64,
            "{created} Cases in the sandbox for {prefix}, expected {cases}"
        );
        let latencies = std::mem::take(&mut *crm.creates.lock().unwrap());
        let rate = cases as f64 / elapsed.as_secs_f64();
        summary.push((concurrency, rate));
        println!(
            "outbox -> ServiceNowCrm -> sandbox, concurrency {concurrency:>3}: {cases} Cases in {elapsed:.2?} = {rate:.0} Cases/s  (enqueue beforehand: {:.0}/s; sandbox count {created})",
            cases as f64 / enqueue.as_secs_f64()
        );
        println!(
            "    create_case latency (adapter + HTTPS + sandbox): {}",
            Summary::of(&latencies).line()
        );
        print_cpu(&cpu, elapsed, Some((cases as u64, "Case")));
    }

    // Where the time goes.
    let concurrency = levels.iter().copied().max().unwrap_or(32);
    println!();
    println!("decomposition at concurrency {concurrency}:");

    let prefix = "bench-null-";
    bench.enqueue(prefix).await?;
    let before = thread_cpu();
    let null = Arc::new(Instant0 {
        next: AtomicU64::new(1),
    });
    let elapsed = bench.drain(null, concurrency).await?;
    let cpu = cpu_between(&before, &thread_cpu());
    let store_ceiling = cases as f64 / elapsed.as_secs_f64();
    println!(
        "  outbox worker + store only (CRM answers at once):    {:>5.0} Cases/s ({elapsed:.2?})",
        cases as f64 / elapsed.as_secs_f64()
    );
    print_cpu(&cpu, elapsed, Some((cases as u64, "Case")));

    let before = thread_cpu();
    let t = Instant::now();
    let latencies = direct_creates(&bench, crm.clone(), concurrency).await?;
    let elapsed = t.elapsed();
    let cpu = cpu_between(&before, &thread_cpu());
    println!(
        "  ServiceNowCrm::create_case directly, no outbox:       {:>5.0} Cases/s ({elapsed:.2?}); latency {}",
        cases as f64 / elapsed.as_secs_f64(),
        Summary::of(&latencies).line()
    );
    print_cpu(&cpu, elapsed, Some((cases as u64, "Case")));

    let adapter_ceiling = cases as f64 / elapsed.as_secs_f64();
    let before = thread_cpu();
    let t = Instant::now();
    let latencies = bare_creates(&bench, sandbox, concurrency).await?;
    let elapsed = t.elapsed();
    let cpu = cpu_between(&before, &thread_cpu());
    println!(
        "  bare reqwest POST of the same Case body, no adapter:  {:>5.0} Cases/s ({elapsed:.2?}); latency {}",
        cases as f64 / elapsed.as_secs_f64(),
        Summary::of(&latencies).line()
    );
    print_cpu(&cpu, elapsed, Some((cases as u64, "Case")));

    println!(
        "  ceilings: outbox worker + store {store_ceiling:.0} Cases/s (no CRM at all); \
         adapter + HTTPS + sandbox {adapter_ceiling:.0} Cases/s (no outbox) -> the {} bounds it",
        if store_ceiling < adapter_ceiling {
            "outbox's store"
        } else {
            "CRM path"
        }
    );
    println!();
    let best = summary.iter().map(|(_, r)| *r).fold(0.0, f64::max);
    println!(
        "summary: {} ; target 500 Cases/s on {} cores -> {}",
        summary
            .iter()
            .map(|(c, r)| format!("concurrency {c}: {r:.0}/s"))
            .collect::<Vec<_>>()
            .join(", "),
        cores(),
        if best >= 500.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// N Cases through the adapter, `concurrency` at a time, no outbox.
async fn direct_creates(
    bench: &Bench,
    crm: Arc<Timed<ServiceNowCrm>>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let calls: Arc<Vec<(CallId, CaseFields)>> = Arc::new(
        (0..bench.cases)
            .map(|i| {
                let call = format!("bench-direct-{i:05}");
                (CallId::new(call.clone()), bench.fields(&call))
            })
            .collect(),
    );
    for _ in 0..concurrency {
        let (crm, next, calls, tenant) = (
            crm.clone(),
            next.clone(),
            calls.clone(),
            bench.tenant.clone(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some((call, fields)) = calls.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                crm.create_case(&tenant, call, fields).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let created = bench.cb.admin.case_count("bench-direct-").await?;
    anyhow::ensure!(created == bench.cases as u64, "{created} direct Cases");
    Ok(std::mem::take(&mut *crm.creates.lock().unwrap()))
}

/// N Cases posted by a bare client with the service token, `concurrency` at a time.
async fn bare_creates(
    bench: &Bench,
    sandbox: &SandboxFacts,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let cb = &bench.cb;
    let instance = Instance::new(
        InstanceConfig::new(cb.base_url.clone()).with_root_ca_pem(cb.ca_pem.clone()),
    )?;
    let token = OAuthClient::new(
        instance,
        sandbox.credentials.client_id.clone(),
        sandbox.credentials.client_secret.clone(),
    )
    .client_credentials(time::OffsetDateTime::now_utc().unix_timestamp())
    .await?
    .access_token;
    let agent_sys_id = cb.agent_sys_id.clone();
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..bench.cases)
            .map(|i| {
                let call = format!("bench-bare-{i:05}");
                let f = bench.fields(&call);
                json!({
                    "correlation_id": call,
                    "u_caller_number": CALLER,
                    "u_recording_url": f.recording_link,
                    "short_description": f.short_description,
                    "contact": f.party.contact.as_ref().map(|r| r.as_str()).unwrap_or(""),
                    "account": f.party.account.as_ref().map(|r| r.as_str()).unwrap_or(""),
                    "contact_type": "phone",
                    "assigned_to": agent_sys_id,
                })
                .to_string()
            })
            .collect(),
    );
    let url = format!(
        "{}/api/now/v2/table/sn_customerservice_case?sysparm_fields=sys_id%2Cnumber%2Csys_created_on&sysparm_display_value=false&sysparm_exclude_reference_link=true",
        cb.base_url
    );
    let http = bare_client(&cb.ca_pem);
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(bench.cases)));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, next, bodies, url, token, latencies) = (
            http.clone(),
            next.clone(),
            bodies.clone(),
            url.clone(),
            token.clone(),
            latencies.clone(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(body) = bodies.get(i) else {
                    return Ok::<_, anyhow::Error>(());
                };
                let t = Instant::now();
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("accept", "application/json")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                let status = response.status();
                let answer: Value = response.json().await?;
                anyhow::ensure!(status == 201, "create: {status} {answer}");
                latencies.lock().unwrap().push(t.elapsed());
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let created = cb.admin.case_count("bench-bare-").await?;
    anyhow::ensure!(created == bench.cases as u64, "{created} bare Cases");
    let out = std::mem::take(&mut *latencies.lock().unwrap());
    Ok(out)
}

fn filesystem_of(path: &std::path::Path) -> String {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return "unknown filesystem".into();
    };
    let path = path.to_string_lossy();
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, at, kind) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(at)
                .then(|| (at.len(), format!("{kind} ({dev} at {at})")))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, s)| s)
        .unwrap_or_else(|| "unknown filesystem".into())
}
