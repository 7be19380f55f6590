import type { Ui } from './context';

/** Another tab or device took the session; this one can take it back. */
export function OtherTabNotice({ ui }: { ui: Ui }) {
  const { m } = ui.t;
  return (
    <section class="card other-tab" aria-labelledby="other-tab-title">
      <h2 id="other-tab-title">{m.otherTabTitle}</h2>
      <p>{m.otherTabBody}</p>
      <button type="button" class="primary" onClick={() => { ui.act({ kind: 'use_here' }); }}>{m.useHere}</button>
    </section>
  );
}
