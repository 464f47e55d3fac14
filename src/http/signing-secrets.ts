import { generateSigningSecret } from "../dispatch/webhook-signature.js";
import type { Store } from "../store/store.js";

/**
 * Rotation: the new secret signs at once; the previous one keeps signing too (two signatures)
 * until {@link dropPreviousSecret}, so receivers can switch without missing a message.
 * Returns the new secret — shown once, to the caller only.
 */
export async function rotateSigningSecret(store: Store, projectId: string): Promise<{ secret: string; signingWith: number }> {
  const [current] = await store.getSigningSecrets(projectId);
  const secret = generateSigningSecret();
  await store.setSigningSecrets(projectId, current === undefined ? [secret] : [secret, current]);
  return { secret, signingWith: current === undefined ? 1 : 2 };
}

/** Ends a rotation: only the current secret signs. */
export async function dropPreviousSecret(store: Store, projectId: string): Promise<void> {
  const [current] = await store.getSigningSecrets(projectId);
  await store.setSigningSecrets(projectId, current === undefined ? [] : [current]);
}
