import type { Case } from '../protocol';
import type { Ui } from './context';

/** The call's Case number, opening the Case in the CRM. */
export function CaseBadge({ ui, kase }: { ui: Ui; kase: Case }) {
  const { m } = ui.t;
  return (
    <p class="case-badge">
      <span class="badge ok">{m.caseLabel({ label: kase.label })}</span>
      <button type="button" class="link" onClick={() => { ui.act({ kind: 'open_case' }); }}>
        {m.openCase}
      </button>
    </p>
  );
}
