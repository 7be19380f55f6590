//! Two clocks: timers run on the monotonic reading, records carry the wall reading. A step of
//! the system clock (NTP, an operator) changes what records say, never when a deadline falls or
//! how long a call lasted.

mod support;

use callbridge_switchboard::{AgentState, Input, OfferResult};
use support::*;

const HOUR_MS: i64 = 3_600_000;

#[test]
fn a_wall_clock_step_moves_no_ring_timeout() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    sim.online("bob", &["support"]);
    sim.inbound("c1", "support");
    let rung_first = sim.sb.call(&call("c1")).unwrap().status;
    // The wall clock jumps an hour ahead, then an hour back: neither is a ring timeout.
    sim.wall_step_ms = HOUR_MS;
    let out = sim.advance_secs(1);
    assert!(rung(&out).is_empty(), "{out:?}");
    sim.wall_step_ms = -HOUR_MS;
    let out = sim.advance_secs(18);
    assert!(rung(&out).is_empty(), "{out:?}");
    assert_eq!(sim.sb.call(&call("c1")).unwrap().status, rung_first);
    // The ring timeout (20 s) falls at its monotonic deadline.
    let out = sim.advance_secs(1);
    assert_eq!(rung(&out).len(), 1, "{out:?}");
}

#[test]
fn records_carry_the_wall_clock_and_durations_the_monotonic_one() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    let start = sim.now;
    sim.inbound("c1", "support");
    sim.advance_secs(5);
    sim.answer("ann", "c1");
    let answered = sim.now;
    // Mid-call the wall clock is set back an hour.
    sim.wall_step_ms = -HOUR_MS;
    sim.advance_secs(60);
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    let cdr = the_record(&out);

    sim.wall_step_ms = 0;
    assert_eq!(cdr.created_at, sim.wall_at(start));
    assert_eq!(cdr.first_answered_at, Some(sim.wall_at(answered)));
    assert_eq!(cdr.offers[0].at, sim.wall_at(start));
    assert_eq!(cdr.offers[0].result, OfferResult::Answered);
    // The end is stamped with what the wall clock said then, but never before the start...
    sim.wall_step_ms = -HOUR_MS;
    assert!(sim.wall_at(sim.now) < cdr.created_at);
    assert_eq!(cdr.ended_at, cdr.created_at);
    // ...and the durations are the monotonic ones: 5 s waiting, 60 s talking.
    assert_eq!((cdr.wait_ms, cdr.talk_ms), (5_000, 60_000));
}

#[test]
fn a_record_stamps_the_wall_time_of_each_step() {
    let mut sim = Sim::standard();
    sim.online("ann", &["support"]);
    let start = sim.now;
    sim.inbound("c1", "support");
    sim.advance_secs(2);
    sim.answer("ann", "c1");
    sim.advance_secs(30);
    let end = sim.now;
    let out = sim.send(Input::CustomerHungUp { call: call("c1") });
    let cdr = the_record(&out);
    assert_eq!(cdr.created_at, sim.wall_at(start));
    assert_eq!(cdr.ended_at, sim.wall_at(end));
    assert_ne!(cdr.ended_at.as_millis(), end.as_millis());
    assert!(matches!(
        sim.state("ann"),
        AgentState::Available { .. } | AgentState::WrapUp { .. }
    ));
}
