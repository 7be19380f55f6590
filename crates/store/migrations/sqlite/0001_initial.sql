-- Callbridge store, SQLite schema v1.
-- Timestamps are microseconds since the Unix epoch (UTC) in INTEGER columns.
-- JSON values are stored as TEXT; encrypted values as BLOB (version byte, nonce, ciphertext+tag).

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant           TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    leased_until     INTEGER,
    last_error       TEXT,
    result           TEXT,
    dead_reason      TEXT,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    UNIQUE (tenant, kind, idempotency_key)
);

-- What claim_due scans: only pending items, in due order.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_tenant_status ON outbox (tenant, status);

CREATE TABLE processed_events (
    tenant       TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, event_id)
) WITHOUT ROWID;

CREATE INDEX processed_events_received ON processed_events (received_at);

CREATE TABLE agent_links (
    tenant             TEXT    NOT NULL,
    agent_id           TEXT    NOT NULL,
    crm_user_sys_id    TEXT    NOT NULL,
    crm_user_name      TEXT    NOT NULL,
    access_token       BLOB    NOT NULL,
    refresh_token      BLOB    NOT NULL,
    access_expires_at  INTEGER NOT NULL,
    linked_at          INTEGER NOT NULL,
    PRIMARY KEY (tenant, agent_id)
) WITHOUT ROWID;

CREATE TABLE tenant_secrets (
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value       BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, name)
) WITHOUT ROWID;

CREATE TABLE call_cases (
    tenant       TEXT    NOT NULL,
    call_id      TEXT    NOT NULL,
    sys_id       TEXT    NOT NULL,
    number       TEXT    NOT NULL,
    recorded_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant, call_id)
) WITHOUT ROWID;
