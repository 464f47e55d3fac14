import { randomBytes } from "node:crypto";
import { digestsEqual, hashApiKey } from "../http/api-key.js";
import { sameSecret } from "../http/admin-routes.js";
import type { Store } from "../store/store.js";
import { SESSION_TTL_MS, type Session, type SessionCodec, createSessionCodec, newSessionId } from "./session.js";

const MAX_CREDENTIAL_LENGTH = 512;
/** The server secret (see Store.ensureServerSecret) that signs dashboard sessions. */
const SECRET_NAME = "ui_session";

/** Signing in, and checking on every request that a session's credential is still good. */
export interface UiAuth {
  codec(): Promise<SessionCodec>;
  /** A new session for an API key or the admin token; null when it is neither. */
  signIn(credential: string, now: number): Promise<Session | null>;
  /** Whether the key (or admin token) behind a session is still live: a revoked key or a changed token ends its sessions. */
  isLive(session: Session): Promise<boolean>;
}

export function createUiAuth(store: Store, adminToken: string | null, now: () => number): UiAuth {
  let codec: Promise<SessionCodec> | null = null;
  const getCodec = (): Promise<SessionCodec> => {
    codec ??= store
      .ensureServerSecret(SECRET_NAME, randomBytes(32).toString("base64url"), now())
      .then(createSessionCodec)
      .catch((error: unknown) => {
        codec = null; // try again on the next request
        throw error;
      });
    return codec;
  };
  return {
    codec: getCodec,
    async signIn(credential, at) {
      if (credential.length === 0 || credential.length > MAX_CREDENTIAL_LENGTH) return null;
      const sessions = await getCodec();
      const expiresAt = at + SESSION_TTL_MS;
      if (adminToken !== null && sameSecret(credential, adminToken)) {
        return { role: "admin", projectId: null, admin: sessions.adminFingerprint(adminToken), sid: newSessionId(), expiresAt };
      }
      const digest = hashApiKey(credential);
      const owner = await store.findApiKey(digest);
      if (owner === null || !digestsEqual(owner.keyHash, digest)) return null;
      return { role: "project", projectId: owner.projectId, keyId: owner.keyId, sid: newSessionId(), expiresAt };
    },
    async isLive(session) {
      if (session.role === "admin") {
        return adminToken !== null && sameSecret(session.admin, (await getCodec()).adminFingerprint(adminToken));
      }
      const keys = await store.listApiKeys(session.projectId);
      return keys.some((key) => key.id === session.keyId && key.revokedAt === null);
    },
  };
}
