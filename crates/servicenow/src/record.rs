//! A record as the Table API returns it: a flat map of string fields (servicenow.md §1.3:
//! "Every scalar is a JSON string"; dot-walked fields come back as flat keys `account.name`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{json_kind, snippet, ApiError};
use crate::names::shown;

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Record {
    fields: BTreeMap<String, String>,
}

impl Record {
    pub fn new(fields: BTreeMap<String, String>) -> Record {
        Record { fields }
    }

    /// A field's value; None when the record does not carry that field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// A field's value, "" when absent (ServiceNow's own "empty").
    pub fn get_or_empty(&self, field: &str) -> &str {
        self.get(field).unwrap_or("")
    }

    /// A field's value when present and not blank.
    pub fn non_empty(&self, field: &str) -> Option<&str> {
        self.get(field).filter(|v| !v.trim().is_empty())
    }

    pub fn sys_id(&self) -> Option<&str> {
        self.non_empty("sys_id")
    }

    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    pub fn into_fields(self) -> BTreeMap<String, String> {
        self.fields
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Reads one record object. Strings are taken as they are; a reference rendered as
    /// `{"value": "...", "link": "..."}` gives its value; anything else (numbers, booleans,
    /// null, lists) is an unexpected response, since the Table API sends every value as a string.
    pub fn from_json(value: &Value) -> Result<Record, ApiError> {
        let Value::Object(map) = value else {
            return Err(ApiError::UnexpectedResponse(format!(
                "a record is {}, not an object",
                json_kind(value)
            )));
        };
        let mut fields = BTreeMap::new();
        for (name, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Object(reference) => match reference.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(ApiError::UnexpectedResponse(format!(
                            "field '{}' is an object without a string \"value\"",
                            shown(name)
                        )))
                    }
                },
                other => {
                    return Err(ApiError::UnexpectedResponse(format!(
                        "field '{}' is {}; ServiceNow sends every value as a string",
                        shown(name),
                        json_kind(other)
                    )))
                }
            };
            fields.insert(name.clone(), text);
        }
        Ok(Record { fields })
    }
}

impl FromIterator<(String, String)> for Record {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Record {
        Record {
            fields: iter.into_iter().collect(),
        }
    }
}

/// The `result` member of a success body.
fn result_of(body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            ApiError::UnexpectedResponse("the body is empty; expected JSON with a `result`".into())
        } else {
            ApiError::UnexpectedResponse(format!(
                "the body is not JSON (it starts with '{}'); is the URL a ServiceNow instance, and is it awake (not hibernating)?",
                snippet(body)
            ))
        }
    })?;
    match value {
        Value::Object(mut map) => map.remove("result").ok_or_else(|| {
            ApiError::UnexpectedResponse(format!(
                "the JSON body has no `result` (it starts with '{}')",
                snippet(body)
            ))
        }),
        other => Err(ApiError::UnexpectedResponse(format!(
            "the JSON body is {}, not an object with a `result`",
            json_kind(&other)
        ))),
    }
}

/// Records of a list answer `{"result":[...]}`.
pub(crate) fn parse_list(body: &[u8]) -> Result<Vec<Record>, ApiError> {
    match result_of(body)? {
        Value::Array(items) => items.iter().map(Record::from_json).collect(),
        other => Err(ApiError::UnexpectedResponse(format!(
            "`result` is {}, expected a list of records",
            json_kind(&other)
        ))),
    }
}

/// The record of a single answer `{"result":{...}}`.
pub(crate) fn parse_single(body: &[u8]) -> Result<Record, ApiError> {
    match result_of(body)? {
        value @ Value::Object(_) => Record::from_json(&value),
        other => Err(ApiError::UnexpectedResponse(format!(
            "`result` is {}, expected one record",
            json_kind(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // servicenow.md §1.3: all scalars are strings; references with exclude_reference_link are ids.
    #[test]
    fn rule_1_3_records_are_flat_string_maps() {
        let records = parse_list(
            br#"{"result":[{"sys_id":"a1","priority":"4","account.name":"Sakura","assigned_to":{"link":"https://x/api/now/table/sys_user/b2","value":"b2"}}]}"#,
        )
        .unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.sys_id(), Some("a1"));
        assert_eq!(r.get("account.name"), Some("Sakura"));
        assert_eq!(r.get("assigned_to"), Some("b2"));
        assert_eq!(r.get_or_empty("missing"), "");
        assert_eq!(parse_list(br#"{"result":[]}"#).unwrap(), vec![]);
    }

    #[test]
    fn hostile_success_bodies_are_clear_unexpected_responses() {
        let cases: &[(&[u8], &str)] = &[
            (b"<html>Your instance is hibernating</html>", "not JSON"),
            (b"", "empty"),
            (b"{}", "no `result`"),
            (b"[]", "a list, not an object"),
            (br#"{"result":{"sys_id":"a"}}"#, "expected a list"),
            (br#"{"result":[1]}"#, "a record is a number"),
            (
                br#"{"result":[{"priority":4}]}"#,
                "field 'priority' is a number",
            ),
            (br#"{"result":[{"active":true}]}"#, "a boolean"),
            (br#"{"result":[{"phone":null}]}"#, "null"),
            (br#"{"result":[{"x":[]}]}"#, "a list"),
            (br#"{"result":[{"x":{"link":"y"}}]}"#, "without a string"),
        ];
        for (body, expected) in cases {
            match parse_list(body) {
                Err(ApiError::UnexpectedResponse(text)) => {
                    assert!(text.contains(expected), "{text:?} lacks {expected:?}")
                }
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
        assert!(matches!(
            parse_single(br#"{"result":[]}"#),
            Err(ApiError::UnexpectedResponse(_))
        ));
        assert!(parse_single(br#"{"result":{"sys_id":"a","number":"CS0001"}}"#).is_ok());
    }
}
