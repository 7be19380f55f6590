//! "Silence before answer is not a dead call": the runtime reports every media timeout, and the
//! switchboard decides which ones end a call. A carrier owes no audio to a customer leg nobody
//! has answered yet (a queued call hearing ringback, an outbound call still ringing), so only a
//! timeout on an answered customer leg ends the call.

mod support;

use callbridge_core::EndCause;
use callbridge_switchboard::{CallStatus, Input, Leg, Output, UnavailableReason, Waiting};
use support::*;

fn customer_silent(sim: &mut Sim, id: &str) -> Vec<Output> {
    sim.send(Input::MediaTimeout {
        call: call(id),
        leg: Leg::Customer,
    })
}

#[test]
fn silence_from_a_ringing_unanswered_inbound_call_is_ignored_until_the_answer() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    let ignored_before = sim.sb.stats().ignored_stale;

    let out = customer_silent(&mut sim, "c1");
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(sim.sb.stats().ignored_stale, ignored_before + 1);
    assert_eq!(
        sim.sb.call(&call("c1")).map(|c| c.status),
        Some(CallStatus::Ringing {
            agent: agent("ann")
        })
    );

    sim.answer("ann", "c1");
    let out = customer_silent(&mut sim, "c1");
    assert_eq!(ended_count(&out), 1);
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    assert!(
        matches!(the_record(&out).end_cause, EndCause::Failed(ref why) if why.contains("customer"))
    );
}

#[test]
fn silence_from_a_call_answered_to_play_music_in_the_queue_ends_it() {
    let mut support = queue("support");
    support.waiting = Waiting::Music;
    let mut sim = Sim::with_queues(vec![support]);
    // Ann is logged in but paused: the call waits in the queue, answered, hearing music.
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    let out = sim.inbound("c1", "support");
    assert!(has(&out, &Output::AnswerCustomer { call: call("c1") }));

    let out = customer_silent(&mut sim, "c1");
    assert_eq!(ended_count(&out), 1);
    assert!(sim.sb.has_ended(&call("c1")));
}

#[test]
fn silence_from_an_outbound_call_not_answered_yet_is_ignored() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::Dial {
        agent: agent("ann"),
        call: call("o1"),
        to: callbridge_core::E164::parse(CUSTOMER).unwrap(),
    });
    sim.send(Input::OutboundRinging { call: call("o1") });

    let out = customer_silent(&mut sim, "o1");
    assert!(out.is_empty(), "{out:?}");
    assert!(!sim.sb.has_ended(&call("o1")));

    sim.send(Input::OutboundAnswered { call: call("o1") });
    let out = customer_silent(&mut sim, "o1");
    assert_eq!(ended_count(&out), 1);
}

#[test]
fn silence_from_the_agent_is_not_excused_by_the_customer_leg() {
    // The rule is about the carrier's leg only: an agent's dead media session ends the call
    // whatever state the customer's leg is in.
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.send(Input::MediaTimeout {
        call: call("c1"),
        leg: Leg::Agent,
    });
    assert_eq!(ended_count(&out), 1);
}
