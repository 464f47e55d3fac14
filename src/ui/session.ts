import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a dashboard session lasts after signing in (absolute, not sliding). */
export const SESSION_TTL_MS = 12 * 60 * 60_000;

/**
 * Who is signed in. A project session remembers its key's id (so that revoking the key ends the
 * session); an operator session a fingerprint of the admin token (so that changing the token
 * ends it) and the project it is looking at, if any. `sid` is random per sign-in: the CSRF token
 * derives from it.
 */
export type Session =
  | { role: "project"; projectId: string; keyId: string; sid: string; expiresAt: number }
  | { role: "admin"; projectId: string | null; admin: string; sid: string; expiresAt: number };

/**
 * Seals sessions into cookie values and opens them again: `payload.signature`, both base64url,
 * the signature an HMAC-SHA256 under the server secret. Stateless on purpose: any process sharing
 * the database (and so the secret) accepts the cookie, and a restart keeps it. Each request still
 * checks that the key or admin token behind it is live (see viewer.ts).
 */
export interface SessionCodec {
  seal(session: Session): string;
  /** The session in a cookie value, or null when absent, forged, malformed or expired at `now`. */
  open(cookie: string | undefined, now: number): Session | null;
  /** The CSRF token of a session's forms. */
  csrfToken(session: Session): string;
  /** Whether `token` is the session's CSRF token (constant time). */
  checkCsrf(session: Session, token: string | undefined): boolean;
  /** A fingerprint of the admin token, kept in operator sessions instead of the token itself. */
  adminFingerprint(adminToken: string): string;
}

/** A new random session id. */
export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

export function createSessionCodec(secret: string): SessionCodec {
  const mac = (purpose: string, data: string) => createHmac("sha256", secret).update(`${purpose}\u0000${data}`).digest("base64url");
  const same = (a: string, b: string) => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  };
  return {
    seal(session) {
      const payload = Buffer.from(JSON.stringify(session)).toString("base64url");
      return `${payload}.${mac("session", payload)}`;
    },
    open(cookie, now) {
      if (cookie === undefined || cookie.length > 2048) return null;
      const [payload, signature, extra] = cookie.split(".");
      if (payload === undefined || signature === undefined || extra !== undefined) return null;
      if (!same(signature, mac("session", payload))) return null;
      const session = parseSession(Buffer.from(payload, "base64url").toString("utf8"));
      return session !== null && session.expiresAt > now ? session : null;
    },
    csrfToken: (session) => mac("csrf", session.sid),
    checkCsrf: (session, token) => token !== undefined && same(token, mac("csrf", session.sid)),
    adminFingerprint: (adminToken) => mac("admin", adminToken),
  };
}

const isString = (value: unknown): value is string => typeof value === "string" && value.length > 0 && value.length <= 200;

/** The signature was valid, so this only guards against our own older shapes. */
function parseSession(text: string): Session | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  if (!isString(v.sid) || typeof v.expiresAt !== "number") return null;
  if (v.role === "project" && isString(v.projectId) && isString(v.keyId)) {
    return { role: "project", projectId: v.projectId, keyId: v.keyId, sid: v.sid, expiresAt: v.expiresAt };
  }
  if (v.role === "admin" && isString(v.admin) && (v.projectId === null || isString(v.projectId))) {
    return { role: "admin", projectId: v.projectId, admin: v.admin, sid: v.sid, expiresAt: v.expiresAt };
  }
  return null;
}
