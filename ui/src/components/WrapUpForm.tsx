import { useState } from 'preact/hooks';
import type { Disposition } from '../api';
import type { WrapUpView } from '../state/types';
import type { Ui } from './context';

/** After-call work: an outcome code and notes, written to the call's Case once. */
export function WrapUpForm(
  { ui, wrapUp, dispositions, now }: { ui: Ui; wrapUp: WrapUpView; dispositions: Disposition[]; now: number },
) {
  const { m, lang } = ui.t;
  const [code, setCode] = useState('');
  const [notes, setNotes] = useState('');
  const done = wrapUp.status === 'written' || wrapUp.status === 'queued';
  const status =
    wrapUp.status === 'written' ? m.wrapUpSaved
      : wrapUp.status === 'queued' ? m.wrapUpQueued
        : wrapUp.status === 'failed' ? m.wrapUpFailed({ detail: wrapUp.detail })
          : '';
  return (
    <section class="card wrap-up" aria-labelledby="wrap-up-title">
      <h2 id="wrap-up-title">{m.wrapUpTitle}</h2>
      {wrapUp.endsAt !== null && (
        <p class="meta">{m.wrapUpEndsIn({ seconds: ui.t.seconds(wrapUp.endsAt - now) })}</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          ui.act({ kind: 'submit_wrap_up', disposition: code || null, notes });
        }}
      >
        <label class="field">
          <span>{m.disposition}</span>
          <select value={code} disabled={done} onChange={(e) => { setCode(e.currentTarget.value); }}>
            <option value="">{m.noDisposition}</option>
            {dispositions.map((d) => <option key={d.code} value={d.code}>{d.label[lang]}</option>)}
          </select>
        </label>
        <label class="field">
          <span>{m.notes}</span>
          <textarea rows={3} maxLength={4000} value={notes} disabled={done} onInput={(e) => { setNotes(e.currentTarget.value); }} />
        </label>
        <p class="meta" role="status">{status}</p>
        <div class="actions">
          <button type="submit" class="primary" disabled={done || wrapUp.status === 'sending'}>{m.saveWrapUp}</button>
          <button type="button" onClick={() => { ui.act({ kind: 'set_presence', available: true, reason: null }); }}>
            {m.backToAvailable}
          </button>
        </div>
      </form>
    </section>
  );
}
