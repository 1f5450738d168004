/**
 * The relay's batched statements (relay/batched-rows.ts) against real Postgres: what one
 * turn stores, claims, answers or ends goes out as one statement, each call with its own
 * outcome, and one call's bad data fails only that call.
 */
import { describe, expect, it } from "vitest";
import { countingSql, useTenancyDatabase } from "../testing/index.js";
import { createBatchedRelayRows } from "./batched-rows.js";

const t = useTenancyDatabase();
const channel = "batched_rows_test";
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

/** A call delivered to a stream and waiting for its answer, as storeAndNotify and claim leave it. */
const storeDelivered = async (c: ReturnType<typeof call>) => {
  await t.db.sql`insert into relay_calls (id, runner_id, request, deadline, created_at, delivered_at, lane)
                 values (${c.id}, ${c.runnerId}, ${Buffer.from(c.request)}, ${c.deadline}, ${c.at}, ${c.at}, 'gitpod')`;
};

describe("batched relay rows", () => {
  it("end one turn's answered calls with one statement, each only for its own runner and in time", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const rows = createBatchedRelayRows(sql, "gitpod", channel);
    const { orgRunner, userRunner } = t.fx.runners;
    const open = call(orgRunner);
    const someoneElses = call(userRunner);
    const expired = call(orgRunner, new Date(at.getTime() - 1));
    await Promise.all([open, someoneElses, expired].map(storeDelivered));
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
    const rows = createBatchedRelayRows(t.db.sql, "gitpod", channel);
    const open = call(t.fx.runners.orgRunner);
    await storeDelivered(open);
    const [a, b] = await Promise.allSettled([
      rows.endAnswered(open.id, t.fx.runners.orgRunner, at),
      rows.endAnswered("not-a-call", t.fx.runners.orgRunner, at),
    ]);
    expect(a).toMatchObject({ status: "fulfilled", value: true });
    expect(b).toMatchObject({ status: "rejected", reason: { code: "22P02" } });
  });

  it("store one turn's calls for other processes' streams with one statement, only where a live stream is, and tell them", async () => {
    const { orgRunner, userRunner } = t.fx.runners;
    const seenSince = new Date(at.getTime() - 30_000);
    // org runner: a stream that named oauth-v1, seen just now; user runner: one silent too long.
    await t.db
      .sql`insert into runner_connections (stream_id, runner_id, server_id, connected_at, last_seen, lane, extensions) values
      (${crypto.randomUUID()}, ${orgRunner}, ${crypto.randomUUID()}, ${at}, ${at}, 'gitpod', ${["oauth-v1"]}),
      (${crypto.randomUUID()}, ${userRunner}, ${crypto.randomUUID()}, ${seenSince}, ${seenSince}, 'gitpod', ${[]})`;
    const told: string[] = [];
    const listening = await t.db.sql.listen(channel, (payload) => told.push(payload));
    try {
      const { sql, statements } = countingSql(t.db.sql);
      const rows = createBatchedRelayRows(sql, "gitpod", channel);
      const remote = (runnerId: string, extension: string) => {
        const c = call(runnerId);
        return { ...c, seenSince, extension, notification: `call:${runnerId}:${c.id}:${extension}` };
      };
      const calls = [
        remote(orgRunner, ""),
        remote(orgRunner, "oauth-v1"),
        remote(orgRunner, "other"),
        remote(userRunner, ""),
      ];
      const sent = await Promise.all(calls.map((c) => rows.storeAndNotify(c)));
      expect(statements()).toBe(1);
      expect(sent).toEqual([true, true, false, false]);
      const stored = await t.db.sql<{ id: string; delivered_at: Date | null }[]>`
        select id, delivered_at from relay_calls where id = any(${calls.map((c) => c.id)}::uuid[])`;
      expect(stored.map((r) => r.id).sort()).toEqual([calls[0]?.id, calls[1]?.id].sort());
      expect(stored.every((r) => r.delivered_at === null)).toBe(true);
      await expect.poll(() => told.sort()).toEqual([calls[0]?.notification, calls[1]?.notification].sort());

      // Claimed once, by one turn's notifications together; a claimed call is not claimed again.
      const claimedBefore = statements();
      const [first, again, unknown] = await Promise.all([
        rows.claim(calls[0]?.id as string, at),
        rows.claim(calls[0]?.id as string, at),
        rows.claim(crypto.randomUUID(), at),
      ]);
      expect(statements() - claimedBefore).toBe(1);
      expect([...(first ?? [])]).toEqual([1, 2, 3, 0xff]);
      expect(again).toEqual(first);
      expect(unknown).toBeUndefined();
      expect(await rows.claim(calls[0]?.id as string, at)).toBeUndefined();
    } finally {
      await listening.unlisten();
    }
  });

  it("store one turn's answers for callers in other processes with one statement, tell them, and let each take its own", async () => {
    const { orgRunner, userRunner } = t.fx.runners;
    const [a, b, c] = [call(orgRunner), call(orgRunner), call(userRunner)];
    await Promise.all([a, b, c].map(storeDelivered));
    const told: string[] = [];
    const listening = await t.db.sql.listen(channel, (payload) => told.push(payload));
    try {
      const { sql, statements } = countingSql(t.db.sql);
      const rows = createBatchedRelayRows(sql, "gitpod", channel);
      const stored = await Promise.all([
        rows.storeAnswer(a.id, orgRunner, new Uint8Array([7]), at),
        rows.storeAnswer(a.id, orgRunner, new Uint8Array([8]), at),
        rows.storeAnswer(b.id, orgRunner, new Uint8Array([9]), new Date(inAMinute.getTime() + 1)),
        rows.storeAnswer(c.id, orgRunner, new Uint8Array([10]), at),
      ]);
      expect(statements()).toBe(1);
      // The first of a runner's two answers; none past the deadline; none for another runner's call.
      expect(stored).toEqual([true, true, false, false]);
      await expect.poll(() => told).toEqual([`answer:${a.id}`]);
      const takenBefore = statements();
      const [takenA, takenB, none] = await Promise.all([
        rows.takeAnswer(a.id),
        rows.takeAnswer(b.id),
        rows.takeAnswer(crypto.randomUUID()),
      ]);
      expect(statements() - takenBefore).toBe(1);
      expect([...(takenA?.response ?? [])]).toEqual([7]);
      expect(takenB).toEqual({ response: null });
      expect(none).toBeUndefined();
      expect(await rows.takeAnswer(a.id)).toBeUndefined();
    } finally {
      await listening.unlisten();
    }
  });

  it("store an answer that finds no row as a row of its own only when its call is held in memory, in the same statement", async () => {
    const { orgRunner, userRunner } = t.fx.runners;
    const open = call(orgRunner);
    await storeDelivered(open);
    const [held, again, unvouched, goneRunner] = [
      crypto.randomUUID(),
      crypto.randomUUID(),
      crypto.randomUUID(),
      crypto.randomUUID(),
    ];
    const told: string[] = [];
    const listening = await t.db.sql.listen(channel, (payload) => told.push(payload));
    try {
      const { sql, statements } = countingSql(t.db.sql);
      const rows = createBatchedRelayRows(sql, "gitpod", channel);
      const results = await Promise.all([
        rows.storeAnswer(open.id, orgRunner, new Uint8Array([1]), at, inAMinute),
        rows.storeAnswer(held, userRunner, new Uint8Array([2]), at, inAMinute),
        rows.storeAnswer(unvouched, orgRunner, new Uint8Array([3]), at),
        rows.storeAnswer(goneRunner, crypto.randomUUID(), new Uint8Array([4]), at, inAMinute),
      ]);
      expect(statements()).toBe(1);
      // The stored call takes its answer as before; the held call's answer gets a row; an
      // answer nobody vouches for, or from a runner that is gone, gets none.
      expect(results).toEqual([true, true, false, false]);
      await expect.poll(() => told.sort()).toEqual([`answer:${open.id}`, `answer:${held}`].sort());
      const [row] = await t.db.sql<{ runner_id: string; deadline: Date; delivered_at: Date; response: Buffer }[]>`
        select runner_id, deadline, delivered_at, response from relay_calls where id = ${held}`;
      expect(row).toMatchObject({ runner_id: userRunner, deadline: inAMinute, delivered_at: at });
      expect([...(row?.response ?? [])]).toEqual([2]);
      expect((await stored([unvouched, goneRunner])).map((r) => r.id)).toEqual([]);

      // A second answer to the held call finds its row answered, and stores nothing more.
      expect(await rows.storeAnswer(held, userRunner, new Uint8Array([5]), at, inAMinute)).toBe(false);
      expect(await rows.storeAnswer(again, userRunner, new Uint8Array([6]), at, inAMinute)).toBe(true);
      expect([...((await rows.takeAnswer(held))?.response ?? [])]).toEqual([2]);
      expect([...((await rows.takeAnswer(again))?.response ?? [])]).toEqual([6]);
    } finally {
      await listening.unlisten();
    }
  });
});
