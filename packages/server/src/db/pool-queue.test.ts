/**
 * postgres.js keeps its pool's connections in queues (open, busy, full, …). Under steady
 * load, connections take turns in `busy` and that queue never runs empty, and its array
 * kept every spent slot: it grew by one per query, and remove(), which every query's
 * connection goes through when it finishes, scanned all of them. A client doing 20 000
 * queries/s fell to 4 300 within 90 s (docs/performance.md). patches/postgres@3.4.9.patch
 * fixes the queue; these tests hold the patched queue to its behaviour.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";

interface Queue<T> {
  readonly length: number;
  push(x: T): T;
  shift(): T | undefined;
  remove(x: T): T | null;
}

// The module the pool uses; postgres.js does not export it, so it is found by path.
const packageRoot = path.resolve(path.dirname(createRequire(import.meta.url).resolve("postgres")), "../..");
const { default: Queue } = (await import(pathToFileURL(path.join(packageRoot, "src/queue.js")).href)) as {
  default: <T>(initial?: T[]) => Queue<T>;
};

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const connections = () => Array.from({ length: 10 }, (_, i) => ({ id: i }));

describe("the connection pool's queue", () => {
  it("stays first in, first out while connections take turns", () => {
    const [a, b, c] = connections();
    const queue = Queue([a, b]);
    for (let i = 0; i < 1_000; i++) queue.push(queue.shift() as { id: number });
    queue.push(c as { id: number });
    expect([queue.shift(), queue.shift(), queue.shift(), queue.length]).toEqual([a, b, c, 0]);
  });

  it("removes a queued connection wherever it is, and nothing that was already taken", () => {
    const all = connections();
    const queue = Queue(all);
    for (let i = 0; i < 95; i++) queue.push(queue.shift() as { id: number });
    // 95 turns of 10: the queue now starts at connection 5.
    expect(queue.remove(all[9] as { id: number })).toBe(all[9]);
    expect(queue.remove(all[9] as { id: number })).toBeNull();
    expect(queue.length).toBe(9);
    const order = Array.from({ length: 9 }, () => queue.shift()?.id);
    expect(order).toEqual([5, 6, 7, 8, 0, 1, 2, 3, 4]);
  });

  it("does not keep the slots of connections that took their turn when the queue never runs empty", () => {
    const queue = Queue(connections());
    gc();
    const before = process.memoryUsage().heapUsed;
    // Four million turns: the unpatched queue held an array of four million slots (32 MB).
    for (let i = 0; i < 4_000_000; i++) queue.push(queue.shift() as { id: number });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(queue.length).toBe(10);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
