//! How the engine's verdict on an accepted event becomes the HTTP answer, so a sender learns
//! whether its event was used (documented in `docs/openapi/call-events.yaml`, "Outcome").

use std::time::Duration;

use callbridge_core::{Ignored, Verdict};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Answer, StatusCode};

/// How long the handler waits for the engine's verdict before answering `accepted` (the event
/// is recorded and will be processed; only its outcome is not reported).
pub const VERDICT_WAIT: Duration = Duration::from_secs(5);

/// Seconds a sender should wait before resending an event refused for lack of room.
const RETRY_AFTER_SECS: u64 = 30;

/// Whether the event was refused without being taken: its id must then be forgotten so that
/// the sender's retry with the same id is processed.
pub fn refused(verdict: Option<&Verdict>) -> bool {
    matches!(verdict, Some(Verdict::Ignored(Ignored::HoldFull)))
}

/// The answer for an event recorded for the first time. `None`: the engine did not answer in
/// time.
pub fn respond(
    event_id: &str,
    verdict: Option<Verdict>,
    wall_time_of: impl Fn(callbridge_kernel::time::MonotonicTime) -> callbridge_kernel::time::WallTime,
) -> Answer {
    match verdict {
        None => Answer::json(
            StatusCode::ACCEPTED,
            json!({ "status": "accepted", "event_id": event_id }),
        ),
        Some(Verdict::Applied) => Answer::json(
            StatusCode::ACCEPTED,
            json!({ "status": "applied", "event_id": event_id }),
        ),
        Some(Verdict::Held { until }) => {
            // The engine's deadline is monotonic time; the client is told wall time.
            let until = OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(wall_time_of(until).as_millis()) * 1_000_000,
            )
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok());
            Answer::json(
                StatusCode::ACCEPTED,
                json!({
                    "status": "held",
                    "event_id": event_id,
                    "reason": "waiting_for_offer",
                    "held_until": until,
                    "message": "the call has not been offered yet; the event is applied when its \
                                offered event arrives before held_until, and dropped after",
                }),
            )
        }
        Some(Verdict::Ignored(why)) => {
            let status = match why {
                // Nothing to fix: the fact is already known.
                Ignored::AlreadyKnown => StatusCode::OK,
                // Nothing was taken; the same event_id may be sent again.
                Ignored::HoldFull => StatusCode::SERVICE_UNAVAILABLE,
                // The event can never be used as sent.
                Ignored::Stale
                | Ignored::CallEnded
                | Ignored::CallSettled
                | Ignored::UnknownCall
                | Ignored::NotOnCall
                | Ignored::AgentNotLinked => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let answer = Answer::json(
                status,
                json!({
                    "status": "ignored",
                    "event_id": event_id,
                    "reason": why.code(),
                    "message": why.message(),
                }),
            );
            if why == Ignored::HoldFull {
                answer.retry_after(RETRY_AFTER_SECS)
            } else {
                answer
            }
        }
    }
}
