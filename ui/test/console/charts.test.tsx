import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { ChartFigures } from '../../src/console/charts/Charts';
import { chartQuery, columns, dayRange, localDay, type ChartAnswer, type ChartCounts } from '../../src/console/charts/query';
import { texts } from '../../src/i18n';
import { enSupervisor } from '../../src/i18n/en';
import { jaSupervisor } from '../../src/i18n/ja';

const zero: ChartCounts = {
  inbound: 0, answered: 0, answered_in_time: 0, abandoned: 0, unserved: 0, outbound: 0, outbound_answered: 0, service_level: null, abandon_rate: null,
};

const answer: ChartAnswer = {
  from: '2026-12-06T00:00:00Z',
  to: '2026-12-06T02:00:00Z',
  interval_seconds: 3600,
  queue: null,
  targets: [{ queue: 'support', target_seconds: 20 }],
  slots: [
    { start: '2026-12-06T00:00:00Z', ...zero, inbound: 4, answered: 3, answered_in_time: 2, abandoned: 1, service_level: 0.5, abandon_rate: 0.25 },
    { start: '2026-12-06T01:00:00Z', ...zero, outbound: 2, outbound_answered: 1 },
  ],
  totals: { ...zero, inbound: 4, answered: 3, answered_in_time: 2, abandoned: 1, outbound: 2, outbound_answered: 1, service_level: 0.5, abandon_rate: 0.25 },
};

describe('the charts’ request', () => {
  it('asks for the local day, from its midnight to the next', () => {
    const range = dayRange('2026-12-06');
    expect(range).toEqual({ from: new Date(2026, 11, 6).toISOString(), to: new Date(2026, 11, 7).toISOString() });
    const q = new URLSearchParams(chartQuery({ day: '2026-12-06', interval: '900', queue: ' support ' }) ?? '');
    expect(q.get('from')).toBe(range?.from);
    expect(q.get('interval')).toBe('900');
    expect(q.get('queue')).toBe('support');
    expect(new URLSearchParams(chartQuery({ day: '2026-12-06', interval: '1800', queue: '' }) ?? '').has('queue')).toBe(false);
  });

  it('refuses what is no calendar day', () => {
    expect(dayRange('2026-02-30')).toBeNull();
    expect(dayRange('tomorrow')).toBeNull();
    expect(chartQuery({ day: '', interval: '1800', queue: '' })).toBeNull();
  });

  it('names today on the browser’s calendar', () => {
    expect(localDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });

  it('turns the slots into columns, rates as percentages and gaps as gaps', () => {
    const c = columns(answer);
    expect(c.x).toEqual([Date.parse('2026-12-06T00:00:00Z') / 1000, Date.parse('2026-12-06T01:00:00Z') / 1000]);
    expect(c.inbound).toEqual([4, 0]);
    expect(c.serviceLevel).toEqual([50, null]);
    expect(c.abandonRate).toEqual([25, null]);
  });
});

describe('the charts’ figures', () => {
  it('show the day’s totals, the rule and every interval in a table, in English and Japanese', () => {
    const en = renderToString(<ChartFigures s={enSupervisor.charts} t={texts('en')} answer={answer} day="2026-12-06" />);
    expect(en).toContain('Service level');
    expect(en).toContain('50%');
    expect(en).toContain('1 (25%)');
    expect(en).toContain('support 20 s');
    expect((en.match(/<tr>/g) ?? []).length).toBe(3);
    const ja = renderToString(<ChartFigures s={jaSupervisor.charts} t={texts('ja')} answer={answer} day="2026-12-06" />);
    expect(ja).toContain('サービスレベル');
    expect(ja).toContain('support 20 秒');
  });
});
