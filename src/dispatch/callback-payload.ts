import type { AttemptResult, CallbackRequest, ClaimedTrigger, DeliveryPolicy } from "../store/types.js";

/** The JSON body POSTed to `ttr-callback-url` / `ttr-failure-url`. */
export interface CallbackPayload {
  type: "trigger.succeeded" | "trigger.failed";
  trigger: {
    id: string;
    generatorId: string | null;
    customKey: string | null;
    title: string | null;
    tags: string[];
    method: string;
    url: string;
    scheduledAt: string;
    status: "succeeded" | "failed";
    attempts: number;
  };
  lastAttempt: {
    attempt: number;
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    httpStatus: number | null;
    error: string | null;
    responseExcerpt: string | null;
  };
}

type FinalAttempt = Omit<AttemptResult, "callbacks" | "retryAt">;

/**
 * The outcome reports a final attempt calls for: the callback URL on every final outcome, the
 * failure URL on a final failure. Callbacks themselves report to nobody.
 */
export function callbacksFor(claim: ClaimedTrigger, attempt: FinalAttempt, policy: DeliveryPolicy): CallbackRequest[] {
  if (claim.origin === "callback") return [];
  const urls = [claim.delivery.callbackUrl, attempt.outcome === "failed" ? claim.delivery.failureUrl : null];
  const wanted = urls.filter((url): url is string => url !== null);
  if (wanted.length === 0) return [];
  const body = new TextEncoder().encode(JSON.stringify(callbackPayload(claim, attempt)));
  return wanted.map((url) => ({ url, body, delivery: policy }));
}

/** Describes a trigger's final outcome and its last attempt. */
export function callbackPayload(claim: ClaimedTrigger, attempt: FinalAttempt): CallbackPayload {
  return {
    type: attempt.outcome === "succeeded" ? "trigger.succeeded" : "trigger.failed",
    trigger: {
      id: claim.id,
      generatorId: claim.generatorId,
      customKey: claim.customKey,
      title: claim.title,
      tags: claim.tags,
      method: claim.method,
      url: claim.url,
      scheduledAt: new Date(claim.scheduledAt).toISOString(),
      status: attempt.outcome,
      attempts: claim.attempt,
    },
    lastAttempt: {
      attempt: attempt.attempt,
      startedAt: new Date(attempt.startedAt).toISOString(),
      finishedAt: new Date(attempt.finishedAt).toISOString(),
      durationMs: Math.max(0, attempt.finishedAt - attempt.startedAt),
      httpStatus: attempt.httpStatus,
      error: attempt.error,
      responseExcerpt: attempt.responseExcerpt,
    },
  };
}
