import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { WallBoard } from '../../src/console/wall/WallBoard';
import { initialWall, wallReducer, type WallState } from '../../src/console/wall/model';
import { texts, type Lang } from '../../src/i18n';
import { enSupervisor } from '../../src/i18n/en';
import { jaSupervisor } from '../../src/i18n/ja';

const state: WallState = wallReducer(initialWall, {
  kind: 'message',
  receivedAt: 100_000,
  message: {
    type: 'wall',
    server_time: 100_000,
    day: '2026-12-06',
    queues: [{ queue: 'support', waiting: 1, longest_waiting_since: 65_000, target_seconds: 20, answered: 9, answered_in_time: 7, abandoned: 1, service_level: 0.7 }],
    agents: [
      { agent: 'alice', state: 'on_call', reason: null, reason_text: null, since: 40_000, queues: ['support'], call: { id: 'c1', direction: 'inbound', number: '+81312345678', started_at: 30_000, held: true } },
      { agent: 'bob', state: 'unavailable', reason: 'other', reason_text: '<b>lunch</b>', since: 90_000, queues: ['support'], call: null },
    ],
  },
});

function html(lang: Lang): string {
  return renderToString(<WallBoard state={state} s={(lang === 'en' ? enSupervisor : jaSupervisor).wall} t={texts(lang)} now={100_000} />);
}

describe('the wall board', () => {
  it('shows each queue’s figures and each agent’s state, time in state and call', () => {
    const page = html('en');
    expect(page).toContain('data-figure="waiting">1<');
    expect(page).toContain('data-figure="longest-wait">00:35<');
    expect(page).toContain('70% within 20 s');
    expect(page).toContain('data-field="time-in-state">01:00<');
    expect(page).toContain('data-field="call-duration">01:10<');
    expect(page).toContain('+81312345678');
    expect(page).toContain('on hold');
    expect(page).toContain('1 waiting · 0 available · 1 busy · 2 logged in');
  });

  it('shows an agent’s own words as text, never markup', () => {
    expect(html('en')).toContain('Away (&lt;b>lunch&lt;/b>)');
  });

  it('speaks Japanese', () => {
    const page = html('ja');
    expect(page).toContain('通話中');
    expect(page).toContain('20 秒以内 70%');
  });
});
