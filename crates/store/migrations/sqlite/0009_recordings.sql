-- Recordings in a tenant's object store, one per call: where the WAV is (its key), its size,
-- and, once the tenant's retention has removed it, when. The recording page reads it to serve
-- the audio and to say "still uploading" (no row yet) or "removed by retention".
CREATE TABLE recordings (
    tenant      TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    stored_at   BIGINT NOT NULL,
    removed_at  BIGINT,
    PRIMARY KEY (tenant, call_id)
);
CREATE INDEX recordings_by_age ON recordings (tenant, stored_at);

-- Every open of a recording page, every media fetch and every retention deletion: who (the
-- viewer as shown, and the CRM user id when signed in with the CRM), when (UTC microseconds),
-- which call, from where (the client's address), allowed or refused, and why.
CREATE TABLE listen_audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    at           BIGINT NOT NULL,
    action       TEXT NOT NULL,
    viewer       TEXT NOT NULL,
    crm_user_id  TEXT,
    source       TEXT NOT NULL,
    allowed      BOOLEAN NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX listen_audit_by_time ON listen_audit (tenant, at);
