//! The durable journal must keep replaying rows written by earlier versions. The fixtures in
//! `tests/fixtures/journal-v0/` are rows exactly as the version before the versioned journal wrote
//! them (the core's `Event` serialised with serde): `processed_events.jsonl` has one
//! `processed_events.payload` per line (every event variant and every shape of its fields),
//! `lookup_outcomes.jsonl` one `lookup_outcomes.payload` per line. Each must still read back as
//! the same core event. `tests/fixtures/journal-v1/` pins the versioned format the same way.

use callbridge_core::{
    AccountRef, AgentId, CallerNumber, CaseRef, ContactRef, Direction, EndCause, Event,
    LookupFailure, LookupResult, PartyKind, TransferTarget, E164,
};
use callbridge_integration::journal;

fn agent(text: &str) -> AgentId {
    AgentId::parse(text).unwrap()
}

/// The events the fixture rows were written from, in file order.
fn journalled_events() -> Vec<Event> {
    let offered = |call: &str, direction, customer| Event::CallOffered {
        call: call.into(),
        tenant: "acme".into(),
        direction,
        customer,
        agent: agent("acme:alice"),
    };
    vec![
        offered(
            "call-1",
            Direction::Inbound,
            CallerNumber::Dialable(E164::parse("+442071234567").unwrap()),
        ),
        offered("call-2", Direction::Inbound, CallerNumber::Withheld),
        offered(
            "call-3",
            Direction::Outbound,
            CallerNumber::Invalid("not a number".into()),
        ),
        Event::AgentAnswered {
            call: "call-1".into(),
            agent: agent("acme:alice"),
        },
        Event::Connected {
            call: "call-1".into(),
            agent: agent("acme:alice"),
        },
        Event::Transferred {
            call: "call-1".into(),
            from: agent("acme:alice"),
            to: TransferTarget::Agent(agent("acme:bob")),
        },
        Event::Transferred {
            call: "call-1".into(),
            from: agent("acme:bob"),
            to: TransferTarget::Queue("support".into()),
        },
        Event::Held {
            call: "call-1".into(),
        },
        Event::Resumed {
            call: "call-1".into(),
        },
        Event::Ended {
            call: "call-1".into(),
            cause: EndCause::CustomerHungUp,
        },
        Event::Ended {
            call: "call-2".into(),
            cause: EndCause::AgentHungUp,
        },
        Event::Ended {
            call: "call-3".into(),
            cause: EndCause::Abandoned,
        },
        Event::Ended {
            call: "call-4".into(),
            cause: EndCause::Failed("media timeout".into()),
        },
        Event::RecordingReady {
            call: "call-1".into(),
            recording: "acme/2026/12/call-1.wav".into(),
        },
        Event::LookupCompleted {
            call: "call-1".into(),
            agent: agent("acme:alice"),
            result: LookupResult::Failed(LookupFailure::RelinkRequired),
        },
        Event::LookupCompleted {
            call: "call-1".into(),
            agent: agent("acme:alice"),
            result: LookupResult::Failed(LookupFailure::Unavailable("CRM down".into())),
        },
        Event::ContactChosen {
            call: "call-1".into(),
            agent: agent("acme:alice"),
            contact: contact_with_account(),
        },
        Event::ContactChosen {
            call: "call-1".into(),
            agent: agent("acme:alice"),
            contact: consumer_without_account(),
        },
        Event::CaseCreated {
            call: "call-1".into(),
            case: case(),
        },
        Event::CaseFound {
            call: "call-1".into(),
            case: case(),
        },
        Event::CaseNotFound {
            call: "call-1".into(),
        },
        Event::CaseCreateFailed {
            call: "call-1".into(),
            reason: "CRM refused: 403".into(),
            permanent: true,
        },
        Event::CaseCreateFailed {
            call: "call-1".into(),
            reason: "CRM unavailable".into(),
            permanent: false,
        },
        Event::AgentLinkChanged {
            agent: agent("acme:alice"),
            linked: true,
        },
        Event::AgentLinkChanged {
            agent: agent("acme:alice"),
            linked: false,
        },
        Event::ManualCaseRequested {
            call: "call-1".into(),
            agent: agent("acme:alice"),
        },
    ]
}

/// The lookup outcomes the fixture rows were written from (only successful lookups are kept).
fn journalled_lookups() -> Vec<Event> {
    let lookup = |call: &str, contacts| Event::LookupCompleted {
        call: call.into(),
        agent: agent("acme:alice"),
        result: LookupResult::Matches(contacts),
    };
    vec![
        lookup("call-1", vec![]),
        lookup("call-2", vec![contact_with_account()]),
        lookup(
            "call-3",
            vec![contact_with_account(), consumer_without_account()],
        ),
    ]
}

fn contact_with_account() -> ContactRef {
    ContactRef {
        kind: PartyKind::Contact,
        id: "6816f79cc0a8016401c5a33be04be441".into(),
        name: "Ada Lovelace".into(),
        account: Some(AccountRef {
            id: "86837a386f0331003b3c498f5d3ee4ca".into(),
            name: "Analytical Engines Ltd".into(),
        }),
    }
}

fn consumer_without_account() -> ContactRef {
    ContactRef {
        kind: PartyKind::Consumer,
        id: "a1b2c3".into(),
        name: "Charles Babbage".into(),
        account: None,
    }
}

fn case() -> CaseRef {
    CaseRef {
        id: "46d44a23a9fe19810012d100cca80666".into(),
        label: "CS0001234".into(),
    }
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn rows(file: &str) -> Vec<String> {
    std::fs::read_to_string(format!("{FIXTURES}/{file}"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn rows_of_the_previous_format_read_back_as_the_same_events() {
    let read: Vec<Event> = rows("journal-v0/processed_events.jsonl")
        .iter()
        .map(|row| journal::decode(row).unwrap())
        .collect();
    assert_eq!(read, journalled_events());
    let read: Vec<Event> = rows("journal-v0/lookup_outcomes.jsonl")
        .iter()
        .map(|row| journal::decode(row).unwrap())
        .collect();
    assert_eq!(read, journalled_lookups());
}

/// Version 1 is pinned too: the rows this version writes must not change without a new version.
#[test]
fn version_1_rows_are_written_and_read_exactly_as_pinned() {
    let pinned = rows("journal-v1/processed_events.jsonl");
    let written: Vec<String> = journalled_events().iter().map(journal::encode).collect();
    assert_eq!(written, pinned);
    let read: Vec<Event> = pinned
        .iter()
        .map(|row| journal::decode(row).unwrap())
        .collect();
    assert_eq!(read, journalled_events());

    let pinned = rows("journal-v1/lookup_outcomes.jsonl");
    let written: Vec<String> = journalled_lookups().iter().map(journal::encode).collect();
    assert_eq!(written, pinned);
    let read: Vec<Event> = pinned
        .iter()
        .map(|row| journal::decode(row).unwrap())
        .collect();
    assert_eq!(read, journalled_lookups());
}

/// The rows go through the store as the replay reads them: every row of both versions comes back
/// as its event, and rows this version cannot read (a newer version, an unknown kind, garbage)
/// are told apart, never a panic, so the replay can report and skip them.
#[tokio::test]
async fn stored_rows_of_every_version_read_back_and_unreadable_ones_are_told_apart() {
    use callbridge_store::{SecretKey, Store};
    use time::OffsetDateTime;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("journal.db").display());
    let store = Store::open(&url, SecretKey::generate()).await.unwrap();
    let start = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let unreadable = [
        r#"{"v":99,"type":"connected","call":"call-1","agent":"acme:alice"}"#,
        r#"{"v":1,"type":"call_parked","call":"call-1"}"#,
        "not json",
    ];
    let mut all = rows("journal-v0/processed_events.jsonl");
    all.extend(unreadable.iter().map(|r| r.to_string()));
    all.extend(rows("journal-v1/processed_events.jsonl"));
    for (i, row) in all.iter().enumerate() {
        let at = start + time::Duration::milliseconds(i as i64);
        let id = format!("event-{i:03}");
        assert!(store
            .record_event_with_payload("acme", &id, at, row)
            .await
            .unwrap());
    }
    let stored = store.events_since("acme", start).await.unwrap();
    assert_eq!(stored, all);
    let (read, refused): (Vec<_>, Vec<_>) = stored
        .iter()
        .map(|row| journal::decode(row))
        .partition(Result::is_ok);
    let read: Vec<Event> = read.into_iter().map(Result::unwrap).collect();
    let expected: Vec<Event> = journalled_events()
        .into_iter()
        .chain(journalled_events())
        .collect();
    assert_eq!(read, expected);
    let refused: Vec<String> = refused
        .into_iter()
        .map(|e| e.unwrap_err().to_string())
        .collect();
    assert_eq!(refused.len(), unreadable.len());
    assert!(refused[0].contains("version 99"), "{refused:?}");
    assert!(refused[1].contains("call_parked"), "{refused:?}");
    assert!(refused[2].contains("not a journal record"), "{refused:?}");
}
