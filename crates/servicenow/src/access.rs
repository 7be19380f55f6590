//! What a credential may read, and which role grants it. A read ACL denial is a 403 (§1.6:
//! "Insufficient rights to query records"), so reading one row of a table with the credential
//! itself is the only answer that counts: it applies every ACL the instance has, including
//! customised ones, which a look at the user's roles would miss.

use crate::client::{Auth, TableClient};
use crate::error::ApiError;
use crate::names::{ColumnName, TableName};
use crate::query::Query;

/// The outcome of trying to read `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadAccess {
    /// The Table API answered (the table may be empty, or row ACLs may hide every row).
    Allowed,
    /// A read ACL refused it (403), with the instance's message.
    Denied(String),
}

/// Reads at most one `sys_id` of `table` with `auth`. A 403 is an answer (`Denied`), anything
/// else that fails (unreachable, 401, invalid table) is an error.
pub async fn read_access(
    client: &TableClient,
    auth: &Auth,
    table: &TableName,
) -> Result<ReadAccess, ApiError> {
    let sys_id = ColumnName::new("sys_id").expect("valid column name");
    match client.list(auth, table, &Query::new(), &[sys_id], 1).await {
        Ok(_) => Ok(ReadAccess::Allowed),
        Err(ApiError::Forbidden { message, detail }) => Ok(ReadAccess::Denied(match detail {
            Some(detail) => format!("{message}: {detail}"),
            None => message,
        })),
        Err(e) => Err(e),
    }
}

/// The role whose base-system ACLs grant reading and creating `table`, for the tables of the CSM
/// plugin: `sn_customerservice_agent` (consumers are also readable with
/// `sn_customerservice.consumer_agent`, but the agent role covers every CSM table Callbridge
/// uses, so it is the one to name). `None` for other tables: their ACLs are the customer's own.
pub fn csm_role(table: &str) -> Option<&'static str> {
    match table {
        "customer_contact" | "customer_account" | "csm_consumer" | "sn_customerservice_case" => {
            Some("sn_customerservice_agent")
        }
        _ => None,
    }
}
