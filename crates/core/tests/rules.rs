//! The product rules, one test each. Read top to bottom, this is the specification of what the
//! CRM sees when calls happen.

mod support;

use std::time::Duration;

use callbridge_core::{
    CallPhase, CallerNumber, CaseFields, CaseStatus, CaseTrigger, Command, Direction, EngineConfig,
    Event, FirstAnswer, LookupFailure, NotifyReason, PartyRefs, RecordId, RecordingLocator,
    Suppression, TenantPolicy, Timestamp, TransferTarget, E164,
};
use support::*;

fn notify(agent_id: &str, call: &str, reason: NotifyReason) -> Command {
    Command::NotifyAgent {
        agent: agent(agent_id),
        call: call_id(call),
        reason,
    }
}

fn pop(agent_id: &str, call: &str, contact: callbridge_core::ContactRef) -> Command {
    Command::PopContact {
        agent: agent(agent_id),
        call: call_id(call),
        contact,
    }
}

fn show_case(agent_id: &str, call: &str, case: &str) -> Command {
    Command::ShowCase {
        agent: agent(agent_id),
        call: call_id(call),
        case: case_ref(case),
    }
}

fn suppressed_by(first: &str) -> NotifyReason {
    NotifyReason::CaseSuppressedFirstAgentNotLinked {
        first_agent: agent(first),
    }
}

/// The `CreateCase` among `commands`, which must be the only one.
fn the_create_case(commands: &[Command]) -> (CaseTrigger, CaseFields) {
    let creates = create_cases(commands);
    assert_eq!(creates.len(), 1, "expected one CreateCase in {commands:#?}");
    match creates[0] {
        Command::CreateCase {
            trigger, fields, ..
        } => (trigger.clone(), fields.clone()),
        _ => unreachable!(),
    }
}

/// `ann` (linked) takes call `c1` from [`NUMBER`], matched to one contact, and gets its Case
/// `case-1`.
fn connected_call_with_case(sim: &mut Sim) {
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    sim.send(answer("c1", "ann"));
    let commands = sim.send(connect("c1", "ann"));
    the_create_case(&commands);
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![show_case("ann", "c1", "case-1")]
    );
}

// ----- screen pop -------------------------------------------------------------------------------

#[test]
fn screen_pop_no_match_offers_new_contact() {
    let mut sim = Sim::with_linked(&["ann"]);
    assert_eq!(
        sim.send(offer("c1", "ann")),
        vec![Command::LookupContacts {
            tenant: TENANT.into(),
            call: call_id("c1"),
            agent: agent("ann"),
            number: E164::parse(NUMBER).unwrap(),
        }]
    );
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![])),
        vec![Command::OfferNewContact {
            agent: agent("ann"),
            call: call_id("c1"),
            number: NUMBER.into(),
        }]
    );
}

#[test]
fn screen_pop_single_match_pops_the_contact() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![pop("ann", "c1", contact("p1"))]
    );
}

#[test]
fn screen_pop_several_matches_show_a_chooser_never_a_guess() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    assert_eq!(
        sim.send(lookup_done(
            "c1",
            "ann",
            vec![contact("p1"), consumer("k1"), contact("p2")]
        )),
        vec![Command::ShowChooser {
            agent: agent("ann"),
            call: call_id("c1"),
            candidates: vec![contact("p1"), consumer("k1"), contact("p2")],
        }]
    );
}

#[test]
fn screen_pop_same_record_found_twice_counts_as_one_match() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    let mut renamed = contact("p1");
    renamed.name = "Found through the mobile column".into();
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1"), renamed])),
        vec![pop("ann", "c1", contact("p1"))]
    );
}

#[test]
fn screen_pop_withheld_caller_never_queries_the_crm() {
    let mut sim = Sim::with_linked(&["ann"]);
    let commands = sim.send(offer_with(
        "c1",
        "ann",
        CallerNumber::Withheld,
        Direction::Inbound,
    ));
    assert_eq!(
        commands,
        vec![notify("ann", "c1", NotifyReason::CallerIdWithheld)]
    );
    sim.send(answer("c1", "ann"));
    let (_, fields) = the_create_case(&sim.send(connect("c1", "ann")));
    assert_eq!(fields.caller, CallerNumber::Withheld);
    assert_eq!(fields.party, PartyRefs::default());
    assert_eq!(
        fields.short_description,
        "Phone call (inbound) with withheld number"
    );
}

#[test]
fn screen_pop_garbage_caller_id_never_queries_the_crm() {
    let mut sim = Sim::with_linked(&["ann"]);
    let raw = [
        "anonymous",
        "javascript:alert(1)",
        "+44^NQphoneISNOTEMPTY",
        "",
        "0000000",
    ];
    // None of them can even be marked dialable (a dialable number is an `E164`), so they reach
    // the core as invalid.
    for raw in raw {
        assert!(E164::parse(raw).is_err(), "{raw:?}");
    }
    let hostile = raw.map(|raw| CallerNumber::Invalid(raw.to_owned()));
    for (i, caller) in hostile.into_iter().enumerate() {
        let call = format!("c{i}");
        let commands = sim.send(offer_with(&call, "ann", caller, Direction::Inbound));
        assert_eq!(
            commands,
            vec![notify("ann", &call, NotifyReason::CallerIdUnusable)]
        );
        sim.send(answer(&call, "ann"));
        let (_, fields) = the_create_case(&sim.send(connect(&call, "ann")));
        assert_eq!(
            fields.short_description,
            "Phone call (inbound) with unknown number"
        );
    }
}

#[test]
fn screen_pop_unlinked_agent_is_told_to_link_instead_of_a_lookup() {
    let mut sim = Sim::new();
    assert_eq!(
        sim.send(offer("c1", "ann")),
        vec![notify("ann", "c1", NotifyReason::AgentNotLinked)]
    );
}

#[test]
fn screen_pop_lookup_failure_tells_agent_to_search_by_hand() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    let failure = LookupFailure::Unavailable("the CRM did not answer in 5 s".into());
    assert_eq!(
        sim.send(lookup_failed("c1", "ann", failure)),
        vec![notify(
            "ann",
            "c1",
            NotifyReason::LookupFailed {
                detail: "the CRM did not answer in 5 s".into()
            }
        )]
    );
}

#[test]
fn screen_pop_expired_crm_token_asks_agent_to_relink() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    assert_eq!(
        sim.send(lookup_failed("c1", "ann", LookupFailure::RelinkRequired)),
        vec![notify("ann", "c1", NotifyReason::RelinkRequired)]
    );
}

#[test]
fn screen_pop_failed_lookup_is_retried_for_the_next_agent() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_failed("c1", "ann", LookupFailure::RelinkRequired));
    sim.send(transfer("c1", "ann", "bob"));
    let commands = sim.send(offer("c1", "bob"));
    assert_eq!(lookups(&commands).len(), 1, "{commands:?}");
    assert_eq!(
        sim.send(lookup_done("c1", "bob", vec![contact("p1")])),
        vec![pop("bob", "c1", contact("p1"))]
    );
}

#[test]
fn screen_pop_is_only_for_inbound_calls() {
    let mut sim = Sim::with_linked(&["ann"]);
    let outbound = offer_with(
        "c1",
        "ann",
        CallerNumber::Dialable(E164::parse(NUMBER).unwrap()),
        Direction::Outbound,
    );
    assert_eq!(sim.send(outbound), vec![]);
}

#[test]
fn screen_pop_for_an_abandoned_call_is_not_shown() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(end("c1"));
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![]
    );
}

#[test]
fn screen_pop_ring_all_shares_one_lookup_between_agents() {
    let mut sim = Sim::with_linked(&["ann", "bob", "cy"]);
    assert_eq!(lookups(&sim.send(offer("c1", "ann"))).len(), 1);
    assert_eq!(sim.send(offer("c1", "bob")), vec![]);
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![
            pop("ann", "c1", contact("p1")),
            pop("bob", "c1", contact("p1"))
        ]
    );
    assert_eq!(
        sim.send(offer("c1", "cy")),
        vec![pop("cy", "c1", contact("p1"))]
    );
}

#[test]
fn screen_pop_not_shown_to_agents_the_call_stopped_ringing_at() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(offer("c1", "bob"));
    sim.send(answer("c1", "bob"));
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![pop("bob", "c1", contact("p1"))]
    );
}

#[test]
fn screen_pop_duplicate_lookup_result_is_ignored() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p2")])),
        vec![]
    );
    assert_eq!(sim.engine.stats().ignored_duplicate, 1);
}

#[test]
fn screen_pop_duplicate_offer_pops_once() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    assert_eq!(sim.send(offer("c1", "ann")), vec![]);
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    sim.send(answer("c1", "ann"));
    assert_eq!(sim.send(offer("c1", "ann")), vec![]);
}

// ----- Case auto-creation -----------------------------------------------------------------------

#[test]
fn case_created_when_agent_and_customer_connected() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    assert_eq!(sim.send(answer("c1", "ann")), vec![]);
    assert_eq!(
        sim.send(connect("c1", "ann")),
        vec![Command::CreateCase {
            tenant: TENANT.into(),
            call: call_id("c1"),
            idempotency_key: call_id("c1"),
            trigger: CaseTrigger::Automatic,
            fields: CaseFields {
                caller: CallerNumber::Dialable(E164::parse(NUMBER).unwrap()),
                recording_link: "http://localhost:8080/recordings/c1".into(),
                party: PartyRefs {
                    contact: Some(RecordId::from("p1")),
                    consumer: None,
                    account: Some(RecordId::from("acct-acme")),
                },
                assigned_agent: agent("ann"),
                direction: Direction::Inbound,
                short_description: format!("Phone call (inbound) with {NUMBER}"),
            },
        }]
    );
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![show_case("ann", "c1", "case-1")]
    );
    assert_eq!(
        sim.state("c1").case,
        CaseStatus::Created(case_ref("case-1"))
    );
}

#[test]
fn case_is_one_write_because_the_recording_link_is_known_at_creation() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    sim.send(answer("c1", "ann"));
    // The recording may be stored before the agent is even connected.
    let ready = Event::RecordingReady {
        call: call_id("c1"),
        recording: RecordingLocator::from("tenants/acme/c1.wav"),
    };
    assert_eq!(sim.send(ready.clone()), vec![]);
    let (_, fields) = the_create_case(&sim.send(connect("c1", "ann")));
    assert_eq!(fields.recording_link, "http://localhost:8080/recordings/c1");
    sim.send(case_created("c1", "case-1"));
    sim.send(end("c1"));
    assert_eq!(sim.send(ready), vec![]);
    assert_eq!(
        sim.state("c1").recording,
        Some(RecordingLocator::from("tenants/acme/c1.wav"))
    );
}

#[test]
fn case_uses_the_tenants_template_and_recording_address() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.engine.set_tenant_policy(
        TENANT.into(),
        TenantPolicy {
            short_description: callbridge_core::ShortDescriptionTemplate::parse(
                "Call {call_id}: {caller} ({direction}) for {agent}",
            )
            .unwrap(),
            recording_links: callbridge_core::RecordingLinks::parse("https://cb.example.com/play/")
                .unwrap(),
            ..TenantPolicy::default()
        },
    );
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    let (_, fields) = the_create_case(&sim.send(connect("c1", "ann")));
    assert_eq!(
        fields.short_description,
        // `{agent}` is the agent's id, `<tenant>:<agent>`, as it has always been rendered.
        format!("Call c1: {NUMBER} (inbound) for {TENANT}:ann")
    );
    assert_eq!(fields.recording_link, "https://cb.example.com/play/c1");
}

#[test]
fn case_waits_for_a_running_lookup_then_is_written_with_the_match() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    assert_eq!(sim.send(connect("c1", "ann")), vec![]);
    assert!(matches!(
        sim.state("c1").case,
        CaseStatus::AwaitingContact { .. }
    ));
    let commands = sim.send(lookup_done("c1", "ann", vec![consumer("k1")]));
    assert_eq!(commands[0], pop("ann", "c1", consumer("k1")));
    let (_, fields) = the_create_case(&commands);
    assert_eq!(
        fields.party,
        PartyRefs {
            contact: None,
            consumer: Some(RecordId::from("k1")),
            account: None,
        }
    );
}

#[test]
fn case_waits_for_the_agents_choice_then_is_written_with_the_chosen_contact() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1"), contact("p2")]));
    sim.send(answer("c1", "ann"));
    assert_eq!(sim.send(connect("c1", "ann")), vec![]);
    let (_, fields) = the_create_case(&sim.send(chosen("c1", "ann", contact("p2"))));
    assert_eq!(fields.party.contact, Some(RecordId::from("p2")));
}

#[test]
fn case_without_contact_when_nobody_chooses_in_time_then_updated_on_choice() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1"), contact("p2")]));
    sim.send(connect("c1", "ann"));
    assert_eq!(sim.advance_ms(9_999), vec![]);
    let (_, fields) = the_create_case(&sim.advance_ms(1));
    assert_eq!(fields.party, PartyRefs::default(), "never a guess");
    sim.send(case_created("c1", "case-1"));
    assert_eq!(
        sim.send(chosen("c1", "ann", contact("p2"))),
        vec![Command::UpdateCaseContact {
            tenant: TENANT.into(),
            call: call_id("c1"),
            case: case_ref("case-1"),
            party: PartyRefs::of(&contact("p2")),
        }]
    );
    assert_eq!(sim.send(chosen("c1", "ann", contact("p2"))), vec![]);
}

#[test]
fn case_contact_chosen_while_the_case_is_written_is_reconciled_once_created() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1"), contact("p2")]));
    sim.send(connect("c1", "ann"));
    the_create_case(&sim.advance_secs(10));
    assert_eq!(sim.send(chosen("c1", "ann", contact("p1"))), vec![]);
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![
            Command::UpdateCaseContact {
                tenant: TENANT.into(),
                call: call_id("c1"),
                case: case_ref("case-1"),
                party: PartyRefs::of(&contact("p1")),
            },
            show_case("ann", "c1", "case-1"),
        ]
    );
}

#[test]
fn case_still_created_when_the_call_ends_while_waiting_for_the_contact() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    sim.send(end("c1"));
    let (_, fields) = the_create_case(&sim.advance_secs(10));
    assert_eq!(fields.party, PartyRefs::default());
}

#[test]
fn case_not_automatic_for_outbound_by_default_and_the_agent_is_told_why() {
    let mut sim = Sim::with_linked(&["ann"]);
    let outbound = offer_with(
        "c1",
        "ann",
        CallerNumber::Dialable(E164::parse(NUMBER).unwrap()),
        Direction::Outbound,
    );
    sim.send(outbound);
    sim.send(answer("c1", "ann"));
    assert_eq!(
        sim.send(connect("c1", "ann")),
        vec![notify(
            "ann",
            "c1",
            NotifyReason::CaseNotAutomaticForDirection {
                direction: Direction::Outbound
            }
        )]
    );
    let (trigger, _) = the_create_case(&sim.send(manual("c1", "ann")));
    assert_eq!(
        trigger,
        CaseTrigger::Manual {
            requested_by: agent("ann")
        }
    );
}

#[test]
fn case_created_for_outbound_when_the_tenant_policy_enables_it() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.engine.set_tenant_policy(
        TENANT.into(),
        TenantPolicy {
            auto_case_outbound: true,
            ..TenantPolicy::default()
        },
    );
    let outbound = offer_with(
        "c1",
        "ann",
        CallerNumber::Dialable(E164::parse(NUMBER).unwrap()),
        Direction::Outbound,
    );
    // A lookup only to put the contact on the Case; outbound calls get no pop.
    assert_eq!(lookups(&sim.send(outbound)).len(), 1);
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![]
    );
    let (trigger, fields) = the_create_case(&sim.send(connect("c1", "ann")));
    assert_eq!(trigger, CaseTrigger::Automatic);
    assert_eq!(fields.direction, Direction::Outbound);
    assert_eq!(fields.party.contact, Some(RecordId::from("p1")));
    assert_eq!(
        fields.short_description,
        format!("Phone call (outbound) with {NUMBER}")
    );
}

// A `connected` that arrives after `ended` still creates the Case: see `ordering.rs`.
#[test]
fn case_never_created_when_the_call_ends_without_connecting() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(end("c1"));
    assert_eq!(
        sim.send(Event::Held {
            call: call_id("c1")
        }),
        vec![]
    );
    assert!(sim.advance_secs(60).is_empty());
    let state = sim.state("c1");
    assert_eq!(state.case, CaseStatus::NotStarted);
    assert!(!state.case_create_emitted);
    assert_eq!(sim.engine.stats().ignored_after_end, 1);
}

#[test]
fn case_answer_after_hangup_without_connection_creates_nothing() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(end("c1"));
    assert_eq!(sim.send(answer("c1", "ann")), vec![]);
    assert!(sim.advance_secs(60).is_empty());
    assert_eq!(sim.state("c1").phase, CallPhase::Ended);
    assert!(!sim.state("c1").case_create_emitted);
}

#[test]
fn case_created_once_despite_a_second_connected() {
    let mut sim = Sim::with_linked(&["ann"]);
    connected_call_with_case(&mut sim);
    assert_eq!(sim.send(connect("c1", "ann")), vec![]);
    assert_eq!(sim.send(answer("c1", "ann")), vec![]);
    sim.send(Event::Held {
        call: call_id("c1"),
    });
    sim.send(Event::Resumed {
        call: call_id("c1"),
    });
    assert_eq!(sim.send(connect("c1", "ann")), vec![]);
}

#[test]
fn case_created_once_despite_duplicated_case_created() {
    let mut sim = Sim::with_linked(&["ann"]);
    connected_call_with_case(&mut sim);
    assert_eq!(sim.send(case_created("c1", "case-1")), vec![]);
    assert_eq!(sim.send(case_created("c1", "case-other")), vec![]);
    assert_eq!(
        sim.state("c1").case,
        CaseStatus::Created(case_ref("case-1"))
    );
    assert_eq!(sim.engine.stats().case_ref_conflicts, 1);
}

#[test]
fn case_transient_failure_tells_the_agent_once_and_keeps_waiting() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    the_create_case(&sim.send(connect("c1", "ann")));
    let failed = Event::CaseCreateFailed {
        call: call_id("c1"),
        reason: "429 Too Many Requests".into(),
        permanent: false,
    };
    assert_eq!(
        sim.send(failed.clone()),
        vec![notify(
            "ann",
            "c1",
            NotifyReason::CaseCreationDelayed {
                detail: "429 Too Many Requests".into()
            }
        )]
    );
    assert_eq!(sim.send(failed), vec![]);
    assert_eq!(sim.state("c1").case, CaseStatus::Creating);
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![show_case("ann", "c1", "case-1")]
    );
}

#[test]
fn case_permanent_failure_tells_the_agent_and_is_never_created_twice() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    the_create_case(&sim.send(connect("c1", "ann")));
    let detail = "column u_recording_url is missing";
    let failed = sim.send(Event::CaseCreateFailed {
        call: call_id("c1"),
        reason: detail.into(),
        permanent: true,
    });
    let told_failed = notify(
        "ann",
        "c1",
        NotifyReason::CaseCreationFailed {
            detail: detail.into(),
        },
    );
    assert_eq!(failed, vec![told_failed.clone()]);
    // Asking by hand looks the Case up (an administrator may have replayed it) instead of
    // writing a second one.
    let find = Command::FindCase {
        tenant: TENANT.into(),
        call: call_id("c1"),
    };
    assert_eq!(sim.send(manual("c1", "ann")), vec![find.clone()]);
    assert_eq!(
        sim.send(Event::CaseNotFound {
            call: call_id("c1")
        }),
        vec![told_failed]
    );
    assert_eq!(sim.send(manual("c1", "ann")), vec![find]);
    assert_eq!(
        sim.send(Event::CaseFound {
            call: call_id("c1"),
            case: case_ref("case-1"),
        }),
        vec![show_case("ann", "c1", "case-1")]
    );
}

#[test]
fn case_hold_and_resume_are_tracked_and_never_touch_the_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    connected_call_with_case(&mut sim);
    let held = Event::Held {
        call: call_id("c1"),
    };
    assert_eq!(sim.send(held.clone()), vec![]);
    assert!(sim.state("c1").on_hold);
    assert_eq!(sim.send(held), vec![]);
    assert_eq!(
        sim.send(Event::Resumed {
            call: call_id("c1")
        }),
        vec![]
    );
    assert!(!sim.state("c1").on_hold);
}

#[test]
fn events_for_unknown_calls_are_held_for_the_offer_or_ignored() {
    let mut sim = Sim::with_linked(&["ann"]);
    for event in [
        answer("ghost", "ann"),
        connect("ghost", "ann"),
        transfer("ghost", "ann", "bob"),
        end("ghost"),
        lookup_done("ghost", "ann", vec![contact("p1")]),
        case_created("ghost", "case-9"),
        chosen("ghost", "ann", contact("p1")),
    ] {
        assert_eq!(sim.send(event), vec![]);
    }
    // Telephony facts and a (replayed) lookup outcome wait for the offer; the rest follow one.
    assert_eq!(sim.engine.held_events(&call_id("ghost")), 5);
    assert_eq!(sim.engine.stats().ignored_unknown_call, 2);
    assert_eq!(
        sim.send(manual("ghost", "ann")),
        vec![notify("ann", "ghost", NotifyReason::CallNotFound)]
    );
    assert!(sim.engine.call_state(&call_id("ghost")).is_none());
    assert_eq!(sim.engine.active_calls(), 0);
}

// ----- the transfer rule ------------------------------------------------------------------------

#[test]
fn transfer_rule_unlinked_first_answerer_suppresses_the_case_forever() {
    let mut sim = Sim::with_linked(&["bob"]);
    assert_eq!(
        sim.send(offer("c1", "ann")),
        vec![notify("ann", "c1", NotifyReason::AgentNotLinked)]
    );
    assert_eq!(sim.send(answer("c1", "ann")), vec![]);
    assert_eq!(
        sim.send(connect("c1", "ann")),
        vec![notify("ann", "c1", suppressed_by("ann"))]
    );
    assert_eq!(sim.send(transfer("c1", "ann", "bob")), vec![]);
    assert_eq!(lookups(&sim.send(offer("c1", "bob"))).len(), 1);
    assert_eq!(
        sim.send(answer("c1", "bob")),
        vec![notify("bob", "c1", suppressed_by("ann"))]
    );
    assert_eq!(sim.send(connect("c1", "bob")), vec![]);
    sim.send(end("c1"));
    assert!(create_cases(&sim.advance_secs(3600)).is_empty());
    assert_eq!(
        sim.engine.stats().calls_forgotten,
        1,
        "a suppressed call is settled and forgotten"
    );
}

#[test]
fn transfer_rule_suppression_keeps_the_first_answerers_state_at_answer_time() {
    let mut sim = Sim::new();
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    // Linking after answering does not lift the suppression for this call.
    sim.send(link("ann", true));
    assert_eq!(
        sim.send(connect("c1", "ann")),
        vec![notify("ann", "c1", suppressed_by("ann"))]
    );
    assert_eq!(
        sim.state("c1").first_answer,
        Some(FirstAnswer {
            agent: agent("ann"),
            linked: false,
            at: sim.now,
        })
    );
    assert_eq!(
        sim.state("c1").case,
        CaseStatus::Suppressed(Suppression::FirstAnswererNotLinked {
            agent: agent("ann")
        })
    );

    // And unlinking after answering does not cancel the Case of a call answered linked.
    sim.send(offer("c2", "ann"));
    sim.send(answer("c2", "ann"));
    sim.send(link("ann", false));
    sim.send(connect("c2", "ann"));
    let (_, fields) = the_create_case(&sim.send(lookup_done("c2", "ann", vec![])));
    assert_eq!(fields.assigned_agent, agent("ann"));
}

#[test]
fn transfer_rule_linked_agent_can_still_create_the_case_by_hand() {
    let mut sim = Sim::with_linked(&["bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    sim.send(transfer("c1", "ann", "bob"));
    sim.send(offer("c1", "bob"));
    sim.send(lookup_done("c1", "bob", vec![contact("p1")]));
    sim.send(answer("c1", "bob"));
    sim.send(connect("c1", "bob"));

    let (trigger, fields) = the_create_case(&sim.send(manual("c1", "bob")));
    assert_eq!(
        trigger,
        CaseTrigger::Manual {
            requested_by: agent("bob")
        }
    );
    assert_eq!(fields.assigned_agent, agent("bob"));
    assert_eq!(fields.party.contact, Some(RecordId::from("p1")));

    // Still at most one Case per call: asking again while it is written, or after.
    assert_eq!(
        sim.send(manual("c1", "bob")),
        vec![notify("bob", "c1", NotifyReason::CaseCreationInProgress)]
    );
    let shown = sim.send(case_created("c1", "case-1"));
    assert!(
        shown.contains(&show_case("bob", "c1", "case-1")),
        "{shown:?}"
    );
    assert_eq!(
        sim.send(manual("c1", "bob")),
        vec![show_case("bob", "c1", "case-1")]
    );
}

#[test]
fn manual_case_refused_for_an_unlinked_agent() {
    let mut sim = Sim::new();
    sim.send(offer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    assert_eq!(
        sim.send(manual("c1", "ann")),
        vec![notify("ann", "c1", NotifyReason::AgentNotLinked)]
    );
    assert!(!sim.state("c1").case_create_emitted);
}

#[test]
fn manual_case_refused_for_an_agent_not_on_the_call() {
    let mut sim = Sim::with_linked(&["zed"]);
    sim.send(offer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    assert_eq!(
        sim.send(manual("c1", "zed")),
        vec![notify("zed", "c1", NotifyReason::NotOnCall)]
    );
}

#[test]
fn transfer_while_ringing_makes_the_next_answerer_the_first_answerer() {
    // Unlinked ann never answers; linked bob does: bob's link decides.
    let mut sim = Sim::with_linked(&["bob"]);
    sim.send(offer("c1", "ann"));
    assert_eq!(sim.send(transfer("c1", "ann", "bob")), vec![]);
    assert_eq!(sim.state("c1").phase, CallPhase::Ringing);
    sim.send(offer("c1", "bob"));
    sim.send(lookup_done("c1", "bob", vec![]));
    sim.send(answer("c1", "bob"));
    let (_, fields) = the_create_case(&sim.send(connect("c1", "bob")));
    assert_eq!(fields.assigned_agent, agent("bob"));

    // The other way round: linked ann rings, unlinked cy answers.
    sim.send(link("ann", true));
    sim.send(offer("c2", "ann"));
    sim.send(transfer("c2", "ann", "cy"));
    sim.send(offer("c2", "cy"));
    sim.send(answer("c2", "cy"));
    assert_eq!(
        sim.send(connect("c2", "cy")),
        vec![notify("cy", "c2", suppressed_by("cy"))]
    );
}

#[test]
fn transfer_receiving_agent_gets_the_pop_and_the_existing_case_never_a_second() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    connected_call_with_case(&mut sim);
    assert_eq!(sim.send(transfer("c1", "ann", "bob")), vec![]);
    assert_eq!(sim.state("c1").phase, CallPhase::Transferring);
    // The lookup is not repeated: one CRM request for the pop per call.
    assert_eq!(
        sim.send(offer("c1", "bob")),
        vec![pop("bob", "c1", contact("p1"))]
    );
    assert_eq!(
        sim.send(answer("c1", "bob")),
        vec![show_case("bob", "c1", "case-1")]
    );
    assert_eq!(sim.send(connect("c1", "bob")), vec![]);
    assert_eq!(sim.state("c1").current_agent, Some(agent("bob")));
}

#[test]
fn transfer_before_the_case_is_written_shows_it_to_the_receiving_agent_once_created() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    the_create_case(&sim.send(connect("c1", "ann")));
    sim.send(transfer("c1", "ann", "bob"));
    sim.send(offer("c1", "bob"));
    assert_eq!(sim.send(answer("c1", "bob")), vec![]);
    assert_eq!(sim.send(connect("c1", "bob")), vec![]);
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![
            show_case("ann", "c1", "case-1"),
            show_case("bob", "c1", "case-1")
        ]
    );
}

#[test]
fn transfer_after_a_failed_case_finds_it_by_correlation_id() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    the_create_case(&sim.send(connect("c1", "ann")));
    sim.send(Event::CaseCreateFailed {
        call: call_id("c1"),
        reason: "retry budget spent".into(),
        permanent: true,
    });
    sim.send(transfer("c1", "ann", "bob"));
    sim.send(offer("c1", "bob"));
    assert_eq!(
        sim.send(answer("c1", "bob")),
        vec![Command::FindCase {
            tenant: TENANT.into(),
            call: call_id("c1"),
        }]
    );
    assert_eq!(
        sim.send(Event::CaseFound {
            call: call_id("c1"),
            case: case_ref("case-1"),
        }),
        vec![
            show_case("ann", "c1", "case-1"),
            show_case("bob", "c1", "case-1")
        ]
    );
}

#[test]
fn transfer_through_a_queue_reaches_the_next_agent_with_pop_and_case() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    connected_call_with_case(&mut sim);
    sim.send(transfer_to_queue("c1", "ann", "billing"));
    assert_eq!(
        sim.state("c1").last_transfer,
        Some(TransferTarget::Queue("billing".into()))
    );
    assert_eq!(sim.state("c1").current_agent, None);
    assert_eq!(
        sim.send(offer("c1", "bob")),
        vec![pop("bob", "c1", contact("p1"))]
    );
    assert_eq!(
        sim.send(connect("c1", "bob")),
        vec![show_case("bob", "c1", "case-1")]
    );
}

#[test]
fn transfer_without_a_ringing_step_still_pops_the_receiving_agent() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    connected_call_with_case(&mut sim);
    sim.send(transfer("c1", "ann", "bob"));
    assert_eq!(
        sim.send(answer("c1", "bob")),
        vec![
            pop("bob", "c1", contact("p1")),
            show_case("bob", "c1", "case-1")
        ]
    );
}

#[test]
fn transfer_stale_events_do_not_take_the_call_back() {
    let mut sim = Sim::with_linked(&["ann", "bob"]);
    connected_call_with_case(&mut sim);
    sim.send(transfer("c1", "ann", "bob"));
    sim.send(offer("c1", "bob"));
    sim.send(answer("c1", "bob"));
    sim.send(connect("c1", "bob"));
    for stale in [
        transfer("c1", "ann", "bob"),
        answer("c1", "ann"),
        connect("c1", "ann"),
    ] {
        assert_eq!(sim.send(stale), vec![]);
    }
    let state = sim.state("c1");
    assert_eq!(state.current_agent, Some(agent("bob")));
    assert_eq!(state.phase, CallPhase::Connected);
}

// ----- memory and time --------------------------------------------------------------------------

#[test]
fn ended_call_is_forgotten_after_its_case_work_settles() {
    let mut sim = Sim::with_linked(&["ann"]);
    connected_call_with_case(&mut sim);
    sim.send(end("c1"));
    let ended_at = sim.now;
    assert_eq!(
        sim.engine.poll_timeout(),
        Some(ended_at.saturating_add(Duration::from_secs(300)))
    );
    sim.advance_ms(300_000 - 1);
    assert_eq!(sim.engine.active_calls(), 1);
    sim.advance_ms(1);
    assert_eq!(sim.engine.active_calls(), 0);
    assert!(sim.engine.is_settled(&call_id("c1")));
}

#[test]
fn call_waiting_for_the_crm_is_kept_until_its_case_is_settled() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    the_create_case(&sim.send(connect("c1", "ann")));
    sim.send(end("c1"));
    sim.advance_secs(3600);
    assert_eq!(sim.state("c1").case, CaseStatus::Creating);
    assert_eq!(
        sim.send(case_created("c1", "case-1")),
        vec![show_case("ann", "c1", "case-1")]
    );
    sim.advance_secs(300);
    assert!(sim.engine.is_settled(&call_id("c1")));
}

#[test]
fn call_never_answered_by_the_crm_is_dropped_after_max_linger() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![]));
    the_create_case(&sim.send(connect("c1", "ann")));
    sim.send(end("c1"));
    sim.advance_secs(24 * 3600 - 1);
    assert_eq!(sim.engine.active_calls(), 1);
    sim.advance_secs(1);
    assert_eq!(sim.engine.active_calls(), 0);
    // The outbox's late answer finds nothing to do.
    assert_eq!(sim.send(case_created("c1", "case-1")), vec![]);
    assert_eq!(sim.engine.stats().ignored_settled_call, 1);
}

#[test]
fn late_duplicate_for_a_forgotten_call_cannot_create_a_case() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(answer("c1", "ann"));
    sim.send(end("c1"));
    sim.advance_secs(300);
    assert!(sim.engine.is_settled(&call_id("c1")));
    for late in [
        offer("c1", "ann"),
        answer("c1", "ann"),
        connect("c1", "ann"),
    ] {
        assert_eq!(sim.send(late), vec![]);
    }
    assert_eq!(
        sim.send(manual("c1", "ann")),
        vec![notify("ann", "c1", NotifyReason::CallNotFound)]
    );
    assert_eq!(sim.engine.active_calls(), 0);
    assert_eq!(sim.engine.stats().ignored_settled_call, 4);
}

#[test]
fn settled_record_expires_after_the_retention_window() {
    let config = EngineConfig {
        settled_retention: Duration::from_secs(3600),
        ..EngineConfig::default()
    };
    let mut sim = Sim::with_config(config);
    sim.send(offer("c1", "ann"));
    sim.send(end("c1"));
    sim.advance_secs(300);
    assert_eq!(sim.engine.settled_calls(), 1);
    sim.advance_secs(3599);
    assert_eq!(sim.engine.settled_calls(), 1);
    sim.advance_secs(1);
    assert_eq!(sim.engine.settled_calls(), 0);
    assert_eq!(sim.engine.poll_timeout(), None);
}

#[test]
fn poll_timeout_names_the_contact_wait_deadline() {
    let mut sim = Sim::with_linked(&["ann"]);
    assert_eq!(sim.engine.poll_timeout(), None);
    sim.send(offer("c1", "ann"));
    sim.send(connect("c1", "ann"));
    assert_eq!(
        sim.engine.poll_timeout(),
        Some(sim.now.saturating_add(Duration::from_secs(10)))
    );
    // Early wake-ups do nothing.
    assert_eq!(sim.engine.handle_timeout(sim.now), vec![]);
}

#[test]
fn clock_going_backwards_counts_as_the_latest_time() {
    let mut sim = Sim::with_linked(&["ann"]);
    let late = Timestamp::from_millis(50_000);
    sim.engine.handle(late, offer("c1", "ann"));
    sim.engine
        .handle(Timestamp::from_millis(2_000), connect("c1", "ann"));
    assert_eq!(sim.engine.now(), late);
    assert_eq!(
        sim.engine.poll_timeout(),
        Some(late.saturating_add(Duration::from_secs(10)))
    );
}

#[test]
fn commands_and_events_serialize_for_the_outbox_and_the_events_api() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    sim.send(lookup_done("c1", "ann", vec![contact("p1")]));
    let commands = sim.send(connect("c1", "ann"));
    let json = serde_json::to_value(&commands[0]).unwrap();
    assert_eq!(json["type"], "create_case");
    assert_eq!(json["idempotency_key"], "c1");
    assert_eq!(json["trigger"]["kind"], "automatic");
    let back: Command = serde_json::from_value(json).unwrap();
    assert_eq!(back, commands[0]);

    let event: Event = serde_json::from_str(
        r#"{"type":"call_offered","call":"c9","tenant":"acme-cc","direction":"inbound",
            "customer":{"kind":"withheld"},"agent":"acme-cc:ann"}"#,
    )
    .unwrap();
    assert_eq!(
        event,
        offer_with("c9", "ann", CallerNumber::Withheld, Direction::Inbound)
    );
}

#[test]
fn screen_pop_never_shows_crm_data_to_an_unlinked_agent() {
    let mut sim = Sim::with_linked(&["ann"]);
    sim.send(offer("c1", "ann"));
    // Ring-all: bob (unlinked) rings while ann's lookup runs, cy (unlinked) after it finished.
    assert_eq!(
        sim.send(offer("c1", "bob")),
        vec![notify("bob", "c1", NotifyReason::AgentNotLinked)]
    );
    assert_eq!(
        sim.send(lookup_done("c1", "ann", vec![contact("p1")])),
        vec![pop("ann", "c1", contact("p1"))]
    );
    assert_eq!(
        sim.send(offer("c1", "cy")),
        vec![notify("cy", "c1", NotifyReason::AgentNotLinked)]
    );
}
