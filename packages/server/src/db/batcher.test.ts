/**
 * The batcher's own rules (db/batcher.ts), with a statement that records what it is asked:
 * when a batch goes out, which keys it carries, and what its callers learn when it fails.
 * Its use against real Postgres: db/token-lookup.test.ts, db/runner-status.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createBatcher } from "./batcher.js";
import { RequestEndedError } from "./connection-errors.js";
import { currentRequestScope, runInRequestScope } from "./request-scope.js";

/** A batcher whose statement answers each key with its item, and the batches it ran. */
function recording(run?: (items: ReadonlyMap<string, string>) => Promise<ReadonlyMap<string, string>>) {
  const batches: string[][] = [];
  const batched = createBatcher<string, string, string>({
    run: async (items) => {
      batches.push([...items.keys()]);
      return run ? run(items) : new Map(items);
    },
    merge: (earlier, later) => `${earlier}+${later}`,
    maxKeys: 10,
  });
  return { batched, batches };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("batched statements", () => {
  it("send a lingering batch once its earliest linger has passed, with the calls that came meanwhile", async () => {
    const { batched, batches } = recording();
    const first = batched("a", "1", 30);
    await nextTurn();
    expect(batches).toEqual([]);
    const second = batched("b", "2", 1_000);
    expect(await Promise.all([first, second])).toEqual(["1", "2"]);
    expect(batches).toEqual([["a", "b"]]);
  });

  it("send a lingering batch at the end of the turn once a call that cannot wait joins it", async () => {
    const { batched, batches } = recording();
    const lingering = batched("a", "1", 60_000);
    const prompt = batched("b", "2");
    await nextTurn();
    expect(batches).toEqual([["a", "b"]]);
    expect(await Promise.all([lingering, prompt])).toEqual(["1", "2"]);
  });

  it("give calls for the same key one place, their items merged in order, and the same result", async () => {
    const { batched, batches } = recording();
    expect(await Promise.all([batched("a", "1"), batched("a", "2"), batched("b", "3")])).toEqual(["1+2", "1+2", "3"]);
    expect(batches).toEqual([["a", "b"]]);
  });

  it("leave out a key whose callers all left before the batch went out", async () => {
    const { batched, batches } = recording();
    const ended = new AbortController();
    const leaving = runInRequestScope(ended.signal, () => batched("a", "1", 20));
    const staying = runInRequestScope(new AbortController().signal, () => batched("b", "2", 20));
    ended.abort(new Error("client gone"));
    await expect(leaving).rejects.toBeInstanceOf(RequestEndedError);
    expect(await staying).toBe("2");
    expect(batches).toEqual([["b"]]);
  });

  it("tell every caller its outcome is unknown when the batch's write may have committed", async () => {
    const lost = Object.assign(new Error("connection lost"), { code: "CONNECTION_CLOSED" });
    const { batched } = recording(async () => {
      // What the query guard does for a write that lost its connection after it was sent.
      const scope = currentRequestScope();
      if (scope) scope.outcomeUnknown = true;
      throw lost;
    });
    const calls = [0, 1].map((i) =>
      runInRequestScope(new AbortController().signal, () => {
        const scope = currentRequestScope();
        return batched(`k${i}`, "x").catch((error: unknown) => ({ error, unknown: scope?.outcomeUnknown }));
      }),
    );
    expect(await Promise.all(calls)).toEqual([
      { error: lost, unknown: true },
      { error: lost, unknown: true },
    ]);
  });
});
