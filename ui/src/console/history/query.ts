// The call history's filters as the form holds them, and the query string the API reads
// (docs/console-api.md, "Call history"). Pure; the server validates every value and answers a
// mistake with words the page shows as they are.

export const directions = ['inbound', 'outbound'] as const;
export const outcomes = ['answered', 'abandoned', 'no_agent', 'overflow', 'outbound_failed', 'cancelled', 'failed'] as const;

export interface HistoryFilters {
  /** `<input type="datetime-local">` values: the browser's local time, no offset. */
  from: string;
  to: string;
  agent: string;
  queue: string;
  number: string;
  direction: '' | (typeof directions)[number];
  outcome: '' | (typeof outcomes)[number];
}

export const noFilters: HistoryFilters = { from: '', to: '', agent: '', queue: '', number: '', direction: '', outcome: '' };

export interface HistoryCase {
  label: string;
  url: string | null;
}

export interface HistoryCall {
  call_id: string;
  started_at: string;
  ended_at: string;
  duration_seconds: number;
  direction: 'inbound' | 'outbound';
  number: string;
  queue: string | null;
  first_agent: string | null;
  last_agent: string | null;
  outcome: string;
  recording_url: string;
  recording: 'stored' | 'removed' | 'none';
  case: HistoryCase | null;
}

export interface HistoryPage {
  calls: HistoryCall[];
  next: string | null;
}

/** A local date-time as RFC 3339 in UTC (what the API reads); unchanged when not a date, so
 *  the server names the mistake. */
export function localToRfc3339(value: string): string {
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : at.toISOString();
}

/** The query string for these filters (empty ones left out), the page size and cursor. */
export function historyQuery(filters: HistoryFilters, extra: { limit?: number; after?: string | null } = {}): string {
  const params = new URLSearchParams();
  const put = (key: string, value: string) => {
    const v = value.trim();
    if (v !== '') params.set(key, v);
  };
  put('from', filters.from === '' ? '' : localToRfc3339(filters.from));
  put('to', filters.to === '' ? '' : localToRfc3339(filters.to));
  put('agent', filters.agent);
  put('queue', filters.queue);
  put('number', filters.number);
  put('direction', filters.direction);
  put('outcome', filters.outcome);
  if (extra.limit !== undefined) params.set('limit', String(extra.limit));
  if (extra.after) params.set('after', extra.after);
  return params.toString();
}

/** The agents of a call, once each (first, then last when another). */
export function agentsOf(call: HistoryCall): string[] {
  const out: string[] = [];
  for (const a of [call.first_agent, call.last_agent]) {
    if (a !== null && !out.includes(a)) out.push(a);
  }
  return out;
}
