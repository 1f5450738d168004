/**
 * Our patch of postgres.js (patches/postgres@3.4.9.patch, docs/decisions.md): connections
 * that die under a statement, and statements cancelled before they were sent, leave the
 * process alive and the pool usable. Each case hung or crashed the process unpatched.
 * The pool-queue changes have their own test (pool-queue.test.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  type PostgresProxy,
  startPostgresProxy,
  type TestDatabase,
  within,
} from "../testing/index.js";
import { isConnectionError } from "./connection-errors.js";
import { createSql, type Sql } from "./sql.js";

let db: TestDatabase;
const pools: Sql[] = [];
const proxies: PostgresProxy[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const pool of pools) await pool.end({ timeout: 1 });
  for (const proxy of proxies) await proxy.close();
  await db?.drop();
});

/** A pool of one connection, so the tests know which connection a statement waits for. */
function onePool(url = db.url): Sql {
  const pool = createSql(url, { max: 1 });
  pools.push(pool);
  return pool;
}

/** A proxy in front of the test database whose connections the test can reset. */
async function resettingProxy(): Promise<PostgresProxy> {
  const proxy = await startPostgresProxy(db.url);
  proxies.push(proxy);
  return proxy;
}

describe("postgres.js, as patched", () => {
  it("fails a transaction's statements with a connection error when its backend dies, and the process and the pool live on", async () => {
    const sql = onePool();
    await db.sql`create table if not exists driver_lost (n int)`;
    const failure = await sql
      .begin(async (tx) => {
        const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await db.sql`select pg_terminate_backend(${row?.pid ?? 0})`;
        await sleep(200); // the connection has noticed it is closed
        // Unpatched, this statement (and the rollback after it) was written to a null
        // socket from setImmediate: an uncaught TypeError that ended the process.
        await tx`select 1`;
      })
      .catch((error: unknown) => error);
    expect(isConnectionError(failure)).toBe(true);
    await sleep(50);
    expect(await within(sql`select 1 as one`)).toEqual([{ one: 1 }]);
  });

  it("leaves nothing queued on a connection whose socket failed under a transaction, so the reopened session answers the right statements", async () => {
    const proxy = await resettingProxy();
    const sql = onePool(proxy.url);
    const failure = await within(
      sql
        .begin(async (tx) => {
          await tx`select 1`;
          const running = tx`select pg_sleep(0.5)`;
          setTimeout(() => proxy.reset(), 100);
          // Failing, it makes begin() send its rollback between the socket's error and
          // its close. Unpatched, the closing connection kept that rollback queued as
          // sent, and the reopened session gave the rollback the next statement's
          // answers: a parameterised statement (described first) then waited for good.
          await running;
        })
        .catch((error: unknown) => error),
    );
    expect(isConnectionError(failure)).toBe(true);
    expect(await within(sql`select 1 as one`)).toEqual([{ one: 1 }]);
    expect(await within(sql`select ${2}::int as two`)).toEqual([{ two: 2 }]);
    expect(await within(sql`select ${3}::int as three`)).toEqual([{ three: 3 }]);
  });

  it("fails a statement handed to the pool as its connection's socket failed, instead of answering it with another statement's rows", async () => {
    const proxy = await resettingProxy();
    const sql = onePool(proxy.url);
    await sql`select 1`;
    let late!: Promise<unknown>;
    const running = sql`select pg_sleep(0.5)`.catch((error: unknown) => {
      // The socket has failed and not closed yet: the pool still hands the connection
      // statements. Unpatched, this one stayed queued as sent through the reconnect.
      late = sql`select ${"late"}::text as who`.catch((e: unknown) => e);
      return error;
    });
    setTimeout(() => proxy.reset(), 100);
    expect(isConnectionError(await within(running))).toBe(true);
    expect(isConnectionError(await within(late))).toBe(true);
    expect(await within(sql`select ${"next"}::text as who`)).toEqual([{ who: "next" }]);
    expect(await within(sql`select ${"after"}::text as who`)).toEqual([{ who: "after" }]);
  });

  it("fails the statements waiting in a transaction's own queue when its connection dies", async () => {
    const sql = onePool();
    let queued!: Promise<unknown>;
    const failure = await within(
      sql
        .begin(async (tx) => {
          const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
          // Described first, so the connection takes nothing more until it is answered:
          // the next statement waits in the transaction's own queue.
          const running = tx`select ${1}::int as n, pg_sleep(1)`.execute();
          queued = tx`select 2 as n`.catch((error: unknown) => error);
          await sleep(50);
          await db.sql`select pg_terminate_backend(${row?.pid ?? 0})`;
          await running;
        })
        .catch((error: unknown) => error),
    );
    expect(isConnectionError(failure)).toBe(true);
    expect(isConnectionError(await within(queued))).toBe(true);
  });

  it("never runs a transaction's statement in a new session once the transaction's connection died", async () => {
    const sql = onePool();
    await db.sql`create table if not exists driver_lost (n int)`;
    let late!: Promise<unknown>;
    // begin() rejects as soon as the connection is lost; the callback goes on regardless.
    const callbackDone = new Promise<void>((resolve) => {
      void sql
        .begin(async (tx) => {
          const [row] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
          await db.sql`select pg_terminate_backend(${row?.pid ?? 0})`;
          await sleep(200);
          await sql`select 1`; // the pool reopens the same connection for someone else
          late = tx`insert into driver_lost values (7)`.catch((error: unknown) => error);
          await late;
          resolve();
        })
        .catch(() => {});
    });
    await within(callbackDone);
    // Unpatched, the insert ran in the reopened session, outside any transaction, and stayed.
    expect(isConnectionError(await late)).toBe(true);
    expect(await db.sql`select n from driver_lost`).toEqual([]);
  });

  it("rolls a transaction back, without stalling its connection, when a statement waiting in the transaction's own queue is cancelled", async () => {
    const sql = onePool();
    await sql`create table if not exists driver_probe (n int)`;
    const failure = await within(
      sql
        .begin(async (tx) => {
          await tx`insert into driver_probe values (1)`;
          // A parameterised statement seen for the first time is described before it runs,
          // so the connection takes no more statements meanwhile: the next one waits in the
          // transaction's queue. Unpatched, cancelling it left the connection waiting for
          // an answer to a statement it never sent, and the rollback never ran.
          const first = tx`select ${1}::int as n, pg_sleep(0.1)`.execute();
          const queued = tx`select 2 as n`;
          const queuedFailure = queued.catch((error: unknown) => error);
          await sleep(20);
          await queued.cancel();
          await queuedFailure;
          await first;
        })
        .catch((error: unknown) => error),
    );
    expect(failure).toMatchObject({ code: "57014" });
    expect(await within(sql`select count(*)::int as n from driver_probe`)).toEqual([{ n: 0 }]);
  });

  it("keeps a connection usable when the statement it was being opened for is cancelled", async () => {
    const sql = onePool();
    const first = sql`select 1 as n`;
    const failure = first.catch((error: unknown) => error);
    first.execute();
    await sleep(0); // handed to the pool, which starts opening its connection for it
    await first.cancel(new Error("not wanted any more"));
    expect(((await failure) as Error).message).toBe("not wanted any more");
    expect(await within(sql`select 2 as n`)).toEqual([{ n: 2 }]);
  });

  it("resolves cancel() of a running statement and rejects the statement as cancelled", async () => {
    const sql = onePool();
    const running = sql`select pg_sleep(10)`;
    const failure = running.catch((error: unknown) => error);
    await sleep(200);
    await within(running.cancel());
    expect((await within(failure)) as { code?: string }).toMatchObject({ code: "57014" });
    expect(await within(sql`select 5 as n`)).toEqual([{ n: 5 }]);
  });

  it("gives the next statement its rows from the first, when the one before failed after sending some", async () => {
    const sql = onePool();
    // The first row is sent before the second fails (division by zero): a cancel that
    // lands between a statement's rows and its completion does the same.
    const failed = sql`select 1 / (2 - x) as n from generate_series(1, 3) x`;
    expect((await within(failed.catch((e: { code?: string }) => e))) as { code?: string }).toMatchObject({
      code: "22012",
    });
    const next = await within(sql`select 'next' as who`);
    expect(next.length).toBe(1);
    expect([...next]).toEqual([{ who: "next" }]);
  });

  it("gives every pipelined statement its own answer when one of them is cancelled before its turn", async () => {
    const sql = onePool();
    await sql`select 1`; // the connection is open: the next three go out on it back to back
    const running = sql`select pg_sleep(0.3), 'running' as who`;
    const cancelled = sql`select 'cancelled' as who`;
    const after = sql`select 'after' as who`;
    const outcomes = [running, cancelled, after].map((q) =>
      q.then(
        (rows) => rows[0]?.who,
        (e: Error) => e,
      ),
    );
    for (const q of [running, cancelled, after]) q.execute();
    await sleep(100); // all three sent; the first is running
    const cancelling = cancelled.cancel();
    const [a, b, c] = await within(Promise.all(outcomes));
    await within(cancelling);
    expect(a).toBe("running");
    // The cancelled one is answered or fails as cancelled; what matters is that nobody
    // else gets its answer: the unpatched driver gave "cancelled" to the statement after it.
    expect(b === "cancelled" || (b as { code?: string }).code === "57014").toBe(true);
    expect(c).toBe("after");
    expect(await within(sql`select 'later' as who`)).toEqual([{ who: "later" }]);
  });
});
