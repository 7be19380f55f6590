//! Accounts, sessions and the session-authenticated softphone, used as the browser UI uses them
//! (`docs/web-api.md`): real HTTP and WebSocket against a real server on loopback, the CRM
//! link through the sandbox.

mod support;

use std::time::Duration;

use callbridge_store::Role;
use callbridge_web::account::provision::{self, Wanted};
use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{json, Value};
use support::{World, TENANT};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "correct horse battery staple";

async fn add(world: &World, user: &str, role: Role) {
    provision::create(
        &world.server.store,
        &Wanted {
            tenant: TENANT.into(),
            user: user.into(),
            display_name: format!("{user} (display)"),
            role,
        },
        PASSWORD,
    )
    .await
    .unwrap();
}

/// A browser tab: its session cookie and CSRF token.
struct Tab {
    cookie: String,
    csrf: String,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

async fn request(
    world: &World,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut builder = world
        .http
        .request(method, format!("{}{path}", world.public_url));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    let response = builder.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

async fn sign_in_raw(world: &World, tenant: &str, user: &str, password: &str) -> Answer {
    request(
        world,
        reqwest::Method::POST,
        "/api/v1/session",
        &[("origin", &world.public_url)],
        Some(json!({"tenant": tenant, "user": user, "password": password})),
    )
    .await
}

async fn sign_in(world: &World, user: &str) -> Tab {
    let answer = sign_in_raw(world, TENANT, user, PASSWORD).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let set = answer.headers[SET_COOKIE].to_str().unwrap().to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    Tab {
        cookie,
        csrf: answer.body["csrf_token"].as_str().unwrap().to_string(),
    }
}

impl Tab {
    async fn get(&self, world: &World, path: &str) -> Answer {
        request(
            world,
            reqwest::Method::GET,
            path,
            &[("cookie", &self.cookie)],
            None,
        )
        .await
    }

    /// A state-changing request as the page sends it: cookie, CSRF token, its own origin.
    async fn change(&self, world: &World, method: reqwest::Method, path: &str) -> Answer {
        request(
            world,
            method,
            path,
            &[
                ("cookie", &self.cookie),
                ("x-csrf-token", &self.csrf),
                ("origin", &world.public_url),
            ],
            Some(json!({})),
        )
        .await
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `agent`'s softphone with `cookie` from `origin`: the socket, or the refusal's status
/// and body.
async fn softphone(
    world: &World,
    agent: &str,
    cookie: Option<&str>,
    origin: &str,
) -> Result<Socket, (u16, Value)> {
    let url = format!(
        "ws://{}/api/v1/tenants/{TENANT}/agents/{agent}/softphone",
        world.server.addr
    );
    let mut request = url.into_client_request().unwrap();
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
    }
    request
        .headers_mut()
        .insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
                .unwrap_or(Value::Null);
            Err((status, body))
        }
        Err(other) => panic!("connecting: {other}"),
    }
}

/// Reads until the server closes the socket; its close code and reason.
async fn close_of(socket: &mut Socket) -> (u16, String) {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("the server closes the socket in time");
        match frame {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (u16::from(frame.code), frame.reason.to_string())
            }
            Some(Ok(Message::Close(None))) | None => panic!("closed without a close code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("the socket failed instead of closing: {e}"),
        }
    }
}

/// The first message, which a welcomed connection gets.
async fn welcomed(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

#[tokio::test]
async fn an_agent_signs_in_and_out_and_a_wrong_password_is_told_like_an_unknown_user() {
    let world = World::start().await;
    add(&world, "alice", Role::Agent).await;

    let wrong = sign_in_raw(&world, TENANT, "alice", "not the password!").await;
    let unknown = sign_in_raw(&world, TENANT, "nobody", PASSWORD).await;
    let no_tenant = sign_in_raw(&world, "globex", "alice", PASSWORD).await;
    for refused in [&wrong, &unknown, &no_tenant] {
        assert_eq!(refused.status, 401);
        assert_eq!(refused.body, wrong.body, "one answer for all three");
        assert_eq!(refused.code(), "bad_credentials");
    }
    let malformed = request(
        &world,
        reqwest::Method::POST,
        "/api/v1/session",
        &[],
        Some(json!({"tenant": TENANT, "user": 7})),
    )
    .await;
    assert_eq!((malformed.status, malformed.code()), (400, "bad_request"));
    assert!(malformed.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("\"user\""));

    let answer = sign_in_raw(&world, TENANT, "alice", PASSWORD).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let set = answer.headers[SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("callbridge_session="), "{set}");
    assert!(
        set.ends_with("; Path=/; HttpOnly; Secure; SameSite=None; Partitioned; Max-Age=50400"),
        "{set}"
    );
    assert_eq!(answer.body["session"]["tenant"], TENANT);
    assert_eq!(answer.body["session"]["user"], "alice");
    assert_eq!(answer.body["session"]["role"], "agent");
    let expires = answer.body["session"]["expires_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    let tab = Tab {
        cookie: set.split(';').next().unwrap().to_string(),
        csrf: answer.body["csrf_token"].as_str().unwrap().to_string(),
    };
    let me = tab.get(&world, "/api/v1/session").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["csrf_token"], tab.csrf.as_str());

    // Signing out needs the CSRF token, and the page's own origin.
    let no_csrf = request(
        &world,
        reqwest::Method::DELETE,
        "/api/v1/session",
        &[("cookie", &tab.cookie)],
        None,
    )
    .await;
    assert_eq!((no_csrf.status, no_csrf.code()), (403, "bad_csrf_token"));
    let wrong_csrf = request(
        &world,
        reqwest::Method::DELETE,
        "/api/v1/session",
        &[("cookie", &tab.cookie), ("x-csrf-token", "AAAA")],
        None,
    )
    .await;
    assert_eq!(
        (wrong_csrf.status, wrong_csrf.code()),
        (403, "bad_csrf_token")
    );
    let foreign = request(
        &world,
        reqwest::Method::DELETE,
        "/api/v1/session",
        &[
            ("cookie", &tab.cookie),
            ("x-csrf-token", &tab.csrf),
            ("origin", "https://evil.example"),
        ],
        None,
    )
    .await;
    assert_eq!((foreign.status, foreign.code()), (403, "bad_origin"));
    let foreign_sign_in = request(
        &world,
        reqwest::Method::POST,
        "/api/v1/session",
        &[("origin", "https://evil.example")],
        Some(json!({"tenant": TENANT, "user": "alice", "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        (foreign_sign_in.status, foreign_sign_in.code()),
        (403, "bad_origin")
    );

    let out = tab
        .change(&world, reqwest::Method::DELETE, "/api/v1/session")
        .await;
    assert_eq!(out.status, 204);
    assert!(out.headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = tab.get(&world, "/api/v1/session").await;
    assert_eq!((after.status, after.code()), (401, "not_signed_in"));
    let anonymous = request(&world, reqwest::Method::GET, "/api/v1/me", &[], None).await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "not_signed_in"));
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_user_with_retry_after() {
    let world = World::start().await;
    add(&world, "alice", Role::Agent).await;
    for _ in 0..5 {
        let refused = sign_in_raw(&world, TENANT, "alice", "wrong password..").await;
        assert_eq!(refused.status, 401);
    }
    // The sixth is refused before the password is looked at, even the right one.
    let limited = sign_in_raw(&world, TENANT, "alice", PASSWORD).await;
    assert_eq!((limited.status, limited.code()), (429, "too_many_attempts"));
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    // Another user from the same address still may (5 failures are under the address's 20).
    add(&world, "bob", Role::Agent).await;
    assert_eq!(
        sign_in_raw(&world, TENANT, "bob", PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn the_session_opens_its_own_agents_softphone_only_and_signing_out_closes_it() {
    let world = World::start().await;
    add(&world, "alice", Role::Agent).await;
    add(&world, "bob", Role::Agent).await;
    let alice = sign_in(&world, "alice").await;
    let bob = sign_in(&world, "bob").await;

    let mut socket = softphone(&world, "alice", Some(&alice.cookie), &world.public_url)
        .await
        .expect("alice's session opens alice's softphone");
    assert_eq!(welcomed(&mut socket).await["type"], "welcome");

    let (status, body) = softphone(&world, "alice", Some(&bob.cookie), &world.public_url)
        .await
        .expect_err("bob's session does not open alice's softphone");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_ticket"))
    );
    let (status, body) = softphone(&world, "alice", None, &world.public_url)
        .await
        .expect_err("refused");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_ticket"))
    );
    let (status, body) = softphone(&world, "alice", Some(&alice.cookie), "https://evil.example")
        .await
        .expect_err("refused");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("bad_origin"))
    );

    // A second connection of the same agent replaces the first, which is told so.
    let mut second = softphone(&world, "alice", Some(&alice.cookie), &world.public_url)
        .await
        .unwrap();
    assert_eq!(welcomed(&mut second).await["type"], "welcome");
    assert_eq!(close_of(&mut socket).await, (4001, "replaced".to_string()));

    // Signing out everywhere (from another tab's session) closes it with 4401.
    let other_tab = sign_in(&world, "alice").await;
    let out = other_tab
        .change(&world, reqwest::Method::DELETE, "/api/v1/sessions")
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(
        close_of(&mut second).await,
        (4401, "signed_out".to_string())
    );
    assert_eq!(alice.get(&world, "/api/v1/session").await.status, 401);
    assert_eq!(
        bob.get(&world, "/api/v1/session").await.status,
        200,
        "bob is still in"
    );
}

#[tokio::test]
async fn the_profile_shows_the_crm_link_and_the_page_links_and_unlinks_through_the_real_flow() {
    let world = World::start().await;
    add(&world, "alice", Role::Agent).await;
    add(&world, "ada", Role::Admin).await;
    let alice = sign_in(&world, "alice").await;

    let me = alice.get(&world, "/api/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["tenant"]["id"], TENANT);
    assert_eq!(me.body["tenant"]["region"], "JP");
    assert_eq!(
        me.body["agent"],
        json!({"name": "alice", "display_name": "alice (display)", "role": "agent"})
    );
    assert_eq!(me.body["crm"]["kind"], "servicenow");
    assert_eq!(
        me.body["crm"]["instance_url"],
        world.sandbox.base_url.as_str()
    );
    assert_eq!(me.body["crm"]["tables"]["case"], "sn_customerservice_case");
    assert_eq!(
        me.body["crm"]["link"],
        json!({"state": "not_linked", "user": null, "linked_at": null})
    );
    let origins = me.body["tenant"]["allowed_origins"].as_array().unwrap();
    assert_eq!(origins[0], world.public_url.as_str());
    assert_eq!(origins.len(), 2, "{origins:?}");
    assert_eq!(
        me.body["softphone_path"],
        "/api/v1/tenants/demo/agents/alice/softphone"
    );
    assert_eq!(
        me.body["disposition_codes"],
        json!([{"code": "resolved", "label": {"en": "Resolved", "ja": "解決"}},
               {"code": "call_back", "label": {"en": "Call back", "ja": "Call back"}}])
    );

    // The page's "Connect": a start URL with a fresh ticket, opened in a pop-up (a browser of
    // its own: a pop-up does not see the frame's partitioned cookie).
    let started = alice
        .change(&world, reqwest::Method::POST, "/api/v1/me/crm-link")
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    let start_url = started.body["start_url"].as_str().unwrap();
    assert!(start_url.starts_with(&format!(
        "{}/api/v1/tenants/demo/agents/alice/crm-link?ticket=",
        world.public_url
    )));
    let popup = world.browser();
    let start = popup.send(popup.http.get(start_url)).await;
    assert_eq!(start.status(), 303);
    let authorize = start.headers()["location"].to_str().unwrap().to_string();
    let callback = world.sign_in(&popup, &authorize, "alice.agent").await;
    let (status, page) = popup.get(&callback).await;
    assert_eq!(status, 200, "{page}");

    let linked = alice.get(&world, "/api/v1/me").await;
    assert_eq!(linked.body["crm"]["link"]["state"], "linked");
    assert_eq!(linked.body["crm"]["link"]["user"], "alice.agent");
    assert!(linked.body["crm"]["link"]["linked_at"].is_string());

    // Tokens the CRM refused for good: the profile asks to link again.
    world
        .server
        .store
        .mark_link_refused(TENANT, "alice", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let refused = alice.get(&world, "/api/v1/me").await;
    assert_eq!(refused.body["crm"]["link"]["state"], "relink_required");

    let unlinked = alice
        .change(&world, reqwest::Method::DELETE, "/api/v1/me/crm-link")
        .await;
    assert_eq!(unlinked.status, 204);
    assert!(world
        .server
        .store
        .link(TENANT, "alice")
        .await
        .unwrap()
        .is_none());
    let again = alice
        .change(&world, reqwest::Method::DELETE, "/api/v1/me/crm-link")
        .await;
    assert_eq!(again.status, 204, "already unlinked is fine");
    assert_eq!(
        alice.get(&world, "/api/v1/me").await.body["crm"]["link"]["state"],
        "not_linked"
    );

    // An admin has no softphone.
    let ada = sign_in(&world, "ada").await;
    let not_agent = ada.get(&world, "/api/v1/me").await;
    assert_eq!((not_agent.status, not_agent.code()), (403, "not_an_agent"));
}

#[tokio::test]
async fn colleagues_are_the_tenants_agents_and_another_tenant_is_refused() {
    let world = World::start().await;
    add(&world, "alice", Role::Agent).await;
    add(&world, "bob", Role::Agent).await;
    add(&world, "sam", Role::Supervisor).await;
    let alice = sign_in(&world, "alice").await;
    let list = alice.get(&world, "/api/v1/tenants/demo/colleagues").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let names: Vec<&str> = list.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(list.body["agents"][1]["state"], "offline");
    let other = alice.get(&world, "/api/v1/tenants/globex/colleagues").await;
    assert_eq!((other.status, other.code()), (403, "wrong_tenant"));
}
