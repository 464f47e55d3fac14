/**
 * Every error code an answer can carry, by HTTP status: the list the OpenAPI document publishes
 * (each status's `error` enum) and docs/protocol.md's table repeat. A test reads the source for
 * the codes thrown and answered, and fails when one is missing here or has another status.
 */
export const ERROR_CODES = {
  400: [
    "unknown_ttr_header",
    "duplicate_ttr_header",
    "missing_header",
    "invalid_url",
    "invalid_custom_key",
    "invalid_trigger_id",
    "invalid_timezone",
    "invalid_title",
    "invalid_tags",
    "invalid_run_missed",
    "invalid_overlap",
    "invalid_ends_at",
    "invalid_max_runs",
    "invalid_retries",
    "invalid_retry_delay",
    "invalid_timeout",
    "invalid_success_status",
    "invalid_retry_on",
    "invalid_scheduled_at",
    "invalid_cron",
    "cron_never_fires",
    "egress_blocked",
    "invalid_header_name",
    "invalid_header_value",
    "ambiguous_cancel",
    "missing_identifier",
    "kind_mismatch",
    "generator_instance",
    "conflicting_identifiers",
    "invalid_query",
    "invalid_body",
    "body_incomplete",
    "malformed_request",
    "clock_backwards",
  ],
  401: ["missing_api_key", "invalid_api_key", "invalid_admin_token"],
  402: ["quota_exceeded"],
  404: ["trigger_not_found", "generator_not_found", "custom_key_not_found", "project_not_found", "key_not_found", "not_found", "admin_disabled", "route_not_found"],
  405: ["method_not_allowed"],
  408: ["request_timeout"],
  409: ["trigger_running", "trigger_not_executed", "custom_key_in_use", "clock_not_manual"],
  410: ["already_executed", "already_cancelled", "custom_key_not_live", "key_revoked"],
  413: ["body_too_large"],
  429: ["rate_limited"],
  431: ["headers_too_large"],
  500: ["internal_error"],
  503: ["shutting_down", "overloaded", "store_unavailable"],
} as const satisfies Record<number, readonly string[]>;

/** An HTTP status Hourglass answers errors with. */
export type ErrorStatus = keyof typeof ERROR_CODES;
