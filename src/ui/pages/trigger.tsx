import { maskSecretHeaders } from "../../request/secret-headers.js";
import type { ExecutionRecord, TriggerRecord } from "../../store/types.js";
import { ActionButton, Layout, Notice, type PageContext, RequestView, Status, Tags, Time } from "../components.js";
import { formatDuration } from "../format.js";
import { KIND_LABEL } from "./triggers.js";

/** One trigger: what it is, the request as it will be sent, every attempt, and what can be done with it. */
export function TriggerPage(props: {
  page: PageContext;
  trigger: TriggerRecord;
  executions: ExecutionRecord[];
  reveal: boolean;
  signed: boolean;
  notice: string | undefined;
}) {
  const t = props.trigger;
  const base = `/ui/triggers/${t.id}`;
  const canCancel = t.status === "registered";
  const canReplay = t.status === "succeeded" || t.status === "failed";
  // A waiting one-shot's time can change (PATCH /triggers/:id); a generator's instances follow its cron.
  const canEdit = t.status === "registered" && t.origin === "job";
  return (
    <Layout title={`Trigger ${t.id}`} page={props.page} section="triggers">
      <h1>
        {t.title ?? "Trigger"} <Status status={t.status} />
      </h1>
      <Notice code={props.notice} />
      <div class="actions">
        {canEdit && (
          <a class="button" href={`${base}/edit`}>
            Edit time
          </a>
        )}
        {canCancel && <ActionButton action={`${base}/cancel`} label="Cancel" csrf={props.page.csrf} confirm="Cancel this trigger?" danger />}
        {canReplay && <ActionButton action={`${base}/replay`} label="Replay now" csrf={props.page.csrf} confirm="Send this request again now?" />}
      </div>
      <div class="scroll">
        <table class="kv" data-testid="trigger-summary">
          <tbody>
            <tr>
              <th scope="row">Id</th>
              <td class="mono">{t.id}</td>
            </tr>
            <tr>
              <th scope="row">Kind</th>
              <td>
                {KIND_LABEL[t.origin]}
                {t.generatorId !== null && (
                  <>
                    {" of "}
                    <a href={`/ui/generators/${t.generatorId}`}>{t.generatorId}</a>
                  </>
                )}
                {t.parentTriggerId !== null && (
                  <>
                    {" reporting on "}
                    <a href={`/ui/triggers/${t.parentTriggerId}`}>{t.parentTriggerId}</a>
                  </>
                )}
              </td>
            </tr>
            <tr>
              <th scope="row">Due</th>
              <td>
                <Time ms={t.scheduledAt} />
              </td>
            </tr>
            {t.customKey !== null && (
              <tr>
                <th scope="row">Custom key</th>
                <td class="mono">{t.customKey}</td>
              </tr>
            )}
            {t.tags.length > 0 && (
              <tr>
                <th scope="row">Tags</th>
                <td>
                  <Tags tags={t.tags} />
                </td>
              </tr>
            )}
            <tr>
              <th scope="row">Attempts</th>
              <td>
                {t.attempts} · retries left {t.retriesLeft} of {t.delivery.retries} · first retry after {formatDuration(t.delivery.retryDelayMs)} · timeout{" "}
                {formatDuration(t.delivery.timeoutMs)}
              </td>
            </tr>
            {t.delivery.flowKey !== null && (
              <tr>
                <th scope="row">Flow</th>
                <td data-testid="flow">
                  <span class="mono">{t.delivery.flowKey}</span>
                  {t.flowWaiting === "parallelism" && <> · waiting: the flow has its most attempts in flight</>}
                  {t.flowWaiting === "rate" && <> · waiting for its turn in a later second of the flow's rate</>}
                </td>
              </tr>
            )}
            {(t.delivery.callbackUrl !== null || t.delivery.failureUrl !== null) && (
              <tr>
                <th scope="row">Callbacks</th>
                <td class="url mono">
                  {t.delivery.callbackUrl !== null && <div>outcome → {t.delivery.callbackUrl}</div>}
                  {t.delivery.failureUrl !== null && <div>failure → {t.delivery.failureUrl}</div>}
                </td>
              </tr>
            )}
            <tr>
              <th scope="row">Created · updated</th>
              <td>
                <Time ms={t.createdAt} /> · <Time ms={t.updatedAt} />
              </td>
            </tr>
            {t.finishedAt !== null && (
              <tr>
                <th scope="row">Finished</th>
                <td>
                  <Time ms={t.finishedAt} />
                  {t.cancelReason !== null && <> · {t.cancelReason}</>}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      <RequestView method={t.method} url={t.url} headers={t.headers} body={t.body} reveal={props.reveal} revealHref={`${base}?reveal=headers`} hideHref={base} />
      {props.signed && <p class="muted">Each attempt also carries the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature (this project signs its requests).</p>}

      <h2>Attempts</h2>
      {props.executions.length === 0 ? (
        <p class="muted">No attempt yet.</p>
      ) : (
        <div class="scroll">
          <table data-testid="attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Outcome</th>
                <th scope="col">HTTP</th>
                <th scope="col">Error · response</th>
              </tr>
            </thead>
            <tbody>
              {props.executions.map((e) => (
                <tr>
                  <td>{e.attempt}</td>
                  <td>
                    <Time ms={e.startedAt} />
                  </td>
                  <td>{formatDuration(e.durationMs)}</td>
                  <td>
                    <Status status={e.outcome} />
                    {e.retryAt !== null && (
                      <div class="muted">
                        retry at <Time ms={e.retryAt} />
                      </div>
                    )}
                  </td>
                  <td>{e.httpStatus ?? "—"}</td>
                  <td>
                    {e.error !== null && <div class="error-text">{e.error}</div>}
                    {e.responseHeaders.length > 0 && (
                      <details>
                        <summary>Response headers ({e.responseHeaders.length})</summary>
                        <pre>{maskSecretHeaders(e.responseHeaders).map(([name, value]) => `${name}: ${value}`).join("\n")}</pre>
                      </details>
                    )}
                    {e.responseExcerpt !== null && e.responseExcerpt !== "" && <pre data-testid="response-excerpt">{e.responseExcerpt}</pre>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
