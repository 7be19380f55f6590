// The charts' request (docs/console-api.md, "Charts"): a local day, an interval and a queue as
// the form holds them, the query string the API reads, and the answer's shape. Pure.

/** The intervals the API offers, in seconds; the form offers the ones that suit a day. */
export const intervals = [900, 1800, 3600] as const;

export interface ChartFilters {
  /** `<input type="date">` value: a day on the browser's own calendar, `YYYY-MM-DD`. */
  day: string;
  interval: string;
  /** A queue id, or '' for every queue. */
  queue: string;
}

export interface ChartCounts {
  inbound: number;
  answered: number;
  answered_in_time: number;
  abandoned: number;
  unserved: number;
  outbound: number;
  outbound_answered: number;
  service_level: number | null;
  abandon_rate: number | null;
}

export interface ChartSlot extends ChartCounts {
  start: string;
}

export interface ChartAnswer {
  from: string;
  to: string;
  interval_seconds: number;
  queue: string | null;
  targets: { queue: string; target_seconds: number }[];
  slots: ChartSlot[];
  totals: ChartCounts;
}

/** `YYYY-MM-DD` of `now` on the browser's calendar. */
export function localDay(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The local day's first instant and the next day's, as RFC 3339 instants; null when `day` is
 *  not a date. A day with a clock change is 23 or 25 hours long, as the calendar says. */
export function dayRange(day: string): { from: string; to: string } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const start = new Date(y, m, d);
  if (start.getFullYear() !== y || start.getMonth() !== m || start.getDate() !== d) return null;
  return { from: start.toISOString(), to: new Date(y, m, d + 1).toISOString() };
}

export const todayFilters = (): ChartFilters => ({ day: localDay(), interval: '1800', queue: '' });

/** The query string for these filters; null when the day is not a date. */
export function chartQuery(filters: ChartFilters): string | null {
  const range = dayRange(filters.day);
  if (range === null) return null;
  const params = new URLSearchParams({ from: range.from, to: range.to, interval: filters.interval });
  const queue = filters.queue.trim();
  if (queue !== '') params.set('queue', queue);
  return params.toString();
}

/** The series the charts draw, as columns: x in Unix seconds, then one value per slot. */
export function columns(answer: ChartAnswer): {
  x: number[];
  inbound: number[];
  answered: number[];
  abandoned: number[];
  outbound: number[];
  serviceLevel: (number | null)[];
  abandonRate: (number | null)[];
} {
  const slots = answer.slots;
  const percent = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);
  return {
    x: slots.map((s) => Date.parse(s.start) / 1000),
    inbound: slots.map((s) => s.inbound),
    answered: slots.map((s) => s.answered),
    abandoned: slots.map((s) => s.abandoned),
    outbound: slots.map((s) => s.outbound),
    serviceLevel: slots.map((s) => percent(s.service_level)),
    abandonRate: slots.map((s) => percent(s.abandon_rate)),
  };
}
