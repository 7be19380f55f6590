//! Callbridge's durable state, on SQLite (the default, one file) or PostgreSQL (scale-out: several
//! Callbridge processes sharing one database).
//!
//! Plain types in, plain types out: the store knows nothing about ServiceNow's wire format or SIP.
//! One [`Store`] value (cheap to clone, share it between tasks) holds:
//!
//! - **The outbox** — every CRM write is first an [`OutboxItem`] with an idempotency key (the call
//!   id for "create the Case"). Enqueuing the same `(tenant, kind, key)` twice is a no-op that
//!   returns the existing id, so duplicate events cannot create a second intent. Workers
//!   [`claim_due`](Store::claim_due) items under a lease, then [`complete`](Store::complete),
//!   [`retry_later`](Store::retry_later) or [`dead_letter`](Store::dead_letter) them, renewing
//!   the lease while they work ([`renew_lease`](Store::renew_lease)). A worker that dies
//!   mid-attempt loses nothing: its lease runs out and the next claim hands the item out again,
//!   or sooner, when the process serving the tenant starts and
//!   [`release_leases`](Store::release_leases) the rows a stopped process held (at-least-once
//!   hand-off; the CRM adapter makes the write itself idempotent by looking the correlation id
//!   up before it creates).
//! - **Processed inbound events** — [`record_event_checked`](Store::record_event_checked) makes
//!   the call-events API idempotent by event id (per tenant) and, comparing the body's digest,
//!   tells a retry from another event reusing the id; [`prune_events`](Store::prune_events)
//!   forgets old ids.
//! - **Agent CRM links and tenant secrets, encrypted at rest** with ChaCha20-Poly1305 under the
//!   master [`SecretKey`] given to [`Store::open`]. Each value gets a random nonce, and the
//!   associated data binds it to its tenant, agent (or secret name) and field, so a ciphertext
//!   moved to another row fails to decrypt rather than authenticating someone else.
//! - **Call/Case bookkeeping** — which Case a call produced ([`case_for_call`](Store::case_for_call)).
//! - **The call history** — [`call_history`](Store::call_history): call records filtered and
//!   paged newest first by a keyset cursor, with each call's Case and recording state.
//! - **Accounts and sessions** — people who sign in ([`Account`], a [`Role`] each, an Argon2id
//!   hash made by the web edge) and their sessions, kept by the SHA-256 of the session id only;
//!   a session is returned only while unexpired and its account enabled
//!   ([`session`](Store::session)); disabling an account or changing its password ends its
//!   sessions. An agent's link can be marked refused ([`mark_link_refused`](Store::mark_link_refused)).
//! - **Recordings and the listen audit** — where each call's recording is stored and whether
//!   retention removed it ([`recording`](Store::recording)); every open, media fetch and retention
//!   deletion ([`audit_listen`](Store::audit_listen)).
//! - **The admin audit** — every change made through the console's admin routes and every
//!   attempt refused ([`audit_admin`](Store::audit_admin)); both audits are read through one
//!   [`AuditFilter`] (time range, user, call, allowed or refused), newest first.
//! - **Tenants kept in the store** — set up in the console: the TOML text of each one's
//!   `[[tenant]]` table, versioned ([`save_store_tenant`](Store::save_store_tenant) refuses a
//!   save from an old version), with its secrets sealed ([`StoreTenant`]).
//! - **Spent CRM-link tickets** — [`spend_link_ticket`](Store::spend_link_ticket) makes each link
//!   ticket start one sign-in (only the ticket's digest is kept, until it expires).
//!
//! # Choices
//!
//! - **An enum over `SqlitePool` / `PgPool`, not `sqlx::AnyPool`.** The two engines need
//!   different SQL exactly where it matters (claiming uses `FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL and a `BEGIN IMMEDIATE` transaction around one `UPDATE … RETURNING` on SQLite),
//!   need different connection settings (WAL, `synchronous = FULL`, busy timeout for SQLite), and
//!   have different migrations. With the enum each backend gets its native driver, native type
//!   mapping (`BYTEA`/`BLOB` without `Any`'s lowest-common-denominator conversions) and its own
//!   embedded migration set, while the queries they share are written once (SQLite accepts the
//!   same `$1` placeholders) and expanded for both pools by a small macro.
//! - **Embedded migrations** (`sqlx::migrate!`) in `migrations/sqlite` and `migrations/postgres`,
//!   run by [`Store::open`]. The schemas have the same shape; only the types differ.
//! - **Timestamps are UTC microseconds since the Unix epoch in 64-bit integer columns** on both
//!   engines: exact round trips of [`time::OffsetDateTime`] (to the microsecond), plain integer
//!   comparisons for "due" and "lease expired", and no time-zone settings involved. All times that
//!   drive behaviour (`now`, retry times) come from the caller, so the integration engine's clock
//!   is the only clock; the store reads the system clock only for informational columns
//!   (`created_at`, `finished_at`).
//! - **JSON is stored as text**, byte-for-byte as serialised, on both engines.
//! - **Durability over raw speed on SQLite**: WAL with `synchronous = FULL`, so an acknowledged
//!   enqueue survives a power cut, not only a process crash.
//!
//! # URLs
//!
//! `sqlite:PATH` / `sqlite://PATH` (the file is created if missing; `sqlite::memory:` for a
//! throwaway store) and `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`).
//!
//! # Tests and benchmark
//!
//! `cargo test -p callbridge-store` runs every rule against a SQLite file, and against
//! PostgreSQL too when `CALLBRIDGE_TEST_POSTGRES_URL` is set (otherwise those tests print a
//! notice and pass without running). `crates/store/scripts/with-postgres.sh COMMAND` provides a
//! throwaway server on 127.0.0.1 and sets the variable. `cargo bench -p callbridge-store --bench
//! outbox` prints the SQLite outbox throughput.

mod accounts;
mod admin_audit;
mod call_history;
mod call_records;
mod call_stats;
mod cases;
mod crypto;
mod error;
mod events;
mod links;
mod outbox;
mod recordings;
mod tenants;
mod tickets;
mod time_conv;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::Connection as _;

pub use accounts::{Account, LinkSummary, NewAccount, NewSession, Role, SessionView, UnknownRole};
pub use admin_audit::{AdminEntry, AdminOutcome, AuditFilter};
pub use call_history::{CallHistoryFilter, CallHistoryRow, RecordingState};
pub use call_records::CallRecordRow;
pub use call_stats::ChartCallRow;
pub use callbridge_kernel::ids::CaseRef;
pub use crypto::{SecretKey, SecretKeyError, SECRET_KEY_LEN};
pub use error::{Result, StoreError};
pub use events::EventRecorded;
pub use links::AgentLink;
pub use outbox::{ClaimedItem, Enqueued, OutboxId, OutboxItem, OutboxRecord, OutboxStatus};
pub use recordings::{ListenAction, ListenEntry, RecordingRow};
pub use tenants::{SecretChange, StoreTenant};

use crypto::Cipher;
use error::redact_url;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const SQLITE_MAX_CONNECTIONS: u32 = 8;
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (or memory).
    Sqlite,
    /// A PostgreSQL database, possibly shared by several Callbridge processes.
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool the store has; `$p` is bound to the pool.
/// The block is type-checked once per backend, so queries, binds and row decoding written in
/// it are native to each driver.
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Callbridge's durable state. Clone it freely: clones share the connection pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    cipher: Arc<Cipher>,
    url: Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating a SQLite file if needed) the database at `url`, brings its schema up to
    /// date and uses `key` to encrypt and decrypt secrets.
    pub async fn open(url: &str, key: SecretKey) -> Result<Store> {
        let shown = redact_url(url);
        let lower = url.to_ascii_lowercase();
        let pool = if lower.starts_with("sqlite:") {
            Pool::Sqlite(open_sqlite(url, &shown).await?)
        } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Pool::Postgres(open_postgres(url, &shown).await?)
        } else {
            return Err(StoreError::UnsupportedUrl { url: shown });
        };
        let migrated = match &pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        };
        if let Err(source) = migrated {
            return Err(StoreError::Migration { url: shown, source });
        }
        Ok(Store {
            pool,
            cipher: Arc::new(Cipher::new(&key)),
            url: shown.into(),
        })
    }

    /// The engine this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database URL with any password hidden, for logs.
    pub fn display_url(&self) -> &str {
        &self.url
    }

    /// Closes every connection, waiting for queries in flight. Later calls on any clone fail.
    pub async fn close(&self) {
        with_pool!(&self.pool, |p| p.close().await)
    }
}

async fn open_sqlite(url: &str, shown: &str) -> Result<SqlitePool> {
    let open_err = |reason: String| StoreError::Open {
        url: shown.to_owned(),
        reason,
    };
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| open_err(format!("invalid SQLite URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let lower = url.to_ascii_lowercase();
    let in_memory = lower.contains(":memory:") || lower.contains("mode=memory");
    let pool_options = if in_memory {
        // An in-memory database lives as long as its one connection: never let it go.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(SQLITE_MAX_CONNECTIONS)
    };
    let hint = |e: sqlx::Error| {
        open_err(format!(
            "{e} (check that the directory exists and that Callbridge may write there)"
        ))
    };
    if !in_memory {
        owner_only_database(options.get_filename()).map_err(|e| {
            open_err(format!(
                "{e} (check that the directory exists and that Callbridge may write there)"
            ))
        })?;
        // One direct attempt first: the pool would retry a hopeless URL until its acquire
        // timeout, and a wrong path should fail at once.
        let probe = SqliteConnection::connect_with(&options)
            .await
            .map_err(hint)?;
        let _ = probe.close().await;
    }
    pool_options
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(hint)
}

/// The database holds agents' CRM links and tenant secrets (sealed) and customers' numbers:
/// it is created owner-only before SQLite opens it, because SQLite gives the WAL and
/// shared-memory files the database file's mode. Files an older version left readable are
/// tightened.
#[cfg(unix)]
fn owner_only_database(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only_database(_path: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

async fn open_postgres(url: &str, shown: &str) -> Result<PgPool> {
    let open_err = |reason: String| StoreError::Open {
        url: shown.to_owned(),
        reason,
    };
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| open_err(format!("invalid PostgreSQL URL: {e}")))?;
    let hint = |e: sqlx::Error| {
        open_err(format!(
            "{e} (check that the server is running and reachable, and the user, password and database name)"
        ))
    };
    // One direct attempt first, so that an unreachable server or a refused login fails at once
    // instead of after the pool's acquire timeout.
    let probe = PgConnection::connect_with(&options).await.map_err(hint)?;
    let _ = probe.close().await;
    PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(hint)
}
