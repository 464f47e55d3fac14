/**
 * Which due triggers a claim takes: in due order — but when several projects have some due, each
 * gets an equal share of the batch first, so one project's backlog cannot starve another's.
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

type Selection<Row> = Generator<DueQuery, Row[], DueAnswer<Row>>;

export function* fairSelection<Row extends { id: string; due_at: number | bigint }>(limit: number): Selection<Row> {
  const projects = (yield { kind: "projects" }) as string[];
  if (projects.length <= 1) return (yield { kind: "due", projectId: null, take: limit, except: [] }) as Row[];
  const share = Math.max(1, Math.floor(limit / projects.length));
  const picked: Row[] = [];
  for (const projectId of projects) {
    if (picked.length >= limit) break;
    picked.push(...((yield { kind: "due", projectId, take: Math.min(share, limit - picked.length), except: [] }) as Row[]));
  }
  if (picked.length < limit) {
    const except = picked.map((r) => r.id);
    picked.push(...((yield { kind: "due", projectId: null, take: limit - picked.length, except }) as Row[]));
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
