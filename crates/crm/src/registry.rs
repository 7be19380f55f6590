use std::collections::BTreeMap;
use std::sync::Arc;

use callbridge_core::{RecordingLinks, TenantId};
use callbridge_phone::Region;
use callbridge_store::Store;

use crate::{AccountLinking, ConfigError, Crm, CrmDoctor, CrmSection, CrmSetup};

/// What every adapter may need besides its own section.
#[derive(Clone)]
pub struct CrmContext {
    pub tenant: TenantId,
    /// The tenant's region: how numbers without a country code are read.
    pub default_region: Region,
    /// How browsers and the CRM reach this server (sign-in redirects), no trailing slash.
    pub public_url: String,
    /// Where agents' browsers come back after signing in to the CRM (the link callback).
    pub redirect_uri: String,
    /// Where the tenant's recording links point (`<public_url>/recordings/<call id>`).
    pub recording_links: RecordingLinks,
    /// The open store, where agents' CRM links are kept (tokens encrypted). `None` where the
    /// caller has none (doctor when the database cannot be opened): the adapter's [`Crm`]
    /// then answers that the links cannot be read.
    pub store: Option<Store>,
}

/// One tenant's CRM, as the runtime, the link flow and doctor hold it.
#[derive(Clone)]
pub struct CrmTenant {
    pub crm: Arc<dyn Crm>,
    /// `None` for a CRM without per-agent accounts.
    pub linking: Option<Arc<dyn AccountLinking>>,
    /// `None` for a CRM without setup checks.
    pub doctor: Option<Arc<dyn CrmDoctor>>,
    /// `None` for a CRM the console's setup flow cannot show.
    pub setup: Option<Arc<dyn CrmSetup>>,
    /// The origin (`scheme://host[:port]`, as `callbridge_config::origin_of` computes it) the CRM's own pages are
    /// served from: they may frame the softphone and serve the script that embeds it, so the
    /// softphone page's Content-Security-Policy names it. `None` for a CRM without pages.
    pub page_origin: Option<String>,
}

/// One kind of CRM the binary offers, named by the `kind` of a tenant's `[tenant.crm]` section.
/// What it builds from a section (its configuration type, its adapter) is the adapter crate's
/// business; the registry only finds it by name.
pub trait CrmKind: Send + Sync + 'static {
    /// The `kind` value that selects it (e.g. `"servicenow"`).
    fn kind(&self) -> &'static str;

    /// As documents and messages name it.
    fn display_name(&self) -> &'static str;

    /// Parses and validates `section` and builds the tenant's CRM. Every mistake in the
    /// section is a [`ConfigError`] naming its full key.
    fn build(&self, section: &CrmSection, context: &CrmContext) -> Result<CrmTenant, ConfigError>;
}

/// The CRM kinds the composition root offers, by `kind`.
#[derive(Clone, Default)]
pub struct CrmRegistry {
    kinds: BTreeMap<&'static str, Arc<dyn CrmKind>>,
}

/// A `kind` nobody registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CRM kind {kind:?}; this build supports: {known}")]
pub struct UnknownKind {
    pub kind: String,
    pub known: String,
}

impl CrmRegistry {
    pub fn new() -> Self {
        CrmRegistry {
            kinds: BTreeMap::new(),
        }
    }

    /// Offers `kind`; a later registration of the same name replaces it.
    pub fn register(&mut self, kind: Arc<dyn CrmKind>) -> &mut Self {
        self.kinds.insert(kind.kind(), kind);
        self
    }

    pub fn with(mut self, kind: Arc<dyn CrmKind>) -> Self {
        self.register(kind);
        self
    }

    /// The kind named `kind`, or an error listing the ones this build has.
    pub fn get(&self, kind: &str) -> Result<&Arc<dyn CrmKind>, UnknownKind> {
        self.kinds.get(kind).ok_or_else(|| UnknownKind {
            kind: kind.to_string(),
            known: self.names().join(", "),
        })
    }

    /// Builds the tenant's CRM from its section with the kind the section names; an unknown
    /// kind is an error at the section's `kind` key that lists the known ones.
    pub fn build(
        &self,
        section: &CrmSection,
        context: &CrmContext,
    ) -> Result<CrmTenant, ConfigError> {
        let kind = self.get(&section.kind).map_err(|unknown| {
            section.error(
                "kind",
                unknown.to_string(),
                format!("write kind = one of: {}", unknown.known),
            )
        })?;
        kind.build(section, context)
    }

    /// The registered `kind` names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Kind(&'static str);

    impl CrmKind for Kind {
        fn kind(&self) -> &'static str {
            self.0
        }
        fn display_name(&self) -> &'static str {
            "A CRM"
        }
        fn build(
            &self,
            section: &CrmSection,
            _context: &CrmContext,
        ) -> Result<CrmTenant, ConfigError> {
            Err(section.error("", "not buildable", "nothing"))
        }
    }

    #[test]
    fn kinds_are_found_by_name_and_an_unknown_one_lists_the_known() {
        let registry = CrmRegistry::new()
            .with(Arc::new(Kind("servicenow")))
            .with(Arc::new(Kind("memory")));
        assert_eq!(registry.get("memory").unwrap().kind(), "memory");
        let err = registry.get("salesforce").err().unwrap();
        assert_eq!(
            err.to_string(),
            "unknown CRM kind \"salesforce\"; this build supports: memory, servicenow"
        );
    }
}
