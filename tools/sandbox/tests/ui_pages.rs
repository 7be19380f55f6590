//! The sandbox's browser UI over real HTTPS, as a browser uses it: sign-in with the login form's
//! CSRF token, lists and forms honouring ACLs and escaping what records hold, the new-contact
//! form, and the OpenFrame panel configured by `sn_openframe_configuration`.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, Who};
use http::Method;
use serde_json::{json, Value};

/// A browser: keeps cookies, never follows redirects (each test looks at them).
struct Browser<'a> {
    sb: &'a Sandbox,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    csp: Option<String>,
    content_type: Option<String>,
    text: String,
}

impl<'a> Browser<'a> {
    fn new(sb: &'a Sandbox) -> Self {
        Browser {
            sb,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header("cookie", self.cookie_header())
        };
        let response = request.send().await.expect("request completes");
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().expect("ASCII cookie");
            let pair = set.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Page {
            status: response.status().as_u16(),
            location: header("location"),
            csp: header("content-security-policy"),
            content_type: header("content-type"),
            text: response.text().await.expect("body"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.sb.http.get(self.sb.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .sb
            .http
            .post(self.sb.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.sb.base.clone())
            .body(body);
        self.send(request).await
    }

    async fn log_in(&mut self, user: &str) {
        let form = self.get("/login.do").await;
        assert_eq!(form.status, 200);
        let ck = hidden(&form.text, "sysparm_ck");
        let password = self.sb.password_of(user).to_string();
        let done = self
            .post(
                "/login.do",
                &[
                    ("sysparm_ck", &ck),
                    ("user_name", user),
                    ("user_password", &password),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{user} logs in: {}", done.text);
    }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("closing quote")
        .to_string()
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn insert(sb: &Sandbox, table: &str, body: Value) -> String {
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::POST, &format!("/api/now/table/{table}"))
                .json(&body),
        )
        .await;
    reply.expect(201);
    reply.result()["sys_id"]
        .as_str()
        .expect("sys_id")
        .to_string()
}

async fn set_property(sb: &Sandbox, name: &str, value: &str) {
    let reply = sb
        .send(
            sb.request(Who::Admin, Method::GET, "/api/now/table/sys_properties")
                .query(&[("sysparm_query", format!("name={name}"))]),
        )
        .await;
    match reply.rows().first() {
        Some(row) => {
            let id = row["sys_id"].as_str().expect("sys_id");
            sb.send(
                sb.request(
                    Who::Admin,
                    Method::PATCH,
                    &format!("/api/now/table/sys_properties/{id}"),
                )
                .json(&json!({ "value": value })),
            )
            .await
            .expect(200);
        }
        None => {
            insert(sb, "sys_properties", json!({"name": name, "value": value})).await;
        }
    }
}

#[tokio::test]
async fn login_gives_a_ui_session_that_is_not_an_api_credential_and_logout_ends_it() {
    let sb = Sandbox::start().await;
    let mut browser = Browser::new(&sb);

    let page = browser.get("/navpage.do").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/login.do?sysparm_goto_url=%2Fnavpage.do")
    );

    let form = browser
        .get("/login.do?sysparm_goto_url=%2Fnavpage.do")
        .await;
    assert_eq!(form.status, 200);
    assert_eq!(
        form.content_type.as_deref(),
        Some("text/html;charset=UTF-8")
    );
    let csp = form.csp.expect("a CSP on the login page");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!form.text.contains("<script>"), "no inline script");
    let ck = hidden(&form.text, "sysparm_ck");

    let wrong = browser
        .post(
            "/login.do",
            &[
                ("sysparm_ck", &ck),
                ("user_name", "alice.agent"),
                ("user_password", "not-her-password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.text.contains("User name or password invalid."));

    let ck = hidden(&wrong.text, "sysparm_ck");
    let password = sb.password_of("alice.agent").to_string();
    let ok = browser
        .post(
            "/login.do",
            &[
                ("sysparm_ck", &ck),
                ("sysparm_goto_url", "/navpage.do"),
                ("user_name", "alice.agent"),
                ("user_password", &password),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(ok.location.as_deref(), Some("/navpage.do"));
    assert!(browser.cookies.contains_key("glide_session_store"));

    let shell = browser.get("/navpage.do").await;
    assert_eq!(shell.status, 200);
    assert!(shell.text.contains("id=\"signed-in-user\">alice.agent<"));
    assert!(shell.text.contains("name=\"gsft_main\""));
    for list in [
        "customer_contact_list.do",
        "csm_consumer_list.do",
        "customer_account_list.do",
        "sn_customerservice_case_list.do",
    ] {
        assert!(shell.text.contains(list), "navigation has {list}");
    }

    // The UI cookie alone does not authenticate the REST API.
    let api = sb
        .send(
            sb.http
                .get(sb.url("/api/now/table/customer_contact?sysparm_limit=1"))
                .header("accept", "application/json")
                .header("cookie", browser.cookie_header()),
        )
        .await;
    assert_eq!(api.status.as_u16(), 401, "{api:?}");

    // Logout needs the session's token.
    let forged = browser.post("/logout.do", &[("sysparm_ck", "guess")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get("/navpage.do").await.status, 200);
    let token = hidden(&shell.text, "sysparm_ck");
    let out = browser.post("/logout.do", &[("sysparm_ck", &token)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/login.do"));
    assert_eq!(browser.get("/navpage.do").await.status, 303);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_login_form_refuses_a_post_without_its_token_or_from_another_origin() {
    let sb = Sandbox::start().await;
    let password = sb.password_of("alice.agent").to_string();
    let mut browser = Browser::new(&sb);
    let no_token = browser
        .post(
            "/login.do",
            &[("user_name", "alice.agent"), ("user_password", &password)],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.text.contains("security token"));
    assert!(!browser.cookies.contains_key("glide_session_store"));

    let form = browser.get("/login.do").await;
    let ck = hidden(&form.text, "sysparm_ck");
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("sysparm_ck", ck.as_str()),
            ("user_name", "alice.agent"),
            ("user_password", password.as_str()),
        ])
        .finish();
    let cross = browser
        .send(
            sb.http
                .post(sb.url("/login.do"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", "https://evil.example")
                .body(body),
        )
        .await;
    assert_eq!(cross.status, 403);
    assert!(
        cross.text.contains(&format!("open {}/login.do", sb.base)),
        "{}",
        cross.text
    );
    assert!(!browser.cookies.contains_key("glide_session_store"));

    // A destination elsewhere is not followed after login.
    let form = browser
        .get("/login.do?sysparm_goto_url=https%3A%2F%2Fevil.example%2F")
        .await;
    assert!(form
        .text
        .contains("name=\"sysparm_goto_url\" value=\"/navpage.do\""));
    sb.shutdown().await;
}

#[tokio::test]
async fn lists_and_forms_show_hostile_values_as_text_with_dialable_phones_and_linked_references() {
    let sb = Sandbox::start().await;
    let account = insert(
        &sb,
        "customer_account",
        json!({"name": "Evil & Co \"<b>\"", "phone": "+1 555 0199"}),
    )
    .await;
    let contact = insert(
        &sb,
        "customer_contact",
        json!({
            "first_name": "<script>alert(1)</script>",
            "last_name": "O'Hara",
            "phone": "+1 555 0100",
            "email": "x\"onmouseover=\"alert(1)@example.com",
            "account": account,
        }),
    )
    .await;
    let mut browser = Browser::new(&sb);
    browser.log_in("alice.agent").await;

    let list = browser
        .get(&format!(
            "/customer_contact_list.do?sysparm_query={}",
            encode("phone=+1 555 0100")
        ))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list
        .csp
        .as_deref()
        .unwrap_or("")
        .contains("frame-ancestors 'self'"));
    assert!(!list.text.contains("<script>alert(1)"), "{}", list.text);
    assert!(list
        .text
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Hara"));
    assert!(list.text.contains("1 to 1 of 1"), "{}", list.text);
    assert!(list
        .text
        .contains("x&quot;onmouseover=&quot;alert(1)@example.com"));
    assert!(list.text.contains("href=\"tel:+15550100\""));
    assert!(
        list.text
            .contains("data-openframe=\"{&quot;type&quot;:&quot;OUTGOING_CALL&quot;,"),
        "{}",
        list.text
    );
    assert!(list.text.contains(&format!(
        "&quot;data&quot;:[{{&quot;entity&quot;:&quot;customer_contact&quot;,&quot;query&quot;:&quot;sys_id={contact}&quot;}}]"
    )), "{}", list.text);
    assert!(list.text.contains(&format!(
        "href=\"/customer_account.do?sys_id={account}\">Evil &amp; Co &quot;&lt;b&gt;&quot;</a>"
    )));

    let form = browser
        .get(&format!("/customer_contact.do?sys_id={contact}"))
        .await;
    assert_eq!(form.status, 200);
    assert!(!form.text.contains("<script>alert(1)"));
    assert!(form.text.contains("Contact: &lt;script&gt;"));
    assert!(form
        .text
        .contains("&quot;phoneNumber&quot;:&quot;+1 555 0100&quot;"));
    assert!(!form.text.contains("user_password"), "no password field");

    // Paging: 2 rows a page over the seeded contacts.
    let first = browser
        .get("/customer_contact_list.do?sysparm_rows=2")
        .await;
    assert!(first.text.contains("1 to 2 of"), "{}", first.text);
    assert!(first.text.contains("rel=\"next\""));
    assert!(!first.text.contains("rel=\"prev\""));
    let second = browser
        .get("/customer_contact_list.do?sysparm_rows=2&sysparm_first_row=3")
        .await;
    assert!(second.text.contains("3 to 4 of"), "{}", second.text);
    assert!(second.text.contains("rel=\"prev\""));

    // A browser's top-level navigation is shown inside the workspace.
    let top = browser
        .send(
            sb.http
                .get(sb.url("/customer_contact_list.do"))
                .header("sec-fetch-dest", "document")
                .header("sec-fetch-mode", "navigate"),
        )
        .await;
    assert_eq!(top.status, 303);
    assert_eq!(
        top.location.as_deref(),
        Some("/nav_to.do?uri=%2Fcustomer_contact_list.do")
    );
    // Inside the workspace's frame the workspace shows the page, never a second workspace.
    let nested = browser
        .send(
            sb.http
                .get(sb.url("/nav_to.do?uri=%2Fcsm_consumer_list.do"))
                .header("sec-fetch-dest", "iframe"),
        )
        .await;
    assert_eq!(nested.status, 303);
    assert_eq!(nested.location.as_deref(), Some("/csm_consumer_list.do"));
    let missing = browser.get("/customer_contact.do?sys_id=0123").await;
    assert_eq!(missing.status, 404);
    let bad_table = browser.get("/no_such_table_list.do").await;
    assert_eq!(bad_table.status, 404);
    assert!(bad_table.text.contains("Invalid table no_such_table"));
    sb.shutdown().await;
}

#[tokio::test]
async fn the_case_recording_link_is_a_link_only_when_it_is_a_web_address() {
    let sb = Sandbox::start().await;
    insert(
        &sb,
        "sys_dictionary",
        json!({"name": "sn_customerservice_case", "element": "u_recording_url",
               "internal_type": "url", "max_length": "1024", "column_label": "Call recording"}),
    )
    .await;
    let good = insert(
        &sb,
        "sn_customerservice_case",
        json!({"short_description": "Call", "u_recording_url": "https://cb.example/recordings/call-1"}),
    )
    .await;
    let bad = insert(
        &sb,
        "sn_customerservice_case",
        json!({"short_description": "Hostile", "u_recording_url": "javascript:alert(1)"}),
    )
    .await;
    let mut browser = Browser::new(&sb);
    browser.log_in("alice.agent").await;
    let form = browser
        .get(&format!("/sn_customerservice_case.do?sys_id={good}"))
        .await;
    assert!(form.text.contains("<a class=\"url\" href=\"https://cb.example/recordings/call-1\" target=\"_blank\" rel=\"noopener noreferrer\">"), "{}", form.text);
    assert!(form.text.contains("Call recording"));
    let hostile = browser
        .get(&format!("/sn_customerservice_case.do?sys_id={bad}"))
        .await;
    assert!(!hostile.text.contains("href=\"javascript:"));
    assert!(hostile.text.contains("javascript:alert(1)"));
    let list = browser.get("/sn_customerservice_case_list.do").await;
    assert!(list.text.contains("https://cb.example/recordings/call-1"));
    // A contact's form links to its Cases.
    let contact = insert(
        &sb,
        "customer_contact",
        json!({"first_name": "Rel", "last_name": "Ated"}),
    )
    .await;
    insert(
        &sb,
        "sn_customerservice_case",
        json!({"short_description": "Related one", "contact": contact}),
    )
    .await;
    let form = browser
        .get(&format!("/customer_contact.do?sys_id={contact}"))
        .await;
    // The Case's contact carries the contact's numbers (UI16's phone icon), the contact as context.
    let contact_with_phone = insert(
        &sb,
        "customer_contact",
        json!({"first_name": "Pho", "last_name": "Ne", "mobile_phone": "+1 555 0123"}),
    )
    .await;
    let case = insert(
        &sb,
        "sn_customerservice_case",
        json!({"short_description": "Call back", "contact": contact_with_phone}),
    )
    .await;
    let case_form = browser
        .get(&format!("/sn_customerservice_case.do?sys_id={case}"))
        .await;
    assert!(
        case_form
            .text
            .contains("<span class=\"ref-phones\"><a class=\"phone\" href=\"tel:+15550123\""),
        "{}",
        case_form.text
    );
    assert!(case_form
        .text
        .contains(&format!("&quot;sys_id={contact_with_phone}&quot;")));
    let link = format!("/sn_customerservice_case_list.do?sysparm_query=contact%3D{contact}");
    assert!(
        form.text
            .contains(&format!("href=\"{link}\">Cases (Contact)</a>")),
        "{}",
        form.text
    );
    let cases = browser.get(&link).await;
    assert!(
        cases.text.contains("Related one") && cases.text.contains("1 to 1 of 1"),
        "{}",
        cases.text
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn a_case_form_shows_its_work_notes_newest_first_as_text() {
    let sb = Sandbox::start().await;
    let case = insert(
        &sb,
        "sn_customerservice_case",
        json!({"short_description": "Call", "work_notes": "First: <b>called</b>"}),
    )
    .await;
    let patch = sb
        .send(
            sb.request(
                Who::Admin,
                Method::PATCH,
                &format!("/api/now/table/sn_customerservice_case/{case}"),
            )
            .json(&json!({"work_notes": "Second note"})),
        )
        .await;
    patch.expect(200);
    let mut browser = Browser::new(&sb);
    browser.log_in("alice.agent").await;
    let form = browser
        .get(&format!("/sn_customerservice_case.do?sys_id={case}"))
        .await;
    let activity = form.text.find("<h2 id=\"activity-title\">Activity</h2>");
    assert!(activity.is_some(), "{}", form.text);
    let second = form.text.find("Second note").expect("the newer note");
    let first = form
        .text
        .find("First: &lt;b&gt;called&lt;/b&gt;")
        .expect("the older note, escaped");
    assert!(second < first, "newest first");
    assert!(form.text.contains("Work notes"));
}

#[tokio::test]
async fn a_user_without_the_csm_role_is_refused_in_the_instance_words() {
    let sb = Sandbox::start().await;
    let mut browser = Browser::new(&sb);
    browser.log_in("carol.norole").await;
    for path in [
        "/customer_contact_list.do",
        "/csm_consumer_list.do",
        "/customer_account_list.do",
        "/sn_customerservice_case_list.do",
        "/customer_contact.do?sys_id=-1",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(
            page.text
                .contains("Security constraints prevent access to requested page"),
            "{path}: {}",
            page.text
        );
        assert!(!page.text.contains("Tanaka"), "{path} shows no data");
    }
    // Nor a record by its id.
    let alice = {
        let mut b = Browser::new(&sb);
        b.log_in("alice.agent").await;
        b.get("/customer_contact_list.do?sysparm_query=last_name%3DTanaka")
            .await
    };
    let marker = "href=\"/customer_contact.do?sys_id=";
    let start = alice.text.find(marker).expect("alice sees Tanaka") + marker.len();
    let id = &alice.text[start..start + 32];
    let page = browser
        .get(&format!("/customer_contact.do?sys_id={id}"))
        .await;
    assert_eq!(page.status, 403);
    assert!(!page.text.contains("Tanaka"));
    // No OpenFrame panel for a user without the OpenFrame role either.
    let shell = browser.get("/navpage.do").await;
    assert!(!shell.text.contains("id=\"openframe\""));
    sb.shutdown().await;
}

#[tokio::test]
async fn a_new_contact_form_is_prefilled_from_the_query_and_saves_with_the_session_token() {
    let sb = Sandbox::start().await;
    let mut browser = Browser::new(&sb);
    browser.log_in("alice.agent").await;
    let form = browser
        .get(&format!(
            "/customer_contact.do?sys_id=-1&sysparm_query={}",
            encode("phone=+15551234567^first_name=<i>New</i>")
        ))
        .await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(
        form.text.contains(
            "id=\"phone\" name=\"phone\" type=\"tel\" maxlength=\"40\" value=\"+15551234567\""
        ),
        "{}",
        form.text
    );
    assert!(form.text.contains("value=\"&lt;i&gt;New&lt;/i&gt;\""));
    let token = hidden(&form.text, "sysparm_ck");

    let forged = browser
        .post(
            "/customer_contact.do",
            &[("sysparm_ck", "nope"), ("phone", "+15551234567")],
        )
        .await;
    assert_eq!(forged.status, 403);

    let saved = browser
        .post(
            "/customer_contact.do",
            &[
                ("sysparm_ck", &token),
                ("first_name", "Nadia"),
                ("last_name", "New"),
                ("phone", "+15551234567"),
                ("sys_action", "sysverb_insert"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let location = saved.location.expect("to the new record");
    let sys_id = location
        .strip_prefix("/customer_contact.do?sys_id=")
        .expect("the new record's form");
    let record = sb
        .send(sb.request(
            Who::Admin,
            Method::GET,
            &format!("/api/now/table/customer_contact/{sys_id}"),
        ))
        .await;
    record.expect(200);
    assert_eq!(record.result()["phone"], "+15551234567");
    assert_eq!(record.result()["name"], "Nadia New");
    assert_eq!(record.result()["sys_created_by"], "alice.agent");
    let page = browser.get(&location).await;
    assert!(page.text.contains("Contact: Nadia New"));
    sb.shutdown().await;
}

#[tokio::test]
async fn the_openframe_library_is_served_as_javascript_for_both_versions() {
    let sb = Sandbox::start().await;
    for version in ["latest", "1.0.5"] {
        let response = sb
            .http
            .get(sb.url(&format!("/scripts/openframe/{version}/openFrameAPI.min.js")))
            .send()
            .await
            .expect("served");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/javascript;charset=UTF-8"
        );
        assert_eq!(
            response.headers()["cross-origin-resource-policy"],
            "cross-origin"
        );
        let text = response.text().await.unwrap();
        for api in [
            "global.openFrameAPI = api",
            "init:",
            "subscribe:",
            "COMMUNICATION_EVENT: 'openframe_communication'",
            "show:",
            "hide:",
            "isVisible:",
            "setTitle:",
            "setSubtitle:",
            "setPresenceIndicator:",
            "toastMessage:",
            "openServiceNowForm:",
            "setSize:",
            "version:",
            "'NOW.PostMessage'",
        ] {
            assert!(text.contains(api), "the library has {api}");
        }
    }
    let unknown = sb
        .http
        .get(sb.url("/scripts/openframe/9.9/openFrameAPI.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 400);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_panel_comes_from_the_active_configuration_row_and_trusts_only_allowed_origins() {
    let sb = Sandbox::start().await;
    let mut browser = Browser::new(&sb);
    browser.log_in("alice.agent").await;
    let bare = browser.get("/navpage.do").await;
    assert!(!bare.text.contains("id=\"openframe\""), "no row, no panel");
    assert!(bare.csp.unwrap().ends_with("frame-src 'self'"));

    insert(
        &sb,
        "sn_openframe_configuration",
        json!({"name": "Off", "url": "http://127.0.0.1:9/off/", "active": "false", "order": "1"}),
    )
    .await;
    insert(
        &sb,
        "sn_openframe_configuration",
        json!({"name": "Phone", "title": "Phone <b>", "subtitle": "Callbridge",
               "url": "http://127.0.0.1:1/softphone/", "width": "400", "height": "600",
               "order": "10", "configuration": "{\"a\":1}"}),
    )
    .await;
    let shell = browser.get("/navpage.do?uri=%2Fcsm_consumer_list.do").await;
    assert_eq!(shell.status, 200);
    assert!(
        shell
            .text
            .contains("data-url=\"http://127.0.0.1:1/softphone/\""),
        "{}",
        shell.text
    );
    assert!(shell
        .text
        .contains("data-width=\"400\" data-height=\"600\""));
    assert!(shell.text.contains("data-title=\"Phone &lt;b&gt;\""));
    assert!(shell
        .text
        .contains("data-configuration=\"{&quot;a&quot;:1}\""));
    assert!(shell.text.contains("src=\"/csm_consumer_list.do\""));
    assert!(shell.text.contains("id=\"openframe-toggle\""));
    assert!(shell.text.contains("data-trusted=\"false\""));
    assert!(shell
        .text
        .contains("glide.ui.concourse.onmessage_enforce_same_origin_whitelist"));
    let csp = shell.csp.unwrap();
    assert!(
        csp.ends_with("frame-src 'self' http://127.0.0.1:1"),
        "{csp}"
    );

    set_property(
        &sb,
        "glide.ui.concourse.onmessage_enforce_same_origin_whitelist",
        "http://127.0.0.1:1",
    )
    .await;
    let trusted = browser.get("/navpage.do").await;
    assert!(trusted.text.contains("data-trusted=\"true\""));
    assert!(!trusted.text.contains("id=\"openframe-untrusted\""));

    // The UI16 phone-icon payload shape, selected by the sandbox property.
    set_property(
        &sb,
        "x_cb_sandbox.openframe.communication_shape",
        "phone_number",
    )
    .await;
    let list = browser
        .get("/customer_contact_list.do?sysparm_query=last_name%3DTanaka")
        .await;
    assert!(list.text.contains("data-openframe=\"{&quot;phone_number&quot;:&quot;03-1234-5678&quot;,&quot;table&quot;:&quot;customer_contact&quot;,&quot;sys_id&quot;:"), "{}", list.text);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_consent_page_reuses_the_ui_session() {
    let sb = Sandbox::start().await;
    let mut browser = Browser::new(&sb);
    browser.log_in("bob.agent").await;
    let page = browser
        .get(&format!(
            "/oauth_auth.do?response_type=code&client_id={}&redirect_uri={}",
            sb.creds.client_id,
            encode("http://127.0.0.1:8080/api/v1/crm/oauth/callback")
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("id=\"signed-in-user\">bob.agent<"),
        "{}",
        page.text
    );
    sb.shutdown().await;
}
