/**
 * @hourglass/client — schedule requests through Hourglass, use its JSON API, and verify the
 * webhooks it signs. No dependencies: fetch, URL, Request, Headers, TextEncoder, Web Crypto.
 */
export { Admin, Executions, Generators, Hourglass, type HourglassOptions, type ListOptions, SigningSecrets, Triggers } from "./client.js";
export { HourglassConnectionError, HourglassError } from "./errors.js";
export type { ScheduleOptions } from "./schedule-request.js";
export type { FetchLike } from "./transport.js";
export { type VerifiedWebhook, type VerifyWebhookOptions, type WebhookFailure, type WebhookHeaders, WebhookVerificationError, verifyWebhook } from "./webhook.js";
export type * from "./types.js";
