/**
 * Which due triggers a claim takes, and how a dispatcher's delivery slots are shared between
 * projects. In due order — but when several projects have some due, each gets an equal share of
 * the batch first, so one project's backlog cannot starve another's; and when the dispatcher tells
 * what its slots hold ({@link SlotUsage}), no project takes more than its fair share of the slots
 * while others want them, and a project alone leaves a reserve free for the next one to arrive —
 * slow targets holding every slot would otherwise stop every other project's deliveries until
 * they answer (up to the 15-minute `ttr-timeout`).
 *
 * Pure logic: the selection is a generator that yields the queries it needs and receives their
 * rows, so the same algorithm runs on a synchronous connection ({@link selectSync}) and through
 * an asynchronous query builder ({@link selectAsync}).
 */

/** A query the selection needs answered. */
export type DueQuery =
  /** Ids of the projects with at least one trigger due. */
  | { kind: "projects" }
  /** Due triggers in due order: of one project or of all, at most `take`, none of `except`. */
  | { kind: "due"; projectId: string | null; take: number; except: string[] };

/** The answer to a {@link DueQuery}: project ids for `projects`, rows for `due`. */
export type DueAnswer<Row> = string[] | Row[];

/** What one dispatcher's delivery slots hold, so that its claims share them fairly. */
export interface SlotUsage {
  /** Deliveries the dispatcher may have in flight at once. */
  capacity: number;
  /** Its deliveries in flight, per project (projects with none may be absent). */
  inFlight: ReadonlyMap<string, number>;
}

type Selection<Row> = Generator<DueQuery, Row[], DueAnswer<Row>>;

/**
 * Slots a project may fill while others want them: an equal share among the projects that are
 * active (in flight or due) plus one more — the next project to arrive, for whom a project alone
 * leaves room.
 */
export function fairShare(capacity: number, activeProjects: number): number {
  return Math.max(1, Math.floor(capacity / (activeProjects + 1)));
}

/**
 * Slots never lent beyond fair shares: kept free so that a project arriving while the others hold
 * more than their share starts at once, without waiting for their deliveries to end.
 */
export function reservedSlots(capacity: number): number {
  return capacity < 2 ? 0 : Math.max(1, Math.floor(capacity / 16));
}

/** What each project may take in one claim: its fair share first, then borrowing down to the reserve. */
function slotLimits(due: string[], slots: SlotUsage) {
  let held = 0;
  const active = new Set(due);
  for (const [projectId, n] of slots.inFlight) {
    held += n;
    if (n > 0) active.add(projectId);
  }
  const share = fairShare(slots.capacity, active.size);
  const free = slots.capacity - held;
  const reserve = reservedSlots(slots.capacity);
  return {
    fair: (projectId: string) => Math.max(0, share - (slots.inFlight.get(projectId) ?? 0)),
    borrowAfter: (picked: number) => Math.max(0, free - picked - reserve),
  };
}

/** What a claim takes when `only` is the one project with triggers due: its fair share, or more when that leaves the reserve free. */
function soleTake(limit: number, limits: ReturnType<typeof slotLimits> | null, only: string): number {
  return limits === null ? limit : Math.min(limit, Math.max(limits.fair(only), limits.borrowAfter(0)));
}

/** What {@link soleProjectTakes} tells: the take for each project with deliveries in flight, and for any other. */
export interface SoleProjectTakes {
  projects: string[];
  takes: number[];
  otherwise: number;
}

/**
 * The take {@link fairSelection} would choose were exactly one project due, for whichever project
 * that turns out to be: a claim that finds the due project and takes its triggers in one
 * statement (PostgreSQL's fast path) needs the answer before it knows the project.
 */
export function soleProjectTakes(limit: number, slots?: SlotUsage): SoleProjectTakes {
  if (slots === undefined) return { projects: [], takes: [], otherwise: limit };
  const takeIfOnly = (projectId: string) => soleTake(limit, slotLimits([projectId], slots), projectId);
  const projects = [...slots.inFlight.keys()];
  // Project ids never hold a NUL: this one stands for any project with nothing in flight.
  return { projects, takes: projects.map(takeIfOnly), otherwise: takeIfOnly("\u0000") };
}

/** `items` starting at position `offset` (modulo its length), wrapping around. */
function rotate<T>(items: T[], offset: number): T[] {
  if (items.length < 2) return items;
  const start = offset % items.length;
  return start === 0 ? items : [...items.slice(start), ...items.slice(0, start)];
}

/**
 * The claim's selection. `rotation` (any integer, e.g. a claim counter) chooses which project
 * comes first, so that when more projects are due than a batch holds, each is served in turn.
 */
export function* fairSelection<Row extends { id: string; due_at: number | bigint }>(
  limit: number,
  slots?: SlotUsage,
  rotation = 0,
): Selection<Row> {
  const due = (yield { kind: "projects" }) as string[];
  const limits = slots === undefined ? null : slotLimits(due, slots);
  const only = due[0];
  if (only === undefined) return [];
  if (due.length === 1) {
    const take = soleTake(limit, limits, only);
    return take > 0 ? ((yield { kind: "due", projectId: null, take, except: [] }) as Row[]) : [];
  }
  const projects = rotate(due, rotation);
  const share = Math.max(1, Math.floor(limit / projects.length));
  const picked: Row[] = [];
  for (const projectId of projects) {
    if (picked.length >= limit) break;
    const take = Math.min(share, limit - picked.length, limits === null ? limit : limits.fair(projectId));
    if (take > 0) picked.push(...((yield { kind: "due", projectId, take, except: [] }) as Row[]));
  }
  const rest = Math.min(limit - picked.length, limits === null ? limit : limits.borrowAfter(picked.length));
  if (rest > 0) {
    const except = picked.map((r) => r.id);
    picked.push(...((yield { kind: "due", projectId: null, take: rest, except }) as Row[]));
  }
  return picked.sort((a, b) => Number(a.due_at) - Number(b.due_at));
}

export function selectSync<Row>(selection: Selection<Row>, answer: (query: DueQuery) => DueAnswer<Row>): Row[] {
  let step = selection.next();
  while (!step.done) step = selection.next(answer(step.value));
  return step.value;
}

export async function selectAsync<Row>(selection: Selection<Row>, answer: (query: DueQuery) => Promise<DueAnswer<Row>>): Promise<Row[]> {
  let step = selection.next();
  while (!step.done) step = selection.next(await answer(step.value));
  return step.value;
}
