import { useState } from 'preact/hooks';
import { auditPath, consoleApi, type AdminRow, type AuditFilter, type AuditKind, type ListenRow } from '../api';
import type { PageProps } from '../context';
import { useLoad } from '../load';
import { Loading } from '../Loading';
import type { ConsoleTexts } from '../texts';

const empty: AuditFilter = { from: '', to: '', user: '', call: '', outcome: '' };

/** A `datetime-local` value (the viewer's local time) as RFC 3339 UTC; empty stays empty. */
export function localToIso(value: string): string {
  if (value.trim() === '') return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function ListenTable({ t, rows }: { t: ConsoleTexts; rows: ListenRow[] }) {
  const { audit } = t.c;
  const c = audit.listenColumns;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{c.at}</th><th scope="col">{c.action}</th><th scope="col">{c.call}</th><th scope="col">{c.viewer}</th>
          <th scope="col">{c.crmUser}</th><th scope="col">{c.source}</th><th scope="col">{c.outcome}</th><th scope="col">{c.reason}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td class="nowrap">{t.dateTime(r.at)}</td>
            <td>{audit.listenActions[r.action] ?? r.action}</td>
            <td class="mono">{r.call_id}</td>
            <td>{r.viewer}</td>
            <td class="mono">{r.crm_user_id ?? ''}</td>
            <td class="mono">{r.source}</td>
            <td><span class={r.outcome === 'allowed' ? 'badge ok' : 'badge danger'}>{audit.outcomes[r.outcome]}</span></td>
            <td class="wrap">{r.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AdminTable({ t, rows }: { t: ConsoleTexts; rows: AdminRow[] }) {
  const { audit } = t.c;
  const c = audit.adminColumns;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{c.at}</th><th scope="col">{c.actor}</th><th scope="col">{c.action}</th><th scope="col">{c.target}</th>
          <th scope="col">{c.call}</th><th scope="col">{c.source}</th><th scope="col">{c.outcome}</th><th scope="col">{c.detail}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td class="nowrap">{t.dateTime(r.at)}</td>
            <td>{r.actor}</td>
            <td class="mono">{r.action}</td>
            <td>{r.target}</td>
            <td class="mono">{r.call_id ?? ''}</td>
            <td class="mono">{r.source}</td>
            <td><span class={r.outcome === 'done' ? 'badge ok' : 'badge danger'}>{audit.outcomes[r.outcome]}</span></td>
            <td class="wrap">{r.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The listen audit and the admin audit: filtered by time, user, call and outcome; the same
 *  rows and columns exported as CSV. */
export function Audit({ ctx }: PageProps) {
  const { t } = ctx;
  const { audit } = t.c;
  const api = consoleApi(ctx.api);
  const [kind, setKind] = useState<AuditKind>('listen');
  const [form, setForm] = useState<AuditFilter>(empty);
  const [applied, setApplied] = useState<AuditFilter>(empty);
  const query: AuditFilter = { ...applied, from: localToIso(applied.from), to: localToIso(applied.to) };
  const { state, reload } = useLoad<{ kind: AuditKind; entries: (ListenRow | AdminRow)[]; truncated: boolean }>(
    async () => (kind === 'listen'
      ? { kind, ...(await api.listenAudit(query)) }
      : { kind, ...(await api.adminAudit(query)) }),
    `${kind}${JSON.stringify(applied)}`,
  );
  const field = (name: keyof AuditFilter, label: string, type: string) => (
    <label class="field">
      <span>{label}</span>
      <input type={type} value={form[name]} onInput={(e) => { setForm({ ...form, [name]: e.currentTarget.value }); }} />
    </label>
  );
  return (
    <>
      <div class="tabs" role="tablist" aria-label={audit.title}>
        {(['listen', 'admin'] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            id={`tab-${k}`}
            aria-selected={kind === k}
            aria-controls="audit-panel"
            tabIndex={kind === k ? 0 : -1}
            onClick={() => { setKind(k); }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = k === 'listen' ? 'admin' : 'listen';
                setKind(next);
                document.getElementById(`tab-${next}`)?.focus();
              }
            }}
          >
            {audit.tabs[k]}
          </button>
        ))}
      </div>
      <div id="audit-panel" role="tabpanel" aria-labelledby={`tab-${kind}`}>
        <form
          class="card filter"
          aria-label={audit.filterHeading}
          onSubmit={(e) => { e.preventDefault(); setApplied(form); }}
        >
          {field('from', audit.from, 'datetime-local')}
          {field('to', audit.to, 'datetime-local')}
          {field('user', audit.user, 'text')}
          {field('call', audit.call, 'text')}
          <label class="field">
            <span>{audit.outcome}</span>
            <select value={form.outcome} onChange={(e) => { setForm({ ...form, outcome: e.currentTarget.value as AuditFilter['outcome'] }); }}>
              <option value="">{audit.any}</option>
              <option value="allowed">{kind === 'listen' ? audit.outcomes.allowed : audit.outcomes.done}</option>
              <option value="refused">{kind === 'listen' ? audit.outcomes.refused : `${audit.outcomes.refused} / ${audit.outcomes.failed}`}</option>
            </select>
          </label>
          <div class="actions">
            <button type="submit" class="primary">{audit.apply}</button>
            <button type="button" onClick={() => { setForm(empty); setApplied(empty); }}>{audit.clear}</button>
            <a class="button" href={auditPath(kind, query, 'csv')} download>{audit.exportCsv}</a>
          </div>
        </form>
        <Loading t={t} state={state} reload={reload}>
          {(data) => data.kind !== kind ? <p class="meta" role="status">{t.c.loading}</p> : data.entries.length === 0 ? <p class="card">{audit.empty}</p> : (
            <>
              {data.truncated && <p class="banner info">{audit.truncated({ count: t.number(data.entries.length) })}</p>}
              <div class="table-wrap">
                {data.kind === 'listen'
                  ? <ListenTable t={t} rows={data.entries as ListenRow[]} />
                  : <AdminTable t={t} rows={data.entries as AdminRow[]} />}
              </div>
            </>
          )}
        </Loading>
      </div>
    </>
  );
}
