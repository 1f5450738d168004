import { describe, expect, it } from "vitest";
import { relative } from "./Time";

describe("relative", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it("reads as people say it, in the past and the future", () => {
    expect(relative(new Date(now - 10_000), now)).toBe("just now");
    expect(relative(new Date(now - 3 * 60_000), now)).toBe("3 minutes ago");
    expect(relative(new Date(now - 5 * 3_600_000), now)).toBe("5 hours ago");
    expect(relative(new Date(now + 2 * 86_400_000), now)).toBe("in 2 days");
  });
});
