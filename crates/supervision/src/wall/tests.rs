//! The wall's rules, driven by a real switchboard (its outputs are the wall's only input) with
//! clocks the test moves by hand, plus orderings the switchboard never produces itself.

use std::time::Duration;

use callbridge_core::{
    AgentId, CallId, CallerNumber, Direction, QueueId, TenantId, Timestamp, TransferTarget, E164,
};
use callbridge_kernel::time::{Now, WallTime};
use callbridge_switchboard::{
    AgentState, Input, Output, QueueConfig, Switchboard, SwitchboardConfig, UnavailableReason,
};

use super::*;

/// 2026-12-06T12:00:00Z.
const NOON: u64 = 1_796_558_400_000;

struct Floor {
    board: Switchboard,
    wall: Wall,
    mono_ms: u64,
    wall_ms: u64,
}

fn agent(name: &str) -> AgentId {
    AgentId::parse(&format!("acme:{name}")).unwrap()
}

fn acme() -> TenantId {
    TenantId::new("acme")
}

impl Floor {
    fn new() -> Floor {
        Floor::starting_at(NOON)
    }

    fn starting_at(wall_ms: u64) -> Floor {
        Floor::starting_in(wall_ms, jiff::tz::TimeZone::UTC)
    }

    /// A floor whose tenant's day is `timezone`'s.
    fn starting_in(wall_ms: u64, timezone: jiff::tz::TimeZone) -> Floor {
        let mut support = QueueConfig::new("acme", "support");
        support.wrap_up = Some(Duration::from_secs(10));
        let sales = QueueConfig::new("acme", "sales");
        let board = Switchboard::new(SwitchboardConfig {
            queues: vec![support, sales],
            ..SwitchboardConfig::default()
        })
        .unwrap();
        let setup = WallSetup {
            tenants: vec![TenantSetup {
                tenant: acme(),
                timezone,
                queues: vec![
                    QueueSetup {
                        queue: QueueId::new("support"),
                        service_level: Duration::from_secs(20),
                    },
                    QueueSetup {
                        queue: QueueId::new("sales"),
                        service_level: Duration::from_secs(10),
                    },
                ],
                agents: vec![
                    AgentSetup {
                        name: "ann".into(),
                        queues: vec![QueueId::new("support")],
                    },
                    AgentSetup {
                        name: "bob".into(),
                        queues: vec![QueueId::new("sales")],
                    },
                ],
            }],
        };
        Floor {
            board,
            wall: Wall::new(setup, WallTime::from_millis(wall_ms)),
            mono_ms: 1_000,
            wall_ms,
        }
    }

    fn now(&self) -> Now {
        Now::new(
            Timestamp::from_millis(self.mono_ms),
            WallTime::from_millis(self.wall_ms),
        )
    }

    fn feed(&mut self, outputs: Vec<Output>) -> Vec<Output> {
        for output in &outputs {
            if Wall::observes(output) {
                self.wall.observe(self.now().wall, output);
            }
        }
        outputs
    }

    fn send(&mut self, input: Input) -> Vec<Output> {
        let outputs = self.board.handle(self.now(), input);
        self.feed(outputs)
    }

    fn advance_secs(&mut self, secs: u64) {
        let target = self.mono_ms + secs * 1000;
        while let Some(due) = self.board.poll_timeout() {
            if due.as_millis() > target {
                break;
            }
            let step = due.as_millis().saturating_sub(self.mono_ms);
            self.mono_ms += step;
            self.wall_ms += step;
            let outputs = self.board.handle_timeout(self.now());
            self.feed(outputs);
        }
        let step = target - self.mono_ms;
        self.mono_ms = target;
        self.wall_ms += step;
    }

    fn online(&mut self, name: &str, queues: &[&str]) {
        self.send(Input::AgentOnline {
            agent: agent(name),
            tenant: acme(),
            queues: queues.iter().map(|q| QueueId::new(*q)).collect(),
            available: true,
        });
    }

    fn call(&mut self, id: &str, queue: &str) {
        self.send(Input::InboundCall {
            call: CallId::new(id),
            tenant: acme(),
            queue: QueueId::new(queue),
            customer: CallerNumber::Dialable(E164::parse("+81312345678").unwrap()),
            dialled: "+81300000000".into(),
        });
    }

    fn answer(&mut self, name: &str, call: &str) {
        self.send(Input::Answer {
            agent: agent(name),
            call: CallId::new(call),
        });
    }

    fn queue(&self, queue: &str) -> QueueRow {
        self.wall
            .snapshot(&acme())
            .queues
            .into_iter()
            .find(|q| q.queue == queue)
            .unwrap()
    }

    fn agent(&self, name: &str) -> AgentRow {
        self.wall
            .snapshot(&acme())
            .agents
            .into_iter()
            .find(|a| a.agent == name)
            .unwrap()
    }
}

#[test]
fn configured_queues_and_agents_are_shown_before_anything_happens() {
    let floor = Floor::new();
    let wall = floor.wall.snapshot(&acme());
    assert_eq!(wall.day, "2026-12-06");
    let queues: Vec<_> = wall.queues.iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(queues, ["support", "sales"]);
    assert_eq!(wall.queues[0].target_seconds, 20);
    assert_eq!(wall.queues[0].service_level, None);
    assert_eq!(wall.agents[0].agent, "ann");
    assert_eq!(wall.agents[0].state, "offline");
    assert_eq!(wall.agents[0].queues, ["support"]);
    assert!(floor
        .wall
        .snapshot(&TenantId::new("other"))
        .agents
        .is_empty());
}

#[test]
fn a_call_waits_while_it_rings_and_an_answer_within_target_counts_in_time() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    let queued_at = floor.wall_ms;
    floor.call("c1", "support");
    let q = floor.queue("support");
    assert_eq!(q.waiting, 1);
    assert_eq!(q.longest_waiting_since, Some(queued_at));
    let ann = floor.agent("ann");
    assert_eq!(ann.state, "ringing");
    let call = ann.call.unwrap();
    assert_eq!(
        (call.id.as_str(), call.direction, call.number.as_str()),
        ("c1", "inbound", "+81312345678")
    );

    floor.advance_secs(5);
    floor.answer("ann", "c1");
    let q = floor.queue("support");
    assert_eq!((q.waiting, q.longest_waiting_since), (0, None));
    assert_eq!((q.answered, q.answered_in_time, q.abandoned), (1, 1, 0));
    assert_eq!(q.service_level, Some(1.0));
    let ann = floor.agent("ann");
    assert_eq!(ann.state, "on_call");
    assert_eq!(ann.since, floor.wall_ms);
    assert_eq!(ann.call.unwrap().started_at, queued_at);
}

#[test]
fn an_answer_after_the_target_is_answered_but_not_in_time() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Other("training".into()),
    });
    let ann = floor.agent("ann");
    assert_eq!(
        (ann.state, ann.reason, ann.reason_text.as_deref()),
        ("unavailable", Some("other"), Some("training"))
    );
    floor.call("c1", "support");
    floor.advance_secs(25);
    floor.send(Input::SetAvailable {
        agent: agent("ann"),
    });
    floor.answer("ann", "c1");
    let q = floor.queue("support");
    assert_eq!((q.answered, q.answered_in_time), (1, 0));
    assert_eq!(q.service_level, Some(0.0));
}

#[test]
fn a_caller_who_hangs_up_while_waiting_or_ringing_is_abandoned() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.call("c2", "support");
    assert_eq!(floor.queue("support").waiting, 2);
    floor.advance_secs(3);
    floor.send(Input::CustomerHungUp {
        call: CallId::new("c1"),
    });
    floor.send(Input::CustomerHungUp {
        call: CallId::new("c2"),
    });
    let q = floor.queue("support");
    assert_eq!((q.waiting, q.answered, q.abandoned), (0, 0, 2));
    assert_eq!(q.service_level, Some(0.0));
    let ann = floor.agent("ann");
    assert_eq!(ann.state, "available");
    assert_eq!(ann.call, None);
}

#[test]
fn the_answer_may_reach_the_wall_before_the_ring_and_the_queue() {
    // Outputs of one call applied out of order and twice: no count is lost or doubled.
    let mut wall = Wall::new(WallSetup::default(), WallTime::from_millis(NOON));
    let at = |s: u64| WallTime::from_millis(NOON + s * 1000);
    let c1 = CallId::new("c1");
    let on_call = Output::AgentUpdate {
        agent: agent("ann"),
        state: AgentState::OnCall { call: c1.clone() },
        message: String::new(),
    };
    wall.observe(at(1), &on_call);
    let ann = &wall.snapshot(&acme()).agents[0];
    assert_eq!(ann.state, "on_call");
    assert_eq!(ann.call.as_ref().unwrap().number, "");
    wall.observe(
        at(2),
        &Output::RingAgent {
            agent: agent("ann"),
            call: c1.clone(),
            customer: CallerNumber::Withheld,
            queue: Some(QueueId::new("support")),
            direction: Direction::Inbound,
            transferred_by: None,
        },
    );
    let snapshot = wall.snapshot(&acme());
    assert_eq!(
        snapshot.agents[0].call.as_ref().unwrap().number,
        "withheld number"
    );
    assert_eq!(snapshot.agents[0].since, at(1).as_millis());
    // A second report of the same state keeps its time and counts nothing.
    wall.observe(at(3), &on_call);
    assert_eq!(wall.snapshot(&acme()).agents[0].since, at(1).as_millis());
    assert!(wall.snapshot(&acme()).queues.is_empty());
}

#[test]
fn an_answer_reported_twice_counts_once() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    let outputs = floor.board.handle(
        floor.now(),
        Input::Answer {
            agent: agent("ann"),
            call: CallId::new("c1"),
        },
    );
    floor.feed(outputs.clone());
    floor.feed(outputs);
    assert_eq!(floor.queue("support").answered, 1);
}

#[test]
fn a_transfer_to_a_queue_is_a_new_stay_counted_for_that_queue() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.online("bob", &["sales"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.advance_secs(60);
    let moved_at = floor.wall_ms;
    floor.send(Input::Transfer {
        agent: agent("ann"),
        call: CallId::new("c1"),
        to: TransferTarget::Queue(QueueId::new("sales")),
    });
    let sales = floor.queue("sales");
    assert_eq!(
        (sales.waiting, sales.longest_waiting_since),
        (1, Some(moved_at))
    );
    assert_eq!(floor.agent("ann").state, "wrap_up");
    assert_eq!(floor.agent("bob").state, "ringing");
    floor.advance_secs(15);
    floor.answer("bob", "c1");
    let (support, sales) = (floor.queue("support"), floor.queue("sales"));
    assert_eq!((support.answered, support.answered_in_time), (1, 1));
    assert_eq!((sales.answered, sales.answered_in_time), (1, 0));
    assert_eq!(sales.waiting, 0);
    let bob = floor.agent("bob").call.unwrap();
    assert_eq!(bob.started_at, NOON);
    assert_eq!(bob.number, "+81312345678");
}

#[test]
fn a_transfer_to_an_agent_is_not_a_queue_stay() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.online("bob", &["sales"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.send(Input::Transfer {
        agent: agent("ann"),
        call: CallId::new("c1"),
        to: TransferTarget::Agent(agent("bob")),
    });
    assert_eq!(floor.agent("bob").state, "ringing");
    floor.answer("bob", "c1");
    assert_eq!(floor.queue("sales").answered, 0);
    assert_eq!(floor.queue("support").answered, 1);
}

#[test]
fn an_agent_who_logs_out_mid_call_goes_offline_and_the_call_leaves_the_wall() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.advance_secs(30);
    floor.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    let ann = floor.agent("ann");
    assert_eq!((ann.state, ann.since), ("offline", floor.wall_ms));
    assert_eq!(ann.call, None);
    let q = floor.queue("support");
    assert_eq!((q.waiting, q.answered, q.abandoned), (0, 1, 0));
    assert!(floor.wall.calls.is_empty());
}

#[test]
fn a_held_call_is_shown_held_until_resumed() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.send(Input::Hold {
        agent: agent("ann"),
        call: CallId::new("c1"),
    });
    assert!(floor.agent("ann").call.unwrap().held);
    assert_eq!(floor.agent("ann").state, "on_call");
    floor.send(Input::Resume {
        agent: agent("ann"),
        call: CallId::new("c1"),
    });
    assert!(!floor.agent("ann").call.unwrap().held);
}

#[test]
fn an_outbound_call_shows_the_dialled_number() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.send(Input::Dial {
        agent: agent("ann"),
        call: CallId::new("o1"),
        to: E164::parse("+81398765432").unwrap(),
    });
    let ann = floor.agent("ann");
    assert_eq!(ann.state, "dialing");
    let call = ann.call.unwrap();
    assert_eq!(
        (call.direction, call.number.as_str()),
        ("outbound", "+81398765432")
    );
    assert!(floor
        .wall
        .snapshot(&acme())
        .queues
        .iter()
        .all(|q| q.waiting == 0));
}

#[test]
fn the_counts_start_again_at_midnight_utc() {
    // 2026-12-06T23:59:30Z
    let mut floor = Floor::starting_at(NOON + 12 * 3_600_000 - 30_000);
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.call("c2", "support");
    floor.send(Input::CustomerHungUp {
        call: CallId::new("c2"),
    });
    let q = floor.queue("support");
    assert_eq!((q.answered, q.abandoned), (1, 1));
    let midnight = floor
        .wall
        .next_rollover(WallTime::from_millis(floor.wall_ms));
    assert_eq!(midnight.as_millis(), NOON + 12 * 3_600_000);

    floor.wall.take_changes();
    floor.advance_secs(30);
    floor.wall.roll_over(WallTime::from_millis(floor.wall_ms));
    let changes = floor.wall.take_changes();
    assert_eq!(changes[0].day, "2026-12-07");
    assert_eq!(changes[0].queues.len(), 2, "every queue's counts changed");
    let q = floor.queue("support");
    assert_eq!((q.answered, q.abandoned, q.service_level), (0, 0, None));
    // The call answered yesterday is still on the wall; its end counts nothing today.
    assert_eq!(floor.agent("ann").state, "on_call");
    floor.send(Input::CustomerHungUp {
        call: CallId::new("c1"),
    });
    assert_eq!(floor.queue("support").abandoned, 0);
}

#[test]
fn a_count_made_on_a_new_day_without_a_roll_over_starts_from_zero() {
    let mut floor = Floor::starting_at(NOON + 12 * 3_600_000 - 10_000);
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.send(Input::AgentHangUp {
        agent: agent("ann"),
        call: CallId::new("c1"),
    });
    floor.advance_secs(20);
    floor.call("c2", "support");
    floor.send(Input::CustomerHungUp {
        call: CallId::new("c2"),
    });
    let q = floor.queue("support");
    assert_eq!((q.answered, q.abandoned), (0, 1));
    assert_eq!(floor.wall.snapshot(&acme()).day, "2026-12-07");
}

#[test]
fn changes_hold_only_the_rows_that_changed_since_the_last_look() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.online("bob", &["sales"]);
    floor.wall.take_changes();
    assert!(floor.wall.take_changes().is_empty());
    floor.call("c1", "support");
    let changes = floor.wall.take_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].tenant, "acme");
    let queues: Vec<_> = changes[0].queues.iter().map(|q| q.queue.as_str()).collect();
    let agents: Vec<_> = changes[0].agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(queues, ["support"]);
    assert_eq!(agents, ["ann"]);
    assert!(floor.wall.take_changes().is_empty());
}

#[test]
fn an_overflowed_or_failed_call_counts_neither_answered_nor_abandoned() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.send(Input::SetUnavailable {
        agent: agent("ann"),
        reason: UnavailableReason::Away,
    });
    floor.call("c1", "support");
    floor.send(Input::TrunkFailed {
        call: CallId::new("c1"),
        detail: "gone".into(),
    });
    floor.advance_secs(700);
    let q = floor.queue("support");
    assert_eq!((q.waiting, q.answered, q.abandoned), (0, 0, 0));
}

/// Milliseconds since the epoch of an RFC 3339 instant.
fn at(instant: &str) -> u64 {
    instant.parse::<jiff::Timestamp>().unwrap().as_millisecond() as u64
}

#[test]
fn a_tenant_in_tokyo_starts_its_day_at_midnight_tokyo_time_not_utc() {
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    // 23:59:30 in Tokyo on 6 December is 14:59:30 UTC.
    let mut floor = Floor::starting_in(at("2026-12-06T14:59:30Z"), tokyo);
    assert_eq!(floor.wall.snapshot(&acme()).day, "2026-12-06");
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    assert_eq!(floor.queue("support").answered, 1);
    let midnight = floor
        .wall
        .next_rollover(WallTime::from_millis(floor.wall_ms));
    assert_eq!(midnight.as_millis(), at("2026-12-06T15:00:00Z"));
    floor.wall.take_changes();
    floor.advance_secs(30);
    floor.wall.roll_over(WallTime::from_millis(floor.wall_ms));
    let changes = floor.wall.take_changes();
    assert_eq!(changes[0].day, "2026-12-07");
    assert_eq!(floor.queue("support").answered, 0);
    // UTC midnight, nine hours later, is no new day for this tenant.
    let next = floor
        .wall
        .next_rollover(WallTime::from_millis(floor.wall_ms));
    assert_eq!(next.as_millis(), at("2026-12-07T15:00:00Z"));
}

#[test]
fn across_a_change_to_summer_time_the_day_still_starts_at_local_midnight() {
    let new_york = jiff::tz::TimeZone::get("America/New_York").unwrap();
    // 8 March 2026: clocks go from 02:00 EST to 03:00 EDT, a 23-hour day.
    let floor = Floor::starting_in(at("2026-03-08T12:00:00Z"), new_york.clone());
    assert_eq!(floor.wall.snapshot(&acme()).day, "2026-03-08");
    let midnight = floor
        .wall
        .next_rollover(WallTime::from_millis(floor.wall_ms));
    // Midnight EDT (UTC-4), 23 hours after the midnight EST (UTC-5) that began the day.
    assert_eq!(midnight.as_millis(), at("2026-03-09T04:00:00Z"));
    let before = Floor::starting_in(at("2026-03-07T12:00:00Z"), new_york.clone());
    let day_start = before
        .wall
        .next_rollover(WallTime::from_millis(before.wall_ms));
    assert_eq!(day_start.as_millis(), at("2026-03-08T05:00:00Z"));
    assert_eq!(midnight.as_millis() - day_start.as_millis(), 23 * 3_600_000);
    // 1 November 2026: back to standard time, a 25-hour day.
    let autumn = Floor::starting_in(at("2026-11-01T12:00:00Z"), new_york);
    let next = autumn
        .wall
        .next_rollover(WallTime::from_millis(autumn.wall_ms));
    assert_eq!(next.as_millis(), at("2026-11-02T05:00:00Z"));
}

#[test]
fn new_settings_add_rows_change_targets_and_queues_and_keep_todays_counts() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    floor.wall.take_changes();
    floor.wall.reconfigure(
        WallSetup {
            tenants: vec![TenantSetup {
                tenant: acme(),
                timezone: jiff::tz::TimeZone::UTC,
                queues: vec![
                    QueueSetup {
                        queue: QueueId::new("support"),
                        service_level: Duration::from_secs(45),
                    },
                    QueueSetup {
                        queue: QueueId::new("billing"),
                        service_level: Duration::from_secs(30),
                    },
                ],
                agents: vec![
                    AgentSetup {
                        name: "ann".into(),
                        queues: vec![QueueId::new("support"), QueueId::new("billing")],
                    },
                    AgentSetup {
                        name: "cat".into(),
                        queues: vec![QueueId::new("billing")],
                    },
                ],
            }],
        },
        WallTime::from_millis(floor.wall_ms),
    );
    let wall = floor.wall.snapshot(&acme());
    let queues: Vec<_> = wall.queues.iter().map(|q| q.queue.as_str()).collect();
    // Sales and bob are no longer configured: their rows go at once, and the tenant's viewers
    // must be given the whole wall (changed rows cannot say that a row went).
    assert_eq!(queues, ["support", "billing"]);
    let agents: Vec<_> = wall.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(agents, ["ann", "cat"]);
    assert_eq!(floor.wall.take_lost_rows(), [acme()]);
    assert!(floor.wall.take_lost_rows().is_empty());
    let support = floor.queue("support");
    assert_eq!(support.target_seconds, 45);
    assert_eq!(support.answered, 1, "today's count stays");
    assert_eq!(floor.queue("billing").target_seconds, 30);
    assert_eq!(floor.agent("ann").queues, ["support", "billing"]);
    assert_eq!(floor.agent("ann").state, "on_call");
    assert_eq!(floor.agent("cat").state, "offline");
    // Viewers get the changed rows with the next changes.
    let changes = floor.wall.take_changes();
    assert_eq!(changes.len(), 1);
    let changed: Vec<_> = changes[0].queues.iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(changed, ["support", "billing"]);
    let changed: Vec<_> = changes[0].agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(changed, ["ann", "cat"]);
}

/// The standard floor's settings without `sales` and `bob` (and with `tenant`'s time zone).
fn setup_without_sales() -> WallSetup {
    WallSetup {
        tenants: vec![TenantSetup {
            tenant: acme(),
            timezone: jiff::tz::TimeZone::UTC,
            queues: vec![QueueSetup {
                queue: QueueId::new("support"),
                service_level: Duration::from_secs(20),
            }],
            agents: vec![AgentSetup {
                name: "ann".into(),
                queues: vec![QueueId::new("support")],
            }],
        }],
    }
}

#[test]
fn a_removed_queues_and_agents_last_calls_do_not_bring_their_rows_back() {
    let mut floor = Floor::new();
    floor.online("bob", &["sales"]);
    // s1 rings bob (it waits in sales); s2 waits behind it.
    floor.call("s1", "sales");
    floor.call("s2", "sales");
    assert_eq!(floor.queue("sales").waiting, 2);
    let now = WallTime::from_millis(floor.wall_ms);
    floor.wall.reconfigure(setup_without_sales(), now);
    assert_eq!(floor.wall.take_lost_rows(), [acme()]);
    let queues: Vec<_> = floor
        .wall
        .snapshot(&acme())
        .queues
        .into_iter()
        .map(|q| q.queue)
        .collect();
    assert_eq!(queues, ["support"]);
    // Bob is taken out of the settings while logged in: his row stays while he is.
    assert_eq!(floor.agent("bob").state, "ringing");
    // The same settings again lose no rows.
    floor.wall.reconfigure(setup_without_sales(), now);
    assert!(floor.wall.take_lost_rows().is_empty());
    floor.wall.take_changes();

    // Bob still answers the call ringing him (shown on it), then signs out; s2 hangs up.
    floor.answer("bob", "s1");
    assert_eq!(floor.agent("bob").state, "on_call");
    floor.send(Input::CustomerHungUp {
        call: CallId::new("s2"),
    });
    assert!(floor.wall.take_lost_rows().is_empty());
    floor.send(Input::AgentOffline {
        agent: agent("bob"),
    });
    assert_eq!(floor.wall.take_lost_rows(), [acme()]);
    let wall = floor.wall.snapshot(&acme());
    let queues: Vec<_> = wall.queues.iter().map(|q| q.queue.as_str()).collect();
    assert_eq!(queues, ["support"]);
    let agents: Vec<_> = wall.agents.iter().map(|a| a.agent.as_str()).collect();
    assert_eq!(agents, ["ann"]);
    assert_eq!(
        floor.queue("support").answered + floor.queue("support").abandoned,
        0
    );
    for changes in floor.wall.take_changes() {
        assert!(
            changes.queues.iter().all(|q| q.queue != "sales"),
            "{changes:?}"
        );
        assert!(
            changes.agents.iter().all(|a| a.agent != "bob"),
            "{changes:?}"
        );
    }
}

#[test]
fn a_removed_tenant_leaves_the_wall_with_its_calls_and_does_not_come_back() {
    let mut floor = Floor::new();
    floor.online("ann", &["support"]);
    floor.call("c1", "support");
    floor.answer("ann", "c1");
    let now = WallTime::from_millis(floor.wall_ms);
    floor.wall.reconfigure(WallSetup::default(), now);
    assert_eq!(floor.wall.take_lost_rows(), [acme()]);
    assert_eq!(floor.wall.tenants().count(), 0);
    assert!(floor.wall.calls.is_empty());
    // Its agent's sign-out ends the call: the record and the offline agent show nowhere.
    floor.send(Input::AgentOffline {
        agent: agent("ann"),
    });
    assert_eq!(floor.wall.tenants().count(), 0);
    assert!(floor.wall.take_lost_rows().is_empty());
    assert!(floor.wall.take_changes().is_empty());
    let empty = floor.wall.snapshot(&acme());
    assert!(empty.queues.is_empty() && empty.agents.is_empty());
}
