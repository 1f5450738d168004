/**
 * The statement observer on a real pool: what it reports of the pool's state is what
 * postgres.js is doing, it sees every statement's outcome, and it changes none of them.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/index.js";
import { createSql, type Sql } from "./sql.js";
import { createStatementObserver, type StatementObserver } from "./statement-observer.js";

let db: TestDatabase;
let sql: Sql;
let observer: StatementObserver;
const settled: { seconds: number; failed: boolean }[] = [];
const texts: { text: string; error: unknown }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  observer = createStatementObserver({
    settled: (seconds, failed) => settled.push({ seconds, failed }),
    started: () => (text, error) => texts.push({ text, error }),
  });
  // One connection, so one transaction holding it makes everything else wait.
  sql = createSql(db.url, { max: 1, observer });
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

describe("createStatementObserver", () => {
  it("tells running statements and their connection from statements waiting for one", async () => {
    await sql`select 1`; // the connection is open
    expect(observer.poolState()).toEqual({ waiting: 0, running: 0, connectionsBusy: 0 });

    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reserved = false;
    const transaction = sql.begin(async (tx) => {
      await tx`select 1`;
      reserved = true; // the transaction holds the pool's one connection from here on
      const sleeping = tx`select pg_sleep(0.2)`;
      await Promise.race([sleeping, held]);
      await sleeping;
    });
    await vi.waitFor(() => expect(reserved && observer.poolState().running).toBe(1));
    const waiting = sql`select 2 as n`;
    // Handed to the pool once awaited (then), a tick later.
    const result = waiting.then((rows) => rows);
    await vi.waitFor(() => expect(observer.poolState()).toEqual({ waiting: 1, running: 1, connectionsBusy: 1 }));
    release();
    await transaction;
    expect(await result).toEqual([{ n: 2 }]);
    expect(observer.poolState()).toEqual({ waiting: 0, running: 0, connectionsBusy: 0 });
  });

  it("sees each statement's time, outcome and text, and passes its error on unchanged", async () => {
    settled.length = 0;
    texts.length = 0;
    const error = await sql`select * from no_such_table where id = ${"secret-value"}`.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "42P01" });
    expect(settled).toEqual([{ seconds: expect.any(Number), failed: true }]);
    // The text has placeholders, never the values.
    expect(texts).toEqual([{ text: "select * from no_such_table where id = $1", error }]);
    await sql`select 1`;
    expect(settled.at(-1)).toMatchObject({ failed: false });
    expect(texts.at(-1)).toEqual({ text: "select 1", error: undefined });
    expect(settled.every((s) => s.seconds >= 0 && s.seconds < 5)).toBe(true);
  });
});
