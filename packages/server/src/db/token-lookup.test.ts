/**
 * Authentication's batched token lookups (db/token-lookup.ts) against real Postgres: what a
 * turn of the event loop asks for goes out as one statement, and each call still ends on
 * its own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { countingSql, useTenancyDatabase } from "../testing/index.js";
import { RequestEndedError } from "./connection-errors.js";
import { runInRequestScope } from "./request-scope.js";
import { createTokenLookup, tokenLookupBatchMax } from "./token-lookup.js";
import { issueRunnerAccessTokens } from "./tokens.js";

const t = useTenancyDatabase();
let tokens: { runnerId: string; token: string; tokenId: string }[];
beforeAll(async () => {
  tokens = await issueRunnerAccessTokens(t.db.sql, t.fx.organizations.A, [
    t.fx.runners.orgRunner,
    t.fx.runners.userRunner,
  ]);
});

const counting = () => countingSql(t.db.sql);

const unknownToken = `rp_runner_${"A".repeat(43)}`;
const tokenOf = (i: number) => (tokens[i] as { token: string }).token;

describe("batched token lookups", () => {
  it("look up one turn's tokens in one statement, the same token once, and give each call its own row", async () => {
    const { sql, statements } = counting();
    const lookup = createTokenLookup(sql);
    const [a, b, again, unknown] = await Promise.all([
      lookup(tokenOf(0)),
      lookup(tokenOf(1)),
      lookup(tokenOf(0)),
      lookup(unknownToken),
    ]);
    expect(statements()).toBe(1);
    expect(a).toMatchObject({ id: tokens[0]?.tokenId, subject_id: t.fx.runners.orgRunner, subject_exists: true });
    expect(b).toMatchObject({ id: tokens[1]?.tokenId, subject_id: t.fx.runners.userRunner });
    expect(again).toEqual(a);
    expect(unknown).toBeUndefined();
    // The next turn is the next statement: a revocation in between is seen.
    await t.db.sql`update tokens set revoked_at = now() where id = ${tokens[1]?.tokenId ?? ""}`;
    try {
      expect((await lookup(tokenOf(1)))?.revoked_at).toBeInstanceOf(Date);
      expect(statements()).toBe(2);
    } finally {
      await t.db.sql`update tokens set revoked_at = null where id = ${tokens[1]?.tokenId ?? ""}`;
    }
  });

  it("let a lookup that may linger wait for the lookups of the next turns, and go out with the first that cannot", async () => {
    const { sql, statements } = counting();
    const lookup = createTokenLookup(sql);
    const lingering = lookup(tokenOf(0), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const alsoLingering = lookup(tokenOf(1), 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements()).toBe(0);
    const [a, b, c] = await Promise.all([lingering, alsoLingering, lookup(unknownToken)]);
    expect(statements()).toBe(1);
    expect([a?.id, b?.id, c]).toEqual([tokens[0]?.tokenId, tokens[1]?.tokenId, undefined]);
  });

  it("send a full batch at once and the rest in the next statement", async () => {
    const { sql, statements } = counting();
    const lookup = createTokenLookup(sql);
    const many = Array.from({ length: tokenLookupBatchMax + 1 }, (_, i) =>
      i === 0 ? tokenOf(0) : `rp_runner_${String(i).padStart(43, "x")}`,
    );
    const rows = await Promise.all(many.map((token) => lookup(token)));
    expect(statements()).toBe(2);
    expect(rows[0]?.id).toBe(tokens[0]?.tokenId);
    expect(rows.slice(1).every((r) => r === undefined)).toBe(true);
  });

  it("let a call whose request ended stop waiting, while the others get their rows", async () => {
    const { sql, statements } = counting();
    const lookup = createTokenLookup(sql);
    const ended = new AbortController();
    const leaving = runInRequestScope(ended.signal, () => lookup(tokenOf(0)));
    const staying = runInRequestScope(new AbortController().signal, () => lookup(tokenOf(1)));
    ended.abort(new Error("deadline"));
    await expect(leaving).rejects.toBeInstanceOf(RequestEndedError);
    expect((await staying)?.id).toBe(tokens[1]?.tokenId);
    expect(statements()).toBe(1);
  });

  it("send nothing for a batch every caller left, and refuse a call already answered", async () => {
    const { sql, statements } = counting();
    const lookup = createTokenLookup(sql);
    const ended = new AbortController();
    const leaving = runInRequestScope(ended.signal, () => lookup(tokenOf(0)));
    ended.abort(new Error("client gone"));
    await expect(leaving).rejects.toBeInstanceOf(RequestEndedError);
    await expect(runInRequestScope(ended.signal, () => lookup(tokenOf(0)))).rejects.toBeInstanceOf(RequestEndedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements()).toBe(0);
  });
});
