/**
 * The relay's batched statements (relay/batched-rows.ts) against real Postgres: one turn's
 * calls stored, and one turn's answers ending their calls, each as one statement, and one
 * call's bad data failing only that call.
 */
import { describe, expect, it } from "vitest";
import { countingSql, useTenancyDatabase } from "../testing/index.js";
import { createBatchedRelayRows } from "./batched-rows.js";

const t = useTenancyDatabase();
const at = new Date("2026-12-02T06:00:00Z");
const inAMinute = new Date(at.getTime() + 60_000);

const call = (runnerId: string, deadline = inAMinute) => ({
  id: crypto.randomUUID(),
  runnerId,
  request: new Uint8Array([1, 2, 3, 0xff]),
  deadline,
  at,
});

const stored = async (ids: string[]) =>
  t.db.sql<{ id: string; request: Buffer; delivered_at: Date; created_at: Date; lane: string }[]>`
    select id, request, delivered_at, created_at, lane from relay_calls where id = any(${ids}::uuid[]) order by id`;

describe("batched relay rows", () => {
  it("store one turn's calls, claimed, with one statement", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const rows = createBatchedRelayRows(sql, "gitpod");
    const calls = [call(t.fx.runners.orgRunner), call(t.fx.runners.userRunner), call(t.fx.runners.orgRunner)];
    await Promise.all(calls.map((c) => rows.storeClaimed(c)));
    expect(statements()).toBe(1);
    const found = await stored(calls.map((c) => c.id));
    expect(found.map((r) => r.id)).toEqual(calls.map((c) => c.id).sort());
    for (const row of found) {
      expect(row).toMatchObject({ delivered_at: at, created_at: at, lane: "gitpod" });
      expect([...row.request]).toEqual([1, 2, 3, 0xff]);
    }
  });

  it("fail only the call whose runner is gone, and store the others", async () => {
    const { sql } = countingSql(t.db.sql);
    const rows = createBatchedRelayRows(sql, "gitpod");
    const good = call(t.fx.runners.orgRunner);
    const orphan = call(crypto.randomUUID());
    const [a, b] = await Promise.allSettled([rows.storeClaimed(good), rows.storeClaimed(orphan)]);
    expect(a.status).toBe("fulfilled");
    expect(b).toMatchObject({ status: "rejected", reason: { code: "23503" } });
    expect((await stored([good.id, orphan.id])).map((r) => r.id)).toEqual([good.id]);
  });

  it("end one turn's answered calls with one statement, each only for its own runner and in time", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const rows = createBatchedRelayRows(sql, "gitpod");
    const { orgRunner, userRunner } = t.fx.runners;
    const open = call(orgRunner);
    const someoneElses = call(userRunner);
    const expired = call(orgRunner, new Date(at.getTime() - 1));
    await Promise.all([open, someoneElses, expired].map((c) => rows.storeClaimed(c)));
    const before = statements();
    const ended = await Promise.all([
      rows.endAnswered(open.id, orgRunner, at),
      // The same answer again in the same turn: the call is ended once, both were in time.
      rows.endAnswered(open.id, orgRunner, at),
      // Another runner answering it first, in the same statement, does not end it for it.
      rows.endAnswered(someoneElses.id, orgRunner, at),
      rows.endAnswered(someoneElses.id, userRunner, at),
      rows.endAnswered(expired.id, orgRunner, at),
      rows.endAnswered(crypto.randomUUID(), orgRunner, at),
    ]);
    expect(statements() - before).toBe(1);
    expect(ended).toEqual([true, true, false, true, false, false]);
    expect((await stored([open.id, someoneElses.id, expired.id])).map((r) => r.id)).toEqual([expired.id]);
    // Ended once: a later answer finds nothing.
    expect(await rows.endAnswered(open.id, orgRunner, at)).toBe(false);
  });

  it("fail only the answer whose request id is no UUID", async () => {
    const rows = createBatchedRelayRows(t.db.sql, "gitpod");
    const open = call(t.fx.runners.orgRunner);
    await rows.storeClaimed(open);
    const [a, b] = await Promise.allSettled([
      rows.endAnswered(open.id, t.fx.runners.orgRunner, at),
      rows.endAnswered("not-a-call", t.fx.runners.orgRunner, at),
    ]);
    expect(a).toMatchObject({ status: "fulfilled", value: true });
    expect(b).toMatchObject({ status: "rejected", reason: { code: "22P02" } });
  });
});
