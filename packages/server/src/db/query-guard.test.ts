/**
 * The query guard ties each statement to its request (db/query-guard.ts): after the
 * request is answered nothing of it reaches Postgres, and a write that lost its
 * connection after it was sent marks the outcome unknown. Real Postgres, real pools.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase, within } from "../testing/index.js";
import { DatabaseUnavailableError, RequestEndedError } from "./connection-errors.js";
import type { DatabaseHealth } from "./health.js";
import { currentRequestScope, detached, type RequestScope, runInRequestScope } from "./request-scope.js";
import { createSql, type Sql } from "./sql.js";

let db: TestDatabase;
const pools: Sql[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql`create table guard_probe (label text not null)`;
});
afterAll(async () => {
  for (const pool of pools) await pool.end({ timeout: 1 });
  await db?.drop();
});

function pool(options: { health?: DatabaseHealth } = {}): Sql {
  const sql = createSql(db.url, { max: 1, ...options });
  pools.push(sql);
  return sql;
}

const labels = async () => (await db.sql<{ label: string }[]>`select label from guard_probe`).map((r) => r.label);

/** Runs `fn` as a request whose answer (the controller) the test decides. */
function request<T>(fn: (scope: RequestScope) => Promise<T>) {
  const answered = new AbortController();
  const result = runInRequestScope(answered.signal, () => fn(currentRequestScope() as RequestScope));
  return { answered, result: result.catch((error: unknown) => error) };
}

/** Holds the pool's only connection for `ms`, outside any request. */
const occupy = (sql: Sql, ms: number) => sql`select pg_sleep(${ms / 1000})`.execute();

describe("the query guard", () => {
  it("never sends a statement of a request that was already answered", async () => {
    const sql = pool();
    const { answered, result } = request(async () => {
      await sleep(20);
      return sql`insert into guard_probe values ('after the answer')`;
    });
    answered.abort();
    expect(await result).toBeInstanceOf(RequestEndedError);
    expect(await labels()).not.toContain("after the answer");
  });

  it("takes a statement off the queue when its request is answered while it waits for a connection", async () => {
    const sql = pool();
    const busy = occupy(sql, 300);
    const { answered, result } = request(() => sql`insert into guard_probe values ('queued')`.execute());
    await sleep(50);
    answered.abort();
    expect(await result).toBeInstanceOf(RequestEndedError);
    await busy;
    await sleep(50);
    expect(await labels()).not.toContain("queued");
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
  });

  it("cancels a running statement when its request is answered", async () => {
    const sql = pool();
    const started = Date.now();
    const { answered, result } = request(() => sql`select pg_sleep(10)`.execute());
    await sleep(200);
    answered.abort();
    expect(await result).toMatchObject({ code: "57014" });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("rolls back a transaction whose request is answered half-way, and gives its connection back", async () => {
    const sql = pool();
    const { answered, result } = request(() =>
      sql.begin(async (tx) => {
        await tx`insert into guard_probe values ('half a transaction')`;
        await sleep(200);
        await tx`insert into guard_probe values ('the other half')`;
      }),
    );
    await sleep(100);
    answered.abort();
    expect(await result).toBeInstanceOf(RequestEndedError);
    expect(await labels()).not.toContain("half a transaction");
    expect(await sql`select 2 as two`).toEqual([{ two: 2 }]);
  });

  it("rolls back a transaction whose request is answered after its last statement, before its commit", async () => {
    const sql = pool();
    const { answered, result } = request(() =>
      sql.begin(async (tx) => {
        await tx`insert into guard_probe values ('all but the commit')`;
        // The deadline passes here: the guard refuses the COMMIT that comes next.
        answered.abort();
      }),
    );
    expect(await result).toBeInstanceOf(RequestEndedError);
    // Neither committed nor left open: the pool's only connection answers, and not from inside
    // the transaction that wrote (which has a transaction id).
    expect(await within(sql`select txid_current_if_assigned() as writer`)).toEqual([{ writer: null }]);
    expect(await labels()).not.toContain("all but the commit");
  });

  it("marks the outcome unknown when a write loses its connection after it was sent, and not for a read", async () => {
    const sql = pool();
    const terminateSoon = () =>
      sleep(150).then(
        () =>
          db.sql`select pg_terminate_backend(pid) from pg_stat_activity where query like '%guard-victim%' and pid <> pg_backend_pid()`,
      );

    const write = request(async (scope) => {
      const error = await sql`insert into guard_probe select 'guard-victim' from pg_sleep(1)`.catch((e: unknown) => e);
      return { error, unknown: scope.outcomeUnknown };
    });
    await terminateSoon();
    expect(await write.result).toMatchObject({ unknown: true });

    const read = request(async (scope) => {
      const error = await sql`select 'guard-victim', pg_sleep(1)`.catch((e: unknown) => e);
      return { error, unknown: scope.outcomeUnknown };
    });
    await terminateSoon();
    expect(await read.result).toMatchObject({ unknown: false });
  });

  it("fails a request's statements at once while the database is down, and drops those already waiting", async () => {
    let down = false;
    const listeners: (() => void)[] = [];
    const health: DatabaseHealth = {
      get down() {
        return down;
      },
      suspect: () => {},
      check: async () => !down,
      onDown: (listener) => void listeners.push(listener),
      close: async () => {},
    };
    const sql = pool({ health });
    const busy = occupy(sql, 300);
    const waiting = request(() => sql`insert into guard_probe values ('waiting when it went down')`.execute());
    await sleep(50);
    down = true;
    for (const listener of listeners) listener();
    expect(await waiting.result).toBeInstanceOf(DatabaseUnavailableError);

    const later = request(() => sql`insert into guard_probe values ('while down')`.execute());
    expect(await later.result).toBeInstanceOf(DatabaseUnavailableError);
    await busy;
    expect(await labels()).not.toContain("waiting when it went down");
    expect(await labels()).not.toContain("while down");
  });

  it("leaves statements outside any request, and detached work, alone", async () => {
    const sql = pool();
    const { answered, result } = request(async () => {
      await sleep(20); // answered meanwhile
      return detached(async () => {
        await sql`insert into guard_probe values ('detached bookkeeping')`;
      });
    });
    answered.abort();
    expect(await result).toBeUndefined();
    await sql`insert into guard_probe values ('no request at all')`;
    expect(await labels()).toEqual(expect.arrayContaining(["detached bookkeeping", "no request at all"]));
  });
});
