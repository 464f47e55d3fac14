import { Hourglass, HourglassConnectionError, HourglassError } from "../../client/src/index.js";
import { callAdmin, resolveConnection } from "./admin-client.js";
import { parseCommandLine } from "./args.js";
import { formatApiError, formatProjectResult, formatResult } from "./format.js";
import { callProject, resolveProjectConnection } from "./project-client.js";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Starts the server (`hourglass serve`); resolves once it is running. */
  serve: () => Promise<void>;
  fetch?: typeof fetch;
}

/** Exit codes: 0 success, 1 the API (or the network) failed, 2 a usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * Runs one command line. Returns the exit code, or "serving" when the server was started (the
 * process then lives on). The admin token and the API key are never written: any output
 * containing them is redacted.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number | "serving"> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case "help":
      io.stdout(parsed.text);
      return EXIT_OK;
    case "usage-error":
      io.stderr(`hourglass: ${parsed.message}\n\n${parsed.usage}`);
      return EXIT_USAGE;
    case "serve":
      await io.serve();
      return "serving";
    case "admin":
    case "project":
      break;
  }

  const connection = parsed.kind === "admin" ? resolveConnection(parsed.connection, io.env) : resolveProjectConnection(parsed.connection, io.env);
  if (typeof connection === "string") {
    io.stderr(`hourglass: ${connection}\n`);
    return EXIT_USAGE;
  }
  const secret = "token" in connection ? connection.token : connection.apiKey;
  const redact = (text: string) => text.split(secret).join("[redacted]");
  const stdout = (text: string) => io.stdout(redact(text));
  const stderr = (text: string) => io.stderr(redact(text));

  const client = new Hourglass({
    baseUrl: connection.baseUrl,
    ...("token" in connection ? { adminToken: connection.token } : { apiKey: connection.apiKey }),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  let body: unknown;
  try {
    body = parsed.kind === "admin" ? await callAdmin(client, parsed.action) : await callProject(client, parsed.action);
  } catch (error) {
    if (error instanceof HourglassError) stderr(formatApiError(error.code, error.message, error.status));
    else if (error instanceof HourglassConnectionError) stderr(`hourglass: ${error.message}\n`);
    else if (error instanceof TypeError) {
      // What the platform's Request refuses before anything is sent (a bad header, say).
      stderr(`hourglass: ${error.message}\n`);
      return EXIT_USAGE;
    } else throw error;
    return EXIT_FAILED;
  }
  let text: string;
  try {
    text = parsed.kind === "admin" ? formatResult(parsed.action, body, parsed.json) : formatProjectResult(parsed.action, body, parsed.json);
  } catch {
    stderr(`hourglass: Unexpected answer from ${connection.baseUrl}; is it a Hourglass server of this version?\n`);
    return EXIT_FAILED;
  }
  stdout(text);
  return EXIT_OK;
}
