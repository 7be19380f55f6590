//! Tenants kept in the store (set up in the console) next to the file's: each is the TOML text
//! of one `[[tenant]]` table in exactly the file's schema, its secrets sealed in the store and
//! named by `{ store = "name" }`. [`Config::compose`] reads every such text with the file's own
//! reader, so a mistake in one is the same [`ConfigError`] (key, problem, fix) as in the file,
//! located in that text; [`replace_section`] is the one edit the console makes to a text.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use callbridge_core::TenantId;
use callbridge_kernel::Secret;
use toml_edit::{DocumentMut, ImDocument, Item, Table};

use crate::error::{ConfigError, ConfigErrors};
use crate::reader::{Node, Reader, Section};
use crate::telephony::TenantTelephony;
use crate::tenant::{self, TenantConfig, TenantSource};
use crate::Config;

/// A tenant as the store keeps it.
#[derive(Debug, Clone)]
pub struct StoredTenant {
    /// The tenant id the store keeps it under (its text must say the same).
    pub id: String,
    /// Counts the saves, from 1.
    pub version: i64,
    /// The TOML text of one `[[tenant]]` table, without any secret in it.
    pub text: String,
    /// Its secrets, opened, by the names its `{ store = ".." }` values use.
    pub secrets: BTreeMap<String, Secret>,
}

impl StoredTenant {
    /// How errors name the text: `store:acme@v3`.
    pub fn origin(&self) -> String {
        format!("store:{}@v{}", self.id, self.version)
    }
}

/// What [`Config::compose`] does with a tenant kept in the store whose id the file also has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// At start: the file's tenant is used, the store's is left out with a warning, so a
    /// server that started before still starts.
    FileWins,
    /// On a save or a creation: refused, as a mistake at the text's `id`.
    Refuse,
}

/// The effective configuration and the tenants of the store left out of it.
#[derive(Debug, Clone)]
pub struct Composed {
    pub config: Config,
    /// One warning per tenant of the store left out because the file has its id.
    pub shadowed: Vec<ConfigError>,
}

impl Config {
    /// This configuration's file tenants plus the tenants of `stored`, validated together:
    /// every text is read as the file is (unknown keys, types, values, references), its id
    /// must be the one the store keeps it under, no id may be used twice (a duplicate of a
    /// file tenant follows `on_duplicate`) and no number routed twice. A tenant's telephony is
    /// read only when the file has `[telephony]`, as for the file's tenants. `env` looks up
    /// `{ env = ".." }` values; relative paths start at the file's directory.
    pub fn compose(
        &self,
        stored: &[StoredTenant],
        env: &dyn Fn(&str) -> Option<String>,
        on_duplicate: OnDuplicate,
    ) -> Result<Composed, ConfigErrors> {
        let mut config = self.clone();
        config.tenants.retain(|t| !t.source.is_store());
        let file_ids: HashSet<TenantId> = config.tenants.iter().map(|t| t.id.clone()).collect();
        if let Some(telephony) = &mut config.telephony {
            telephony.tenants.retain(|t| file_ids.contains(&t.tenant));
        }
        let mut numbers: HashMap<String, TenantId> = config
            .telephony
            .iter()
            .flat_map(|t| &t.tenants)
            .flat_map(|t| {
                t.numbers
                    .iter()
                    .map(|n| (n.number.as_str().to_string(), t.tenant.clone()))
            })
            .collect();
        let mut ids = file_ids;
        let mut errors = Vec::new();
        let mut shadowed = Vec::new();
        for text in stored {
            let read = read_stored(
                text,
                &config.server.public_url,
                config.telephony.is_some(),
                &config.dir,
                env,
            );
            let (tenant, telephony) = match read {
                Ok(read) => read,
                Err(mut found) => {
                    errors.append(&mut found);
                    continue;
                }
            };
            if ids.contains(&tenant.id) {
                let error = ConfigError {
                    file: text.origin(),
                    location: None,
                    key: "tenant[0].id".to_string(),
                    problem: format!(
                        "tenant id {:?} is already used by the configuration file",
                        tenant.id.as_str()
                    ),
                    fix: "give this tenant its own id, or remove the file's [[tenant]] with this \
                          id and restart"
                        .to_string(),
                };
                match on_duplicate {
                    OnDuplicate::FileWins => shadowed.push(error),
                    OnDuplicate::Refuse => errors.push(error),
                }
                continue;
            }
            if let Some((telephony, keys)) = telephony {
                for (number, key) in telephony.numbers.iter().zip(keys) {
                    if let Some(other) = numbers.get(number.number.as_str()) {
                        errors.push(ConfigError {
                            file: text.origin(),
                            location: key.1,
                            key: key.0,
                            problem: format!(
                                "{} is routed twice (also by tenant {other})",
                                number.number
                            ),
                            fix: "route each number from one tenant's queue only".to_string(),
                        });
                    }
                }
                for number in &telephony.numbers {
                    numbers.insert(number.number.as_str().to_string(), tenant.id.clone());
                }
                if let Some(all) = &mut config.telephony {
                    all.tenants.push(telephony);
                }
            }
            ids.insert(tenant.id.clone());
            config.tenants.push(tenant);
        }
        match ConfigErrors::from_vec(errors) {
            Some(errors) => Err(errors),
            None => Ok(Composed { config, shadowed }),
        }
    }
}

/// A number's key and where it is in its text.
type NumberKey = (String, Option<crate::error::Location>);

/// One stored text read as the file's `[[tenant]]` is, or every mistake in it.
#[allow(clippy::type_complexity)]
fn read_stored(
    stored: &StoredTenant,
    public_url: &str,
    has_telephony: bool,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(TenantConfig, Option<(TenantTelephony, Vec<NumberKey>)>), Vec<ConfigError>> {
    let origin = stored.origin();
    let text = stored.text.as_str();
    let document =
        ImDocument::parse(text).map_err(|e| vec![crate::syntax_error(&origin, text, &e)])?;
    let reader = Reader::for_store(&origin, text, &stored.secrets);
    let mut read = None;
    if let Some(root) = Section::new(
        &reader,
        String::new(),
        Node::Table(document.as_table()),
        Some(0..0),
    ) {
        let sections = root.tables("tenant");
        if sections.len() != 1 && !reader.has_errors() {
            reader.report(
                "tenant",
                &Some(0..0),
                format!(
                    "a tenant kept in the store is one [[tenant]] table; this text has {}",
                    sections.len()
                ),
                "keep exactly one [[tenant]] table in the text",
            );
        }
        for section in sections {
            let id_key = section.node("id").map(|n| (n.key, n.span));
            let tenant = tenant::read(&section, Some(public_url), dir, env);
            if let (Some(t), Some((key, span))) = (&tenant, &id_key) {
                if t.id.as_str() != stored.id {
                    reader.report(
                        key,
                        span,
                        format!(
                            "this text is kept for tenant {:?} but says id = {:?}",
                            stored.id,
                            t.id.as_str()
                        ),
                        format!(
                            "keep id = {:?}: a tenant's id is fixed when it is created",
                            stored.id
                        ),
                    );
                }
            }
            let telephony = match section.table("telephony") {
                Some(t) if has_telephony => {
                    let region = tenant.as_ref().map(|t| t.default_region);
                    crate::telephony::read::tenant(
                        t,
                        TenantId::new(stored.id.clone()),
                        region,
                        dir,
                        env,
                    )
                    .map(|(t, keys)| {
                        let keys = keys
                            .into_iter()
                            .map(|(key, span)| (key, reader.location(&span)))
                            .collect();
                        (t, keys)
                    })
                }
                _ => None,
            };
            section.finish();
            read = tenant.map(|mut t| {
                t.source = TenantSource::Store {
                    version: stored.version,
                };
                (t, telephony)
            });
        }
        root.finish();
    }
    match (ConfigErrors::from_vec(reader.into_errors()), read) {
        (Some(errors), _) => Err(errors.all().to_vec()),
        (None, Some(read)) => Ok(read),
        (None, None) => Err(vec![ConfigError {
            file: origin,
            location: None,
            key: String::new(),
            problem: "the text could not be read into a tenant".to_string(),
            fix: "compare it with docs/configuration.md, [[tenant]]".to_string(),
        }]),
    }
}

/// Why [`replace_section`] could not edit a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the stored text is not valid TOML: {0}")]
    NotToml(String),
    #[error("the stored text has no single [[tenant]] table")]
    NoTenantTable,
    #[error("the key path is empty or names a value that is not a table: {0}")]
    NotATable(String),
}

/// `text` (one `[[tenant]]` table) with the table at `path` below the tenant (`["telephony"]`,
/// `["crm"]`, `["telephony", "recordings"]`) replaced by `table`, the missing tables on the way
/// created; the rest of the text, comments included, stays as it was. An empty `table` removes
/// the key.
pub fn replace_section(text: &str, path: &[&str], table: Table) -> Result<String, EditError> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| EditError::NotToml(e.message().trim().to_string()))?;
    let Some((last, parents)) = path.split_last() else {
        return Err(EditError::NotATable(String::new()));
    };
    let tenants = document
        .get_mut("tenant")
        .and_then(Item::as_array_of_tables_mut)
        .filter(|a| a.len() == 1)
        .ok_or(EditError::NoTenantTable)?;
    let mut at = tenants.get_mut(0).ok_or(EditError::NoTenantTable)?;
    for (depth, name) in parents.iter().enumerate() {
        let entry = at.entry(name).or_insert_with(|| {
            let mut implicit = Table::new();
            implicit.set_implicit(true);
            Item::Table(implicit)
        });
        at = entry
            .as_table_mut()
            .ok_or_else(|| EditError::NotATable(path[..=depth].join(".")))?;
    }
    if table.is_empty() {
        at.remove(last);
    } else {
        at.insert(last, Item::Table(table));
    }
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_and_the_rest_of_the_text_kept() {
        let text = "[[tenant]]\nid = \"acme\" # ours\n\n[tenant.crm]\nkind = \"servicenow\"\nclient_id = \"a\"\n";
        let mut crm = Table::new();
        crm.insert("kind", toml_edit::value("servicenow"));
        crm.insert("client_id", toml_edit::value("b"));
        let edited = replace_section(text, &["crm"], crm).unwrap();
        assert!(edited.contains("id = \"acme\" # ours"), "{edited}");
        assert!(edited.contains("client_id = \"b\""), "{edited}");
        assert!(!edited.contains("client_id = \"a\""), "{edited}");
        let mut recordings = Table::new();
        recordings.insert("store", toml_edit::value("local"));
        let nested = replace_section(&edited, &["telephony", "recordings"], recordings).unwrap();
        assert!(
            nested.contains("[tenant.telephony.recordings]\nstore = \"local\""),
            "{nested}"
        );
        assert_eq!(
            replace_section("id = 1", &["crm"], Table::new()),
            Err(EditError::NoTenantTable)
        );
    }
}
