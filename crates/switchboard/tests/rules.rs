//! The switchboard's rules, one test each, with a hand-moved clock.

mod support;

use callbridge_core::{CallerNumber, Direction, EndCause, Event, QueueId, Timestamp, E164};
use callbridge_switchboard::{
    AgentState, CallStatus, ConfigError, Input, Leg, MissedCallPolicy, OfferResult,
    OutboundFailure, Outcome, Output, Prompt, QueueConfig, Refusal, StopRinging, Switchboard,
    SwitchboardConfig, UnavailableReason, Unserved, Waiting,
};
use support::*;

// ----- agents and the idle order ------------------------------------------------------------

#[test]
fn an_inbound_call_rings_the_longest_idle_available_agent() {
    let mut sim = Sim::standard();
    sim.online("bob", &["support"]);
    sim.advance_secs(5);
    sim.online("ann", &["support"]);
    sim.advance_secs(5);
    let out = sim.inbound("c1", "support");
    assert_eq!(rung(&out), ["bob"]);
    assert!(has(
        &out,
        &Output::Integration {
            tenant: TENANT.into(),
            event: Event::CallOffered {
                call: call("c1"),
                tenant: TENANT.into(),
                direction: Direction::Inbound,
                customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
                agent: agent("bob"),
            }
        }
    ));
    assert_eq!(sim.state("bob"), AgentState::Ringing { call: call("c1") });
}

#[test]
fn idle_since_is_when_the_agent_last_became_available() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.advance_secs(1);
    // Ann takes a call and comes back: she is now the most recently idle.
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    sim.advance_secs(1);
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["bob"]);
}

#[test]
fn an_agent_only_gets_calls_from_the_queues_they_serve() {
    let mut sim = Sim::standard();
    sim.online("ann", &["sales"]);
    sim.online("bob", &["support"]);
    let out = sim.inbound("c1", "support");
    assert_eq!(rung(&out), ["bob"]);
}

#[test]
fn a_ring_timeout_offers_the_call_to_the_next_longest_idle_agent() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.advance_secs(19);
    assert!(rung(&out).is_empty(), "the ring timeout is 20 s");
    let out = sim.advance_secs(1);
    assert!(has(
        &out,
        &Output::StopRinging {
            agent: agent("ann"),
            call: call("c1"),
            why: StopRinging::NotAnswered,
        }
    ));
    assert_eq!(rung(&out), ["bob"]);
    assert_eq!(
        sim.state("ann"),
        AgentState::Unavailable {
            reason: UnavailableReason::MissedCall
        }
    );
    assert!(messages_to(&out, "ann")[0].contains("missed a call"));
}

#[test]
fn with_the_stay_available_policy_a_missed_agent_stays_available_at_the_back() {
    let mut sim = Sim::new(SwitchboardConfig {
        queues: vec![queue("support")],
        missed_call: MissedCallPolicy::StayAvailable,
        ..SwitchboardConfig::default()
    });
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    sim.advance_secs(20);
    assert!(sim.is_available("ann"));
    assert_eq!(sim.state("bob"), AgentState::Ringing { call: call("c1") });
    sim.answer("bob", "c1");
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["ann"]);
}

#[test]
fn a_declined_call_moves_on_and_the_agent_stays_available() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.send(Input::Decline {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(rung(&out), ["bob"]);
    assert!(sim.is_available("ann"));
}

#[test]
fn a_call_declined_by_every_agent_is_offered_again_rather_than_left_waiting() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.send(Input::Decline {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        rung(&out),
        ["ann"],
        "nobody else is idle, so the call comes back"
    );
}

#[test]
fn an_agent_who_becomes_available_gets_the_longest_waiting_call_of_their_queues() {
    let mut sim = Sim::standard();
    sim.online("zed", &["sales", "support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("zed"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c-support-1", "support");
    sim.advance_secs(1);
    sim.inbound("c-sales-1", "sales");
    sim.advance_secs(1);
    sim.inbound("c-support-2", "support");
    sim.online("ann", &["sales"]);
    assert_eq!(
        sim.state("ann"),
        AgentState::Ringing {
            call: call("c-sales-1")
        }
    );
    let out = sim.send(Input::SetAvailable {
        agent: agent("zed"),
    });
    assert_eq!(rung(&out), ["zed"]);
    assert_eq!(
        sim.state("zed"),
        AgentState::Ringing {
            call: call("c-support-1")
        }
    );
}

#[test]
fn an_agent_cannot_change_availability_during_a_call() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Other("lunch".into()),
    });
    assert_eq!(refusals(&out), [Refusal::BusyWithCall { call: call("c1") }]);
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
}

#[test]
fn logging_in_with_an_unknown_queue_is_refused() {
    let mut sim = Sim::standard();
    let out = sim.online("ann", &["support", "nope"]);
    assert_eq!(
        refusals(&out),
        [Refusal::UnknownQueue {
            queue: "nope".into()
        }]
    );
    assert_eq!(sim.state("ann"), AgentState::Offline);
}

#[test]
fn queues_of_different_tenants_with_the_same_id_are_separate() {
    let mut sim = Sim::with_queues(vec![queue("support"), QueueConfig::new("other", "support")]);
    sim.send(Input::AgentOnline {
        agent: agent("other:olga"),
        tenant: "other".into(),
        queues: vec!["support".into()],
        available: true,
    });
    let out = sim.inbound("c1", "support");
    assert!(rung(&out).is_empty());
    assert!(
        has(
            &out,
            &Output::RejectCustomer {
                call: call("c1"),
                status: 480,
                reason: "Temporarily Unavailable".into()
            }
        ),
        "nobody of {TENANT} is logged in: {out:#?}"
    );
}

#[test]
fn wrap_up_keeps_the_agent_from_calls_until_it_ends() {
    let mut config_queue = queue("support");
    config_queue.wrap_up = Some(secs(30));
    let mut sim = Sim::with_queues(vec![config_queue]);
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.send(Input::CustomerHungUp { call: call("c1") });
    assert!(matches!(sim.state("ann"), AgentState::WrapUp { .. }));
    let out = sim.inbound("c2", "support");
    assert!(rung(&out).is_empty());
    assert!(sim.advance_secs(29).is_empty());
    let out = sim.advance_secs(1);
    assert_eq!(
        rung(&out),
        ["ann"],
        "available again and given the waiting call"
    );
}

#[test]
fn an_agent_may_end_wrap_up_early() {
    let mut sim = Sim::new(SwitchboardConfig {
        queues: vec![queue("support")],
        wrap_up: secs(60),
        ..SwitchboardConfig::default()
    });
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    sim.inbound("c2", "support");
    let out = sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert_eq!(rung(&out), ["ann"]);
    // The wrap-up deadline is dropped with the wrap-up.
    sim.answer("ann", "c2");
    assert_eq!(
        sim.sb.pending_timers(),
        1,
        "only the memory of the ended call c1 is left"
    );
    sim.advance_secs(61);
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c2") });
}

// ----- waiting treatment and limits ---------------------------------------------------------

#[test]
fn ringback_queues_do_not_answer_the_caller_while_waiting() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    let out = sim.inbound("c1", "support");
    assert_eq!(
        out,
        [
            Output::CallQueued {
                tenant: "acme".into(),
                call: call("c1"),
                queue: "support".into(),
                customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
                direction: Direction::Inbound,
            },
            Output::RingbackCustomer { call: call("c1") }
        ]
    );
    let view = sim.sb.call(&call("c1")).unwrap();
    assert!(!view.answered);
    assert!(matches!(view.status, CallStatus::Queued { .. }));
}

#[test]
fn music_queues_answer_the_caller_and_play_the_queue_music() {
    let mut q = queue("support");
    q.waiting = Waiting::Music;
    let mut sim = Sim::with_queues(vec![q]);
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    let out = sim.inbound("c1", "support");
    assert!(matches!(&out[0], Output::CallQueued { queue, .. } if queue.as_str() == "support"));
    assert_eq!(
        out[1..],
        [
            Output::AnswerCustomer { call: call("c1") },
            Output::PlayToCustomer {
                call: call("c1"),
                prompt: Prompt::Music(Some("support".into()))
            }
        ]
    );
}

#[test]
fn a_full_queue_rejects_the_next_caller_as_busy() {
    let mut q = queue("support");
    q.max_waiting = 1;
    let mut sim = Sim::with_queues(vec![q]);
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support"); // rings Ann, not waiting
    sim.inbound("c1", "support"); // waits
    let out = sim.inbound("c2", "support");
    assert!(has(
        &out,
        &Output::RejectCustomer {
            call: call("c2"),
            status: 486,
            reason: "Busy Here".into()
        }
    ));
    let cdr = the_record(&out);
    assert_eq!(cdr.outcome, Outcome::Overflow);
    assert_eq!(ended_count(&out), 1);
}

#[test]
fn waiting_too_long_plays_the_announcement_then_hangs_up_when_it_finished() {
    let mut q = queue("support");
    q.max_wait = secs(60);
    q.overflow = Unserved::Announcement;
    let mut sim = Sim::with_queues(vec![q]);
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c1", "support");
    assert!(sim.advance_secs(59).is_empty());
    let out = sim.advance_secs(1);
    assert_eq!(
        out,
        [
            Output::AnswerCustomer { call: call("c1") },
            Output::PlayToCustomer {
                call: call("c1"),
                prompt: Prompt::Announcement("support".into())
            }
        ]
    );
    assert_eq!(
        sim.sb
            .queue_status(&TENANT.into(), &"support".into())
            .unwrap()
            .waiting,
        0
    );
    let out = sim.send(Input::PromptFinished { call: call("c1") });
    assert_eq!(out[0], Output::HangUpCustomer { call: call("c1") });
    let cdr = the_record(&out);
    assert_eq!(cdr.outcome, Outcome::Overflow);
    assert_eq!(cdr.wait_ms, 60_000);
}

#[test]
fn a_call_ringing_an_agent_when_the_max_wait_passes_overflows_only_if_the_ring_fails() {
    let mut q = queue("support");
    q.max_wait = secs(10);
    let mut sim = Sim::with_queues(vec![q]);
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.advance_secs(10);
    assert!(records(&out).is_empty(), "Ann is still ringing");
    let out = sim.advance_secs(10);
    assert!(
        rung(&out).is_empty(),
        "Bob is not tried: the caller waited too long"
    );
    assert_eq!(the_record(&out).outcome, Outcome::Overflow);
}

#[test]
fn a_queue_nobody_is_logged_in_to_applies_its_no_agent_behaviour() {
    let mut q = queue("support");
    q.no_agent = Unserved::Busy;
    let mut sim = Sim::with_queues(vec![q]);
    let out = sim.inbound("c1", "support");
    assert_eq!(
        out[0],
        Output::RejectCustomer {
            call: call("c1"),
            status: 486,
            reason: "Busy Here".into()
        }
    );
    assert_eq!(the_record(&out).outcome, Outcome::NoAgent);
}

#[test]
fn unavailable_agents_count_as_logged_in_so_callers_wait_for_them() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    let out = sim.inbound("c1", "support");
    assert!(records(&out).is_empty());
}

#[test]
fn when_the_last_agent_logs_out_waiting_callers_get_the_no_agent_treatment() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c1", "support");
    let out = sim.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert!(has(
        &out,
        &Output::RejectCustomer {
            call: call("c1"),
            status: 480,
            reason: "Temporarily Unavailable".into()
        }
    ));
    assert_eq!(the_record(&out).outcome, Outcome::NoAgent);
}

// ----- answer and hang-ups ------------------------------------------------------------------

#[test]
fn answering_bridges_records_and_emits_agent_answered_then_connected() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.answer("ann", "c1");
    assert_eq!(
        out[..5],
        [
            Output::AnswerCustomer { call: call("c1") },
            Output::Bridge {
                call: call("c1"),
                agent: agent("ann")
            },
            Output::StartRecording { call: call("c1") },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::AgentAnswered {
                    call: call("c1"),
                    agent: agent("ann")
                }
            },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::Connected {
                    call: call("c1"),
                    agent: agent("ann")
                }
            },
        ]
    );
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    assert_eq!(sim.sb.first_answerer(&call("c1")), Some(agent("ann")));
    assert_eq!(sim.sb.holder(&call("c1")), Some(agent("ann")));
}

#[test]
fn answering_ends_the_callers_queue_deadlines() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    assert_eq!(
        sim.sb.pending_timers(),
        0,
        "no ring timeout, no max wait left"
    );
}

#[test]
fn a_customer_hanging_up_while_queued_is_abandoned() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c1", "support");
    sim.advance_secs(7);
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert_eq!(
        integration(&out),
        [Event::Ended {
            call: call("c1"),
            cause: EndCause::Abandoned
        }]
    );
    let cdr = the_record(&out);
    assert_eq!(cdr.outcome, Outcome::Abandoned);
    assert_eq!(cdr.wait_ms, 7_000);
    assert_eq!(cdr.talk_ms, 0);
    assert_eq!(
        sim.sb
            .queue_status(&TENANT.into(), &"support".into())
            .unwrap()
            .waiting,
        0
    );
}

#[test]
fn a_customer_hanging_up_while_ringing_cancels_the_ring_and_the_agent_keeps_their_place() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert!(has(
        &out,
        &Output::StopRinging {
            agent: agent("ann"),
            call: call("c1"),
            why: StopRinging::CustomerHungUp
        }
    ));
    let cdr = the_record(&out);
    assert_eq!(cdr.offers[0].result, OfferResult::Withdrawn);
    let out = sim.inbound("c2", "support");
    assert_eq!(rung(&out), ["ann"], "Ann is still the longest idle");
}

#[test]
fn an_agent_hanging_up_ends_the_call_and_the_recording() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.advance_secs(3);
    sim.answer("ann", "c1");
    sim.advance_secs(40);
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        out[..3],
        [
            Output::Unbridge { call: call("c1") },
            Output::HangUpCustomer { call: call("c1") },
            Output::StopRecording { call: call("c1") },
        ]
    );
    let cdr = the_record(&out);
    assert_eq!(cdr.end_cause, EndCause::AgentHungUp);
    assert_eq!((cdr.wait_ms, cdr.talk_ms), (3_000, 40_000));
    assert!(sim.is_available("ann"));
}

#[test]
fn an_agent_going_offline_while_ringing_moves_the_call_on_without_penalty() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let out = sim.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert_eq!(rung(&out), ["bob"]);
    assert_eq!(sim.state("ann"), AgentState::Offline);
}

#[test]
fn an_agent_going_offline_during_a_call_ends_it_as_failed() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    let cdr = the_record(&out);
    assert_eq!(cdr.end_cause, EndCause::Failed("agent disconnected".into()));
    assert_eq!(cdr.outcome, Outcome::Answered);
}

#[test]
fn a_media_timeout_ends_the_call_as_failed() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.send(Input::MediaTimeout {
        call: call("c1"),
        leg: Leg::Customer,
    });
    assert!(has(&out, &Output::HangUpCustomer { call: call("c1") }));
    assert!(
        matches!(the_record(&out).end_cause, EndCause::Failed(ref why) if why.contains("customer"))
    );
}

#[test]
fn a_trunk_failure_while_queued_ends_the_call_as_failed() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.inbound("c1", "support");
    let out = sim.send(Input::TrunkFailed {
        call: call("c1"),
        detail: "session timer expired".into(),
    });
    assert_eq!(
        the_record(&out).outcome,
        Outcome::Failed("session timer expired".into())
    );
    assert!(!out
        .iter()
        .any(|o| matches!(o, Output::RejectCustomer { .. })));
}

#[test]
fn late_and_duplicate_inputs_never_end_a_call_twice() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    // Bob is not being rung: his answer is refused.
    let out = sim.answer("bob", "c1");
    assert_eq!(
        refusals(&out),
        [Refusal::NotRingingForYou { call: call("c1") }]
    );
    // Transfer during ringing: Ann is not connected.
    let out = sim.transfer("ann", "c1", to_agent("bob"));
    assert_eq!(refusals(&out), [Refusal::NotOnCall { call: call("c1") }]);
    sim.answer("ann", "c1");
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert_eq!(ended_count(&out), 1);
    for late in [
        Input::CustomerHungUp { call: call("c1") },
        Input::AgentHangUp {
            agent: agent("ann"),
            call: call("c1"),
        },
        Input::MediaTimeout {
            call: call("c1"),
            leg: Leg::Agent,
        },
        Input::TrunkFailed {
            call: call("c1"),
            detail: "late".into(),
        },
        Input::PromptFinished { call: call("c1") },
        Input::InboundCall {
            call: call("c1"),
            tenant: TENANT.into(),
            queue: "support".into(),
            customer: CallerNumber::Withheld,
            dialled: DID.into(),
        },
    ] {
        let out = sim.send(late);
        assert_eq!(ended_count(&out), 0);
        assert!(records(&out).is_empty());
        assert!(rung(&out).is_empty());
    }
    let out = sim.answer("ann", "c1");
    assert_eq!(refusals(&out), [Refusal::CallNotFound { call: call("c1") }]);
    assert!(sim.sb.stats().ignored_ended_call >= 5);
}

#[test]
fn ended_call_ids_are_forgotten_after_the_configured_time() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.send(Input::CustomerHungUp { call: call("c1") });
    assert!(sim.sb.has_ended(&call("c1")));
    sim.advance_secs(300);
    assert!(!sim.sb.has_ended(&call("c1")));
    assert_eq!(sim.sb.pending_timers(), 0);
}

// ----- click-to-dial ------------------------------------------------------------------------

fn dial(sim: &mut Sim, who: &str, id: &str) -> Vec<Output> {
    sim.send(Input::Dial {
        agent: agent(who),
        call: call(id),
        to: E164::parse(CUSTOMER).unwrap(),
    })
}

#[test]
fn click_to_dial_originates_on_the_tenants_trunk_and_bridges_on_answer() {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    let out = dial(&mut sim, "ann", "o1");
    assert_eq!(
        out[0],
        Output::Originate {
            call: call("o1"),
            tenant: TENANT.into(),
            agent: agent("ann"),
            to: CUSTOMER.into()
        }
    );
    assert_eq!(sim.state("ann"), AgentState::Dialing { call: call("o1") });
    let out = sim.send(Input::OutboundRinging { call: call("o1") });
    assert!(messages_to(&out, "ann")[0].contains("ringing"));
    sim.advance_secs(4);
    let out = sim.send(Input::OutboundAnswered { call: call("o1") });
    assert_eq!(
        out[..4],
        [
            Output::Bridge {
                call: call("o1"),
                agent: agent("ann")
            },
            Output::StartRecording { call: call("o1") },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::AgentAnswered {
                    call: call("o1"),
                    agent: agent("ann")
                }
            },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::Connected {
                    call: call("o1"),
                    agent: agent("ann")
                }
            },
        ]
    );
    sim.advance_secs(10);
    let out = sim.send(Input::CustomerHungUp { call: call("o1") });
    let cdr = the_record(&out);
    assert_eq!(cdr.direction, Direction::Outbound);
    assert_eq!(cdr.outcome, Outcome::Answered);
    assert_eq!(cdr.end_cause, EndCause::CustomerHungUp);
    assert_eq!((cdr.wait_ms, cdr.talk_ms), (4_000, 10_000));
    assert_eq!(cdr.first_agent, Some(agent("ann")));
}

#[test]
fn a_busy_line_is_reported_to_the_agent_in_words() {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    dial(&mut sim, "ann", "o1");
    let out = sim.send(Input::OutboundFailed {
        call: call("o1"),
        failure: OutboundFailure::Busy,
    });
    assert_eq!(messages_to(&out, "ann"), ["The line is busy."]);
    let cdr = the_record(&out);
    assert_eq!(cdr.outcome, Outcome::OutboundFailed(OutboundFailure::Busy));
    assert!(sim.is_available("ann"));
    assert!(!out
        .iter()
        .any(|o| matches!(o, Output::CancelOriginate { .. })));
}

#[test]
fn an_agent_can_cancel_an_outbound_call_before_it_is_answered() {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    dial(&mut sim, "ann", "o1");
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("o1"),
    });
    assert!(has(&out, &Output::CancelOriginate { call: call("o1") }));
    let cdr = the_record(&out);
    assert_eq!(cdr.outcome, Outcome::Cancelled);
    assert_eq!(cdr.end_cause, EndCause::AgentHungUp);
}

#[test]
fn an_unanswered_outbound_call_is_given_up_after_the_answer_timeout() {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    dial(&mut sim, "ann", "o1");
    let out = sim.advance_secs(60);
    assert!(has(&out, &Output::CancelOriginate { call: call("o1") }));
    assert_eq!(
        the_record(&out).outcome,
        Outcome::OutboundFailed(OutboundFailure::NoAnswer)
    );
    assert_eq!(messages_to(&out, "ann"), ["Nobody answered the call."]);
}

#[test]
fn only_an_available_agent_can_dial() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    let out = dial(&mut sim, "ann", "o1");
    assert!(matches!(
        refusals(&out)[..],
        [Refusal::NotAvailableToDial { .. }]
    ));
    let out = dial(&mut sim, "ghost", "o2");
    assert_eq!(refusals(&out), [Refusal::NotLoggedIn]);
}

#[test]
fn a_dialing_agent_is_never_offered_inbound_calls() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    dial(&mut sim, "ann", "o1");
    let out = sim.inbound("c1", "support");
    assert!(rung(&out).is_empty());
}

// ----- transfer and hold --------------------------------------------------------------------

fn connected(sim: &mut Sim, who: &str, id: &str, queue: &str) {
    sim.inbound(id, queue);
    let out = sim.answer(who, id);
    assert!(refusals(&out).is_empty(), "{out:#?}");
}

#[test]
fn blind_transfer_to_an_agent_keeps_the_call_id_and_rings_the_target() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    connected(&mut sim, "ann", "c1", "support");
    sim.online("bob", &["sales"]);
    let out = sim.transfer("ann", "c1", to_agent("bob"));
    assert_eq!(out[0], Output::Unbridge { call: call("c1") });
    assert!(has(
        &out,
        &Output::Integration {
            tenant: TENANT.into(),
            event: Event::Transferred {
                call: call("c1"),
                from: agent("ann"),
                to: to_agent("bob")
            }
        }
    ));
    assert!(has(
        &out,
        &Output::PlayToCustomer {
            call: call("c1"),
            prompt: Prompt::Music(Some("support".into()))
        }
    ));
    assert!(out.iter().any(|o| matches!(o,
        Output::RingAgent { agent, transferred_by: Some(by), .. } if agent.name().as_str() == "bob" && by.name().as_str() == "ann")));
    assert!(sim.is_available("ann"));
    let out = sim.answer("bob", "c1");
    assert!(!has(&out, &Output::StartRecording { call: call("c1") }));
    assert!(!has(&out, &Output::AnswerCustomer { call: call("c1") }));
    assert_eq!(sim.sb.first_answerer(&call("c1")), Some(agent("ann")));
    assert_eq!(sim.sb.holder(&call("c1")), Some(agent("bob")));
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    let cdr = the_record(&out);
    assert_eq!(cdr.first_agent, Some(agent("ann")));
    assert_eq!(cdr.last_agent, Some(agent("bob")));
    assert_eq!(cdr.transfers.len(), 1);
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, Output::StopRecording { .. }))
            .count(),
        1
    );
}

#[test]
fn a_transfer_to_an_unavailable_agent_is_refused_and_the_call_stays() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    connected(&mut sim, "ann", "c1", "support");
    sim.send(Input::SetUnavailable {
        agent: agent("bob"),
        reason: UnavailableReason::Away,
    });
    let out = sim.transfer("ann", "c1", to_agent("bob"));
    assert_eq!(
        out,
        [Output::Refused {
            agent: agent("ann"),
            call: Some(call("c1")),
            refusal: Refusal::AgentNotAvailable {
                agent: agent("bob"),
                state: "unavailable: away".into()
            }
        }]
    );
    assert_eq!(sim.sb.holder(&call("c1")), Some(agent("ann")));
    let out = sim.transfer("ann", "c1", to_agent("nobody"));
    assert!(matches!(
        refusals(&out)[..],
        [Refusal::AgentNotAvailable { .. }]
    ));
    let out = sim.transfer("ann", "c1", to_agent("ann"));
    assert_eq!(refusals(&out), [Refusal::TransferToSelf]);
}

#[test]
fn a_transfer_to_a_queue_plays_music_and_offers_the_queues_next_agent() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    connected(&mut sim, "ann", "c1", "support");
    sim.online("sam", &["sales"]);
    sim.send(Input::SetUnavailable {
        agent: agent("sam"),
        reason: UnavailableReason::Away,
    });
    let out = sim.transfer("ann", "c1", to_queue("sales"));
    assert!(has(
        &out,
        &Output::PlayToCustomer {
            call: call("c1"),
            prompt: Prompt::Music(Some("sales".into()))
        }
    ));
    assert!(
        !has(&out, &Output::RingbackCustomer { call: call("c1") }),
        "answered calls get music"
    );
    assert!(rung(&out).is_empty());
    let out = sim.send(Input::SetAvailable {
        agent: agent("sam"),
    });
    assert_eq!(rung(&out), ["sam"]);
    sim.answer("sam", "c1");
    let out = sim.send(Input::AgentHangUp {
        agent: agent("sam"),
        call: call("c1"),
    });
    let cdr = the_record(&out);
    assert_eq!(
        cdr.queues,
        [QueueId::from("support"), QueueId::from("sales")]
    );
}

#[test]
fn a_transfer_to_a_queue_nobody_serves_is_refused() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    connected(&mut sim, "ann", "c1", "support");
    let out = sim.transfer("ann", "c1", to_queue("sales"));
    assert_eq!(
        refusals(&out),
        [Refusal::QueueHasNoAgents {
            queue: "sales".into()
        }]
    );
    let out = sim.transfer("ann", "c1", to_queue("billing"));
    assert_eq!(
        refusals(&out),
        [Refusal::UnknownQueue {
            queue: "billing".into()
        }]
    );
    assert_eq!(sim.sb.holder(&call("c1")), Some(agent("ann")));
}

#[test]
fn an_unanswered_transfer_falls_back_to_the_calls_queue() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["sales"]);
    connected(&mut sim, "ann", "c1", "support");
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.transfer("ann", "c1", to_agent("bob"));
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    sim.online("cat", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("cat"),
        reason: UnavailableReason::Away,
    });
    let out = sim.advance_secs(20);
    assert!(has(
        &out,
        &Output::StopRinging {
            agent: agent("bob"),
            call: call("c1"),
            why: StopRinging::NotAnswered
        }
    ));
    let view = sim.sb.call(&call("c1")).unwrap();
    assert!(
        matches!(view.status, CallStatus::Queued { ref queue, .. } if queue.as_str() == "support")
    );
    let out = sim.send(Input::SetAvailable {
        agent: agent("cat"),
    });
    assert_eq!(rung(&out), ["cat"]);
}

#[test]
fn hold_plays_music_and_resume_bridges_again() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    connected(&mut sim, "ann", "c1", "support");
    let out = sim.send(Input::Hold {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        out[..3],
        [
            Output::Unbridge { call: call("c1") },
            Output::PlayToCustomer {
                call: call("c1"),
                prompt: Prompt::Music(Some("support".into()))
            },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::Held { call: call("c1") }
            },
        ]
    );
    let out = sim.send(Input::Hold {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        refusals(&out),
        [Refusal::AlreadyOnHold { call: call("c1") }]
    );
    let out = sim.send(Input::Resume {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(
        out[..2],
        [
            Output::Bridge {
                call: call("c1"),
                agent: agent("ann")
            },
            Output::Integration {
                tenant: TENANT.into(),
                event: Event::Resumed { call: call("c1") }
            },
        ]
    );
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    assert_eq!(the_record(&out).hold_count, 1);
}

// ----- records and config -------------------------------------------------------------------

#[test]
fn the_record_lists_every_offer_and_the_key_times() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.advance_secs(1);
    sim.online("bob", &["support"]);
    sim.advance_secs(1);
    sim.online("cat", &["support"]);
    let start = sim.now;
    sim.inbound("c1", "support");
    sim.advance_secs(20); // Ann misses it
    sim.send(Input::Decline {
        agent: agent("bob"),
        call: call("c1"),
    });
    sim.advance_secs(2);
    sim.answer("cat", "c1");
    sim.advance_secs(30);
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    let cdr = the_record(&out);
    let offers: Vec<_> = cdr
        .offers
        .iter()
        .map(|o| (o.agent.name().to_string(), o.result))
        .collect();
    assert_eq!(
        offers,
        [
            ("ann".to_owned(), OfferResult::Missed),
            ("bob".to_owned(), OfferResult::Declined),
            ("cat".to_owned(), OfferResult::Answered),
        ]
    );
    assert_eq!(cdr.created_at, sim.wall_at(start));
    assert_eq!(cdr.queued_at, Some(sim.wall_at(start)));
    assert_eq!(
        cdr.first_answered_at,
        Some(sim.wall_at(Timestamp::from_millis(start.as_millis() + 22_000)))
    );
    assert_eq!(cdr.dialled, DID);
    assert_eq!((cdr.wait_ms, cdr.talk_ms), (22_000, 30_000));
    let json = serde_json::to_string(&cdr).unwrap();
    let back: callbridge_switchboard::Cdr = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cdr);
    assert_eq!(cdr.outcome.as_word(), "answered");
}

#[test]
fn invalid_configurations_are_refused_with_a_reason() {
    let twice = SwitchboardConfig {
        queues: vec![queue("support"), queue("support")],
        ..SwitchboardConfig::default()
    };
    assert_eq!(
        Switchboard::new(twice).unwrap_err(),
        ConfigError::DuplicateQueue {
            tenant: TENANT.into(),
            queue: "support".into()
        }
    );
    let mut instant = queue("support");
    instant.ring_timeout = secs(0);
    let err = Switchboard::new(SwitchboardConfig {
        queues: vec![instant],
        ..SwitchboardConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("ring timeout"));
}

#[test]
fn refusals_and_outbound_failures_have_messages_for_agents() {
    for failure in [
        OutboundFailure::Busy,
        OutboundFailure::NoAnswer,
        OutboundFailure::Declined,
        OutboundFailure::InvalidNumber,
        OutboundFailure::Unreachable,
        OutboundFailure::Rejected { status: 403 },
        OutboundFailure::EndedBeforeAnswer,
        OutboundFailure::NoTrunk,
        OutboundFailure::NoAudioPort,
        OutboundFailure::NotPlaced {
            detail: "invalid outbound request: bad host".into(),
        },
    ] {
        let message = failure.message();
        assert!(message.ends_with('.') && message.len() > 15, "{message}");
    }
    let refusal = Refusal::AgentNotAvailable {
        agent: agent("bob"),
        state: "on a call".into(),
    };
    assert!(refusal.message().contains("stays with you"));
}

#[test]
fn a_call_to_a_queue_that_does_not_exist_is_rejected_as_not_found() {
    let mut sim = Sim::standard();
    let out = sim.inbound("c1", "billing");
    assert_eq!(
        out[0],
        Output::RejectCustomer {
            call: call("c1"),
            status: 404,
            reason: "Not Found".into()
        }
    );
    assert!(matches!(the_record(&out).outcome, Outcome::Failed(_)));
}

#[test]
fn a_trunk_failure_while_dialing_is_reported_as_unreachable() {
    let mut sim = Sim::standard();
    sim.online("ann", &[]);
    dial(&mut sim, "ann", "o1");
    let out = sim.send(Input::TrunkFailed {
        call: call("o1"),
        detail: "no route to trunk".into(),
    });
    assert_eq!(
        the_record(&out).outcome,
        Outcome::OutboundFailed(OutboundFailure::Unreachable)
    );
    assert_eq!(
        messages_to(&out, "ann"),
        [OutboundFailure::Unreachable.message()]
    );
}

#[test]
fn logging_in_again_replaces_the_agents_queues_and_keeps_their_call() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.online("ann", &["sales"]);
    assert!(ended_count(&out) == 0);
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    assert_eq!(
        sim.sb.agent_queues(&agent("ann")),
        Some(&[QueueId::from("sales")][..])
    );
    let support = sim
        .sb
        .queue_status(&TENANT.into(), &"support".into())
        .unwrap();
    assert_eq!(support.logged_in, 0);
    let out = sim.inbound("c2", "support");
    assert!(has(
        &out,
        &Output::RejectCustomer {
            call: call("c2"),
            status: 480,
            reason: "Temporarily Unavailable".into()
        }
    ));
}

#[test]
fn an_agent_in_another_tenant_cannot_be_a_transfer_target() {
    let mut sim = Sim::with_queues(vec![queue("support"), QueueConfig::new("other", "support")]);
    sim.online("ann", &["support"]);
    sim.send(Input::AgentOnline {
        agent: agent("other:olga"),
        tenant: "other".into(),
        queues: vec!["support".into()],
        available: true,
    });
    connected(&mut sim, "ann", "c1", "support");
    let out = sim.transfer("ann", "c1", to_agent("other:olga"));
    assert_eq!(
        refusals(&out),
        [Refusal::AgentInAnotherTenant {
            agent: agent("other:olga")
        }]
    );
}

// ----- telling the agent their call ended -----------------------------------------------------

#[test]
fn an_answered_call_that_ends_tells_its_agent_the_cause_before_moving_them_on() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    let ended = out
        .iter()
        .position(|o| {
            o == &Output::CallEnded {
                agent: agent("ann"),
                call: call("c1"),
                cause: EndCause::CustomerHungUp,
                agent_lost: false,
            }
        })
        .expect("the agent is told the call ended");
    let moved_on = out
        .iter()
        .position(|o| matches!(o, Output::AgentUpdate { agent: a, .. } if a == &agent("ann")))
        .expect("the agent moves on");
    assert!(ended < moved_on, "call_ended comes before the new state");

    // The agent's own hang-up and a network failure are causes too; a call that only rang is
    // not "ended" for the agent (its ring stops instead).
    sim.inbound("c2", "support");
    sim.advance_secs(30);
    let out = sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    assert_eq!(rung(&out), ["ann"]);
    sim.answer("ann", "c2");
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c2"),
    });
    assert!(has(
        &out,
        &Output::CallEnded {
            agent: agent("ann"),
            call: call("c2"),
            cause: EndCause::AgentHungUp,
            agent_lost: false,
        }
    ));
    sim.advance_secs(60);
    sim.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    sim.inbound("c3", "support");
    let out = sim.send(Input::CustomerHungUp { call: call("c3") });
    assert!(
        !out.iter().any(|o| matches!(o, Output::CallEnded { .. })),
        "{out:?}"
    );
}
