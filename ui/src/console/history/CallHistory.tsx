// The call history page: a filter form, one page of calls with their recording and Case links,
// older pages by the server's cursor, and the CSV of everything the filters match.
import { useEffect, useState } from 'preact/hooks';
import type { Texts } from '../../i18n';
import { getJson } from '../getJson';
import type { SupervisorMessages } from '../../i18n/messages';
import { agentsOf, directions, historyQuery, noFilters, outcomes, type HistoryFilters, type HistoryPage } from './query';

export const callsPath = '/api/v1/console/calls';

type Load = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'shown'; page: HistoryPage };

function fetchPage(query: string): Promise<HistoryPage> {
  return getJson<HistoryPage>(`${callsPath}?${query}`);
}

export function CallHistory({ s, t }: { s: SupervisorMessages['history']; t: Texts }) {
  const [form, setForm] = useState<HistoryFilters>(noFilters);
  const [applied, setApplied] = useState<HistoryFilters>(noFilters);
  // The cursor of the page shown (null: the newest).
  const [after, setAfter] = useState<string | null>(null);
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  useEffect(() => {
    let current = true;
    setLoad({ kind: 'loading' });
    fetchPage(historyQuery(applied, { after })).then(
      (page) => { if (current) setLoad({ kind: 'shown', page }); },
      (error: unknown) => { if (current) setLoad({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }); },
    );
    return () => { current = false; };
  }, [applied, after]);
  const field = (key: keyof HistoryFilters) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setForm({ ...form, [key]: value });
  };
  const dateTime = new Intl.DateTimeFormat(t.lang, { dateStyle: 'short', timeStyle: 'medium' });
  const csv = `${callsPath}.csv?${historyQuery(applied)}`;
  return (
    <div class="history">
      <form
        class="history-filters"
        aria-labelledby="history-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAfter(null);
          setApplied({ ...form });
        }}
      >
        <h2 id="history-filters">{s.filtersHeading}</h2>
        <div class="filter-grid">
          <label>{s.from}<input type="datetime-local" name="from" step="1" value={form.from} onInput={field('from')} /></label>
          <label>{s.to}<input type="datetime-local" name="to" step="1" value={form.to} onInput={field('to')} /></label>
          <label>{s.agent}<input name="agent" autoComplete="off" value={form.agent} onInput={field('agent')} /></label>
          <label>{s.queue}<input name="queue" autoComplete="off" value={form.queue} onInput={field('queue')} /></label>
          <label>
            {s.number}
            <input name="number" type="tel" autoComplete="off" aria-describedby="history-number-hint" value={form.number} onInput={field('number')} />
            <span id="history-number-hint" class="meta">{s.numberHint}</span>
          </label>
          <label>
            {s.direction}
            <select name="direction" value={form.direction} onChange={field('direction')}>
              <option value="">{s.any}</option>
              {directions.map((d) => <option key={d} value={d}>{s.directions[d]}</option>)}
            </select>
          </label>
          <label>
            {s.outcome}
            <select name="outcome" value={form.outcome} onChange={field('outcome')}>
              <option value="">{s.any}</option>
              {outcomes.map((o) => <option key={o} value={o}>{s.outcomes[o]}</option>)}
            </select>
          </label>
        </div>
        <div class="actions">
          <button type="submit" class="primary">{s.search}</button>
          <button type="button" onClick={() => { setForm(noFilters); setAfter(null); setApplied(noFilters); }}>{s.reset}</button>
          <a class="button" href={csv} download="call-history.csv">{s.exportCsv}</a>
        </div>
      </form>
      {load.kind === 'loading' && <p class="meta" role="status">{s.loading}</p>}
      {load.kind === 'failed' && <p class="banner warn" role="alert">{s.failed({ message: load.message })}</p>}
      {load.kind === 'shown' && load.page.calls.length === 0 && <p class="meta" role="status">{s.empty}</p>}
      {load.kind === 'shown' && load.page.calls.length > 0 && (
        <div class="table-scroll">
          <table class="history-calls">
            <caption>{s.caption}</caption>
            <thead>
              <tr>
                <th scope="col">{s.started}</th>
                <th scope="col">{s.direction}</th>
                <th scope="col">{s.number}</th>
                <th scope="col">{s.queue}</th>
                <th scope="col">{s.agents}</th>
                <th scope="col">{s.outcome}</th>
                <th scope="col">{s.duration}</th>
                <th scope="col">{s.recording}</th>
                <th scope="col">{s.case}</th>
              </tr>
            </thead>
            <tbody>
              {load.page.calls.map((call) => (
                <tr key={call.call_id} data-call={call.call_id}>
                  <td class="num">{dateTime.format(new Date(call.started_at))}</td>
                  <td>{s.directions[call.direction]}</td>
                  <td class="number">{call.number}</td>
                  <td>{call.queue ?? '—'}</td>
                  <td>{agentsOf(call).join(', ') || '—'}</td>
                  <td>{(s.outcomes as Record<string, string>)[call.outcome] ?? call.outcome}</td>
                  <td class="num">{t.duration(call.duration_seconds * 1000)}</td>
                  <td>
                    {call.recording === 'removed' ? (
                      <span class="meta">{s.recordingRemoved}</span>
                    ) : (
                      <a href={call.recording_url} target="_blank" rel="noopener" data-link="recording">
                        {s.listen({ number: call.number })}
                      </a>
                    )}
                    {call.recording === 'none' && <span class="meta"> ({s.recordingPending})</span>}
                  </td>
                  <td>
                    {call.case === null ? (
                      <span class="meta">{s.noCase}</span>
                    ) : call.case.url === null ? (
                      call.case.label
                    ) : (
                      <a href={call.case.url} target="_blank" rel="noopener" data-link="case">{call.case.label}</a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions pager">
        {after !== null && <button type="button" onClick={() => { setAfter(null); }}>{s.newest}</button>}
        {load.kind === 'shown' && load.page.next !== null && (
          <button type="button" onClick={() => { setAfter(load.page.next); }}>{s.nextPage}</button>
        )}
      </div>
    </div>
  );
}
