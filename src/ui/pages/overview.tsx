import type { StatusCounts, TriggerRecord } from "../../store/types.js";
import type { MinuteActivity } from "../activity.js";
import { BarChart } from "../charts.js";
import { Layout, type PageContext, RequestCell, Status, Time } from "../components.js";
import { formatDuration, formatUtc } from "../format.js";
import type { Fire } from "../timeline.js";
import { firesPerHour } from "../timeline.js";

const HOUR_MS = 3_600_000;
const FIRES_LISTED = 15;

export interface OverviewData {
  now: number;
  counts: StatusCounts;
  activity: MinuteActivity[];
  fires: Fire[];
  /** The fires were cut at a limit: the timeline shows at least that many. */
  firesCapped: boolean;
  /** Each trigger status is counted up to this: a count that reaches it reads "N+". */
  countCap: number;
  failures: TriggerRecord[];
  failuresCapped: boolean;
}

/** What an operator on call wants first: how much is waiting, whether deliveries keep up, what comes next, what failed. */
export function OverviewPage(props: { page: PageContext; data: OverviewData }) {
  const { data } = props;
  const first = data.activity[0]?.start ?? data.now;
  const delivered = data.activity.reduce((sum, m) => sum + m.succeeded + m.failed, 0);
  const worstLate = Math.max(0, ...data.activity.map((m) => m.maxLateMs ?? 0));
  const perHour = firesPerHour(data.fires, data.now, 24);
  const hhmm = (ms: number) => formatUtc(ms).slice(11, 16);
  return (
    <Layout title="Overview" page={props.page} section="overview">
      <h1>Overview</h1>
      <h2>Triggers by status</h2>
      <div class="cards" data-testid="status-counts">
        {Object.entries(data.counts.triggers).map(([status, n]) => (
          <a class="card" href={`/ui/triggers?status=${status}`}>
            <span class="n" title={n >= data.countCap ? `Counted up to ${data.countCap.toLocaleString("en")}` : undefined}>
              {n >= data.countCap ? `${data.countCap.toLocaleString("en")}+` : n}
            </span>
            <Status status={status} />
          </a>
        ))}
      </div>
      <h2>Generators by status</h2>
      <div class="cards">
        {Object.entries(data.counts.generators).map(([status, n]) => (
          <a class="card" href="/ui/generators">
            <span class="n">{n}</span>
            <Status status={status} />
          </a>
        ))}
      </div>

      <div class="grid2">
        <section>
          <h2>Deliveries per minute, last hour</h2>
          <p class="muted">
            {delivered} attempts finished; failed ones in red. Times on the axis are UTC.
          </p>
          <BarChart
            title="Attempts finished per minute over the last hour: succeeded and failed"
            testId="chart-deliveries"
            bars={data.activity.map((m) => ({
              label: `${formatUtc(m.start)}: ${m.succeeded} succeeded, ${m.failed} failed`,
              segments: [
                { value: m.succeeded, className: "bar-ok" },
                { value: m.failed, className: "bar-bad" },
              ],
            }))}
            formatValue={(v) => String(Math.round(v))}
            xLabels={[hhmm(first), hhmm(data.now)]}
          />
        </section>
        <section>
          <h2>Lateness, last hour</h2>
          <p class="muted">Largest delay per minute between a trigger's time and its first attempt; worst {formatDuration(worstLate)}.</p>
          <BarChart
            title="Largest lateness of first attempts per minute over the last hour"
            testId="chart-lateness"
            bars={data.activity.map((m) => ({
              label:
                m.maxLateMs === null
                  ? `${formatUtc(m.start)}: no first attempt`
                  : `${formatUtc(m.start)}: worst ${formatDuration(m.maxLateMs)}, median ${formatDuration(m.medianLateMs ?? 0)}`,
              segments: [{ value: m.maxLateMs ?? 0, className: "bar" }],
            }))}
            formatValue={(v) => formatDuration(v)}
            xLabels={[hhmm(first), hhmm(data.now)]}
          />
        </section>
      </div>

      <h2>Next 24 hours</h2>
      <p class="muted">
        {data.firesCapped ? "At least " : ""}
        {data.fires.length} fires scheduled, per hour from now (UTC on the axis).
      </p>
      <BarChart
        title="Scheduled fires per hour over the next 24 hours"
        testId="chart-timeline"
        wide
        bars={perHour.map((n, i) => ({ label: `${formatUtc(data.now + i * HOUR_MS)} + 1 h: ${n} fires`, segments: [{ value: n, className: "bar" }] }))}
        formatValue={(v) => String(Math.round(v))}
        xLabels={[hhmm(data.now), hhmm(data.now + 24 * HOUR_MS)]}
      />
      {data.fires.length > 0 && (
        <div class="scroll">
          <table data-testid="upcoming">
            <caption class="muted">The next {Math.min(FIRES_LISTED, data.fires.length)}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {data.fires.slice(0, FIRES_LISTED).map((fire) => (
                <tr>
                  <td>
                    <Time ms={fire.at} />
                  </td>
                  <td>
                    {fire.triggerId !== null ? (
                      <a href={`/ui/triggers/${fire.triggerId}`}>{fire.title ?? fire.triggerId}</a>
                    ) : (
                      <a href={`/ui/generators/${fire.generatorId}`}>{fire.title ?? fire.generatorId}</a>
                    )}
                    {fire.triggerId === null && <span class="muted"> (next tick)</span>}
                  </td>
                  <RequestCell method={fire.method} url={fire.url} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Failures, last 24 hours</h2>
      {data.failures.length === 0 ? (
        <p class="muted" data-testid="failures">
          None.
        </p>
      ) : (
        <div class="scroll">
          <table data-testid="failures">
            <caption class="muted">
              {data.failuresCapped ? "The latest " : ""}
              {data.failures.length} failed triggers
            </caption>
            <thead>
              <tr>
                <th scope="col">Failed at</th>
                <th scope="col">Trigger</th>
                <th scope="col">Request</th>
                <th scope="col">Attempts</th>
              </tr>
            </thead>
            <tbody>
              {data.failures.map((t) => (
                <tr>
                  <td>
                    <Time ms={t.finishedAt} />
                  </td>
                  <td>
                    <a href={`/ui/triggers/${t.id}`}>{t.title ?? t.id}</a>
                  </td>
                  <RequestCell method={t.method} url={t.url} />
                  <td>{t.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
