//! Rules for events that arrive out of order, that never arrive, and for lookups the CRM could
//! not answer (issue 8 items 1, 2 and 4), plus the verdict every event gets.

mod support;

use std::time::Duration;

use callbridge_core::{
    CallPhase, Command, EndCause, EngineConfig, Event, Ignored, LookupFailure, NotifyReason,
    PartyRefs, Timestamp, Verdict, E164,
};
use support::*;

fn verdict(sim: &mut Sim, event: Event) -> (Vec<Command>, Verdict) {
    sim.engine.handle_with_verdict(sim.now, event)
}

fn updates(commands: &[Command]) -> Vec<&Command> {
    commands
        .iter()
        .filter(|c| matches!(c, Command::UpdateCaseContact { .. }))
        .collect()
}

fn created_party(commands: &[Command]) -> PartyRefs {
    match create_cases(commands)[..] {
        [Command::CreateCase { fields, .. }] => fields.party.clone(),
        ref other => panic!("expected one CreateCase, got {other:#?}"),
    }
}

fn outage() -> LookupFailure {
    LookupFailure::Unavailable("the CRM answered 503".into())
}

// ----- item 1: early and late events --------------------------------------------------------

#[test]
fn order_connected_before_offered_is_held_and_gives_the_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    let (commands, held) = verdict(&mut sim, connect("c1", "ann"));
    assert!(commands.is_empty());
    assert!(matches!(held, Verdict::Held { .. }), "{held:?}");
    assert_eq!(sim.engine.held_events(&call_id("c1")), 1);

    let commands = sim.send(offer("c1", "ann"));
    assert_eq!(lookups(&commands).len(), 1, "{commands:?}");
    assert_eq!(sim.engine.held_events(&call_id("c1")), 0);
    assert_eq!(sim.state("c1").phase, CallPhase::Connected);
    let commands = sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    assert_eq!(created_party(&commands), PartyRefs::of(&contact("p1")));

    let (_, answered) = verdict(&mut sim, answer("c1", "ann"));
    assert_eq!(answered, Verdict::Ignored(Ignored::AlreadyKnown));
    let (_, ended) = verdict(&mut sim, end("c1"));
    assert_eq!(ended, Verdict::Applied);
}

#[test]
fn order_connected_then_offered_without_end_gives_the_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(connect("c1", "ann"));
    let mut commands = sim.send(offer("c1", "ann"));
    commands.extend(sim.send(lookup_done("c1", "ann", vec![contact("p1")])));
    assert_eq!(create_cases(&commands).len(), 1, "{commands:#?}");
}

#[test]
fn order_connected_after_ended_is_still_a_connection_and_gives_the_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    sim.send(answer("c1", "ann"));
    sim.send(end("c1"));
    let (commands, v) = verdict(&mut sim, connect("c1", "ann"));
    assert_eq!(v, Verdict::Applied);
    assert_eq!(created_party(&commands), PartyRefs::of(&contact("p1")));
    let state = sim.state("c1");
    assert_eq!(state.phase, CallPhase::Ended);
    // A second connection after the end adds nothing.
    let (commands, v) = verdict(&mut sim, connect("c1", "ann"));
    assert!(commands.is_empty());
    assert_eq!(v, Verdict::Ignored(Ignored::CallEnded));
}

#[test]
fn order_late_connection_keeps_the_transfer_rule() {
    let mut sim = Sim::with_linked(&["bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(end("c1"));
    let commands = sim.send(connect("c1", "bob"));
    assert!(create_cases(&commands).is_empty(), "{commands:#?}");
    // Every agent who was on the call is told why.
    let told = |who: &str| Command::NotifyAgent {
        agent: agent(who),
        call: call_id("c1"),
        reason: NotifyReason::CaseSuppressedFirstAgentNotLinked {
            first_agent: agent("ann"),
        },
    };
    assert_eq!(commands, vec![told("ann"), told("bob")]);
}

#[test]
fn order_answer_after_hangup_still_names_the_first_answerer() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(end("c1"));
    let (commands, v) = verdict(&mut sim, answer("c1", "ann"));
    assert!(commands.is_empty());
    assert_eq!(v, Verdict::Applied);
    assert_eq!(sim.state("c1").first_answer.unwrap().agent, agent("ann"));
    // Answered but never connected: no Case.
    assert!(create_cases(&sim.advance_secs(60)).is_empty());
    assert!(!sim.state("c1").case_create_emitted);
}

#[test]
fn order_held_ended_is_applied_after_the_other_held_events() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(end("c1"));
    sim.send(connect("c1", "ann"));
    let mut commands = sim.send(offer("c1", "ann"));
    commands.extend(sim.send(lookup_done("c1", "ann", vec![contact("p1")])));
    assert_eq!(create_cases(&commands).len(), 1, "{commands:#?}");
    assert_eq!(sim.state("c1").phase, CallPhase::Ended);
}

#[test]
fn order_events_held_past_the_window_are_dropped() {
    let mut sim = Sim::with_linked(&["ann"]);
    let (_, v) = verdict(&mut sim, connect("c1", "ann"));
    let window = EngineConfig::default().hold_unoffered_for;
    assert_eq!(
        v,
        Verdict::Held {
            until: sim.now.saturating_add(window)
        }
    );
    sim.advance_ms(window.as_millis() as u64);
    assert_eq!(sim.engine.held_events(&call_id("c1")), 0);
    assert_eq!(sim.engine.stats().held_expired, 1);
    let mut commands = sim.send(offer("c1", "ann"));
    commands.extend(sim.send(lookup_done("c1", "ann", vec![contact("p1")])));
    assert!(create_cases(&commands).is_empty());
    assert_eq!(sim.state("c1").phase, CallPhase::Ringing);
}

#[test]
fn order_holding_is_bounded_per_call_and_in_total() {
    let config = EngineConfig {
        max_held_per_call: 2,
        max_held_total: 3,
        ..EngineConfig::default()
    };
    let mut sim = Sim::with_config(config);
    let held = |v: &Verdict| matches!(v, Verdict::Held { .. });
    assert!(held(&verdict(&mut sim, answer("c1", "ann")).1));
    // The same event again (a sender's retry) takes no room.
    assert!(held(&verdict(&mut sim, answer("c1", "ann")).1));
    assert!(held(&verdict(&mut sim, connect("c1", "ann")).1));
    assert_eq!(
        verdict(&mut sim, end("c1")).1,
        Verdict::Ignored(Ignored::HoldFull)
    );
    assert!(held(&verdict(&mut sim, end("c2")).1));
    assert_eq!(
        verdict(&mut sim, end("c3")).1,
        Verdict::Ignored(Ignored::HoldFull)
    );
    assert_eq!(sim.engine.held_total(), 3);
}

#[test]
fn verdict_names_why_an_event_was_not_used() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    assert_eq!(verdict(&mut sim, offer("c1", "ann")).1, Verdict::Applied);
    assert_eq!(
        verdict(&mut sim, transfer("c1", "bob", "ann")).1,
        Verdict::Ignored(Ignored::Stale)
    );
    assert_eq!(
        verdict(&mut sim, chosen("c1", "carl", contact("p1"))).1,
        Verdict::Ignored(Ignored::NotOnCall)
    );
    assert_eq!(
        verdict(&mut sim, case_created("c9", "case-9")).1,
        Verdict::Ignored(Ignored::UnknownCall)
    );
    sim.send(end("c1"));
    assert_eq!(
        verdict(
            &mut sim,
            Event::Held {
                call: call_id("c1")
            }
        )
        .1,
        Verdict::Ignored(Ignored::CallEnded)
    );
    sim.advance_secs(24 * 3600);
    assert!(sim.engine.is_settled(&call_id("c1")));
    assert_eq!(
        verdict(&mut sim, connect("c1", "ann")).1,
        Verdict::Ignored(Ignored::CallSettled)
    );
}

// ----- item 3: agents' choices on any call the engine knows ---------------------------------

#[test]
fn choices_accepted_from_any_agent_involved_in_a_call_however_it_arrived() {
    // Known only through the events API, in a late order: the agents on it may still choose
    // the contact and ask for the Case.
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    sim.send(connect("c1", "ann"));
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1"), contact("p2")]));
    let (_, v) = verdict(&mut sim, chosen("c1", "ann", contact("p2")));
    assert_eq!(v, Verdict::Applied);
    assert_eq!(sim.state("c1").chosen_contact, Some(contact("p2")));

    sim.send(offer("c2", "bob"));
    sim.send(end("c2"));
    sim.send(connect("c2", "bob"));
    let (commands, v) = verdict(&mut sim, manual("c2", "bob"));
    assert_eq!(v, Verdict::Applied);
    // Asked for while the Case waited for the lookup: it is written at once.
    assert_eq!(create_cases(&commands).len(), 1, "{commands:#?}");
    assert_eq!(
        verdict(&mut sim, manual("c2", "carl")).1,
        Verdict::Ignored(Ignored::NotOnCall)
    );
}

// ----- item 2: calls whose end never comes, replay without a second lookup ------------------

#[test]
fn lifetime_closes_a_call_whose_end_never_comes() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    let lifetime = EngineConfig::default().max_call_lifetime;
    sim.advance_ms(lifetime.as_millis() as u64 - 1);
    assert_eq!(sim.state("c1").phase, CallPhase::Ringing);
    sim.advance_ms(1);
    let state = sim.state("c1");
    assert_eq!(state.phase, CallPhase::Ended);
    assert!(
        matches!(state.end_cause, Some(EndCause::Failed(ref why)) if why.contains("max_call_lifetime"))
    );
    assert_eq!(sim.engine.stats().closed_without_end, 1);
    sim.advance_secs(3600);
    assert_eq!(sim.engine.active_calls(), 0);
}

#[test]
fn replayed_lookup_outcome_pops_without_a_second_lookup() {
    let mut sim = Sim::with_linked(&["ann"]);
    // The replay feeds the journalled outcome before the call's events.
    let (_, v) = verdict(&mut sim, lookup_done("c1", "ann", vec![contact("p1")]));
    assert!(matches!(v, Verdict::Held { .. }), "{v:?}");
    let commands = sim.send(offer("c1", "ann"));
    assert!(lookups(&commands).is_empty(), "{commands:#?}");
    assert_eq!(
        commands,
        vec![Command::PopContact {
            agent: agent("ann"),
            call: call_id("c1"),
            contact: contact("p1"),
        }]
    );
    sim.send(answer("c1", "ann"));
    let commands = sim.send(connect("c1", "ann"));
    assert_eq!(created_party(&commands), PartyRefs::of(&contact("p1")));
}

// ----- item 4: a lookup the CRM could not answer is tried again -----------------------------

#[test]
fn lookup_failed_in_an_outage_is_retried_with_the_same_agent_before_the_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(lookup_failed("c1", "ann", outage()));
    let commands = sim.send(connect("c1", "ann"));
    assert!(
        create_cases(&commands).is_empty(),
        "waits for the retry: {commands:#?}"
    );
    let commands = sim.advance_secs(5);
    assert_eq!(
        lookups(&commands),
        vec![&Command::LookupContacts {
            tenant: TENANT.into(),
            call: call_id("c1"),
            agent: agent("ann"),
            number: E164::parse(NUMBER).unwrap(),
        }]
    );
    let commands = sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    assert!(commands.contains(&Command::PopContact {
        agent: agent("ann"),
        call: call_id("c1"),
        contact: contact("p1"),
    }));
    assert_eq!(created_party(&commands), PartyRefs::of(&contact("p1")));
    assert_eq!(sim.engine.stats().lookup_retries, 1);
}

#[test]
fn lookup_retry_after_the_case_was_written_fills_the_contact_in_with_one_update() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    sim.send(lookup_failed("c1", "ann", outage()));
    sim.advance_secs(5);
    sim.send(lookup_failed("c1", "ann", outage()));
    // The contact wait (10 s) ends before the next retry (10 s after the second failure).
    let commands = sim.advance_secs(5);
    assert_eq!(created_party(&commands), PartyRefs::default());
    sim.send(case_created("c1", "case-1"));
    sim.send(end("c1"));
    let commands = sim.advance_secs(10);
    assert_eq!(lookups(&commands).len(), 1, "{commands:#?}");
    let commands = sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    assert_eq!(
        updates(&commands),
        vec![&Command::UpdateCaseContact {
            tenant: TENANT.into(),
            call: call_id("c1"),
            case: case_ref("case-1"),
            party: PartyRefs::of(&contact("p1")),
        }]
    );
    assert!(sim
        .advance_secs(3600)
        .iter()
        .all(|c| updates(std::slice::from_ref(c)).is_empty()));
}

#[test]
fn lookup_retries_are_bounded() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    let mut tried = 1;
    sim.send(lookup_failed("c1", "ann", outage()));
    for _ in 0..20 {
        let commands = sim.advance_secs(60);
        if lookups(&commands).is_empty() {
            break;
        }
        tried += 1;
        sim.send(lookup_failed("c1", "ann", outage()));
    }
    assert_eq!(tried, 1 + EngineConfig::default().lookup_retries);
}

#[test]
fn lookup_retry_not_made_for_an_expired_sign_in() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_failed("c1", "ann", LookupFailure::RelinkRequired));
    assert!(lookups(&sim.advance_secs(600)).is_empty());
}

#[test]
fn verdict_clock_is_the_engines() {
    // `Held::until` is on the engine's clock (the time given with the first held event).
    let mut sim = Sim::with_linked(&["ann"]);
    sim.now = Timestamp::from_millis(5_000);
    let (_, v) = verdict(&mut sim, end("c1"));
    assert_eq!(
        v,
        Verdict::Held {
            until: Timestamp::from_millis(5_000).saturating_add(Duration::from_secs(300))
        }
    );
}
