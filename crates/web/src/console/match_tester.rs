//! The Match tester's route: a number typed by an admin, read as a caller ID is read, looked up
//! in the tenant's CRM on the screen pop's own path (`Crm::trace_lookup`: the same query over the
//! same tables and phone columns, the same client-side re-check), and the pop it would give
//! (`callbridge_core::ScreenPop`), with the evidence for each record.
//!
//! The lookup runs with the tenant's service credential, not an agent's link: admins hold those
//! credentials already (they configured them) and have no CRM link of their own, and borrowing
//! an agent's token would read the CRM as a person who did not ask. Because agents' own rights
//! may hide some records, the answer says so. Each test is written to the admin audit
//! (`match.test`), since it reads CRM records with the service's rights.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use callbridge_core::{PartyKind, ScreenPop, TenantId};
use callbridge_crm::{CrmError, LookupRights, LookupTrace, StoredPhone, TracedRecord};
use callbridge_phone::{classify, CallerId, MatchKind, NumberMatch, Region, E164};
use serde_json::{json, Value};

use super::access::Need;
use super::input::bad_request;
use super::{json, Answer, Console, Staff};
use crate::account::{client_address, ApiError};

pub fn router() -> Router<Arc<Console>> {
    Router::new().route("/api/v1/console/match", get(test_number))
}

/// The action the admin audit names a match test by.
const ACTION: &str = "match.test";

/// The one parameter, `number`, as typed.
fn number_parameter(query: Option<&str>) -> Result<String, ApiError> {
    let mut number = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "number" if number.is_none() => number = Some(value.trim().to_string()),
            "number" => {
                return Err(bad_request(
                    "number is given twice; give it once, e.g. number=03-1234-5678",
                ))
            }
            other => {
                return Err(bad_request(format!(
                    "unknown parameter {other:?}; the only parameter is number, e.g. number=03-1234-5678"
                )))
            }
        }
    }
    match number {
        Some(n) if !n.is_empty() => Ok(n),
        _ => Err(bad_request(
            "number is missing; give the number to test, e.g. number=03-1234-5678 or number=%2B81312345678",
        )),
    }
}

/// The typed number read as the SIP edge reads a caller ID, in the tenant's region.
fn parse(typed: &str, region: Region) -> Result<E164, ApiError> {
    match classify(typed, region) {
        CallerId::Dialable(number) => Ok(number),
        CallerId::Withheld => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_number",
            "this reads as a withheld number (anonymous, private, all zeros or blank), which is never looked up; type the number with its country code or as dialled in the tenant's region",
        )),
        CallerId::Invalid { reason, .. } => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_number",
            format!(
                "this is not a phone number a caller could have ({reason}); type digits, with + and the country code or as dialled in region {region}"
            ),
        )),
    }
}

fn crm_failure(error: CrmError) -> ApiError {
    match error {
        CrmError::Rejected(message) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "crm_refused",
            format!("the CRM refused the lookup: {message}; run `callbridge doctor` for the tenant's setup"),
        ),
        CrmError::RateLimited(wait) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "crm_unavailable",
            format!("the CRM is rate limiting requests; try again in {} s", wait.as_secs().max(1)),
        ),
        CrmError::Unavailable(message) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "crm_unavailable",
            format!("the CRM could not be asked: {message}; try again later"),
        ),
        CrmError::RelinkRequired => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "crm_unavailable",
            "the CRM refused the credentials the lookup ran with; run `callbridge doctor`",
        ),
    }
}

fn kind_name(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Contact => "contact",
        PartyKind::Consumer => "consumer",
    }
}

fn rule_json(found: &NumberMatch) -> Value {
    let (rule, digits) = match found.kind {
        MatchKind::ExactE164 => ("exact_e164", None),
        MatchKind::SameNumberDifferentFormat => ("same_number", None),
        MatchKind::Suffix { digits } => ("suffix", Some(digits)),
    };
    json!({"rule": rule, "suffix_digits": digits, "explanation": found.explanation})
}

fn phone_json(phone: &StoredPhone) -> Value {
    json!({
        "column": phone.column,
        "stored": phone.stored,
        "match": phone.matched.as_ref().map(rule_json),
    })
}

fn record_json(record: &TracedRecord) -> Value {
    let contact = &record.contact;
    json!({
        "table": record.table,
        "kind": kind_name(contact.kind),
        "id": contact.id.as_str(),
        "name": contact.name,
        "account": contact.account.as_ref().map(|a| json!({"id": a.id.as_str(), "name": a.name})),
        "matched": record.matched_by().is_some(),
        "phones": record.phones.iter().map(phone_json).collect::<Vec<_>>(),
    })
}

/// The pop an agent would get, in words for a script (the page words it in its language).
fn pop_json(trace: &LookupTrace) -> Value {
    let returned = trace.records.len();
    let unmatched = returned
        - trace
            .records
            .iter()
            .filter(|r| r.matched_by().is_some())
            .count();
    let (outcome, records, explanation) = match ScreenPop::of(trace.contacts()) {
        ScreenPop::NewContact if returned == 0 => (
            "new_contact",
            0,
            "No record in the searched tables holds this number in any searched format: the agent is offered a new contact, prefilled with the number.".to_string(),
        ),
        ScreenPop::NewContact => (
            "new_contact",
            0,
            format!(
                "The CRM's query returned {returned} record(s), but none holds this number once re-read (see each stored value): the agent is offered a new contact."
            ),
        ),
        ScreenPop::Contact(contact) => (
            "contact",
            1,
            format!("One record holds this number: the agent's screen pops {}.", contact.name),
        ),
        ScreenPop::Chooser(several) => (
            "chooser",
            several.len(),
            format!(
                "{} records hold this number: the call is ambiguous, so the agent gets a chooser and no Case names a contact until the agent picks one. Remove the number from the records that are not this caller, or merge duplicates.",
                several.len()
            ),
        ),
    };
    json!({
        "outcome": outcome,
        "records": records,
        "returned_unmatched": unmatched,
        "explanation": explanation,
    })
}

fn trace_json(typed: &str, region: Region, number: &E164, trace: &LookupTrace) -> Value {
    json!({
        "number": {
            "typed": typed,
            "e164": number.as_str(),
            "region": region.as_str(),
            "number_region": number.region().map(|r| r.as_str().to_string()),
        },
        "rights": "service",
        "formats": trace.formats,
        "suffix": trace.suffix,
        "tables": trace.tables.iter().map(|t| json!({
            "table": t.table,
            "kind": kind_name(t.kind),
            "phone_columns": t.phone_columns,
        })).collect::<Vec<_>>(),
        "records": trace.records.iter().map(record_json).collect::<Vec<_>>(),
        "pop": pop_json(trace),
    })
}

async fn test_number(
    State(console): State<Arc<Console>>,
    RawQuery(query): RawQuery,
    request: Request<Body>,
) -> Answer {
    let address = client_address(&request);
    let mut staff: Staff = console.reader(request.headers(), Need::Admin).await?;
    staff.address = address;
    let outcome = run(&console, &staff, query.as_deref()).await;
    let target = match &outcome {
        Ok((number, _)) => number.as_str().to_string(),
        Err(_) => "-".to_string(),
    };
    match outcome {
        Ok((number, body)) => {
            let detail = format!(
                "looked {number} up with the service credential: {}",
                body["pop"]["outcome"].as_str().unwrap_or("")
            );
            console
                .record(&staff, ACTION, &target, None, Ok(&detail))
                .await;
            Ok(json(StatusCode::OK, body))
        }
        Err(error) => {
            console
                .record(&staff, ACTION, &target, None, Err(&error))
                .await;
            Err(error)
        }
    }
}

async fn run(
    console: &Console,
    staff: &Staff,
    query: Option<&str>,
) -> Result<(E164, Value), ApiError> {
    let typed = number_parameter(query)?;
    let region = console.region_of(&staff.tenant).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_crm",
            "this tenant has no CRM configured, so there is nothing to match against",
        )
    })?;
    let number = parse(&typed, region)?;
    let tenant = TenantId::new(staff.tenant.clone());
    let trace = console
        .crm
        .trace_lookup(&tenant, &LookupRights::Service, &number)
        .await
        .map_err(crm_failure)?;
    let body = trace_json(&typed, region, &number, &trace);
    Ok((number, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_parameter_is_required_once_and_alone() {
        assert_eq!(
            number_parameter(Some("number=03-1234-5678")).unwrap(),
            "03-1234-5678"
        );
        assert_eq!(
            number_parameter(Some("number=%2B81312345678")).unwrap(),
            "+81312345678"
        );
        for bad in [
            None,
            Some(""),
            Some("number="),
            Some("number=1&number=2"),
            Some("n=1"),
        ] {
            let e = number_parameter(bad).unwrap_err();
            assert_eq!(e.code, "bad_request", "{bad:?}");
            assert!(e.message.contains("number="), "{}", e.message);
        }
    }

    #[test]
    fn garbage_and_withheld_numbers_are_refused_with_what_to_type() {
        let jp = Region::parse("JP").unwrap();
        assert_eq!(parse("03-1234-5678", jp).unwrap().as_str(), "+81312345678");
        for bad in ["<b>x</b>", "x^NQactive=true", "anonymous", "12"] {
            let e = parse(bad, jp).unwrap_err();
            assert_eq!(
                (e.status, e.code),
                (StatusCode::BAD_REQUEST, "bad_number"),
                "{bad}"
            );
            assert!(e.message.contains("country code"), "{}", e.message);
        }
    }
}
