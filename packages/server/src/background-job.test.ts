/** startBackgroundJob (background-job.ts): every interval, outside any request's scope, failures logged and tried again. */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { startBackgroundJob } from "./background-job.js";
import { currentRequestScope, runInRequestScope } from "./db/index.js";
import { createLogger } from "./logging/index.js";

describe("a background job", () => {
  it("runs every interval outside the request that started it, logs a failure and runs again, and stops", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ write: (line) => lines.push(JSON.parse(line)) });
    const scopes: unknown[] = [];
    let runs = 0;
    const job = runInRequestScope(new AbortController().signal, () =>
      startBackgroundJob(log, { intervalMs: 20, failed: "the probe failed; will retry" }, async () => {
        scopes.push(currentRequestScope());
        if (++runs === 1) throw new Error("database down");
      }),
    );
    await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(3), { timeout: 2_000 });
    job.stop();
    const stoppedAt = runs;
    await sleep(100);
    expect(runs).toBe(stoppedAt);
    expect(scopes.every((s) => s === undefined)).toBe(true);
    expect(lines).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "the probe failed; will retry",
        error: expect.objectContaining({ message: "database down" }),
      }),
    ]);
  });
});
