-- The latest successful screen-pop lookup of each call, so a replay after a restart shows the
-- pop from it instead of searching the CRM again.
CREATE TABLE lookup_outcomes (
    tenant       TEXT   NOT NULL,
    call_id      TEXT   NOT NULL,
    recorded_at  BIGINT NOT NULL,
    payload      TEXT   NOT NULL,
    PRIMARY KEY (tenant, call_id)
);

CREATE INDEX lookup_outcomes_recorded ON lookup_outcomes (recorded_at);
