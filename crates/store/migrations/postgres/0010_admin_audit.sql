-- Every change made through the console's admin routes, and every attempt refused: who (the
-- account's user name), when (UTC microseconds), what (the action, e.g. account.create), to what
-- (the target: a user name, outbox:<id>), the call it concerns if any, from where (the client's
-- address), the outcome (done, refused, failed) and the words that explain it.
CREATE TABLE admin_audit (
    id        BIGSERIAL PRIMARY KEY,
    tenant    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    call_id   TEXT,
    source    TEXT NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('done', 'refused', 'failed')),
    detail    TEXT NOT NULL
);
CREATE INDEX admin_audit_by_time ON admin_audit (tenant, at);

-- A dead letter an admin discarded: kept (with its payload) for the record, never replayed, no
-- longer listed among the dead letters.
ALTER TABLE outbox ADD COLUMN discarded_at BIGINT;
