import type { FireTime } from "../../schedule/dst-preview.js";
import { CsrfField, Layout, type PageContext, type Section, Time } from "../components.js";
import { FireTimesTable } from "../fire-times.js";
import type { FormError, FormField, FormKind, FormValues } from "../schedule-form.js";
import { zonedWall } from "../timeline.js";

/** What the preview step resolved: the one-shot's instant, or the generator's next fire times. */
export type SchedulePreview =
  | { kind: "once"; at: number; tz: string }
  | { kind: "cron"; tz: string; words: string; fires: FireTime[] };

const METHODS = ["POST", "GET", "PUT", "PATCH", "DELETE"];

const LABELS: Record<FormField, { label: string; hint?: string }> = {
  url: { label: "URL", hint: "where the request is sent" },
  method: { label: "Method" },
  scheduledAt: { label: "When", hint: "an ISO-8601 time (2026-03-29T09:00:00), or now | add 1h — as ttr-scheduled-at" },
  cron: { label: "Cron expression", hint: "5 fields (0 9 * * 1-5), 6 with seconds, or @daily, @hourly…" },
  timezone: { label: "Time zone", hint: "an IANA zone such as Europe/Paris; blank: UTC" },
  title: { label: "Title" },
  tags: { label: "Tags", hint: "comma-separated" },
  customKey: { label: "Custom key", hint: "optional; re-using a key edits that trigger" },
  headers: { label: "Headers", hint: "one Name: value per line, in order" },
  body: { label: "Body", hint: "sent as UTF-8 text" },
  endsAt: { label: "Ends at", hint: "optional: no tick after this instant" },
  maxRuns: { label: "Most runs", hint: "optional: ends after this many ticks" },
};

/**
 * The create and edit form: each field with its label, hint and — after a refused preview or
 * save — its error; the preview of the resolved time(s); Save once a preview succeeded.
 */
export function ScheduleFormPage(props: {
  page: PageContext;
  section: Section;
  heading: string;
  action: string;
  kind: FormKind;
  fields: readonly FormField[];
  values: FormValues;
  error: FormError | null;
  preview: SchedulePreview | null;
  /** Links to the other kind's form (create only). */
  switchHref?: string;
}) {
  const { values, error } = props;
  const field = (name: FormField) => {
    const { label, hint } = LABELS[name];
    const id = `f-${name}`;
    const wrong = error !== null && error.field === name;
    const describedBy = [hint === undefined ? null : `${id}-hint`, wrong ? `${id}-error` : null].filter((x) => x !== null).join(" ") || undefined;
    const common = { id, name, "aria-describedby": describedBy, "aria-invalid": wrong ? "true" : undefined };
    return (
      <div class={wrong ? "field invalid" : "field"}>
        <label for={id}>{label}</label>
        {name === "method" ? (
          <select {...common}>
            {METHODS.map((m) => (
              <option value={m} selected={(values.method || "POST") === m}>
                {m}
              </option>
            ))}
          </select>
        ) : name === "headers" || name === "body" ? (
          <textarea {...common} rows={name === "body" ? 5 : 3}>
            {values[name]}
          </textarea>
        ) : (
          <input {...common} type="text" value={values[name]} required={name === "url" || name === "scheduledAt" || name === "cron"} />
        )}
        {hint !== undefined && (
          <span class="hint" id={`${id}-hint`}>
            {hint}
          </span>
        )}
        {wrong && (
          <span class="field-error" id={`${id}-error`} data-testid={`error-${name}`}>
            {error.message}
          </span>
        )}
      </div>
    );
  };
  return (
    <Layout title={props.heading} page={props.page} section={props.section}>
      <h1>{props.heading}</h1>
      {props.switchHref !== undefined && (
        <p>
          <a href={props.switchHref}>{props.kind === "once" ? "Create a generator (cron) instead" : "Create a one-shot instead"}</a>
        </p>
      )}
      {error !== null && error.field === null && (
        <p class="error" role="alert" data-testid="form-error">
          {error.message}
        </p>
      )}
      {error !== null && error.field !== null && (
        <p class="error" role="alert">
          Check the field marked below.
        </p>
      )}
      <form class="schedule" method="post" action={props.action}>
        <CsrfField token={props.page.csrf} />
        <input type="hidden" name="kind" value={props.kind} />
        {props.fields.map(field)}
        {props.preview !== null && <Preview preview={props.preview} />}
        <div class="actions">
          <button type="submit" name="step" value="preview">
            Preview
          </button>
          {props.preview !== null && (
            <button type="submit" name="step" value="save" class="primary">
              Save
            </button>
          )}
        </div>
      </form>
    </Layout>
  );
}

function Preview(props: { preview: SchedulePreview }) {
  const { preview } = props;
  return (
    <section class="preview" aria-labelledby="preview-heading" data-testid="preview">
      <h2 id="preview-heading">Preview</h2>
      {preview.kind === "once" ? (
        <p>
          Fires once at <strong class="mono">{zonedWall(preview.at, preview.tz)}</strong> in {preview.tz} — <Time ms={preview.at} />.
        </p>
      ) : (
        <>
          <p>
            Fires <strong data-testid="cron-words">{preview.words}</strong> in {preview.tz}; the next {preview.fires.length}:
          </p>
          <FireTimesTable fires={preview.fires} tz={preview.tz} testId="preview-fires" />
        </>
      )}
      <p class="muted">Change a field and preview again, or save.</p>
    </section>
  );
}
