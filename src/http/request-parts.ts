const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The API key of a read/manage request: `ttr-api-key`, else `Authorization: Bearer …`. */
export function bearerOrTtrKey(header: (name: string) => string | undefined): string | undefined {
  return header("ttr-api-key") ?? header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
}

/** An id as this API hands them out (a ULID, any case), upper-cased; null when it cannot be one. */
export function normalizeId(raw: string): string | null {
  const id = raw.toUpperCase();
  return ID_PATTERN.test(id) ? id : null;
}
