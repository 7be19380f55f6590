//! A whole day of calls, transfers and CRM outages through the switchboard, the core engine and
//! a fake CRM, in virtual time. Set `CALLBRIDGE_SIM_SEED` to replay one seed.

use std::time::Instant;

use callbridge_simulation::{check, summary, unlinked_first_then_transferred, Scenario, World};

fn seeds() -> Vec<u64> {
    match std::env::var("CALLBRIDGE_SIM_SEED") {
        Ok(seed) => vec![seed
            .parse()
            .expect("CALLBRIDGE_SIM_SEED is a number (the seed a failure printed)")],
        Err(_) => vec![1, 2, 3, 20_261_206],
    }
}

#[test]
fn a_day_of_calls_transfers_and_crm_outages_keeps_every_cross_machine_rule() {
    for seed in seeds() {
        let started = Instant::now();
        let mut world = World::new(Scenario::day(seed));
        world.run();
        let report = summary(&world);
        println!("{report} [{:.2?} real time]", started.elapsed());
        let broken = check(&world);
        if !broken.is_empty() {
            println!("{}", world.debug_state());
        }
        assert!(
            broken.is_empty(),
            "seed {seed} broke {} rule(s) (replay with CALLBRIDGE_SIM_SEED={seed}):\n{}\n{report}",
            broken.len(),
            broken
                .iter()
                .take(20)
                .map(|v| format!("  - {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        // The day did real work: the rules were exercised, not vacuously true.
        assert!(world.ledger.offered.len() > 1_000, "{report}");
        assert!(world.ledger.transfers > 50, "{report}");
        assert!(
            world.crm.lookups_failed > 0 && world.crm.case_writes_failed > 0,
            "{report}"
        );
        assert!(
            unlinked_first_then_transferred(&world.ledger) > 10,
            "{report}"
        );
        let never_answered = world.ledger.offered.len() - world.ledger.connected.len();
        assert!(
            never_answered > 5,
            "callers also queue and give up: {report}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_day() {
    let run = |seed| {
        let mut world = World::new(Scenario::day(seed));
        world.run();
        summary(&world)
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn the_checks_catch_a_duplicate_case_a_lost_record_and_a_double_offer() {
    let mut world = World::new(Scenario {
        day: std::time::Duration::from_secs(2 * 3600),
        ..Scenario::day(5)
    });
    world.run();
    assert_eq!(check(&world), []);
    let (with_case, _) = world
        .crm
        .cases
        .iter()
        .next()
        .map(|(call, cases)| (call.clone(), cases.clone()))
        .expect("a Case was written");
    world.crm.create_case(&with_case);
    let other = world
        .ledger
        .offered
        .iter()
        .find(|c| **c != with_case)
        .cloned()
        .unwrap();
    world.ledger.records.insert(other.clone(), 0);
    world
        .ledger
        .double_offers
        .push("acme:agent01 was offered two calls".into());
    let broken: Vec<String> = check(&world).into_iter().map(|v| v.0).collect();
    let duplicate = format!("{with_case}: 1 CreateCase commands, 2 Cases");
    assert!(broken.contains(&duplicate), "{broken:?}");
    let lost = format!("{other}: 1 Ended events and 0 records");
    assert!(broken.contains(&lost), "{broken:?}");
    assert!(
        broken.iter().any(|b| b.contains("offered two calls")),
        "{broken:?}"
    );
}
