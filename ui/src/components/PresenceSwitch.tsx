import { useState } from 'preact/hooks';
import type { AgentView } from '../state/types';
import type { Ui } from './context';

/** The agent's status, and one click to change it (with an optional reason for being away). */
export function PresenceSwitch({ ui, agent, enabled }: { ui: Ui; agent: AgentView; enabled: boolean }) {
  const { m } = ui.t;
  const [reason, setReason] = useState('');
  const canChange = enabled && (agent.state === 'available' || agent.state === 'unavailable' || agent.state === 'wrap_up');
  const available = agent.state === 'available';
  let detail: string | null = null;
  if (agent.state === 'unavailable' && agent.reason) {
    detail =
      agent.reason.kind === 'missed_call'
        ? m.awayReason.missedCall
        : agent.reason.kind === 'other'
          ? m.awayReason.other({ text: agent.reason.text })
          : null;
  }
  return (
    <section class="presence" aria-label={m.presenceLabel}>
      <p class="presence-state">
        <span class={`dot dot-${agent.state}`} aria-hidden="true" />
        <span>{m.agentState[agent.state]}</span>
      </p>
      {detail && <p class="presence-detail">{detail}</p>}
      <div class="presence-actions" role="group" aria-label={m.presenceLabel}>
        <button
          type="button"
          class={available ? 'toggle on' : 'toggle'}
          aria-pressed={available}
          disabled={!canChange || available}
          onClick={() => { ui.act({ kind: 'set_presence', available: true, reason: null }); }}
        >
          {m.goAvailable}
        </button>
        <button
          type="button"
          class={agent.state === 'unavailable' ? 'toggle on' : 'toggle'}
          aria-pressed={agent.state === 'unavailable'}
          disabled={!canChange || (agent.state === 'unavailable' && reason.trim() === '')}
          onClick={() => { ui.act({ kind: 'set_presence', available: false, reason: reason.trim() || null }); }}
        >
          {m.goAway}
        </button>
      </div>
      <label class="field compact">
        <span>{m.awayReasonLabel}</span>
        <input
          type="text"
          maxLength={60}
          value={reason}
          placeholder={m.awayReasonPlaceholder}
          onInput={(e) => { setReason(e.currentTarget.value); }}
        />
      </label>
    </section>
  );
}
