/**
 * How failures become Connect errors: database errors by what they mean for the caller,
 * ConnectErrors unchanged, everything else an opaque `internal` error (behaviour.md §9).
 * Database errors are checked both as postgres.js-shaped objects and as errors raised by
 * a real Postgres.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase, type TestDatabase } from "../testing/index.js";
import { connectErrorFromDatabase, nonRetryableCodes, toPublicError } from "./error-mapping.js";

/** An error shaped like postgres.js's PostgresError (a server-reported error). */
function postgresError(code: string, message: string): Error {
  return Object.assign(new Error(message), {
    name: "PostgresError",
    code,
    severity: "ERROR",
    detail: `Key (id)=(secret-detail) of table "runners"`,
    table_name: "runners",
    constraint_name: "runners_pkey",
  });
}

/** An error shaped like postgres.js's connection errors. */
function connectionError(code: string): Error {
  return Object.assign(new Error(`write ${code} 10.0.0.5:5432`), { code, errno: code, address: "10.0.0.5" });
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

describe("connectErrorFromDatabase", () => {
  it.each([
    ["23505", "unique_violation", Code.AlreadyExists],
    ["23503", "foreign_key_violation", Code.NotFound],
    ["40001", "serialization_failure", Code.Aborted],
    ["40P01", "deadlock_detected", Code.Aborted],
    ["57014", "query_canceled", Code.DeadlineExceeded],
    ["08006", "connection_failure", Code.Unavailable],
    ["08001", "sqlclient_unable_to_establish_sqlconnection", Code.Unavailable],
    ["08003", "connection_does_not_exist", Code.Unavailable],
    ["57P01", "admin_shutdown", Code.Unavailable],
    ["57P02", "crash_shutdown", Code.Unavailable],
    ["57P03", "cannot_connect_now", Code.Unavailable],
    ["53300", "too_many_connections", Code.Unavailable],
  ])("maps SQLSTATE %s (%s) to %s", (sqlstate, _name, code) => {
    const mapped = connectErrorFromDatabase(postgresError(sqlstate, `internal text for ${sqlstate}`));
    expect(mapped).toBeInstanceOf(ConnectError);
    expect(mapped?.code).toBe(code);
  });

  it.each([
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "CONNECT_TIMEOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
  ])("maps the connection error %s to unavailable, with Retry-After on every protocol", (code) => {
    const mapped = connectErrorFromDatabase(connectionError(code));
    expect(mapped?.code).toBe(Code.Unavailable);
    expect(mapped?.metadata.get("retry-after")).toBe("1");
  });

  it("says the outcome is unknown when the request's write lost its connection after it was sent", () => {
    const scope = { signal: new AbortController().signal, outcomeUnknown: true };
    expect(connectErrorFromDatabase(connectionError("CONNECTION_CLOSED"), scope)?.code).toBe(Code.Unknown);
    expect(connectErrorFromDatabase(postgresError("23505", "dup"), scope)?.code).toBe(Code.AlreadyExists);
  });

  it("never repeats the database's message, detail or constraint names", () => {
    for (const sqlstate of ["23505", "23503", "40001", "57014", "08006"]) {
      const mapped = connectErrorFromDatabase(
        postgresError(sqlstate, 'duplicate key value violates unique constraint "runners_pkey"'),
      );
      expect(mapped?.rawMessage).not.toMatch(/runners|constraint|secret-detail|duplicate key/);
    }
  });

  it.each([
    ["a syntax error (42601)", postgresError("42601", "syntax error at or near")],
    ["an undefined table (42P01)", postgresError("42P01", 'relation "x" does not exist')],
    ["a check violation (23514)", postgresError("23514", "violates check constraint")],
    ["an error with a numeric code", Object.assign(new Error("x"), { code: 23505 })],
    ["an error without a code", new Error("boom")],
    ["a string", "23505"],
    ["null", null],
    ["undefined", undefined],
  ])("returns undefined for %s", (_name, error) => {
    expect(connectErrorFromDatabase(error)).toBeUndefined();
  });

  it("passes a ConnectError through as not-a-database-error", () => {
    expect(connectErrorFromDatabase(new ConnectError("gone", Code.NotFound))).toBeUndefined();
  });
});

describe("connectErrorFromDatabase with a real Postgres", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
    await db.sql`create table parents (id int primary key)`;
    await db.sql`create table children (id int primary key, parent_id int not null references parents (id))`;
    await db.sql`insert into parents (id) values (1)`;
  });
  afterAll(() => db?.drop());

  it("maps a unique violation to already_exists", async () => {
    const error = await failureOf(db.sql`insert into parents (id) values (1)`);
    expect(connectErrorFromDatabase(error)?.code).toBe(Code.AlreadyExists);
  });

  it("maps a missing referenced row to not_found", async () => {
    const error = await failureOf(db.sql`insert into children (id, parent_id) values (1, 999)`);
    expect(connectErrorFromDatabase(error)?.code).toBe(Code.NotFound);
  });

  it("maps a cancelled statement to deadline_exceeded", async () => {
    const error = await failureOf(
      db.sql.begin(async (tx) => {
        await tx`set local statement_timeout = '20ms'`;
        await tx`select pg_sleep(2)`;
      }),
    );
    expect(connectErrorFromDatabase(error)?.code).toBe(Code.DeadlineExceeded);
  });

  it("maps a terminated connection to unavailable", async () => {
    const victim = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [backend] = await victim<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const pid = backend?.pid;
      if (pid === undefined) throw new Error("no backend pid");
      const running = failureOf(victim`select pg_sleep(5)`);
      // Wait until the sleep is running before ending its backend.
      for (let i = 0; i < 100; i++) {
        const [row] = await db.sql`select 1 from pg_stat_activity where pid = ${pid} and query like '%pg_sleep%'`;
        if (row) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await db.sql`select pg_terminate_backend(${pid})`;
      expect(connectErrorFromDatabase(await running)?.code).toBe(Code.Unavailable);
    } finally {
      await victim.end({ timeout: 0 });
    }
  });

  it("maps a refused connection to unavailable", async () => {
    const unreachable = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1, connect_timeout: 2 });
    try {
      const error = await failureOf(unreachable`select 1`);
      expect(connectErrorFromDatabase(error)?.code).toBe(Code.Unavailable);
    } finally {
      await unreachable.end({ timeout: 1 });
    }
  });
});

describe("toPublicError", () => {
  it("passes a ConnectError through unchanged", () => {
    const original = new ConnectError("runner not found", Code.NotFound, { "x-extra": "1" });
    const { error, unexpected } = toPublicError(original, "req-1");
    expect(error).toBe(original);
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe("runner not found");
    expect(unexpected).toBe(false);
  });

  it("translates a database error and does not count it as unexpected", () => {
    const { error, unexpected } = toPublicError(postgresError("23505", "duplicate key value"), "req-2");
    expect(error.code).toBe(Code.AlreadyExists);
    expect(unexpected).toBe(false);
  });

  it("translates an unreachable database to unavailable", () => {
    const { error, unexpected } = toPublicError(connectionError("ECONNREFUSED"), "req-3");
    expect(error.code).toBe(Code.Unavailable);
    expect(unexpected).toBe(false);
  });

  it("hides an unknown error as internal, mentioning the request id", () => {
    const secret = 'relation "runner_secrets" at /srv/app/db.ts:42 password=hunter2';
    const original = new TypeError(secret);
    const { error, unexpected } = toPublicError(original, "req-4f2a");
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toContain("req-4f2a");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("runner_secrets");
    expect(error.cause).toBeUndefined();
    expect(error.details).toEqual([]);
    expect(unexpected).toBe(true);
  });

  it("hides an unmapped database error as internal too", () => {
    const { error, unexpected } = toPublicError(postgresError("42601", 'syntax error at or near "selct"'), "req-5");
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).not.toContain("selct");
    expect(error.rawMessage).toContain("req-5");
    expect(unexpected).toBe(true);
  });

  it.each([
    ["a string", "something broke: token=abc"],
    ["a plain object", { message: "token=abc" }],
    ["undefined", undefined],
  ])("hides a thrown %s as internal", (_name, thrown) => {
    const { error, unexpected } = toPublicError(thrown, "req-6");
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).not.toContain("token=abc");
    expect(unexpected).toBe(true);
  });
});

describe("nonRetryableCodes", () => {
  it("lists the codes behaviour.md §1 marks as not worth retrying", () => {
    expect([...nonRetryableCodes].sort((a, b) => a - b)).toEqual(
      [
        Code.AlreadyExists,
        Code.Aborted,
        Code.FailedPrecondition,
        Code.Unimplemented,
        Code.Internal,
        Code.InvalidArgument,
        Code.PermissionDenied,
        Code.Unauthenticated,
        Code.NotFound,
      ].sort((a, b) => a - b),
    );
  });

  it("leaves unavailable, resource_exhausted and deadline_exceeded retryable", () => {
    for (const code of [Code.Unavailable, Code.ResourceExhausted, Code.DeadlineExceeded]) {
      expect(nonRetryableCodes.has(code)).toBe(false);
    }
  });
});
