import { useEffect, useRef } from 'preact/hooks';
import type { ConsoleTexts } from './texts';

/** A question before an action that cannot be undone in one click; the focus goes to it. */
export function Confirm({ t, question, busy, onConfirm, onCancel }: { t: ConsoleTexts; question: string; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => { confirm.current?.focus(); }, [question]);
  return (
    <div class="confirm" role="group" aria-label={question}>
      <p>{question}</p>
      <div class="actions">
        <button type="button" class="danger" ref={confirm} disabled={busy} onClick={onConfirm}>{t.c.confirm}</button>
        <button type="button" disabled={busy} onClick={onCancel}>{t.c.cancel}</button>
      </div>
    </div>
  );
}
