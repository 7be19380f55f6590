//! Durability: a single writer task owns the SQLite connection and commits changes in the order
//! they were made in memory, grouping whatever is queued into one transaction (group commit), so
//! a burst of writes costs one fsync rather than one each. A request is answered only after its
//! change is committed: an accepted record survives a crash.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Row as _, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

/// One durable change.
#[derive(Debug)]
pub enum Change {
    /// Insert or replace a record; `data` is a JSON object of its non-empty values.
    Upsert { table: String, sys_id: String, data: String },
    Delete { table: String, sys_id: String },
    /// Opaque key/value state (OAuth tokens, sandbox credentials).
    PutState { key: String, value: String },
    DeleteState { key: String },
}

#[derive(Clone)]
pub struct Persist {
    tx: mpsc::UnboundedSender<(Change, Option<oneshot::Sender<()>>)>,
}

/// Rows read back at start-up, in the order they were first written.
pub struct Loaded {
    pub records: Vec<(String, String, String)>,
    pub state: Vec<(String, String)>,
}

impl Persist {
    /// Opens (creating if needed) `dir/sandbox.sqlite`, reads everything back and starts the writer.
    pub async fn open(dir: &Path) -> anyhow::Result<(Persist, Loaded)> {
        let path = dir.join("sandbox.sqlite");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .with_context(|| format!("opening the sandbox database {}", path.display()))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS records (
                tbl TEXT NOT NULL, sys_id TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (tbl, sys_id))",
        )
        .execute(&mut conn)
        .await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .execute(&mut conn)
            .await?;
        let records = sqlx::query("SELECT tbl, sys_id, data FROM records ORDER BY rowid")
            .fetch_all(&mut conn)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let state = sqlx::query("SELECT key, value FROM state ORDER BY rowid")
            .fetch_all(&mut conn)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(conn, rx));
        Ok((Persist { tx }, Loaded { records, state }))
    }

    /// Queues a change; the returned receiver completes once it is committed. Queue order is
    /// commit order, so callers enqueue while still holding the lock that ordered the change.
    pub fn enqueue(&self, change: Change) -> oneshot::Receiver<()> {
        let (done, wait) = oneshot::channel();
        let _ = self.tx.send((change, Some(done)));
        wait
    }

    /// Queues a change nobody waits for.
    pub fn enqueue_detached(&self, change: Change) {
        let _ = self.tx.send((change, None));
    }
}

/// Waits for a queued change to be committed. An error means the writer died (disk full, the
/// database file removed): the caller must not report success.
pub async fn committed(wait: oneshot::Receiver<()>) -> anyhow::Result<()> {
    wait.await
        .map_err(|_| anyhow::anyhow!("the sandbox database writer stopped; the change was not saved"))
}

type Queued = (Change, Option<oneshot::Sender<()>>);

async fn writer(mut conn: SqliteConnection, mut rx: mpsc::UnboundedReceiver<Queued>) {
    const MAX_BATCH: usize = 5000;
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if let Err(error) = commit(&mut conn, &batch).await {
            // Dropping the senders tells every waiter the change was not saved.
            tracing::error!(%error, "sandbox database write failed");
            batch.clear();
            continue;
        }
        for (_, done) in batch.drain(..) {
            if let Some(done) = done {
                let _ = done.send(());
            }
        }
    }
}

async fn commit(conn: &mut SqliteConnection, batch: &[Queued]) -> sqlx::Result<()> {
    let mut tx = conn.begin().await?;
    for (change, _) in batch {
        match change {
            Change::Upsert { table, sys_id, data } => {
                sqlx::query(
                    "INSERT INTO records (tbl, sys_id, data) VALUES (?, ?, ?)
                     ON CONFLICT (tbl, sys_id) DO UPDATE SET data = excluded.data",
                )
                .bind(table)
                .bind(sys_id)
                .bind(data)
                .execute(&mut *tx)
                .await?;
            }
            Change::Delete { table, sys_id } => {
                sqlx::query("DELETE FROM records WHERE tbl = ? AND sys_id = ?")
                    .bind(table)
                    .bind(sys_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Change::PutState { key, value } => {
                sqlx::query(
                    "INSERT INTO state (key, value) VALUES (?, ?)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
            }
            Change::DeleteState { key } => {
                sqlx::query("DELETE FROM state WHERE key = ?")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await
}
