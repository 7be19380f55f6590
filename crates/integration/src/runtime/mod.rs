//! The runtime around the sans-IO engine: one task owns the [`Engine`] and feeds it events and
//! timeouts; the commands it returns are executed here (CRM lookups as tasks whose results come
//! back as events, notices to agents, Case writes into the durable outbox) and the outbox worker
//! (`outbox.rs`) performs the writes.

mod intent;
mod notices;
mod outbox;
mod replay;

use std::sync::Arc;
use std::time::Duration;

use callbridge_core::{
    AgentId, CallId, CallSnapshot, Command, DispositionCodes, Engine, EngineConfig, Event,
    LookupFailure, LookupResult, TenantId, TenantPolicy, Verdict, WrapUpOutcome, WrapUpRefusal,
    WrapUpSubmission, NO_CASE_DETAIL,
};
use callbridge_kernel::time::{Clock, WallTime};
use callbridge_store::{OutboxItem, OutboxStatus, Store};
use tokio::sync::{broadcast, mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

pub use intent::{
    Intent, IntentError, ADD_WRAP_UP_NOTE, CREATE_CASE, UPDATE_CASE_PARTIES, WRAP_UP_KEY_SUFFIX,
};
pub use notices::{AgentNotice, Notice, WrapUpStatus};
pub use outbox::OutboxOptions;
pub use replay::replay_recent;

use crate::crm::{Crm, CrmError};

enum Input {
    Event(Event),
    /// An event whose sender waits for the engine's verdict on it.
    Judged(Event, oneshot::Sender<Verdict>),
    Snapshot(CallId, oneshot::Sender<Option<CallSnapshot>>),
    /// A tenant's Case policy changed (a tenant kept in the store was saved).
    Policy(TenantId, TenantPolicy),
}

/// A cheap handle to a running runtime.
#[derive(Clone)]
pub struct RuntimeHandle {
    input: mpsc::UnboundedSender<Input>,
    notices: broadcast::Sender<AgentNotice>,
    /// The engine task's clock: its deadlines are readings of this clock's monotonic time.
    clock: Clock,
    /// For after-call work: the call's Case and the outbox row of its note.
    store: Store,
    outbox_wake: Arc<Notify>,
}

/// Why a wrap-up submission was not taken: the agent's refusal, or the store failing.
#[derive(Debug, thiserror::Error)]
pub enum WrapUpError {
    #[error(transparent)]
    Refused(#[from] WrapUpRefusal),
    #[error("the wrap-up could not be saved ({0}); send it again")]
    Store(String),
}

impl RuntimeHandle {
    /// When, on the wall clock, one of the engine's deadlines falls (what a person or a client is
    /// told, e.g. how long an early event is held). One mapping, so asking twice for the same
    /// deadline gives the same answer (two clock readings could differ by a millisecond).
    pub fn wall_time_of(&self, deadline: callbridge_kernel::time::MonotonicTime) -> WallTime {
        self.clock.wall_at(deadline)
    }

    /// Feeds one event to the engine.
    pub fn submit(&self, event: Event) {
        let _ = self.input.send(Input::Event(event));
    }

    /// `tenant`'s Case policy for the engine's decisions from now on (after the events sent
    /// before it).
    pub fn set_tenant_policy(&self, tenant: TenantId, policy: TenantPolicy) {
        let _ = self.input.send(Input::Policy(tenant, policy));
    }

    /// Feeds one event to the engine and waits for what became of it (applied, held until the
    /// call's offer, or ignored and why). `None` if the engine is not running.
    pub async fn submit_judged(&self, event: Event) -> Option<Verdict> {
        let (tx, rx) = oneshot::channel();
        self.input.send(Input::Judged(event, tx)).ok()?;
        rx.await.ok()
    }

    /// Every notice to every agent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<AgentNotice> {
        self.notices.subscribe()
    }

    /// Tells one agent something (the outbox worker's news about a wrap-up note).
    pub(crate) fn notify(&self, notice: AgentNotice) {
        let _ = self.notices.send(notice);
    }

    /// Takes an agent's after-call work for `call`: refused for an agent the engine knows was
    /// not on the call (`may_submit_wrap_up`), then decided by the core
    /// (`callbridge_core::decide_wrap_up`) against the tenant's codes and the call's Case as
    /// stored when it was created; an accepted note becomes one outbox row keyed
    /// `<call id>:wrap_up`, so a second submission finds that row and is refused. The answer is
    /// the status to send now (`queued`, or `failed` for a call without a Case); `written` or
    /// `failed` follows as a notice when the outbox is done.
    pub async fn submit_wrap_up(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
        call: &CallId,
        codes: &DispositionCodes,
        submission: &WrapUpSubmission,
    ) -> Result<(WrapUpStatus, String), WrapUpError> {
        let snapshot = self.call_state(call).await;
        callbridge_core::may_submit_wrap_up(snapshot.as_ref(), agent)?;
        let case = self
            .store
            .case_for_call(tenant.as_str(), call)
            .await
            .map_err(|e| WrapUpError::Store(e.to_string()))?;
        match callbridge_core::decide_wrap_up(codes, false, submission, case.as_ref())? {
            WrapUpOutcome::NoCase => Ok((WrapUpStatus::Failed, NO_CASE_DETAIL.to_string())),
            WrapUpOutcome::Write { case, note } => {
                let detail = format!("Saving to {}.", case.label);
                let intent = Intent::AddWrapUpNote {
                    call: call.clone(),
                    agent: agent.clone(),
                    case,
                    note,
                };
                let enqueued = self
                    .store
                    .enqueue(intent.into_item(tenant))
                    .await
                    .map_err(|e| WrapUpError::Store(e.to_string()))?;
                if !enqueued.created {
                    return Err(WrapUpRefusal::AlreadySubmitted.into());
                }
                self.outbox_wake.notify_one();
                Ok((WrapUpStatus::Queued, detail))
            }
        }
    }

    /// Where the after-call work note for `call` stands, if one was submitted: `queued` while
    /// the outbox works on it, `written` once it is on the Case, `failed` once given up, each
    /// with the words `wrap_up_status` gave (a softphone that reconnects during the wrap-up is
    /// told again, instead of offering a form that would be refused).
    pub async fn wrap_up_progress(
        &self,
        tenant: &TenantId,
        call: &CallId,
    ) -> Result<Option<(WrapUpStatus, String)>, WrapUpError> {
        let key = format!("{call}{WRAP_UP_KEY_SUFFIX}");
        let Some(item) = self
            .store
            .outbox_item_by_key(tenant.as_str(), ADD_WRAP_UP_NOTE, &key)
            .await
            .map_err(|e| WrapUpError::Store(e.to_string()))?
        else {
            return Ok(None);
        };
        let Ok(Intent::AddWrapUpNote { case, .. }) = Intent::read(&item.kind, &item.payload) else {
            return Ok(None);
        };
        Ok(Some(match item.status {
            OutboxStatus::Pending => (WrapUpStatus::Queued, format!("Saving to {}.", case.label)),
            OutboxStatus::Done => (WrapUpStatus::Written, format!("Saved to {}.", case.label)),
            OutboxStatus::DeadLetter => {
                let reason = item.dead_reason.unwrap_or_default();
                (
                    WrapUpStatus::Failed,
                    format!("Could not save to {}: {reason}", case.label),
                )
            }
        }))
    }

    /// The engine's view of a call (for tests and the admin API).
    pub async fn call_state(&self, call: &CallId) -> Option<CallSnapshot> {
        let (tx, rx) = oneshot::channel();
        self.input.send(Input::Snapshot(call.clone(), tx)).ok()?;
        rx.await.ok().flatten()
    }
}

pub struct Runtime {
    handle: RuntimeHandle,
    tasks: Vec<JoinHandle<()>>,
    /// Held (shared) by each lookup outcome being journalled; a stop takes it whole, so an
    /// outcome the engine already has reaches the journal first.
    journal_writes: Arc<tokio::sync::RwLock<()>>,
}

/// How long a stop waits for lookup outcomes still being journalled.
const JOURNAL_DRAIN: Duration = Duration::from_secs(5);

impl Runtime {
    /// Starts the engine task and the outbox worker. Agents whose CRM link is stored are known
    /// as linked from the start.
    pub async fn start<C: Crm>(
        config: EngineConfig,
        tenants: &[TenantId],
        crm: Arc<C>,
        store: Store,
        options: OutboxOptions,
    ) -> anyhow::Result<Runtime> {
        let (input, rx) = mpsc::unbounded_channel();
        let (notices, _) = broadcast::channel(4096);
        let clock = Clock::start();
        let wake = Arc::new(Notify::new());
        let handle = RuntimeHandle {
            input: input.clone(),
            notices: notices.clone(),
            clock,
            store: store.clone(),
            outbox_wake: wake.clone(),
        };
        for tenant in tenants {
            for name in store.linked_agents(tenant.as_str()).await? {
                match AgentId::in_tenant(tenant, &name) {
                    Ok(agent) => handle.submit(Event::AgentLinkChanged {
                        agent,
                        linked: true,
                    }),
                    Err(error) => {
                        tracing::warn!(%error, tenant = %tenant, "ignoring a stored CRM link of an agent name this version refuses")
                    }
                }
            }
        }
        // Leases found at start were taken by a process that has stopped (this runtime is the
        // only one serving its tenants): make those writes due now instead of after the lease.
        for tenant in tenants {
            let released = store.release_leases(tenant.as_str()).await?;
            if released > 0 {
                tracing::info!(tenant = %tenant, released, "outbox writes a stopped process held are due again");
            }
        }
        let journal_writes = Arc::new(tokio::sync::RwLock::new(()));
        let executor = Executor {
            crm: crm.clone(),
            store: store.clone(),
            handle: handle.clone(),
            outbox_wake: wake.clone(),
            journal_writes: journal_writes.clone(),
        };
        let engine_task = tokio::spawn(run_engine(Engine::new(config), rx, executor, clock));
        let outbox_task = tokio::spawn(outbox::run(crm, store, handle.clone(), wake, options));
        Ok(Runtime {
            handle,
            tasks: vec![engine_task, outbox_task],
            journal_writes,
        })
    }

    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// Stops the engine and the outbox worker. Pending Case writes stay in the outbox and are
    /// picked up by the next start.
    pub async fn shutdown(self) {
        if tokio::time::timeout(JOURNAL_DRAIN, self.journal_writes.write())
            .await
            .is_err()
        {
            tracing::warn!("lookup outcomes not journalled within {JOURNAL_DRAIN:?} of the stop; a restart looks those callers up again");
        }
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn run_engine<C: Crm>(
    mut engine: Engine,
    mut rx: mpsc::UnboundedReceiver<Input>,
    executor: Executor<C>,
    // The engine task's one reader of the clock (shared with the handle, which converts the
    // engine's deadlines for people): the engine's deadlines run on the monotonic reading, so a
    // step of the system clock moves none of them.
    clock: Clock,
) {
    loop {
        let timeout = engine.poll_timeout();
        let sleep = async {
            match timeout {
                Some(at) => tokio::time::sleep(clock.until(at)).await,
                None => std::future::pending().await,
            }
        };
        let commands = tokio::select! {
            input = rx.recv() => match input {
                None => return,
                Some(Input::Event(event)) => engine.handle(clock.monotonic(), event),
                Some(Input::Judged(event, reply)) => {
                    let (commands, verdict) = engine.handle_with_verdict(clock.monotonic(), event);
                    let _ = reply.send(verdict);
                    commands
                }
                Some(Input::Snapshot(call, reply)) => {
                    let _ = reply.send(engine.call_state(&call));
                    continue;
                }
                Some(Input::Policy(tenant, policy)) => {
                    engine.set_tenant_policy(tenant, policy);
                    continue;
                }
            },
            () = sleep => engine.handle_timeout(clock.monotonic()),
        };
        for command in commands {
            executor.execute(command);
        }
    }
}

struct Executor<C> {
    crm: Arc<C>,
    store: Store,
    handle: RuntimeHandle,
    outbox_wake: Arc<Notify>,
    journal_writes: Arc<tokio::sync::RwLock<()>>,
}

impl<C: Crm> Executor<C> {
    fn execute(&self, command: Command) {
        if let Some(notice) = notices::notice_for(&command) {
            let _ = self.handle.notices.send(notice);
            return;
        }
        match command {
            Command::LookupContacts {
                tenant,
                call,
                agent,
                number,
            } => {
                let crm = self.crm.clone();
                let handle = self.handle.clone();
                let store = self.store.clone();
                let journal_writes = self.journal_writes.clone();
                tokio::spawn(async move {
                    let asked = std::time::Instant::now();
                    let answer = crm.lookup(&tenant, &agent, &number).await;
                    // The CRM round trip of a screen pop, for the speed harness (ui/e2e/bench).
                    tracing::debug!(
                        target: "callbridge::timing",
                        %call,
                        micros = asked.elapsed().as_micros() as u64,
                        "contact lookup answered"
                    );
                    let result = match answer {
                        Ok(contacts) => LookupResult::Matches(contacts),
                        Err(CrmError::RelinkRequired) => {
                            LookupResult::Failed(LookupFailure::RelinkRequired)
                        }
                        Err(other) => {
                            LookupResult::Failed(LookupFailure::Unavailable(other.to_string()))
                        }
                    };
                    let event = Event::LookupCompleted {
                        call,
                        agent,
                        result,
                    };
                    // The engine (and the agent's pop) first; the journal row after it, so
                    // that its synced write is not in the pop's path. A crash in between costs
                    // the replay one more lookup, nothing else.
                    let journalled = matches!(
                        event,
                        Event::LookupCompleted {
                            result: LookupResult::Matches(_),
                            ..
                        }
                    )
                    .then(|| event.clone());
                    // Taken before the engine hears of it, so that a stop which follows the
                    // pop waits for this row.
                    let writing = journal_writes.read_owned().await;
                    handle.submit(event);
                    if let Some(event) = journalled {
                        journal_lookup(&store, &tenant, &event).await;
                    }
                    drop(writing);
                });
            }
            Command::CreateCase {
                tenant,
                call,
                idempotency_key,
                trigger,
                fields,
            } => {
                // The row is unique per call: the engine's idempotency key is the call id.
                debug_assert_eq!(call, idempotency_key);
                let intent = Intent::CreateCase {
                    call,
                    trigger,
                    fields: Box::new(fields),
                };
                self.enqueue(intent.into_item(&tenant));
            }
            Command::UpdateCaseContact {
                tenant,
                call,
                case,
                party,
            } => {
                let intent = Intent::UpdateCaseParties { call, case, party };
                self.enqueue(intent.into_item(&tenant));
            }
            Command::FindCase { tenant, call } => {
                let crm = self.crm.clone();
                let handle = self.handle.clone();
                tokio::spawn(find_case(crm, handle, tenant, call));
            }
            Command::PopContact { .. }
            | Command::ShowChooser { .. }
            | Command::OfferNewContact { .. }
            | Command::ShowCase { .. }
            | Command::NotifyAgent { .. } => unreachable!("handled as notices above"),
        }
    }

    /// Makes a write durable. The database being briefly unavailable must not lose the intent,
    /// so this retries until it succeeds.
    fn enqueue(&self, item: OutboxItem) {
        let store = self.store.clone();
        let wake = self.outbox_wake.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            loop {
                match store.enqueue(item.clone()).await {
                    Ok(_) => break,
                    Err(error) => {
                        tracing::error!(%error, key = %item.idempotency_key, "cannot record a CRM write; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
            wake.notify_one();
        });
    }
}

/// Records a lookup's outcome (right after the engine got it), so that a replay after a restart
/// gives the call its pop from this record instead of searching the CRM again.
async fn journal_lookup(store: &Store, tenant: &TenantId, event: &Event) {
    let Some(call) = event.call() else { return };
    let payload = crate::journal::encode(event);
    let now = time::OffsetDateTime::now_utc();
    if let Err(error) = store
        .record_lookup_outcome(tenant.as_str(), call, now, &payload)
        .await
    {
        // Only a restart's replay loses: it looks the caller up again.
        tracing::warn!(%error, call = %call, "could not journal a lookup outcome");
    }
}

/// Looks the call's Case up for a transferee, retrying transient failures a few times.
async fn find_case<C: Crm>(crm: Arc<C>, handle: RuntimeHandle, tenant: TenantId, call: CallId) {
    let mut delay = Duration::from_millis(250);
    for attempt in 1..=5 {
        match crm.find_case(&tenant, &call).await {
            Ok(Some(case)) => return handle.submit(Event::CaseFound { call, case }),
            Ok(None) => return handle.submit(Event::CaseNotFound { call }),
            Err(error) if error.is_retryable() && attempt < 5 => {
                let wait = match error {
                    CrmError::RateLimited(d) => d.max(delay),
                    _ => delay,
                };
                tokio::time::sleep(wait).await;
                delay *= 2;
            }
            Err(error) => {
                tracing::warn!(%error, call = %call, "could not look the call's Case up");
                return handle.submit(Event::CaseNotFound { call });
            }
        }
    }
}
