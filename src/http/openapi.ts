import { KNOWN_TTR_HEADERS } from "../schedule/ttr-headers.js";
import { GENERATOR_STATUS, TRIGGER_STATUS } from "../store/types.js";
import { ERROR_CODES, type ErrorStatus } from "./error-codes.js";
import { MAX_BATCH_ITEMS } from "./json-schedule.js";

/*
 * The OpenAPI 3.1 description of every route, served at GET /openapi.json. One source: this
 * module builds it; the tests check it against the routes the app serves and validate every
 * response they receive against it.
 */

type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: "string" };
const strOrNull: Schema = { type: ["string", "null"] };
const int: Schema = { type: "integer" };
const intOrNull: Schema = { type: ["integer", "null"] };
const time: Schema = { type: "string", format: "date-time" };
const timeOrNull: Schema = { type: ["string", "null"], format: "date-time" };
const id: Schema = { type: "string", pattern: "^[0-9A-HJKMNP-TV-Z]{26}$" };
const idOrNull: Schema = { type: ["string", "null"], pattern: "^[0-9A-HJKMNP-TV-Z]{26}$" };
const headerPairs: Schema = { type: "array", items: { type: "array", prefixItems: [str, str], minItems: 2, maxItems: 2 } };

/** An object of these properties, only `required` ones required. */
const loose = (properties: Record<string, Schema>, required: string[]): Schema => ({ type: "object", properties, required, additionalProperties: false });

/** An object with exactly these properties, all required unless listed in `optional`. */
function object(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: "object", properties, required: Object.keys(properties).filter((p) => !optional.includes(p)), additionalProperties: false };
}

const errorBody = (codes: readonly string[]): Schema =>
  object({ error: { type: "string", enum: [...codes] }, message: str });

const scheduleResponse = object({
  triggerId: id,
  scheduledAt: time,
  operation: { enum: ["schedule", "reschedule"] },
  kind: { enum: ["job", "generator"] },
  monthQuotaRemaining: intOrNull,
});

const deliveryView = {
  retries: int,
  retryDelayMs: int,
  timeoutMs: int,
  callbackUrl: strOrNull,
  failureUrl: strOrNull,
  successStatus: { type: "string", description: "The statuses that succeed (ttr-success-status; default 2xx,3xx)." },
  retryOn: { type: "string", description: "The failures retried (ttr-retry-on; default 408,429,5xx,network)." },
  flowKey: { type: ["string", "null"], description: "The project's flow whose limits hold its attempts (ttr-flow-key; null: none)." },
};

/** The stored request and its labels, as trigger and generator views show them (bodyBase64 on a single one's page). */
const requestView = {
  method: str,
  url: str,
  headers: headerPairs,
  bodySize: int,
  bodyBase64: strOrNull,
  title: strOrNull,
  tags: { type: "array", items: str },
};

const triggerProperties: Record<string, Schema> = {
  id,
  kind: { enum: ["job", "generator", "callback"] },
  origin: { enum: ["job", "tick", "run", "callback"] },
  generatorId: idOrNull,
  parentTriggerId: idOrNull,
  customKey: strOrNull,
  status: { enum: Object.values(TRIGGER_STATUS) },
  scheduledAt: time,
  ...requestView,
  attempts: int,
  retriesLeft: int,
  ...deliveryView,
  createdAt: time,
  updatedAt: time,
  finishedAt: timeOrNull,
  cancelReason: strOrNull,
  flowWaiting: {
    enum: ["parallelism", "rate", null],
    description: "Registered but held back by its flow: parallelism (its flow has its most attempts in flight) or rate (waiting for its turn in a later second); null otherwise.",
  },
};
const triggerView = object(triggerProperties, ["bodyBase64"]);
/** GET /triggers/:id: with the body and the executions. */
const triggerDetail = object({ ...triggerProperties, executions: { type: "array", items: ref("Execution") } });

const generatorProperties: Record<string, Schema> = {
  id,
  customKey: strOrNull,
  status: { enum: Object.values(GENERATOR_STATUS) },
  cron: str,
  timezone: str,
  runMissed: { enum: ["skip", "once", "all"] },
  overlap: { enum: ["allow", "skip", "cancel-previous"] },
  nextAt: timeOrNull,
  note: strOrNull,
  endsAt: timeOrNull,
  maxRuns: intOrNull,
  runs: int,
  endReason: strOrNull,
  pendingTriggerId: idOrNull,
  ...requestView,
  ...deliveryView,
  createdAt: time,
  updatedAt: time,
};
const generatorView = object(generatorProperties, ["bodyBase64"]);

const executionView = object({
  id,
  triggerId: id,
  attempt: int,
  startedAt: time,
  finishedAt: time,
  durationMs: int,
  outcome: { enum: ["succeeded", "failed"] },
  httpStatus: intOrNull,
  error: strOrNull,
  responseHeaders: headerPairs,
  responseExcerpt: strOrNull,
  retryAt: timeOrNull,
});

const projectView = object({
  id,
  name: str,
  createdAt: time,
  monthQuota: intOrNull,
  usedThisMonth: int,
  rateLimit: intOrNull,
  allowedTargets: { type: "array", items: str },
  allowedPorts: { type: "array", items: str },
  defaults: object({ retries: intOrNull, retryDelayMs: intOrNull, timeoutMs: intOrNull, callbackUrl: strOrNull, failureUrl: strOrNull }),
});

const issuedKey = object({ id, prefix: str, key: str });

const bulkFilter = loose(
  {
    tag: str,
    customKeyPrefix: str,
    status: { enum: Object.values(TRIGGER_STATUS) },
    kind: { enum: ["job", "generator", "callback"] },
    generatorId: id,
    scheduledFrom: { type: "string", description: "Nominal time at or after this instant (ttr-scheduled-at grammar, no cron)." },
    scheduledBefore: { type: "string", description: "Nominal time before this instant." },
    timezone: str,
    all: { type: "boolean", description: "Act on every trigger of the project (no other term needed)." },
    dryRun: { type: "boolean", description: "Only count what matches." },
  },
  [],
);

const previewOnce = object({ kind: { const: "once" }, scheduledAt: time, timezone: str, local: str });
const fireTime: Schema = {
  oneOf: [
    object({ at: time, local: str, dst: { type: "null" } }),
    object({ at: time, local: str, dst: { const: "gap" }, wallTime: str, shiftMs: int }),
    object({ at: time, local: str, dst: { const: "overlap" }, pass: int, firesOnBothPasses: { type: "boolean" } }),
    object({ at: time, local: str, dst: { const: "skipped" }, skipped: object({ count: int, first: str, last: str }) }),
  ],
};
const previewCron = object({
  kind: { const: "cron" },
  cron: str,
  timezone: str,
  pattern: { enum: ["wall-clock", "cadence"] },
  from: time,
  fireTimes: { type: "array", items: fireTime },
});

/** The create fields of a one-shot (`POST /triggers`); a generator swaps `scheduledAt` for `cron`, `runMissed`, `overlap`. */
const triggerFields: Record<string, Schema> = {
  url: { type: "string", description: "Absolute http(s) URL to call; egress-checked. As ttr-url." },
  method: { type: "string", description: "HTTP method to replay (default POST). GET, HEAD and OPTIONS carry no body." },
  headers: {
    description: "Headers to replay: [name, value] pairs in order (duplicates kept), or an object. Not-forwarded headers are dropped as on /schedule; ttr- headers are refused.",
    oneOf: [headerPairs, { type: "object", additionalProperties: str }],
  },
  body: { type: ["string", "null"], description: "Body as text (sent as UTF-8). At most HOURGLASS_MAX_BODY_BYTES once encoded." },
  bodyBase64: { type: ["string", "null"], description: "Body as standard padded base64 (not with body)." },
  scheduledAt: { type: "string", description: "When: the ttr-scheduled-at grammar without cron(…) (`now | add 10s`, an ISO-8601 time)." },
  timezone: { type: ["string", "null"], description: "IANA zone, as ttr-timezone." },
  customKey: { type: ["string", "null"], description: "Idempotency key, as ttr-custom-key: a live owner is edited (200 reschedule)." },
  title: strOrNull,
  tags: { type: ["array", "null"], items: str },
  retries: { type: ["integer", "string", "null"], description: "0–20, as ttr-retries." },
  retryDelay: { type: ["string", "integer", "null"], description: "Duration (`500ms`, `10s`, `5m`, `1h`; a number is seconds), as ttr-retry-delay." },
  timeout: { type: ["string", "integer", "null"], description: "Duration, as ttr-timeout." },
  callbackUrl: strOrNull,
  failureUrl: strOrNull,
  successStatus: { type: ["string", "null"], description: "Statuses that succeed, as ttr-success-status (`2xx,409`)." },
  retryOn: { type: ["string", "null"], description: "Failures to retry, as ttr-retry-on (`429,5xx,network`)." },
  flowKey: { type: ["string", "null"], description: "The flow its attempts belong to, as ttr-flow-key (default with a limit: the URL's origin)." },
  flowParallelism: { type: ["integer", "string", "null"], description: "1–1,000: the flow's attempts in flight at once, as ttr-flow-parallelism; sets the flow's limits." },
  flowRate: { type: ["integer", "string", "null"], description: "1–10,000: the flow's attempts started per second, as ttr-flow-rate; sets the flow's limits." },
};
const { scheduledAt: _scheduledAt, ...sharedFields } = triggerFields;
const generatorFields: Record<string, Schema> = {
  ...sharedFields,
  cron: { type: "string", description: "What goes inside cron(…): `expr[, zone]`; the zone, else timezone, else UTC." },
  runMissed: { enum: ["skip", "once", "all"] },
  overlap: { enum: ["allow", "skip", "cancel-previous"] },
  endsAt: { type: ["string", "null"], description: "No tick after this instant, as ttr-ends-at." },
  maxRuns: { type: ["integer", "string", "null"], description: "End after this many ticks, as ttr-max-runs." },
};

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: "Invalid input.",
  401: "Missing or invalid key or token.",
  402: "The project's monthly quota is used up.",
  404: "Not found (another project's ids too).",
  405: "Method not allowed.",
  408: "The request did not arrive in time.",
  409: "Conflicts with the current state.",
  410: "Already executed, cancelled or revoked.",
  413: "A body over its limit.",
  429: "Over the project's rate limit (Retry-After).",
  431: "Headers over their limit.",
  500: "Our fault; logged.",
  503: "Shutting down, overloaded, or the database out of reach (Retry-After).",
};

/** Statuses every request may meet, whatever the route. */
const ANY_ROUTE: ErrorStatus[] = [400, 408, 413, 431, 500, 503];
const AUTHENTICATED: ErrorStatus[] = [...ANY_ROUTE, 401, 404];
const WRITES: ErrorStatus[] = [...AUTHENTICATED, 402, 409, 410, 429];

function operation(summary: string, responses: Record<string, unknown>, errors: ErrorStatus[], extra: Operation = {}): Operation {
  const all: Record<string, unknown> = { ...responses };
  for (const status of new Set(errors)) all[String(status)] = { $ref: `#/components/responses/Error${status}` };
  return { summary, ...extra, responses: all };
}

const jsonContent = (schema: Schema) => ({ "application/json": { schema } });
const ok = (description: string, schema: Schema) => ({ description, content: jsonContent(schema) });
const noContent = { description: "Done." };
const body = (schema: Schema, description?: string) => ({ required: true, content: jsonContent(schema), ...(description ? { description } : {}) });
const pathId = (name = "id") => ({ name, in: "path", required: true, schema: str });
const query = (name: string, schema: Schema, description?: string) => ({ name, in: "query", required: false, schema, ...(description ? { description } : {}) });
const page = [query("limit", { type: "integer", minimum: 1, maximum: 500 }), query("cursor", str)];
const reveal = query("reveal", { enum: ["headers"] }, "Show secret-bearing header values unmasked.");
const bearer = [{ apiKey: [] }, { bearer: [] }];
const admin = [{ adminToken: [] }];

function ttrHeaderParameters(names: readonly string[], required: readonly string[]) {
  return names.map((name) => ({ name, in: "header", required: required.includes(name), schema: str }));
}

/** The `/schedule` operation, the same for every method but HEAD (which answers no body). */
const scheduleOperation = (method: string): Operation =>
  operation(
    "Schedule this request (method, headers, body) to be replayed at ttr-url later, once or on cron; see docs/protocol.md",
    { "200": ok("Stored.", scheduleResponse) },
    [...WRITES],
    {
      operationId: `schedule${method}`,
      security: [],
      parameters: ttrHeaderParameters(KNOWN_TTR_HEADERS, ["ttr-api-key", "ttr-url", "ttr-scheduled-at"]),
      ...(method === "Get" || method === "Options" ? {} : { requestBody: { required: false, content: { "*/*": { schema: {} } }, description: "Stored byte-exact and replayed." } }),
    },
  );

/** Builds the document (a plain JSON value). */
/**
 * Paths served for people, not programs: the dashboard's HTML pages (docs/dashboard.md). The
 * document leaves them out, and its tests do not hold them to it.
 */
export const NOT_IN_THE_API = "/ui";

export function buildOpenApiDocument(): Record<string, unknown> {
  const errorResponses: Record<string, unknown> = {};
  for (const [status, codes] of Object.entries(ERROR_CODES)) {
    errorResponses[`Error${status}`] = {
      description: `${ERROR_DESCRIPTIONS[Number(status) as ErrorStatus]} Codes: ${codes.join(", ")}.`,
      content: jsonContent(errorBody(codes)),
    };
  }
  const batchItem: Schema = { oneOf: [scheduleResponse, object({ error: str, message: str, status: int })] };
  const created = { "201": ok("Created.", scheduleResponse), "200": ok("An existing trigger owned the custom key: edited.", scheduleResponse) };
  const generatorPatch = loose({ ...generatorFields, paused: { type: "boolean" } }, []);

  return {
    openapi: "3.1.0",
    info: {
      title: "Hourglass",
      version: "0.1.0",
      description:
        "Self-hosted scheduling HTTP proxy. Schedule through the ttr- header proxy (/schedule, /cancel) or the JSON API; read and manage triggers, generators and executions. Every error is {\"error\": code, \"message\": sentence}.",
    },
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "ttr-api-key" },
        bearer: { type: "http", scheme: "bearer", description: "The project's API key." },
        adminToken: { type: "http", scheme: "bearer", description: "HOURGLASS_ADMIN_TOKEN." },
      },
      schemas: {
        ScheduleResponse: scheduleResponse,
        Trigger: triggerView,
        Flow: object({ key: str, parallelism: intOrNull, rate: intOrNull, inFlight: int, waiting: int }),
        Generator: generatorView,
        Execution: executionView,
        Project: projectView,
        IssuedKey: issuedKey,
        TriggerCreate: loose(triggerFields, ["url", "scheduledAt"]),
        GeneratorCreate: loose(generatorFields, ["url", "cron"]),
      },
      responses: errorResponses,
    },
    paths: {
      "/schedule": Object.fromEntries(
        ["get", "post", "put", "patch", "delete", "options"].map((m) => [m, scheduleOperation(m[0]?.toUpperCase() + m.slice(1))]),
      ),
      "/cancel": {
        delete: operation("Cancel by ttr-trigger-id or ttr-custom-key (exactly one)", { "204": noContent }, [...WRITES], {
          security: [],
          parameters: ttrHeaderParameters(["ttr-api-key", "ttr-trigger-id", "ttr-custom-key"], ["ttr-api-key"]),
        }),
        ...Object.fromEntries(
          ["get", "post", "put", "patch"].map((m) => [m, operation("Any method but DELETE: 405 (Allow: DELETE)", {}, [405, ...ANY_ROUTE], { security: [] })]),
        ),
      },
      "/triggers": {
        get: operation("List triggers, newest first", { "200": ok("A page.", object({ triggers: { type: "array", items: ref("Trigger") }, nextCursor: idOrNull })) }, AUTHENTICATED, {
          security: bearer,
          parameters: [
            query("status", { enum: Object.values(TRIGGER_STATUS) }),
            query("kind", { enum: ["job", "generator", "callback"] }),
            query("generatorId", str),
            query("customKey", str),
            query("tag", str),
            query("waitingFor", { enum: ["flow"] }, "Only triggers their flow holds back."),
            ...page,
            reveal,
          ],
        }),
        post: operation("Create a one-shot trigger (as /schedule)", created, WRITES, { security: bearer, requestBody: body(ref("TriggerCreate")) }),
      },
      ...Object.fromEntries(
        (["cancel", "replay"] as const).map((action) => [
          `/triggers/bulk-${action}`,
          {
            post: operation(
              action === "cancel"
                ? "Cancel the waiting triggers a filter matches, in bounded steps; dryRun only counts"
                : "Replay the executed triggers a filter matches, in bounded steps; dryRun only counts",
              { "200": ok("What matched and what was affected.", object({ action: { const: action }, dryRun: { type: "boolean" }, matched: int, affected: int })) },
              [...AUTHENTICATED, 429],
              { security: bearer, requestBody: body(bulkFilter) },
            ),
          },
        ]),
      ),
      "/triggers/batch": {
        post: operation(
          `Create up to ${MAX_BATCH_ITEMS} one-shot triggers in one transaction; each item answered in its place`,
          { "200": ok("One result or error per item.", object({ results: { type: "array", items: batchItem } })) },
          [...AUTHENTICATED, 429],
          {
            security: bearer,
            requestBody: body(object({ items: { type: "array", minItems: 1, maxItems: MAX_BATCH_ITEMS, items: ref("TriggerCreate") } }), "At most HOURGLASS_MAX_BATCH_BODY_BYTES."),
          },
        ),
      },
      "/triggers/{id}": {
        parameters: [pathId()],
        get: operation("One trigger with its body and executions (oldest first)", { "200": ok("The trigger.", triggerDetail) }, AUTHENTICATED, {
          security: bearer,
          parameters: [reveal],
        }),
        patch: operation("Edit a waiting one-shot: the fields given change, the rest stay (null clears an optional one)", { "200": ok("The trigger.", ref("Trigger")) }, WRITES, {
          security: bearer,
          requestBody: body(loose(triggerFields, [])),
        }),
        delete: operation("Cancel, as /cancel by id", { "204": noContent }, WRITES, { security: bearer }),
      },
      "/triggers/{id}/replay": {
        parameters: [pathId()],
        post: operation("Fire an executed trigger again now", { "200": ok("Replayed.", object({ triggerId: id, scheduledAt: time })) }, WRITES, { security: bearer }),
      },
      "/generators": {
        get: operation("List generators, newest first", { "200": ok("A page.", object({ generators: { type: "array", items: ref("Generator") }, nextCursor: idOrNull })) }, AUTHENTICATED, {
          security: bearer,
          parameters: [...page, reveal],
        }),
        post: operation("Create a generator (as /schedule with cron(…))", created, WRITES, { security: bearer, requestBody: body(ref("GeneratorCreate")) }),
      },
      "/generators/{id}": {
        parameters: [pathId()],
        get: operation("One generator with its body", { "200": ok("The generator.", object(generatorProperties)) }, AUTHENTICATED, {
          security: bearer,
          parameters: [reveal],
        }),
        patch: operation("Edit a generator (the fields given), and/or pause or resume it, in one transaction", { "200": ok("The generator.", ref("Generator")) }, WRITES, {
          security: bearer,
          requestBody: body(generatorPatch),
        }),
        delete: operation("Cancel, with every instance still waiting", { "204": noContent }, WRITES, { security: bearer }),
      },
      "/generators/{id}/run": {
        parameters: [pathId()],
        post: operation("One extra run now", { "200": ok("Queued.", object({ triggerId: id, scheduledAt: time })) }, WRITES, { security: bearer }),
      },
      "/flows": {
        get: operation("The project's flows: limits, attempts in flight, triggers waiting", { "200": ok("By key.", object({ flows: { type: "array", items: ref("Flow") } })) }, AUTHENTICATED, {
          security: bearer,
        }),
      },
      "/executions": {
        get: operation("Attempts, newest first", { "200": ok("A page.", object({ executions: { type: "array", items: ref("Execution") }, nextCursor: idOrNull })) }, AUTHENTICATED, {
          security: bearer,
          parameters: [query("triggerId", str), ...page],
        }),
      },
      "/signing-secret": {
        post: operation("Create or rotate the project's signing secret", { "200": ok("The new secret.", object({ secret: str, signingWith: int })) }, AUTHENTICATED, { security: bearer }),
        delete: operation("Stop signing", { "204": noContent }, AUTHENTICATED, { security: bearer }),
      },
      "/signing-secret/previous": {
        delete: operation("End a rotation", { "204": noContent }, AUTHENTICATED, { security: bearer }),
      },
      "/admin/projects": {
        get: operation("Projects", { "200": ok("All projects.", object({ projects: { type: "array", items: ref("Project") } })) }, AUTHENTICATED, { security: admin }),
        post: operation("Create a project and its first key (shown once)", { "201": ok("Created.", object({ project: ref("Project"), apiKey: ref("IssuedKey") })) }, AUTHENTICATED, {
          security: admin,
          requestBody: body(object({ name: str })),
        }),
      },
      "/admin/projects/{id}": {
        parameters: [pathId()],
        patch: operation("Set a project's name, quota, rate limit, egress entries, delivery defaults", { "200": ok("The project.", ref("Project")) }, AUTHENTICATED, {
          security: admin,
          requestBody: body(
            loose(
              {
                name: str,
                monthQuota: intOrNull,
                rateLimit: intOrNull,
                allowedTargets: { type: "array", items: { type: ["string", "integer"] } },
                allowedPorts: { type: "array", items: { type: ["string", "integer"] } },
                defaults: loose(
                  {
                    retries: { type: ["integer", "string", "null"] },
                    retryDelay: { type: ["integer", "string", "null"] },
                    timeout: { type: ["integer", "string", "null"] },
                    callbackUrl: strOrNull,
                    failureUrl: strOrNull,
                  },
                  [],
                ),
              },
              [],
            ),
          ),
        }),
      },
      "/admin/projects/{id}/keys": {
        parameters: [pathId()],
        get: operation("A project's keys (never the keys themselves)", { "200": ok("Keys.", object({ keys: { type: "array", items: object({ id, prefix: str, createdAt: time, revokedAt: timeOrNull }) } })) }, AUTHENTICATED, { security: admin }),
        post: operation("Issue a key (shown once)", { "201": ok("The key.", ref("IssuedKey")) }, AUTHENTICATED, { security: admin }),
      },
      "/admin/keys/{id}": {
        parameters: [pathId()],
        delete: operation("Revoke a key", { "204": noContent }, [...AUTHENTICATED, 410], { security: admin }),
      },
      "/admin/projects/{id}/signing-secret": {
        parameters: [pathId()],
        post: operation("Rotate a project's signing secret", { "200": ok("The new secret.", object({ secret: str, signingWith: int })) }, AUTHENTICATED, { security: admin }),
      },
      "/admin/projects/{id}/signing-secret/previous": {
        parameters: [pathId()],
        delete: operation("End a project's rotation", { "204": noContent }, AUTHENTICATED, { security: admin }),
      },
      "/preview": {
        get: operation(
          "What a ttr-scheduled-at resolves to: a one-shot's instant, or a cron's next fire times with their DST marks (nothing stored)",
          { "200": ok("The resolved time(s).", { oneOf: [previewOnce, previewCron] }) },
          AUTHENTICATED,
          {
            security: bearer,
            parameters: [query("scheduledAt", str), query("timezone", str), query("count", { type: "string", pattern: "^[0-9]+$" }), query("from", str)],
          },
        ),
      },
      "/admin/clock": {
        get: operation("The virtual clock (HOURGLASS_CLOCK=manual)", { "200": ok("Its time.", object({ mode: { const: "manual" }, now: time })) }, [...AUTHENTICATED, 409], {
          security: admin,
        }),
        post: operation(
          "Move the virtual clock, firing everything due on the way, in due order, before answering",
          { "200": ok("Moved.", object({ mode: { const: "manual" }, now: time, attempts: int })) },
          [...AUTHENTICATED, 409],
          { security: admin, requestBody: body(loose({ advanceBy: str, set: str, timezone: str }, [])) },
        ),
      },
      "/healthz": {
        get: {
          summary: "Readiness: 200 when the database can be read (no auth)",
          security: [],
          responses: {
            "200": ok("Ready.", object({ status: { const: "ok" } })),
            "503": ok("Not ready.", object({ status: { enum: ["store_unavailable", "shutting_down"] } })),
          },
        },
      },
      "/metrics": {
        get: { summary: "Prometheus metrics (no auth)", security: [], responses: { "200": { description: "Prometheus text format.", content: { "text/plain": { schema: str } } } } },
      },
      "/openapi.json": {
        get: { summary: "This document (no auth)", security: [], responses: { "200": ok("OpenAPI 3.1.", { type: "object" }) } },
      },
    },
  };
}
