import { describe, expect, it } from "vitest";
import { type DueQuery, type SlotUsage, fairSelection, selectSync, soleProjectTakes } from "../../src/store/fair-claim.js";

type Row = { id: string; due_at: number; project: string };

/** Runs the selection against `due` (rows per project, in due order); returns the ids taken. */
function select(due: Record<string, number>, limit: number, slots?: SlotUsage, rotation = 0): string[] {
  const rows: Row[] = Object.entries(due).flatMap(([project, n]) =>
    Array.from({ length: n }, (_, i) => ({ id: `${project}${i}`, due_at: i, project })),
  );
  rows.sort((a, b) => a.due_at - b.due_at || a.id.localeCompare(b.id));
  const answer = (query: DueQuery): string[] | Row[] => {
    if (query.kind === "projects") return Object.keys(due).filter((p) => (due[p] ?? 0) > 0);
    return rows
      .filter((r) => (query.projectId === null || r.project === query.projectId) && !query.except.includes(r.id))
      .slice(0, query.take);
  };
  return selectSync(fairSelection<Row>(limit, slots, rotation), answer).map((r) => r.id);
}

const slots = (capacity: number, inFlight: Record<string, number> = {}): SlotUsage => ({
  capacity,
  inFlight: new Map(Object.entries(inFlight)),
});

describe("fair selection", () => {
  it("without slot usage, fills the batch: an equal share each, then in due order", () => {
    expect(select({ A: 30, B: 1 }, 10).filter((id) => id.startsWith("B"))).toEqual(["B0"]);
    expect(select({ A: 30, B: 1 }, 10)).toHaveLength(10);
    expect(select({}, 10)).toEqual([]);
  });

  it("leaves a reserve of the slots free when one project is alone", () => {
    expect(select({ A: 40 }, 8, slots(8))).toHaveLength(7);
    expect(select({ A: 400 }, 256, slots(256))).toHaveLength(240);
    // One slot has no room for a reserve.
    expect(select({ A: 40 }, 1, slots(1))).toHaveLength(1);
  });

  it("gives a project arriving while another holds most slots the free ones, none to the holder", () => {
    expect(select({ A: 33, B: 5 }, 1, slots(8, { A: 7 }))).toEqual(["B0"]);
    expect(select({ A: 33, B: 5 }, 4, slots(8, { A: 4 })).sort()).toEqual(["A0", "B0", "B1"]);
    // The holder alone again: it borrows down to the reserve.
    expect(select({ A: 33 }, 4, slots(8, { A: 4 }))).toEqual(["A0", "A1", "A2"]);
  });

  it("caps each project at its fair share of the slots while others want them", () => {
    const taken = select({ A: 20, B: 20, C: 20 }, 8, slots(8));
    const per = (p: string) => taken.filter((id) => id.startsWith(p)).length;
    // Three active projects: a share of 8 / 4 = 2 each, then borrowing down to the reserve of 1.
    expect(per("A") + per("B") + per("C")).toBe(7);
    expect(Math.min(per("A"), per("B"), per("C"))).toBeGreaterThanOrEqual(2);
  });

  it("rotates which project comes first when more projects are due than the batch holds", () => {
    const due = { A: 5, B: 5, C: 5 };
    const firsts = [0, 1, 2].map((rotation) => select(due, 1, undefined, rotation));
    expect(firsts).toEqual([["A0"], ["B0"], ["C0"]]);
  });
});

describe("the take when one project is due, chosen before knowing which", () => {
  it("is what the fair selection takes for whichever project turns out to be the one due", () => {
    const cases: [number, SlotUsage | undefined][] = [
      [256, undefined],
      [256, slots(256)],
      [8, slots(8, { A: 7 })],
      [4, slots(8, { A: 4 })],
      [4, slots(8, { A: 4, B: 2 })],
      [1, slots(1, { A: 1 })],
      [64, slots(256, { A: 200, B: 10 })],
    ];
    for (const [limit, usage] of cases) {
      const takes = soleProjectTakes(limit, usage);
      for (const project of ["A", "B", "C"]) {
        const at = takes.projects.indexOf(project);
        const take = at === -1 ? takes.otherwise : takes.takes[at];
        expect(take, `${project} due, limit ${limit}, in flight ${JSON.stringify([...(usage?.inFlight ?? [])])}`).toBe(
          select({ [project]: 1_000 }, limit, usage).length,
        );
      }
    }
  });
});
