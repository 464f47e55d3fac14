import { type Context, Hono, type Next } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import { HourglassError, NotFoundError } from "../errors.js";
import { scheduled } from "../http/accept-schedule.js";
import { readiness } from "../http/availability.js";
import { createProjectWithKey, issueKey, projectChanges, requireProject, revokeKey, updateProjectSettings } from "../http/admin-routes.js";
import { dropPreviousSecret, rotateSigningSecret } from "../http/signing-secrets.js";
import { checked, deliveryDefaultsOf, egressPolicyOf, generatorInput, jobInput, scheduleContext } from "../http/json-routes.js";
import { type JsonObject, type JsonSchedule, editedGenerator, editedTrigger, generatorFromJson, triggerFromJson } from "../http/json-schedule.js";
import { describeCron } from "../schedule/cron-words.js";
import type { AppDeps, AppEnv } from "../http/context.js";
import { errorAnswer } from "../http/error-response.js";
import { readBodyLimited } from "../http/read-body.js";
import { normalizeId } from "../http/request-parts.js";
import { type GeneratorRecord, TRIGGER_STATUS, type TriggerFilter, type TriggerRecord, type TriggerStatus } from "../store/types.js";
import { activityByMinute } from "./activity.js";
import { ASSETS } from "./assets.js";
import { createUiAuth } from "./auth.js";
import type { PageContext } from "./components.js";
import { ErrorPage } from "./pages/error.js";
import { GeneratorPage } from "./pages/generator.js";
import { GeneratorsPage } from "./pages/generators.js";
import { OverviewPage } from "./pages/overview.js";
import { ProjectsPage } from "./pages/projects.js";
import { HealthPage } from "./pages/health.js";
import { ProjectAdminPage, type ShownOnce } from "./pages/project-admin.js";
import { ScheduleFormPage, type SchedulePreview } from "./pages/schedule-form.js";
import { SignInPage } from "./pages/sign-in.js";
import { TriggerPage } from "./pages/trigger.js";
import { TriggersPage } from "./pages/triggers.js";
import { SECURITY_HEADERS, isHttps, isSameOrigin } from "./security.js";
import { type FormError, type FormField, type FormKind, type FormValues, fieldsOf, formErrorOf, formValues, jsonFromForm } from "./schedule-form.js";
import type { Session } from "./session.js";
import { nextFires } from "./fire-times.js";
import { firesBetween } from "./timeline.js";

const COOKIE = "hourglass_session";
const PAGE_SIZE = 50;
const PREVIEW_FIRES = 10;
/** What an edit form changes: a one-shot's time; a generator's schedule, URL and title. */
const TRIGGER_EDIT_FIELDS: readonly FormField[] = ["scheduledAt", "timezone"];
const GENERATOR_EDIT_FIELDS: readonly FormField[] = ["cron", "timezone", "url", "title"];
const INSTANCES_PAGE_SIZE = 25;
const MAX_EXECUTIONS_SHOWN = 1000;
const HOUR_MS = 3_600_000;
/**
 * Overview limits: enough for a readable page, bounded for a busy project. `ticks` is shared by
 * the generators (a cron tick costs ≈ 80 µs to compute); `counts` caps each status's count.
 */
const OVERVIEW = { attempts: 20_000, upcoming: 1000, generators: 200, ticks: 600, failures: 50, counts: 100_000 } as const;
/** The text search reads only the newest triggers of the project: it cannot use an index. */
const SEARCH_NEWEST = 100_000;

type UiEnv = { Bindings: AppEnv["Bindings"]; Variables: { session: Session; page: PageContext; form: URLSearchParams } };
type UiContext = Context<UiEnv>;

/** A create or edit form: what it shows, and how its body is validated and saved. */
interface ScheduleForm {
  heading: string;
  section: "triggers" | "generators";
  action: string;
  kind: FormKind;
  fields: readonly FormField[];
  /** An edit: a blank field clears it (null in the patch) rather than being left out. */
  edit: boolean;
  switchHref?: string;
  validate: (body: JsonObject, at: number) => Promise<JsonSchedule>;
  /** Stores it; answers where to go next. */
  save: (body: JsonObject, at: number) => Promise<string>;
}

/**
 * The dashboard at /ui: server-rendered pages (hono/jsx), forms for every action, a session
 * cookie. See docs/dashboard.md. Data comes only through the Store, scoped to the session's
 * project; the same store methods as the manage API act on it.
 */
export function uiRoutes(deps: AppDeps): Hono<UiEnv> {
  const ui = new Hono<UiEnv>();
  const auth = createUiAuth(deps.store, deps.adminToken, () => deps.clock.now());
  const now = () => deps.clock.now();

  const html = (c: UiContext, page: Child, status: 200 | 400 | 401 | 403 | 404 = 200) => c.html(`<!DOCTYPE html>${String(page)}`, status);
  const refuse = (c: UiContext, status: 401 | 403, code: string, message: string) =>
    html(c, <ErrorPage status={status} code={code} message={message} />, status);
  const readForm = async (c: UiContext) => {
    const bytes = await readBodyLimited(c.env?.incoming, c.req.raw, deps.limits.maxJsonBodyBytes);
    return new URLSearchParams(new TextDecoder().decode(bytes));
  };
  const cookieOptions = (c: UiContext) =>
    ({ path: "/ui", httpOnly: true, sameSite: "Strict", secure: isHttps(c.req.url, c.req.header("x-forwarded-proto")) }) as const;
  const setSession = async (c: UiContext, session: Session) => {
    const codec = await auth.codec();
    setCookie(c, COOKIE, codec.seal(session), { ...cookieOptions(c), maxAge: Math.floor((session.expiresAt - now()) / 1000) });
  };

  ui.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  // Every state change must come from a page of this dashboard (the CSRF token is checked too, below).
  ui.use("*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const origin = {
      host: new URL(c.req.url).host,
      origin: c.req.header("origin"),
      forwardedHost: c.req.header("x-forwarded-host"),
      secFetchSite: c.req.header("sec-fetch-site"),
    };
    if (!isSameOrigin(origin)) return refuse(c, 403, "cross_origin", "This request did not come from a page of this dashboard.");
    return next();
  });

  ui.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (asset === undefined) throw new NotFoundError("asset_not_found", `No dashboard asset ${name}.`);
    // A versioned URL never changes content: cache it for good.
    const cache = c.req.query("v") === asset.version ? "public, max-age=31536000, immutable" : "no-cache";
    return c.body(asset.body, 200, { "Content-Type": asset.contentType, "Cache-Control": cache });
  });

  ui.get("/sign-in", async (c) => {
    const session = (await auth.codec()).open(getCookie(c, COOKIE), now());
    if (session !== null && (await auth.isLive(session))) return c.redirect("/ui", 303);
    return html(c, <SignInPage error={null} adminEnabled={deps.adminToken !== null} />);
  });

  ui.post("/sign-in", async (c) => {
    const credential = (await readForm(c)).get("credential")?.trim() ?? "";
    const session = await auth.signIn(credential, now());
    if (session === null) {
      const what = deps.adminToken !== null ? "an API key or the admin token" : "an API key";
      return html(c, <SignInPage error={`That is not ${what} of this Hourglass (or the key was revoked).`} adminEnabled={deps.adminToken !== null} />, 401);
    }
    await setSession(c, session);
    return c.redirect("/ui", 303);
  });

  // Everything below needs a live session; a POST also a valid CSRF token.
  ui.use("*", async (c: UiContext, next: Next) => {
    const path = c.req.path;
    if (path === "/ui/sign-in" || path.startsWith("/ui/assets/")) return next();
    const codec = await auth.codec();
    const cookie = getCookie(c, COOKIE);
    const session = codec.open(cookie, now());
    if (session === null || !(await auth.isLive(session))) {
      if (cookie !== undefined) deleteCookie(c, COOKIE, cookieOptions(c));
      return c.redirect("/ui/sign-in", 303);
    }
    if (c.req.method === "POST") {
      const form = await readForm(c);
      if (!codec.checkCsrf(session, form.get("_csrf") ?? undefined)) {
        return refuse(c, 403, "csrf_failed", "This form has expired or did not come from this dashboard; reload the page and try again.");
      }
      c.set("form", form);
    }
    c.set("session", session);
    c.set("page", { role: session.role, projectId: session.projectId, csrf: codec.csrfToken(session) });
    return next();
  });

  ui.post("/sign-out", (c) => {
    deleteCookie(c, COOKIE, cookieOptions(c));
    return c.redirect("/ui/sign-in", 303);
  });

  const home = (c: UiContext) => c.redirect(c.get("session").projectId === null ? "/ui/projects" : "/ui/overview", 303);
  ui.get("/", home);

  /** Runs `fn` with the session's project; an operator who has not picked one is sent to the list. */
  const withProject = (fn: (c: UiContext, projectId: string) => Promise<Response>) => (c: UiContext) => {
    const projectId = c.get("session").projectId;
    return projectId === null ? Promise.resolve(c.redirect("/ui/projects", 303)) : fn(c, projectId);
  };
  const operatorOnly = (c: UiContext) => {
    if (c.get("session").role !== "admin") throw new NotFoundError("route_not_found", "Only the operator (admin token) has this page.");
  };

  ui.get("/projects", async (c) => {
    operatorOnly(c);
    return html(c, <ProjectsPage page={c.get("page")} projects={await deps.store.listProjects(now())} />);
  });

  ui.post("/projects", async (c) => {
    operatorOnly(c);
    try {
      const { project, apiKey } = await createProjectWithKey(deps, c.get("form").get("name") ?? "");
      return projectAdmin(c, project.id, { kind: "key", prefix: apiKey.prefix, secret: apiKey.key });
    } catch (error) {
      if (!(error instanceof HourglassError && error.kind === "invalid")) throw error;
      return html(c, <ProjectsPage page={c.get("page")} projects={await deps.store.listProjects(now())} error={error.message} />, 400);
    }
  });

  /** One project's operator page; a secret made by the action that led here is shown once, in this answer only. */
  const projectAdmin = async (c: UiContext, rawId: string, shownOnce: ShownOnce | null = null, error: string | null = null) => {
    operatorOnly(c);
    const id = await requireProject(deps, rawId);
    const [projects, keys, secrets] = await Promise.all([deps.store.listProjects(now()), deps.store.listApiKeys(id), deps.store.getSigningSecrets(id)]);
    const project = projects.find((p) => p.id === id);
    if (project === undefined) throw new NotFoundError("project_not_found", "No such project.");
    return html(
      c,
      <ProjectAdminPage page={c.get("page")} project={project} keys={keys} signingSecrets={secrets.length} shownOnce={shownOnce} error={error} notice={c.req.query("done")} />,
      error === null ? 200 : 400,
    );
  };

  ui.get("/projects/:id", (c) => projectAdmin(c, c.req.param("id")));

  ui.post("/projects/:id/keys", async (c) => {
    operatorOnly(c);
    const key = await issueKey(deps, await requireProject(deps, c.req.param("id")));
    return projectAdmin(c, c.req.param("id"), { kind: "key", prefix: key.prefix, secret: key.key });
  });

  ui.post("/projects/:id/keys/:keyId/revoke", async (c) => {
    operatorOnly(c);
    const projectId = await requireProject(deps, c.req.param("id"));
    const keyId = normalizeId(c.req.param("keyId"));
    // Only a key of this project: the page posted it from this project's list.
    if (keyId === null || !(await deps.store.listApiKeys(projectId)).some((k) => k.id === keyId)) throw new NotFoundError("not_found", "No such key in this project.");
    await revokeKey(deps, keyId);
    return c.redirect(`/ui/projects/${projectId}?done=revoked`, 303);
  });

  ui.post("/projects/:id/limits", async (c) => {
    operatorOnly(c);
    const projectId = await requireProject(deps, c.req.param("id"));
    const form = c.get("form");
    // Blank is "none" (null); anything else must be what the admin API takes: an integer in range.
    const limit = (name: string) => {
      const text = form.get(name)?.trim() ?? "";
      return text === "" ? null : /^\d+$/.test(text) ? Number(text) : text;
    };
    try {
      await updateProjectSettings(deps, projectId, projectChanges({ monthQuota: limit("monthQuota"), rateLimit: limit("rateLimit") }));
    } catch (error) {
      if (!(error instanceof HourglassError && error.kind === "invalid")) throw error;
      return projectAdmin(c, projectId, null, error.message);
    }
    return c.redirect(`/ui/projects/${projectId}?done=limits-saved`, 303);
  });

  ui.post("/projects/:id/signing-secret", async (c) => {
    operatorOnly(c);
    const { secret, signingWith } = await rotateSigningSecret(deps.store, await requireProject(deps, c.req.param("id")));
    return projectAdmin(c, c.req.param("id"), { kind: "signing-secret", secret, signingWith });
  });

  ui.post("/projects/:id/signing-secret/drop", async (c) => {
    operatorOnly(c);
    const projectId = await requireProject(deps, c.req.param("id"));
    await dropPreviousSecret(deps.store, projectId);
    return c.redirect(`/ui/projects/${projectId}?done=dropped`, 303);
  });

  ui.get("/health", async (c) => {
    operatorOnly(c);
    const started = performance.now();
    const status = await readiness(deps);
    const readMs = performance.now() - started;
    const engine = deps.store.engine();
    const projects = status === "ok" ? (await deps.store.listProjects(now())).length : 0;
    const nodes = status === "ok" ? await deps.clusterNodes() : [];
    const health = { engine, status, readMs, walBytes: engine === "sqlite" ? deps.store.walBytes() : null, projects, nodes, now: now() };
    return html(c, <HealthPage page={c.get("page")} health={health} />);
  });

  ui.post("/project", async (c) => {
    operatorOnly(c);
    const session = c.get("session");
    const wanted = normalizeId(c.get("form").get("projectId") ?? "");
    const project = wanted === null ? undefined : (await deps.store.listProjects(now())).find((p) => p.id === wanted);
    if (project === undefined || session.role !== "admin") throw new NotFoundError("project_not_found", "No such project.");
    await setSession(c, { ...session, projectId: project.id });
    return c.redirect("/ui/overview", 303);
  });

  ui.get(
    "/overview",
    withProject(async (c, projectId) => {
      const at = now();
      const [counts, timings, upcoming, generators, failures] = await Promise.all([
        deps.store.countByStatus(projectId, OVERVIEW.counts),
        deps.store.listAttemptTimings(projectId, at - HOUR_MS, OVERVIEW.attempts),
        deps.store.listUpcoming(projectId, at, at + 24 * HOUR_MS, OVERVIEW.upcoming),
        deps.store.listGenerators(projectId, { limit: OVERVIEW.generators }),
        deps.store.listFailures(projectId, at - 24 * HOUR_MS, OVERVIEW.failures),
      ]);
      const active = generators.items.filter((g) => g.status === "active");
      const perGenerator = Math.max(2, Math.floor(OVERVIEW.ticks / Math.max(1, active.length)));
      const fires = firesBetween(upcoming, active, at, at + 24 * HOUR_MS, perGenerator);
      const projected = new Map<string, number>();
      for (const fire of fires) if (fire.triggerId === null && fire.generatorId !== null) projected.set(fire.generatorId, (projected.get(fire.generatorId) ?? 0) + 1);
      const data = {
        now: at,
        counts,
        activity: activityByMinute(timings, at, 60),
        fires,
        firesCapped: upcoming.length === OVERVIEW.upcoming || generators.nextCursor !== null || [...projected.values()].some((n) => n >= perGenerator),
        countCap: OVERVIEW.counts,
        failures,
        failuresCapped: failures.length === OVERVIEW.failures,
      };
      return html(c, <OverviewPage page={c.get("page")} data={data} />);
    }),
  );

  ui.get(
    "/triggers",
    withProject(async (c, projectId) => {
      const filter = triggerFilter((name) => c.req.query(name));
      const cursor = normalizeId(c.req.query("cursor") ?? "");
      const page = await deps.store.listTriggers(projectId, filter, cursor === null ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, cursor });
      const href = (next: string | null) => `/ui/triggers?${filterQuery(filter, next)}`;
      return html(
        c,
        <TriggersPage
          page={c.get("page")}
          searchNewest={SEARCH_NEWEST}
          filter={filter}
          triggers={page.items}
          firstHref={cursor === null ? null : href(null)}
          nextHref={page.nextCursor === null ? null : href(page.nextCursor)}
        />,
      );
    }),
  );

  ui.get(
    "/triggers/:id",
    withProject(async (c, projectId) => {
      const trigger = await findTrigger(projectId, c.req.param("id") ?? "");
      const [executions, secrets] = await Promise.all([
        deps.store.listExecutions(projectId, { triggerId: trigger.id }, { limit: MAX_EXECUTIONS_SHOWN }),
        deps.store.getSigningSecrets(projectId),
      ]);
      return html(
        c,
        <TriggerPage
          page={c.get("page")}
          trigger={trigger}
          executions={executions.items.reverse()}
          reveal={c.req.query("reveal") === "headers"}
          signed={secrets.length > 0}
          notice={c.req.query("done")}
        />,
      );
    }),
  );

  ui.post(
    "/triggers/:id/cancel",
    withProject(async (c, projectId) => {
      const { id } = await findTrigger(projectId, c.req.param("id") ?? "");
      await deps.writeGate.admit(() => deps.store.cancel({ projectId, triggerId: id, customKey: null, now: now() }));
      return c.redirect(`/ui/triggers/${id}?done=cancelled`, 303);
    }),
  );

  ui.post(
    "/triggers/:id/replay",
    withProject(async (c, projectId) => {
      const { id } = await findTrigger(projectId, c.req.param("id") ?? "");
      const { scheduledAt } = await deps.store.replay(projectId, id, now());
      deps.onScheduled(scheduledAt);
      return c.redirect(`/ui/triggers/${id}?done=replayed`, 303);
    }),
  );

  ui.get(
    "/generators",
    withProject(async (c, projectId) => {
      const cursor = normalizeId(c.req.query("cursor") ?? "");
      const page = await deps.store.listGenerators(projectId, cursor === null ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, cursor });
      return html(
        c,
        <GeneratorsPage
          page={c.get("page")}
          generators={page.items}
          firstHref={cursor === null ? null : "/ui/generators"}
          nextHref={page.nextCursor === null ? null : `/ui/generators?cursor=${page.nextCursor}`}
        />,
      );
    }),
  );

  ui.get(
    "/generators/:id",
    withProject(async (c, projectId) => {
      const generator = await findGenerator(projectId, c.req.param("id") ?? "");
      const cursor = normalizeId(c.req.query("cursor") ?? "");
      const instances = await deps.store.listTriggers(
        projectId,
        { generatorId: generator.id },
        cursor === null ? { limit: INSTANCES_PAGE_SIZE } : { limit: INSTANCES_PAGE_SIZE, cursor },
      );
      const base = `/ui/generators/${generator.id}`;
      const remaining = generator.maxRuns === null ? PREVIEW_FIRES : Math.max(0, Math.min(PREVIEW_FIRES, generator.maxRuns - generator.runs));
      const fires =
        generator.status === "cancelled"
          ? []
          : nextFires(generator.cronExpr, generator.cronTz, generator.nextAt, now(), remaining).filter((f) => generator.endsAt === null || f.at <= generator.endsAt);
      return html(
        c,
        <GeneratorPage
          page={c.get("page")}
          generator={generator}
          nextFires={fires}
          instances={instances.items}
          firstHref={cursor === null ? null : base}
          nextHref={instances.nextCursor === null ? null : `${base}?cursor=${instances.nextCursor}`}
          reveal={c.req.query("reveal") === "headers"}
          notice={c.req.query("done")}
        />,
      );
    }),
  );

  for (const paused of [true, false]) {
    ui.post(
      `/generators/:id/${paused ? "pause" : "resume"}`,
      withProject(async (c, projectId) => {
        const { id } = await findGenerator(projectId, c.req.param("id") ?? "");
        await deps.store.setGeneratorPaused(projectId, id, paused, now());
        const nextAt = (await deps.store.getGenerator(projectId, id))?.nextAt ?? null;
        if (nextAt !== null) deps.onScheduled(nextAt);
        return c.redirect(`/ui/generators/${id}?done=${paused ? "paused" : "resumed"}`, 303);
      }),
    );
  }

  ui.post(
    "/generators/:id/run",
    withProject(async (c, projectId) => {
      const { id } = await findGenerator(projectId, c.req.param("id") ?? "");
      const run = await deps.store.runGeneratorNow(projectId, id, now());
      deps.onScheduled(run.scheduledAt);
      return c.redirect(`/ui/generators/${id}?done=ran`, 303);
    }),
  );

  ui.post(
    "/generators/:id/cancel",
    withProject(async (c, projectId) => {
      const { id } = await findGenerator(projectId, c.req.param("id") ?? "");
      await deps.writeGate.admit(() => deps.store.cancel({ projectId, triggerId: id, customKey: null, now: now() }));
      return c.redirect(`/ui/generators/${id}?done=cancelled`, 303);
    }),
  );


  /**
   * A create or edit form posted: `step=preview` validates it by the JSON API's rules (and the
   * project's egress policy) and shows the resolved time(s); `step=save` validates again and
   * stores it through `save`. A refusal re-renders the form with the error by its field.
   */
  const submitForm = async (c: UiContext, form: ScheduleForm) => {
    const values = formValues(c.get("form"));
    const render = (error: FormError | null, preview: SchedulePreview | null) =>
      html(c, <ScheduleFormPage page={c.get("page")} {...form} values={values} error={error} preview={preview} />, error === null ? 200 : 400);
    const at = now();
    try {
      const body = jsonFromForm(values, form.fields, form.edit);
      if (c.get("form").get("step") === "save") return c.redirect(await form.save(body, at), 303);
      const { spec } = await form.validate(body, at);
      const preview: SchedulePreview =
        spec.when.kind === "once"
          ? { kind: "once", at: spec.when.at, tz: values.timezone === "" ? "UTC" : values.timezone }
          : { kind: "cron", tz: spec.when.tz, words: describeCron(spec.when.expr), fires: nextFires(spec.when.expr, spec.when.tz, null, at, PREVIEW_FIRES) };
      return render(null, preview);
    } catch (error) {
      if (error instanceof HourglassError && error.kind === "invalid") return render(formErrorOf(error, form.fields), null);
      throw error;
    }
  };
  /** The rules' context for a project: its own delivery defaults over the server's. */
  const context = async (projectId: string, at: number) => scheduleContext(deps, at, await deliveryDefaultsOf(deps, projectId));
  const policy = (projectId: string) => egressPolicyOf(deps, projectId);
  const kindOf = (raw: string | undefined | null): FormKind => (raw === "cron" ? "cron" : "once");
  const createForm = (projectId: string, kind: FormKind): ScheduleForm => {
    const validate = async (body: JsonObject, at: number) => {
      const ctx = await context(projectId, at);
      return checked(kind === "once" ? triggerFromJson(body, ctx) : generatorFromJson(body, ctx), await policy(projectId));
    };
    return {
      heading: kind === "once" ? "New one-shot" : "New generator",
      section: kind === "once" ? "triggers" : "generators",
      action: "/ui/new",
      kind,
      fields: fieldsOf(kind),
      edit: false,
      switchHref: `/ui/new?kind=${kind === "once" ? "cron" : "once"}`,
      validate,
      save: async (body, at) => {
        const schedule = await validate(body, at);
        const result = await deps.writeGate.admit(() =>
          kind === "once" ? deps.store.scheduleJob(jobInput(projectId, schedule, at)) : deps.store.scheduleGenerator(generatorInput(projectId, schedule, at)),
        );
        scheduled(deps, result);
        return `/ui/${kind === "once" ? "triggers" : "generators"}/${result.id}?done=created`;
      },
    };
  };

  ui.get(
    "/new",
    withProject(async (c, projectId) => {
      const kind = kindOf(c.req.query("kind"));
      const values = formValues(new URLSearchParams(kind === "once" ? { scheduledAt: "now | add 1h" } : { cron: "0 9 * * 1-5" }));
      return html(c, <ScheduleFormPage page={c.get("page")} {...createForm(projectId, kind)} values={values} error={null} preview={null} />);
    }),
  );

  ui.post(
    "/new",
    withProject((c, projectId) => submitForm(c, createForm(projectId, kindOf(c.get("form").get("kind"))))),
  );

  /** The time edit of a one-shot: PATCH /triggers/:id's path (a trigger no longer waiting is refused there, 409). */
  const triggerEditForm = (projectId: string, current: TriggerRecord): ScheduleForm => {
    const validate = async (patch: JsonObject, at: number) => checked(editedTrigger(current, patch, await context(projectId, at)), await policy(projectId));
    return {
      heading: `Edit the time of ${current.title ?? current.id}`,
      section: "triggers",
      action: `/ui/triggers/${current.id}/edit`,
      kind: "once",
      fields: TRIGGER_EDIT_FIELDS,
      edit: true,
      validate,
      save: async (patch, at) => {
        const egress = await policy(projectId);
        const ctx = await context(projectId, at);
        const result = await deps.writeGate.admit(() =>
          deps.store.editJob(projectId, current.id, (latest) => jobInput(projectId, checked(editedTrigger(latest, patch, ctx), egress), at)),
        );
        scheduled(deps, result);
        return `/ui/triggers/${current.id}?done=edited`;
      },
    };
  };

  ui.get(
    "/triggers/:id/edit",
    withProject(async (c, projectId) => {
      const trigger = await findTrigger(projectId, c.req.param("id") ?? "");
      const values = formValues(new URLSearchParams({ scheduledAt: new Date(trigger.scheduledAt).toISOString(), timezone: "UTC" }));
      return html(c, <ScheduleFormPage page={c.get("page")} {...triggerEditForm(projectId, trigger)} values={values} error={null} preview={null} />);
    }),
  );

  ui.post(
    "/triggers/:id/edit",
    withProject(async (c, projectId) => submitForm(c, triggerEditForm(projectId, await findTrigger(projectId, c.req.param("id") ?? "")))),
  );

  /** A generator's edit: PATCH /generators/:id's path. */
  const generatorEditForm = (projectId: string, current: GeneratorRecord): ScheduleForm => {
    const validate = async (patch: JsonObject, at: number) => checked(editedGenerator(current, patch, await context(projectId, at)), await policy(projectId));
    return {
      heading: `Edit ${current.title ?? current.id}`,
      section: "generators",
      action: `/ui/generators/${current.id}/edit`,
      kind: "cron",
      fields: GENERATOR_EDIT_FIELDS,
      edit: true,
      validate,
      save: async (patch, at) => {
        const egress = await policy(projectId);
        const ctx = await context(projectId, at);
        const edit = (latest: GeneratorRecord) => generatorInput(projectId, checked(editedGenerator(latest, patch, ctx), egress), at);
        await deps.writeGate.admit(() => deps.store.editGenerator(projectId, current.id, edit, null, at));
        const nextAt = (await deps.store.getGenerator(projectId, current.id))?.nextAt ?? null;
        if (nextAt !== null) deps.onScheduled(nextAt);
        return `/ui/generators/${current.id}?done=edited`;
      },
    };
  };

  ui.get(
    "/generators/:id/edit",
    withProject(async (c, projectId) => {
      const g = await findGenerator(projectId, c.req.param("id") ?? "");
      const values = formValues(new URLSearchParams({ cron: g.cronExpr, timezone: g.cronTz, url: g.url, title: g.title ?? "" }));
      return html(c, <ScheduleFormPage page={c.get("page")} {...generatorEditForm(projectId, g)} values={values} error={null} preview={null} />);
    }),
  );

  ui.post(
    "/generators/:id/edit",
    withProject(async (c, projectId) => submitForm(c, generatorEditForm(projectId, await findGenerator(projectId, c.req.param("id") ?? "")))),
  );

  ui.onError((error, c) => {
    const { status, body } = errorAnswer(error, deps);
    return c.html(`<!DOCTYPE html>${String(<ErrorPage status={status} code={body.error} message={body.message} />)}`, status);
  });

  async function findTrigger(projectId: string, raw: string) {
    const id = normalizeId(raw);
    const trigger = id === null ? null : await deps.store.getTrigger(projectId, id);
    if (trigger === null) throw new NotFoundError("trigger_not_found", "No such trigger in this project.");
    return trigger;
  }

  async function findGenerator(projectId: string, raw: string) {
    const id = normalizeId(raw);
    const generator = id === null ? null : await deps.store.getGenerator(projectId, id);
    if (generator === null) throw new NotFoundError("generator_not_found", "No such generator in this project.");
    return generator;
  }

  return ui;
}

/** The listing filter from the query; an empty or unknown value means "any" (a form's blank choice). */
function triggerFilter(query: (name: string) => string | undefined): TriggerFilter {
  const filter: TriggerFilter = {};
  const text = (name: string) => {
    const value = query(name)?.trim();
    return value === undefined || value === "" ? undefined : value.slice(0, 200);
  };
  const status = text("status");
  if (status !== undefined && Object.hasOwn(TRIGGER_STATUS, status)) filter.status = status as TriggerStatus;
  const kind = text("kind");
  if (kind === "job" || kind === "generator" || kind === "callback") filter.kind = kind;
  const tag = text("tag");
  if (tag !== undefined) filter.tag = tag;
  const customKey = text("key");
  if (customKey !== undefined) filter.customKey = customKey;
  const search = text("q");
  if (search !== undefined) {
    filter.search = search;
    filter.searchNewest = SEARCH_NEWEST;
  }
  return filter;
}

function filterQuery(filter: TriggerFilter, cursor: string | null): string {
  const params = new URLSearchParams();
  if (filter.status) params.set("status", filter.status);
  if (filter.kind) params.set("kind", filter.kind);
  if (filter.tag) params.set("tag", filter.tag);
  if (filter.customKey) params.set("key", filter.customKey);
  if (filter.search) params.set("q", filter.search);
  if (cursor !== null) params.set("cursor", cursor);
  return params.toString();
}

