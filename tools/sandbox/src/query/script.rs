//! Server-side evaluation of `javascript:` query values (servicenow.md §1.4, "javascript: values
//! are evaluated server-side").
//!
//! A real instance runs the script and uses its result as the value. The sandbox reproduces the
//! few calls seen in practice, so that a connector which lets a user-derived `javascript:` value
//! through is visibly caught by tests: `caller_id=javascript:gs.getUserID()` really matches the
//! caller's records here, as it would on an instance.

use std::borrow::Cow;

use super::QueryContext;

const SCRIPT_PREFIX: &str = "javascript:";

/// Whether `value` starts with `javascript:` in any letter case (the instance ignores case here).
pub(crate) fn is_script(value: &str) -> bool {
    value
        .get(..SCRIPT_PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(SCRIPT_PREFIX))
}

/// Evaluates `value` if it is a script, otherwise returns it unchanged.
///
/// `None` stands for a script we cannot evaluate: on an instance a failing script yields null,
/// and a comparison with null holds for no row.
pub(crate) fn resolve<'a>(value: &'a str, ctx: &QueryContext) -> Option<Cow<'a, str>> {
    if !is_script(value) {
        return Some(Cow::Borrowed(value));
    }
    let body = value[SCRIPT_PREFIX.len()..].trim();
    let body = body.strip_suffix(';').unwrap_or(body).trim_end();
    match body {
        "gs.getUserID()" => Some(Cow::Owned(ctx.user_sys_id.clone())),
        "gs.getUserName()" => Some(Cow::Owned(ctx.user_name.clone())),
        "gs.now()" | "gs.nowDateTime()" => Some(Cow::Owned(ctx.now_utc.clone())),
        _ => None,
    }
}
