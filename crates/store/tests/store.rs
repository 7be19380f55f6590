//! Every store rule against a real SQLite file and, when `CALLBRIDGE_TEST_POSTGRES_URL` is set,
//! a real PostgreSQL database (a fresh database per test). `scripts/with-postgres.sh` provides
//! one: `crates/store/scripts/with-postgres.sh cargo test -p callbridge-store`.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callbridge_kernel::ids::{CallId, RecordId};
use callbridge_store::{
    AgentLink, Backend, CallRecordRow, CaseRef, EventRecorded, NewAccount, NewSession, OutboxId,
    OutboxItem, OutboxStatus, Role, SecretKey, Store, StoreError,
};
use serde_json::json;
use sqlx::{PgPool, SqlitePool};
use tempfile::TempDir;
use time::macros::datetime;
use time::OffsetDateTime;

const POSTGRES_ENV: &str = "CALLBRIDGE_TEST_POSTGRES_URL";
const T0: OffsetDateTime = datetime!(2030-01-01 09:00 UTC);
const LEASE: Duration = Duration::from_secs(60);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A database for one test, with the store open on it.
struct TestDb {
    url: String,
    key: SecretKey,
    store: Store,
    _dir: Option<TempDir>,
    /// For PostgreSQL: the server URL to drop this test's database through, and its name.
    pg_cleanup: Option<(String, String)>,
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("callbridge.db").display());
        let key = SecretKey::generate();
        let store = Store::open(&url, key.clone()).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        TestDb {
            url,
            key,
            store,
            _dir: Some(dir),
            pg_cleanup: None,
        }
    }

    /// A fresh database on the server named by `CALLBRIDGE_TEST_POSTGRES_URL`, or `None` (with
    /// a notice, printed once, past the test harness's output capture) when it is not set.
    async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(server) = std::env::var(POSTGRES_ENV) else {
            static NOTICE: AtomicBool = AtomicBool::new(false);
            if !NOTICE.swap(true, Ordering::SeqCst) {
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTICE: {POSTGRES_ENV} is not set: the PostgreSQL store tests pass without \
                     running. Run them with: crates/store/scripts/with-postgres.sh cargo test -p callbridge-store"
                );
            }
            return None;
        };
        static SEQ: AtomicU32 = AtomicU32::new(0);
        // Unique per process and test, and within PostgreSQL's 63-byte identifier limit.
        let short: String = test.chars().take(32).collect();
        let name = format!(
            "cb_store_{}_{}_{short}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let admin = PgPool::connect(&server).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let url = with_database(&server, &name);
        let key = SecretKey::generate();
        let store = Store::open(&url, key.clone()).await.unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
        Some(TestDb {
            url,
            key,
            store,
            _dir: None,
            pg_cleanup: Some((server, name)),
        })
    }

    /// A second, independent store on the same database (another process, or a restart).
    async fn reopen(&self, key: SecretKey) -> Store {
        Store::open(&self.url, key).await.unwrap()
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some((server, name)) = self.pg_cleanup {
            let admin = PgPool::connect(&server).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
        }
    }

    /// Runs `sql` with `$1`, `$2` bound to two byte strings, bypassing the store (to tamper).
    async fn raw_exec(&self, sql: &str, a: Vec<u8>, b: &str, c: &str) {
        if self.url.starts_with("sqlite") {
            let pool = SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .bind(c)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        } else {
            let pool = PgPool::connect(&self.url).await.unwrap();
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .bind(c)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }

    /// Runs one statement without parameters, bypassing the store.
    async fn raw_statement(&self, sql: &str) {
        if self.url.starts_with("sqlite") {
            let pool = SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = PgPool::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }

    /// The single count a `SELECT COUNT(*)` returns, bypassing the store.
    async fn raw_count(&self, sql: &str) -> i64 {
        if self.url.starts_with("sqlite") {
            let pool = SqlitePool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        } else {
            let pool = PgPool::connect(&self.url).await.unwrap();
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }

    async fn raw_bytes(&self, sql: &str, a: &str, b: &str) -> Vec<u8> {
        if self.url.starts_with("sqlite") {
            let pool = SqlitePool::connect(&self.url).await.unwrap();
            let v = sqlx::query_scalar(sql)
                .bind(a)
                .bind(b)
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            v
        } else {
            let pool = PgPool::connect(&self.url).await.unwrap();
            let v = sqlx::query_scalar(sql)
                .bind(a)
                .bind(b)
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            v
        }
    }
}

/// `server` (postgres://user@host:port/db?params) with the database part replaced.
fn with_database(server: &str, database: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

fn case_item(tenant: &str, call: &str) -> OutboxItem {
    OutboxItem::new(
        tenant,
        "create_case",
        call,
        json!({"call_id": call, "caller": "+441632960001"}),
    )
}

fn link_for(user: &str, access: &str, refresh: &str) -> AgentLink {
    AgentLink {
        crm_user_id: format!("{user}-sys-id"),
        crm_user_name: user.to_owned(),
        access_token: access.to_owned(),
        refresh_token: refresh.to_owned(),
        access_expires_at: datetime!(2030-01-01 10:00 UTC),
        linked_at: datetime!(2030-01-01 08:30:15.123456 UTC),
    }
}

/// The rules, each written once and run on every backend.
mod rules {
    use super::*;
    use callbridge_store::{AdminEntry, AdminOutcome, AuditFilter, ListenAction, ListenEntry};

    pub async fn recordings_are_found_listed_by_age_and_marked_removed(db: &TestDb) {
        let s = &db.store;
        let old = datetime!(2030-01-01 00:00:00 UTC);
        let new = datetime!(2030-03-01 00:00:00 UTC);
        s.save_recording("acme", "c-old", "acme/2030/01/01/c-old.wav", 100, old)
            .await
            .unwrap();
        s.save_recording("acme", "c-new", "acme/2030/03/01/c-new.wav", 200, new)
            .await
            .unwrap();
        s.save_recording("globex", "c-old", "globex/x.wav", 1, old)
            .await
            .unwrap();
        let found = s.recording("acme", "c-old").await.unwrap().unwrap();
        assert_eq!(
            (found.bytes, found.stored_at, found.removed_at),
            (100, old, None)
        );
        assert!(s.recording("acme", "nope").await.unwrap().is_none());
        let cutoff = datetime!(2030-02-01 00:00:00 UTC);
        let due = s
            .recordings_stored_before("acme", cutoff, 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].call_id, "c-old");
        s.mark_recording_removed("acme", "c-old", new)
            .await
            .unwrap();
        assert!(s
            .recordings_stored_before("acme", cutoff, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            s.recording("acme", "c-old")
                .await
                .unwrap()
                .unwrap()
                .removed_at,
            Some(new)
        );
        // A second report for the call (an upload retried) updates it and keeps it.
        s.save_recording("acme", "c-new", "acme/other.wav", 300, new)
            .await
            .unwrap();
        assert_eq!(
            s.recording("acme", "c-new")
                .await
                .unwrap()
                .unwrap()
                .object_key,
            "acme/other.wav"
        );

        for (i, allowed) in [true, false].into_iter().enumerate() {
            s.audit_listen(&ListenEntry {
                tenant: "acme".into(),
                call_id: "c-new".into(),
                at: old + Duration::from_secs(i as u64),
                action: if allowed {
                    ListenAction::Open
                } else {
                    ListenAction::Media
                },
                viewer: "beth".into(),
                crm_user_id: allowed.then(|| "u1".to_string()),
                source: "10.0.0.1".into(),
                allowed,
                reason: "why".into(),
            })
            .await
            .unwrap();
        }
        let audit = s.listen_audit("acme", old).await.unwrap();
        assert_eq!(audit.len(), 2);
        assert!(audit[0].allowed && !audit[1].allowed);
        assert_eq!(audit[0].crm_user_id.as_deref(), Some("u1"));
        assert_eq!(audit[1].action, ListenAction::Media);
        assert_eq!(s.listen_audit("acme", new).await.unwrap().len(), 0);
        assert!(s.listen_audit("globex", old).await.unwrap().is_empty());
    }

    pub async fn the_audits_are_pruned_per_tenant_oldest_first_in_bounded_batches(db: &TestDb) {
        let s = &db.store;
        let admin = |tenant: &str, minute: i64| AdminEntry {
            tenant: tenant.into(),
            at: T0 + time::Duration::minutes(minute),
            actor: "ada".into(),
            action: "account.create".into(),
            target: format!("user-{minute}"),
            call_id: None,
            source: "10.0.0.9".into(),
            outcome: AdminOutcome::Done,
            detail: "created".into(),
        };
        let listen = |tenant: &str, minute: i64| ListenEntry {
            tenant: tenant.into(),
            call_id: format!("call-{minute}"),
            at: T0 + time::Duration::minutes(minute),
            action: ListenAction::Open,
            viewer: "alice.agent".into(),
            crm_user_id: None,
            source: "10.0.0.9".into(),
            allowed: true,
            reason: "may read the Case".into(),
        };
        for minute in 0..7 {
            s.audit_admin(&admin("acme", minute)).await.unwrap();
            s.audit_listen(&listen("acme", minute)).await.unwrap();
        }
        s.audit_admin(&admin("globex", 0)).await.unwrap();
        s.audit_listen(&listen("globex", 0)).await.unwrap();
        // Rows before minute 5 are old: 5 of acme's 7, in batches of 2, oldest first.
        let cutoff = T0 + time::Duration::minutes(5);
        assert_eq!(s.prune_admin_audit("acme", cutoff, 2).await.unwrap(), 2);
        let left = s.admin_audit(&AuditFilter::all("acme", 100)).await.unwrap();
        let targets: Vec<&str> = left.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            targets,
            ["user-6", "user-5", "user-4", "user-3", "user-2"],
            "the two oldest went first"
        );
        assert_eq!(s.prune_admin_audit("acme", cutoff, 2).await.unwrap(), 2);
        assert_eq!(s.prune_admin_audit("acme", cutoff, 2).await.unwrap(), 1);
        assert_eq!(s.prune_admin_audit("acme", cutoff, 2).await.unwrap(), 0);
        let left = s.admin_audit(&AuditFilter::all("acme", 100)).await.unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(s.prune_listen_audit("acme", cutoff, 100).await.unwrap(), 5);
        let calls: Vec<String> = s
            .listen_audit_filtered(&AuditFilter::all("acme", 100))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.call_id)
            .collect();
        assert_eq!(calls, ["call-6", "call-5"]);
        // Another tenant's rows are its own retention's business.
        let globex = AuditFilter::all("globex", 100);
        assert_eq!(s.admin_audit(&globex).await.unwrap().len(), 1);
        assert_eq!(s.listen_audit_filtered(&globex).await.unwrap().len(), 1);
    }

    pub async fn the_admin_audit_and_the_listen_audit_are_read_through_one_filter(db: &TestDb) {
        let s = &db.store;
        let entry = |tenant: &str, minute: i64, actor: &str, target: &str, outcome| AdminEntry {
            tenant: tenant.into(),
            at: T0 + time::Duration::minutes(minute),
            actor: actor.into(),
            action: "account.create".into(),
            target: target.into(),
            call_id: (target == "outbox:7").then(|| "call-7".to_string()),
            source: "10.0.0.9".into(),
            outcome,
            detail: "created".into(),
        };
        s.audit_admin(&entry("acme", 0, "ada", "bob", AdminOutcome::Done))
            .await
            .unwrap();
        s.audit_admin(&entry("acme", 1, "ada", "outbox:7", AdminOutcome::Refused))
            .await
            .unwrap();
        s.audit_admin(&entry("acme", 2, "sam", "carol", AdminOutcome::Failed))
            .await
            .unwrap();
        s.audit_admin(&entry("globex", 3, "ada", "bob", AdminOutcome::Done))
            .await
            .unwrap();
        let all = s.admin_audit(&AuditFilter::all("acme", 100)).await.unwrap();
        let targets: Vec<&str> = all.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            targets,
            ["carol", "outbox:7", "bob"],
            "newest first, acme only"
        );
        assert_eq!(all[1].outcome, AdminOutcome::Refused);
        assert_eq!(all[1].call_id.as_deref(), Some("call-7"));
        assert_eq!(all[2].at, T0);
        let only = |f: AuditFilter| async move {
            s.admin_audit(&f)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.target)
                .collect::<Vec<_>>()
        };
        let base = AuditFilter::all("acme", 100);
        assert_eq!(
            only(AuditFilter {
                user: Some("bob".into()),
                ..base.clone()
            })
            .await,
            ["bob"],
            "a user is the actor or the target"
        );
        assert_eq!(
            only(AuditFilter {
                user: Some("sam".into()),
                ..base.clone()
            })
            .await,
            ["carol"]
        );
        assert_eq!(
            only(AuditFilter {
                allowed: Some(false),
                ..base.clone()
            })
            .await,
            ["carol", "outbox:7"],
            "refused and failed are not allowed"
        );
        assert_eq!(
            only(AuditFilter {
                allowed: Some(true),
                ..base.clone()
            })
            .await,
            ["bob"]
        );
        assert_eq!(
            only(AuditFilter {
                from: Some(T0 + time::Duration::minutes(1)),
                to: Some(T0 + time::Duration::minutes(2)),
                ..base.clone()
            })
            .await,
            ["outbox:7"],
            "from inclusive, to exclusive"
        );
        assert_eq!(
            only(AuditFilter {
                call: Some("call-7".into()),
                ..base.clone()
            })
            .await,
            ["outbox:7"]
        );
        assert_eq!(
            only(AuditFilter {
                limit: 1,
                ..base.clone()
            })
            .await,
            ["carol"]
        );

        for (minute, viewer, crm, call, allowed) in [
            (0, "beth", Some("u-beth"), "c-1", true),
            (1, "account:sam", None, "c-1", true),
            (2, "anonymous", None, "c-2", false),
        ] {
            s.audit_listen(&ListenEntry {
                tenant: "acme".into(),
                call_id: call.into(),
                at: T0 + time::Duration::minutes(minute),
                action: ListenAction::Open,
                viewer: viewer.into(),
                crm_user_id: crm.map(str::to_string),
                source: "10.0.0.1".into(),
                allowed,
                reason: "why".into(),
            })
            .await
            .unwrap();
        }
        let viewers = |f: AuditFilter| async move {
            s.listen_audit_filtered(&f)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.viewer)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            viewers(base.clone()).await,
            ["anonymous", "account:sam", "beth"]
        );
        assert_eq!(
            viewers(AuditFilter {
                user: Some("sam".into()),
                ..base.clone()
            })
            .await,
            ["account:sam"],
            "an account's user name finds its account:<name> rows"
        );
        assert_eq!(
            viewers(AuditFilter {
                user: Some("u-beth".into()),
                ..base.clone()
            })
            .await,
            ["beth"],
            "so does the CRM user id"
        );
        assert_eq!(
            viewers(AuditFilter {
                call: Some("c-1".into()),
                allowed: Some(true),
                ..base.clone()
            })
            .await,
            ["account:sam", "beth"]
        );
        assert_eq!(
            viewers(AuditFilter {
                allowed: Some(false),
                ..base.clone()
            })
            .await,
            ["anonymous"]
        );
        assert!(viewers(AuditFilter::all("globex", 10)).await.is_empty());
    }

    pub async fn a_discarded_dead_letter_is_kept_but_never_listed_or_replayed(db: &TestDb) {
        let s = &db.store;
        let dead = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        let pending = s.enqueue(case_item("acme", "call-2")).await.unwrap().id;
        let done = s.enqueue(case_item("acme", "call-3")).await.unwrap().id;
        let other = s.enqueue(case_item("globex", "call-4")).await.unwrap().id;
        s.claim_due(T0, 10, LEASE).await.unwrap();
        s.dead_letter(dead, "the CRM refused").await.unwrap();
        s.complete(done, json!({})).await.unwrap();
        s.retry_later(pending, T0 + secs(60), "503").await.unwrap();
        s.retry_later(other, T0 + secs(60), "503").await.unwrap();
        let open: Vec<_> = s
            .open_outbox_items("acme", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.status))
            .collect();
        assert_eq!(
            open,
            [
                (pending, OutboxStatus::Pending),
                (dead, OutboxStatus::DeadLetter)
            ],
            "pending and dead, newest first; done and other tenants' items are not open"
        );
        assert!(
            !s.discard_dead_letter(pending, T0).await.unwrap(),
            "not dead"
        );
        assert!(s.discard_dead_letter(dead, T0).await.unwrap());
        assert!(!s.discard_dead_letter(dead, T0).await.unwrap(), "once");
        assert!(s.dead_letters("acme").await.unwrap().is_empty());
        assert!(!s.replay_dead_letter(dead, T0).await.unwrap());
        let kept = s.outbox_item(dead).await.unwrap().unwrap();
        assert_eq!(kept.status, OutboxStatus::DeadLetter);
        assert_eq!(kept.discarded_at, Some(T0));
        assert_eq!(kept.dead_reason.as_deref(), Some("the CRM refused"));
        assert_eq!(s.open_outbox_items("acme", 10).await.unwrap().len(), 1);
        assert!(s.discard_dead_letter(OutboxId(999_999), T0).await.is_err());
    }

    pub async fn enqueue_twice_is_one_item(db: &TestDb) {
        let s = &db.store;
        let first = s.enqueue(case_item("acme", "call-1")).await.unwrap();
        assert!(first.created);
        let mut again = case_item("acme", "call-1");
        again.payload = json!({"a": "different payload is still the same intent"});
        let second = s.enqueue(again).await.unwrap();
        assert_eq!(second.id, first.id);
        assert!(!second.created);
        assert_eq!(s.pending_count("acme").await.unwrap(), 1);
        let record = s.outbox_item(first.id).await.unwrap().unwrap();
        assert_eq!(
            record.payload["call_id"], "call-1",
            "the first payload stays"
        );

        // Still one item after it is done: a late duplicate event cannot start a second write.
        let claimed = s.claim_due(T0, 10, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1);
        s.complete(first.id, json!({"sys_id": "c1"})).await.unwrap();
        let late = s.enqueue(case_item("acme", "call-1")).await.unwrap();
        assert_eq!((late.id, late.created), (first.id, false));
        assert!(s.claim_due(T0, 10, LEASE).await.unwrap().is_empty());

        // Another kind, or another tenant, with the same key is another intent.
        let update = s
            .enqueue(OutboxItem::new("acme", "update_case", "call-1", json!({})))
            .await
            .unwrap();
        let other_tenant = s.enqueue(case_item("globex", "call-1")).await.unwrap();
        assert!(update.created && other_tenant.created);
        assert_ne!(update.id, first.id);
        assert_ne!(other_tenant.id, update.id);
        assert_eq!(s.pending_count("acme").await.unwrap(), 1);
        assert_eq!(s.pending_count("globex").await.unwrap(), 1);
        assert_eq!(s.pending_count("initech").await.unwrap(), 0);
    }

    pub async fn claimed_item_is_invisible_to_a_second_claimer_until_its_lease_expires(
        db: &TestDb,
    ) {
        let worker_a = &db.store;
        let worker_b = db.reopen(db.key.clone()).await;
        let id = worker_a
            .enqueue(case_item("acme", "call-1"))
            .await
            .unwrap()
            .id;

        let claimed = worker_a.claim_due(T0, 10, secs(30)).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let item = &claimed[0];
        assert_eq!(item.id, id);
        assert_eq!(item.attempt, 1);
        assert_eq!(item.tenant, "acme");
        assert_eq!(item.kind, "create_case");
        assert_eq!(item.idempotency_key, "call-1");
        assert_eq!(item.payload["caller"], "+441632960001");
        assert_eq!(item.leased_until, T0 + secs(30));
        assert_eq!(item.last_error, None);

        for later in [0, 1, 29] {
            assert!(
                worker_b
                    .claim_due(T0 + secs(later), 10, secs(30))
                    .await
                    .unwrap()
                    .is_empty(),
                "leased item handed out again {later}s into its 30s lease"
            );
        }
        assert_eq!(worker_a.pending_count("acme").await.unwrap(), 1);

        let reclaimed = worker_b
            .claim_due(T0 + secs(30), 10, secs(30))
            .await
            .unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].id, id);
        assert_eq!(reclaimed[0].attempt, 2);
        worker_b.close().await;
    }

    pub async fn concurrent_claimers_never_get_the_same_item_twice(db: &TestDb) {
        const ITEMS: usize = 200;
        const WORKERS: usize = 8;
        for n in 0..ITEMS {
            db.store
                .enqueue(case_item("acme", &format!("call-{n}")))
                .await
                .unwrap();
        }
        // Two independent pools on the same database, as two processes would have.
        let other_process = db.reopen(db.key.clone()).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for w in 0..WORKERS {
            let store = if w % 2 == 0 {
                db.store.clone()
            } else {
                other_process.clone()
            };
            let seen = seen.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = 0;
                loop {
                    let batch = store.claim_due(T0, 3, LEASE).await.unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    for item in batch {
                        assert_eq!(item.attempt, 1);
                        seen.lock().unwrap().push(item.id);
                        tokio::task::yield_now().await;
                        assert!(store.complete(item.id, json!({"by": w})).await.unwrap());
                        mine += 1;
                    }
                }
                mine
            }));
        }
        let mut per_worker = Vec::new();
        for t in tasks {
            per_worker.push(t.await.unwrap());
        }
        let seen = seen.lock().unwrap().clone();
        let unique: HashSet<OutboxId> = seen.iter().copied().collect();
        assert_eq!(seen.len(), ITEMS, "claims per worker: {per_worker:?}");
        assert_eq!(unique.len(), ITEMS, "an item was handed out twice");
        assert_eq!(db.store.pending_count("acme").await.unwrap(), 0);
        assert!(db
            .store
            .claim_due(T0 + secs(3600), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
        other_process.close().await;
    }

    pub async fn dead_letter_and_replay(db: &TestDb) {
        let s = &db.store;
        let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        for attempt in 1..=3u32 {
            let now = T0 + secs(u64::from(attempt) * 100);
            let claimed = s.claim_due(now, 1, LEASE).await.unwrap();
            assert_eq!((claimed[0].id, claimed[0].attempt), (id, attempt));
            if attempt < 3 {
                let error = format!("CRM answered 503 (attempt {attempt})");
                assert!(s.retry_later(id, now + secs(10), &error).await.unwrap());
            }
        }
        assert!(s
            .dead_letter(id, "retry budget spent: CRM answered 503")
            .await
            .unwrap());

        assert_eq!(s.pending_count("acme").await.unwrap(), 0);
        assert!(s
            .claim_due(T0 + secs(9999), 10, LEASE)
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != id));
        let dead = s.dead_letters("acme").await.unwrap();
        assert_eq!(dead.len(), 1);
        let d = &dead[0];
        assert_eq!(d.id, id);
        assert_eq!(d.status, OutboxStatus::DeadLetter);
        assert_eq!(d.attempts, 3);
        assert_eq!(d.idempotency_key, "call-1");
        assert_eq!(d.payload["call_id"], "call-1");
        assert_eq!(
            d.dead_reason.as_deref(),
            Some("retry budget spent: CRM answered 503")
        );
        assert_eq!(
            d.last_error.as_deref(),
            Some("CRM answered 503 (attempt 2)")
        );
        assert!(d.finished_at.is_some());
        assert!(s.dead_letters("initech").await.unwrap().is_empty());
        let globex = s.enqueue(case_item("globex", "call-9")).await.unwrap().id;
        s.claim_due(T0, 10, LEASE).await.unwrap();
        s.dead_letter(globex, "rejected").await.unwrap();
        assert_eq!(s.dead_letters("globex").await.unwrap()[0].id, globex);
        assert_eq!(s.dead_letters("acme").await.unwrap().len(), 1);

        // Dead letters take no further transitions except a replay.
        assert!(!s.complete(id, json!({})).await.unwrap());
        assert!(!s.retry_later(id, T0, "late").await.unwrap());
        assert!(!s.dead_letter(id, "again").await.unwrap());

        let replay_at = T0 + secs(5000);
        assert!(s.replay_dead_letter(id, replay_at).await.unwrap());
        assert!(
            !s.replay_dead_letter(id, replay_at).await.unwrap(),
            "not dead any more"
        );
        assert!(s.dead_letters("acme").await.unwrap().is_empty());
        assert_eq!(s.pending_count("acme").await.unwrap(), 1);
        assert!(s
            .claim_due(replay_at - secs(1), 10, LEASE)
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != id));
        let claimed = s.claim_due(replay_at, 10, LEASE).await.unwrap();
        let again = claimed.iter().find(|c| c.id == id).unwrap();
        assert_eq!(
            again.attempt, 2,
            "a replay restarts the count at 1: its next attempt is a retry, which looks first"
        );
        assert!(s.complete(id, json!({"sys_id": "c1"})).await.unwrap());
        assert_eq!(
            s.outbox_item(id).await.unwrap().unwrap().status,
            OutboxStatus::Done
        );
    }

    pub async fn retry_later_makes_the_item_due_at_the_given_time_and_keeps_the_error(db: &TestDb) {
        let s = &db.store;
        let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        let c = s.claim_due(T0, 10, LEASE).await.unwrap();
        assert_eq!(c.len(), 1);
        let retry_at = T0 + secs(120);
        assert!(s
            .retry_later(id, retry_at, "429 Too Many Requests, Retry-After 120")
            .await
            .unwrap());
        let record = s.outbox_item(id).await.unwrap().unwrap();
        assert_eq!(record.next_attempt_at, retry_at);
        assert_eq!(record.leased_until, None, "the lease is released");
        assert_eq!(record.status, OutboxStatus::Pending);

        assert!(s
            .claim_due(retry_at - secs(1), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
        let c = s.claim_due(retry_at, 10, LEASE).await.unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].attempt, 2);
        assert_eq!(
            c[0].last_error.as_deref(),
            Some("429 Too Many Requests, Retry-After 120")
        );
    }

    pub async fn completed_item_keeps_its_result_for_lookups(db: &TestDb) {
        let s = &db.store;
        let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        assert_eq!(
            s.outbox_result("acme", "create_case", "call-1")
                .await
                .unwrap(),
            None
        );
        s.claim_due(T0, 10, LEASE).await.unwrap();
        assert_eq!(
            s.outbox_result("acme", "create_case", "call-1")
                .await
                .unwrap(),
            None,
            "no result while in progress"
        );
        let result = json!({"sys_id": "6816f79cc0a8016401c5a33be04be441", "number": "CS0001001"});
        assert!(s.complete(id, result.clone()).await.unwrap());
        assert_eq!(
            s.outbox_result("acme", "create_case", "call-1")
                .await
                .unwrap(),
            Some(result.clone())
        );
        assert_eq!(
            s.outbox_result("globex", "create_case", "call-1")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            s.outbox_result("acme", "update_case", "call-1")
                .await
                .unwrap(),
            None
        );
        let record = s.outbox_item(id).await.unwrap().unwrap();
        assert_eq!(record.status, OutboxStatus::Done);
        assert_eq!(record.result, Some(result));
        assert_eq!(s.pending_count("acme").await.unwrap(), 0);
    }

    pub async fn late_transitions_on_finished_items_change_nothing_and_unknown_ids_fail(
        db: &TestDb,
    ) {
        let s = &db.store;
        let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        s.claim_due(T0, 10, LEASE).await.unwrap();
        assert!(s.complete(id, json!({"sys_id": "first"})).await.unwrap());
        // A stale worker whose lease had run out reports late.
        assert!(!s.complete(id, json!({"sys_id": "second"})).await.unwrap());
        assert!(!s.retry_later(id, T0, "timeout").await.unwrap());
        assert!(!s.dead_letter(id, "gave up").await.unwrap());
        assert!(!s.replay_dead_letter(id, T0).await.unwrap());
        assert_eq!(
            s.outbox_result("acme", "create_case", "call-1")
                .await
                .unwrap(),
            Some(json!({"sys_id": "first"}))
        );
        assert_eq!(s.pending_count("acme").await.unwrap(), 0);

        let unknown = OutboxId(987_654);
        let err = s.complete(unknown, json!({})).await.unwrap_err();
        assert!(matches!(
            err,
            StoreError::UnknownOutboxItem(OutboxId(987_654))
        ));
        assert_eq!(err.to_string(), "outbox item 987654 does not exist");
        assert!(s.retry_later(unknown, T0, "x").await.is_err());
        assert!(s.dead_letter(unknown, "x").await.is_err());
        assert!(s.replay_dead_letter(unknown, T0).await.is_err());
        assert_eq!(s.outbox_item(unknown).await.unwrap(), None);
    }

    pub async fn a_killed_worker_item_is_claimed_again_after_its_lease_expires(db: &TestDb) {
        let id = {
            let doomed = db.reopen(db.key.clone()).await;
            let id = doomed
                .enqueue(case_item("acme", "call-1"))
                .await
                .unwrap()
                .id;
            let claimed = doomed.claim_due(T0, 10, secs(45)).await.unwrap();
            assert_eq!(claimed[0].id, id);
            // The process dies here: no complete, no retry_later.
            drop(doomed);
            id
        };
        let survivor = db.reopen(db.key.clone()).await;
        assert!(survivor
            .claim_due(T0 + secs(44), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
        let again = survivor.claim_due(T0 + secs(45), 10, LEASE).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].id, again[0].attempt), (id, 2));
        assert!(survivor
            .complete(id, json!({"sys_id": "c1"}))
            .await
            .unwrap());
        survivor.close().await;
    }

    pub async fn claims_come_oldest_due_first_within_the_limit(db: &TestDb) {
        let s = &db.store;
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(
                s.enqueue(case_item("acme", &format!("call-{n}")))
                    .await
                    .unwrap()
                    .id,
            );
        }
        // The first item fails and is due again later than the others.
        let first = s.claim_due(T0, 1, LEASE).await.unwrap();
        assert_eq!(first[0].id, ids[0]);
        s.retry_later(ids[0], T0 + secs(5), "503").await.unwrap();

        assert!(s.claim_due(T0, 0, LEASE).await.unwrap().is_empty());
        let batch = s.claim_due(T0 + secs(10), 3, LEASE).await.unwrap();
        let got: Vec<OutboxId> = batch.iter().map(|c| c.id).collect();
        assert_eq!(got, vec![ids[1], ids[2], ids[3]]);
        let rest = s.claim_due(T0 + secs(10), 10, LEASE).await.unwrap();
        let got: Vec<OutboxId> = rest.iter().map(|c| c.id).collect();
        assert_eq!(got, vec![ids[4], ids[0]]);
    }

    pub async fn an_event_id_reused_with_another_body_is_told_apart_from_a_retry(db: &TestDb) {
        let s = &db.store;
        let record = |tenant: &'static str, id: &'static str, digest: &'static str| async move {
            s.record_event_checked(tenant, id, T0, digest, "payload")
                .await
                .unwrap()
        };
        assert_eq!(record("acme", "1", "aaaa").await, EventRecorded::New);
        assert_eq!(record("acme", "1", "aaaa").await, EventRecorded::Duplicate);
        assert_eq!(record("acme", "1", "bbbb").await, EventRecorded::Reused);
        // Ids are scoped to their tenant.
        assert_eq!(record("globex", "1", "bbbb").await, EventRecorded::New);
        // The reused id recorded nothing: replay still sees only the first event.
        assert_eq!(s.events_since("acme", T0).await.unwrap(), ["payload"]);
        // Ids recorded before digests were kept count as retries, never as reuse.
        assert!(s.record_event_once("acme", "old", T0).await.unwrap());
        assert_eq!(
            record("acme", "old", "cccc").await,
            EventRecorded::Duplicate
        );
    }

    pub async fn a_renewed_lease_holds_the_item_and_a_lost_one_cannot_be_renewed(db: &TestDb) {
        let s = &db.store;
        let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        let claimed = s.claim_due(T0, 10, secs(10)).await.unwrap();
        assert_eq!(claimed[0].attempt, 1);
        // A heartbeat at 8 s moves the lease to 18 s: nobody can claim the item at 15 s.
        assert!(s.renew_lease(id, 1, T0 + secs(18)).await.unwrap());
        assert!(s
            .claim_due(T0 + secs(15), 10, secs(10))
            .await
            .unwrap()
            .is_empty());
        // Without further heartbeats the lease runs out and another worker takes the item...
        let again = s.claim_due(T0 + secs(18), 10, secs(10)).await.unwrap();
        assert_eq!((again[0].id, again[0].attempt), (id, 2));
        // ...and the first worker's heartbeat no longer extends anything.
        assert!(!s.renew_lease(id, 1, T0 + secs(40)).await.unwrap());
        let record = s.outbox_item(id).await.unwrap().unwrap();
        assert_eq!(record.leased_until, Some(T0 + secs(28)));
        // A finished item has no lease to renew.
        s.complete(id, json!({})).await.unwrap();
        assert!(!s.renew_lease(id, 2, T0 + secs(60)).await.unwrap());
    }

    pub async fn a_stopped_processes_leases_are_released_at_start_for_its_own_tenants_only(
        db: &TestDb,
    ) {
        let s = &db.store;
        let ours = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
        let theirs = s.enqueue(case_item("globex", "call-1")).await.unwrap().id;
        assert_eq!(s.claim_due(T0, 10, LEASE).await.unwrap().len(), 2);
        // The process serving acme restarts: its rows are claimable at once, globex's (served
        // by another, live, instance) stay leased.
        assert_eq!(s.release_leases("acme").await.unwrap(), 1);
        let again = s.claim_due(T0 + secs(1), 10, LEASE).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].id, again[0].attempt), (ours, 2));
        assert_ne!(again[0].id, theirs);
        assert_eq!(s.release_leases("nobody").await.unwrap(), 0);
    }

    pub async fn an_event_id_is_processed_once_per_tenant(db: &TestDb) {
        let s = &db.store;
        assert!(s.record_event_once("acme", "evt-1", T0).await.unwrap());
        assert!(!s.record_event_once("acme", "evt-1", T0).await.unwrap());
        assert!(!s
            .record_event_once("acme", "evt-1", T0 + secs(60))
            .await
            .unwrap());
        assert!(s.record_event_once("globex", "evt-1", T0).await.unwrap());
        assert!(s.record_event_once("acme", "evt-2", T0).await.unwrap());

        // Concurrent deliveries of one event: exactly one wins.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.record_event_once("acme", "evt-race", T0).await.unwrap()
            }));
        }
        let mut firsts = 0;
        for t in tasks {
            firsts += usize::from(t.await.unwrap());
        }
        assert_eq!(firsts, 1);
    }

    pub async fn events_older_than_the_retention_window_are_pruned(db: &TestDb) {
        let s = &db.store;
        let day = secs(24 * 3600);
        assert!(s.record_event_once("acme", "old", T0).await.unwrap());
        assert!(s
            .record_event_once("acme", "recent", T0 + day)
            .await
            .unwrap());
        assert_eq!(
            s.prune_events(T0 + day, day).await.unwrap(),
            0,
            "exactly at the edge stays"
        );
        assert_eq!(s.prune_events(T0 + day + secs(1), day).await.unwrap(), 1);
        assert!(!s.record_event_once("acme", "recent", T0).await.unwrap());
        assert!(
            s.record_event_once("acme", "old", T0 + day).await.unwrap(),
            "a pruned id is forgotten"
        );
    }

    pub async fn accepted_events_are_kept_for_replay_in_arrival_order(db: &TestDb) {
        let s = &db.store;
        assert!(s
            .record_event_with_payload("acme", "e2", T0 + secs(2), "second")
            .await
            .unwrap());
        assert!(s
            .record_event_with_payload("acme", "e1", T0 + secs(1), "first")
            .await
            .unwrap());
        assert!(!s
            .record_event_with_payload("acme", "e1", T0 + secs(3), "again")
            .await
            .unwrap());
        assert!(s
            .record_event_with_payload("globex", "e1", T0, "other tenant")
            .await
            .unwrap());
        assert!(s
            .record_event_once("acme", "no-payload", T0 + secs(1))
            .await
            .unwrap());
        assert_eq!(
            s.events_since("acme", T0).await.unwrap(),
            ["first", "second"]
        );
        assert_eq!(
            s.events_since("acme", T0 + secs(2)).await.unwrap(),
            ["second"]
        );
    }

    pub async fn a_call_has_one_record_and_recent_records_come_newest_first(db: &TestDb) {
        let s = &db.store;
        let row = |call: &str, started_at: i64, outcome: &str| CallRecordRow {
            tenant: "acme".into(),
            call_id: call.into(),
            direction: "inbound".into(),
            customer: "+15551230001".into(),
            queue: Some("support".into()),
            first_agent: Some("alice".into()),
            last_agent: Some("bob".into()),
            outcome: outcome.into(),
            started_at,
            ended_at: started_at + 60_000,
            record: format!("{{\"call\":\"{call}\"}}"),
        };
        assert!(s
            .save_call_record(&row("c1", 1_000, "answered"))
            .await
            .unwrap());
        assert!(s
            .save_call_record(&row("c2", 2_000, "abandoned"))
            .await
            .unwrap());
        assert!(
            !s.save_call_record(&row("c1", 5_000, "failed"))
                .await
                .unwrap(),
            "a second record for a call is ignored"
        );
        assert_eq!(
            s.call_record("acme", "c1").await.unwrap(),
            Some(row("c1", 1_000, "answered"))
        );
        assert_eq!(s.call_record("globex", "c1").await.unwrap(), None);
        let recent = s.recent_call_records("acme", 10).await.unwrap();
        let ids: Vec<_> = recent.iter().map(|r| r.call_id.as_str()).collect();
        assert_eq!(ids, ["c2", "c1"]);
        assert_eq!(s.recent_call_records("acme", 1).await.unwrap().len(), 1);
    }

    pub async fn the_charts_read_a_period_of_calls_with_their_wait_from_the_record(db: &TestDb) {
        let s = &db.store;
        let row =
            |call: &str, started_at: i64, queue: Option<&str>, record: String| CallRecordRow {
                tenant: "acme".into(),
                call_id: call.into(),
                direction: "inbound".into(),
                customer: "+15551230001".into(),
                queue: queue.map(str::to_string),
                first_agent: None,
                last_agent: None,
                outcome: "answered".into(),
                started_at,
                ended_at: started_at + 60_000,
                record,
            };
        let with_wait =
            |call: &str, wait: u64| format!("{{\"call\":\"{call}\",\"wait_ms\":{wait}}}");
        for r in [
            row("early", 999, Some("support"), with_wait("early", 1)),
            row("a", 1_000, Some("support"), with_wait("a", 4_500)),
            row("b", 1_500, Some("sales"), with_wait("b", 20_000)),
            row(
                "old-format",
                1_800,
                Some("support"),
                "{\"call\":\"old\"}".into(),
            ),
            row("late", 2_000, Some("support"), with_wait("late", 1)),
        ] {
            s.save_call_record(&r).await.unwrap();
        }
        let mut other = row("globex-call", 1_200, Some("support"), with_wait("g", 1));
        other.tenant = "globex".into();
        s.save_call_record(&other).await.unwrap();

        let all = s.chart_calls("acme", 1_000, 2_000, None).await.unwrap();
        let seen: Vec<(i64, Option<&str>, Option<i64>)> = all
            .iter()
            .map(|r| (r.started_at, r.queue.as_deref(), r.wait_ms))
            .collect();
        assert_eq!(
            seen,
            [
                (1_000, Some("support"), Some(4_500)),
                (1_500, Some("sales"), Some(20_000)),
                (1_800, Some("support"), None),
            ]
        );
        assert_eq!(all[0].direction, "inbound");
        assert_eq!(all[0].outcome, "answered");
        let support = s
            .chart_calls("acme", 0, 10_000, Some("support"))
            .await
            .unwrap();
        let starts: Vec<i64> = support.iter().map(|r| r.started_at).collect();
        assert_eq!(starts, [999, 1_000, 1_800, 2_000]);
    }

    pub async fn links_round_trip_and_tokens_are_never_stored_in_clear(db: &TestDb) {
        let s = &db.store;
        assert_eq!(s.link("acme", "alice").await.unwrap(), None);
        let link = link_for(
            "alice",
            "ACCESS-alice-0123456789",
            "REFRESH-alice-0123456789",
        );
        s.save_link("acme", "alice", link.clone()).await.unwrap();
        assert_eq!(s.link("acme", "alice").await.unwrap(), Some(link.clone()));
        assert_eq!(s.link("globex", "alice").await.unwrap(), None);

        let stored = db
            .raw_bytes(
                "SELECT access_token FROM agent_links WHERE tenant = $1 AND agent_id = $2",
                "acme",
                "alice",
            )
            .await;
        assert!(
            !contains(&stored, b"ACCESS-alice"),
            "access token stored in clear"
        );
        let debug = format!("{link:?}");
        assert!(!debug.contains("ACCESS-alice") && !debug.contains("REFRESH-alice"));

        // A refresh replaces the tokens.
        let mut refreshed = link.clone();
        refreshed.access_token = "ACCESS-alice-new".into();
        refreshed.access_expires_at = datetime!(2030-01-01 11:00 UTC);
        s.save_link("acme", "alice", refreshed.clone())
            .await
            .unwrap();
        assert_eq!(s.link("acme", "alice").await.unwrap(), Some(refreshed));

        s.save_link("acme", "bob", link_for("bob", "a", "r"))
            .await
            .unwrap();
        assert_eq!(s.linked_agents("acme").await.unwrap(), vec!["alice", "bob"]);
        assert!(s.delete_link("acme", "alice").await.unwrap());
        assert!(!s.delete_link("acme", "alice").await.unwrap());
        assert_eq!(s.link("acme", "alice").await.unwrap(), None);
        assert_eq!(s.linked_agents("acme").await.unwrap(), vec!["bob"]);
    }

    pub async fn decrypting_with_the_wrong_key_fails_clearly(db: &TestDb) {
        db.store
            .save_link("acme", "alice", link_for("alice", "tok-a", "ref-a"))
            .await
            .unwrap();
        db.store
            .put_secret("acme", "oauth_client_secret", "s3cr3t")
            .await
            .unwrap();
        let wrong = db.reopen(SecretKey::generate()).await;

        let err = wrong.link("acme", "alice").await.unwrap_err();
        assert!(matches!(err, StoreError::Decrypt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("wrong master key or tampered row"), "{msg}");
        assert!(
            msg.contains("access_token of agent \"alice\" in tenant \"acme\""),
            "{msg}"
        );
        assert!(!msg.contains("tok-a"));

        let err = wrong
            .get_secret("acme", "oauth_client_secret")
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("secret \"oauth_client_secret\" of tenant \"acme\""),
            "{msg}"
        );
        assert!(msg.contains("wrong master key"), "{msg}");

        // Nothing else is affected, and the right key still works.
        assert_eq!(wrong.link("acme", "nobody").await.unwrap(), None);
        wrong.close().await;
        let right = db.reopen(db.key.clone()).await;
        assert_eq!(
            right
                .link("acme", "alice")
                .await
                .unwrap()
                .unwrap()
                .access_token,
            "tok-a"
        );
        right.close().await;
    }

    pub async fn a_swapped_ciphertext_between_two_agents_fails(db: &TestDb) {
        let s = &db.store;
        s.save_link("acme", "alice", link_for("alice", "tok-alice", "ref-alice"))
            .await
            .unwrap();
        s.save_link(
            "acme",
            "mallory",
            link_for("mallory", "tok-mallory", "ref-mallory"),
        )
        .await
        .unwrap();
        let select = "SELECT access_token FROM agent_links WHERE tenant = $1 AND agent_id = $2";
        let update = "UPDATE agent_links SET access_token = $1 WHERE tenant = $2 AND agent_id = $3";
        let alice = db.raw_bytes(select, "acme", "alice").await;
        let mallory = db.raw_bytes(select, "acme", "mallory").await;
        db.raw_exec(update, alice, "acme", "mallory").await;
        db.raw_exec(update, mallory, "acme", "alice").await;

        for agent in ["alice", "mallory"] {
            let err = s.link("acme", agent).await.unwrap_err();
            assert!(
                matches!(err, StoreError::Decrypt { .. }),
                "{agent}: {err:?}"
            );
        }

        // The same for a value moved into the other token column of the same agent.
        s.save_link("acme", "bob", link_for("bob", "tok-bob", "ref-bob"))
            .await
            .unwrap();
        let refresh = db
            .raw_bytes(
                "SELECT refresh_token FROM agent_links WHERE tenant = $1 AND agent_id = $2",
                "acme",
                "bob",
            )
            .await;
        db.raw_exec(update, refresh, "acme", "bob").await;
        assert!(matches!(
            s.link("acme", "bob").await,
            Err(StoreError::Decrypt { .. })
        ));
    }

    pub async fn store_tenants_are_versioned_and_their_secrets_sealed(db: &TestDb) {
        use callbridge_store::SecretChange;
        let s = &db.store;
        let secret = |name: &str, value: &str| SecretChange::Set {
            name: name.to_string(),
            value: callbridge_kernel::Secret::new(value),
        };
        assert!(s.store_tenant("acme").await.unwrap().is_none());
        let text = "[[tenant]]\nid = \"acme\"\n";
        let created = s
            .create_store_tenant(
                "acme",
                text,
                &[secret("crm.client_secret", "first")],
                "root",
            )
            .await
            .unwrap();
        assert_eq!((created.version, created.config.as_str()), (1, text));
        assert_eq!(created.updated_by, "root");
        assert_eq!(created.secrets.len(), 1);
        assert_eq!(created.secrets[0].0, "crm.client_secret");
        assert_eq!(created.secrets[0].1.expose(), "first");

        // A duplicate id is refused and changes nothing.
        let again = s
            .create_store_tenant("acme", "other", &[secret("crm.client_secret", "x")], "eve")
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::TenantExists { ref tenant } if tenant == "acme"));
        assert!(again.to_string().contains("choose another id"), "{again}");
        let kept = s.store_tenant("acme").await.unwrap().unwrap();
        assert_eq!((kept.version, kept.config.as_str()), (1, text));
        assert_eq!(kept.secrets[0].1.expose(), "first");

        // A save from the current version makes the next one; secrets set and removed with it.
        let v2 = s
            .save_store_tenant(
                "acme",
                1,
                "v2",
                &[
                    secret("crm.client_secret", "second"),
                    secret("telephony.trunk.password", "pw"),
                ],
                "alice",
            )
            .await
            .unwrap();
        assert_eq!(v2, 2);
        let v3 = s
            .save_store_tenant(
                "acme",
                2,
                "v3",
                &[SecretChange::Remove {
                    name: "telephony.trunk.password".into(),
                }],
                "alice",
            )
            .await
            .unwrap();
        assert_eq!(v3, 3);
        let now = s.store_tenant("acme").await.unwrap().unwrap();
        assert_eq!((now.version, now.config.as_str()), (3, "v3"));
        let names: Vec<_> = now
            .secrets
            .iter()
            .map(|(n, v)| (n.as_str(), v.expose()))
            .collect();
        assert_eq!(names, [("crm.client_secret", "second")]);

        // A save from an older version is a conflict naming both versions, and changes nothing.
        let stale = s
            .save_store_tenant(
                "acme",
                2,
                "lost",
                &[secret("crm.client_secret", "lost")],
                "bob",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                stale,
                StoreError::VersionConflict {
                    edited: 2,
                    current: 3,
                    ..
                }
            ),
            "{stale:?}"
        );
        let unchanged = s.store_tenant("acme").await.unwrap().unwrap();
        assert_eq!((unchanged.version, unchanged.config.as_str()), (3, "v3"));
        assert_eq!(unchanged.secrets[0].1.expose(), "second");
        let unknown = s
            .save_store_tenant("nobody", 1, "x", &[], "bob")
            .await
            .unwrap_err();
        assert!(
            matches!(unknown, StoreError::UnknownTenant { .. }),
            "{unknown:?}"
        );

        s.create_store_tenant("globex", "g", &[], "root")
            .await
            .unwrap();
        let all: Vec<_> = s
            .store_tenants()
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.tenant, t.version))
            .collect();
        assert_eq!(all, [("acme".to_string(), 3), ("globex".to_string(), 1)]);
        assert_eq!(s.store_tenant_versions().await.unwrap(), all);

        // Secrets are sealed: not in clear in the database, and unreadable under another key.
        let raw: Vec<u8> = match s.backend() {
            Backend::Sqlite => {
                let pool = SqlitePool::connect(&db.url).await.unwrap();
                sqlx::query_scalar("SELECT value FROM store_tenant_secrets WHERE tenant = 'acme'")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
            Backend::Postgres => {
                let pool = PgPool::connect(&db.url).await.unwrap();
                sqlx::query_scalar("SELECT value FROM store_tenant_secrets WHERE tenant = 'acme'")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert!(!contains(&raw, b"second"));
        let other = db.reopen(SecretKey::generate()).await;
        let refused = other.store_tenant("acme").await.unwrap_err();
        assert!(matches!(refused, StoreError::Decrypt { .. }), "{refused:?}");
        other.close().await;

        // Removed: its text and secrets go, the other tenant stays; removing again is false.
        assert!(s.delete_store_tenant("acme").await.unwrap());
        assert!(s.store_tenant("acme").await.unwrap().is_none());
        assert!(!s.delete_store_tenant("acme").await.unwrap());
        assert_eq!(
            s.store_tenant_versions().await.unwrap(),
            [("globex".to_string(), 1)]
        );
        // Its id may be used again, with nothing left of the removed tenant's secrets.
        let again = s
            .create_store_tenant("acme", "new", &[], "root")
            .await
            .unwrap();
        assert_eq!((again.version, again.secrets.len()), (1, 0));
    }

    pub async fn tenant_secrets_round_trip_and_are_bound_to_their_name(db: &TestDb) {
        let s = &db.store;
        assert_eq!(
            s.get_secret("acme", "oauth_client_secret").await.unwrap(),
            None
        );
        s.put_secret("acme", "oauth_client_secret", "client-secret-1")
            .await
            .unwrap();
        s.put_secret("acme", "service_password", "pa55word")
            .await
            .unwrap();
        s.put_secret("globex", "oauth_client_secret", "globex-secret")
            .await
            .unwrap();
        assert_eq!(
            s.get_secret("acme", "oauth_client_secret")
                .await
                .unwrap()
                .as_deref(),
            Some("client-secret-1")
        );
        s.put_secret("acme", "oauth_client_secret", "client-secret-2")
            .await
            .unwrap();
        assert_eq!(
            s.get_secret("acme", "oauth_client_secret")
                .await
                .unwrap()
                .as_deref(),
            Some("client-secret-2")
        );
        assert_eq!(
            s.get_secret("globex", "oauth_client_secret")
                .await
                .unwrap()
                .as_deref(),
            Some("globex-secret")
        );

        let stored = db
            .raw_bytes(
                "SELECT value FROM tenant_secrets WHERE tenant = $1 AND name = $2",
                "acme",
                "service_password",
            )
            .await;
        assert!(!contains(&stored, b"pa55word"));
        // Copy acme's password over globex's client secret: it must not decrypt there.
        db.raw_exec(
            "UPDATE tenant_secrets SET value = $1 WHERE tenant = $2 AND name = $3",
            stored,
            "globex",
            "oauth_client_secret",
        )
        .await;
        assert!(matches!(
            s.get_secret("globex", "oauth_client_secret").await,
            Err(StoreError::Decrypt { .. })
        ));

        assert!(s.delete_secret("acme", "service_password").await.unwrap());
        assert!(!s.delete_secret("acme", "service_password").await.unwrap());
        assert_eq!(
            s.get_secret("acme", "service_password").await.unwrap(),
            None
        );
    }

    pub async fn the_first_case_recorded_for_a_call_wins(db: &TestDb) {
        let s = &db.store;
        let call = CallId::new("call-1");
        assert_eq!(s.case_for_call("acme", &call).await.unwrap(), None);
        let case = CaseRef {
            id: RecordId::new("6816f79cc0a8016401c5a33be04be441"),
            label: "CS0001001".into(),
        };
        assert_eq!(
            s.save_case_for_call("acme", &call, case.clone())
                .await
                .unwrap(),
            case
        );
        let duplicate = CaseRef {
            id: RecordId::new("ffffffffffffffffffffffffffffffff"),
            label: "CS0001002".into(),
        };
        assert_eq!(
            s.save_case_for_call("acme", &call, duplicate.clone())
                .await
                .unwrap(),
            case,
            "the recorded Case is kept and returned"
        );
        assert_eq!(s.case_for_call("acme", &call).await.unwrap(), Some(case));
        assert_eq!(s.case_for_call("globex", &call).await.unwrap(), None);
        assert_eq!(
            s.save_case_for_call("globex", &call, duplicate.clone())
                .await
                .unwrap(),
            duplicate
        );
    }

    pub async fn a_link_ticket_is_spent_once_until_refunded_and_forgotten_after_expiry(
        db: &TestDb,
    ) {
        let s = &db.store;
        let expires = T0 + secs(900);
        assert!(s.spend_link_ticket("digest-a", expires, T0).await.unwrap());
        assert!(!s.spend_link_ticket("digest-a", expires, T0).await.unwrap());
        assert!(s.spend_link_ticket("digest-b", expires, T0).await.unwrap());
        // A refund lets the same ticket start one more sign-in, and only one.
        assert!(s.refund_link_ticket("digest-a").await.unwrap());
        assert!(!s.refund_link_ticket("digest-a").await.unwrap());
        assert!(s.spend_link_ticket("digest-a", expires, T0).await.unwrap());
        assert!(!s.spend_link_ticket("digest-a", expires, T0).await.unwrap());
        // Once expired, a digest is forgotten (the ticket's own expiry refuses it from then on).
        let later = expires + secs(1);
        assert!(s
            .spend_link_ticket("digest-c", later + secs(900), later)
            .await
            .unwrap());
        assert!(!s.refund_link_ticket("digest-b").await.unwrap());
    }

    /// Migration 0007 renames the CRM id columns to neutral names: rows written under the old
    /// names (a database as the previous version left it) read back unchanged after it.
    pub async fn rows_written_before_the_neutral_column_names_read_back_after_them(db: &TestDb) {
        let s = &db.store;
        let link = link_for("alice", "tok", "ref");
        s.save_link("acme", "alice", link.clone()).await.unwrap();
        let case = CaseRef {
            id: "6816f79cc0a8016401c5a33be04be441".into(),
            label: "CS0001001".into(),
        };
        s.save_case_for_call("acme", &"call-1".into(), case.clone())
            .await
            .unwrap();
        s.close().await;
        // Put the database back the way migration 0006 left it, rows included, and forget 0007.
        let undo = [
            "ALTER TABLE agent_links RENAME COLUMN crm_user_id TO crm_user_sys_id",
            "ALTER TABLE call_cases RENAME COLUMN case_id TO sys_id",
            "ALTER TABLE call_cases RENAME COLUMN case_label TO number",
            "DELETE FROM _sqlx_migrations WHERE version = 7",
        ];
        for sql in undo {
            db.raw_statement(sql).await;
        }
        assert_eq!(
            db.raw_count("SELECT COUNT(*) FROM call_cases WHERE sys_id = '6816f79cc0a8016401c5a33be04be441' AND number = 'CS0001001'").await,
            1,
            "the old schema holds the row"
        );

        let s = db.reopen(db.key.clone()).await;
        assert_eq!(s.link("acme", "alice").await.unwrap(), Some(link));
        assert_eq!(
            s.case_for_call("acme", &"call-1".into()).await.unwrap(),
            Some(case)
        );
        assert_eq!(
            db.raw_count("SELECT COUNT(*) FROM agent_links WHERE crm_user_id = 'alice-sys-id'")
                .await,
            1
        );
        s.close().await;
    }

    fn account<'a>(tenant: &'a str, user: &'a str, role: Role) -> NewAccount<'a> {
        NewAccount {
            tenant,
            user_name: user,
            display_name: "Alice Tanaka",
            role,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        }
    }

    fn session<'a>(
        digest: &'a [u8],
        tenant: &'a str,
        user: &'a str,
        expires: OffsetDateTime,
    ) -> NewSession<'a> {
        NewSession {
            id_digest: digest,
            tenant,
            user_name: user,
            created_at: T0,
            expires_at: expires,
            client_address: "192.0.2.7",
        }
    }

    pub async fn a_user_name_is_unique_per_tenant(db: &TestDb) {
        let s = &db.store;
        assert!(s
            .create_account(account("acme", "alice", Role::Agent), T0)
            .await
            .unwrap());
        assert!(!s
            .create_account(account("acme", "alice", Role::Admin), T0)
            .await
            .unwrap());
        assert!(s
            .create_account(account("globex", "alice", Role::Supervisor), T0)
            .await
            .unwrap());
        let alice = s.account("acme", "alice").await.unwrap().unwrap();
        assert_eq!(alice.role, Role::Agent, "the first account stays");
        assert_eq!(alice.display_name, "Alice Tanaka");
        assert!(!alice.disabled);
        assert_eq!(alice.created_at, T0);
        assert!(
            !format!("{alice:?}").contains("argon2id"),
            "Debug hides the hash"
        );
        assert!(s.account("acme", "bob").await.unwrap().is_none());
        let all: Vec<_> = s
            .accounts(None)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.tenant, a.user_name))
            .collect();
        assert_eq!(
            all,
            [
                ("acme".into(), "alice".into()),
                ("globex".into(), "alice".into())
            ]
        );
        assert_eq!(s.accounts(Some("globex")).await.unwrap().len(), 1);
    }

    pub async fn sessions_are_found_by_digest_until_they_expire(db: &TestDb) {
        let s = &db.store;
        s.create_account(account("acme", "alice", Role::Agent), T0)
            .await
            .unwrap();
        let until = T0 + secs(3600);
        s.create_session(session(b"digest-1", "acme", "alice", until))
            .await
            .unwrap();
        let live = s
            .session(b"digest-1", T0 + secs(10))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (live.tenant.as_str(), live.user_name.as_str(), live.role),
            ("acme", "alice", Role::Agent)
        );
        assert_eq!(live.expires_at, until);
        s.touch_session(b"digest-1", T0 + secs(20)).await.unwrap();
        let touched = s
            .session(b"digest-1", T0 + secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(touched.last_seen_at, T0 + secs(20));
        assert_eq!(touched.expires_at, until, "use extends nothing");
        assert!(
            s.session(b"digest-1", until).await.unwrap().is_none(),
            "expired"
        );
        assert!(s.session(b"other", T0).await.unwrap().is_none());
        assert_eq!(s.prune_sessions(until).await.unwrap(), 1);
        assert!(
            s.session(b"digest-1", T0).await.unwrap().is_none(),
            "forgotten"
        );
    }

    pub async fn disabling_an_account_or_changing_its_password_ends_its_sessions(db: &TestDb) {
        let s = &db.store;
        s.create_account(account("acme", "alice", Role::Agent), T0)
            .await
            .unwrap();
        s.create_account(account("acme", "bob", Role::Agent), T0)
            .await
            .unwrap();
        let until = T0 + secs(3600);
        s.create_session(session(b"alice-1", "acme", "alice", until))
            .await
            .unwrap();
        s.create_session(session(b"bob-1", "acme", "bob", until))
            .await
            .unwrap();
        assert!(s
            .set_account_disabled("acme", "alice", true, T0)
            .await
            .unwrap());
        assert!(s.session(b"alice-1", T0).await.unwrap().is_none());
        assert!(s.account("acme", "alice").await.unwrap().unwrap().disabled);
        // A session made while disabled (a race with sign-in) is still not honoured.
        s.create_session(session(b"alice-2", "acme", "alice", until))
            .await
            .unwrap();
        assert!(s.session(b"alice-2", T0).await.unwrap().is_none());
        assert!(s
            .set_account_disabled("acme", "alice", false, T0)
            .await
            .unwrap());
        assert!(s.session(b"alice-2", T0).await.unwrap().is_some());
        assert!(s
            .set_password_hash("acme", "alice", "$argon2id$new", T0 + secs(1))
            .await
            .unwrap());
        assert!(s.session(b"alice-2", T0).await.unwrap().is_none());
        assert_eq!(
            s.account("acme", "alice")
                .await
                .unwrap()
                .unwrap()
                .password_hash,
            "$argon2id$new"
        );
        assert!(
            s.session(b"bob-1", T0).await.unwrap().is_some(),
            "bob is untouched"
        );
        assert!(!s
            .set_account_disabled("acme", "nobody", true, T0)
            .await
            .unwrap());
        assert!(!s
            .set_password_hash("acme", "nobody", "x", T0)
            .await
            .unwrap());
    }

    pub async fn signing_out_everywhere_deletes_every_session_of_the_account_only(db: &TestDb) {
        let s = &db.store;
        s.create_account(account("acme", "alice", Role::Agent), T0)
            .await
            .unwrap();
        s.create_account(account("globex", "alice", Role::Agent), T0)
            .await
            .unwrap();
        let until = T0 + secs(3600);
        for d in [&b"a1"[..], b"a2", b"a3"] {
            s.create_session(session(d, "acme", "alice", until))
                .await
                .unwrap();
        }
        s.create_session(session(b"g1", "globex", "alice", until))
            .await
            .unwrap();
        assert!(s.delete_session(b"a1").await.unwrap());
        assert!(!s.delete_session(b"a1").await.unwrap());
        assert_eq!(s.delete_account_sessions("acme", "alice").await.unwrap(), 2);
        assert!(s.session(b"a3", T0).await.unwrap().is_none());
        assert!(s.session(b"g1", T0).await.unwrap().is_some());
        // A removed tenant's sessions, of every account, end; another tenant's stay.
        s.create_account(account("acme", "bob", Role::Supervisor), T0)
            .await
            .unwrap();
        s.create_session(session(b"a4", "acme", "alice", until))
            .await
            .unwrap();
        s.create_session(session(b"a5", "acme", "bob", until))
            .await
            .unwrap();
        assert_eq!(s.delete_tenant_sessions("acme").await.unwrap(), 2);
        assert!(s.session(b"a5", T0).await.unwrap().is_none());
        assert!(s.session(b"g1", T0).await.unwrap().is_some());
    }

    pub async fn a_refused_link_says_so_until_the_agent_links_again(db: &TestDb) {
        let s = &db.store;
        assert!(s.link_summary("acme", "alice").await.unwrap().is_none());
        assert!(!s.mark_link_refused("acme", "alice", T0).await.unwrap());
        s.save_link("acme", "alice", link_for("alice.t", "at", "rt"))
            .await
            .unwrap();
        let linked = s.link_summary("acme", "alice").await.unwrap().unwrap();
        assert_eq!(
            (linked.crm_user_name.as_str(), linked.refused_at),
            ("alice.t", None)
        );
        assert!(s.mark_link_refused("acme", "alice", T0).await.unwrap());
        assert_eq!(
            s.link_summary("acme", "alice")
                .await
                .unwrap()
                .unwrap()
                .refused_at,
            Some(T0)
        );
        s.save_link("acme", "alice", link_for("alice.t", "at2", "rt2"))
            .await
            .unwrap();
        assert_eq!(
            s.link_summary("acme", "alice")
                .await
                .unwrap()
                .unwrap()
                .refused_at,
            None
        );
    }

    pub async fn restart_keeps_everything(db: &TestDb) {
        let s = &db.store;
        let done = s.enqueue(case_item("acme", "call-done")).await.unwrap().id;
        let leased = s
            .enqueue(case_item("acme", "call-leased"))
            .await
            .unwrap()
            .id;
        let waiting = s
            .enqueue(case_item("acme", "call-waiting"))
            .await
            .unwrap()
            .id;
        let dead = s.enqueue(case_item("acme", "call-dead")).await.unwrap().id;
        let claimed = s.claim_due(T0, 10, secs(30)).await.unwrap();
        assert_eq!(claimed.len(), 4);
        s.complete(done, json!({"sys_id": "c-done"})).await.unwrap();
        s.retry_later(waiting, T0 + secs(600), "CRM down")
            .await
            .unwrap();
        s.dead_letter(dead, "rejected: invalid column")
            .await
            .unwrap();
        // `leased` stays leased: the process stops mid-attempt.
        s.record_event_once("acme", "evt-1", T0).await.unwrap();
        let link = link_for("alice", "tok", "ref");
        s.save_link("acme", "alice", link.clone()).await.unwrap();
        s.put_secret("acme", "oauth_client_secret", "cs")
            .await
            .unwrap();
        let case = CaseRef {
            id: RecordId::new("c-done"),
            label: "CS0000001".into(),
        };
        s.save_case_for_call("acme", &CallId::new("call-done"), case.clone())
            .await
            .unwrap();
        s.close().await;

        let s = db.reopen(db.key.clone()).await;
        assert_eq!(s.pending_count("acme").await.unwrap(), 2);
        assert_eq!(
            s.outbox_result("acme", "create_case", "call-done")
                .await
                .unwrap(),
            Some(json!({"sys_id": "c-done"}))
        );
        let again = s.enqueue(case_item("acme", "call-done")).await.unwrap();
        assert_eq!((again.id, again.created), (done, false));
        assert_eq!(s.dead_letters("acme").await.unwrap()[0].id, dead);
        assert!(!s.record_event_once("acme", "evt-1", T0).await.unwrap());
        assert_eq!(s.link("acme", "alice").await.unwrap(), Some(link));
        assert_eq!(
            s.get_secret("acme", "oauth_client_secret")
                .await
                .unwrap()
                .as_deref(),
            Some("cs")
        );
        assert_eq!(
            s.case_for_call("acme", &CallId::new("call-done"))
                .await
                .unwrap(),
            Some(case)
        );
        // The leased item comes back when its lease runs out, the waiting one when due.
        assert!(s
            .claim_due(T0 + secs(29), 10, LEASE)
            .await
            .unwrap()
            .is_empty());
        let c = s.claim_due(T0 + secs(30), 10, secs(3600)).await.unwrap();
        assert_eq!((c.len(), c[0].id, c[0].attempt), (1, leased, 2));
        let c = s.claim_due(T0 + secs(600), 10, LEASE).await.unwrap();
        assert_eq!((c.len(), c[0].id, c[0].attempt), (1, waiting, 2));
        s.close().await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

macro_rules! store_tests {
    ($($rule:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $rule() {
                    let db = super::TestDb::sqlite().await;
                    super::rules::$rule(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $rule() {
                    let Some(db) = super::TestDb::postgres(stringify!($rule)).await else {
                        return;
                    };
                    super::rules::$rule(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

store_tests!(
    recordings_are_found_listed_by_age_and_marked_removed,
    the_audits_are_pruned_per_tenant_oldest_first_in_bounded_batches,
    the_admin_audit_and_the_listen_audit_are_read_through_one_filter,
    a_discarded_dead_letter_is_kept_but_never_listed_or_replayed,
    enqueue_twice_is_one_item,
    claimed_item_is_invisible_to_a_second_claimer_until_its_lease_expires,
    concurrent_claimers_never_get_the_same_item_twice,
    dead_letter_and_replay,
    retry_later_makes_the_item_due_at_the_given_time_and_keeps_the_error,
    completed_item_keeps_its_result_for_lookups,
    late_transitions_on_finished_items_change_nothing_and_unknown_ids_fail,
    a_killed_worker_item_is_claimed_again_after_its_lease_expires,
    claims_come_oldest_due_first_within_the_limit,
    an_event_id_is_processed_once_per_tenant,
    an_event_id_reused_with_another_body_is_told_apart_from_a_retry,
    a_renewed_lease_holds_the_item_and_a_lost_one_cannot_be_renewed,
    a_stopped_processes_leases_are_released_at_start_for_its_own_tenants_only,
    events_older_than_the_retention_window_are_pruned,
    accepted_events_are_kept_for_replay_in_arrival_order,
    a_call_has_one_record_and_recent_records_come_newest_first,
    the_charts_read_a_period_of_calls_with_their_wait_from_the_record,
    links_round_trip_and_tokens_are_never_stored_in_clear,
    decrypting_with_the_wrong_key_fails_clearly,
    a_swapped_ciphertext_between_two_agents_fails,
    tenant_secrets_round_trip_and_are_bound_to_their_name,
    store_tenants_are_versioned_and_their_secrets_sealed,
    the_first_case_recorded_for_a_call_wins,
    a_link_ticket_is_spent_once_until_refunded_and_forgotten_after_expiry,
    restart_keeps_everything,
    rows_written_before_the_neutral_column_names_read_back_after_them,
    a_user_name_is_unique_per_tenant,
    sessions_are_found_by_digest_until_they_expire,
    disabling_an_account_or_changing_its_password_ends_its_sessions,
    signing_out_everywhere_deletes_every_session_of_the_account_only,
    a_refused_link_says_so_until_the_agent_links_again,
);

// ---- SQLite-only: opening ----

#[tokio::test]
async fn open_errors_name_the_url_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}/no/such/dir/state.db", dir.path().display());
    let err = Store::open(&missing, SecretKey::generate())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot open the database at {missing}: ")),
        "{msg}"
    );
    assert!(msg.contains("directory exists"), "{msg}");

    let err = Store::open("mysql://root:hunter2@localhost/x", SecretKey::generate())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("unsupported database URL"), "{msg}");
    assert!(msg.contains("mysql://root:***@localhost/x"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");

    // Port 1 on the loopback interface: nothing listens there.
    let err = Store::open(
        "postgres://cb:hunter2@127.0.0.1:1/callbridge",
        SecretKey::generate(),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot open the database at postgres://cb:***@127.0.0.1:1/callbridge: "),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[tokio::test]
async fn a_database_from_a_newer_version_fails_migration_clearly() {
    let db = TestDb::sqlite().await;
    db.store.close().await;
    let pool = SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let err = Store::open(&db.url, db.key.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::Migration { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("migration of the database at "), "{msg}");
    assert!(msg.contains("newer Callbridge"), "{msg}");
}

#[tokio::test]
async fn an_in_memory_store_works_for_demos_and_unit_tests() {
    let s = Store::open("sqlite::memory:", SecretKey::generate())
        .await
        .unwrap();
    let id = s.enqueue(case_item("acme", "call-1")).await.unwrap().id;
    let c = s.claim_due(T0, 10, LEASE).await.unwrap();
    assert_eq!(c[0].id, id);
    s.save_link("acme", "alice", link_for("alice", "t", "r"))
        .await
        .unwrap();
    assert_eq!(
        s.link("acme", "alice").await.unwrap().unwrap().access_token,
        "t"
    );
}

#[test]
fn with_database_replaces_only_the_database() {
    assert_eq!(
        with_database(
            "postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable",
            "x"
        ),
        "postgres://u:p@127.0.0.1:5433/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
}
