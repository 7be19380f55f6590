//! New settings while calls run (`Switchboard::reconfigure`): every ordering that decides what
//! a caller or an agent gets, one test each, with a hand-moved clock.

mod support;

use callbridge_core::{CallerNumber, Event, QueueId, E164};
use callbridge_switchboard::{
    AgentState, CallStatus, ConfigError, Input, Memberships, Outcome, Output, Prompt, QueueConfig,
    SwitchboardConfig, Unserved,
};
use support::*;

/// The settings with these queues, everything else at its default.
fn settings(queues: Vec<QueueConfig>) -> SwitchboardConfig {
    SwitchboardConfig {
        queues,
        ..SwitchboardConfig::default()
    }
}

/// Memberships from `(agent, [queues])`; agents are of [`TENANT`] unless written `tenant:name`.
fn members(list: &[(&str, &[&str])]) -> Memberships {
    list.iter()
        .map(|(a, queues)| (agent(a), queues.iter().map(|q| QueueId::from(*q)).collect()))
        .collect()
}

impl Sim {
    fn reconfigure(&mut self, config: SwitchboardConfig, memberships: &Memberships) -> Vec<Output> {
        let now = self.clocks();
        self.sb
            .reconfigure(now, config, memberships)
            .expect("the new settings are valid")
    }
}

fn rejected(out: &[Output]) -> Vec<(String, u16)> {
    out.iter()
        .filter_map(|o| match o {
            Output::RejectCustomer { call, status, .. } => Some((call.to_string(), *status)),
            _ => None,
        })
        .collect()
}

fn ended_calls(out: &[Output]) -> Vec<String> {
    integration(out)
        .into_iter()
        .filter_map(|e| match e {
            Event::Ended { call, .. } => Some(call.to_string()),
            _ => None,
        })
        .collect()
}

// ----- queues removed ------------------------------------------------------------------------

#[test]
fn a_removed_queue_gives_its_waiting_callers_its_no_agent_treatment_and_keeps_answered_calls() {
    let mut support = queue("support");
    support.no_agent = Unserved::Announcement;
    let mut sim = Sim::with_queues(vec![queue("sales"), support]);
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.inbound("c2", "support");
    sim.inbound("c3", "support");

    let out = sim.reconfigure(settings(vec![queue("sales")]), &members(&[("ann", &[])]));

    // Both waiting callers hear the removed queue's announcement, in the order they waited.
    let announced: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::PlayToCustomer {
                call,
                prompt: Prompt::Announcement(q),
            } => Some((call.to_string(), q.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        announced,
        [
            ("c2".to_owned(), "support".to_owned()),
            ("c3".to_owned(), "support".to_owned())
        ]
    );
    // Then they end as "no agent" when the announcement is over.
    let out = sim.send(Input::PromptFinished { call: call("c2") });
    assert_eq!(the_record(&out).outcome, Outcome::NoAgent);
    // Ann's call goes on, untouched.
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    assert!(matches!(
        sim.sb.call(&call("c1")).unwrap().status,
        CallStatus::Connected { .. }
    ));
    assert!(sim
        .sb
        .queue_status(&TENANT.into(), &"support".into())
        .is_none());
    // She hangs up and wraps up as the removed queue said (the global wrap-up: none), and a
    // call for the removed queue is not one she can be offered.
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(the_record(&out).outcome, Outcome::Answered);
    assert!(sim.is_available("ann"));
}

#[test]
fn a_call_ringing_from_a_removed_queue_may_be_answered_and_unanswered_gets_the_treatment() {
    let mut support = queue("support");
    support.no_agent = Unserved::Busy;
    let mut sim = Sim::with_queues(vec![queue("sales"), support.clone()]);
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    sim.inbound("c2", "support");
    assert!(matches!(sim.state("ann"), AgentState::Ringing { .. }));
    assert!(matches!(sim.state("bob"), AgentState::Ringing { .. }));

    let out = sim.reconfigure(
        settings(vec![queue("sales")]),
        &members(&[("ann", &["sales"]), ("bob", &["sales"])]),
    );
    assert!(ended_calls(&out).is_empty(), "rings go on: {out:#?}");

    // Ann answers the call that rang her from the removed queue.
    let out = sim.answer("ann", "c1");
    assert!(out.iter().any(|o| matches!(o, Output::Bridge { .. })));
    // Bob lets his ring time out: the removed queue's no-agent treatment (busy, 486).
    let out = sim.advance_secs(20);
    assert_eq!(rejected(&out), [("c2".to_owned(), 486)]);
    assert_eq!(the_record(&out).outcome, Outcome::NoAgent);
}

#[test]
fn a_queue_added_back_gets_its_new_settings_and_its_agents() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.reconfigure(settings(vec![queue("sales")]), &members(&[("ann", &[])]));
    let mut support = queue("support");
    support.no_agent = Unserved::Busy;
    sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["support"])]),
    );
    let out = sim.inbound("c1", "support");
    assert_eq!(rung(&out), ["ann"]);
}

// ----- limits changed ------------------------------------------------------------------------

#[test]
fn a_lowered_waiting_limit_throws_nobody_out_and_turns_away_the_next_arrivals() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support");
    sim.answer("ann", "c0");
    for c in ["c1", "c2", "c3"] {
        sim.inbound(c, "support");
    }
    let mut support = queue("support");
    support.max_waiting = 1;
    let out = sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["support"])]),
    );
    assert!(ended_calls(&out).is_empty());
    assert_eq!(
        sim.sb
            .queue_status(&TENANT.into(), &"support".into())
            .unwrap()
            .waiting,
        3
    );
    // The next caller overflows (busy by default).
    let out = sim.inbound("c4", "support");
    assert_eq!(rejected(&out), [("c4".to_owned(), 486)]);
    assert_eq!(the_record(&out).outcome, Outcome::Overflow);
    // Two callers give up: one is waiting, the limit: still full.
    sim.send(Input::CustomerHungUp { call: call("c1") });
    sim.send(Input::CustomerHungUp { call: call("c2") });
    let out = sim.inbound("c5", "support");
    assert_eq!(rejected(&out), [("c5".to_owned(), 486)]);
    sim.send(Input::CustomerHungUp { call: call("c3") });
    let out = sim.inbound("c6", "support");
    assert!(rejected(&out).is_empty(), "room again: {out:#?}");
}

#[test]
fn a_waiting_call_keeps_its_max_wait_and_a_new_one_gets_the_new_one() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support");
    sim.answer("ann", "c0");
    sim.inbound("c1", "support"); // joined under the 600 s default
    let mut support = queue("support");
    support.max_wait = secs(30);
    sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["support"])]),
    );
    sim.inbound("c2", "support");
    let out = sim.advance_secs(30);
    assert_eq!(rejected(&out), [("c2".to_owned(), 486)]);
    assert!(sim.sb.call(&call("c1")).is_some(), "c1 keeps its 600 s");
}

#[test]
fn a_ring_in_progress_keeps_its_timeout_and_the_next_ring_uses_the_new_one() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let mut support = queue("support");
    support.ring_timeout = secs(5);
    sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["support"]), ("bob", &["support"])]),
    );
    assert!(rung(&sim.advance_secs(19)).is_empty());
    let out = sim.advance_secs(1);
    assert_eq!(rung(&out), ["bob"], "ann's ring ran its 20 s");
    assert!(rung(&sim.advance_secs(4)).is_empty());
    let out = sim.advance_secs(1);
    assert!(
        out.iter().any(
            |o| matches!(o, Output::StopRinging { agent, .. } if agent.name().as_str() == "bob")
        ),
        "bob's ring lasted the new 5 s: {out:#?}"
    );
}

#[test]
fn a_changed_treatment_applies_to_callers_already_waiting() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support");
    sim.answer("ann", "c0");
    sim.inbound("c1", "support");
    let mut support = queue("support");
    support.overflow = Unserved::HangUp;
    sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["support"])]),
    );
    let out = sim.advance_secs(600);
    assert_eq!(rejected(&out), [("c1".to_owned(), 480)]);
}

// ----- memberships -----------------------------------------------------------------------------

#[test]
fn an_agent_taken_out_of_a_queue_while_it_rings_them_may_answer() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["sales"])]),
    );
    // Nobody is logged in to support any more, but the call rings ann: she may still take it.
    assert_eq!(sim.state("ann"), AgentState::Ringing { call: call("c1") });
    let out = sim.answer("ann", "c1");
    assert!(out.iter().any(|o| matches!(o, Output::Bridge { .. })));
}

#[test]
fn a_declined_ring_goes_back_to_the_queue_and_not_to_the_agent_who_left_it() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.online("bob", &["support"]);
    sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["sales"]), ("bob", &["support"])]),
    );
    let out = sim.send(Input::Decline {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(rung(&out), ["bob"]);
    assert!(sim.is_available("ann"));
}

#[test]
fn a_declined_ring_from_a_queue_nobody_serves_any_more_gets_its_no_agent_treatment() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["sales"])]),
    );
    let out = sim.send(Input::Decline {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert_eq!(rejected(&out), [("c1".to_owned(), 480)]);
    assert_eq!(the_record(&out).outcome, Outcome::NoAgent);
}

#[test]
fn an_agent_taken_out_of_a_queue_while_talking_keeps_the_call_and_then_serves_the_new_queues() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.inbound("c2", "support");
    sim.answer("bob", "c2");
    sim.inbound("c3", "support");
    let out = sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["sales"]), ("bob", &["support"])]),
    );
    assert!(out.is_empty(), "nothing to do while both talk: {out:#?}");
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    // Ann's call ends: c3 waits in support, which she no longer serves.
    let out = sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert!(rung(&out).is_empty());
    assert!(sim.is_available("ann"));
    let out = sim.inbound("c4", "sales");
    assert_eq!(rung(&out), ["ann"]);
}

#[test]
fn an_agent_taken_out_of_a_queue_while_wrapping_up_is_offered_the_new_queues_after() {
    let mut support = queue("support");
    support.wrap_up = Some(secs(30));
    let mut sim = Sim::with_queues(vec![queue("sales"), support.clone()]);
    sim.online("ann", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    assert!(matches!(sim.state("ann"), AgentState::WrapUp { .. }));
    sim.online("bob", &["support"]);
    sim.inbound("c2", "support");
    sim.answer("bob", "c2");
    sim.inbound("c3", "support");
    sim.reconfigure(
        settings(vec![queue("sales"), support]),
        &members(&[("ann", &["sales"]), ("bob", &["support"])]),
    );
    assert!(
        matches!(sim.state("ann"), AgentState::WrapUp { .. }),
        "wrap-up goes on"
    );
    // Sales has a member (ann, wrapping up): its caller waits for her.
    let out = sim.inbound("c4", "sales");
    assert!(rung(&out).is_empty());
    let out = sim.advance_secs(30);
    assert_eq!(rung(&out), ["ann"]);
    assert_eq!(sim.state("ann"), AgentState::Ringing { call: call("c4") });
}

#[test]
fn an_available_agent_put_in_a_queue_is_offered_its_waiting_call_at_once() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["sales"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.inbound("c2", "support");
    let out = sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["support"]), ("bob", &["sales", "support"])]),
    );
    assert_eq!(rung(&out), ["bob"]);
}

#[test]
fn the_last_agent_taken_out_of_a_queue_leaves_its_callers_the_no_agent_treatment() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: callbridge_switchboard::UnavailableReason::Away,
    });
    sim.inbound("c1", "support");
    let out = sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["sales"])]),
    );
    assert_eq!(rejected(&out), [("c1".to_owned(), 480)]);
}

#[test]
fn an_agent_the_settings_no_longer_list_serves_no_queue_and_keeps_their_call() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    sim.answer("ann", "c1");
    sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("bob", &["support"])]),
    );
    assert_eq!(sim.sb.agent_queues(&agent("ann")), Some(&[][..]));
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("c1") });
    sim.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: call("c1"),
    });
    sim.send(Input::SetUnavailable {
        agent: agent("bob"),
        reason: callbridge_switchboard::UnavailableReason::Away,
    });
    let out = sim.inbound("c2", "support");
    assert!(rung(&out).is_empty(), "ann serves nothing: {out:#?}");
}

// ----- tenants -------------------------------------------------------------------------------

#[test]
fn a_new_tenants_queues_take_calls_from_its_agents() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    let mut config = settings(vec![queue("sales"), queue("support")]);
    config.queues.push(QueueConfig::new("globex", "support"));
    sim.reconfigure(
        config,
        &members(&[("ann", &["support"]), ("globex:gil", &["support"])]),
    );
    sim.send(Input::AgentOnline {
        agent: agent("globex:gil"),
        tenant: "globex".into(),
        queues: vec!["support".into()],
        available: true,
    });
    let out = sim.send(Input::InboundCall {
        call: "g1".into(),
        tenant: "globex".into(),
        queue: "support".into(),
        customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
        dialled: "+15550001111".into(),
    });
    assert_eq!(rung(&out), ["gil"]);
    // Acme's ann is not offered globex's calls.
    assert!(sim.is_available("ann"));
}

#[test]
fn a_removed_tenant_keeps_its_answered_call_and_its_waiting_callers_get_the_treatment() {
    let mut config = settings(vec![queue("support")]);
    config.queues.push(QueueConfig::new("globex", "support"));
    let mut sim = Sim::new(config);
    for gil in ["globex:gil", "globex:gus"] {
        sim.send(Input::AgentOnline {
            agent: agent(gil),
            tenant: "globex".into(),
            queues: vec!["support".into()],
            available: true,
        });
    }
    let globex_call = |sim: &mut Sim, id: &str| {
        sim.send(Input::InboundCall {
            call: id.into(),
            tenant: "globex".into(),
            queue: "support".into(),
            customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
            dialled: "+15550001111".into(),
        })
    };
    globex_call(&mut sim, "g1");
    sim.answer("globex:gil", "g1");
    globex_call(&mut sim, "g2");
    sim.answer("globex:gus", "g2");
    globex_call(&mut sim, "g3");

    let out = sim.reconfigure(settings(vec![queue("support")]), &Memberships::new());
    assert_eq!(rejected(&out), [("g3".to_owned(), 480)]);
    assert_eq!(ended_calls(&out), ["g3"]);
    assert_eq!(
        sim.state("globex:gil"),
        AgentState::OnCall { call: call("g1") }
    );
    // The call ends normally, with one record, when the agent hangs up.
    let out = sim.send(Input::AgentHangUp {
        agent: agent("globex:gil"),
        call: call("g1"),
    });
    assert_eq!(the_record(&out).outcome, Outcome::Answered);
    assert_eq!(ended_calls(&out), ["g1"]);
    // And the tenant's number no longer leads anywhere: a call routed to it is refused.
    let out = globex_call(&mut sim, "g4");
    assert_eq!(rejected(&out), [("g4".to_owned(), 404)]);
}

#[test]
fn a_removed_tenants_agents_signed_out_after_the_removal_end_its_calls_and_no_other_tenants() {
    // The order a removal runs in (docs/ARCHITECTURE.md, "Telephony reconfigured live"): the
    // settings without the tenant first, then every softphone of the tenant closed as signed
    // out, each an `AgentOffline`.
    let mut config = settings(vec![queue("support")]);
    config.queues.push(QueueConfig::new("globex", "support"));
    let mut sim = Sim::new(config);
    sim.send(Input::AgentOnline {
        agent: agent("globex:gil"),
        tenant: "globex".into(),
        queues: vec!["support".into()],
        available: true,
    });
    sim.online("ann", &["support"]);
    sim.send(Input::InboundCall {
        call: "g1".into(),
        tenant: "globex".into(),
        queue: "support".into(),
        customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
        dialled: "+15550001111".into(),
    });
    sim.answer("globex:gil", "g1");
    sim.send(Input::InboundCall {
        call: "a1".into(),
        tenant: TENANT.into(),
        queue: "support".into(),
        customer: CallerNumber::Dialable(E164::parse(CUSTOMER).unwrap()),
        dialled: "+15550002222".into(),
    });
    sim.answer("ann", "a1");

    sim.reconfigure(
        settings(vec![queue("support")]),
        &members(&[("ann", &["support"])]),
    );
    let out = sim.send(Input::AgentOffline {
        agent: agent("globex:gil"),
    });
    // Gil's call ends at once: the customer is hung up, the call has its one record.
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::HangUpCustomer { call: ended } if ended == &call("g1"))),
        "{out:#?}"
    );
    assert_eq!(ended_calls(&out), ["g1"]);
    assert_eq!(the_record(&out).outcome, Outcome::Answered);
    assert_eq!(sim.state("globex:gil"), AgentState::Offline);
    // Ann's call, of the tenant that stays, is not touched.
    assert_eq!(sim.state("ann"), AgentState::OnCall { call: call("a1") });
}

// ----- mistakes --------------------------------------------------------------------------------

#[test]
fn a_mistake_in_the_new_settings_changes_nothing() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support");
    sim.answer("ann", "c0");
    sim.inbound("c1", "support");
    let now = sim.clocks();
    let err = sim
        .sb
        .reconfigure(
            now,
            settings(vec![queue("sales")]),
            &members(&[("ann", &["support"])]),
        )
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::UnknownMemberQueue {
            agent: agent("ann"),
            tenant: TENANT.into(),
            queue: "support".into(),
        }
    );
    assert!(
        err.to_string().contains("add the queue or take it out"),
        "{err}"
    );
    let mut zero = queue("support");
    zero.ring_timeout = secs(0);
    let err = sim
        .sb
        .reconfigure(now, settings(vec![zero]), &Memberships::new())
        .unwrap_err();
    assert!(matches!(err, ConfigError::ZeroRingTimeout { .. }));
    // Both queues and the waiting call are as they were.
    assert!(sim
        .sb
        .queue_status(&TENANT.into(), &"sales".into())
        .is_some());
    assert_eq!(
        sim.sb
            .queue_status(&TENANT.into(), &"support".into())
            .unwrap()
            .waiting,
        1
    );
    assert_eq!(
        sim.sb.agent_queues(&agent("ann")),
        Some(&["support".into()][..])
    );
}

#[test]
fn reapplying_the_same_settings_does_nothing() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.inbound("c0", "support");
    sim.answer("ann", "c0");
    sim.inbound("c1", "support");
    let before = sim.sb.pending_timers();
    let out = sim.reconfigure(
        settings(vec![queue("sales"), queue("support")]),
        &members(&[("ann", &["support"])]),
    );
    assert!(out.is_empty(), "{out:#?}");
    assert_eq!(sim.sb.pending_timers(), before);
}
