import { type ScheduleOptions, scheduleRequestParts } from "./schedule-request.js";
import { type FetchLike, type JsonCall, Transport } from "./transport.js";
import type {
  ApiKeyView,
  BatchResult,
  BulkFilter,
  BulkResult,
  ClockState,
  Execution,
  Flow,
  Generator,
  GeneratorCreate,
  GeneratorDetail,
  GeneratorEdit,
  Id,
  IssuedKey,
  Page,
  PageQuery,
  Preview,
  PreviewQuery,
  Project,
  ProjectChanges,
  QueuedRun,
  ScheduleResponse,
  SigningSecret,
  Trigger,
  TriggerCreate,
  TriggerDetail,
  TriggerEdit,
  TriggerFilter,
} from "./types.js";

export interface HourglassOptions {
  /** Where Hourglass listens, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  baseUrl: string | URL;
  /** A project's API key (`hg_…`): scheduling, the JSON API, reads. */
  apiKey?: string;
  /** The operator's HOURGLASS_ADMIN_TOKEN: the `admin` methods. */
  adminToken?: string;
  /** Replaces the platform's `fetch` (tests, proxies, instrumentation). */
  fetch?: FetchLike;
  /** Per request, default 30 000. */
  timeoutMs?: number;
}

/** List filters plus the page size the iterator asks for (1–500). */
export type ListOptions<F = object> = F & { pageSize?: number };

const seg = encodeURIComponent;

/** Every item of every page, following `nextCursor` until it is null. */
async function* everyItem<T>(fetchPage: (cursor: Id | undefined) => Promise<Page<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: Id | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

const revealQuery = (reveal: boolean | undefined) => (reveal ? "headers" : undefined);

/** One-shot triggers: create (one or a batch), edit, cancel, read, replay. */
export class Triggers {
  constructor(private readonly t: Transport) {}

  /** `POST /triggers`. */
  create(input: TriggerCreate): Promise<ScheduleResponse> {
    return this.t.json({ method: "POST", path: "/triggers", auth: "key", body: input });
  }

  /** `POST /triggers/batch`: 1 to 1,000 in one transaction; each item answered in its place. */
  async batch(items: TriggerCreate[]): Promise<BatchResult[]> {
    return (await this.t.json<{ results: BatchResult[] }>({ method: "POST", path: "/triggers/batch", auth: "key", body: { items } })).results;
  }

  /** `PATCH /triggers/:id`: the fields given change (`null` clears one), the others stay. */
  edit(id: Id, changes: TriggerEdit): Promise<Trigger> {
    return this.t.json({ method: "PATCH", path: `/triggers/${seg(id)}`, auth: "key", body: changes });
  }

  /** `DELETE /triggers/:id`: cancel a trigger (a generator's id is 404: see generators.delete). */
  async delete(id: Id): Promise<void> {
    await this.t.json({ method: "DELETE", path: `/triggers/${seg(id)}`, auth: "key" });
  }

  /** `GET /triggers/:id`: with its body (base64) and its executions, oldest first. */
  get(id: Id, options: { revealHeaders?: boolean } = {}): Promise<TriggerDetail> {
    return this.t.json({ method: "GET", path: `/triggers/${seg(id)}`, auth: "key", query: { reveal: revealQuery(options.revealHeaders) } });
  }

  /** `POST /triggers/:id/replay`: fire an executed trigger again now. */
  replay(id: Id): Promise<QueuedRun> {
    return this.t.json({ method: "POST", path: `/triggers/${seg(id)}/replay`, auth: "key" });
  }

  /** `POST /triggers/bulk-cancel`: cancel the waiting triggers `filter` matches (`dryRun`: only count them). */
  bulkCancel(filter: BulkFilter): Promise<BulkResult> {
    return this.t.json({ method: "POST", path: "/triggers/bulk-cancel", auth: "key", body: filter });
  }

  /** `POST /triggers/bulk-replay`: replay the executed triggers `filter` matches (`dryRun`: only count them). */
  bulkReplay(filter: BulkFilter): Promise<BulkResult> {
    return this.t.json({ method: "POST", path: "/triggers/bulk-replay", auth: "key", body: filter });
  }

  /** One page of `GET /triggers`, newest first. */
  async page(query: TriggerFilter & PageQuery = {}): Promise<Page<Trigger>> {
    const { revealHeaders, ...rest } = query;
    const call: JsonCall = { method: "GET", path: "/triggers", auth: "key", query: { ...rest, reveal: revealQuery(revealHeaders) } };
    const { triggers, nextCursor } = await this.t.json<{ triggers: Trigger[]; nextCursor: Id | null }>(call);
    return { items: triggers, nextCursor };
  }

  /** Every trigger that matches, newest first, page after page: `for await (const t of hg.triggers.list({ status: "failed" }))`. */
  list(options: ListOptions<TriggerFilter> = {}): AsyncGenerator<Trigger, void, undefined> {
    const { pageSize, ...filter } = options;
    return everyItem((cursor) => this.page({ ...filter, ...(pageSize !== undefined ? { limit: pageSize } : {}), ...(cursor ? { cursor } : {}) }));
  }
}

/** Generators (cron): create, edit, pause, resume, run now, cancel, read. */
export class Generators {
  constructor(private readonly t: Transport) {}

  /** `POST /generators`. */
  create(input: GeneratorCreate): Promise<ScheduleResponse> {
    return this.t.json({ method: "POST", path: "/generators", auth: "key", body: input });
  }

  /** `PATCH /generators/:id`: the fields given, and/or `paused`, in one transaction. */
  edit(id: Id, changes: GeneratorEdit): Promise<Generator> {
    return this.t.json({ method: "PATCH", path: `/generators/${seg(id)}`, auth: "key", body: changes });
  }

  /** Pause: the pending tick is cancelled and remembered. */
  pause(id: Id): Promise<Generator> {
    return this.edit(id, { paused: true });
  }

  /** Resume: the remembered tick comes back (if its time has passed, `runMissed` decides). */
  resume(id: Id): Promise<Generator> {
    return this.edit(id, { paused: false });
  }

  /** `POST /generators/:id/run`: one extra run now; the schedule is untouched. */
  run(id: Id): Promise<QueuedRun> {
    return this.t.json({ method: "POST", path: `/generators/${seg(id)}/run`, auth: "key" });
  }

  /** `DELETE /generators/:id`: cancel it and every instance still waiting. */
  async delete(id: Id): Promise<void> {
    await this.t.json({ method: "DELETE", path: `/generators/${seg(id)}`, auth: "key" });
  }

  /** `GET /generators/:id`, with its body. */
  get(id: Id, options: { revealHeaders?: boolean } = {}): Promise<GeneratorDetail> {
    return this.t.json({ method: "GET", path: `/generators/${seg(id)}`, auth: "key", query: { reveal: revealQuery(options.revealHeaders) } });
  }

  /** One page of `GET /generators`, newest first. */
  async page(query: { revealHeaders?: boolean } & PageQuery = {}): Promise<Page<Generator>> {
    const { revealHeaders, ...rest } = query;
    const call: JsonCall = { method: "GET", path: "/generators", auth: "key", query: { ...rest, reveal: revealQuery(revealHeaders) } };
    const { generators, nextCursor } = await this.t.json<{ generators: Generator[]; nextCursor: Id | null }>(call);
    return { items: generators, nextCursor };
  }

  /** Every generator, page after page. */
  list(options: ListOptions<{ revealHeaders?: boolean }> = {}): AsyncGenerator<Generator, void, undefined> {
    const { pageSize, ...filter } = options;
    return everyItem((cursor) => this.page({ ...filter, ...(pageSize !== undefined ? { limit: pageSize } : {}), ...(cursor ? { cursor } : {}) }));
  }
}

/** Delivery attempts. */
export class Executions {
  constructor(private readonly t: Transport) {}

  /** One page of `GET /executions`, newest first. */
  async page(query: { triggerId?: Id } & PageQuery = {}): Promise<Page<Execution>> {
    const { executions, nextCursor } = await this.t.json<{ executions: Execution[]; nextCursor: Id | null }>({
      method: "GET",
      path: "/executions",
      auth: "key",
      query: { ...query },
    });
    return { items: executions, nextCursor };
  }

  /** Every attempt (of one trigger, with `triggerId`), newest first. */
  list(options: ListOptions<{ triggerId?: Id }> = {}): AsyncGenerator<Execution, void, undefined> {
    const { pageSize, ...filter } = options;
    return everyItem((cursor) => this.page({ ...filter, ...(pageSize !== undefined ? { limit: pageSize } : {}), ...(cursor ? { cursor } : {}) }));
  }
}

/** The project's webhook signing secret. */
export class SigningSecrets {
  constructor(private readonly t: Transport) {}

  /** Create or rotate: the new secret signs, and the previous one too until {@link dropPrevious}. */
  rotate(): Promise<SigningSecret> {
    return this.t.json({ method: "POST", path: "/signing-secret", auth: "key" });
  }

  /** End a rotation. */
  async dropPrevious(): Promise<void> {
    await this.t.json({ method: "DELETE", path: "/signing-secret/previous", auth: "key" });
  }

  /** Stop signing. */
  async remove(): Promise<void> {
    await this.t.json({ method: "DELETE", path: "/signing-secret", auth: "key" });
  }
}

/** The operator's admin API (HOURGLASS_ADMIN_TOKEN). */
export class Admin {
  constructor(private readonly t: Transport) {}

  readonly projects = {
    list: async (): Promise<Project[]> => (await this.t.json<{ projects: Project[] }>({ method: "GET", path: "/admin/projects", auth: "admin" })).projects,
    /** A new project and its first API key (shown this once). */
    create: (name: string): Promise<{ project: Project; apiKey: IssuedKey }> =>
      this.t.json({ method: "POST", path: "/admin/projects", auth: "admin", body: { name } }),
    update: (id: Id, changes: ProjectChanges): Promise<Project> =>
      this.t.json({ method: "PATCH", path: `/admin/projects/${seg(id)}`, auth: "admin", body: changes }),
  };

  readonly keys = {
    list: async (projectId: Id): Promise<ApiKeyView[]> =>
      (await this.t.json<{ keys: ApiKeyView[] }>({ method: "GET", path: `/admin/projects/${seg(projectId)}/keys`, auth: "admin" })).keys,
    create: (projectId: Id): Promise<IssuedKey> => this.t.json({ method: "POST", path: `/admin/projects/${seg(projectId)}/keys`, auth: "admin" }),
    revoke: async (keyId: Id): Promise<void> => {
      await this.t.json({ method: "DELETE", path: `/admin/keys/${seg(keyId)}`, auth: "admin" });
    },
  };

  readonly signingSecret = {
    rotate: (projectId: Id): Promise<SigningSecret> =>
      this.t.json({ method: "POST", path: `/admin/projects/${seg(projectId)}/signing-secret`, auth: "admin" }),
    dropPrevious: async (projectId: Id): Promise<void> => {
      await this.t.json({ method: "DELETE", path: `/admin/projects/${seg(projectId)}/signing-secret/previous`, auth: "admin" });
    },
  };

  /** The virtual clock of a server started with HOURGLASS_CLOCK=manual (docs/testing.md). */
  readonly clock = {
    get: (): Promise<ClockState> => this.t.json({ method: "GET", path: "/admin/clock", auth: "admin" }),
    /** Moves it by whole `s`/`m`/`h`/`d`/`w` (`"90s"`, `"3d"`), firing everything due on the way before it resolves. */
    advance: (by: string): Promise<ClockState> => this.t.json({ method: "POST", path: "/admin/clock", auth: "admin", body: { advanceBy: by } }),
    /** Moves it to an instant (the `ttr-scheduled-at` grammar; a Date is sent as ISO UTC). */
    set: (to: string | Date, timezone?: string): Promise<ClockState> =>
      this.t.json({
        method: "POST",
        path: "/admin/clock",
        auth: "admin",
        body: { set: to instanceof Date ? to.toISOString() : to, ...(timezone !== undefined ? { timezone } : {}) },
      }),
  };
}

/**
 * A client of one Hourglass server. Every method sends one request (a list, one per page) and
 * rejects with HourglassError when Hourglass refuses, HourglassConnectionError when it cannot be reached.
 */
export class Hourglass {
  readonly triggers: Triggers;
  readonly generators: Generators;
  readonly executions: Executions;
  readonly signingSecret: SigningSecrets;
  readonly admin: Admin;
  /** The base URL requests go to, without a trailing slash. */
  readonly baseUrl: string;
  private readonly transport: Transport;

  constructor(options: HourglassOptions) {
    this.transport = new Transport(options);
    this.baseUrl = this.transport.baseUrl;
    this.triggers = new Triggers(this.transport);
    this.generators = new Generators(this.transport);
    this.executions = new Executions(this.transport);
    this.signingSecret = new SigningSecrets(this.transport);
    this.admin = new Admin(this.transport);
  }

  /**
   * Schedules a request through `/schedule`: what you would pass to `fetch` (a Request, or a URL
   * and its init), sent later by Hourglass with the same method, headers and body bytes, once or
   * on `cron(…)`.
   *
   *     await hg.schedule("https://example.com/hook", { method: "POST", body: "hi" }, { at: "now | add 10m" });
   *     await hg.schedule(new Request(url, init), { at: "cron(0 9 * * 1-5)", timezone: "Europe/Paris" });
   */
  schedule(input: Request | string | URL, options: ScheduleOptions): Promise<ScheduleResponse>;
  schedule(input: Request | string | URL, init: RequestInit | undefined, options: ScheduleOptions): Promise<ScheduleResponse>;
  async schedule(input: Request | string | URL, initOrOptions: RequestInit | ScheduleOptions | undefined, maybeOptions?: ScheduleOptions): Promise<ScheduleResponse> {
    const [init, options] = maybeOptions === undefined ? [undefined, initOrOptions as ScheduleOptions] : [initOrOptions as RequestInit | undefined, maybeOptions];
    const parts = await scheduleRequestParts(input, init, options, this.transport.key());
    return (await this.transport.send(`${this.baseUrl}/schedule`, {
      method: parts.method,
      headers: parts.headers,
      ...(parts.body !== undefined ? { body: parts.body } : {}),
    })) as ScheduleResponse;
  }

  /** `GET /flows`: the project's flows given limits, with their attempts in flight and triggers waiting. */
  async flows(): Promise<Flow[]> {
    return (await this.transport.json<{ flows: Flow[] }>({ method: "GET", path: "/flows", auth: "key" })).flows;
  }

  /** `GET /preview`: what a `ttr-scheduled-at` resolves to — nothing is stored. */
  preview(query: PreviewQuery): Promise<Preview> {
    const { count, ...rest } = query;
    return this.transport.json({ method: "GET", path: "/preview", auth: "key", query: { ...rest, ...(count !== undefined ? { count: String(count) } : {}) } });
  }

  /** `DELETE /cancel` by id (a string or `{ triggerId }`: a trigger or a generator) or by `{ customKey }`. */
  async cancel(target: Id | { triggerId: Id } | { customKey: string }): Promise<void> {
    const header: [string, string] =
      typeof target === "string" ? ["ttr-trigger-id", target] : "customKey" in target ? ["ttr-custom-key", target.customKey] : ["ttr-trigger-id", target.triggerId];
    await this.transport.send(`${this.baseUrl}/cancel`, { method: "DELETE", headers: [["ttr-api-key", this.transport.key()], header] });
  }
}
