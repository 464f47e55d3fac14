/** Server-rendered SVG charts: no script, no inline style (the CSP allows neither); colours come from classes. */

/** One bar, possibly stacked from several segments (bottom first). */
export interface Bar {
  segments: { value: number; className: string }[];
  /** Tooltip text of the bar. */
  label: string;
}

const HEIGHT = 160;
const PAD_LEFT = 44;
const PAD_BOTTOM = 20;
const PAD_TOP = 8;

/**
 * A bar chart with a y-axis maximum and ticks labelled at both ends, bars evenly across. `title`
 * is the accessible name; each bar carries its own `<title>` for hover.
 */
export function BarChart(props: { title: string; bars: Bar[]; formatValue: (v: number) => string; xLabels: [string, string]; testId?: string; wide?: boolean }) {
  // A full-width chart gets a wider canvas, so that it keeps the height and text size of a half-width one.
  const WIDTH = props.wide ? 1200 : 600;
  const total = (bar: Bar) => bar.segments.reduce((sum, s) => sum + s.value, 0);
  const max = Math.max(1, ...props.bars.map(total));
  const plotWidth = WIDTH - PAD_LEFT - 4;
  const plotHeight = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const step = plotWidth / Math.max(1, props.bars.length);
  const barWidth = Math.max(1, step * 0.8);
  const y = (v: number) => PAD_TOP + plotHeight - (v / max) * plotHeight;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.title} data-testid={props.testId}>
      <title>{props.title}</title>
      <line class="axis" x1={PAD_LEFT} y1={y(0)} x2={WIDTH - 4} y2={y(0)} />
      <line class="axis" x1={PAD_LEFT} y1={PAD_TOP} x2={WIDTH - 4} y2={PAD_TOP} />
      <text x={PAD_LEFT - 4} y={PAD_TOP + 10} text-anchor="end">
        {props.formatValue(max)}
      </text>
      <text x={PAD_LEFT - 4} y={y(0)} text-anchor="end">
        0
      </text>
      {props.bars.map((bar, i) => {
        let base = 0;
        return (
          <g>
            <title>{bar.label}</title>
            {bar.segments.map((segment) => {
              const top = y(base + segment.value);
              const height = y(base) - top;
              base += segment.value;
              return segment.value > 0 ? <rect class={segment.className} x={PAD_LEFT + i * step + (step - barWidth) / 2} y={top} width={barWidth} height={height} /> : null;
            })}
            {/* A transparent full-height target so that hovering an empty minute still shows its tooltip. */}
            <rect x={PAD_LEFT + i * step} y={PAD_TOP} width={step} height={plotHeight} fill="transparent" />
          </g>
        );
      })}
      <text x={PAD_LEFT} y={HEIGHT - 5}>
        {props.xLabels[0]}
      </text>
      <text x={WIDTH - 4} y={HEIGHT - 5} text-anchor="end">
        {props.xLabels[1]}
      </text>
    </svg>
  );
}
