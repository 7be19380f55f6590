//! The agent's WebSocket on a server without telephony: a contact center whose calls come from
//! its own PBX through the signed call-events API still gets its screen pops and Case news on
//! the agents' softphones.

mod support;

/// The softphone protocol's JSON Schema checks, shared with telephony's softphone tests.
#[path = "../../telephony/tests/support/schema.rs"]
#[allow(dead_code)]
mod schema;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{World, TENANT};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn offered(agent: &str, caller: &str) -> Value {
    json!({"type": "offered", "agent": agent, "caller": caller})
}

fn step(kind: &str, agent: &str) -> Value {
    json!({"type": kind, "agent": agent})
}

/// The URL `callbridge softphone-url` prints, with a ticket made the way it makes them.
fn softphone_url(world: &World, agent: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ticket =
        callbridge_web::softphone_ticket(&world.config.server.master_key, TENANT, agent, now);
    format!(
        "ws://{}/api/v1/tenants/{TENANT}/agents/{agent}/softphone?ticket={ticket}",
        world.server.addr
    )
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(text.as_str()).unwrap();
            schema::check(schema::Side::Server, &message);
            return message;
        }
    }
}

/// The next message that `pick` accepts; every message before it must be a `crm` one (nothing
/// else is sent without telephony).
async fn next_where(socket: &mut Socket, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let message = next(socket).await;
        if pick(&message) {
            return message;
        }
        assert_eq!(message["type"], "crm", "{message}");
    }
}

async fn send(socket: &mut Socket, message: Value) {
    schema::check(schema::Side::Client, &message);
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_fed_through_the_call_events_api_pops_on_the_agents_websocket_without_telephony() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let (mut alice, _) = tokio_tungstenite::connect_async(softphone_url(&world, "alice"))
        .await
        .unwrap();
    assert_eq!(
        next(&mut alice).await,
        json!({"type": "welcome", "tenant": TENANT, "agent": "alice", "queues": []})
    );

    // Sofia Garcia's business phone is stored as "+1 858 287 7834".
    world
        .call("call-ws", &[offered("alice", "+18582877834")])
        .await;
    let pop = next_where(&mut alice, |m| m["notice"]["type"] == "screen_pop").await;
    assert_eq!(pop["type"], "crm");
    assert_eq!(pop["call"], "call-ws");
    assert_eq!(pop["notice"]["contact"]["name"], "Sofia Garcia");

    world
        .call(
            "call-ws",
            &[step("answered", "alice"), step("connected", "alice")],
        )
        .await;
    let shown = next_where(&mut alice, |m| m["notice"]["type"] == "show_case").await;
    assert_eq!(shown["call"], "call-ws");
    let case = world.one_case("call-ws", WAIT).await;
    assert_eq!(shown["notice"]["case"]["label"], case["number"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telephony_crm_requests_reach_the_engine_and_call_control_is_refused_in_words() {
    let world = World::start().await;
    let (mut bob, _) = tokio_tungstenite::connect_async(softphone_url(&world, "bob"))
        .await
        .unwrap();
    assert_eq!(next(&mut bob).await["type"], "welcome");

    send(&mut bob, json!({"type": "ping"})).await;
    assert_eq!(next(&mut bob).await, json!({"type": "pong"}));

    for request in [
        json!({"type": "set_availability", "available": true}),
        json!({"type": "dial", "number": "+18582877834"}),
        json!({"type": "media_offer", "offer": {"type": "offer", "sdp": "v=0"}}),
    ] {
        send(&mut bob, request.clone()).await;
        let answer = next(&mut bob).await;
        assert_eq!(answer["type"], "error", "{request}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("no telephony"),
            "{answer}"
        );
    }

    // A CRM request goes to the engine, which answers for a call it does not know.
    send(
        &mut bob,
        json!({"type": "create_case", "call": "no-such-call"}),
    )
    .await;
    let refused = next(&mut bob).await;
    assert_eq!(refused["type"], "crm", "{refused}");
    assert_eq!(refused["call"], "no-such-call");
    assert_eq!(refused["notice"]["type"], "message");
    assert_eq!(refused["notice"]["reason"]["kind"], "call_not_found");

    // A second connection replaces the first.
    let (mut again, _) = tokio_tungstenite::connect_async(softphone_url(&world, "bob"))
        .await
        .unwrap();
    assert_eq!(next(&mut again).await["type"], "welcome");
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match bob.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the replaced connection is closed");
}

/// The status and body a refused WebSocket upgrade gets.
async fn refused(url: String) -> (u16, Value) {
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        other => panic!("expected a refusal, got {:?}", other.map(|(_, r)| r)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telephony_a_bad_ticket_or_an_unknown_tenant_is_refused_before_the_upgrade() {
    let world = World::start().await;
    let base = format!("ws://{}/api/v1/tenants", world.server.addr);
    let (status, body) = refused(format!(
        "{base}/{TENANT}/agents/alice/softphone?ticket=1.AAAA"
    ))
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "bad_ticket");
    let elsewhere = softphone_url(&world, "alice").replace(&format!("/{TENANT}/"), "/nobody/");
    let (status, body) = refused(elsewhere).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_agent");
    // `/` is the softphone page (503 in a build without the UI); other paths are nobody's.
    let root = reqwest::get(format!("http://{}/", world.server.addr))
        .await
        .unwrap();
    assert!(matches!(root.status().as_u16(), 200 | 503), "{root:?}");
    let stray = reqwest::get(format!("http://{}/softphone.php", world.server.addr))
        .await
        .unwrap();
    assert_eq!(stray.status(), 404);
}

/// The PATCH requests the sandbox saw on the Case table (each work note is one).
fn case_patches(counts: &Value) -> u64 {
    counts
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("PATCH") && k.contains("sn_customerservice_case"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_call_work_is_written_once_to_the_case_through_a_crm_outage() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let (mut alice, _) = tokio_tungstenite::connect_async(softphone_url(&world, "alice"))
        .await
        .unwrap();
    assert_eq!(next(&mut alice).await["type"], "welcome");
    world
        .call(
            "call-wrap",
            &[
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    next_where(&mut alice, |m| m["notice"]["type"] == "show_case").await;
    let case = world.one_case("call-wrap", WAIT).await;
    let number = case["number"].as_str().unwrap().to_string();
    world
        .call(
            "call-wrap",
            &[json!({"type": "ended", "cause": "customer_hung_up"})],
        )
        .await;

    // Refused before anything is written: an agent who was not on the call, an unknown code,
    // notes over the limit.
    let (mut bob, _) = tokio_tungstenite::connect_async(softphone_url(&world, "bob"))
        .await
        .unwrap();
    assert_eq!(next(&mut bob).await["type"], "welcome");
    send(
        &mut bob,
        json!({"type": "submit_wrap_up", "call": "call-wrap", "disposition": null, "notes": "mine"}),
    )
    .await;
    let refused = next(&mut bob).await;
    assert_eq!(
        refused,
        json!({"type": "error", "message":
            "you were not on this call; only the agents who answered it can write its wrap-up"})
    );
    send(
        &mut alice,
        json!({"type": "submit_wrap_up", "call": "call-wrap", "disposition": "nope", "notes": ""}),
    )
    .await;
    let refused = next_where(&mut alice, |m| m["type"] == "error").await;
    assert!(
        refused["message"].as_str().unwrap().contains("\"nope\""),
        "{refused}"
    );
    let long = "x".repeat(4001);
    let frame = json!({"type": "submit_wrap_up", "call": "call-wrap", "notes": long});
    alice
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
    let refused = next_where(&mut alice, |m| m["type"] == "error").await;
    assert_eq!(refused["message"], "notes are limited to 4000 characters");

    // The CRM is down for the first two attempts of the write.
    let admin = world.admin();
    admin.reset_requests().await;
    admin
        .fault(json!({"kind": "status", "status": 503, "count": 2,
                      "path_prefix": "/api/now/v2/table/sn_customerservice_case"}))
        .await;
    send(
        &mut alice,
        json!({"type": "submit_wrap_up", "call": "call-wrap", "disposition": "resolved",
               "notes": "Replaced the router."}),
    )
    .await;
    let queued = next_where(&mut alice, |m| m["type"] == "wrap_up_status").await;
    assert_eq!(
        queued,
        json!({"type": "wrap_up_status", "call": "call-wrap", "status": "queued",
               "detail": format!("Saving to {number}.")})
    );
    // A second submission is refused, whatever it says.
    send(
        &mut alice,
        json!({"type": "submit_wrap_up", "call": "call-wrap", "disposition": null, "notes": "again"}),
    )
    .await;
    let mut second_refused = false;
    let written = loop {
        let message = next(&mut alice).await;
        match message["type"].as_str() {
            Some("error") => {
                assert!(
                    message["message"]
                        .as_str()
                        .unwrap()
                        .contains("already submitted"),
                    "{message}"
                );
                second_refused = true;
            }
            Some("wrap_up_status") => break message,
            _ => assert_eq!(message["type"], "crm", "{message}"),
        }
    };
    assert_eq!(
        written,
        json!({"type": "wrap_up_status", "call": "call-wrap", "status": "written",
               "detail": format!("Saved to {number}.")})
    );
    if !second_refused {
        let refused = next_where(&mut alice, |m| m["type"] == "error").await;
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("already submitted"),
            "{refused}"
        );
    }

    // Three PATCHes reached the Case table: two refused by the outage, one written. Nothing
    // more comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = admin.requests().await;
    assert_eq!(case_patches(&counts), 3, "{counts}");
    // The journal field is write-only through the Table API (the sandbox answers "" as
    // ServiceNow does), so the note's text is checked where it is composed (core `wrap_up`);
    // here: the one outbox row, done, for this Case.
    let done = world
        .server
        .store
        .outbox_result(TENANT, "add_wrap_up_note", "call-wrap:wrap_up")
        .await
        .unwrap()
        .expect("the note's row is done");
    assert_eq!(done["case"]["label"], number.as_str());
    assert_eq!(world.server.store.pending_count(TENANT).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_call_work_for_a_call_without_a_case_fails_in_words() {
    let world = World::start().await;
    let (mut bob, _) = tokio_tungstenite::connect_async(softphone_url(&world, "bob"))
        .await
        .unwrap();
    assert_eq!(next(&mut bob).await["type"], "welcome");
    send(
        &mut bob,
        json!({"type": "submit_wrap_up", "call": "no-case", "disposition": null, "notes": "hi"}),
    )
    .await;
    assert_eq!(
        next(&mut bob).await,
        json!({"type": "wrap_up_status", "call": "no-case", "status": "failed",
               "detail": "This call has no Case to write to."})
    );
}
