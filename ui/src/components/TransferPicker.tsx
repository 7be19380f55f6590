import { useState } from 'preact/hooks';
import type { Colleague } from '../api';
import type { TransferTarget } from '../state/types';
import type { Ui } from './context';

/** Blind transfer: to a colleague (with their status) or to a queue. */
export function TransferPicker(
  { ui, queues, colleagues, self }: { ui: Ui; queues: string[]; colleagues: Colleague[]; self: string | null },
) {
  const { m } = ui.t;
  const [mode, setMode] = useState<'agent' | 'queue'>('agent');
  const [agent, setAgent] = useState('');
  const [chosenQueue, setQueue] = useState(queues[0] ?? '');
  // The agent's queues may change while the picker is open (the server's `queues` news): a
  // queue no longer listed is not offered.
  const queue = queues.includes(chosenQueue) ? chosenQueue : (queues[0] ?? '');
  const others = colleagues.filter((c) => c.name !== self);
  const target: TransferTarget | null =
    mode === 'agent' ? (agent.trim() ? { agent: agent.trim() } : null) : queue ? { queue } : null;
  const label = target ? ('agent' in target ? target.agent : m.queueTarget({ queue: target.queue })) : '';
  return (
    <details class="card transfer">
      <summary>{m.transfer}</summary>
      <fieldset>
        <legend class="visually-hidden">{m.transferTitle}</legend>
        <label class="radio">
          <input type="radio" name="transfer-mode" checked={mode === 'agent'} onChange={() => { setMode('agent'); }} />
          {m.transferToAgent}
        </label>
        <label class="radio">
          <input type="radio" name="transfer-mode" checked={mode === 'queue'} disabled={queues.length === 0} onChange={() => { setMode('queue'); }} />
          {m.transferToQueue}
        </label>
      </fieldset>
      {mode === 'agent' ? (
        <>
          {others.length === 0 && <p class="meta">{m.noAgentsKnown}</p>}
          <ul class="colleagues">
            {others.map((c) => (
              <li key={c.name}>
                <button type="button" class="choice" aria-pressed={agent === c.name} onClick={() => { setAgent(c.name); }}>
                  <span class={`dot dot-${c.state}`} aria-hidden="true" />
                  <span class="choice-name">{c.display_name}</span>
                  <span class="meta">{m.colleagueState[c.state]}</span>
                </button>
              </li>
            ))}
          </ul>
          <label class="field compact">
            <span>{m.transferAgentName}</span>
            <input type="text" value={agent} onInput={(e) => { setAgent(e.currentTarget.value); }} />
          </label>
        </>
      ) : (
        <label class="field compact">
          <span>{m.transferToQueue}</span>
          <select value={queue} onChange={(e) => { setQueue(e.currentTarget.value); }}>
            {queues.map((q) => <option key={q} value={q}>{q}</option>)}
          </select>
        </label>
      )}
      <button type="button" disabled={!target} onClick={() => { if (target) ui.act({ kind: 'transfer', to: target }); }}>
        {target ? m.transferSend({ target: label }) : m.transfer}
      </button>
    </details>
  );
}
