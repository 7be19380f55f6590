-- Tenants set up in the console and kept here, next to the configuration file's. `config` is
-- the TOML text of one [[tenant]] table in the file's schema (docs/configuration.md), without
-- any secret: its secrets are rows of store_tenant_secrets, named by { store = "name" }.
-- `version` counts the saves from 1; a save names the version it edited, so two admins editing
-- at once cannot overwrite each other unseen. Times are UTC microseconds.
CREATE TABLE store_tenants (
    tenant      TEXT PRIMARY KEY,
    version     BIGINT NOT NULL CHECK (version >= 1),
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- A store tenant's secrets, each sealed with the master key (ChaCha20-Poly1305, bound to its
-- tenant and name). Written in the same transaction as the tenant's new version.
CREATE TABLE store_tenant_secrets (
    tenant  TEXT NOT NULL REFERENCES store_tenants (tenant) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   BYTEA NOT NULL,
    PRIMARY KEY (tenant, name)
);
