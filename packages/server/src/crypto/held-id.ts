import { randomUUID } from "node:crypto";

/**
 * A random UUID for something held for hours (a runner stream's id, its request's id).
 * Node builds `randomUUID()` by concatenating hex pieces, which V8 keeps as a tree of about
 * 16 cons strings (~490 bytes) until something reads the characters; reading one makes V8
 * flatten it in place (~60 bytes). Issue 23: two of these per held WatchRequests stream.
 */
export function heldRandomUuid(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}
