import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestError, getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { InvalidInputError } from "../errors.js";
import { acceptSchedule } from "./accept-schedule.js";
import type { AppDeps, AppEnv } from "./context.js";
import { errorAnswer } from "./error-response.js";
import { readIncomingLimited } from "./read-body.js";

/** What `http.createServer` takes. */
export type RequestListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

/**
 * The Node request listener of the real server: `/schedule`, the ingest path, is answered
 * straight from Node's request and response objects; every other request goes through the Hono
 * application. Both run the same {@link acceptSchedule} and the same error mapping.
 */
export function createRequestListener(app: Hono<AppEnv>, deps: AppDeps): RequestListener {
  const viaHono = getRequestListener(app.fetch, {
    // A request the adapter cannot turn into a Fetch request (a bad Host, an absolute-form or `*`
    // target) would otherwise be a bare 400 with no body.
    errorHandler: (error) => {
      const refused = error instanceof RequestError ? new InvalidInputError("malformed_request", `The request cannot be served: ${error.message}.`) : error;
      const { status, body, headers } = errorAnswer(refused, deps);
      return new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json" } });
    },
  });
  return (incoming, outgoing) => {
    if (incoming.url !== "/schedule") {
      void viaHono(incoming, outgoing);
      return;
    }
    const readBody = () => readIncomingLimited(incoming, deps.limits.maxBodyBytes);
    acceptSchedule(deps, { method: incoming.method ?? "GET", rawHeaders: incoming.rawHeaders, readBody }).then(
      (answer) => writeJson(outgoing, 200, answer, undefined),
      (error: unknown) => {
        const { status, body, headers } = errorAnswer(error, deps);
        writeJson(outgoing, status, body, headers);
      },
    );
  };
}

function writeJson(outgoing: ServerResponse, status: number, body: unknown, headers: Record<string, string> | undefined): void {
  const text = JSON.stringify(body);
  outgoing.writeHead(status, { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  outgoing.end(text);
}
