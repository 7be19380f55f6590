import type { Ui } from './context';

export const shortcuts = { answer: 'a', hangUp: 'h', decline: 'd', mute: 'm' } as const;

/** The keyboard shortcuts, listed on screen. */
export function ShortcutList({ ui }: { ui: Ui }) {
  const { m } = ui.t;
  const rows: [string, string][] = [
    ['Alt + A', m.shortcutAnswer],
    ['Alt + D', m.shortcutDecline],
    ['Alt + H', m.shortcutHangUp],
    ['Alt + M', m.shortcutMute],
  ];
  return (
    <details class="card shortcuts">
      <summary>{m.shortcutsTitle}</summary>
      <dl>
        {rows.map(([keys, what]) => (
          <div key={keys}>
            <dt><kbd>{keys}</kbd></dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
