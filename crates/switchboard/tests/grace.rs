//! A call in progress survives its agent's softphone going away without signing out: every
//! ordering of loss, return, grace end, customer hang-up and sign-out.

mod support;

use callbridge_core::{EndCause, Event};
use callbridge_switchboard::{
    AgentState, Input, Outcome, Output, Prompt, QueueConfig, Refusal, Resumption,
    SwitchboardConfig, UnavailableReason,
};
use support::*;

/// Ann (support) is connected to c1; Bob (support) is logged in and available.
fn ann_on_a_call() -> Sim {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.online("bob", &["support"]);
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    sim
}

fn lose(sim: &mut Sim, who: &str) -> Vec<Output> {
    sim.send(Input::AgentLost { agent: agent(who) })
}

fn back(sim: &mut Sim, who: &str) -> Vec<Output> {
    sim.send(Input::AgentOnline {
        agent: agent(who),
        tenant: TENANT.into(),
        queues: vec!["support".into()],
        available: false,
    })
}

fn call_ended_causes(out: &[Output]) -> Vec<(EndCause, bool)> {
    out.iter()
        .filter_map(|o| match o {
            Output::CallEnded {
                cause, agent_lost, ..
            } => Some((cause.clone(), *agent_lost)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lost_softphone_keeps_the_call_and_the_customer_hears_the_queues_music() {
    let mut sim = ann_on_a_call();
    let out = lose(&mut sim, "ann");
    assert_eq!(
        out,
        [
            Output::Unbridge { call: call("c1") },
            Output::PlayToCustomer {
                call: call("c1"),
                prompt: Prompt::Music(Some("support".into())),
            },
        ],
        "no hang-up, no record, no message to a softphone that is not there"
    );
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    assert!(sim.sb.call(&call("c1")).is_some());
    // Nor is the agent offered another call while away.
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["bob"]);
}

#[test]
fn returning_within_the_grace_period_bridges_the_call_again() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(19);
    let Resumption::Call(resumed) = sim.sb.resumption(&agent("ann")) else {
        panic!("the call waits for ann");
    };
    assert_eq!(resumed.call, call("c1"));
    assert!(!resumed.held);
    assert_eq!(resumed.queue, Some("support".into()));
    let out = back(&mut sim, "ann");
    assert_eq!(
        out,
        [
            Output::Bridge {
                call: call("c1"),
                agent: agent("ann"),
            },
            Output::AgentUpdate {
                agent: agent("ann"),
                state: AgentState::OnCall { call: call("c1") },
                message: format!("You are back on your call with {CUSTOMER}."),
            },
        ]
    );
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
    // The grace deadline is gone: nothing happens when it would have passed.
    let out = sim.advance_secs(60);
    assert!(out.is_empty(), "{out:?}");
    // The call goes on as usual and ends once, with one record.
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert_eq!(ended_count(&out), 1);
    assert_eq!(the_record(&out).outcome, Outcome::Answered);
    assert!(sim.is_available("ann"));
}

#[test]
fn the_grace_period_passing_ends_the_call_as_agent_lost_and_logs_the_agent_out() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    let out = sim.advance_ms(19_999);
    assert!(out.is_empty(), "{out:?}");
    let out = sim.advance_ms(1);
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    assert_eq!(ended_count(&out), 1);
    assert_eq!(call_ended_causes(&out).len(), 1);
    assert!(call_ended_causes(&out)[0].1, "told as agent_lost");
    assert!(has(
        &out,
        &Output::AgentUpdate {
            agent: agent("ann"),
            state: AgentState::Offline,
            message: "You are offline.".into(),
        }
    ));
    let record = the_record(&out);
    assert_eq!(record.outcome, Outcome::Answered);
    assert_eq!(sim.state("ann"), AgentState::Offline);
    // Her next connection is told how the call ended; her next login starts afresh.
    assert!(matches!(
        sim.sb.resumption(&agent("ann")),
        Resumption::Ended { call: c, agent_lost: true, .. } if c == call("c1")
    ));
    let out = back(&mut sim, "ann");
    assert!(has(
        &out,
        &Output::AgentUpdate {
            agent: agent("ann"),
            state: AgentState::Unavailable {
                reason: UnavailableReason::Away
            },
            message: "You are logged in and away.".into(),
        }
    ));
    assert!(!out.iter().any(|o| matches!(o, Output::Bridge { .. })));
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
}

#[test]
fn returning_after_the_grace_period_finds_no_ghost_call() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(25);
    let out = back(&mut sim, "ann");
    assert!(integration(&out).is_empty());
    assert!(sim.sb.call(&call("c1")).is_none());
    assert!(sim.sb.has_ended(&call("c1")));
}

#[test]
fn a_farewell_is_forgotten_after_the_ended_call_memory() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(20);
    assert!(matches!(
        sim.sb.resumption(&agent("ann")),
        Resumption::Ended { .. }
    ));
    sim.advance_secs(301);
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
}

#[test]
fn losing_and_returning_twice_keeps_the_call_each_loss_with_its_own_grace_period() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(15);
    back(&mut sim, "ann");
    sim.advance_secs(10);
    lose(&mut sim, "ann");
    // 25 s after the first loss, 15 s into the second: still waiting.
    let out = sim.advance_secs(15);
    assert!(out.is_empty(), "{out:?}");
    let out = back(&mut sim, "ann");
    assert!(has(
        &out,
        &Output::Bridge {
            call: call("c1"),
            agent: agent("ann"),
        }
    ));
    assert!(sim.advance_secs(60).is_empty());
    assert!(sim.sb.call(&call("c1")).is_some());
}

#[test]
fn a_second_loss_before_the_return_keeps_the_first_deadline() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(10);
    // The audio died first, then the socket: one loss.
    let out = lose(&mut sim, "ann");
    assert!(out.is_empty(), "{out:?}");
    let out = sim.advance_secs(10);
    assert_eq!(ended_count(&out), 1, "20 s after the first loss");
}

#[test]
fn the_customer_hanging_up_during_the_grace_period_ends_the_call_once_and_the_agent_is_told_later()
{
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(5);
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert_eq!(ended_count(&out), 1);
    assert_eq!(call_ended_causes(&out), [(EndCause::CustomerHungUp, false)]);
    assert!(!has(&out, &Output::HangUpCustomer { call: call("c1") }));
    // No wrap-up nor availability without a softphone: logged out.
    assert_eq!(sim.state("ann"), AgentState::Offline);
    assert_eq!(
        sim.sb.resumption(&agent("ann")),
        Resumption::Ended {
            call: call("c1"),
            cause: EndCause::CustomerHungUp,
            agent_lost: false,
        }
    );
    // The grace deadline does nothing more.
    assert!(sim.advance_secs(30).is_empty());
    let out = back(&mut sim, "ann");
    assert!(!out.iter().any(|o| matches!(o, Output::Bridge { .. })));
    assert!(matches!(sim.state("ann"), AgentState::Unavailable { .. }));
}

#[test]
fn another_tab_taking_over_moves_the_call_to_it() {
    // The runtime reports the replaced connection as lost, then the new one logs in as soon
    // as its audio is up: the call moves, it does not end.
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    assert!(matches!(
        sim.sb.resumption(&agent("ann")),
        Resumption::Call(_)
    ));
    sim.advance_ms(700);
    let out = back(&mut sim, "ann");
    assert!(has(
        &out,
        &Output::Bridge {
            call: call("c1"),
            agent: agent("ann"),
        }
    ));
    assert_eq!(ended_count(&out), 0);
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
}

#[test]
fn signing_out_during_the_grace_period_ends_the_call_at_once() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    sim.advance_secs(3);
    let out = sim.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    assert_eq!(ended_count(&out), 1);
    assert!(call_ended_causes(&out).iter().all(|(_, lost)| !lost));
    assert_eq!(sim.state("ann"), AgentState::Offline);
    assert!(
        sim.advance_secs(30).is_empty(),
        "the grace deadline was dropped"
    );
}

#[test]
fn a_held_call_stays_held_through_the_loss_and_the_return() {
    let mut sim = ann_on_a_call();
    sim.send(Input::Hold {
        agent: agent("ann"),
        call: call("c1"),
    });
    let out = lose(&mut sim, "ann");
    assert!(out.is_empty(), "music already plays: {out:?}");
    let Resumption::Call(resumed) = sim.sb.resumption(&agent("ann")) else {
        panic!("the call waits");
    };
    assert!(resumed.held);
    let out = back(&mut sim, "ann");
    assert!(!out.iter().any(|o| matches!(o, Output::Bridge { .. })));
    assert_eq!(
        messages_to(&out, "ann"),
        [format!("You are back on your call; {CUSTOMER} is on hold.")]
    );
    let out = sim.send(Input::Resume {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert!(has(
        &out,
        &Output::Bridge {
            call: call("c1"),
            agent: agent("ann"),
        }
    ));
}

#[test]
fn while_the_audio_is_away_hold_and_transfer_wait_and_hang_up_ends_the_call() {
    let mut sim = ann_on_a_call();
    lose(&mut sim, "ann");
    let out = sim.send(Input::Hold {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        refusals(&out),
        [Refusal::AudioReconnecting { call: call("c1") }]
    );
    let out = sim.transfer("ann", "c1", to_agent("bob"));
    assert_eq!(
        refusals(&out),
        [Refusal::AudioReconnecting { call: call("c1") }]
    );
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    assert_eq!(call_ended_causes(&out), [(EndCause::AgentHungUp, false)]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
}

#[test]
fn a_call_ringing_when_the_softphone_goes_moves_on_to_the_next_agent_at_once() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    let out = sim.inbound("c1", "support");
    assert_eq!(rung(&out), ["ann"]);
    let out = lose(&mut sim, "ann");
    assert_eq!(rung(&out), ["bob"]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
}

#[test]
fn an_unanswered_dial_is_cancelled_when_the_softphone_goes() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::Dial {
        agent: agent("ann"),
        call: call("o1"),
        to: callbridge_core::E164::parse("+442079460000").unwrap(),
    });
    let out = lose(&mut sim, "ann");
    assert!(has(&out, &Output::CancelOriginate { call: call("o1") }));
    assert_eq!(sim.state("ann"), AgentState::Offline);
}

#[test]
fn an_answered_outbound_call_waits_too() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::Dial {
        agent: agent("ann"),
        call: call("o1"),
        to: callbridge_core::E164::parse("+442079460000").unwrap(),
    });
    sim.send(Input::OutboundAnswered { call: call("o1") });
    let out = lose(&mut sim, "ann");
    assert!(has(
        &out,
        &Output::PlayToCustomer {
            call: call("o1"),
            prompt: Prompt::Music(None),
        }
    ));
    let out = back(&mut sim, "ann");
    assert!(has(
        &out,
        &Output::Bridge {
            call: call("o1"),
            agent: agent("ann"),
        }
    ));
}

#[test]
fn an_agent_lost_while_idle_is_logged_out_as_before() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    let out = lose(&mut sim, "ann");
    assert_eq!(messages_to(&out, "ann"), ["You are offline.".to_string()]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
}

#[test]
fn without_a_grace_period_a_lost_softphone_ends_the_call_at_once() {
    let mut sim = Sim::new(SwitchboardConfig {
        queues: vec![queue("support")],
        agent_grace: secs(0),
        ..SwitchboardConfig::default()
    });
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = lose(&mut sim, "ann");
    assert_eq!(ended_count(&out), 1);
    assert!(integration(&out)
        .iter()
        .any(|e| matches!(e, Event::Ended { .. })));
}

// ----- after-call work survives a lost softphone too ----------------------------------------

/// Ann (support, 60 s of wrap-up) has just finished c1 with the customer hanging up: she is in
/// after-call work for it. Bob (support) is available.
fn ann_wrapping_up() -> Sim {
    let mut sim = Sim::with_queues(vec![QueueConfig {
        wrap_up: Some(secs(60)),
        ..queue("support")
    }]);
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.online("bob", &["support"]);
    sim.send(Input::CustomerHungUp { call: call("c1") });
    assert!(matches!(sim.state("ann"), AgentState::WrapUp { .. }));
    sim
}

fn wrap_up_ends_at(sim: &Sim, who: &str) -> callbridge_core::Timestamp {
    match sim.state(who) {
        AgentState::WrapUp { until } => until,
        other => panic!("{who} is not wrapping up: {other:?}"),
    }
}

#[test]
fn a_softphone_lost_during_wrap_up_keeps_the_agent_in_it_and_offers_no_calls() {
    let mut sim = ann_wrapping_up();
    let until = wrap_up_ends_at(&sim, "ann");
    let out = lose(&mut sim, "ann");
    assert!(
        out.is_empty(),
        "nothing to tell a softphone that is not there: {out:?}"
    );
    assert_eq!(sim.state("ann"), AgentState::WrapUp { until });
    assert_eq!(
        sim.sb.resumption(&agent("ann")),
        Resumption::WrapUp {
            call: call("c1"),
            ends_at: until,
        }
    );
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["bob"]);
}

#[test]
fn returning_during_wrap_up_finds_it_and_its_end_makes_the_agent_available() {
    let mut sim = ann_wrapping_up();
    let until = wrap_up_ends_at(&sim, "ann");
    lose(&mut sim, "ann");
    sim.advance_secs(19);
    let out = back(&mut sim, "ann");
    assert_eq!(
        out,
        [Output::AgentUpdate {
            agent: agent("ann"),
            state: AgentState::WrapUp { until },
            message: "You are logged in and wrapping up a call.".into(),
        }]
    );
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
    // The grace deadline is gone; the wrap-up's own end makes her available as usual.
    let out = sim.advance_secs(2);
    assert!(out.is_empty(), "{out:?}");
    sim.advance_secs(40);
    assert!(sim.is_available("ann"));
}

#[test]
fn the_grace_period_passing_during_wrap_up_logs_the_agent_out() {
    let mut sim = ann_wrapping_up();
    lose(&mut sim, "ann");
    let out = sim.advance_ms(19_999);
    assert!(out.is_empty(), "{out:?}");
    let out = sim.advance_ms(1);
    assert_eq!(messages_to(&out, "ann"), ["You are offline.".to_string()]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
    assert_eq!(sim.sb.resumption(&agent("ann")), Resumption::Nothing);
    // Her wrap-up timer is gone with her: nothing happens when it would have ended.
    let out = sim.advance_secs(60);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_wrap_up_ending_while_the_softphone_is_away_logs_the_agent_out_instead_of_offering_calls() {
    let mut sim = ann_wrapping_up();
    // 50 of the 60 s pass; the softphone goes with 10 s of wrap-up left, under the 20 s grace.
    sim.advance_secs(50);
    lose(&mut sim, "ann");
    let out = sim.advance_secs(10);
    assert_eq!(messages_to(&out, "ann"), ["You are offline.".to_string()]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
    // A waiting call is not offered to her; the stale grace timer does nothing.
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["bob"]);
    let out = sim.advance_secs(20);
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::AgentUpdate { agent: a, .. } if *a == agent("ann"))),
        "{out:?}"
    );
}

#[test]
fn while_the_audio_is_away_during_wrap_up_availability_waits_for_it() {
    let mut sim = ann_wrapping_up();
    let until = wrap_up_ends_at(&sim, "ann");
    lose(&mut sim, "ann");
    let out = sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert_eq!(refusals(&out), [Refusal::AudioReconnectingAfterCall]);
    assert_eq!(sim.state("ann"), AgentState::WrapUp { until });
    // Once back, she may end the wrap-up herself.
    back(&mut sim, "ann");
    sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert!(sim.is_available("ann"));
}

#[test]
fn going_unavailable_while_the_audio_is_away_does_not_open_a_way_to_available() {
    // Found by the property test: unavailable, then available, while still reconnecting, made
    // her available with no softphone to ring; a queue she returned to then kept its caller
    // waiting beside her.
    let mut sim = ann_wrapping_up();
    lose(&mut sim, "ann");
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    let out = sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert_eq!(refusals(&out), [Refusal::AudioReconnectingAfterCall]);
    assert!(!sim.is_available("ann"));
    // A call waits meanwhile (Bob is busy with it ringing elsewhere, so it queues).
    sim.send(Input::SetUnavailable {
        agent: agent("bob"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c2", "support");
    // Back, then available: the waiting call rings her at once.
    back(&mut sim, "ann");
    let out = sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert_eq!(rung(&out), ["ann"]);
}

#[test]
fn an_agent_back_from_a_loss_and_available_is_offered_the_waiting_call() {
    let mut sim = ann_wrapping_up();
    lose(&mut sim, "ann");
    sim.send(Input::SetUnavailable {
        agent: agent("bob"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c2", "support");
    back(&mut sim, "ann");
    // Her wrap-up ends by itself: available, and the waiting call rings her.
    let out = sim.advance_secs(60);
    assert_eq!(rung(&out), ["ann"]);
}

#[test]
fn signing_out_during_wrap_ups_grace_period_logs_out_at_once() {
    let mut sim = ann_wrapping_up();
    lose(&mut sim, "ann");
    let out = sim.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert_eq!(messages_to(&out, "ann"), ["You are offline.".to_string()]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
    let out = sim.advance_secs(60);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_transfer_leaves_the_transferring_agent_wrapping_up_that_call() {
    let mut sim = ann_wrapping_up();
    // Bob takes c2 and transfers it back to the queue (where Ann, wrapping up, is logged in):
    // his wrap-up is about c2.
    sim.inbound("c2", "support");
    sim.answer("bob", "c2");
    let out = sim.transfer("bob", "c2", to_queue("support"));
    assert!(refusals(&out).is_empty(), "{out:?}");
    assert!(matches!(sim.state("bob"), AgentState::WrapUp { .. }));
    lose(&mut sim, "bob");
    assert!(matches!(
        sim.sb.resumption(&agent("bob")),
        Resumption::WrapUp { call: c, .. } if c == call("c2")
    ));
}
