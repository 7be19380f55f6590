//! Tenants kept in the store, through the integration's one way of changing them
//! (`TenantDirectory`): created, a section replaced and saved (validated with the
//! configuration's reader and the CRM adapter, written with a version check, handed to the
//! appliers), refused with a named key and fix, a conflict for a stale version, read-only for a
//! file tenant, and read back at the next start.

use std::sync::{Arc, Mutex};

use callbridge_config::toml_edit::{value, InlineTable, Table};
use callbridge_config::{Config, Secret, TenantSource};
use callbridge_core::TenantId;
use callbridge_integration::crm::CrmRegistry;
use callbridge_integration::tenants::{ApplyTenants, TenantDirectory, TenantError};
use callbridge_servicenow::adapter::{ServiceNowConfig, ServiceNowKind};
use callbridge_store::{SecretChange, SecretKey, Store};

const FILE: &str = r#"
[server]
master_key = "bWFzdGVy"

[[tenant]]
id = "acme"

[tenant.servicenow]
instance_url = "https://acme.service-now.com"
client_id = "0123456789abcdef0123456789abcdef"
client_secret = "file-secret"
"#;

const GLOBEX: &str = r#"[[tenant]]
id = "globex"
name = "Globex"

[tenant.crm]
kind = "servicenow"
instance_url = "https://globex.service-now.com"
client_id = "globex-client"
client_secret = { store = "crm.client_secret" }
"#;

fn registry() -> CrmRegistry {
    CrmRegistry::new().with(Arc::new(ServiceNowKind))
}

/// Records every configuration it is handed.
#[derive(Default)]
struct Recorder(Mutex<Vec<(TenantId, Config)>>);

#[async_trait::async_trait]
impl ApplyTenants for Recorder {
    async fn apply(&self, config: &Config, changed: &TenantId) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((changed.clone(), config.clone()));
        Ok(())
    }
}

fn client_secret(config: &Config, tenant: &str) -> String {
    let tenant = config
        .tenants
        .iter()
        .find(|t| t.id.as_str() == tenant)
        .unwrap();
    ServiceNowConfig::from_section(&tenant.crm)
        .unwrap()
        .client_secret
        .expose()
        .to_string()
}

fn crm_table(instance_url: &str, client_id: &str) -> Table {
    let mut crm = Table::new();
    crm.insert("kind", value("servicenow"));
    crm.insert("instance_url", value(instance_url));
    crm.insert("client_id", value(client_id));
    let mut secret = InlineTable::new();
    secret.insert("store", "crm.client_secret".into());
    crm.insert("client_secret", value(secret));
    crm
}

#[tokio::test]
async fn a_store_tenant_is_created_edited_checked_and_read_again_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = Config::parse("callbridge.toml", FILE, dir.path(), &|_| None).unwrap();
    let url = format!("sqlite://{}", dir.path().join("cb.db").display());
    let key = SecretKey::generate();
    let store = Store::open(&url, key.clone()).await.unwrap();
    let env = Arc::new(|_: &str| None);
    let directory = TenantDirectory::start(&file, store.clone(), Some(registry()), env.clone())
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    directory.on_change(recorder.clone());
    let globex = TenantId::new("globex");

    let created = directory
        .create(
            &globex,
            GLOBEX,
            vec![("crm.client_secret".into(), Secret::new("first"))],
            "root",
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(
        directory.source(&globex),
        Some(TenantSource::Store { version: 1 })
    );
    assert_eq!(client_secret(&directory.config(), "globex"), "first");

    // A duplicate id, of the file's or the store's, is refused.
    let text = GLOBEX.replace("\"globex\"", "\"acme\"");
    let acme = TenantId::new("acme");
    assert!(matches!(
        directory.create(&acme, &text, vec![], "root").await,
        Err(TenantError::Exists(_))
    ));
    assert!(matches!(
        directory.create(&globex, GLOBEX, vec![], "root").await,
        Err(TenantError::Exists(_))
    ));

    // A file tenant is read-only, saying where it is set.
    match directory.load(&acme).await {
        Err(e @ TenantError::FromFile { .. }) => assert_eq!(
            e.to_string(),
            "tenant acme is set in callbridge.toml; change it there and restart"
        ),
        other => panic!("{other:?}"),
    }

    // Replacing the CRM section with a new secret: saved as version 2 and applied.
    let draft = directory.load(&globex).await.unwrap();
    assert_eq!(
        (draft.version, draft.secret_names.as_slice()),
        (1, &["crm.client_secret".to_string()][..])
    );
    let saved = directory
        .replace_section(
            &globex,
            1,
            &["crm"],
            crm_table("https://globex2.service-now.com", "globex-client"),
            vec![SecretChange::Set {
                name: "crm.client_secret".into(),
                value: Secret::new("second"),
            }],
            "alice",
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(client_secret(&directory.config(), "globex"), "second");
    {
        let applied = recorder.0.lock().unwrap();
        assert_eq!(applied.len(), 2);
        assert_eq!(applied[1].0, globex);
        assert_eq!(client_secret(&applied[1].1, "globex"), "second");
    }
    let text = directory.load(&globex).await.unwrap().text;
    assert!(
        text.contains("name = \"Globex\""),
        "the rest is kept: {text}"
    );
    assert!(text.contains("https://globex2.service-now.com"), "{text}");
    assert!(!text.contains("second"), "no secret in the text: {text}");

    // A wrong value is refused at its key with the fix; nothing is saved or applied.
    let refused = directory
        .replace_section(
            &globex,
            2,
            &["crm"],
            crm_table("ftp://globex", "globex-client"),
            vec![],
            "alice",
        )
        .await
        .unwrap_err();
    let TenantError::Invalid(errors) = refused else {
        panic!("{refused:?}")
    };
    let error = errors
        .at_key("tenant[0].crm.instance_url")
        .expect("the URL is named");
    assert_eq!(error.file, "store:globex@v3");
    assert!(error.fix.contains("https"), "{error}");
    assert_eq!(directory.load(&globex).await.unwrap().version, 2);
    assert_eq!(recorder.0.lock().unwrap().len(), 2);

    // A save from version 1 is a conflict naming both versions.
    let stale = directory
        .replace_section(
            &globex,
            1,
            &["crm"],
            crm_table("https://globex3.service-now.com", "x"),
            vec![],
            "bob",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            TenantError::VersionConflict {
                edited: 1,
                current: 2,
                ..
            }
        ),
        "{stale:?}"
    );

    // A removed secret the text still names is refused at the key that names it.
    let missing = directory
        .replace_section(
            &globex,
            2,
            &["crm"],
            crm_table("https://globex2.service-now.com", "globex-client"),
            vec![SecretChange::Remove {
                name: "crm.client_secret".into(),
            }],
            "alice",
        )
        .await
        .unwrap_err();
    let TenantError::Invalid(errors) = missing else {
        panic!("{missing:?}")
    };
    assert_eq!(errors.first().key, "tenant[0].crm.client_secret");

    // Another process sharing the store (a CLI, a second server) sees the save at its next
    // refresh, and hands it to its appliers.
    let other = TenantDirectory::start(&file, store.clone(), Some(registry()), env.clone())
        .await
        .unwrap();
    let other_recorder = Arc::new(Recorder::default());
    other.on_change(other_recorder.clone());
    assert!(other.refresh().await.unwrap().is_empty());
    let v3 = directory
        .replace_section(
            &globex,
            2,
            &["crm"],
            crm_table("https://globex2.service-now.com", "globex-client-3"),
            vec![],
            "alice",
        )
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(other.refresh().await.unwrap(), vec![globex.clone()]);
    assert_eq!(
        other.source(&globex),
        Some(TenantSource::Store { version: 3 })
    );
    assert_eq!(other_recorder.0.lock().unwrap().len(), 1);
    assert!(other.refresh().await.unwrap().is_empty());

    // The next start reads the store again: the saved version is there.
    store.close().await;
    let store = Store::open(&url, key).await.unwrap();
    let restarted = TenantDirectory::start(&file, store, Some(registry()), env)
        .await
        .unwrap();
    assert_eq!(
        restarted.source(&globex),
        Some(TenantSource::Store { version: 3 })
    );
    assert_eq!(client_secret(&restarted.config(), "globex"), "second");
}

#[tokio::test]
async fn a_store_tenant_removed_goes_from_this_process_at_once_and_from_another_at_its_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let file = Config::parse("callbridge.toml", FILE, dir.path(), &|_| None).unwrap();
    let url = format!("sqlite://{}", dir.path().join("cb.db").display());
    let store = Store::open(&url, SecretKey::generate()).await.unwrap();
    let env = Arc::new(|_: &str| None);
    let directory = TenantDirectory::start(&file, store.clone(), Some(registry()), env.clone())
        .await
        .unwrap();
    let globex = TenantId::new("globex");
    directory
        .create(
            &globex,
            GLOBEX,
            vec![("crm.client_secret".into(), Secret::new("first"))],
            "root",
        )
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    directory.on_change(recorder.clone());
    let other = TenantDirectory::start(&file, store.clone(), Some(registry()), env.clone())
        .await
        .unwrap();
    let other_recorder = Arc::new(Recorder::default());
    other.on_change(other_recorder.clone());
    assert_eq!(
        other.source(&globex),
        Some(TenantSource::Store { version: 1 })
    );

    // A file tenant is not the store's to remove; an unknown one is named.
    let acme = TenantId::new("acme");
    match directory.remove(&acme).await {
        Err(e @ TenantError::RemoveFromFile { .. }) => assert_eq!(
            e.to_string(),
            "tenant acme is set in callbridge.toml; remove it from callbridge.toml and restart"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        directory.remove(&TenantId::new("initech")).await,
        Err(TenantError::Unknown(_))
    ));
    assert!(
        recorder.0.lock().unwrap().is_empty(),
        "a refusal applies nothing"
    );

    // Removed here: gone from the configuration, and every applier is handed the removal.
    directory.remove(&globex).await.unwrap();
    assert_eq!(directory.source(&globex), None);
    assert!(directory.source(&acme).is_some());
    {
        let applied = recorder.0.lock().unwrap();
        assert_eq!(applied.len(), 1);
        assert_eq!(applied[0].0, globex);
        assert!(applied[0].1.tenants.iter().all(|t| t.id != globex));
    }
    assert!(store.store_tenant("globex").await.unwrap().is_none());
    assert!(matches!(
        directory.remove(&globex).await,
        Err(TenantError::Unknown(_))
    ));

    // The other process learns it at its next refresh, once.
    assert_eq!(other.refresh().await.unwrap(), vec![globex.clone()]);
    assert_eq!(other.source(&globex), None);
    {
        let applied = other_recorder.0.lock().unwrap();
        assert_eq!(applied.len(), 1);
        assert!(applied[0].1.tenants.iter().all(|t| t.id != globex));
    }
    assert!(other.refresh().await.unwrap().is_empty());

    // The id may be used again.
    directory
        .create(
            &globex,
            GLOBEX,
            vec![("crm.client_secret".into(), Secret::new("again"))],
            "root",
        )
        .await
        .unwrap();
    assert_eq!(other.refresh().await.unwrap(), vec![globex.clone()]);
    assert_eq!(client_secret(&other.config(), "globex"), "again");
}
