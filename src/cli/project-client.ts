import type { Hourglass, Page } from "../../client/src/index.js";
import { resolveBaseUrl } from "./admin-client.js";
import type { ProjectAction, ProjectConnectionFlags } from "./args.js";

/** The project commands: the connection they need, and the client calls each one makes. */

export interface ProjectConnection {
  /** Base URL without a trailing slash; it never holds credentials. */
  baseUrl: string;
  apiKey: string;
}

/** Flags override the environment (HOURGLASS_URL, HOURGLASS_API_KEY). Returns a problem as a string. */
export function resolveProjectConnection(flags: ProjectConnectionFlags, env: Record<string, string | undefined>): ProjectConnection | string {
  const baseUrl = resolveBaseUrl(flags.url, env, "HOURGLASS_API_KEY or --key");
  if (baseUrl.problem !== undefined) return baseUrl.problem;
  const apiKey = (flags.key ?? env.HOURGLASS_API_KEY ?? "").trim();
  if (apiKey === "") return "No API key: set HOURGLASS_API_KEY (or pass --key) to one of the project's keys";
  if (!/^[\x21-\x7e]+$/.test(apiKey)) return "The API key must be printable ASCII without spaces";
  return { baseUrl: baseUrl.url, apiKey };
}

/** At most `limit` items, newest first, following pages; answered as one page of the API would be. */
async function firstItems<T>(limit: number, page: (query: { limit: number; cursor?: string }) => Promise<Page<T>>): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const next: Page<T> = await page({ limit: Math.min(500, limit - items.length), ...(cursor !== null ? { cursor } : {}) });
    items.push(...next.items);
    cursor = next.nextCursor;
  } while (cursor !== null && items.length < limit);
  return { items, nextCursor: cursor };
}

/** Runs one project command; resolves to the API's answer as it came (null for 204). */
export async function callProject(client: Hourglass, action: ProjectAction): Promise<unknown> {
  switch (action.command) {
    case "schedule":
      return client.schedule(
        action.url,
        { method: action.method, headers: action.headers, ...(action.body !== undefined ? { body: action.body } : {}) },
        action.options,
      );
    case "triggers list": {
      const { items, nextCursor } = await firstItems(action.limit, (query) => client.triggers.page({ ...action.filter, ...query }));
      return { triggers: items, nextCursor };
    }
    case "triggers get":
      return client.triggers.get(action.id);
    case "triggers cancel":
      await client.triggers.delete(action.id);
      return null;
    case "triggers replay":
      return client.triggers.replay(action.id);
    case "preview":
      return client.preview(action.query);
    case "flows":
      return { flows: await client.flows() };
    case "generators list": {
      const { items, nextCursor } = await firstItems(action.limit, (query) => client.generators.page(query));
      return { generators: items, nextCursor };
    }
    case "generators get":
      return client.generators.get(action.id);
    case "generators pause":
      return client.generators.pause(action.id);
    case "generators resume":
      return client.generators.resume(action.id);
    case "generators run":
      return client.generators.run(action.id);
    case "generators cancel":
      await client.generators.delete(action.id);
      return null;
  }
}
