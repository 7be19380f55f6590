import type { CallView } from '../state/types';
import type { Ui } from './context';

/** How the last call ended, in words, until the agent closes it or the next call comes. */
export function CallOutcomeNote({ ui, call }: { ui: Ui; call: CallView }) {
  const { t } = ui;
  if (!call.outcome) return null;
  const duration = call.answeredAt !== null && call.endedAt !== null ? t.duration(call.endedAt - call.answeredAt) : null;
  return (
    <section class="card outcome" aria-label={t.caller(call.caller)}>
      <h2 class="caller small">{t.caller(call.caller)}</h2>
      <p>{t.outcome(call.outcome)}</p>
      {duration && call.endedAt !== null && <p class="meta">{t.m.endedAt({ time: t.time(call.endedAt), duration })}</p>}
      <button type="button" class="link" onClick={() => { ui.act({ kind: 'dismiss_call' }); }}>{t.m.dismiss}</button>
    </section>
  );
}
