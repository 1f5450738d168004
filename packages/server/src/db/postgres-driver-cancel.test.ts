/**
 * Cancelling the statement that runs, with our patch of postgres.js (docs/decisions.md,
 * "A patched postgres.js"). A Postgres cancel request names the backend, not the
 * statement: it cancels whatever that backend runs when the request arrives. Unpatched,
 * a cancel that arrived after the targeted statement had finished cancelled the next
 * statement on the connection (another request's, under load) with 57014.
 *
 * To make the race deterministic, the pools here reach Postgres through a TCP proxy that
 * holds every cancel request until the test lets it through.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, startPostgresProxy, type TestDatabase, within } from "../testing/index.js";
import { createSql, type Sql } from "./sql.js";

/** The first bytes of a CancelRequest: its length (16) and its code. */
const cancelRequestCode = 80877102;

interface CancelHoldingProxy {
  url: string;
  /** Cancel requests that reached the proxy so far. */
  readonly cancelsSeen: number;
  /** Resolves once `n` cancel requests reached the proxy. */
  cancelsArrived(n: number): Promise<void>;
  /** Passes the held cancel requests on to Postgres. */
  releaseCancels(): void;
  close(): Promise<void>;
}

async function startCancelHoldingProxy(databaseUrl: string): Promise<CancelHoldingProxy> {
  const held: Array<() => void> = [];
  const arrivals: Array<{ n: number; resolve: () => void }> = [];
  let cancelsSeen = 0;
  const proxy = await startPostgresProxy(databaseUrl, {
    first: (bytes, pass) => {
      if (bytes.readInt32BE(0) !== 16 || bytes.readInt32BE(4) !== cancelRequestCode) return pass();
      cancelsSeen += 1;
      held.push(pass);
      for (const arrival of arrivals.filter((a) => a.n <= cancelsSeen)) {
        arrivals.splice(arrivals.indexOf(arrival), 1);
        arrival.resolve();
      }
    },
  });
  return {
    url: proxy.url,
    get cancelsSeen() {
      return cancelsSeen;
    },
    cancelsArrived: (n) =>
      n <= cancelsSeen ? Promise.resolve() : new Promise((resolve) => arrivals.push({ n, resolve })),
    releaseCancels: () => {
      for (const release of held.splice(0)) release();
    },
    close: () => proxy.close(),
  };
}

let db: TestDatabase;
let proxy: CancelHoldingProxy;
const pools: Sql[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startCancelHoldingProxy(db.url);
});
afterAll(async () => {
  proxy?.releaseCancels();
  for (const pool of pools) await pool.end({ timeout: 1 });
  await proxy?.close();
  await db?.drop();
});

/** A pool of one connection, so every statement goes to the same backend. */
function onePool(url = proxy.url): Sql {
  const pool = createSql(url, { max: 1 });
  pools.push(pool);
  return pool;
}

/** A statement's `who` column, or the error it failed with. */
function outcome(query: Promise<readonly { who?: string }[]>): Promise<string | { code?: string }> {
  return query.then(
    (rows) => rows[0]?.who ?? "",
    (error: { code?: string }) => error,
  );
}

/**
 * Waits until a statement whose text contains `marker` runs on some backend, for at most
 * `ms` (it may be held back on purpose, so not running is no failure here).
 */
async function runningWithin(marker: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where state = 'active' and query like ${`%${marker}%`} and query not like '%pg_stat_activity%'`;
    if ((row?.n ?? 0) > 0) return true;
    await sleep(20);
  }
  return false;
}

describe("postgres.js, as patched: cancelling the statement that runs", () => {
  it("never cancels the statement handed to the connection after the cancelled one finished", async () => {
    const sql = onePool();
    await sql`select 1`;
    const first = sql`select pg_sleep(0.3), 'first' as who`;
    const firstOutcome = outcome(first);
    await sleep(100); // the first statement runs
    const seen = proxy.cancelsSeen;
    const cancelling = first.cancel();
    await within(proxy.cancelsArrived(seen + 1)); // the cancel request is on its way, held
    expect(await within(firstOutcome)).toBe("first"); // it finished before the request arrived
    // The connection is idle now; the next statement is handed to it...
    const second = outcome(sql`select 'second' as who, pg_sleep(0.6) as s_idle_then_cancel`);
    await runningWithin("s_idle_then_cancel", 500);
    // ...and only then does the cancel request reach Postgres. Unpatched, the second
    // statement was running by now and the request cancelled it: 57014.
    proxy.releaseCancels();
    expect(await within(second)).toBe("second");
    await within(cancelling);
    expect(await within(sql`select 'later' as who`)).toEqual([{ who: "later" }]);
  });

  it("never cancels a statement pipelined behind the cancelled one", async () => {
    const sql = onePool();
    await sql`select 1`; // the connection is open: the next two go out on it back to back
    const first = sql`select pg_sleep(0.3), 'first' as who`;
    const second = sql`select 'second' as who, pg_sleep(0.6) as s_pipelined`;
    const outcomes = [outcome(first), outcome(second)];
    first.execute();
    second.execute();
    await sleep(100); // both sent; the first runs, the second waits in the backend's input
    const seen = proxy.cancelsSeen;
    const cancelling = first.cancel();
    // A cancel request could not tell the two apart: the first runs to completion instead.
    expect(await within(outcomes[0] as Promise<unknown>)).toBe("first");
    await runningWithin("s_pipelined", 500);
    // Unpatched, a cancel request was sent, and arriving now it cancelled the second.
    proxy.releaseCancels();
    expect(await within(outcomes[1] as Promise<unknown>)).toBe("second");
    await within(cancelling);
    expect(proxy.cancelsSeen).toBe(seen);
  });

  it("resolves cancel() of a statement that already finished without sending a cancel request", async () => {
    const sql = onePool();
    const done = sql`select 'done' as who`;
    expect(await within(outcome(done))).toBe("done");
    const seen = proxy.cancelsSeen;
    // Unpatched, this promise never settled.
    await within(done.cancel());
    const next = outcome(sql`select 'next' as who, pg_sleep(0.2)`);
    expect(await within(next)).toBe("next");
    expect(proxy.cancelsSeen).toBe(seen);
  });

  it("still cancels the running statement once the cancel request arrives, and the connection goes on", async () => {
    const sql = onePool();
    await sql`select 1`;
    const running = sql`select pg_sleep(10), 'running' as who`;
    const runningOutcome = outcome(running);
    await sleep(100);
    const seen = proxy.cancelsSeen;
    const cancelling = running.cancel();
    await within(proxy.cancelsArrived(seen + 1));
    // Handed over while the request is held: it waits for the request to be answered.
    const next = outcome(sql`select 'next' as who`);
    proxy.releaseCancels();
    expect(await within(runningOutcome)).toMatchObject({ code: "57014" });
    await within(cancelling);
    expect(await within(next)).toBe("next");
  });

  it("runs a transaction begun while a cancel request is in flight once the request was answered", async () => {
    const sql = onePool();
    await sql`create table if not exists driver_cancel_tx (n int)`;
    const running = sql`select pg_sleep(10), 'running' as who`;
    const runningOutcome = outcome(running);
    await sleep(100);
    const seen = proxy.cancelsSeen;
    const cancelling = running.cancel();
    await within(proxy.cancelsArrived(seen + 1));
    const transaction = sql.begin(async (tx) => {
      await tx`insert into driver_cancel_tx values (1)`;
      return tx<{ n: number }[]>`select count(*)::int as n from driver_cancel_tx`;
    });
    await sleep(50);
    proxy.releaseCancels();
    expect(await within(runningOutcome)).toMatchObject({ code: "57014" });
    expect(await within(transaction)).toEqual([{ n: 1 }]);
    await within(cancelling);
    expect(await within(sql`select count(*)::int as n from driver_cancel_tx`)).toEqual([{ n: 1 }]);
  });

  it("fails no statement as cancelled that nobody cancelled, under many cancels on one connection", async () => {
    // Straight to Postgres, no proxy: the race as the connected-fleet bench met it.
    const sql = onePool(db.url);
    await sql`select 1`;
    // Every third statement is cancelled the moment its turn comes (the one before it was
    // answered), so it is running, for a few milliseconds at most, when the request leaves:
    // the request often arrives after it finished, while the statement behind it runs.
    const statements = Array.from({ length: 120 }, (_, i) => {
      const wanted = i % 3 !== 0;
      const seconds = wanted ? 0.01 : (i % 7) * 0.001;
      const query = sql`select pg_sleep(${seconds}), ${i}::int as n`;
      return {
        query,
        wanted,
        result: query.then(
          () => "ok",
          (error: { code?: string }) => error,
        ),
      };
    });
    const cancels = statements.map(async (s, i) => {
      if (s.wanted || i === 0) return;
      await statements[i - 1]?.result;
      await s.query.cancel();
    });
    const results = await within(Promise.all(statements.map((s) => s.result)), 20_000);
    const wrongly = results
      .filter((r, i) => statements[i]?.wanted && r !== "ok")
      .map((r) => (typeof r === "string" ? r : r.code));
    expect(wrongly).toEqual([]);
    await within(Promise.all(cancels), 20_000);
  });

  it("fails no statement as cancelled that nobody cancelled, when each comes right after a cancel", async () => {
    const sql = onePool(db.url);
    await sql`select 1`;
    const wrongly: unknown[] = [];
    const cancellings: Promise<void>[] = [];
    for (let round = 0; round < 40; round++) {
      // A short statement, cancelled about when it finishes; the next one is handed to
      // the connection at once, before the cancel request has been answered.
      const cancelled = sql`select pg_sleep(${(round % 5) * 0.001}), 'cancelled' as who`;
      const cancelledOutcome = outcome(cancelled);
      await sleep(round % 4);
      const cancelling = cancelled.cancel();
      const next = await within(outcome(sql`select 'next' as who, pg_sleep(0.01)`));
      if (next !== "next") wrongly.push(typeof next === "string" ? next : next.code);
      cancellings.push(cancelling);
      const first = await within(cancelledOutcome);
      expect(first === "cancelled" || (first as { code?: string }).code === "57014").toBe(true);
    }
    expect(wrongly).toEqual([]);
    await within(Promise.all(cancellings));
  });
});
