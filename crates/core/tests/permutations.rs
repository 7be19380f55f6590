//! Every order of one call's events (exhaustively, not sampled): a PBX's webhooks overtake each
//! other, so the Case must not depend on the order. Exactly one Case when the call was connected
//! and its first answerer was linked, none otherwise; the Case names the matched contact.

mod support;

use callbridge_core::{Command, Event, LookupResult, PartyRefs};
use support::*;

/// Calls `visit` with every permutation of `items` (Heap's algorithm).
fn permutations<T: Clone>(items: &[T], visit: &mut impl FnMut(&[T])) {
    let mut items = items.to_vec();
    let n = items.len();
    let mut c = vec![0; n];
    visit(&items);
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                items.swap(0, i);
            } else {
                items.swap(c[i], i);
            }
            visit(&items);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
}

/// What the CRM ended up with for the call.
struct Outcome {
    creates: usize,
    assigned: Option<String>,
    party: PartyRefs,
}

/// Delivers `order` to a fresh engine (agents in `linked` linked), playing the CRM: every
/// lookup finds `p1`, every Case write succeeds. Then lets every deadline pass.
fn run(order: &[Event], linked: &[&str]) -> Outcome {
    let mut sim = Sim::with_linked(linked);
    let mut outcome = Outcome {
        creates: 0,
        assigned: None,
        party: PartyRefs::default(),
    };
    let mut queue: Vec<Event> = order.iter().rev().cloned().collect();
    let mut absorb = |commands: Vec<Command>, queue: &mut Vec<Event>| {
        for command in commands {
            match command {
                Command::LookupContacts { call, agent, .. } => queue.push(Event::LookupCompleted {
                    call,
                    agent,
                    result: LookupResult::Matches(vec![contact("p1")]),
                }),
                Command::CreateCase { call, fields, .. } => {
                    outcome.creates += 1;
                    outcome.assigned = Some(fields.assigned_agent.name().to_string());
                    outcome.party = fields.party;
                    queue.push(case_created(call.as_str(), "case-1"));
                }
                Command::UpdateCaseContact { party, .. } => outcome.party = party,
                _ => {}
            }
        }
    };
    while let Some(event) = queue.pop() {
        let commands = sim.send(event);
        absorb(commands, &mut queue);
    }
    for _ in 0..3 {
        let commands = sim.advance_secs(60);
        absorb(commands, &mut queue);
        while let Some(event) = queue.pop() {
            let commands = sim.send(event);
            absorb(commands, &mut queue);
        }
    }
    outcome
}

/// The agent of the first `answered` or `connected` in arrival order: the first answerer.
fn first_answerer(order: &[Event]) -> Option<String> {
    order.iter().find_map(|e| match e {
        Event::AgentAnswered { agent, .. } | Event::Connected { agent, .. } => {
            Some(agent.name().to_string())
        }
        _ => None,
    })
}

fn one_agent_call(with_connection: bool) -> Vec<Event> {
    let mut events = vec![
        offer("c1", "ann"),
        answer("c1", "ann"),
        Event::Held {
            call: call_id("c1"),
        },
        Event::RecordingReady {
            call: call_id("c1"),
            recording: "rec/c1.wav".into(),
        },
        end("c1"),
    ];
    if with_connection {
        events.push(connect("c1", "ann"));
        events.push(Event::Resumed {
            call: call_id("c1"),
        });
    }
    events
}

#[test]
fn any_order_of_a_connected_calls_events_gives_exactly_one_case_with_its_contact() {
    let mut orders = 0;
    permutations(&one_agent_call(true), &mut |order| {
        orders += 1;
        let outcome = run(order, &["ann"]);
        assert_eq!(outcome.creates, 1, "order {order:#?}");
        assert_eq!(outcome.assigned.as_deref(), Some("ann"));
        assert_eq!(
            outcome.party,
            PartyRefs::of(&contact("p1")),
            "order {order:#?}"
        );
    });
    assert_eq!(orders, 5040);
}

#[test]
fn any_order_of_a_call_that_never_connected_gives_no_case() {
    permutations(&one_agent_call(false), &mut |order| {
        assert_eq!(run(order, &["ann"]).creates, 0, "order {order:#?}");
    });
}

#[test]
fn any_order_with_an_unlinked_first_answerer_gives_no_automatic_case() {
    permutations(&one_agent_call(true), &mut |order| {
        assert_eq!(run(order, &[]).creates, 0, "order {order:#?}");
    });
}

fn transferred_call() -> Vec<Event> {
    vec![
        offer("c1", "ann"),
        answer("c1", "ann"),
        connect("c1", "ann"),
        transfer("c1", "ann", "bob"),
        offer("c1", "bob"),
        answer("c1", "bob"),
        connect("c1", "bob"),
        end("c1"),
    ]
}

#[test]
fn any_order_of_a_transferred_call_gives_one_case_and_keeps_the_transfer_rule() {
    let mut orders = 0;
    permutations(&transferred_call(), &mut |order| {
        orders += 1;
        let first = first_answerer(order).expect("the call is answered");
        // Both linked: one Case, assigned to whoever answered first.
        let both = run(order, &["ann", "bob"]);
        assert_eq!(both.creates, 1, "order {order:#?}");
        assert_eq!(both.assigned.as_deref(), Some(first.as_str()));
        assert_eq!(both.party, PartyRefs::of(&contact("p1")));
        // Only bob linked: a Case exactly when bob answered first (the transfer rule).
        let only_bob = run(order, &["bob"]);
        let expected = usize::from(first == "bob");
        assert_eq!(only_bob.creates, expected, "order {order:#?}");
    });
    assert_eq!(orders, 40_320);
}
