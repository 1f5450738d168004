import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./queue.js";

describe("AsyncQueue", () => {
  it("gives queued messages first, then ends when closed", async () => {
    const queue = new AsyncQueue<number>();
    const it = queue[Symbol.asyncIterator]();
    queue.push(1);
    queue.close();
    expect(await it.next()).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it("fails a waiting read with the error it was closed with, and every read after it", async () => {
    const queue = new AsyncQueue<number>();
    const it = queue[Symbol.asyncIterator]();
    const waiting = it.next();
    const failure = new Error("the deadline passed");
    queue.close(failure);
    await expect(waiting).rejects.toBe(failure);
    await expect(it.next()).rejects.toBe(failure);
  });

  it("gives queued messages before the error, and ignores a second close", async () => {
    const queue = new AsyncQueue<number>();
    const it = queue[Symbol.asyncIterator]();
    queue.push(7);
    const failure = new Error("the deadline passed");
    queue.close(failure);
    queue.close();
    expect(await it.next()).toEqual({ value: 7, done: false });
    await expect(it.next()).rejects.toBe(failure);
  });
});
