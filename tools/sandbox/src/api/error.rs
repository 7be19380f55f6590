//! ServiceNow's error envelope and catalogue (servicenow.md §1.6):
//! `{"error":{"message":..,"detail":..},"status":"failure"}`.

use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct SnError {
    pub status: StatusCode,
    pub message: String,
    pub detail: Option<String>,
    pub headers: Vec<(HeaderName, String)>,
}

impl SnError {
    pub fn new(status: StatusCode, message: impl Into<String>, detail: Option<String>) -> SnError {
        SnError {
            status,
            message: message.into(),
            detail,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> SnError {
        self.headers.push((name, value.into()));
        self
    }

    pub fn not_authenticated() -> SnError {
        SnError::new(
            StatusCode::UNAUTHORIZED,
            "User Not Authenticated",
            Some("Required to provide Auth information".into()),
        )
        .with_header(
            http::header::WWW_AUTHENTICATE,
            "BASIC realm=\"Service-now\"",
        )
    }

    pub fn invalid_table(table: &str) -> SnError {
        SnError::new(
            StatusCode::BAD_REQUEST,
            format!("Invalid table {table}"),
            None,
        )
    }

    pub fn record_not_found() -> SnError {
        SnError::new(
            StatusCode::NOT_FOUND,
            "No Record found",
            Some("Record doesn't exist or ACL restricts the record retrieval".into()),
        )
    }

    pub fn v1_empty_list() -> SnError {
        SnError::new(
            StatusCode::NOT_FOUND,
            "No Record found",
            Some(
                "Records matching query not found. Check query parameter or offset parameter"
                    .into(),
            ),
        )
    }

    pub fn read_denied() -> SnError {
        SnError::new(
            StatusCode::FORBIDDEN,
            "Insufficient rights to query records",
            Some("Field(s) present in the query do not have permission to be read".into()),
        )
    }

    /// Insert/update/delete refused; the detail names the table and the record's display value.
    pub fn operation_failed(verb: &str, table: &str, display: &str) -> SnError {
        SnError::new(
            StatusCode::FORBIDDEN,
            "Operation Failed",
            Some(format!("Error during {verb} of {table} ({display})")),
        )
    }

    pub fn unreadable_body() -> SnError {
        SnError::new(
            StatusCode::BAD_REQUEST,
            "Exception while reading request",
            Some("Verify Request body and Content-type headers. Not able to parse request".into()),
        )
    }

    pub fn body_too_large(length: usize) -> SnError {
        SnError::new(
            StatusCode::BAD_REQUEST,
            "Exception while reading request",
            Some(format!(
                "Rejected large REST payload with content-length = {length} bytes. Max allowed: {MAX_BODY} bytes."
            )),
        )
    }

    pub fn no_resource() -> SnError {
        SnError::new(
            StatusCode::BAD_REQUEST,
            "Requested URI does not represent any resource",
            None,
        )
    }

    pub fn not_acceptable() -> SnError {
        SnError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable",
            Some(
                "The Accept header names no response format this API produces (application/json)"
                    .into(),
            ),
        )
    }

    pub fn method_not_allowed() -> SnError {
        SnError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not Supported", None)
    }

    pub fn internal(detail: impl Into<String>) -> SnError {
        SnError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            Some(detail.into()),
        )
    }
}

/// Largest REST payload accepted (servicenow.md §1.6, KB0747638).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

impl IntoResponse for SnError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {"message": self.message, "detail": self.detail},
            "status": "failure",
        });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.append(name, v);
            }
        }
        response
    }
}
