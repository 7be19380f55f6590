import { useState } from 'preact/hooks';
import type { CallView } from '../state/types';
import type { Ui } from './context';
import { DialPad } from './DialPad';

/** In a call: timer, mute, hold, keypad (DTMF), hang up. */
export function CallControls({ ui, call, muted, now }: { ui: Ui; call: CallView; muted: boolean; now: number }) {
  const { m } = ui.t;
  const [keypad, setKeypad] = useState(false);
  const onCall = call.phase === 'on_call';
  return (
    <section class="controls" aria-label={m.onCallWith({ caller: ui.t.caller(call.caller) })}>
      <p class="timer">
        <span class="visually-hidden">{m.elapsed} </span>
        {onCall && call.answeredAt !== null ? ui.t.duration(now - call.answeredAt) : m.dialling}
        {call.held && <span class="badge">{m.onHold}</span>}
        {muted && <span class="badge">{m.muted}</span>}
      </p>
      <div class="actions grid">
        <button type="button" aria-pressed={muted} disabled={!onCall} aria-keyshortcuts="Alt+M" onClick={() => { ui.act({ kind: 'mute', on: !muted }); }}>
          {muted ? m.unmute : m.mute}
        </button>
        <button type="button" aria-pressed={call.held} disabled={!onCall} onClick={() => { ui.act({ kind: 'hold', on: !call.held }); }}>
          {call.held ? m.resume : m.hold}
        </button>
        <button type="button" aria-expanded={keypad} disabled={!onCall} onClick={() => { setKeypad(!keypad); }}>
          {keypad ? m.hideKeypad : m.keypad}
        </button>
      </div>
      {keypad && onCall && <DialPad ui={ui} mode="dtmf" />}
      <button type="button" class="danger wide" aria-keyshortcuts="Alt+H" onClick={() => { ui.act({ kind: 'hang_up' }); }}>
        {onCall ? m.hangUp : m.cancelDial}
      </button>
    </section>
  );
}
