// Draws one chart with uPlot. Imported only by the charts page, on demand, so neither the
// softphone nor the rest of the console loads uPlot or its stylesheet.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface PlotSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Bars for counts per interval (`bars`: the share of the interval a bar fills); a line, with
   *  a dot at each value when the values have gaps (rates with no calls to count). */
  kind: { bars: number } | 'line' | 'dotted-line';
}

export interface PlotSpec {
  /** Interval starts, Unix seconds. */
  x: number[];
  /** The interval's length in seconds: the time axis runs to the end of the last one. */
  step: number;
  series: PlotSeries[];
  /** A fixed top of the value axis (100 for percentages); counts scale to their largest. */
  yMax?: number;
  height: number;
  timeLabel: (unixSeconds: number) => string;
  valueLabel: (value: number) => string;
  axisColor: string;
  gridColor: string;
}

export interface Drawn {
  resize(width: number): void;
  destroy(): void;
}

export function plot(target: HTMLElement, spec: PlotSpec, width: number): Drawn {
  const axis = (values: (u: uPlot, splits: number[]) => string[]): uPlot.Axis => ({
    stroke: spec.axisColor,
    grid: { stroke: spec.gridColor, width: 1 },
    ticks: { stroke: spec.gridColor, width: 1 },
    values,
  });
  const series: uPlot.Series[] = [
    {},
    ...spec.series.map((s): uPlot.Series => {
      if (s.kind === 'line' || s.kind === 'dotted-line') {
        return { label: s.label, stroke: s.color, width: 2, points: { show: s.kind === 'dotted-line', size: 5, fill: s.color }, spanGaps: false };
      }
      const bars = uPlot.paths.bars?.({ size: [s.kind.bars, 48], align: 1 });
      return {
        label: s.label,
        stroke: s.color,
        fill: s.color,
        width: 0,
        points: { show: false },
        ...(bars === undefined ? {} : { paths: bars }),
      };
    }),
  ];
  const options: uPlot.Options = {
    width,
    height: spec.height,
    series,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      // From the first interval's start to the last one's end, so the last bar is inside.
      x: { time: true, range: (_u, min, max) => [spec.x[0] ?? min, (spec.x[spec.x.length - 1] ?? max) + spec.step] },
      y: { range: (_u, _min, max) => [0, spec.yMax ?? Math.max(1, Math.ceil(max * 1.15))] },
    },
    axes: [
      axis((_u, splits) => splits.map((s) => spec.timeLabel(s))),
      axis((_u, splits) => splits.map((s) => (Number.isInteger(s) || spec.yMax !== undefined ? spec.valueLabel(s) : ''))),
    ],
  };
  const chart = new uPlot(options, [spec.x, ...spec.series.map((s) => s.values)], target);
  return {
    resize(w: number) {
      chart.setSize({ width: w, height: spec.height });
    },
    destroy() {
      chart.destroy();
    },
  };
}
