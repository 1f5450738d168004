/**
 * Heartbeats' status writes (db/runner-status.ts) against real Postgres: the heartbeats of
 * one turn go out as one statement, each runner gets its own report and answer, and one
 * runner's bad report fails nobody else's heartbeat.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { countingSql, useTenancyDatabase } from "../testing/index.js";
import { createRunnerStatusWriter, heartbeatBatchMax } from "./runner-status.js";

const t = useTenancyDatabase();

const stored = async (id: string) => {
  const [row] = await t.db.sql<
    {
      version: string;
      status_message: string;
      capabilities: number[];
      gateway_info: unknown;
      additional_info: unknown;
      status_updated_at: Date;
    }[]
  >`select version, status_message, capabilities, gateway_info, additional_info, status_updated_at
      from runners where id = ${id}`;
  return row;
};

describe("heartbeats", () => {
  it("write the heartbeats of one turn in one statement, each runner its own report, and answer each", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const record = createRunnerStatusWriter(sql);
    const now = new Date("2026-12-02T04:00:00.123Z");
    const [orgRunner, userRunner, unknown] = await Promise.all([
      record(t.fx.runners.orgRunner, { version: "1.0.0", capabilities: [1, 2] }, [], now),
      record(t.fx.runners.userRunner.toUpperCase(), { version: "2.0.0", gateway_info: { gatewayId: "g" } }, [], now),
      record(randomUUID(), { version: "3.0.0" }, [], now),
    ]);
    expect(statements()).toBe(1);
    expect([orgRunner, userRunner, unknown]).toEqual([true, true, false]);
    expect(await stored(t.fx.runners.orgRunner)).toMatchObject({
      version: "1.0.0",
      capabilities: [1, 2],
      status_updated_at: now,
    });
    expect(await stored(t.fx.runners.userRunner)).toMatchObject({ version: "2.0.0", gateway_info: { gatewayId: "g" } });
  });

  it("write a runner's two heartbeats in one batch as if one after the other", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const record = createRunnerStatusWriter(sql);
    const id = t.fx.runners.orgRunner;
    const t1 = new Date("2026-12-02T04:01:00.000Z");
    const t2 = new Date("2026-12-02T04:01:10.000Z");
    const answers = await Promise.all([
      record(id, { version: "1.1.0", status_message: "disk full", capabilities: [3] }, [], t1),
      // Leaves the version and capabilities as they are, clears the degradation.
      record(id, { status_message: "" }, [], t2),
    ]);
    expect(answers).toEqual([true, true]);
    expect(statements()).toBe(1);
    expect(await stored(id)).toMatchObject({
      version: "1.1.0",
      status_message: "",
      capabilities: [3],
      status_updated_at: t2,
    });
  });

  it("fail only the heartbeat whose report Postgres refuses, and still write the others", async () => {
    const record = createRunnerStatusWriter(t.db.sql);
    const now = new Date("2026-12-02T04:02:00.000Z");
    const [bad, good] = await Promise.allSettled([
      record(t.fx.runners.userRunner, { version: "nul \u0000 inside" }, [], now),
      record(t.fx.runners.orgRunner, { version: "1.2.0" }, [], now),
    ]);
    expect(bad.status).toBe("rejected");
    expect(good).toEqual({ status: "fulfilled", value: true });
    expect(await stored(t.fx.runners.orgRunner)).toMatchObject({ version: "1.2.0", status_updated_at: now });
    expect((await stored(t.fx.runners.userRunner))?.version).not.toContain("nul");
  });

  it("send a full batch at once, without waiting for the turn to end", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const record = createRunnerStatusWriter(sql);
    const ids = Array.from({ length: heartbeatBatchMax }, (_, i) => (i === 0 ? t.fx.runners.orgRunner : randomUUID()));
    // Looked at before the end of the turn: an immediate queued ahead of any the batch could queue.
    const sentBeforeTurnEnded = new Promise<number>((resolve) => setImmediate(() => resolve(statements())));
    const answers = ids.map((id) => record(id, { version: "1.3.0" }, [], new Date()));
    expect(await sentBeforeTurnEnded).toBe(1);
    expect((await Promise.all(answers)).filter(Boolean)).toHaveLength(1);
  });

  it("merge additional_info in a transaction of its own, a key without a value removing it", async () => {
    const record = createRunnerStatusWriter(t.db.sql);
    const id = t.fx.runners.orgRunner;
    const now = new Date("2026-12-02T04:03:00.000Z");
    await record(
      id,
      {},
      [
        { key: "zone", value: "a" },
        { key: "rack", value: "7" },
      ],
      now,
    );
    expect(await record(id, { version: "1.4.0" }, [{ key: "rack" }, { key: "zone", value: "b" }], now)).toBe(true);
    expect(await stored(id)).toMatchObject({ version: "1.4.0", additional_info: [{ key: "zone", value: "b" }] });
    expect(await record(randomUUID(), {}, [{ key: "zone", value: "c" }], now)).toBe(false);
  });
});
