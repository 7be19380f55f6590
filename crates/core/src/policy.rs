//! Per-tenant policy and engine settings, with validated values.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use thiserror::Error;

use crate::event::Direction;
use crate::ids::{AgentId, CallId, TenantId};

/// What a tenant wants the engine to do. `Default` works for the demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantPolicy {
    /// Create a Case automatically for connected inbound calls. Default: yes.
    pub auto_case_inbound: bool,
    /// Create a Case automatically for connected outbound calls. Default: no.
    pub auto_case_outbound: bool,
    /// How long, after the agent and customer are connected, Case creation waits for the caller
    /// to be matched to one contact (lookup still running, or the agent still choosing), so that
    /// the Case is written once with its contact. Past it, the Case is created without one.
    /// Default: 10 s.
    pub contact_wait: Duration,
    /// The Case's short description.
    pub short_description: ShortDescriptionTemplate,
    /// Longest short description, in characters; longer renderings are cut. Default: 160.
    pub short_description_max_chars: usize,
    /// Where recording links point.
    pub recording_links: RecordingLinks,
}

impl TenantPolicy {
    /// Whether connected calls in `direction` get a Case automatically.
    pub fn auto_case_for(&self, direction: Direction) -> bool {
        match direction {
            Direction::Inbound => self.auto_case_inbound,
            Direction::Outbound => self.auto_case_outbound,
        }
    }
}

impl Default for TenantPolicy {
    fn default() -> Self {
        TenantPolicy {
            auto_case_inbound: true,
            auto_case_outbound: false,
            contact_wait: Duration::from_secs(10),
            short_description: ShortDescriptionTemplate::default(),
            short_description_max_chars: 160,
            recording_links: RecordingLinks::default(),
        }
    }
}

/// Engine-wide settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// The policy of tenants without their own.
    pub default_policy: TenantPolicy,
    /// Per-tenant policies.
    pub tenants: BTreeMap<TenantId, TenantPolicy>,
    /// How long an ended call whose Case work is settled stays in memory after the last thing
    /// that happened to it. Default: 5 min.
    pub forget_after: Duration,
    /// How long an ended call waiting for a CRM outcome (Case being created or looked up) stays
    /// in memory at most; the durable outbox finishes the work either way. Default: 24 h.
    pub max_linger: Duration,
    /// How long the id of a forgotten call is kept, so that late or replayed events for it are
    /// ignored instead of starting a new call (and a new Case). It must exceed the longest delay
    /// with which the runtime can deliver an event. Default: 7 days.
    pub settled_retention: Duration,
    /// How long events for a call not offered yet (an `ended` or `connected` that overtook the
    /// offer) are held, counted from the first of them; the offer applies them if it arrives
    /// within this window. Default: 5 min.
    pub hold_unoffered_for: Duration,
    /// Most events held for one call not offered yet. Default: 32.
    pub max_held_per_call: usize,
    /// Most events held for all calls not offered yet. Default: 10,000.
    pub max_held_total: usize,
    /// A call whose `ended` never arrives is closed this long after its offer, as if it had
    /// ended (cause `failed`), so it cannot stay open, and in memory, forever. Default: 12 h.
    pub max_call_lifetime: Duration,
    /// How many times a screen-pop lookup that failed because the CRM could not answer is tried
    /// again (with the same agent's token) while the pop or the Case still needs it. Default: 4.
    pub lookup_retries: u32,
    /// The wait before the first retry of a failed lookup; it doubles for each further retry
    /// (5, 10, 20, 40 s by default: the last retry runs 75 s after the first failure).
    pub lookup_retry_after: Duration,
}

impl EngineConfig {
    /// The policy that applies to `tenant`.
    pub fn policy_for(&self, tenant: &TenantId) -> &TenantPolicy {
        self.tenants.get(tenant).unwrap_or(&self.default_policy)
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            default_policy: TenantPolicy::default(),
            tenants: BTreeMap::new(),
            forget_after: Duration::from_secs(5 * 60),
            max_linger: Duration::from_secs(24 * 60 * 60),
            settled_retention: Duration::from_secs(7 * 24 * 60 * 60),
            hold_unoffered_for: Duration::from_secs(5 * 60),
            max_held_per_call: 32,
            max_held_total: 10_000,
            max_call_lifetime: Duration::from_secs(12 * 60 * 60),
            lookup_retries: 4,
            lookup_retry_after: Duration::from_secs(5),
        }
    }
}

/// A recording-link base that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "recording link base {value:?}: {problem}; set it to this server's public address for \
     recordings, e.g. https://callbridge.example.com/recordings"
)]
pub struct RecordingLinksError {
    /// The value given.
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Builds a call's permanent recording link: `<base>/<call id, percent-encoded>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingLinks {
    base: String,
}

impl RecordingLinks {
    /// Validates the base: `http(s)://host[/path]`, without query, fragment, spaces or controls.
    pub fn parse(value: &str) -> Result<Self, RecordingLinksError> {
        let error = |problem| RecordingLinksError {
            value: value.to_owned(),
            problem,
        };
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(|| error("it must start with https:// or http://"))?;
        let base = value.trim_end_matches('/');
        if rest.is_empty() || rest.starts_with('/') {
            return Err(error("it has no host"));
        }
        if rest.contains(['?', '#']) {
            return Err(error("it must not have a query (?) or fragment (#)"));
        }
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(error("it must not contain spaces or control characters"));
        }
        Ok(RecordingLinks {
            base: base.to_owned(),
        })
    }

    /// The base, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The permanent link of `call`'s recording page.
    pub fn link_for(&self, call: &CallId) -> String {
        let mut link = String::with_capacity(self.base.len() + 1 + call.as_str().len());
        link.push_str(&self.base);
        link.push('/');
        for byte in call.as_str().bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~') {
                link.push(char::from(byte));
            } else {
                let _ = write!(link, "%{byte:02X}");
            }
        }
        link
    }
}

impl Default for RecordingLinks {
    /// The demo server's address.
    fn default() -> Self {
        RecordingLinks {
            base: "http://localhost:8080/recordings".to_owned(),
        }
    }
}

/// A short-description template that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// Nothing to render.
    #[error("short-description template is empty; write e.g. \"Phone call from {{caller}}\"")]
    Empty,
    /// A `{name}` the engine does not know.
    #[error(
        "short-description template: unknown placeholder {{{name}}} at byte {position}; use \
         {{caller}}, {{direction}}, {{agent}} or {{call_id}}, and write {{{{ or }}}} for a \
         literal brace"
    )]
    UnknownPlaceholder { name: String, position: usize },
    /// A `{` without its `}`.
    #[error(
        "short-description template: the brace at byte {position} is never closed; write {{{{ \
         for a literal brace"
    )]
    Unclosed { position: usize },
    /// A `}` without a `{`.
    #[error(
        "short-description template: the closing brace at byte {position} has no opening one; \
         write }}}} for a literal brace"
    )]
    StrayClosing { position: usize },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Caller,
    Direction,
    Agent,
    CallId,
}

/// The values a short-description template can use.
#[derive(Clone, Copy, Debug)]
pub struct TemplateValues<'a> {
    /// `{caller}`: the number, or "withheld number" / "unknown number".
    pub caller: &'a str,
    /// `{direction}`: "inbound" or "outbound".
    pub direction: Direction,
    /// `{agent}`: the assigned agent.
    pub agent: &'a AgentId,
    /// `{call_id}`: the call id.
    pub call: &'a CallId,
}

/// A Case short-description template: text with `{caller}`, `{direction}`, `{agent}` and
/// `{call_id}` placeholders; `{{` and `}}` are literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortDescriptionTemplate {
    source: String,
    pieces: Vec<Piece>,
}

impl ShortDescriptionTemplate {
    /// Default template text.
    pub const DEFAULT: &'static str = "Phone call ({direction}) with {caller}";

    /// Parses and validates a template.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        if source.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((position, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, next)| next) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|&(_, next)| next) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => return Err(TemplateError::StrayClosing { position }),
                '{' => {
                    let rest = &source[position + 1..];
                    let end = rest.find('}').ok_or(TemplateError::Unclosed { position })?;
                    let name = &rest[..end];
                    let piece = match name {
                        "caller" => Piece::Caller,
                        "direction" => Piece::Direction,
                        "agent" => Piece::Agent,
                        "call_id" => Piece::CallId,
                        _ => {
                            return Err(TemplateError::UnknownPlaceholder {
                                name: name.to_owned(),
                                position,
                            })
                        }
                    };
                    // Skip the name and its closing brace (the name is ASCII).
                    for _ in 0..=end {
                        chars.next();
                    }
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(piece);
                }
                _ => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(ShortDescriptionTemplate {
            source: source.to_owned(),
            pieces,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders the template, cut to `max_chars` characters.
    pub fn render(&self, values: &TemplateValues<'_>, max_chars: usize) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Caller => out.push_str(values.caller),
                Piece::Direction => {
                    let _ = write!(out, "{}", values.direction);
                }
                // The agent's id as it always read here: `<tenant>:<agent>`.
                Piece::Agent => {
                    let _ = write!(out, "{}", values.agent);
                }
                Piece::CallId => out.push_str(values.call.as_str()),
            }
        }
        if let Some((cut, _)) = out.char_indices().nth(max_chars) {
            out.truncate(cut);
        }
        out
    }
}

impl Default for ShortDescriptionTemplate {
    fn default() -> Self {
        ShortDescriptionTemplate::parse(Self::DEFAULT).expect("the default template is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(agent: &'a AgentId, call: &'a CallId) -> TemplateValues<'a> {
        TemplateValues {
            caller: "+441234567890",
            direction: Direction::Inbound,
            agent,
            call,
        }
    }

    #[test]
    fn template_renders_every_placeholder_and_literal_braces() {
        let agent = AgentId::parse("acme:ann").unwrap();
        let call = CallId::from("c-1");
        let template =
            ShortDescriptionTemplate::parse("{{{direction}}} {caller} for {agent} ({call_id}) é")
                .unwrap();
        assert_eq!(
            template.render(&values(&agent, &call), 160),
            "{inbound} +441234567890 for acme:ann (c-1) é"
        );
        assert_eq!(
            ShortDescriptionTemplate::default().render(&values(&agent, &call), 160),
            "Phone call (inbound) with +441234567890"
        );
    }

    #[test]
    fn template_is_cut_at_the_configured_length_on_a_character_boundary() {
        let agent = AgentId::parse("acme:ann").unwrap();
        let call = CallId::from("c-1");
        let template = ShortDescriptionTemplate::parse("ééééé {caller}").unwrap();
        assert_eq!(template.render(&values(&agent, &call), 3), "ééé");
    }

    #[test]
    fn template_errors_say_what_and_where() {
        let error = ShortDescriptionTemplate::parse("Call from {number}").unwrap_err();
        assert_eq!(
            error,
            TemplateError::UnknownPlaceholder {
                name: "number".into(),
                position: 10
            }
        );
        let message = error.to_string();
        assert!(message.contains("{number}"), "{message}");
        assert!(message.contains("{caller}"), "{message}");
        assert_eq!(
            ShortDescriptionTemplate::parse("Call {caller").unwrap_err(),
            TemplateError::Unclosed { position: 5 }
        );
        assert_eq!(
            ShortDescriptionTemplate::parse("Call } x").unwrap_err(),
            TemplateError::StrayClosing { position: 5 }
        );
        assert_eq!(
            ShortDescriptionTemplate::parse("  ").unwrap_err(),
            TemplateError::Empty
        );
    }

    #[test]
    fn recording_link_is_base_plus_encoded_call_id() {
        let links = RecordingLinks::parse("https://cb.example.com/recordings/").unwrap();
        assert_eq!(
            links.link_for(&CallId::from("abc-123_x~")),
            "https://cb.example.com/recordings/abc-123_x~"
        );
        assert_eq!(
            links.link_for(&CallId::from("a/b?c d.e")),
            "https://cb.example.com/recordings/a%2Fb%3Fc%20d%2Ee"
        );
    }

    #[test]
    fn recording_link_base_is_validated_with_a_fix_in_the_message() {
        for (bad, problem) in [
            ("ftp://x", "https://"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://x/r?token=1", "query"),
            ("https://x y/r", "spaces"),
        ] {
            let error = RecordingLinks::parse(bad).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(problem), "{bad}: {message}");
            assert!(message.contains("e.g. https://"), "{message}");
        }
    }

    #[test]
    fn tenant_policy_defaults_create_inbound_cases_only() {
        let mut config = EngineConfig::default();
        assert!(config.default_policy.auto_case_for(Direction::Inbound));
        assert!(!config.default_policy.auto_case_for(Direction::Outbound));
        let outbound_too = TenantPolicy {
            auto_case_outbound: true,
            ..TenantPolicy::default()
        };
        config.tenants.insert("t2".into(), outbound_too);
        assert!(config
            .policy_for(&"t2".into())
            .auto_case_for(Direction::Outbound));
        assert!(!config
            .policy_for(&"t1".into())
            .auto_case_for(Direction::Outbound));
    }
}
