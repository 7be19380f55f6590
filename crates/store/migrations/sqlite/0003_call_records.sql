-- One call-detail record per finished call: the columns an operator filters and sorts on, and the
-- whole record (parties, agents offered, transfers, durations) as JSON for everything else.
CREATE TABLE call_records (
    tenant      TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    direction   TEXT NOT NULL,
    customer    TEXT NOT NULL,
    queue       TEXT,
    first_agent TEXT,
    last_agent  TEXT,
    outcome     TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (tenant, call_id)
);
CREATE INDEX call_records_by_start ON call_records (tenant, started_at);
