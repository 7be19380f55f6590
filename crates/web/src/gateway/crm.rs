//! An agent's CRM requests (`choose_contact`, `create_case`) when no telephony serves the
//! agent's tenant: journalled like every call event (so a restart replays them) and handed to
//! the engine. With telephony they go through telephony's feed instead, in order with the
//! call's other events.

use callbridge_core::{AgentId, CallId, DispositionCodes, Event, TenantId, WrapUpSubmission};
use callbridge_integration::runtime::{RuntimeHandle, WrapUpError, WrapUpStatus};
use callbridge_store::Store;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct CrmRequests {
    store: Store,
    runtime: RuntimeHandle,
}

impl CrmRequests {
    pub fn new(store: Store, runtime: RuntimeHandle) -> CrmRequests {
        CrmRequests { store, runtime }
    }

    pub async fn submit(&self, tenant: &str, event: Event) {
        let payload = serde_json::to_string(&event).expect("events serialise");
        let id = format!("softphone-{}", uuid::Uuid::new_v4());
        if let Err(e) = self
            .store
            .record_event_with_payload(tenant, &id, OffsetDateTime::now_utc(), &payload)
            .await
        {
            // The engine still gets the event: a lost journal entry only weakens replay after
            // a crash.
            tracing::error!(error = %e, "could not journal an agent's CRM request");
        }
        self.runtime.submit(event);
    }

    /// The CRM side of a call, for a softphone that redraws it after reconnecting (empty when
    /// the engine does not know the call).
    pub async fn redraw(&self, call: &CallId) -> callbridge_core::CrmRedraw {
        let snapshot = self.runtime.call_state(call).await;
        callbridge_core::CrmRedraw::of(snapshot.as_ref())
    }

    /// Where the agent's after-call work note for `call` stands, if one was submitted (`None`
    /// too when the store cannot say: the form is then offered, and a second submission is
    /// refused as before).
    pub async fn wrap_up_progress(
        &self,
        agent: &AgentId,
        call: &CallId,
    ) -> Option<(WrapUpStatus, String)> {
        match self.runtime.wrap_up_progress(agent.tenant(), call).await {
            Ok(progress) => progress,
            Err(error) => {
                tracing::warn!(%agent, %call, %error, "could not read where a wrap-up note stands");
                None
            }
        }
    }

    /// An agent's after-call work, with or without telephony (the integration decides and
    /// writes it).
    pub async fn submit_wrap_up(
        &self,
        agent: &AgentId,
        call: &CallId,
        codes: &DispositionCodes,
        submission: &WrapUpSubmission,
    ) -> Result<(WrapUpStatus, String), WrapUpError> {
        let tenant: &TenantId = agent.tenant();
        self.runtime
            .submit_wrap_up(tenant, agent, call, codes, submission)
            .await
    }
}
