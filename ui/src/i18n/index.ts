// Languages: one typed catalogue each, the browser's language by default, switchable; numbers,
// times and durations through Intl.
import type { Announcement, CallOutcome, Caller } from '../state/types';
import { en } from './en';
import { ja } from './ja';
import type { Messages } from './messages';

export type { Messages } from './messages';
export type Lang = 'en' | 'ja';
export const languages: readonly Lang[] = ['en', 'ja'];
export const languageNames: Record<Lang, string> = { en: 'English', ja: '日本語' };
const catalogues: Record<Lang, Messages> = { en, ja };

/** The first of the browser's preferred languages we speak; English otherwise. */
export function pickLanguage(preferred: readonly string[], stored: string | null): Lang {
  if (stored === 'en' || stored === 'ja') return stored;
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ja' || base === 'en') return base;
  }
  return 'en';
}

export interface Texts {
  lang: Lang;
  m: Messages;
  /** mm:ss, or h:mm:ss past an hour, with the locale's digits. */
  duration(ms: number): string;
  time(epochMs: number): string;
  /** Whole seconds left, rounded up, formatted for the language. */
  seconds(ms: number): string;
  number(n: number): string;
  caller(caller: Caller): string;
  outcome(outcome: CallOutcome): string;
  announcement(a: Announcement): string;
}

export function texts(lang: Lang): Texts {
  const m = catalogues[lang];
  const two = new Intl.NumberFormat(lang, { minimumIntegerDigits: 2, useGrouping: false });
  const plain = new Intl.NumberFormat(lang, { useGrouping: false });
  const grouped = new Intl.NumberFormat(lang);
  const clock = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const caller = (c: Caller): string => {
    switch (c.kind) {
      case 'number':
        return c.name ?? c.number;
      case 'withheld':
        return m.callerWithheld;
      case 'unknown':
        return m.callerUnknown;
    }
  };
  const target = (to: { agent: string } | { queue: string }): string =>
    'agent' in to ? to.agent : m.queueTarget({ queue: to.queue });
  return {
    lang,
    m,
    duration(ms) {
      const total = Math.max(0, Math.floor(ms / 1000));
      const h = Math.floor(total / 3600);
      const min = Math.floor((total % 3600) / 60);
      const s = total % 60;
      return h > 0 ? `${plain.format(h)}:${two.format(min)}:${two.format(s)}` : `${two.format(min)}:${two.format(s)}`;
    },
    time: (epochMs) => clock.format(epochMs),
    seconds: (ms) => plain.format(Math.max(0, Math.ceil(ms / 1000))),
    number: (n) => grouped.format(n),
    caller,
    outcome(o) {
      switch (o.kind) {
        case 'ring_stopped':
          return m.ringStopped[o.reason];
        case 'ended':
          return m.callEnded[o.cause];
        case 'transferred':
          return m.transferredTo({ target: target(o.to) });
        case 'dial_failed':
          // The server's words say why (busy, no answer); it has no code for it yet.
          return m.dialFailed({ detail: o.detail });
      }
    },
    announcement(a) {
      switch (a.kind) {
        case 'ringing':
          return m.announce.ringing({ caller: caller(a.caller) });
        case 'contact_found':
          return m.announce.contactFound({ name: a.name });
        case 'call_connected':
          return m.announce.connected;
        case 'call_on_hold':
          return a.on ? m.announce.onHold : m.announce.offHold;
        case 'call_ended':
          return this.outcome(a.outcome);
        case 'case_created':
          return m.announce.caseCreated({ label: a.label });
        case 'agent_state':
          return m.agentState[a.state];
        case 'connection_lost':
          return m.announce.connectionLost;
        case 'connection_restored':
          return m.announce.connectionRestored;
        case 'other_tab':
          return m.announce.otherTab;
      }
    },
  };
}
