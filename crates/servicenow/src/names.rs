//! Validated names: tables (`sys_db_object.name`), columns (`sys_dictionary.element`, optionally
//! dot-walked through references) and record ids (`sys_id`).
//!
//! Names come from configuration and end up inside URLs and encoded queries, where a `^`, `.` or
//! `/` would change what is asked (servicenow.md §1.4: "reject `^` in admin-configured
//! column/table names"). Only these types are accepted by the query builder and the client.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// Longest table or column name ServiceNow creates (one segment of a dot-walk).
pub const MAX_NAME_LEN: usize = 80;
/// Longest sys_id accepted (ServiceNow generates 32 hex characters).
pub const MAX_SYS_ID_LEN: usize = 32;

/// What was wrong with a name, and how to write it instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NameError {
    message: String,
}

impl NameError {
    fn new(message: String) -> NameError {
        NameError { message }
    }
}

/// A value shown inside an error message: control characters escaped, long text shortened.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = value
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > MAX {
        out.push_str("...");
    }
    out
}

#[derive(Clone, Copy)]
enum Kind {
    Table,
    Column,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Column => "column",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Kind::Table => "sys_db_object.name",
            Kind::Column => "sys_dictionary.element",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Kind::Table => "customer_contact",
            Kind::Column => "mobile_phone",
        }
    }
}

/// Checks one segment: `^[a-z][a-z0-9_]*$`, at most 80 characters. `whole` is the full name,
/// for the message.
fn check_segment(kind: Kind, segment: &str, whole: &str) -> Result<(), NameError> {
    let noun = kind.noun();
    let source = kind.source();
    if segment.is_empty() {
        return Err(NameError::new(if whole.is_empty() {
            format!(
                "{noun} name is empty: give the name as in {source} (for example {})",
                kind.example()
            )
        } else {
            format!(
                "{noun} '{}' has an empty part around a '.': dot-walk as reference_column.column (for example account.name)",
                shown(whole)
            )
        }));
    }
    if !segment
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        let hint = if segment.bytes().any(|b| b.is_ascii_uppercase()) {
            " (names are lowercase: use the name, not the label)"
        } else {
            ""
        };
        return Err(NameError::new(format!(
            "{noun} '{}' must be lowercase letters, digits and underscores, as in {source}{hint}",
            shown(whole)
        )));
    }
    if !segment.as_bytes()[0].is_ascii_lowercase() {
        return Err(NameError::new(format!(
            "{noun} '{}' must start with a lowercase letter, as in {source}",
            shown(whole)
        )));
    }
    if segment.len() > MAX_NAME_LEN {
        return Err(NameError::new(format!(
            "{noun} '{}' is {} characters long; ServiceNow names are at most {MAX_NAME_LEN} ({source})",
            shown(whole),
            segment.len()
        )));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $name::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                $name::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = NameError;
            fn try_from(s: &str) -> Result<Self, NameError> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

/// A table name as in `sys_db_object.name`: `^[a-z][a-z0-9_]*$`, at most 80 characters.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TableName(String);

impl TableName {
    pub fn new(name: impl Into<String>) -> Result<TableName, NameError> {
        let name = name.into();
        if name.contains('.') && !name.is_empty() {
            return Err(NameError::new(format!(
                "table '{}' contains '.': only column names can be dot-walked; give the table's name as in sys_db_object.name",
                shown(&name)
            )));
        }
        check_segment(Kind::Table, &name, &name)?;
        Ok(TableName(name))
    }
}

string_newtype!(TableName);

/// A column name as in `sys_dictionary.element`, optionally dot-walked through reference
/// columns (`account.name`); each part is `^[a-z][a-z0-9_]*$`, at most 80 characters.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ColumnName(String);

impl ColumnName {
    /// A column of the table itself, or a dot-walk (`account.name`).
    pub fn new(name: impl Into<String>) -> Result<ColumnName, NameError> {
        let name = name.into();
        for segment in name.split('.') {
            check_segment(Kind::Column, segment, &name)?;
        }
        Ok(ColumnName(name))
    }

    /// A column of the table itself: dot-walks are refused (a write names its own columns).
    pub fn plain(name: impl Into<String>) -> Result<ColumnName, NameError> {
        let column = ColumnName::new(name)?;
        if column.is_dot_walked() {
            return Err(NameError::new(format!(
                "column '{}' is dot-walked; name a column of the table itself here (as in sys_dictionary.element)",
                column.0
            )));
        }
        Ok(column)
    }

    pub fn is_dot_walked(&self) -> bool {
        self.0.contains('.')
    }

    /// The parts of a dot-walk (`["account", "name"]`); one part for a plain column.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }
}

string_newtype!(ColumnName);

/// A record id. ServiceNow generates 32 lowercase hex characters; client-chosen ids (honoured
/// on insert, servicenow.md §1.5) and platform ids such as `global` are letters and digits too.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct SysId(String);

impl SysId {
    pub fn new(id: impl Into<String>) -> Result<SysId, NameError> {
        let id = id.into();
        if id.is_empty()
            || id.len() > MAX_SYS_ID_LEN
            || !id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(NameError::new(format!(
                "sys_id '{}' must be 1 to {MAX_SYS_ID_LEN} letters or digits (ServiceNow sys_ids are 32 hex characters)",
                shown(&id)
            )));
        }
        Ok(SysId(id))
    }
}

string_newtype!(SysId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_in_sys_dictionary_are_accepted() {
        for name in [
            "customer_contact",
            "sn_customerservice_case",
            "u_callbridge_calls",
            "x_cb1_app_t",
        ] {
            assert_eq!(TableName::new(name).unwrap().as_str(), name);
        }
        for name in [
            "phone",
            "mobile_phone",
            "u_recording_url",
            "account.name",
            "account.primary_contact.phone",
        ] {
            assert_eq!(ColumnName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn a_label_instead_of_a_name_says_how_to_fix_it() {
        let error = ColumnName::new("Phone").unwrap_err().to_string();
        assert_eq!(
            error,
            "column 'Phone' must be lowercase letters, digits and underscores, as in sys_dictionary.element \
             (names are lowercase: use the name, not the label)"
        );
        let error = TableName::new("Customer Contact").unwrap_err().to_string();
        assert!(
            error.starts_with("table 'Customer Contact' must be lowercase"),
            "{error}"
        );
        assert!(error.contains("sys_db_object.name"), "{error}");
    }

    #[test]
    fn query_metacharacters_never_pass_as_names() {
        for bad in [
            "phone^ORactive=true",
            "phone=1",
            "phone name",
            "phone\n",
            "ph-one",
            "phone,email",
            "phone/x",
            "phoné",
        ] {
            assert!(
                ColumnName::new(bad).is_err(),
                "{bad:?} accepted as a column"
            );
            assert!(TableName::new(bad).is_err(), "{bad:?} accepted as a table");
        }
    }

    #[test]
    fn names_start_with_a_letter_and_fit_80_characters() {
        assert!(ColumnName::new("1phone")
            .unwrap_err()
            .to_string()
            .contains("start with a lowercase letter"));
        assert!(ColumnName::new("_phone").is_err());
        assert!(TableName::new("a".repeat(80)).is_ok());
        let error = TableName::new("a".repeat(81)).unwrap_err().to_string();
        assert!(error.contains("81 characters long"), "{error}");
        assert!(TableName::new("")
            .unwrap_err()
            .to_string()
            .contains("empty"));
    }

    #[test]
    fn dot_walks_are_for_columns_only() {
        assert!(TableName::new("customer_contact.account")
            .unwrap_err()
            .to_string()
            .contains("dot-walked"));
        assert!(ColumnName::new("account..name")
            .unwrap_err()
            .to_string()
            .contains("empty part"));
        assert!(ColumnName::new("account.").is_err());
        assert!(ColumnName::new(".name").is_err());
        assert!(ColumnName::plain("account.name")
            .unwrap_err()
            .to_string()
            .contains("dot-walked"));
        assert!(ColumnName::plain("account").is_ok());
        let walk = ColumnName::new("account.name").unwrap();
        assert!(walk.is_dot_walked());
        assert_eq!(walk.segments().collect::<Vec<_>>(), ["account", "name"]);
    }

    #[test]
    fn sys_ids_are_letters_and_digits() {
        assert!(SysId::new("6816f79cc0a8016401c5a33be04be441").is_ok());
        assert!(SysId::new("AAAABBBBCCCCDDDDEEEEFFFF00001111").is_ok());
        assert!(SysId::new("global").is_ok());
        for bad in [
            "",
            "../sys_user",
            "a b",
            "6816f79cc0a8016401c5a33be04be4411",
            "id?x=1",
        ] {
            assert!(SysId::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn config_deserialisation_validates() {
        let ok: TableName = serde_json::from_str("\"csm_consumer\"").unwrap();
        assert_eq!(ok, "csm_consumer");
        let bad = serde_json::from_str::<ColumnName>("\"Mobile Phone\"")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("must be lowercase"), "{bad}");
    }

    #[test]
    fn errors_do_not_echo_control_characters() {
        let error = ColumnName::new("a\u{1b}[31m").unwrap_err().to_string();
        assert!(!error.contains('\u{1b}'), "{error:?}");
    }
}
