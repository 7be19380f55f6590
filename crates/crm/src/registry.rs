use std::collections::BTreeMap;
use std::sync::Arc;

/// One kind of CRM the binary offers, named by the `kind` of a tenant's `[tenant.crm]` section.
/// What it builds from a section (its configuration type, its adapter) is the adapter crate's
/// business; the registry only finds it by name.
pub trait CrmKind: Send + Sync + 'static {
    /// The `kind` value that selects it (e.g. `"servicenow"`).
    fn kind(&self) -> &'static str;

    /// As documents and messages name it.
    fn display_name(&self) -> &'static str;
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
