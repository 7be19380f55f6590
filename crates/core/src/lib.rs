//! Callbridge's core: the call, agent and CRM-integration state machines.
//!
//! # Architecture invariants
//!
//! - **No IO, no clock.** Nothing here opens a socket or file, spawns a task or reads the time.
//!   The [`Engine`] takes `(now, event)` and returns [`Command`]s; time is the explicit
//!   [`Timestamp`] input, and the next deadline comes out of [`Engine::poll_timeout`]. The runtime
//!   executes the commands and feeds back their results as events.
//! - **Knows neither SIP, HTTP nor ServiceNow.** Telephony arrives as plain call events, the CRM is
//!   reached through commands (`LookupContacts`, `CreateCase`, `FindCase`, ...) that an adapter
//!   maps to its tables and columns. Phone-number parsing lives at the edge (`callbridge-phone`):
//!   the core receives a [`CallerNumber`] already classified, whose dialable number is an
//!   [`E164`], so no other text can reach a lookup.
//! - **Deterministic.** The same events at the same times give the same commands; collections
//!   iterate in a fixed order.
//!
//! # The rules it enforces
//!
//! - *Screen pop*: when an inbound call rings at a linked agent, the caller's number is looked up
//!   once per call; no match offers a new contact, one match pops it, several show a chooser (never
//!   a guess). Withheld or unusable caller IDs never reach a lookup; the agent is told to search
//!   by hand.
//! - *Case auto-creation*: when the agent and customer are first connected (inbound by default,
//!   outbound per [`TenantPolicy`]), one [`Command::CreateCase`] carries everything, the permanent
//!   recording link included, so the Case needs one write. It waits briefly for the caller to be
//!   matched to one contact so that the contact is on that one write.
//! - *At most one Case per call, ever*: `CreateCase` is emitted at most once per call id, whatever
//!   the duplicates, delays and reorderings; its idempotency key is the call id.
//! - *Transfer rule*: if the agent who first answered had no linked CRM account at that moment, no
//!   Case is created automatically for the call, even after a transfer to a linked agent. Every
//!   agent on the call is told why, and a linked agent on it can still create the Case by hand.
//! - *After a transfer* the receiving agent gets the screen pop and the existing Case, never a
//!   second one.
//! - *Bounded memory*: ended calls are forgotten once their Case work is settled; their ids are
//!   kept for a retention window so late events cannot start them again.
//!
//! # Driving it
//!
//! ```
//! use callbridge_core::{AgentId, CallerNumber, Command, Direction, Engine, EngineConfig, Event, Timestamp, E164};
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! let now = Timestamp::from_millis(0);
//! let ann = AgentId::parse("acme:ann").unwrap();
//! engine.handle(now, Event::AgentLinkChanged { agent: ann.clone(), linked: true });
//! let commands = engine.handle(
//!     now,
//!     Event::CallOffered {
//!         call: "c1".into(),
//!         tenant: "acme".into(),
//!         direction: Direction::Inbound,
//!         customer: CallerNumber::Dialable(E164::parse("+442071234567").unwrap()),
//!         agent: ann,
//!     },
//! );
//! assert!(matches!(commands[..], [Command::LookupContacts { .. }]));
//! // The runtime executes the commands, feeds their results back as events, and wakes the
//! // engine when its next deadline is due.
//! if let Some(due) = engine.poll_timeout() {
//!     let _more_commands = engine.handle_timeout(due);
//! }
//! ```

mod call;
mod caller;
mod command;
mod engine;
mod event;
mod held;
mod ids;
mod policy;
mod pop;
mod redraw;
mod time;
mod verdict;
mod wrap_up;

pub use call::{CallPhase, CallSnapshot, CaseStatus, FirstAnswer, LookupStatus, Suppression};
/// The validated number a dialable caller has (`callbridge-phone`'s, parsed at the edge).
pub use callbridge_phone::E164;
pub use caller::{CallerNumber, NoLookupReason};
pub use command::{CaseFields, CaseTrigger, Command, NotifyReason};
pub use engine::{Engine, EngineStats};
pub use event::{Direction, EndCause, Event, LookupFailure, LookupResult, TransferTarget};
pub use ids::{
    AccountRef, AgentId, AgentIdError, AgentName, CallId, CaseRef, ContactRef, PartyKind,
    PartyRefs, QueueId, RecordId, RecordingLocator, TenantId,
};
pub use policy::{
    EngineConfig, RecordingLinks, RecordingLinksError, ShortDescriptionTemplate, TemplateError,
    TemplateValues, TenantPolicy,
};
pub use pop::ScreenPop;
pub use redraw::{CrmRedraw, NoCase};
pub use time::Timestamp;
pub use verdict::{Ignored, Verdict};
pub use wrap_up::{
    decide as decide_wrap_up, may_submit as may_submit_wrap_up, DispositionCode,
    DispositionCodeError, DispositionCodes, DispositionListError, WorkNote, WrapUpOutcome,
    WrapUpRefusal, WrapUpSubmission, MAX_DISPOSITION_CODES, MAX_NOTES_CHARS, NO_CASE_DETAIL,
};
