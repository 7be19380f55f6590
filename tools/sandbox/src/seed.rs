//! What a fresh instance contains: the platform rows every instance has (dictionary, roles,
//! ACLs, properties, an admin and a registered OAuth client) and, with `--seed demo`, a realistic
//! CSM data set with the phone-number mess real CRMs hold.

use std::collections::BTreeMap;

use crate::auth::password;
use crate::schema::{builtin_tables, Column, TableSpec};
use crate::store::Db;

/// Credentials generated for a fresh instance, printed at every start. At rest they are sealed
/// (`crate::credentials`); `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SandboxCredentials {
    pub admin_user: String,
    pub admin_password: String,
    pub client_id: String,
    pub client_secret: String,
    /// Each demo account's own password, by user name (empty without `--seed demo`). No two
    /// accounts share one: the printed agents' passwords must not open the integration's
    /// service account, which reads every customer.
    pub users: BTreeMap<String, String>,
}

impl SandboxCredentials {
    /// The password of a seeded account (the admin included), if the sandbox made it.
    pub fn password(&self, user: &str) -> Option<&str> {
        if user == self.admin_user {
            return Some(&self.admin_password);
        }
        self.users.get(user).map(String::as_str)
    }
}

impl std::fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"<redacted>")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The demo's accounts: (user name, first name, last name, roles).
pub const DEMO_USERS: [(&str, &str, &str, &[&str]); 4] = [
    (
        "alice.agent",
        "Alice",
        "Agent",
        &["sn_customerservice_agent"],
    ),
    ("bob.agent", "Bob", "Agent", &["sn_customerservice_agent"]),
    // An agent without CSM roles: the "not integrated" first answerer of the transfer rule.
    ("carol.norole", "Carol", "Norole", &[]),
    // The service account Callbridge writes Cases with (web services only, reads every customer).
    (
        "callbridge.integration",
        "Callbridge",
        "Integration",
        &["sn_customerservice_agent", "personalize_dictionary"],
    ),
];

/// Table-level ACLs: (table, operation, roles). No roles means any authenticated user; a table
/// and operation without an ACL row is denied to everyone but admin (deny by default).
const ACLS: &[(&str, &str, &[&str])] = &[
    ("sys_user", "read", &[]),
    ("sys_user", "create", &["user_admin"]),
    ("sys_user", "write", &["user_admin"]),
    ("sys_user_group", "read", &[]),
    ("sys_user_role", "read", &[]),
    ("sys_user_has_role", "read", &[]),
    ("sys_user_has_role", "create", &["user_admin"]),
    ("sys_user_has_role", "delete", &["user_admin"]),
    ("sys_db_object", "read", &["personalize_dictionary"]),
    ("sys_dictionary", "read", &["personalize_dictionary"]),
    ("customer_account", "read", &["sn_customerservice_agent"]),
    ("customer_account", "create", &["sn_customerservice_agent"]),
    ("customer_account", "write", &["sn_customerservice_agent"]),
    ("customer_contact", "read", &["sn_customerservice_agent"]),
    ("customer_contact", "create", &["sn_customerservice_agent"]),
    ("customer_contact", "write", &["sn_customerservice_agent"]),
    ("csm_consumer", "read", &["sn_customerservice_agent"]),
    ("csm_consumer", "create", &["sn_customerservice_agent"]),
    ("csm_consumer", "write", &["sn_customerservice_agent"]),
    ("task", "read", &["itil", "sn_customerservice_agent"]),
    ("task", "create", &["itil"]),
    ("task", "write", &["itil"]),
    (
        "sn_customerservice_case",
        "read",
        &["sn_customerservice_agent"],
    ),
    (
        "sn_customerservice_case",
        "create",
        &["sn_customerservice_agent"],
    ),
    (
        "sn_customerservice_case",
        "write",
        &["sn_customerservice_agent"],
    ),
    ("oauth_entity", "read", &["oauth_admin"]),
    // The panel's configuration is read by every OpenFrame user and changed by its admins.
    (
        "sn_openframe_configuration",
        "read",
        &["sn_openframe_user", "sn_openframe.admin"],
    ),
    (
        "sn_openframe_configuration",
        "create",
        &["sn_openframe.admin"],
    ),
    (
        "sn_openframe_configuration",
        "write",
        &["sn_openframe.admin"],
    ),
    ("sys_user_grmember", "read", &[]),
    // Journal entries (work notes, comments) are read by those who work the records they
    // belong to.
    (
        "sys_journal_field",
        "read",
        &["itil", "sn_customerservice_agent"],
    ),
];

const ROLES: &[(&str, &str)] = &[
    ("admin", "Administrator: passes every access control"),
    ("user_admin", "Manages users and role grants"),
    ("oauth_admin", "Manages the OAuth application registry"),
    (
        "personalize_dictionary",
        "Reads table and column definitions",
    ),
    ("itil", "Fulfiller: works tasks"),
    (
        "sn_customerservice_agent",
        "Customer service agent: reads customers, creates and works cases",
    ),
    ("sn_openframe_user", "Uses the OpenFrame softphone"),
    ("sn_openframe.admin", "Manages OpenFrame configurations"),
    ("csm_ws_integration", "Calls the CSM scripted REST APIs"),
];

/// (role, contained role)
const CONTAINS: &[(&str, &str)] = &[("sn_customerservice_agent", "sn_openframe_user")];

const PROPERTIES: &[(&str, &str, &str)] = &[
    (
        "com.snc.platform.security.oauth.is.active",
        "true",
        "OAuth activation",
    ),
    (
        "glide.invalid_query.returns_no_rows",
        "false",
        "Invalid encoded query terms return no rows instead of being dropped",
    ),
    (
        "glide.oauth.inbound.ropc.grant_type.disabled",
        "false",
        "Disable the resource owner password grant",
    ),
    (
        "glide.oauth.allow.parameters.in.post.body.only",
        "false",
        "Accept OAuth parameters only in the POST body",
    ),
    (
        "glide.ui.concourse.onmessage_enforce_same_origin_whitelist",
        "",
        "Origins (comma-separated) whose frames the UI pages exchange messages with (OpenFrame)",
    ),
    (
        "x_cb_sandbox.openframe.communication_shape",
        "outgoing_call",
        "Sandbox: click-to-dial payload sent to the OpenFrame panel: outgoing_call or phone_number",
    ),
];

pub const ADMIN_SYS_ID: &str = "6816f79cc0a8016401c5a33be04be441";

/// Every instance's platform rows. Returns the credentials to print.
pub fn platform(db: &mut Db, now: &str) -> SandboxCredentials {
    for spec in builtin_tables() {
        table_rows(db, &spec, now);
    }
    for (name, description) in ROLES {
        db.insert_system(
            "sys_user_role",
            &[("name", name), ("description", description)],
            now,
        );
    }
    for (role, contained) in CONTAINS {
        let (r, c) = (role_id(db, role), role_id(db, contained));
        db.insert_system(
            "sys_user_role_contains",
            &[("role", &r), ("contains", &c)],
            now,
        );
    }
    for (table, operation, roles) in ACLS {
        add_acl(db, table, operation, roles, now);
    }
    for (name, value, description) in PROPERTIES {
        db.insert_system(
            "sys_properties",
            &[
                ("name", name),
                ("value", value),
                ("type", "string"),
                ("description", description),
            ],
            now,
        );
    }
    let admin_password = password::random_token(16);
    let admin_hash = password::hash(&admin_password);
    db.insert_system(
        "sys_user",
        &[
            ("sys_id", ADMIN_SYS_ID),
            ("user_name", "admin"),
            ("first_name", "System"),
            ("last_name", "Administrator"),
            ("name", "System Administrator"),
            ("email", "admin@example.com"),
            ("user_password", &admin_hash),
        ],
        now,
    );
    grant(db, ADMIN_SYS_ID, "admin", now);
    let client_id = password::random_hex32();
    let client_secret = password::random_token(20);
    let secret_hash = password::hash(&client_secret);
    db.insert_system(
        "oauth_entity",
        &[
            ("name", "Callbridge"),
            ("client_id", &client_id),
            ("client_secret", &secret_hash),
            (
                "redirect_url",
                "http://127.0.0.1:8080/api/v1/crm/oauth/callback,http://localhost:8080/api/v1/crm/oauth/callback",
            ),
        ],
        now,
    );
    SandboxCredentials {
        admin_user: "admin".into(),
        admin_password,
        client_id,
        client_secret,
        users: BTreeMap::new(),
    }
}

/// The `sys_db_object` row of a built-in table and the `sys_dictionary` rows of its own columns
/// (inherited ones belong to the parent). Returns the rows written.
fn table_rows(db: &mut Db, spec: &TableSpec, now: &str) -> Vec<(String, String)> {
    let parent = spec
        .super_class
        .and_then(|p| {
            db.find_eq("sys_db_object", "name", p)
                .first()
                .map(|r| r.get("sys_id").to_string())
        })
        .unwrap_or_default();
    let table_id = db.insert_system(
        "sys_db_object",
        &[
            ("name", spec.name),
            ("label", spec.label),
            ("super_class", &parent),
            ("is_extendable", "true"),
            ("number_prefix", spec.number_prefix.unwrap_or("")),
        ],
        now,
    );
    let mut written = vec![("sys_db_object".to_string(), table_id)];
    let def = db
        .table_def(spec.name)
        .cloned()
        .expect("builtin table defined");
    let own: Vec<_> = def
        .columns
        .iter()
        .filter(|c| {
            let inherited = spec
                .super_class
                .and_then(|p| db.table_def(p))
                .is_some_and(|p| p.column(&c.name).is_some());
            !inherited
        })
        .cloned()
        .collect();
    for c in own {
        let id = dictionary_row(db, spec.name, &c, now);
        written.push(("sys_dictionary".to_string(), id));
    }
    written
}

/// The platform rows a data directory made by an earlier version lacks: built-in tables added
/// since (with their dictionary rows and ACLs), roles, contained roles and properties, as a
/// fresh instance has them. Existing rows are left alone (an admin may have changed them).
/// Returns the rows written; none on an up-to-date instance.
pub fn upgrade_platform(db: &mut Db, now: &str) -> Vec<(String, String)> {
    let mut written = Vec::new();
    for (name, description) in ROLES {
        if db.find_eq("sys_user_role", "name", name).is_empty() {
            let id = db.insert_system(
                "sys_user_role",
                &[("name", name), ("description", description)],
                now,
            );
            written.push(("sys_user_role".to_string(), id));
        }
    }
    for (role, contained) in CONTAINS {
        let (r, c) = (role_id(db, role), role_id(db, contained));
        let exists = db
            .find_eq("sys_user_role_contains", "role", &r)
            .iter()
            .any(|row| row.get("contains") == c);
        if !exists {
            let id = db.insert_system(
                "sys_user_role_contains",
                &[("role", &r), ("contains", &c)],
                now,
            );
            written.push(("sys_user_role_contains".to_string(), id));
        }
    }
    let mut added = Vec::new();
    for spec in builtin_tables() {
        if db.find_eq("sys_db_object", "name", spec.name).is_empty() {
            written.extend(table_rows(db, &spec, now));
            added.push(spec.name);
        }
    }
    for (table, operation, roles) in ACLS {
        if !added.contains(table) {
            continue;
        }
        for (i, id) in add_acl(db, table, operation, roles, now)
            .into_iter()
            .enumerate()
        {
            let t = if i == 0 {
                "sys_security_acl"
            } else {
                "sys_security_acl_role"
            };
            written.push((t.to_string(), id));
        }
    }
    for (name, value, description) in PROPERTIES {
        if db.find_eq("sys_properties", "name", name).is_empty() {
            let id = db.insert_system(
                "sys_properties",
                &[
                    ("name", name),
                    ("value", value),
                    ("type", "string"),
                    ("description", description),
                ],
                now,
            );
            written.push(("sys_properties".to_string(), id));
        }
    }
    written
}

/// Inserts the `sys_dictionary` row describing one column of `table`; returns its sys_id.
fn dictionary_row(db: &mut Db, table: &str, c: &Column, now: &str) -> String {
    let max = c.max_length.to_string();
    db.insert_system(
        "sys_dictionary",
        &[
            ("name", table),
            ("element", &c.name),
            ("column_label", &c.label),
            ("internal_type", &c.internal_type),
            ("max_length", &max),
            ("reference", c.reference.as_deref().unwrap_or("")),
            ("default_value", c.default_value.as_deref().unwrap_or("")),
            ("display", if c.display { "true" } else { "false" }),
        ],
        now,
    )
}

/// What the platform does when an admin creates a table that extends nothing: dictionary rows for
/// the system columns it gets (sys_id, sys_created_on, ...), so that every column of every table
/// is described. Returns the rows written.
pub fn dictionary_for_new_table(db: &mut Db, table: &str, now: &str) -> Vec<(String, String)> {
    let Some(def) = db.table_def(table).cloned() else {
        return Vec::new();
    };
    if def.super_class.is_some() {
        return Vec::new(); // inherited columns are described on the parent
    }
    let described: Vec<String> = db
        .find_eq("sys_dictionary", "name", table)
        .iter()
        .map(|r| r.get("element").to_string())
        .collect();
    def.columns
        .iter()
        .filter(|c| c.is_system() && !described.contains(&c.name))
        .map(|c| {
            (
                "sys_dictionary".to_string(),
                dictionary_row(db, table, c, now),
            )
        })
        .collect()
}

pub fn role_id(db: &mut Db, role: &str) -> String {
    if let Some(r) = db.find_eq("sys_user_role", "name", role).first() {
        return r.get("sys_id").to_string();
    }
    let now = "1970-01-01 00:00:00";
    db.insert_system("sys_user_role", &[("name", role)], now)
}

pub fn grant(db: &mut Db, user_sys_id: &str, role: &str, now: &str) {
    let role = role_id(db, role);
    db.insert_system(
        "sys_user_has_role",
        &[("user", user_sys_id), ("role", &role), ("state", "active")],
        now,
    );
}

fn add_acl(db: &mut Db, table: &str, operation: &str, roles: &[&str], now: &str) -> Vec<String> {
    let acl = db.insert_system(
        "sys_security_acl",
        &[
            ("name", table),
            ("operation", operation),
            ("type", "record"),
        ],
        now,
    );
    let mut written = vec![acl.clone()];
    for role in roles {
        let role = role_id(db, role);
        written.push(db.insert_system(
            "sys_security_acl_role",
            &[("sys_security_acl", &acl), ("sys_user_role", &role)],
            now,
        ));
    }
    written
}

/// What the platform does when an admin creates a table: a `u_<table>_user` style role and ACLs
/// requiring it for read, create, write and delete. Returns the rows written.
pub fn access_for_new_table(db: &mut Db, table: &str, now: &str) -> Vec<(String, String)> {
    let role_name = format!("{table}_user");
    let had_role = !db.find_eq("sys_user_role", "name", &role_name).is_empty();
    let role = role_id(db, &role_name);
    let mut written = Vec::new();
    if !had_role {
        written.push(("sys_user_role".to_string(), role.clone()));
    }
    for op in ["read", "create", "write", "delete"] {
        let ids = add_acl(db, table, op, &[role_name.as_str()], now);
        for (i, id) in ids.into_iter().enumerate() {
            let t = if i == 0 {
                "sys_security_acl"
            } else {
                "sys_security_acl_role"
            };
            written.push((t.to_string(), id));
        }
    }
    written
}

struct DemoContact {
    first: &'static str,
    last: &'static str,
    account: usize,
    phone: &'static str,
    mobile: &'static str,
    home: &'static str,
}

/// The demo data set: Japanese and US customers whose numbers are stored the way people type
/// them, shared numbers and contacts with several numbers (servicenow.md §3.2, §3.5).
pub fn demo(db: &mut Db, now: &str, creds: &mut SandboxCredentials) {
    let accounts = [
        ("Sakura Trading KK", "+81 3-1234-5678", "Tokyo", "JP"),
        ("Golden Gate Outfitters", "(669) 262-7777", "San Jose", "US"),
        ("Naniwa Logistics", "06-6123-4567", "Osaka", "JP"),
        (
            "Pacific Crest Insurance",
            "+1 858 287 7800",
            "San Diego",
            "US",
        ),
    ];
    let account_ids: Vec<String> = accounts
        .iter()
        .map(|(name, phone, city, country)| {
            db.insert_system(
                "customer_account",
                &[
                    ("name", name),
                    ("phone", phone),
                    ("city", city),
                    ("country", country),
                ],
                now,
            )
        })
        .collect();
    let contacts = [
        DemoContact {
            first: "Haruto",
            last: "Tanaka",
            account: 0,
            phone: "03-1234-5678",
            mobile: "090-1234-5678",
            home: "",
        },
        DemoContact {
            first: "Yui",
            last: "Sato",
            account: 0,
            phone: "+81 3-1234-5678",
            mobile: "",
            home: "",
        },
        DemoContact {
            first: "Emily",
            last: "Carter",
            account: 1,
            phone: "+16692627777",
            mobile: "",
            home: "",
        },
        DemoContact {
            first: "Michael",
            last: "Brown",
            account: 1,
            phone: "(669) 262-7777",
            mobile: "+1 408 555 0134",
            home: "",
        },
        DemoContact {
            first: "Aiko",
            last: "Yamamoto",
            account: 2,
            phone: "+81-6-6123-4567",
            mobile: "+81 80 1111 2222",
            home: "",
        },
        DemoContact {
            first: "Ken",
            last: "Watanabe",
            account: 2,
            phone: "",
            mobile: "080-1111-2222",
            home: "",
        },
        DemoContact {
            first: "Sofia",
            last: "Garcia",
            account: 3,
            phone: "+1 858 287 7834",
            mobile: "+1 858 867 7857",
            home: "858.555.0199",
        },
        DemoContact {
            first: "James",
            last: "Wilson",
            account: 3,
            phone: "858-287-7800 ext. 12",
            mobile: "",
            home: "+1 (619) 555-0142",
        },
    ];
    for c in &contacts {
        let name = format!("{} {}", c.first, c.last);
        let user_name = format!("{}.{}", c.first, c.last).to_lowercase();
        let email = format!("{user_name}@example.com");
        db.insert_system(
            "customer_contact",
            &[
                ("first_name", c.first),
                ("last_name", c.last),
                ("name", &name),
                ("user_name", &user_name),
                ("email", &email),
                ("account", &account_ids[c.account]),
                ("company", &account_ids[c.account]),
                ("phone", c.phone),
                ("mobile_phone", c.mobile),
                ("home_phone", c.home),
            ],
            now,
        );
    }
    let consumers = [
        ("Olivia", "Martinez", "", "+1 408 996 5744", ""),
        ("Daniel", "Kim", "(415) 555-0142", "", ""),
        ("Mei", "Suzuki", "", "", "06-6123-9999"),
        ("Liam", "Nguyen", "", "408-996-5744", ""),
    ];
    for (first, last, business, mobile, home) in consumers {
        let name = format!("{first} {last}");
        db.insert_system(
            "csm_consumer",
            &[
                ("first_name", first),
                ("last_name", last),
                ("name", &name),
                ("business_phone", business),
                ("mobile_phone", mobile),
                ("home_phone", home),
            ],
            now,
        );
    }
    for (user_name, first, last, roles) in DEMO_USERS {
        // Each account its own random password (and so its own hash, not only its own salt).
        let own_password = password::random_token(16);
        let own_hash = password::hash(&own_password);
        let name = format!("{first} {last}");
        let email = format!("{user_name}@example.com");
        let web_only = if user_name == "callbridge.integration" {
            "true"
        } else {
            "false"
        };
        let id = db.insert_system(
            "sys_user",
            &[
                ("user_name", user_name),
                ("first_name", first),
                ("last_name", last),
                ("name", &name),
                ("email", &email),
                ("user_password", &own_hash),
                ("web_service_access_only", web_only),
            ],
            now,
        );
        for role in roles {
            grant(db, &id, role, now);
        }
        creds.users.insert(user_name.to_string(), own_password);
    }
}

/// Gives the `sys_user` named `user_name` a new password; returns its sys_id and the row to
/// persist, or None if there is no such user.
pub fn set_password(db: &mut Db, user_name: &str, new_password: &str) -> Option<(String, String)> {
    let def = db.table_def("sys_user")?.clone();
    let (name_slot, password_slot) = (def.slot("user_name")?, def.slot("user_password")?);
    let data = db.tables.get_mut("sys_user")?;
    let (pos, record) = data.iter().find(|(_, r)| r.get(name_slot) == user_name)?;
    let mut record = record.clone();
    record.set(password_slot, &password::hash(new_password));
    let sys_id = record.get(def.slot("sys_id")?).to_string();
    let row = crate::instance::row_json(&def.columns, &record);
    data.replace(pos, record);
    Some((sys_id, row))
}

/// Deterministic sys_id of the i-th generated contact, so `--contacts N` is idempotent.
pub fn generated_contact_id(i: u64) -> String {
    format!("c0{i:030x}")
}

/// Adds generated contacts `from..to` (load work): US and Japanese numbers in the formats a CRM
/// really holds, cycling through E.164, national and punctuated forms.
pub fn generate_contacts(db: &mut Db, from: u64, to: u64, now: &str) -> Vec<String> {
    let mut ids = Vec::with_capacity((to - from) as usize);
    for i in from..to {
        let sys_id = generated_contact_id(i);
        // Rows of a chunk can be saved before the count that covers them (the count follows
        // its rows into the database), so a restart may find some already loaded.
        if db
            .data("customer_contact")
            .is_some_and(|t| t.position(&sys_id).is_some())
        {
            continue;
        }
        let line = i % 10_000;
        let exchange = 200 + (i / 10_000) % 800;
        let phone = match i % 4 {
            0 => format!("+1408{exchange:03}{line:04}"),
            1 => format!("(408) {exchange:03}-{line:04}"),
            2 => format!("+81 3-{exchange:04}-{line:04}"),
            _ => format!("03-{exchange:04}-{line:04}"),
        };
        let first = format!("Load{i}");
        let name = format!("Load{i} Contact");
        db.insert_system(
            "customer_contact",
            &[
                ("sys_id", &sys_id),
                ("first_name", &first),
                ("last_name", "Contact"),
                ("name", &name),
                ("phone", &phone),
            ],
            now,
        );
        ids.push(sys_id);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::table_def_from_spec;

    fn fresh() -> Db {
        let mut db = Db::default();
        for spec in builtin_tables() {
            let def = table_def_from_spec(&spec, &db.schema);
            db.define_table(def);
        }
        platform(&mut db, "2026-01-01 00:00:00");
        db
    }

    fn remove_where(db: &mut Db, table: &str, column: &str, value: &str) {
        let ids: Vec<String> = db
            .find_eq(table, column, value)
            .iter()
            .map(|r| r.get("sys_id").to_string())
            .collect();
        for id in ids {
            db.tables.get_mut(table).unwrap().remove(&id);
        }
    }

    #[test]
    fn an_up_to_date_instance_needs_no_upgrade() {
        let mut db = fresh();
        assert!(upgrade_platform(&mut db, "2026-01-02 00:00:00").is_empty());
    }

    #[test]
    fn an_older_data_directory_gains_the_tables_acls_and_properties_added_since() {
        let mut db = fresh();
        // What a data directory from before OpenFrame looked like.
        remove_where(
            &mut db,
            "sys_db_object",
            "name",
            "sn_openframe_configuration",
        );
        remove_where(
            &mut db,
            "sys_dictionary",
            "name",
            "sn_openframe_configuration",
        );
        remove_where(
            &mut db,
            "sys_security_acl",
            "name",
            "sn_openframe_configuration",
        );
        remove_where(&mut db, "sys_user_role", "name", "sn_openframe.admin");
        remove_where(
            &mut db,
            "sys_properties",
            "name",
            "x_cb_sandbox.openframe.communication_shape",
        );
        let written = upgrade_platform(&mut db, "2026-01-02 00:00:00");
        let tables: Vec<&str> = written.iter().map(|(t, _)| t.as_str()).collect();
        for table in [
            "sys_db_object",
            "sys_dictionary",
            "sys_security_acl",
            "sys_security_acl_role",
            "sys_user_role",
            "sys_properties",
        ] {
            assert!(tables.contains(&table), "{table} in {tables:?}");
        }
        assert_eq!(
            db.find_eq("sys_security_acl", "name", "sn_openframe_configuration")
                .len(),
            3
        );
        assert!(upgrade_platform(&mut db, "2026-01-03 00:00:00").is_empty());
    }
}
