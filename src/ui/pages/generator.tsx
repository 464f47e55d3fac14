import type { GeneratorRecord, TriggerRecord } from "../../store/types.js";
import { ActionButton, Layout, Notice, type PageContext, Pager, RequestView, Status, Tags, Time } from "../components.js";
import { formatDuration } from "../format.js";
import { describeCron } from "../../schedule/cron-words.js";
import type { FireTime } from "../../schedule/dst-preview.js";
import { FireTimesTable } from "../fire-times.js";
import { KIND_LABEL } from "./triggers.js";


/** One generator: its schedule, the next fire times, its request, its instances, and its controls. */
export function GeneratorPage(props: {
  page: PageContext;
  generator: GeneratorRecord;
  nextFires: FireTime[];
  instances: TriggerRecord[];
  firstHref: string | null;
  nextHref: string | null;
  reveal: boolean;
  notice: string | undefined;
}) {
  const g = props.generator;
  const base = `/ui/generators/${g.id}`;
  const csrf = props.page.csrf;
  return (
    <Layout title={`Generator ${g.id}`} page={props.page} section="generators">
      <h1>
        {g.title ?? "Generator"} <Status status={g.status} />
      </h1>
      <Notice code={props.notice} />
      {g.status !== "cancelled" && (
        <div class="actions">
          {g.status === "active" && <ActionButton action={`${base}/pause`} label="Pause" csrf={csrf} />}
          {g.status === "paused" && <ActionButton action={`${base}/resume`} label="Resume" csrf={csrf} />}
          <ActionButton action={`${base}/run`} label="Run now" csrf={csrf} confirm="Send one extra run now?" />
          <a class="button" href={`${base}/edit`}>
            Edit
          </a>
          <ActionButton action={`${base}/cancel`} label="Cancel generator" csrf={csrf} confirm="Cancel this generator for good?" danger />
        </div>
      )}
      <div class="scroll">
        <table class="kv" data-testid="generator-summary">
          <tbody>
            <tr>
              <th scope="row">Id</th>
              <td class="mono">{g.id}</td>
            </tr>
            <tr>
              <th scope="row">Schedule</th>
              <td>
                <span data-testid="cron-words">{describeCron(g.cronExpr)}</span> <code>{g.cronExpr}</code>
              </td>
            </tr>
            <tr>
              <th scope="row">Zone</th>
              <td class="mono">{g.cronTz}</td>
            </tr>
            <tr>
              <th scope="row">Runs</th>
              <td data-testid="generator-runs">
                {g.runs} fired{g.maxRuns !== null && ` of at most ${g.maxRuns}`}
              </td>
            </tr>
            <tr>
              <th scope="row">Ends</th>
              <td>
                {g.endsAt === null ? <span class="muted">never</span> : <Time ms={g.endsAt} />}
                {g.endReason !== null && <span class="muted"> · ended: {g.endReason}</span>}
              </td>
            </tr>
            <tr>
              <th scope="row">Missed runs · overlap</th>
              <td>
                {g.runMissed} · {g.overlap}
              </td>
            </tr>
            {g.note !== null && (
              <tr>
                <th scope="row">Note</th>
                <td>{g.note}</td>
              </tr>
            )}
            {g.customKey !== null && (
              <tr>
                <th scope="row">Custom key</th>
                <td class="mono">{g.customKey}</td>
              </tr>
            )}
            {g.tags.length > 0 && (
              <tr>
                <th scope="row">Tags</th>
                <td>
                  <Tags tags={g.tags} />
                </td>
              </tr>
            )}
            <tr>
              <th scope="row">Delivery</th>
              <td>
                {g.delivery.retries} retries · first after {formatDuration(g.delivery.retryDelayMs)} · timeout {formatDuration(g.delivery.timeoutMs)}
              </td>
            </tr>
            <tr>
              <th scope="row">Created · updated</th>
              <td>
                <Time ms={g.createdAt} /> · <Time ms={g.updatedAt} />
              </td>
            </tr>
          </tbody>
        </table>
      </div>

      <h2>Next {props.nextFires.length} fire times</h2>
      {props.nextFires.length === 0 ? (
        <p class="muted">{g.status === "cancelled" ? "Cancelled: it fires no more." : "None."}</p>
      ) : (
        <FireTimesTable fires={props.nextFires} tz={g.cronTz} testId="next-fires" />
      )}
      {g.status === "paused" && <p class="muted">Paused: these are the times it would fire at once resumed (the missed tick per {g.runMissed}).</p>}

      <RequestView method={g.method} url={g.url} headers={g.headers} body={g.body} reveal={props.reveal} revealHref={`${base}?reveal=headers`} hideHref={base} />

      <h2>Instances</h2>
      {props.instances.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <div class="scroll">
          <table data-testid="instances">
            <thead>
              <tr>
                <th scope="col">Trigger</th>
                <th scope="col">Status</th>
                <th scope="col">Due</th>
                <th scope="col">Kind</th>
                <th scope="col">Attempts</th>
              </tr>
            </thead>
            <tbody>
              {props.instances.map((t) => (
                <tr>
                  <td>
                    <a href={`/ui/triggers/${t.id}`} class="mono">
                      {t.id}
                    </a>
                  </td>
                  <td>
                    <Status status={t.status} />
                  </td>
                  <td>
                    <Time ms={t.scheduledAt} />
                  </td>
                  <td>{KIND_LABEL[t.origin]}</td>
                  <td>{t.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager firstHref={props.firstHref} nextHref={props.nextHref} />
    </Layout>
  );
}
