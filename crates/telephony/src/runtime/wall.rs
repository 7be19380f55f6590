//! The supervisor's live wall, running: one task owns the sans-IO [`Wall`]
//! (`callbridge-supervision`), fed by the switch loop with every output it carries out, and
//! hands each tenant's viewers the whole wall once and then the rows that changed.
//!
//! Changes go out at most every [`FLUSH_EVERY`] (the first change after a quiet spell at once),
//! so a burst of state changes costs one message per interval, not one per change. A tenant
//! that lost rows (new settings without a queue or an agent) gets the whole wall instead. Each tenant
//! has a bounded broadcast of those messages: a viewer that falls [`BACKLOG`] messages behind
//! is told so (it asks for the whole wall again), and nothing is kept for it beyond that.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use callbridge_core::TenantId;
use callbridge_kernel::time::{Clock, WallTime};
use callbridge_supervision::wall::{Wall, WallSetup};
use callbridge_switchboard::Output;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

/// The shortest time between two `changes` messages of a tenant.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// How many `changes` messages a viewer may be behind before it must start again.
pub const BACKLOG: usize = 64;

/// The switch loop's side: hands the wall what it carries out.
#[derive(Clone)]
pub struct WallFeed {
    events: mpsc::UnboundedSender<(WallTime, Output)>,
}

impl WallFeed {
    /// `output`, carried out at `at`, if the wall uses it (never waits).
    pub fn observe(&self, at: WallTime, output: &Output) {
        if Wall::observes(output) {
            let _ = self.events.send((at, output.clone()));
        }
    }
}

/// The viewers' side: cheap to clone.
#[derive(Clone)]
pub struct WallWatch {
    subscribe: mpsc::UnboundedSender<(TenantId, oneshot::Sender<WallSubscription>)>,
    setups: mpsc::UnboundedSender<WallSetup>,
}

/// A viewer's start: the whole wall (a `wall` message), then every `changes` message after it.
pub struct WallSubscription {
    pub wall: String,
    pub changes: broadcast::Receiver<Arc<str>>,
}

impl WallWatch {
    /// The tenant's wall now and its changes from now on; None when the wall has stopped.
    pub async fn subscribe(&self, tenant: &TenantId) -> Option<WallSubscription> {
        let (reply, answer) = oneshot::channel();
        self.subscribe.send((tenant.clone(), reply)).ok()?;
        answer.await.ok()
    }

    /// New settings (`Wall::reconfigure`): the changed rows go to viewers with the next changes.
    pub(crate) fn reconfigure(&self, setup: WallSetup) {
        let _ = self.setups.send(setup);
    }
}

/// A message to viewers: its type and the server's clock, then the body's fields.
#[derive(Serialize)]
struct Message<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    server_time: u64,
    #[serde(flatten)]
    body: &'a T,
}

fn message<T: Serialize>(kind: &'static str, now: WallTime, body: &T) -> String {
    serde_json::to_string(&Message {
        kind,
        server_time: now.as_millis(),
        body,
    })
    .expect("wall messages serialise")
}

/// Starts the wall's task.
pub fn start(setup: WallSetup, clock: Clock) -> (WallFeed, WallWatch, tokio::task::JoinHandle<()>) {
    let (events_tx, events) = mpsc::unbounded_channel();
    let (subscribe_tx, subscribe) = mpsc::unbounded_channel();
    let (setups_tx, setups) = mpsc::unbounded_channel();
    let wall = Wall::new(setup, clock.wall());
    let task = tokio::spawn(run(wall, clock, events, subscribe, setups));
    (
        WallFeed { events: events_tx },
        WallWatch {
            subscribe: subscribe_tx,
            setups: setups_tx,
        },
        task,
    )
}

async fn run(
    mut wall: Wall,
    clock: Clock,
    mut events: mpsc::UnboundedReceiver<(WallTime, Output)>,
    mut subscribe: mpsc::UnboundedReceiver<(TenantId, oneshot::Sender<WallSubscription>)>,
    mut setups: mpsc::UnboundedReceiver<WallSetup>,
) {
    let mut viewers: HashMap<TenantId, broadcast::Sender<Arc<str>>> = HashMap::new();
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changed = false;
    loop {
        let now = clock.wall();
        let midnight = wall.next_rollover(now);
        let until_midnight =
            Duration::from_millis(midnight.as_millis().saturating_sub(now.as_millis()));
        tokio::select! {
            event = events.recv() => {
                let Some((at, output)) = event else { break };
                wall.observe(at, &output);
                while let Ok((at, output)) = events.try_recv() {
                    wall.observe(at, &output);
                }
                changed = true;
            }
            Some((tenant, reply)) = subscribe.recv() => {
                // Changes made before this are in the wall; those after, on the receiver.
                publish(&mut wall, &viewers, clock.wall());
                changed = false;
                let sender = viewers
                    .entry(tenant.clone())
                    .or_insert_with(|| broadcast::channel(BACKLOG).0);
                let _ = reply.send(WallSubscription {
                    wall: message("wall", clock.wall(), &wall.snapshot(&tenant)),
                    changes: sender.subscribe(),
                });
            }
            Some(setup) = setups.recv() => {
                wall.reconfigure(setup, clock.wall());
                changed = true;
            }
            _ = flush.tick(), if changed => {
                publish(&mut wall, &viewers, clock.wall());
                changed = false;
            }
            _ = tokio::time::sleep(until_midnight) => {
                wall.roll_over(clock.wall().max(midnight));
                changed = true;
            }
        }
    }
}

/// Sends each tenant's changed rows to its viewers, or the whole wall to the viewers of a
/// tenant that lost rows (rows nobody watches are dropped: a new viewer starts from the whole
/// wall).
fn publish(
    wall: &mut Wall,
    viewers: &HashMap<TenantId, broadcast::Sender<Arc<str>>>,
    now: WallTime,
) {
    let lost_rows = wall.take_lost_rows();
    for changes in wall.take_changes() {
        let tenant = TenantId::new(changes.tenant.as_str());
        if lost_rows.contains(&tenant) {
            continue;
        }
        let Some(sender) = viewers.get(&tenant) else {
            continue;
        };
        if sender.receiver_count() > 0 {
            let _ = sender.send(message("changes", now, &changes).into());
        }
    }
    for tenant in lost_rows {
        let Some(sender) = viewers.get(&tenant) else {
            continue;
        };
        if sender.receiver_count() > 0 {
            let _ = sender.send(message("wall", now, &wall.snapshot(&tenant)).into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callbridge_core::QueueId;
    use callbridge_supervision::wall::{AgentSetup, QueueSetup, TenantSetup};

    fn setup(queues: &[&str], agents: &[&str]) -> WallSetup {
        WallSetup {
            tenants: vec![TenantSetup {
                tenant: TenantId::new("acme"),
                timezone: jiff::tz::TimeZone::UTC,
                queues: queues
                    .iter()
                    .map(|q| QueueSetup {
                        queue: QueueId::new(*q),
                        service_level: Duration::from_secs(20),
                    })
                    .collect(),
                agents: agents
                    .iter()
                    .map(|a| AgentSetup {
                        name: (*a).into(),
                        queues: Vec::new(),
                    })
                    .collect(),
            }],
        }
    }

    fn names(message: &serde_json::Value, rows: &str, key: &str) -> Vec<String> {
        message[rows]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[key].as_str().unwrap().to_string())
            .collect()
    }

    async fn next(subscription: &mut WallSubscription) -> serde_json::Value {
        let text = tokio::time::timeout(Duration::from_secs(5), subscription.changes.recv())
            .await
            .expect("a message in time")
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[tokio::test]
    async fn viewers_get_added_rows_as_changes_and_the_whole_wall_when_rows_go() {
        let (_feed, watch, task) = start(
            setup(&["support", "sales"], &["ann", "bob"]),
            Clock::start(),
        );
        let acme = TenantId::new("acme");
        let mut viewer = watch.subscribe(&acme).await.unwrap();
        let first: serde_json::Value = serde_json::from_str(&viewer.wall).unwrap();
        assert_eq!(names(&first, "queues", "queue"), ["support", "sales"]);

        // Added: the new rows come as changes (with every row the settings touched).
        watch.reconfigure(setup(
            &["support", "sales", "billing"],
            &["ann", "bob", "cat"],
        ));
        let added = next(&mut viewer).await;
        assert_eq!(added["type"], "changes", "{added}");
        assert!(names(&added, "queues", "queue").contains(&"billing".to_string()));
        assert!(names(&added, "agents", "agent").contains(&"cat".to_string()));

        // Removed: the whole wall, without them, at once.
        watch.reconfigure(setup(&["support", "billing"], &["ann", "cat"]));
        let whole = next(&mut viewer).await;
        assert_eq!(whole["type"], "wall", "{whole}");
        assert_eq!(names(&whole, "queues", "queue"), ["support", "billing"]);
        assert_eq!(names(&whole, "agents", "agent"), ["ann", "cat"]);

        // The tenant removed: its viewers get an empty wall.
        watch.reconfigure(WallSetup::default());
        let gone = next(&mut viewer).await;
        assert_eq!(gone["type"], "wall", "{gone}");
        assert_eq!(gone["queues"], serde_json::json!([]));
        assert_eq!(gone["agents"], serde_json::json!([]));
        task.abort();
    }
}
