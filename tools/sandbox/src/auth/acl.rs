//! Table-level access controls (`sys_security_acl` + `sys_security_acl_role`).
//!
//! An operation on a table is allowed when the first table in its hierarchy (the table, then the
//! tables it extends) that has active ACLs for the operation has one the actor passes: no roles
//! listed, or one of the actor's roles. No ACL anywhere in the hierarchy means deny (the
//! high-security default). `admin` passes everything.

use crate::instance::Actor;
use crate::store::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Create,
    Write,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Create => "create",
            Operation::Write => "write",
            Operation::Delete => "delete",
        }
    }
}

pub fn allowed(db: &Db, actor: &Actor, table: &str, operation: Operation) -> bool {
    if actor.is_admin() {
        return true;
    }
    let mut current = Some(table.to_string());
    while let Some(name) = current {
        let acls: Vec<String> = db
            .find_eq("sys_security_acl", "name", &name)
            .iter()
            .filter(|a| a.get("operation") == operation.as_str() && a.get("active") != "false")
            .map(|a| a.get("sys_id").to_string())
            .collect();
        if !acls.is_empty() {
            return acls.iter().any(|acl| passes(db, actor, acl));
        }
        current = db.table_def(&name).and_then(|d| d.super_class.clone());
    }
    false
}

fn passes(db: &Db, actor: &Actor, acl_sys_id: &str) -> bool {
    let required: Vec<String> = db
        .find_eq("sys_security_acl_role", "sys_security_acl", acl_sys_id)
        .iter()
        .filter_map(|r| db.row_view("sys_user_role", r.get("sys_user_role")))
        .map(|role| role.get("name").to_string())
        .collect();
    required.is_empty() || required.iter().any(|r| actor.roles.contains(r))
}
