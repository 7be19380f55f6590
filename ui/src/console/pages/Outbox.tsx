import { useState } from 'preact/hooks';
import { consoleApi, type OutboxItemView } from '../api';
import { Confirm } from '../Confirm';
import type { ConsoleMessages } from '../../i18n/messages';
import type { PageProps } from '../context';
import { messageOf, useLoad } from '../load';
import { Loading } from '../Loading';
import type { ConsoleTexts } from '../texts';

/** A status line kept as words to say, not as a sentence: a language switch rewords it. */
type Worded = (c: ConsoleMessages) => string;
type Note = { kind: 'ok' | 'error'; text: Worded } | null;

function answerOf(t: ConsoleTexts, item: OutboxItemView): string {
  return item.dead_reason ?? item.last_error ?? t.c.outbox.noAnswer;
}

function whenOf(t: ConsoleTexts, item: OutboxItemView): string {
  const { outbox } = t.c;
  const attempts = outbox.attempts({ count: t.number(item.attempts) });
  if (item.status === 'pending' && item.next_attempt_at) return `${attempts} · ${outbox.nextAttempt({ time: t.dateTime(item.next_attempt_at) })}`;
  return `${attempts} · ${outbox.since({ time: t.dateTime(item.finished_at ?? item.created_at) })}`;
}

/** CRM writes not done yet: pending ones, and dead letters with the CRM's last answer, to
 *  replay or discard. */
export function Outbox({ ctx }: PageProps) {
  const { t } = ctx;
  const { outbox } = t.c;
  const api = consoleApi(ctx.api);
  const { state, reload } = useLoad(() => api.outbox(), 'outbox');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [discarding, setDiscarding] = useState<number | null>(null);

  const run = (work: () => Promise<Worded>) => {
    setBusy(true);
    setNote(null);
    work().then(
      (text) => { setNote({ kind: 'ok', text }); setBusy(false); setDiscarding(null); reload(); },
      (error: unknown) => { const message = messageOf(error); setNote({ kind: 'error', text: (c) => c.outbox.failed({ message }) }); setBusy(false); setDiscarding(null); reload(); },
    );
  };

  return (
    <>
      <p>{outbox.intro}</p>
      <p role="status" class={note?.kind === 'ok' ? 'banner info' : 'visually-hidden'}>{note?.kind === 'ok' ? note.text(t.c) : ''}</p>
      {note?.kind === 'error' && <p role="alert" class="banner warn">{note.text(t.c)}</p>}
      {discarding !== null && (
        <Confirm
          t={t}
          question={outbox.confirmDiscard({ id: String(discarding) })}
          busy={busy}
          onConfirm={() => {
            const id = discarding;
            run(async () => { await api.discard(id); return (c) => c.outbox.discarded({ id: String(id) }); });
          }}
          onCancel={() => { setDiscarding(null); }}
        />
      )}
      <div class="section-head">
        <span />
        <button type="button" onClick={reload}>{t.c.refresh}</button>
      </div>
      <Loading t={t} state={state} reload={reload}>
        {(data) => data.items.length === 0 ? <p class="card">{outbox.empty}</p> : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{outbox.columns.item}</th>
                  <th scope="col">{outbox.columns.write}</th>
                  <th scope="col">{outbox.columns.call}</th>
                  <th scope="col">{outbox.columns.status}</th>
                  <th scope="col">{outbox.columns.answer}</th>
                  <th scope="col">{outbox.columns.actions}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((item) => (
                  <tr key={item.id} data-item={item.id}>
                    <th scope="row" class="number">{item.id}</th>
                    <td>{outbox.kinds[item.kind] ?? item.kind}</td>
                    <td class="mono">{item.call_id ?? '—'}</td>
                    <td>
                      <span class={item.status === 'dead' ? 'badge danger' : 'badge'}>{outbox.statuses[item.status]}</span>
                      <span class="meta block">{whenOf(t, item)}</span>
                    </td>
                    <td class="wrap answer">{answerOf(t, item)}</td>
                    <td>
                      {item.status === 'dead' && (
                        <div class="row-actions">
                          <button
                            type="button"
                            class="primary"
                            aria-label={outbox.replayOf({ id: String(item.id) })}
                            disabled={busy}
                            onClick={() => { run(async () => { await api.replay(item.id); return (c) => c.outbox.replayed({ id: String(item.id) }); }); }}
                          >
                            {outbox.replay}
                          </button>
                          <button type="button" aria-label={outbox.discardOf({ id: String(item.id) })} disabled={busy} onClick={() => { setDiscarding(item.id); }}>{outbox.discard}</button>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </>
  );
}
