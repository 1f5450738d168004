import { describe, expect, it } from "vitest";
import { heldRandomUuid } from "./held-id.js";

describe("heldRandomUuid", () => {
  it("is a fresh version 4 UUID each time", () => {
    const ids = new Set(Array.from({ length: 100 }, () => heldRandomUuid()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
