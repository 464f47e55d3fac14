/**
 * Flow control (`ttr-flow-key`, `ttr-flow-parallelism`, `ttr-flow-rate`): which of a claim's due
 * triggers may start now, and where the others wait. Pure: the store reads the flows' state under
 * a lock, asks here, and writes the answer in the claim's transaction.
 *
 * - Parallelism: a trigger whose flow has `parallelism` attempts running is **parked** — it leaves
 *   the due scans until an attempt of its flow ends and un-parks it (in that outcome's
 *   transaction), at its own due time again: parked triggers hold no delivery slot.
 * - Rate: each start takes a place in a one-second window of the database's clock; at most `rate`
 *   places per window. A trigger that finds the current window full reserves a place in the first
 *   later window with room and waits for it (its due time moves to that window's start: later,
 *   never earlier). Reservations follow each other, so a backlog is rewritten once, not once per
 *   window. A reservation not used in its window (the trigger was parked, or claimed late) is
 *   given up and a new one taken.
 */

/** A flow's limits and state, as the claim read them. */
export interface FlowState {
  parallelism: number | null;
  rate: number | null;
  /** Start (epoch ms) of the latest window holding reservations. */
  window: number;
  /** Places taken in {@link window}. */
  taken: number;
  /** The flow's attempts running now. */
  running: number;
}

/** A due trigger of a flow, in the claim's due order. */
export interface FlowCandidate {
  id: string;
  /** The flow's identity in the `flows` map (project and key). */
  flow: string;
  /** The window it holds a place in, if it waited for one. */
  reservedWindow: number | null;
}

export type Admission =
  | { kind: "start" }
  /** Wait for an attempt of the flow to end. */
  | { kind: "park" }
  /** Wait for the window starting at `window` (later than now), holding a place in it. */
  | { kind: "wait"; window: number };

export const WINDOW_MS = 1000;

/** Start of the window holding `at`. */
export function windowOf(at: number): number {
  return Math.floor(at / WINDOW_MS) * WINDOW_MS;
}

/**
 * Decides each candidate in order, updating `flows` (the states the store then writes back). A
 * flow absent from `flows` has no limits: its triggers start. `now` is the database's time.
 */
export function admit(candidates: readonly FlowCandidate[], flows: Map<string, FlowState>, now: number): Map<string, Admission> {
  const decisions = new Map<string, Admission>();
  const current = windowOf(now);
  for (const candidate of candidates) {
    const flow = flows.get(candidate.flow);
    if (flow === undefined) {
      decisions.set(candidate.id, START);
      continue;
    }
    if (flow.parallelism !== null && flow.running >= flow.parallelism) {
      decisions.set(candidate.id, PARK);
      continue;
    }
    const window = flow.rate === null ? current : placeIn(flow, candidate, current, flow.rate);
    if (window > current) {
      decisions.set(candidate.id, { kind: "wait", window });
      continue;
    }
    flow.running++;
    decisions.set(candidate.id, START);
  }
  return decisions;
}

/** The window whose place the candidate starts in: its own reservation while it lasts, else the first with room. */
function placeIn(flow: FlowState, candidate: FlowCandidate, current: number, rate: number): number {
  if (candidate.reservedWindow !== null && candidate.reservedWindow === current) return current;
  let window = Math.max(current, flow.window);
  let taken = window === flow.window ? flow.taken : 0;
  if (taken >= rate) {
    window += WINDOW_MS;
    taken = 0;
  }
  flow.window = window;
  flow.taken = taken + 1;
  return window;
}

const START: Admission = { kind: "start" };
const PARK: Admission = { kind: "park" };
