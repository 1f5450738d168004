import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCallIds } from "./call-ids.js";

const key = randomBytes(32);
const ids = createCallIds(key);
const runner = randomUUID();
const now = new Date("2026-12-03T15:00:00.250Z");
const deadline = new Date(now.getTime() + 10_000);

describe("relayed calls' ids", () => {
  it("are well-formed UUID v4 and differ call by call", () => {
    const minted = Array.from({ length: 1000 }, () => ids.mint("gitpod", runner, deadline, true));
    for (const id of minted)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(minted).size).toBe(minted.length);
  });

  it("vouch for a call held in memory, of this runner and lane, until its deadline (rounded up to the second) and the grace", () => {
    const id = ids.mint("gitpod", runner, deadline, true);
    const heldUntil = new Date("2026-12-03T15:00:11Z");
    expect(ids.heldUntil("gitpod", runner, id, now, 0)).toEqual(heldUntil);
    expect(ids.heldUntil("gitpod", runner.toUpperCase(), id.toUpperCase(), now, 0)).toEqual(heldUntil);
    expect(ids.heldUntil("gitpod", runner, id, heldUntil, 0)).toEqual(heldUntil);
    expect(ids.heldUntil("gitpod", runner, id, new Date(heldUntil.getTime() + 1), 0)).toBeUndefined();
    expect(ids.heldUntil("gitpod", runner, id, new Date(heldUntil.getTime() + 5_000), 5_000)).toEqual(heldUntil);
  });

  it("vouch for nothing else: a stored call, another runner, another lane, another key, a random or altered id", () => {
    expect(ids.heldUntil("gitpod", runner, ids.mint("gitpod", runner, deadline, false), now, 0)).toBeUndefined();
    const id = ids.mint("gitpod", runner, deadline, true);
    expect(ids.heldUntil("gitpod", randomUUID(), id, now, 0)).toBeUndefined();
    expect(ids.heldUntil("runnerplane", runner, id, now, 0)).toBeUndefined();
    expect(createCallIds(randomBytes(32)).heldUntil("gitpod", runner, id, now, 0)).toBeUndefined();
    expect(ids.heldUntil("gitpod", runner, randomUUID(), now, 0)).toBeUndefined();
    expect(ids.heldUntil("gitpod", runner, "not-a-uuid", now, 0)).toBeUndefined();
    // A later deadline written over the first bytes breaks the tag.
    const later = `${(Number.parseInt(id.slice(0, 8), 16) + 3600).toString(16).padStart(8, "0")}${id.slice(8)}`;
    expect(ids.heldUntil("gitpod", runner, later, now, 0)).toBeUndefined();
    const flipped = `${id.slice(0, -1)}${id.endsWith("0") ? "1" : "0"}`;
    expect(ids.heldUntil("gitpod", runner, flipped, now, 0)).toBeUndefined();
    // The stored call's id with the held-in-memory bit set does not vouch either.
    const stored = ids.mint("gitpod", runner, deadline, false);
    const claimed = `${stored.slice(0, 9)}${(Number.parseInt(stored.slice(9, 11), 16) | 0x80).toString(16)}${stored.slice(11)}`;
    expect(ids.heldUntil("gitpod", runner, claimed, now, 0)).toBeUndefined();
  });
});
