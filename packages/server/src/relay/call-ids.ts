/**
 * Relayed calls' ids, vouched for (docs/relay.md, "Same process"): a call held in one
 * process's memory has no row, so a process that receives an answer for it must tell a real
 * call from a made-up id without asking anyone. Each id is a well-formed UUID v4 whose 16
 * bytes are
 *
 *   0–3    the call's deadline, whole seconds since the epoch (rounded up), big-endian
 *   4–9    the top bit of byte 4: whether the call is held in memory (it has no row);
 *          the rest random, less the version nibble in byte 6 and the variant bits in
 *          byte 8 (41 bits)
 *   10–15  the first 48 bits of HMAC-SHA256(key, lane, runner id, bytes 0–9)
 *
 * with the key a server secret every replica shares. 41 random bits keep two calls with the
 * same deadline second apart (a clash is also checked where it would matter, relay.ts); the
 * tag is checked in constant time. Only an id of a call held in memory vouches for storing
 * an answer that finds no row: a stored call's row is its own proof, and once removed (the
 * deadline passed) its late answers are dropped.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface CallIds {
  /** A fresh id for a call of `runnerId` on `lane` that ends at `deadline`, held in memory or stored. */
  mint(lane: string, runnerId: string, deadline: Date, inMemory: boolean): string;
  /**
   * The call's deadline, when `id` was minted for a call of this lane and runner held in
   * memory and that deadline, plus `graceMs`, has not passed at `now`; otherwise undefined.
   */
  heldUntil(lane: string, runnerId: string, id: string, now: Date, graceMs: number): Date | undefined;
}

const tagBytes = 6;
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A deadline as an id holds it: rounded up to the whole second. */
export const idDeadline = (deadline: Date) => new Date(Math.ceil(deadline.getTime() / 1000) * 1000);

export function createCallIds(key: Uint8Array): CallIds {
  const tag = (lane: string, runnerId: string, head: Buffer) =>
    createHmac("sha256", key)
      .update(`${lane}\n${runnerId.toLowerCase()}\n`)
      .update(head)
      .digest()
      .subarray(0, tagBytes);

  return {
    mint(lane, runnerId, deadline, inMemory) {
      const bytes = Buffer.alloc(16);
      bytes.writeUInt32BE((idDeadline(deadline).getTime() / 1000) >>> 0, 0);
      randomBytes(6).copy(bytes, 4);
      bytes[4] = ((bytes[4] as number) & 0x7f) | (inMemory ? 0x80 : 0);
      bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
      bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
      tag(lane, runnerId, bytes.subarray(0, 10)).copy(bytes, 10);
      const hex = bytes.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },

    heldUntil(lane, runnerId, id, now, graceMs) {
      const lower = id.toLowerCase();
      if (!uuidShape.test(lower)) return undefined;
      const bytes = Buffer.from(lower.replaceAll("-", ""), "hex");
      if (((bytes[4] as number) & 0x80) === 0) return undefined;
      const deadline = bytes.readUInt32BE(0) * 1000;
      if (deadline + graceMs < now.getTime()) return undefined;
      if (!timingSafeEqual(tag(lane, runnerId, bytes.subarray(0, 10)), bytes.subarray(10))) return undefined;
      return new Date(deadline);
    },
  };
}
