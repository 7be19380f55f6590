//! Which CRM Case each call produced: the Case's record id and label (ServiceNow: its `sys_id`
//! and number, the columns' names) per call.

use callbridge_kernel::ids::{CallId, CaseRef, RecordId};

use crate::time_conv::wall_clock_micros;
use crate::{with_pool, Result, Store, StoreError};

impl Store {
    /// The Case recorded for `call_id`, if any.
    pub async fn case_for_call(&self, tenant: &str, call: &CallId) -> Result<Option<CaseRef>> {
        let row: Option<(String, String)> = with_pool!(&self.pool, |p| sqlx::query_as(
            "SELECT case_id, case_label FROM call_cases WHERE tenant = $1 AND call_id = $2"
        )
        .bind(tenant)
        .bind(call.as_str())
        .fetch_optional(p)
        .await
        .map_err(StoreError::db("read the case of a call"))?);
        Ok(row.map(|(id, label)| CaseRef {
            id: RecordId::new(id),
            label,
        }))
    }

    /// Records that `call_id` produced `case`, unless a Case is already recorded for the call:
    /// the first one wins and is returned (compare it with `case` to spot a duplicate Case).
    pub async fn save_case_for_call(
        &self,
        tenant: &str,
        call: &CallId,
        case: CaseRef,
    ) -> Result<CaseRef> {
        let recorded_at = wall_clock_micros();
        with_pool!(&self.pool, |p| sqlx::query(
            "INSERT INTO call_cases (tenant, call_id, case_id, case_label, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant, call_id) DO NOTHING"
        )
        .bind(tenant)
        .bind(call.as_str())
        .bind(case.id.as_str())
        .bind(&case.label)
        .bind(recorded_at)
        .execute(p)
        .await
        .map_err(StoreError::db("record the case of a call"))?
        .rows_affected());
        // Rows are never deleted, so the recorded one is there now.
        self.case_for_call(tenant, call).await?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the case of call {:?} in tenant {tenant:?} vanished right after it was recorded",
                call.as_str()
            ))
        })
    }
}
