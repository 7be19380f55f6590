-- People who sign in to Callbridge (agents, supervisors, admins), one user name per tenant.
-- `password_hash` is an Argon2id PHC string made by the web edge; the store never sees a password.
CREATE TABLE accounts (
    tenant        TEXT    NOT NULL,
    user_name     TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, user_name)
) WITHOUT ROWID;

-- Signed-in browsers. Only the SHA-256 of the session id is kept: a copy of the database does not
-- sign anybody in.
CREATE TABLE sessions (
    id_digest      BLOB    NOT NULL PRIMARY KEY,
    tenant         TEXT    NOT NULL,
    user_name      TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    client_address TEXT    NOT NULL,
    FOREIGN KEY (tenant, user_name) REFERENCES accounts (tenant, user_name) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX sessions_by_account ON sessions (tenant, user_name);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- When the CRM last refused the link's tokens for good (a refused refresh): the agent must link
-- again. Saving a link clears it.
ALTER TABLE agent_links ADD COLUMN refused_at INTEGER;
