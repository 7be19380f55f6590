-- Callbridge store, PostgreSQL schema v1.
-- Same shape as the SQLite schema so one set of queries serves both: timestamps are microseconds
-- since the Unix epoch (UTC) in BIGINT columns, JSON is TEXT (kept byte-for-byte as written),
-- encrypted values are BYTEA (version byte, nonce, ciphertext+tag).

CREATE TABLE outbox (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant           TEXT   NOT NULL,
    kind             TEXT   NOT NULL,
    idempotency_key  TEXT   NOT NULL,
    payload          TEXT   NOT NULL,
    status           TEXT   NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'dead')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    leased_until     BIGINT,
    last_error       TEXT,
    result           TEXT,
    dead_reason      TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT,
    UNIQUE (tenant, kind, idempotency_key)
);

-- What claim_due scans: only pending items, in due order.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_tenant_status ON outbox (tenant, status);

CREATE TABLE processed_events (
    tenant       TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant, event_id)
);

CREATE INDEX processed_events_received ON processed_events (received_at);

CREATE TABLE agent_links (
    tenant             TEXT   NOT NULL,
    agent_id           TEXT   NOT NULL,
    crm_user_sys_id    TEXT   NOT NULL,
    crm_user_name      TEXT   NOT NULL,
    access_token       BYTEA  NOT NULL,
    refresh_token      BYTEA  NOT NULL,
    access_expires_at  BIGINT NOT NULL,
    linked_at          BIGINT NOT NULL,
    PRIMARY KEY (tenant, agent_id)
);

CREATE TABLE tenant_secrets (
    tenant      TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    value       BYTEA  NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant, name)
);

CREATE TABLE call_cases (
    tenant       TEXT   NOT NULL,
    call_id      TEXT   NOT NULL,
    sys_id       TEXT   NOT NULL,
    number       TEXT   NOT NULL,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant, call_id)
);
