import type { ApiKeyRecord, ProjectRecord } from "../../store/types.js";
import { ActionButton, CsrfField, Layout, Notice, type PageContext, Time } from "../components.js";

/** A secret shown once, right after it was made: never stored by the dashboard, never in a URL. */
export type ShownOnce = { kind: "key"; prefix: string; secret: string } | { kind: "signing-secret"; secret: string; signingWith: number };

/**
 * The operator's view of one project: its limits (editable), its keys (create — shown once —
 * and revoke), its signing secrets (rotate, drop the previous one).
 */
export function ProjectAdminPage(props: {
  page: PageContext;
  project: ProjectRecord;
  keys: ApiKeyRecord[];
  signingSecrets: number;
  shownOnce: ShownOnce | null;
  error: string | null;
  notice: string | undefined;
}) {
  const p = props.project;
  const base = `/ui/projects/${p.id}`;
  const csrf = props.page.csrf;
  return (
    <Layout title={`Project ${p.name}`} page={props.page} section="projects">
      <h1>{p.name}</h1>
      <Notice code={props.notice} />
      {props.error !== null && (
        <p class="error" role="alert" data-testid="form-error">
          {props.error}
        </p>
      )}
      {props.shownOnce !== null && (
        <div class="notice" role="status" data-testid="shown-once">
          <p>
            {props.shownOnce.kind === "key"
              ? "The new API key — copy it now: it is shown only this once."
              : `The new signing secret — copy it now: it is shown only this once. Deliveries are signed with ${props.shownOnce.signingWith} secret(s) until you drop the previous one.`}
          </p>
          <pre data-testid="secret">{props.shownOnce.secret}</pre>
        </div>
      )}
      <form method="post" action="/ui/project" class="actions">
        <CsrfField token={csrf} />
        <input type="hidden" name="projectId" value={p.id} />
        <button type="submit">View this project's triggers</button>
      </form>

      <h2 id="limits-heading">Quota and rate limit</h2>
      <p class="muted">
        <span class="mono">{p.id}</span> · created <Time ms={p.createdAt} /> · {p.usedThisMonth} instances this month
      </p>
      <form class="filters" method="post" action={`${base}/limits`} aria-labelledby="limits-heading">
        <CsrfField token={csrf} />
        <label for="p-quota">
          Instances a month (blank: no quota)
          <input id="p-quota" name="monthQuota" inputmode="numeric" value={p.monthQuota === null ? "" : String(p.monthQuota)} />
        </label>
        <label for="p-rate">
          Requests a second (blank: no limit)
          <input id="p-rate" name="rateLimit" inputmode="numeric" value={p.rateLimit === null ? "" : String(p.rateLimit)} />
        </label>
        <button type="submit">Save limits</button>
      </form>

      <h2>API keys</h2>
      <div class="scroll">
        <table data-testid="keys">
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Revoked</th>
              <th scope="col">
                <span class="skip">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.keys.map((key) => (
              <tr data-key-id={key.id}>
                <td class="mono">{key.prefix}…</td>
                <td>
                  <Time ms={key.createdAt} />
                </td>
                <td>{key.revokedAt === null ? <span class="muted">live</span> : <Time ms={key.revokedAt} />}</td>
                <td>
                  {key.revokedAt === null && (
                    <ActionButton action={`${base}/keys/${key.id}/revoke`} label={`Revoke ${key.prefix}`} csrf={csrf} confirm="Revoke this key? Requests and sessions using it stop at once." danger />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <ActionButton action={`${base}/keys`} label="Create a key" csrf={csrf} />
      </div>

      <h2>Signing secret</h2>
      <p class="muted">
        {props.signingSecrets === 0
          ? "Deliveries are not signed."
          : props.signingSecrets === 1
            ? "Deliveries are signed with one secret."
            : `Deliveries are signed with ${props.signingSecrets} secrets (a rotation is under way).`}
      </p>
      <div class="actions">
        <ActionButton action={`${base}/signing-secret`} label={props.signingSecrets === 0 ? "Create a signing secret" : "Rotate the signing secret"} csrf={csrf} confirm={props.signingSecrets === 0 ? undefined : "Make a new signing secret? The current one keeps signing too until you drop it."} />
        {props.signingSecrets > 1 && (
          <ActionButton action={`${base}/signing-secret/drop`} label="Drop the previous secret" csrf={csrf} confirm="Stop signing with the previous secret?" danger />
        )}
      </div>
    </Layout>
  );
}
