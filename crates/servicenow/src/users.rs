//! Who a token belongs to. After an agent links their account we must know their `sys_user`
//! record (Cases are assigned to it); the token itself does not say. The documented way is an
//! encoded query on the current user, `sys_id=javascript:gs.getUserID()` (servicenow.md §1.4
//! quotes the docs' own example). This is the one place a `javascript:` value is sent, and it is
//! a constant of ours, never user input, so it bypasses the query builder that refuses such
//! values on purpose.

use crate::client::Auth;
use crate::connection::Instance;
use crate::error::ApiError;
use crate::record::parse_list;

/// The CRM user behind a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmUser {
    pub sys_id: String,
    pub user_name: String,
    pub name: String,
    /// `sys_user.email`, empty when the record has none.
    pub email: String,
}

const CURRENT_USER_QUERY: &str = "sys_id=javascript:gs.getUserID()";

pub async fn current_user(instance: &Instance, auth: &Auth) -> Result<CrmUser, ApiError> {
    let url = instance.url(
        "api/now/v2/table/sys_user",
        &[
            ("sysparm_query", CURRENT_USER_QUERY),
            ("sysparm_fields", "sys_id,user_name,name,email"),
            ("sysparm_limit", "1"),
            ("sysparm_no_count", "true"),
        ],
    );
    let request = instance
        .http()
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    let response = instance.send(auth.apply(request)).await?.success()?;
    let record = parse_list(&response.body)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::UnexpectedResponse(
                "the instance returned no record for the current user".into(),
            )
        })?;
    let sys_id = record.get("sys_id").unwrap_or_default().to_string();
    if sys_id.is_empty() {
        return Err(ApiError::UnexpectedResponse(
            "the current user's record has no sys_id".into(),
        ));
    }
    Ok(CrmUser {
        sys_id,
        user_name: record.get("user_name").unwrap_or_default().to_string(),
        name: record.get("name").unwrap_or_default().to_string(),
        email: record.get("email").unwrap_or_default().to_string(),
    })
}
