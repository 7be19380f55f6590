//! The call-events API held to its contract, `docs/openapi/call-events.yaml`: what the schema
//! refuses is refused (with the status it announces), what it allows is accepted, an event id
//! reused for another event is refused, and a PBX's agent UI can send the agent's choices.

mod support;

use std::time::Duration;

use callbridge_integration::runtime::Notice;
use serde_json::{json, Value};
use support::World;

const WAIT: Duration = Duration::from_secs(10);

fn held(event_id: &str) -> Value {
    json!({"event_id": event_id, "call_id": "call-x", "type": "held"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_not_sent_as_application_json_is_refused_with_415() {
    let world = World::start().await;
    let raw = held("ct-1").to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
    ] {
        let (status, reply) = world.event_raw(&raw, content_type).await;
        assert_eq!(status, 415, "{content_type:?}: {reply}");
        assert_eq!(reply["error"]["code"], json!("unsupported_media_type"));
    }
    // Refused bodies were not recorded: the same event sent properly is new.
    let (status, reply) = world
        .event_raw(&raw, Some("Application/JSON; charset=utf-8"))
        .await;
    assert_eq!(status, 202, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_longer_than_the_schemas_max_length_is_refused() {
    let world = World::start().await;
    let (status, reply) = world
        .event(
            json!({"event_id": "long-1", "call_id": "call-long", "type": "offered",
                      "agent": "alice", "caller": "1".repeat(10_000)}),
        )
        .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["error"]["field"], json!("caller"));
    let (status, _) = world
        .event(
            json!({"event_id": "long-2", "call_id": "call-long", "type": "offered",
                      "agent": "alice", "caller": "1".repeat(64)}),
        )
        .await;
    assert_eq!(status, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fields_each_event_type_requires_are_exactly_the_schemas() {
    let world = World::start().await;
    for (body, field) in [
        (json!({"type": "ended"}), "cause"),
        (json!({"type": "recording_ready"}), "recording"),
        (json!({"type": "held", "agent": "alice"}), "agent"),
        (
            json!({"type": "contact_chosen", "agent": "alice"}),
            "contact",
        ),
        (json!({"type": "case_requested"}), "agent"),
    ] {
        let mut body = body;
        body["event_id"] = json!(format!("req-{field}-{}", support::rand_suffix()));
        body["call_id"] = json!("call-req");
        let (status, reply) = world.event(body.clone()).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], json!("invalid_event"), "{body}");
        assert_eq!(reply["error"]["field"], json!(field), "{body}");
    }
    let (status, reply) = world
        .event(
            json!({"event_id": "req-ok", "call_id": "call-req", "type": "ended",
                      "cause": "failed", "detail": "trunk lost"}),
        )
        .await;
    assert_eq!(status, 202, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_id_reused_with_another_body_is_refused_with_409_and_a_retry_is_not() {
    let world = World::start().await;
    assert_eq!(world.event(held("1")).await.0, 202);
    // A retry, even serialised differently, is a duplicate.
    let (status, reply) = world
        .event_raw(
            r#"{ "type": "held", "call_id": "call-x", "event_id": "1" }"#,
            Some("application/json"),
        )
        .await;
    assert_eq!((status, reply["status"].clone()), (200, json!("duplicate")));
    // The same id for another event (a PBX numbering events per call) is refused, not dropped.
    let reused = json!({"event_id": "1", "call_id": "call-y", "type": "held"});
    let (status, reply) = world.event(reused).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["code"], json!("event_id_reused"));
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("new id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_an_agent_chooses_over_the_api_is_the_one_the_case_holds() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    // Haruto Tanaka holds "03-1234-5678" and Yui Sato "+81 3-1234-5678": the same number.
    world
        .call(
            "call-choose",
            &[json!({"type": "offered", "agent": "alice", "caller": "03-1234-5678"})],
        )
        .await;
    let Notice::ChooseContact { candidates } = world
        .notice("alice", WAIT, |n| matches!(n, Notice::ChooseContact { .. }))
        .await
    else {
        unreachable!()
    };
    let yui = candidates
        .iter()
        .find(|c| c.name == "Yui Sato")
        .expect("Yui Sato is a candidate")
        .clone();
    // The PBX's agent UI passes the candidate on exactly as the notice gave it.
    let contact = serde_json::to_value(&yui).unwrap();
    world
        .call(
            "call-choose",
            &[
                json!({"type": "contact_chosen", "agent": "alice", "contact": contact}),
                json!({"type": "answered", "agent": "alice"}),
                json!({"type": "connected", "agent": "alice"}),
            ],
        )
        .await;
    let case = world.one_case("call-choose", WAIT).await;
    assert_eq!(case["contact"], json!(yui.id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_agent_asking_over_the_api_gets_the_one_case_an_unlinked_first_answerer_suppressed(
) {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    let step = |kind: &str, agent: &str| json!({"type": kind, "agent": agent});
    world
        .call(
            "call-ask",
            &[
                json!({"type": "offered", "agent": "carol", "caller": "+18582877834"}),
                step("answered", "carol"),
                step("connected", "carol"),
                json!({"type": "transferred", "agent": "carol", "to_agent": "alice"}),
                json!({"type": "offered", "agent": "alice", "caller": "+18582877834"}),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    world
        .notice("alice", WAIT, |n| {
            matches!(n, Notice::Message { text, .. } if text.contains("had no linked CRM account"))
        })
        .await;
    assert!(world.cases("call-ask").await.is_empty());

    world
        .call("call-ask", &[step("case_requested", "alice")])
        .await;
    world
        .notice("alice", WAIT, |n| matches!(n, Notice::ShowCase { .. }))
        .await;
    // Asking again shows the same Case; it never makes a second one.
    world
        .call("call-ask", &[step("case_requested", "alice")])
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(world.cases("call-ask").await.len(), 1);
}
