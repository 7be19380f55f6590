//! The console's inputs read into types: JSON bodies and the audit's query string. Each mistake
//! is a `400 bad_request` whose message names the field, what was wrong and what to send.

use axum::http::StatusCode;
use callbridge_store::{AuditFilter, Role};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::account::ApiError;

/// The largest body a console route reads.
pub const MAX_BODY: usize = 16 * 1024;
/// Rows a JSON audit answer holds by default, and at most.
pub const PAGE_ROWS: u32 = 200;
pub const MAX_PAGE_ROWS: u32 = 1000;
/// Rows a CSV export holds by default, and at most.
pub const MAX_CSV_ROWS: u32 = 100_000;

pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// A body that must be a JSON object.
pub fn object(body: &[u8], example: &str) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request(format!(
            "the body must be a JSON object, like {example}"
        ))),
        Err(e) => Err(bad_request(format!(
            "the body is not JSON ({e}); send a JSON object, like {example}"
        ))),
    }
}

/// Refuses fields a route does not know, so a misspelt one is not silently ignored.
fn only(map: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(bad_request(format!(
            "unknown field \"{unknown}\"; the fields are: {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_request(format!("\"{name}\" must be a string"))),
    }
}

fn role(map: &Map<String, Value>) -> Result<Option<Role>, ApiError> {
    string(map, "role")?
        .map(|text| {
            text.parse::<Role>().map_err(|_| {
                bad_request(format!(
                    "\"role\" is {text:?}; it must be agent, supervisor or admin"
                ))
            })
        })
        .transpose()
}

/// `POST /api/v1/console/accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountInput {
    pub user: String,
    pub role: Role,
    /// The user name when not given.
    pub display_name: String,
}

pub fn new_account(body: &[u8]) -> Result<NewAccountInput, ApiError> {
    let example = r#"{"user": "dan.agent", "role": "agent", "display_name": "Dan Agent"}"#;
    let map = object(body, example)?;
    only(&map, &["user", "role", "display_name"])?;
    let user = string(&map, "user")?
        .map(|u| u.trim().to_string())
        .ok_or_else(|| bad_request(format!("\"user\" is missing; send {example}")))?;
    let role = role(&map)?
        .ok_or_else(|| bad_request("\"role\" is missing; it must be agent, supervisor or admin"))?;
    let display_name = match string(&map, "display_name")?.map(|d| d.trim().to_string()) {
        Some(d) if d.chars().count() > 100 => {
            return Err(bad_request(
                "\"display_name\" is over 100 characters; shorten it",
            ))
        }
        Some(d) if !d.is_empty() => d,
        _ => user.clone(),
    };
    Ok(NewAccountInput {
        user,
        role,
        display_name,
    })
}

/// `PATCH /api/v1/console/accounts/{user}`: what to change (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    pub disabled: Option<bool>,
    pub role: Option<Role>,
}

pub fn account_change(body: &[u8]) -> Result<AccountChange, ApiError> {
    let example = r#"{"disabled": true} or {"role": "supervisor"}"#;
    let map = object(body, example)?;
    only(&map, &["disabled", "role"])?;
    let disabled = match map.get("disabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad_request("\"disabled\" must be true or false")),
    };
    let role = role(&map)?;
    if disabled.is_none() && role.is_none() {
        return Err(bad_request(format!("nothing to change; send {example}")));
    }
    Ok(AccountChange { disabled, role })
}

/// How an audit answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// An audit route's query: `from`, `to` (RFC 3339 times or UTC dates), `user`, `call`,
/// `outcome` (`allowed` or `refused`), `limit`, `format` (`json` or `csv`).
pub fn audit_query(tenant: &str, query: Option<&str>) -> Result<(AuditFilter, Format), ApiError> {
    let mut filter = AuditFilter::all(tenant, PAGE_ROWS);
    let mut format = Format::Json;
    let mut limit = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            "from" => filter.from = Some(instant("from", &value)?),
            "to" => filter.to = Some(instant("to", &value)?),
            "user" => filter.user = Some(value),
            "call" => filter.call = Some(value),
            "outcome" => {
                filter.allowed = Some(match value.as_str() {
                    "allowed" => true,
                    "refused" => false,
                    other => {
                        return Err(bad_request(format!(
                            "outcome={other:?} is not one; use outcome=allowed or outcome=refused"
                        )))
                    }
                })
            }
            "limit" => {
                limit = Some(value.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    bad_request(format!("limit={value:?} is not a whole number of rows above 0"))
                })?)
            }
            "format" => {
                format = match value.as_str() {
                    "json" => Format::Json,
                    "csv" => Format::Csv,
                    other => {
                        return Err(bad_request(format!(
                            "format={other:?} is not one; use format=json or format=csv"
                        )))
                    }
                }
            }
            other => {
                return Err(bad_request(format!(
                    "unknown parameter {other:?}; the parameters are from, to, user, call, outcome, limit, format"
                )))
            }
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to <= from {
            return Err(bad_request(
                "\"to\" is not after \"from\"; give a time range that ends after it starts",
            ));
        }
    }
    let most = match format {
        Format::Json => MAX_PAGE_ROWS,
        Format::Csv => MAX_CSV_ROWS,
    };
    filter.limit = match limit {
        Some(n) if n > most => {
            return Err(bad_request(format!(
                "limit={n} is over {most}, the most one answer holds; narrow the time range"
            )))
        }
        Some(n) => n,
        None if format == Format::Csv => MAX_CSV_ROWS,
        None => PAGE_ROWS,
    };
    Ok((filter, format))
}

fn instant(name: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(text, &date_format) {
        return Ok(d.midnight().assume_utc());
    }
    Err(bad_request(format!(
        "{name}={text:?} is not a time; write an RFC 3339 time (2026-12-01T09:00:00Z) or a UTC date (2026-12-01)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: ApiError) -> String {
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "bad_request"));
        e.message
    }

    #[test]
    fn a_new_account_needs_a_user_and_a_role_and_defaults_its_display_name() {
        let input = new_account(br#"{"user": " dan ", "role": "agent"}"#).unwrap();
        assert_eq!(
            input,
            NewAccountInput {
                user: "dan".into(),
                role: Role::Agent,
                display_name: "dan".into()
            }
        );
        let named =
            new_account(br#"{"user": "dan", "role": "admin", "display_name": "Dan"}"#).unwrap();
        assert_eq!(named.display_name, "Dan");
        assert!(message(new_account(b"nope").unwrap_err()).contains("not JSON"));
        assert!(message(new_account(b"[]").unwrap_err()).contains("JSON object"));
        assert!(message(new_account(br#"{"role": "agent"}"#).unwrap_err())
            .contains("\"user\" is missing"));
        assert!(
            message(new_account(br#"{"user": 5, "role": "agent"}"#).unwrap_err())
                .contains("\"user\" must be a string")
        );
        let wrong_role = message(new_account(br#"{"user": "d", "role": "boss"}"#).unwrap_err());
        assert!(
            wrong_role.contains("agent, supervisor or admin"),
            "{wrong_role}"
        );
        let unknown =
            message(new_account(br#"{"user": "d", "role": "agent", "pasword": "x"}"#).unwrap_err());
        assert!(unknown.contains("unknown field \"pasword\""), "{unknown}");
    }

    #[test]
    fn a_change_names_at_least_one_known_field() {
        assert_eq!(
            account_change(br#"{"disabled": true}"#).unwrap(),
            AccountChange {
                disabled: Some(true),
                role: None
            }
        );
        assert_eq!(
            account_change(br#"{"role": "supervisor"}"#).unwrap().role,
            Some(Role::Supervisor)
        );
        assert!(message(account_change(b"{}").unwrap_err()).contains("nothing to change"));
        assert!(
            message(account_change(br#"{"disabled": "yes"}"#).unwrap_err())
                .contains("true or false")
        );
        assert!(
            message(account_change(br#"{"password": "x"}"#).unwrap_err()).contains("unknown field")
        );
    }

    #[test]
    fn the_audit_query_reads_times_dates_outcomes_and_formats() {
        let (f, format) = audit_query(
            "acme",
            Some("from=2026-12-01&to=2026-12-02T09%3A00%3A00Z&user=bob&call=c-1&outcome=refused"),
        )
        .unwrap();
        assert_eq!(format, Format::Json);
        assert_eq!(f.tenant, "acme");
        assert_eq!(f.from.unwrap().unix_timestamp(), 1_796_083_200);
        assert_eq!(f.to.unwrap().unix_timestamp(), 1_796_202_000);
        assert_eq!(f.user.as_deref(), Some("bob"));
        assert_eq!(f.call.as_deref(), Some("c-1"));
        assert_eq!(f.allowed, Some(false));
        assert_eq!(f.limit, PAGE_ROWS);
        let (f, format) = audit_query("acme", Some("format=csv&user=")).unwrap();
        assert_eq!((format, f.limit, f.user), (Format::Csv, MAX_CSV_ROWS, None));
        assert_eq!(audit_query("acme", Some("limit=5")).unwrap().0.limit, 5);
        assert_eq!(
            audit_query("acme", None).unwrap().0,
            AuditFilter::all("acme", PAGE_ROWS)
        );
    }

    #[test]
    fn a_bad_audit_query_says_what_to_write() {
        for (query, says) in [
            ("from=yesterday", "RFC 3339"),
            ("outcome=maybe", "outcome=allowed or outcome=refused"),
            ("format=xml", "format=json or format=csv"),
            ("limit=0", "above 0"),
            ("limit=5000", "over 1000"),
            ("tenant=globex", "unknown parameter \"tenant\""),
            ("from=2026-12-02&to=2026-12-01", "not after"),
        ] {
            let m = message(audit_query("acme", Some(query)).unwrap_err());
            assert!(m.contains(says), "{query}: {m}");
        }
    }
}
