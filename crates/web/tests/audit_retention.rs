//! The audit retention task's pass (`[tenant.audit] retention_days`, docs/configuration.md) on a
//! real SQLite store: each tenant's old rows of both audits go, in batches, newer rows and other
//! tenants' stay, and the pass writes what it deleted into the admin audit.

use std::path::Path;

use callbridge_config::Config;
use callbridge_store::{
    AdminEntry, AdminOutcome, AuditFilter, ListenAction, ListenEntry, SecretKey, Store,
};
use callbridge_web::audit_retention::{AuditRetention, Pruned, BATCH};
use time::{Duration, OffsetDateTime};

fn config(db: &str, key: &str) -> Config {
    let toml = format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:8080"
database_url = "sqlite://{db}"
master_key = "{key}"

[[tenant]]
id = "acme"
[tenant.audit]
retention_days = 30
[tenant.crm]
kind = "servicenow"

[[tenant]]
id = "globex"
[tenant.crm]
kind = "servicenow"
"#
    );
    Config::parse("test.toml", &toml, Path::new("."), &|_| None).unwrap()
}

fn admin(tenant: &str, at: OffsetDateTime, n: usize) -> AdminEntry {
    AdminEntry {
        tenant: tenant.into(),
        at,
        actor: "ada".into(),
        action: "account.create".into(),
        target: format!("user-{n}"),
        call_id: None,
        source: "10.0.0.9".into(),
        outcome: AdminOutcome::Done,
        detail: "created".into(),
    }
}

fn listen(tenant: &str, at: OffsetDateTime, n: usize) -> ListenEntry {
    ListenEntry {
        tenant: tenant.into(),
        call_id: format!("call-{n}"),
        at,
        action: ListenAction::Open,
        viewer: "alice.agent".into(),
        crm_user_id: None,
        source: "10.0.0.9".into(),
        allowed: true,
        reason: "may read the Case".into(),
    }
}

#[tokio::test]
async fn old_rows_of_both_audits_go_in_batches_and_the_pass_is_itself_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("callbridge.db");
    let key = SecretKey::generate();
    let store = Store::open(&format!("sqlite://{}", db.display()), key.clone())
        .await
        .unwrap();
    let config = config(&db.display().to_string(), &key.to_base64());
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let old = now - Duration::days(31);
    let recent = now - Duration::days(29);
    // More old admin rows than one batch holds, so the pass needs several statements.
    let old_admin = BATCH as usize + 7;
    for n in 0..old_admin {
        store.audit_admin(&admin("acme", old, n)).await.unwrap();
    }
    for n in 0..3 {
        store.audit_listen(&listen("acme", old, n)).await.unwrap();
        store.audit_admin(&admin("acme", recent, n)).await.unwrap();
        store
            .audit_listen(&listen("acme", recent, n))
            .await
            .unwrap();
        // globex keeps the default 400 days: its 31-day-old rows stay.
        store.audit_admin(&admin("globex", old, n)).await.unwrap();
        store.audit_listen(&listen("globex", old, n)).await.unwrap();
    }
    let retention = AuditRetention::new(&config, store.clone());

    let pruned = retention.sweep(now).await;
    assert_eq!(
        pruned,
        vec![(
            "acme".to_string(),
            Pruned {
                listen: 3,
                admin: old_admin as u64
            }
        )]
    );
    let acme_admin = store
        .admin_audit(&AuditFilter::all("acme", 5_000))
        .await
        .unwrap();
    assert_eq!(acme_admin.len(), 4, "3 recent rows and the pass's own row");
    assert_eq!(acme_admin[0].actor, "retention");
    assert_eq!(acme_admin[0].action, "audit.prune");
    assert_eq!(
        acme_admin[0].detail,
        format!(
            "deleted 3 listen audit and {old_admin} admin audit rows written more than 30 days ago"
        )
    );
    assert!(acme_admin[1..].iter().all(|e| e.at == recent));
    let acme_listen = store
        .listen_audit_filtered(&AuditFilter::all("acme", 100))
        .await
        .unwrap();
    assert_eq!(acme_listen.len(), 3);
    let globex = AuditFilter::all("globex", 100);
    assert_eq!(store.admin_audit(&globex).await.unwrap().len(), 3);
    assert_eq!(store.listen_audit_filtered(&globex).await.unwrap().len(), 3);

    // Nothing old left: the next pass deletes nothing and writes nothing.
    assert_eq!(retention.sweep(now).await, vec![]);
    assert_eq!(
        store
            .admin_audit(&AuditFilter::all("acme", 100))
            .await
            .unwrap()
            .len(),
        4
    );

    // A tenant saved with a shorter retention (a tenant kept in the store, applied live) is
    // pruned by the next pass with it.
    let mut globex_now = config.tenants[1].clone();
    globex_now.audit.retention_days = 30;
    retention.replace_tenant(&globex_now);
    let pruned = retention.sweep(now).await;
    assert_eq!(
        pruned,
        vec![(
            "globex".to_string(),
            Pruned {
                listen: 3,
                admin: 3
            }
        )]
    );
    store.close().await;
}
