import type { CrmProfile } from '../api';
import type { Ui } from './context';

/** Communicator initial setup: is CRM integration active for me, and link or unlink it. */
export function CrmLinkPanel(
  { ui, crm, busy, onLink, onUnlink }: { ui: Ui; crm: CrmProfile | null; busy: boolean; onLink: () => void; onUnlink: () => void },
) {
  const { m } = ui.t;
  let status: string;
  if (!crm) status = m.crmNotConfigured;
  else if (crm.link.state === 'linked') status = m.crmLinked({ user: crm.link.user ?? '' });
  else if (crm.link.state === 'relink_required') status = m.crmRelink;
  else status = m.crmNotLinked;
  const needsLink = crm !== null && crm.link.state !== 'linked';
  return (
    <details class="card crm-link" open={needsLink}>
      <summary>
        {m.crmTitle}
        <span class={`dot ${crm?.link.state === 'linked' ? 'dot-available' : 'dot-unavailable'}`} aria-hidden="true" />
      </summary>
      <p role="status">{status}</p>
      <p class="meta">{m.crmWhatItDoes}</p>
      {crm && (crm.link.state === 'linked' ? (
        <button type="button" disabled={busy} onClick={onUnlink}>{m.crmDisconnect}</button>
      ) : (
        <button type="button" class="primary" disabled={busy} onClick={onLink}>{m.crmConnect}</button>
      ))}
    </details>
  );
}
