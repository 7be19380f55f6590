import { cleanDialNumber } from '../intake/dial-request';
import { previewE164 } from '../intake/number-preview';
import type { DialView } from '../state/types';
import type { Ui } from './context';

const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;

/** The keypad. Between calls it types a number to dial; in a call it sends DTMF tones. */
export function DialPad(
  props:
    | { ui: Ui; mode: 'dial'; dial: DialView; region: string | null; enabled: boolean }
    | { ui: Ui; mode: 'dtmf' },
) {
  const { ui } = props;
  const { m } = ui.t;
  if (props.mode === 'dtmf') {
    return (
      <section class="dialpad" aria-label={m.keypad}>
        <div class="keys">
          {keys.map((k) => (
            <button type="button" key={k} class="key" onClick={() => { ui.act({ kind: 'dtmf', digit: k }); }}>
              {k}
            </button>
          ))}
        </div>
      </section>
    );
  }
  const { dial, region, enabled } = props;
  const cleaned = cleanDialNumber(dial.number);
  const preview = cleaned ? previewE164(cleaned, region) ?? cleaned : null;
  const set = (number: string) => { ui.act({ kind: 'set_dial_number', number }); };
  return (
    <section class="dialpad" aria-labelledby="dial-title">
      <h2 id="dial-title" class="eyebrow">{m.dialPadTitle}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (cleaned) ui.act({ kind: 'dial' });
        }}
      >
        <label class="field">
          <span>{m.numberLabel}</span>
          <input
            type="tel"
            inputMode="tel"
            autoComplete="off"
            value={dial.number}
            onInput={(e) => { set(e.currentTarget.value); }}
            aria-describedby="dial-preview"
          />
        </label>
        <p id="dial-preview" class="meta" aria-live="polite">
          {dial.number.trim() === '' ? '' : preview ? m.willDial({ number: preview }) : m.notANumber}
        </p>
        {dial.context && <p class="meta">{m.fromRecord({ table: dial.context.table })}</p>}
        {/* Right under the number: in a 560 px OpenFrame panel a number clicked in the CRM must be
            one click from its call, without scrolling past the keypad. */}
        <button type="submit" class="primary wide" disabled={!enabled || !cleaned || dial.pending}>
          {dial.pending ? m.dialling : m.call}
        </button>
        <div class="keys">
          {keys.filter((k) => k !== '*' && k !== '#').map((k) => (
            <button type="button" key={k} class="key" onClick={() => { set(dial.number + k); }}>
              {k}
            </button>
          ))}
          <button type="button" class="key" onClick={() => { set(dial.number.startsWith('+') ? dial.number : '+' + dial.number); }}>
            +
          </button>
          <button type="button" class="key" aria-label={m.backspace} onClick={() => { set(dial.number.slice(0, -1)); }}>
            ⌫
          </button>
        </div>
      </form>
    </section>
  );
}
