//! Durability: a single writer thread owns the SQLite connection and commits changes in the order
//! they were made in memory, grouping whatever is queued into one transaction (group commit), so
//! a burst of writes costs one fsync rather than one each. A request is answered only after its
//! change is committed: an accepted record survives a crash.
//!
//! rusqlite rather than sqlx here: this is synchronous bulk work on one connection (a million
//! rows written at first start and read back at every start), where prepared statements on a
//! plain thread are several times faster than an async driver.

use std::path::Path;

use anyhow::Context;
use rusqlite::{params, Connection};
use tokio::sync::{mpsc, oneshot};

/// One durable change.
#[derive(Debug)]
pub enum Change {
    /// Insert or replace a record; `data` is a JSON object of its non-empty values.
    Upsert {
        table: String,
        sys_id: String,
        data: String,
    },
    Delete {
        table: String,
        sys_id: String,
    },
    /// Opaque key/value state (OAuth tokens, sandbox credentials).
    PutState {
        key: String,
        value: String,
    },
    DeleteState {
        key: String,
    },
    /// Nothing to write: completes once everything queued before it is committed.
    Barrier,
}

type Queued = (Change, Option<oneshot::Sender<()>>);

#[derive(Clone)]
pub struct Persist {
    tx: mpsc::UnboundedSender<Queued>,
}

/// Rows read back at start-up, in the order they were first written.
pub struct Loaded {
    pub records: Vec<(String, String, String)>,
    pub state: Vec<(String, String)>,
}

impl Persist {
    /// Opens (creating if needed) `dir/sandbox.sqlite`, reads everything back and starts the writer.
    pub fn open(dir: &Path) -> anyhow::Result<(Persist, Loaded)> {
        let path = dir.join("sandbox.sqlite");
        // Owner-only before SQLite opens it: SQLite gives the WAL and shared-memory files the
        // database's mode. Files an older version left readable are tightened too.
        crate::private::touch_file(&path)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            crate::private::tighten(Path::new(&side))?;
        }
        let conn = Connection::open(&path)
            .with_context(|| format!("opening the sandbox database {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS records (
                 tbl TEXT NOT NULL, sys_id TEXT NOT NULL, data TEXT NOT NULL,
                 PRIMARY KEY (tbl, sys_id));
             CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )
        .with_context(|| format!("preparing the sandbox database {}", path.display()))?;
        let records = {
            let mut stmt = conn.prepare("SELECT tbl, sys_id, data FROM records ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("reading records from {}", path.display()))?
        };
        let state = {
            let mut stmt = conn.prepare("SELECT key, value FROM state ORDER BY rowid")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("sandbox-db-writer".into())
            .spawn(move || writer(conn, rx))
            .context("starting the sandbox database writer")?;
        Ok((Persist { tx }, Loaded { records, state }))
    }

    /// Queues a change; the returned receiver completes once it is committed. Queue order is
    /// commit order, so callers enqueue while still holding the lock that ordered the change.
    pub fn enqueue(&self, change: Change) -> oneshot::Receiver<()> {
        let (done, wait) = oneshot::channel();
        let _ = self.tx.send((change, Some(done)));
        wait
    }

    /// Waits until every change queued so far is committed (changes are committed in order).
    pub async fn flush(&self) -> anyhow::Result<()> {
        committed(self.enqueue(Change::Barrier)).await
    }

    /// Queues a change nobody waits for.
    pub fn enqueue_detached(&self, change: Change) {
        let _ = self.tx.send((change, None));
    }
}

/// Waits for a queued change to be committed. An error means the writer failed (disk full, the
/// database file removed): the caller must not report success.
pub async fn committed(wait: oneshot::Receiver<()>) -> anyhow::Result<()> {
    wait.await.map_err(|_| {
        anyhow::anyhow!(
            "the sandbox database could not save the change (see the log for the cause)"
        )
    })
}

fn writer(mut conn: Connection, mut rx: mpsc::UnboundedReceiver<Queued>) {
    const MAX_BATCH: usize = 20_000;
    let mut batch: Vec<Queued> = Vec::with_capacity(1024);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &batch) {
            Ok(()) => {
                for (_, done) in batch.drain(..) {
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                }
            }
            Err(error) => {
                // Dropping the senders tells every waiter its change was not saved.
                tracing::error!(%error, "sandbox database write failed");
                batch.clear();
            }
        }
    }
}

fn commit(conn: &mut Connection, batch: &[Queued]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO records (tbl, sys_id, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (tbl, sys_id) DO UPDATE SET data = excluded.data",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM records WHERE tbl = ?1 AND sys_id = ?2")?;
        let mut put_state = tx.prepare_cached(
            "INSERT INTO state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        let mut delete_state = tx.prepare_cached("DELETE FROM state WHERE key = ?1")?;
        for (change, _) in batch {
            match change {
                Change::Upsert {
                    table,
                    sys_id,
                    data,
                } => {
                    upsert.execute(params![table, sys_id, data])?;
                }
                Change::Delete { table, sys_id } => {
                    delete.execute(params![table, sys_id])?;
                }
                Change::PutState { key, value } => {
                    put_state.execute(params![key, value])?;
                }
                Change::DeleteState { key } => {
                    delete_state.execute(params![key])?;
                }
                Change::Barrier => {}
            }
        }
    }
    tx.commit()
}
