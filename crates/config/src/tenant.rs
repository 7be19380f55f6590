//! `[[tenant]]`: one contact center: its id, default region, call-events secret, Case policy,
//! link policy and CRM section (handed on opaque to the adapter of its `kind`).

use std::path::Path;
use std::time::Duration;

use callbridge_core::{
    DispositionCode, DispositionCodes, RecordingLinks, ShortDescriptionTemplate, TenantId,
    TenantPolicy,
};
use callbridge_kernel::Secret;
use callbridge_phone::Region;

use crate::crm_section::CrmSection;
use crate::error::Location;
use crate::link::{self, LinkPolicy};
use crate::reader::{Node, Section, Val};
use crate::secret::secret;

/// Where a tenant's settings are kept, which decides who may change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSource {
    /// A `[[tenant]]` of the configuration file at this path (as the command was given it):
    /// read-only in the console; changed in the file and applied by a restart.
    File { path: String },
    /// Kept in the store, edited in the console; `version` counts its saves from 1, and a save
    /// must name the version it edited.
    Store { version: i64 },
}

impl TenantSource {
    pub fn is_store(&self) -> bool {
        matches!(self, TenantSource::Store { .. })
    }
}

#[derive(Debug, Clone)]
pub struct TenantConfig {
    pub id: TenantId,
    /// Where these settings come from: the file or the store.
    pub source: TenantSource,
    pub name: String,
    pub default_region: Region,
    /// The tenant's time zone (IANA name, default UTC): where its day starts (the live wall's
    /// "today").
    pub timezone: jiff::tz::TimeZone,
    /// Signs requests to the call-events API; None disables the API for this tenant.
    pub call_events_secret: Option<Secret>,
    pub policy: TenantPolicy,
    /// Which CRM user may be linked to which agent (the section's `link` table).
    pub link: LinkPolicy,
    /// The CRM section, for the adapter of its `kind` (which validates it).
    pub crm: CrmSection,
    /// What an agent may pick after a call (`[[tenant.disposition_codes]]`), in the file's order.
    pub disposition_codes: DispositionCodes,
    /// What the recording page offers and how long recordings are kept (`[tenant.recordings]`).
    pub recordings: RecordingPolicy,
    /// How long the listen audit and the admin audit keep their rows (`[tenant.audit]`).
    pub audit: AuditPolicy,
}

/// `[tenant.audit]`: how long the audits keep their rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPolicy {
    /// Rows of the listen audit and the admin audit older than this many days are deleted.
    pub retention_days: u32,
}

impl AuditPolicy {
    /// A year and a month: a yearly review finds the whole last year, with a month to export it.
    pub const DEFAULT_RETENTION_DAYS: u32 = 400;
}

impl Default for AuditPolicy {
    fn default() -> Self {
        AuditPolicy {
            retention_days: AuditPolicy::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Reads `[tenant.audit]` (absent: the defaults); None when a mistake was reported.
fn audit(section: &Section<'_, '_>) -> Option<AuditPolicy> {
    if !section.has("audit") {
        return Some(AuditPolicy::default());
    }
    let table = section.table("audit")?;
    let retention_days = table.or(
        "retention_days",
        table
            .integer("retention_days", 1, Some(36_500), "days")
            .map(|v| v.map(|days| days as u32)),
        AuditPolicy::DEFAULT_RETENTION_DAYS,
    );
    table.finish();
    Some(AuditPolicy {
        retention_days: retention_days?,
    })
}

/// `[tenant.recordings]`: the recording page's download link and the retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordingPolicy {
    /// Whether the recording page offers the WAV for download (default: no; listening only).
    pub allow_download: bool,
    /// Recordings stored more than this many days ago are deleted; `None` keeps them.
    pub retention_days: Option<u32>,
}

/// Reads `[tenant.recordings]` (absent: the defaults); None when a mistake was reported.
fn recordings(section: &Section<'_, '_>) -> Option<RecordingPolicy> {
    if !section.has("recordings") {
        return Some(RecordingPolicy::default());
    }
    let table = section.table("recordings")?;
    let allow_download = table.or("allow_download", table.bool("allow_download"), false);
    let retention_days = if table.has("retention_days") {
        table
            .integer("retention_days", 1, Some(36_500), "days")
            .map(|v| Some(v.value as u32))
    } else {
        Some(None)
    };
    table.finish();
    Some(RecordingPolicy {
        allow_download: allow_download?,
        retention_days: retention_days?,
    })
}

/// Whether `id` may name a tenant: it appears in URLs.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reads one `[[tenant]]` (not its `telephony` table); None when a mistake was reported.
/// `public_url` is None when `[server]` had a mistake (recording links are then not built).
pub(crate) fn read(
    section: &Section<'_, '_>,
    public_url: Option<&str>,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<TenantConfig> {
    let reader = section.reader;
    let id = section
        .required_string("id", "id = \"acme\" (1-64 letters, digits, '-' or '_')")
        .and_then(|id| {
            if valid_id(&id.value) {
                Some(id.value)
            } else {
                id.report(
                    reader,
                    format!("{:?} cannot be a tenant id", id.value),
                    "use 1-64 letters, digits, '-' or '_' (it appears in URLs)",
                );
                None
            }
        });
    let name = section.string("name").map(|v| v.value);
    let default_region = section.string("default_region").map_or_else(
        || (!section.has("default_region")).then(|| Region::parse("US").expect("US is a region")),
        |v| match Region::parse(&v.value) {
            Ok(region) => Some(region),
            Err(e) => {
                v.report(
                    reader,
                    e.to_string(),
                    "write an ISO 3166 region code such as \"JP\", \"US\" or \"GB\"",
                );
                None
            }
        },
    );
    let timezone = section.string("timezone").map_or_else(
        || (!section.has("timezone")).then_some(jiff::tz::TimeZone::UTC),
        |v| match jiff::tz::TimeZone::get(&v.value) {
            Ok(zone) => Some(zone),
            Err(_) => {
                v.report(
                    reader,
                    format!("{:?} is not a time zone of the IANA database", v.value),
                    "write an IANA time zone name such as \"Asia/Tokyo\", \"America/New_York\" or \"UTC\"",
                );
                None
            }
        },
    );
    let call_events_secret = if section.has("call_events_secret") {
        secret(section, "call_events_secret", base, env).map(|s| Some(s.value))
    } else {
        Some(None)
    };
    let auto_case_inbound =
        section.or("auto_case_inbound", section.bool("auto_case_inbound"), true);
    let auto_case_outbound = section.or(
        "auto_case_outbound",
        section.bool("auto_case_outbound"),
        false,
    );
    let contact_wait_secs = section.or(
        "contact_wait_secs",
        section.integer("contact_wait_secs", 0, None, "seconds"),
        10,
    );
    let short_description = match section.string("short_description") {
        Some(v) => ShortDescriptionTemplate::parse(&v.value)
            .map_err(|e| {
                v.report(
                    reader,
                    e.to_string(),
                    "use only the placeholders {caller}, {direction}, {agent} and {call_id}, \
                     and write {{ or }} for a brace",
                )
            })
            .ok(),
        None if section.has("short_description") => None,
        None => Some(ShortDescriptionTemplate::default()),
    };
    let recording_links = public_url.and_then(|url| {
        RecordingLinks::parse(&format!("{url}/recordings"))
            .map_err(|e| {
                reader.report(
                    "server.public_url",
                    &None,
                    e.to_string(),
                    "write the URL browsers reach this server at, e.g. https://callbridge.example.com",
                )
            })
            .ok()
    });
    let recordings = recordings(section);
    let audit = audit(section);
    let disposition_codes = disposition_codes(section);
    let crm = crm(section, base, env);
    let id = id?;
    let (crm, link) = crm?;
    Some(TenantConfig {
        source: TenantSource::File {
            path: reader.file.to_string(),
        },
        name: name.unwrap_or_else(|| id.clone()),
        id: TenantId::new(id),
        default_region: default_region?,
        timezone: timezone?,
        call_events_secret: call_events_secret?,
        policy: TenantPolicy {
            auto_case_inbound: auto_case_inbound?,
            auto_case_outbound: auto_case_outbound?,
            contact_wait: Duration::from_secs(contact_wait_secs?),
            short_description: short_description?,
            recording_links: recording_links?,
            ..TenantPolicy::default()
        },
        link,
        crm,
        recordings: recordings?,
        audit: audit?,
        disposition_codes: disposition_codes?,
    })
}

/// Every `[[tenant.disposition_codes]]`: `code`, `label_en`, and `label_ja` (the English label
/// when absent). None when a mistake was reported.
fn disposition_codes(section: &Section<'_, '_>) -> Option<DispositionCodes> {
    let reader = section.reader;
    let key = section.child_key("disposition_codes");
    let mut ok = true;
    let mut codes = Vec::new();
    for entry in section.tables("disposition_codes") {
        let code = entry.required_string("code", "code = \"resolved\"");
        let label_en = entry.required_string("label_en", "label_en = \"Resolved\"");
        let label_ja = entry.string("label_ja");
        let label_ja_ok = label_ja.is_some() || !entry.has("label_ja");
        match (code, label_en, label_ja_ok) {
            (Some(code), Some(label_en), true) => {
                match DispositionCode::new(
                    &code.value,
                    &label_en.value,
                    label_ja.as_ref().map(|v| v.value.as_str()),
                ) {
                    Ok(parsed) => codes.push(parsed),
                    Err(e) => {
                        let at = match e {
                            callbridge_core::DispositionCodeError::Code(_) => &code,
                            _ if label_ja.as_ref().is_some_and(|ja| {
                                DispositionCode::new("x", &ja.value, None).is_err()
                            }) =>
                            {
                                label_ja.as_ref().expect("checked above")
                            }
                            _ => &label_en,
                        };
                        at.report(
                            reader,
                            e.to_string(),
                            "codes are what the softphone sends (e.g. \"resolved\", \"call_back\"); \
                             labels are what agents see, 1-80 characters",
                        );
                        ok = false;
                    }
                }
            }
            _ => ok = false,
        }
        entry.finish();
    }
    if !ok {
        return None;
    }
    DispositionCodes::new(codes)
        .map_err(|e| {
            reader.report(
                &key,
                &section.span,
                e.to_string(),
                "list each code once, at most 100 codes per tenant",
            )
        })
        .ok()
}

/// The tenant's CRM section from `[tenant.crm]`, or from the older `[tenant.servicenow]` (the
/// same settings with `kind = "servicenow"`): exactly one must be present. Its `link` table is
/// the tenant's link policy, read here; the rest is the adapter's.
fn crm(
    section: &Section<'_, '_>,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(CrmSection, LinkPolicy)> {
    let reader = section.reader;
    let (node, kind) = match (section.node("crm"), section.node("servicenow")) {
        (Some(node), None) => {
            let Some(entries) = node.value.entries() else {
                node.report(
                    reader,
                    format!("expected a table, found {}", node.value.kind()),
                    "write a [tenant.crm] section with kind = \"servicenow\" and the CRM's keys",
                );
                return None;
            };
            let kind = entries.iter().find(|(k, _)| k.get() == "kind");
            let kind = match kind {
                Some((_, value)) => match value.as_str() {
                    Some(kind) => kind.to_string(),
                    None => {
                        reader.report(
                            &format!("{}.kind", node.key),
                            &value.span(),
                            format!("expected a string, found {}", value.kind()),
                            "name the CRM in quotes, e.g. kind = \"servicenow\"",
                        );
                        return None;
                    }
                },
                None => {
                    reader.report(
                        &format!("{}.kind", node.key),
                        &node.span,
                        "missing: the section does not say which CRM it is",
                        "add kind = \"servicenow\" to the section",
                    );
                    return None;
                }
            };
            (node, kind)
        }
        (None, Some(node)) => (node, "servicenow".to_string()),
        (Some(node), Some(_)) => {
            node.report(
                reader,
                "both [tenant.crm] and [tenant.servicenow] are given",
                "keep one (they are two spellings of the same settings: [tenant.crm] with \
                 kind = \"servicenow\" is the newer)",
            );
            return None;
        }
        (None, None) => {
            reader.report(
                &section.child_key("crm"),
                &section.span,
                "no CRM is configured for this tenant",
                "add a [tenant.crm] section with kind = \"servicenow\" and the instance's keys \
                 (see docs/configuration.md)",
            );
            return None;
        }
    };
    opaque_section(section, node, kind, base, env)
}

fn opaque_section(
    tenant: &Section<'_, '_>,
    node: Val<Node<'_>>,
    kind: String,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(CrmSection, LinkPolicy)> {
    let reader = tenant.reader;
    let Some(entries) = node.value.entries() else {
        node.report(
            reader,
            format!("expected a table, found {}", node.value.kind()),
            format!(
                "write it as a section, [{}]",
                crate::reader::plain(&node.key)
            ),
        );
        return None;
    };
    let mut table = toml::Table::new();
    let mut positions: Vec<(String, Location)> = Vec::new();
    let mut link = Some(LinkPolicy::default());
    for (key, value) in entries {
        let name = key.get();
        match name {
            "kind" => {
                if let Some(at) = reader.location(&value.span().or_else(|| key.span())) {
                    positions.push(("kind".to_string(), at));
                }
            }
            "link" => {
                link = Section::new(
                    reader,
                    format!("{}.link", node.key),
                    value,
                    node.span.clone(),
                )
                .and_then(link::read);
            }
            _ => {
                let span = value.span().or_else(|| key.span());
                if let Some(at) = reader.location(&span) {
                    positions.push((name.to_string(), at));
                }
                table.insert(
                    name.to_string(),
                    value.to_toml(reader, name, &mut positions),
                );
            }
        }
    }
    let section = CrmSection::new(kind, table, reader.file, node.key.clone(), base, env)
        .at(reader.location(&node.span), positions)
        .with_stored(reader.stored.cloned());
    Some((section, link?))
}
