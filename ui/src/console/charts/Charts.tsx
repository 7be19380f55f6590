// The charts page: for one day on the viewer's calendar, calls per interval (inbound, of which
// abandoned, and outbound) and the service level and abandoned share per interval, drawn with
// uPlot, with the day's totals and every figure again as a table (what a screen reader reads).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Texts } from '../../i18n';
import { getJson } from '../getJson';
import type { SupervisorMessages } from '../../i18n/messages';
import type { Drawn, PlotSpec } from './draw';
import { chartQuery, columns, intervals, todayFilters, type ChartAnswer, type ChartCounts, type ChartFilters } from './query';

export const chartsPath = '/api/v1/console/charts';

type Load = { kind: 'idle' } | { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'shown'; answer: ChartAnswer };

function fetchChart(query: string): Promise<ChartAnswer> {
  return getJson<ChartAnswer>(`${chartsPath}?${query}`);
}

function cssColor(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

export function Charts({ s, t }: { s: SupervisorMessages['charts']; t: Texts }) {
  const [form, setForm] = useState<ChartFilters>(todayFilters);
  const [applied, setApplied] = useState<ChartFilters>(form);
  const [load, setLoad] = useState<Load>({ kind: 'idle' });
  // Queues offered in the form: the tenant's, as the last answer named them.
  const [queues, setQueues] = useState<string[]>([]);
  useEffect(() => {
    const query = chartQuery(applied);
    if (query === null) {
      setLoad({ kind: 'failed', message: s.badDay });
      return;
    }
    let current = true;
    setLoad({ kind: 'loading' });
    fetchChart(query).then(
      (answer) => {
        if (!current) return;
        setQueues(answer.targets.map((q) => q.queue));
        setLoad({ kind: 'shown', answer });
      },
      (error: unknown) => { if (current) setLoad({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }); },
    );
    return () => { current = false; };
  }, [applied, s]);
  const field = (key: keyof ChartFilters) => (e: Event) => {
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  };
  return (
    <div class="charts">
      <form
        class="history-filters"
        aria-labelledby="charts-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...form });
        }}
      >
        <h2 id="charts-filters">{s.filtersHeading}</h2>
        <div class="filter-grid">
          <label>{s.day}<input type="date" name="day" required value={form.day} onInput={field('day')} /></label>
          <label>
            {s.interval}
            <select name="interval" value={form.interval} onChange={field('interval')}>
              {intervals.map((i) => <option key={i} value={String(i)}>{s.intervals[String(i) as keyof typeof s.intervals]}</option>)}
            </select>
          </label>
          <label>
            {s.queue}
            <select name="queue" value={form.queue} onChange={field('queue')}>
              <option value="">{s.allQueues}</option>
              {queues.map((q) => <option key={q} value={q}>{q}</option>)}
            </select>
          </label>
        </div>
        <div class="actions">
          <button type="submit" class="primary">{s.show}</button>
        </div>
      </form>
      {load.kind === 'loading' && <p class="meta" role="status">{s.loading}</p>}
      {load.kind === 'failed' && <p class="banner warn" role="alert">{s.failed({ message: load.message })}</p>}
      {load.kind === 'shown' && <ChartFigures s={s} t={t} answer={load.answer} day={applied.day} />}
    </div>
  );
}

export function ChartFigures({ s, t, answer, day }: { s: SupervisorMessages['charts']; t: Texts; answer: ChartAnswer; day: string }) {
  const percent = new Intl.NumberFormat(t.lang, { style: 'percent', maximumFractionDigits: 1 });
  const rate = (v: number | null) => (v === null ? s.none : percent.format(v));
  const clock = new Intl.DateTimeFormat(t.lang, { hour: '2-digit', minute: '2-digit' });
  const dayLabel = new Intl.DateTimeFormat(t.lang, { dateStyle: 'long' }).format(new Date(`${day}T00:00:00`));
  const targets = answer.targets.length === 0
    ? s.noTargets
    : answer.targets.map((q) => s.target({ queue: q.queue, seconds: t.number(q.target_seconds) })).join(', ');
  const totals = answer.totals;
  // Built once per answer and language: a new spec redraws the chart.
  const specs = useMemo(() => {
    const cols = columns(answer);
    const colors = {
      accent: cssColor('--accent', '#1858c4'),
      danger: cssColor('--danger', '#c62f2f'),
      ok: cssColor('--ok', '#146c3f'),
      muted: cssColor('--muted', '#5b6572'),
      border: cssColor('--border', '#d9dee5'),
    };
    const hours = new Intl.DateTimeFormat(t.lang, { hour: '2-digit', minute: '2-digit' });
    const percentOf100 = new Intl.NumberFormat(t.lang, { style: 'percent', maximumFractionDigits: 0 });
    const count = new Intl.NumberFormat(t.lang);
    const base = { x: cols.x, step: answer.interval_seconds, timeLabel: (sec: number) => hours.format(new Date(sec * 1000)), axisColor: colors.muted, gridColor: colors.border };
    const calls: PlotSpec = {
      ...base,
      height: 220,
      valueLabel: (v) => count.format(v),
      series: [
        { label: s.inbound, values: cols.inbound, color: colors.accent, kind: { bars: 0.8 } },
        { label: s.abandoned, values: cols.abandoned, color: colors.danger, kind: { bars: 0.4 } },
        { label: s.outbound, values: cols.outbound, color: colors.muted, kind: 'line' },
      ],
    };
    const levels: PlotSpec = {
      ...base,
      height: 200,
      yMax: 100,
      valueLabel: (v) => percentOf100.format(v / 100),
      series: [
        { label: s.serviceLevel, values: cols.serviceLevel, color: colors.ok, kind: 'dotted-line' },
        { label: s.abandonRate, values: cols.abandonRate, color: colors.danger, kind: 'dotted-line' },
      ],
    };
    return { calls, levels };
  }, [answer, t.lang, s]);
  const none = totals.inbound + totals.outbound === 0;
  return (
    <>
      <section aria-labelledby="charts-totals">
        <h2 id="charts-totals">{s.totalsHeading}</h2>
        <dl class="chart-totals">
          <Total figure="inbound" label={s.inbound} value={t.number(totals.inbound)} />
          <Total figure="answered" label={s.answered} value={t.number(totals.answered)} />
          <Total figure="abandoned" label={s.abandoned} value={`${t.number(totals.abandoned)} (${rate(totals.abandon_rate)})`} />
          <Total figure="service-level" label={s.serviceLevel} value={rate(totals.service_level)} />
          <Total figure="outbound" label={s.outbound} value={t.number(totals.outbound)} />
        </dl>
        <p class="meta">{s.levelRule({ targets })}</p>
        {none && <p class="meta" role="status">{s.empty}</p>}
      </section>
      <Plot heading={s.callsHeading} id="chart-calls" spec={specs.calls} drawFailed={s.drawFailed} />
      <Plot heading={s.levelHeading} id="chart-levels" spec={specs.levels} drawFailed={s.drawFailed} />
      <details class="chart-table">
        <summary>{s.tableSummary}</summary>
        <div class="table-scroll">
          <table>
            <caption>{s.tableCaption({ day: dayLabel })}</caption>
            <thead>
              <tr>
                <th scope="col">{s.start}</th>
                <th scope="col">{s.inbound}</th>
                <th scope="col">{s.answered}</th>
                <th scope="col">{s.inTime}</th>
                <th scope="col">{s.abandoned}</th>
                <th scope="col">{s.unserved}</th>
                <th scope="col">{s.outbound}</th>
                <th scope="col">{s.serviceLevel}</th>
                <th scope="col">{s.abandonRate}</th>
              </tr>
            </thead>
            <tbody>
              {answer.slots.map((slot) => (
                <tr key={slot.start}>
                  <th scope="row" class="num">{clock.format(new Date(slot.start))}</th>
                  {countCells(slot, t)}
                  <td class="num">{rate(slot.service_level)}</td>
                  <td class="num">{rate(slot.abandon_rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function countCells(c: ChartCounts, t: Texts) {
  return [c.inbound, c.answered, c.answered_in_time, c.abandoned, c.unserved, c.outbound].map((n, i) => (
    <td key={i} class="num">{t.number(n)}</td>
  ));
}

function Total({ figure, label, value }: { figure: string; label: string; value: string }) {
  return (
    <div data-figure={figure}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** One uPlot chart, drawn once uPlot has loaded, redrawn when its figures change, resized with
 *  its box. The canvas is decoration for sighted readers: the table holds the same figures. */
function Plot({ heading, id, spec, drawFailed }: { heading: string; id: string; spec: PlotSpec; drawFailed: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let drawn: Drawn | null = null;
    let observer: ResizeObserver | null = null;
    let current = true;
    import('./draw').then(
      ({ plot }) => {
        const el = box.current;
        if (!current || el === null) return;
        drawn = plot(el, spec, el.clientWidth);
        observer = new ResizeObserver(() => { drawn?.resize(el.clientWidth); });
        observer.observe(el);
      },
      () => { if (current) setFailed(true); },
    );
    return () => {
      current = false;
      observer?.disconnect();
      drawn?.destroy();
    };
  }, [spec]);
  return (
    <figure class="chart" aria-labelledby={id}>
      <figcaption id={id}>
        <h2>{heading}</h2>
        <ul class="chart-key">
          {spec.series.map((series) => (
            <li key={series.label}><span class="swatch" data-kind={typeof series.kind === 'string' ? 'line' : 'bar'} ref={(el) => { el?.style.setProperty('--swatch', series.color); }} />{series.label}</li>
          ))}
        </ul>
      </figcaption>
      {failed ? <p class="banner warn">{drawFailed}</p> : <div class="plot" ref={box} aria-hidden="true" />}
    </figure>
  );
}
