import type { CallView } from '../state/types';
import type { Ui } from './context';

/** A call ringing here: who, from which queue, who transferred it; answer or decline. */
export function RingingBanner({ ui, call }: { ui: Ui; call: CallView }) {
  const { m } = ui.t;
  return (
    <section class="ringing" aria-labelledby={`ring-${call.id}`}>
      <p class="eyebrow">{call.direction === 'inbound' ? m.incomingCall : m.outgoingCall}</p>
      <h2 id={`ring-${call.id}`} class="caller">{ui.t.caller(call.caller)}</h2>
      {call.caller.kind === 'number' && call.caller.name && <p class="number">{call.caller.number}</p>}
      {call.queue && <p class="meta">{m.viaQueue({ queue: call.queue })}</p>}
      {call.transferredBy && <p class="meta">{m.transferredBy({ agent: call.transferredBy })}</p>}
      <div class="actions">
        <button type="button" class="primary answer" aria-keyshortcuts="Alt+A" onClick={() => { ui.act({ kind: 'answer' }); }}>
          {m.answer}
        </button>
        <button type="button" class="danger" aria-keyshortcuts="Alt+D" onClick={() => { ui.act({ kind: 'decline' }); }}>
          {m.decline}
        </button>
      </div>
    </section>
  );
}
