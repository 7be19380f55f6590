//! The least-privilege AWS IAM policy for one tenant's recordings in S3: exactly the actions
//! [`crate::RecordingStore`] performs, on exactly the keys it writes
//! (`<prefix>/<tenant>/...`). The console shows it for the admin to paste into AWS.
//!
//! The actions, from what the store does:
//! - `s3:PutObject`: single-part uploads, the peaks file beside each recording, and every step of
//!   a multipart upload (create, upload part, complete are authorised by `s3:PutObject`);
//! - `s3:AbortMultipartUpload`: a failed multipart upload is aborted;
//! - `s3:GetObject`: reading the peaks, streaming audio, the presigned GET the recording page
//!   hands browsers, and HEAD after an upload (HEAD is authorised by `s3:GetObject`);
//! - `s3:DeleteObject`: retention and repair delete recordings and their peaks.
//!
//! No `s3:ListBucket`: the store never lists.

use serde_json::{json, Value};

/// The actions the recording store performs, in the order the policy lists them.
pub const S3_ACTIONS: [&str; 4] = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
];

/// The object ARN pattern covering `tenant`'s recordings in `bucket` under `prefix`.
pub fn s3_resource(bucket: &str, prefix: &str, tenant: &str) -> String {
    let parts: Vec<&str> = prefix
        .split('/')
        .filter(|p| !p.is_empty())
        .chain(std::iter::once(tenant))
        .collect();
    format!("arn:aws:s3:::{bucket}/{}/*", parts.join("/"))
}

/// The IAM policy document (JSON) to attach to the IAM user or role the tenant's recordings
/// are stored with.
pub fn s3_policy(bucket: &str, prefix: &str, tenant: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CallbridgeRecordings",
            "Effect": "Allow",
            "Action": S3_ACTIONS,
            "Resource": s3_resource(bucket, prefix, tenant),
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_is_the_tenants_keys_under_the_prefix() {
        assert_eq!(
            s3_resource("calls-eu", "recordings", "acme"),
            "arn:aws:s3:::calls-eu/recordings/acme/*"
        );
        assert_eq!(
            s3_resource("calls-eu", "/a/b/", "acme"),
            "arn:aws:s3:::calls-eu/a/b/acme/*"
        );
        assert_eq!(
            s3_resource("calls-eu", "", "acme"),
            "arn:aws:s3:::calls-eu/acme/*"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_stores_actions_and_no_listing() {
        let policy = s3_policy("b", "p", "t");
        assert_eq!(policy["Version"], "2012-10-17");
        let statement = &policy["Statement"][0];
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(
            statement["Action"],
            json!([
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload"
            ])
        );
        assert_eq!(statement["Resource"], "arn:aws:s3:::b/p/t/*");
        assert!(!policy.to_string().contains("ListBucket"));
    }
}
