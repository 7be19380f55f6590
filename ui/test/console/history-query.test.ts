import { describe, expect, it } from 'vitest';
import { agentsOf, historyQuery, localToRfc3339, noFilters, type HistoryCall } from '../../src/console/history/query';

describe('the call history’s query', () => {
  it('leaves empty filters out and trims the others', () => {
    expect(historyQuery(noFilters)).toBe('');
    expect(historyQuery({ ...noFilters, agent: ' alice ', outcome: 'abandoned', number: '+81 3-1234-5678' }))
      .toBe('agent=alice&number=%2B81+3-1234-5678&outcome=abandoned');
  });

  it('sends local times as RFC 3339 instants and passes the cursor and page size', () => {
    const q = new URLSearchParams(historyQuery({ ...noFilters, from: '2026-12-06T09:00:00' }, { limit: 10, after: 'abc' }));
    expect(q.get('from')).toBe(new Date('2026-12-06T09:00:00').toISOString());
    expect(q.get('limit')).toBe('10');
    expect(q.get('after')).toBe('abc');
  });

  it('a value that is no date goes as typed, for the server to name the mistake', () => {
    expect(localToRfc3339('yesterday')).toBe('yesterday');
  });

  it('lists a call’s agents once each', () => {
    const call = { first_agent: 'alice', last_agent: 'alice' } as HistoryCall;
    expect(agentsOf(call)).toEqual(['alice']);
    expect(agentsOf({ ...call, last_agent: 'bob' })).toEqual(['alice', 'bob']);
    expect(agentsOf({ ...call, first_agent: null, last_agent: null })).toEqual([]);
  });
});
