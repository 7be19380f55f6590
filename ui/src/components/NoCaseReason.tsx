import type { CrmView } from '../state/types';
import type { Ui } from './context';

/** Reasons a Case was not created (or a pop did not happen), in words; "create Case" when it helps. */
export function NoCaseReason({ ui, crm, canCreate }: { ui: Ui; crm: CrmView; canCreate: boolean }) {
  const { m } = ui.t;
  if (crm.reasons.length === 0) return null;
  const creatable = crm.case === null && crm.reasons.some((r) =>
    r.reason.kind === 'case_suppressed_first_agent_not_linked' ||
    r.reason.kind === 'case_not_automatic_for_direction' ||
    r.reason.kind === 'case_creation_failed');
  const notLinked = crm.reasons.some((r) => r.reason.kind === 'agent_not_linked' || r.reason.kind === 'relink_required');
  return (
    <section class="card reasons" aria-label={m.crmTitle}>
      <ul>
        {crm.reasons.map((r) => (
          <li key={r.reason.kind}>
            {m.noCaseReason[r.reason.kind]}
            {'detail' in r.reason && r.reason.detail ? <span class="meta"> ({r.reason.detail})</span> : null}
          </li>
        ))}
      </ul>
      {creatable && canCreate && !notLinked && (
        <button type="button" onClick={() => { ui.act({ kind: 'create_case' }); }}>
          {m.createCase}
        </button>
      )}
    </section>
  );
}
