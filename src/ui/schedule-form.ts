import { HourglassError } from "../errors.js";
import type { JsonObject } from "../http/json-schedule.js";

/*
 * The dashboard's create and edit forms → the JSON API's bodies, so a form is validated by
 * exactly the rules of `POST /triggers`, `POST /generators` and their PATCHes (json-schedule.ts).
 * Pure: only the text of the form is read here.
 */

/** Which kind of schedule a form makes. */
export type FormKind = "once" | "cron";

/** The form's fields, as the JSON API names them (headers and tags are text here). */
export const FORM_FIELDS = ["url", "method", "scheduledAt", "cron", "timezone", "title", "tags", "customKey", "headers", "body", "endsAt", "maxRuns"] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** What the user typed, field by field (missing ones are ""). */
export type FormValues = Record<FormField, string>;

/** A refusal to show: next to `field` when the error names one, else above the form. */
export interface FormError {
  field: FormField | null;
  message: string;
}

/** Fields a form of this kind shows; an edit shows only `editable` of them. */
export function fieldsOf(kind: FormKind): readonly FormField[] {
  return FORM_FIELDS.filter((f) => (kind === "once" ? f !== "cron" && f !== "endsAt" && f !== "maxRuns" : f !== "scheduledAt"));
}

/** The values of a submitted form (unknown names ignored, every value trimmed but the body). */
export function formValues(form: URLSearchParams): FormValues {
  const values = {} as FormValues;
  for (const field of FORM_FIELDS) {
    const raw = form.get(field) ?? "";
    values[field] = field === "body" ? raw : raw.trim();
  }
  return values;
}

/**
 * The JSON body of these values' `fields`: a blank field is left out (a create) or null
 * (`clearBlank`: an edit's patch, where null clears); tags are comma-separated; headers are
 * `Name: value` lines. A malformed header line is refused here, naming the field.
 */
export function jsonFromForm(values: FormValues, fields: readonly FormField[], clearBlank = false): JsonObject {
  const body: JsonObject = {};
  for (const field of fields) {
    const value = values[field];
    if (value === "" && clearBlank) body[field] = null;
    else if (field === "tags") {
      if (value !== "") body.tags = value.split(",").map((tag) => tag.trim()).filter((tag) => tag !== "");
    } else if (field === "headers") {
      if (value !== "") body.headers = headerPairs(value);
    } else if (field === "body") {
      if (value !== "") body.body = value.replace(/\r\n/g, "\n");
    } else if (value !== "") {
      body[field] = value;
    }
  }
  return body;
}

function headerPairs(text: string): [string, string][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new FormInputError(`headers: line ${i + 1} must read Name: value.`, "headers");
      return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    });
}

/** A form value refused before the JSON rules saw it: 400 `invalid_body`, shown at `field`. */
export class FormInputError extends HourglassError {
  readonly kind = "invalid";
  readonly field: FormField;
  constructor(message: string, field: FormField) {
    super("invalid_body", message);
    this.field = field;
  }
}

/** The field each of the JSON rules' error codes is about (a one-shot's time and a cron both read `scheduledAt`'s grammar). */
const FIELD_OF_CODE: Readonly<Record<string, FormField>> = {
  invalid_cron: "cron",
  cron_never_fires: "cron",
  invalid_scheduled_at: "scheduledAt",
  invalid_timezone: "timezone",
  invalid_url: "url",
  egress_blocked: "url",
  invalid_tags: "tags",
  invalid_ends_at: "endsAt",
  invalid_max_runs: "maxRuns",
  invalid_header_name: "headers",
  body_too_large: "body",
};

/**
 * Where to show a refusal of the JSON rules: at the field its message starts with ("url …",
 * "headers: …", "cron is required."), else at the field of its code, else above the form.
 */
export function formErrorOf(error: HourglassError, shown: readonly FormField[]): FormError {
  if (error instanceof FormInputError) return { field: error.field, message: error.message };
  const first = /^[A-Za-z]+/.exec(error.message)?.[0];
  const field = FORM_FIELDS.find((f) => f === first) ?? FIELD_OF_CODE[error.code] ?? null;
  return { field: field !== null && shown.includes(field) ? field : null, message: error.message };
}
