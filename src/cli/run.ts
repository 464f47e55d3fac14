import { callAdmin, requestFor, resolveConnection } from "./admin-client.js";
import { parseCommandLine } from "./args.js";
import { formatApiError, formatResult } from "./format.js";

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
 * process then lives on). The admin token is never written: any output containing it is redacted.
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
      break;
  }

  const connection = resolveConnection(parsed.connection, io.env);
  if (typeof connection === "string") {
    io.stderr(`hourglass: ${connection}\n`);
    return EXIT_USAGE;
  }
  const redact = (text: string) => text.split(connection.token).join("[redacted]");
  const stdout = (text: string) => io.stdout(redact(text));
  const stderr = (text: string) => io.stderr(redact(text));

  const result = await callAdmin(connection, requestFor(parsed.action), io.fetch);
  if (!result.ok) {
    stderr(result.kind === "network" ? `hourglass: ${result.message}\n` : formatApiError(result.error, result.message, result.status));
    return EXIT_FAILED;
  }
  let text: string;
  try {
    text = formatResult(parsed.action, result.body, parsed.json);
  } catch {
    stderr(`hourglass: Unexpected answer from ${connection.baseUrl}; is it a Hourglass server of this version?\n`);
    return EXIT_FAILED;
  }
  stdout(text);
  return EXIT_OK;
}
