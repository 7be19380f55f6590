//! An outbound call that could not be placed keeps its cause all the way to the agent and the
//! call-detail record: "no trunk" or "no free audio port" are not "the network is unreachable".

mod support;

use callbridge_switchboard::{Input, OutboundFailure, Outcome, Output};
use support::*;

fn dial_and_fail(failure: OutboundFailure) -> (Sim, Vec<Output>) {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    let out = sim.send(Input::Dial {
        agent: agent("ann"),
        call: call("o1"),
        to: callbridge_core::E164::parse(CUSTOMER).unwrap(),
    });
    assert!(out.iter().any(|o| matches!(o, Output::Originate { .. })));
    let out = sim.send(Input::OutboundFailed {
        call: call("o1"),
        failure,
    });
    (sim, out)
}

#[test]
fn each_cause_of_a_call_not_placed_reaches_the_agent_and_the_record_as_itself() {
    for (failure, words) in [
        (OutboundFailure::NoTrunk, "no trunk configured"),
        (OutboundFailure::NoAudioPort, "No audio port is free"),
        (
            OutboundFailure::NotPlaced {
                detail: "invalid outbound request: bad host".into(),
            },
            "problem on our side",
        ),
        (
            OutboundFailure::Unreachable,
            "phone network could not be reached",
        ),
    ] {
        let (sim, out) = dial_and_fail(failure.clone());
        let told = messages_to(&out, "ann");
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains(words), "{failure:?}: {told:?}");
        assert_eq!(
            the_record(&out).outcome,
            Outcome::OutboundFailed(failure.clone())
        );
        assert!(sim.is_available("ann"), "{failure:?}");
    }
}

#[test]
fn internal_details_stay_in_the_record_and_out_of_the_agents_words() {
    let detail = "invalid outbound request: bad host 10.0.0.7";
    let (_, out) = dial_and_fail(OutboundFailure::NotPlaced {
        detail: detail.into(),
    });
    assert!(messages_to(&out, "ann")
        .iter()
        .all(|m| !m.contains("10.0.0.7")));
    assert_eq!(
        the_record(&out).outcome,
        Outcome::OutboundFailed(OutboundFailure::NotPlaced {
            detail: detail.into()
        })
    );
}
