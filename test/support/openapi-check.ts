import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { NOT_IN_THE_API, buildOpenApiDocument } from "../../src/http/openapi.js";

/*
 * Test-only: checks an HTTP answer against the OpenAPI document — its status is documented for
 * the operation, and its JSON body validates against the documented schema (ajv, JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1). The harness runs it on every response the tests receive.
 */

type Json = Record<string, any>;

const document = buildOpenApiDocument() as Json;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
// The API's times: ISO-8601 UTC with milliseconds, as Date#toISOString writes them.
ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
ajv.addSchema(document, "openapi");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
/** Templates with fewer parameters first: `/triggers/batch` before `/triggers/{id}`. */
const templates = Object.keys(document.paths as Json)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }))
  .sort((a, b) => a.params - b.params);
const validators = new Map<string, ValidateFunction>();

/** JSON pointer escaping of one reference token. */
const escape = (token: string) => token.replace(/~/g, "~0").replace(/\//g, "~1");

function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `openapi#${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** The documented operation for `method` on `pathname`, with its JSON pointer; null when none is. */
export function findOperation(method: string, pathname: string): { pointer: string; operation: Json } | null {
  const lower = method.toLowerCase();
  for (const { template, pattern } of templates) {
    const item = document.paths[template] as Json;
    if (pattern.test(pathname) && item[lower] !== undefined) {
      return { pointer: `/paths/${escape(template)}/${lower}`, operation: item[lower] };
    }
  }
  return null;
}

/** Every (method, path template) the document describes. */
export function documentedOperations(): { method: string; path: string }[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.keys(item as Json)
      .filter((key) => METHODS.includes(key))
      .map((method) => ({ method, path })),
  );
}

/** Throws, saying what differs, when the answer does not match the document. */
export function checkAnswer(method: string, url: string, status: number, contentType: string | null, text: string): void {
  if (method.toUpperCase() === "HEAD") return;
  const pathname = new URL(url, "http://localhost").pathname;
  if (pathname === NOT_IN_THE_API || pathname.startsWith(`${NOT_IN_THE_API}/`)) return;
  const what = `${method} ${pathname} → ${status}`;
  const found = findOperation(method, pathname);
  let pointer: string;
  let responses: Json;
  if (found === null) {
    // An unknown route: the app's not-found answer, the same for every path.
    if (status !== 404) throw new Error(`OpenAPI: ${what}: no documented operation`);
    pointer = "/components/responses/Error404";
    responses = { "404": { $ref: `#${pointer}` } };
  } else {
    pointer = `${found.pointer}/responses`;
    responses = found.operation.responses;
  }
  let key = String(status);
  let response = responses[key];
  if (response === undefined) throw new Error(`OpenAPI: ${what}: status ${status} is not documented (body ${text.slice(0, 200)})`);
  let responsePointer = `${pointer}/${key}`;
  if (typeof response.$ref === "string") {
    responsePointer = response.$ref.slice(1);
    const name = responsePointer.split("/").pop() as string;
    response = document.components.responses[name];
    key = name;
  }
  const content = response.content as Json | undefined;
  if (content === undefined) {
    if (text.length > 0) throw new Error(`OpenAPI: ${what}: documented without a body, got ${text.slice(0, 200)}`);
    return;
  }
  const mediaType = (contentType ?? "").split(";")[0]?.trim() ?? "";
  if (content[mediaType] === undefined) throw new Error(`OpenAPI: ${what}: content type ${mediaType || "(none)"} is not documented`);
  if (mediaType !== "application/json") return;
  const validate = validatorAt(`${responsePointer}/content/${escape(mediaType)}/schema`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`OpenAPI: ${what}: the body is not JSON: ${text.slice(0, 200)}`);
  }
  if (!validate(body)) {
    throw new Error(`OpenAPI: ${what}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
  }
}

/** {@link checkAnswer} on a Response (read from a clone; the caller's stays unread). */
export async function checkResponse(method: string, url: string, response: Response): Promise<void> {
  const text = await response.clone().text();
  checkAnswer(method, url, response.status, response.headers.get("content-type"), text);
}
