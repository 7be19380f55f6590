// The console's words: its own catalogue (`enConsole`/`jaConsole` in `src/i18n/`) beside the
// softphone's (the sign-in form is shared), with dates and numbers through Intl.
import { texts, type Lang, type Messages } from '../i18n';
import { enConsole } from '../i18n/en';
import { jaConsole } from '../i18n/ja';
import type { ConsoleMessages } from '../i18n/messages';

export interface ConsoleTexts {
  lang: Lang;
  /** The softphone's catalogue (sign-in form, sign-out). */
  m: Messages;
  c: ConsoleMessages;
  /** An RFC 3339 time as a local date and time; `—` for none. */
  dateTime(iso: string | null | undefined): string;
  number(n: number): string;
}

export function consoleTexts(lang: Lang): ConsoleTexts {
  const stamp = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'medium' });
  const grouped = new Intl.NumberFormat(lang);
  return {
    lang,
    m: texts(lang).m,
    c: lang === 'ja' ? jaConsole : enConsole,
    dateTime(iso) {
      if (!iso) return '—';
      const ms = Date.parse(iso);
      return Number.isNaN(ms) ? iso : stamp.format(ms);
    },
    number: (n) => grouped.format(n),
  };
}
