//! The store's error type: each message says what failed and what a person can do about it.

use crate::OutboxId;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no database kind the store supports.
    #[error(
        "unsupported database URL {url:?}: use sqlite:PATH (e.g. sqlite:///var/lib/callbridge/state.db) \
         or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl {
        /// The URL, password hidden.
        url: String,
    },

    /// The database could not be reached or opened.
    #[error("cannot open the database at {url}: {reason}")]
    Open {
        /// The URL, password hidden.
        url: String,
        /// What the driver said, with a hint where one helps.
        reason: String,
    },

    /// Bringing the schema up to date failed.
    #[error(
        "migration of the database at {url} failed: {source} (a database written by a newer \
         Callbridge, or edited by hand, cannot be migrated; restore a backup or point at a fresh database)"
    )]
    Migration {
        /// The URL, password hidden.
        url: String,
        /// What sqlx's migrator said.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A query failed (connection lost, disk full, constraint, ...).
    #[error("database error while trying to {operation}: {source}")]
    Database {
        /// What the store was doing, e.g. "claim due outbox items".
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// An encrypted value did not authenticate.
    #[error(
        "the {what} cannot be decrypted: wrong master key or tampered row (check that the \
         configured master key is the one this database was written with; if it is, re-link the \
         account or re-enter the credential)"
    )]
    Decrypt {
        /// Which value, e.g. `access_token of agent "a7" in tenant "acme"`.
        what: String,
    },

    /// An outbox id that names no item.
    #[error("outbox item {0} does not exist")]
    UnknownOutboxItem(OutboxId),

    /// Creating a tenant the store already keeps.
    #[error("the store already keeps a tenant {tenant:?}: choose another id")]
    TenantExists { tenant: String },

    /// Saving a tenant the store does not keep.
    #[error("the store keeps no tenant {tenant:?}")]
    UnknownTenant { tenant: String },

    /// Saving a tenant from a version older than its current one.
    #[error(
        "tenant {tenant:?} was changed by someone else meanwhile (edited version {edited}, now \
         version {current}): load it again, redo the change and save"
    )]
    VersionConflict {
        tenant: String,
        edited: i64,
        current: i64,
    },

    /// A stored value that this version cannot read (invalid JSON, out-of-range timestamp, ...).
    #[error("corrupt row in the store: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn db(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { operation, source }
    }
}

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The URL with any password replaced by `***`, for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact_url("postgres://cb:s3cret@db:5432/callbridge"),
            "postgres://cb:***@db:5432/callbridge"
        );
        assert_eq!(
            redact_url("postgres://cb:p@ss@db/x?sslmode=require"),
            "postgres://cb:***@db/x?sslmode=require"
        );
        assert_eq!(redact_url("postgres://cb@db/x"), "postgres://cb@db/x");
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
        assert_eq!(redact_url("sqlite:state.db"), "sqlite:state.db");
    }
}
