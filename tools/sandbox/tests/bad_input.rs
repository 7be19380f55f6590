//! Bad requests get the status and envelope a real instance gives, and never a 5xx or a crash
//! (servicenow.md §1.1, §1.6; issue 2 "How we know it is right").

mod common;

use common::*;
use http::Method;
use serde_json::json;

const CASES: &str = "/api/now/table/sn_customerservice_case";
const CONTACTS: &str = "/api/now/table/customer_contact";

fn assert_unreadable(reply: &Reply) {
    assert_error(
        reply,
        400,
        "Exception while reading request",
        Some("Verify Request body and Content-type headers. Not able to parse request"),
    );
}

// §1.6: a malformed JSON body → 400 `Exception while reading request`.
#[tokio::test]
async fn malformed_json_is_400_exception_while_reading_request() {
    let sb = Sandbox::start().await;
    for body in [
        "{\"short_description\": ",
        "not json",
        "{'a': 1}",
        "",
        "\"a string\"",
        "42",
        "[]",
        "[1]",
    ] {
        let reply = sb
            .send(
                sb.request(Who::Admin, Method::POST, CASES)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_unreadable(&reply);
    }
    let case = sb
        .create_case(Who::Admin, &json!({"short_description": "x"}))
        .await;
    let path = format!("{CASES}/{}", case["sys_id"].as_str().unwrap());
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::PATCH, &path)
                .header("content-type", "application/json")
                .body("{oops}"),
        )
        .await;
    assert_unreadable(&reply);
    assert_eq!(
        sb.get(Who::Admin, CASES).await.total_count(),
        1,
        "nothing else was written"
    );
}

// §1.1: a body-bearing request without a Content-Type → 400.
#[tokio::test]
async fn missing_content_type_is_400() {
    let sb = Sandbox::start().await;
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .body(r#"{"short_description":"x"}"#),
        )
        .await;
    assert_unreadable(&reply);
}

// §1.6: an unsupported Content-Type → 415 with the error envelope.
#[tokio::test]
async fn unsupported_content_type_is_415() {
    let sb = Sandbox::start().await;
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .header("content-type", "text/plain")
                .body(r#"{"short_description":"x"}"#),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 415, "{reply:?}");
    assert_eq!(reply.json["status"], "failure");
    assert!(reply.json["error"]["message"].is_string());
}

// §1.6 (KB0747638): a body over 10 MB → 400 with the exact detail naming its length.
#[tokio::test]
async fn body_over_10_mb_is_400_with_the_exact_detail() {
    let sb = Sandbox::start().await;
    let filler = "a".repeat(10 * 1024 * 1024);
    let body = format!(r#"{{"short_description":"{filler}"}}"#);
    let length = body.len();
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    assert_error(
        &reply,
        400,
        "Exception while reading request",
        Some(&format!(
            "Rejected large REST payload with content-length = {length} bytes. Max allowed: 10485760 bytes."
        )),
    );
    // Exactly 10 MB is still accepted (not rejected for size).
    let wrapper = r#"{"short_description":""}"#.len();
    let at_limit = format!(
        r#"{{"short_description":"{}"}}"#,
        "b".repeat(10 * 1024 * 1024 - wrapper)
    );
    assert_eq!(at_limit.len(), 10 * 1024 * 1024);
    let ok = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .header("content-type", "application/json")
                .body(at_limit),
        )
        .await;
    ok.expect(201);
}

// §1.4 / issue 2: broken encoded queries never produce a 5xx, and the instance keeps serving.
#[tokio::test]
async fn broken_encoded_queries_never_cause_a_server_error() {
    let sb = Sandbox::start().await;
    let queries = [
        "^",
        "^^",
        "^^^",
        "^OR",
        "^NQ",
        "^EQ",
        "^NQ^NQ^OR^",
        "=",
        "==",
        "phone",
        "phoneLIKE",
        "phoneIN",
        "phoneBETWEEN",
        "phoneBETWEEN@",
        "sys_created_onBETWEENjavascript:gs.dateGenerate(@",
        "ORDERBY",
        "ORDERBYDESC",
        "ORDERBYno_such",
        "account.name.x.y=1",
        "account..name=1",
        ".=.",
        "RLQUERYsys_user.company,>=1^ENDRLQUERY",
        "RLQUERY",
        "ENDRLQUERY",
        "123TEXTQUERY321",
        "123TEXTQUERY321=",
        "phone=javascript:",
        "phone=javascript:while(true){}",
        "sys_mod_count>abc",
        "sys_mod_count<=",
        "sys_created_on>not-a-date",
        "phoneSAMEAS",
        "phoneSAMEASno_such",
        "phoneDYNAMIC",
        "phone\u{0}=1",
        "名前=値",
        "phone=\u{1F4DE}",
    ];
    for q in queries {
        for prefix in ["/api/now/table", "/api/now/v1/table"] {
            let reply = sb
                .get(
                    Who::Admin,
                    &format!("{prefix}/customer_contact?sysparm_query={}", encode(q)),
                )
                .await;
            assert!(
                reply.status.as_u16() < 500,
                "query {q:?} on {prefix} gave {}: {}",
                reply.status,
                reply.text
            );
        }
    }
    // Raw, undecodable bytes in the query string.
    for raw in [
        "sysparm_query=%",
        "sysparm_query=%ZZ",
        "sysparm_query=%FF%FE",
        "sysparm_query=a%00b",
        "%%%=%%%",
    ] {
        let reply = sb.get(Who::Admin, &format!("{CONTACTS}?{raw}")).await;
        assert!(reply.status.as_u16() < 500, "{raw}: {}", reply.status);
    }
    // Nonsense for the numeric parameters.
    for raw in [
        "sysparm_limit=abc",
        "sysparm_limit=-5",
        "sysparm_limit=99999999999999999999999",
        "sysparm_offset=abc",
        "sysparm_offset=99999999999999999999",
        "sysparm_offset=18446744073709551615",
        "sysparm_display_value=maybe",
        "sysparm_fields=,,,",
        "sysparm_fields=account.",
    ] {
        let reply = sb.get(Who::Admin, &format!("{CONTACTS}?{raw}")).await;
        assert!(
            reply.status.as_u16() < 500,
            "{raw}: {} {}",
            reply.status,
            reply.text
        );
    }
    sb.get(Who::Admin, CONTACTS).await.expect(200);
}

// §1.2: sysparm_offset must be ≥ 0.
#[tokio::test]
async fn negative_offset_is_rejected_with_400() {
    let sb = Sandbox::start().await;
    let reply = sb
        .get(Who::Admin, &format!("{CONTACTS}?sysparm_offset=-1"))
        .await;
    assert_eq!(reply.status.as_u16(), 400);
    assert_eq!(reply.json["status"], "failure");
}

// A request for a URI no REST resource serves → 400 `Requested URI does not represent any
// resource` (the instance's answer for unknown REST paths).
#[tokio::test]
async fn unknown_uri_is_400_no_resource() {
    let sb = Sandbox::start().await;
    for path in [
        "/api/now/nothing_here",
        "/api/now/v3/table/customer_contact",
        "/api/now/table",
        "/not/an/api",
    ] {
        let reply = sb.get(Who::Admin, path).await;
        assert_error(
            &reply,
            400,
            "Requested URI does not represent any resource",
            None,
        );
    }
}

// §1.6: a method the resource does not support → 405 envelope.
#[tokio::test]
async fn unsupported_method_is_405() {
    let sb = Sandbox::start().await;
    let on_collection = sb.delete(Who::Admin, CONTACTS).await;
    assert_eq!(on_collection.status.as_u16(), 405, "{on_collection:?}");
    assert_eq!(on_collection.json["status"], "failure");
    let id = sb.sys_id_of("customer_contact", "name=Yui Sato").await;
    let post_on_record = sb
        .post(Who::Admin, &format!("{CONTACTS}/{id}"), &json!({"a": 1}))
        .await;
    assert_eq!(post_on_record.status.as_u16(), 405);
}

// §1.1: write bodies are JSON; weird but valid JSON values are stored as strings, never a 5xx.
#[tokio::test]
async fn odd_json_values_are_stringified_not_rejected() {
    let sb = Sandbox::start().await;
    let reply = sb
        .post(
            Who::Admin,
            CASES,
            &json!({"short_description": {"value": "from object"}, "description": ["a", "b"], "priority": 1.0e0, "correlation_id": "\u{0}\u{1F4DE}"}),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.result()["short_description"], "from object");
    assert!(reply.result()["priority"].is_string());
}

/// A request body sent with chunked transfer encoding (no Content-Length), `total` bytes of JSON.
fn chunked_json(total: usize) -> reqwest::Body {
    struct Chunks {
        sent: usize,
        total: usize,
    }
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            const CHUNK: usize = 64 * 1024;
            let (sent, total) = (self.sent, self.total);
            if sent >= total {
                return std::task::Poll::Ready(None);
            }
            let n = CHUNK.min(total - sent);
            let mut chunk = vec![b'a'; n];
            if sent == 0 {
                chunk[..23].copy_from_slice(br#"{"short_description":" "#);
            }
            if sent + n == total {
                chunk[n - 2..].copy_from_slice(br#""}"#);
            }
            self.sent += n;
            std::task::Poll::Ready(Some(Ok(chunk)))
        }
    }
    reqwest::Body::wrap_stream(Chunks { sent: 0, total })
}

// §1.6: the 10 MB rule also holds for bodies sent without a Content-Length (chunked), however
// large: 400 `Exception while reading request`, never a bare 413.
#[tokio::test]
async fn chunked_body_over_10_mb_is_400_too() {
    let sb = Sandbox::start().await;
    for size in [11 * 1024 * 1024, 30 * 1024 * 1024] {
        let reply = sb
            .send(
                sb.request(Who::Admin, Method::POST, CASES)
                    .header("content-type", "application/json")
                    .body(chunked_json(size)),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 400, "{size}: {}", reply.text);
        assert_eq!(
            reply.json["error"]["message"], "Exception while reading request",
            "{size}"
        );
        let detail = reply.json["error"]["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("Rejected large REST payload"),
            "{size}: {detail}"
        );
        assert!(
            detail.ends_with("Max allowed: 10485760 bytes."),
            "{size}: {detail}"
        );
    }
    // A small chunked body is fine.
    let ok = sb
        .send(
            sb.request(Who::Admin, Method::POST, CASES)
                .header("content-type", "application/json")
                .body(chunked_json(1000)),
        )
        .await;
    ok.expect(201);
}

// §1.6 (r_RESTAPIHTTPResponseCodes): an Accept header the API cannot satisfy → 406; JSON,
// wildcards and browser-style lists are fine.
#[tokio::test]
async fn unacceptable_accept_header_is_406() {
    let sb = Sandbox::start().await;
    for accept in ["text/plain", "image/png", "text/html"] {
        let reply = sb
            .send(
                sb.http
                    .get(sb.url(CONTACTS))
                    .basic_auth(&sb.creds.admin_user, Some(&sb.creds.admin_password))
                    .header("accept", accept),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 406, "{accept}: {reply:?}");
        assert_eq!(reply.json["status"], "failure", "{accept}");
    }
    for accept in [
        "application/json",
        "application/json;charset=UTF-8",
        "*/*",
        "application/*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] {
        let reply = sb
            .send(
                sb.http
                    .get(sb.url(CONTACTS))
                    .basic_auth(&sb.creds.admin_user, Some(&sb.creds.admin_password))
                    .header("accept", accept),
            )
            .await;
        reply.expect(200);
    }
    // Without an Accept header at all the answer is JSON.
    let none = sb
        .send(
            sb.http
                .get(sb.url(CONTACTS))
                .basic_auth(&sb.creds.admin_user, Some(&sb.creds.admin_password)),
        )
        .await;
    none.expect(200);
    assert!(none.json["result"].is_array());
}
