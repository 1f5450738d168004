import { describe, expect, test } from "vitest";
import type { FleetFacts } from "./protocol.js";
import { judgeTargets, median, mergeRounds, type Row, type RunFacts } from "./report.js";

function row(scenario: string, protocol: string, fields: Partial<Row> = {}): Row {
  return {
    scenario,
    protocol,
    concurrency: 64,
    rps: 1000,
    p50: 10,
    p90: 15,
    p99: 20,
    errors: 0,
    serverCpuPercent: 90,
    serverCpuMsPerRequest: 0.9,
    statementsPerRequest: 2,
    serverPeakRss: 150 * 1024 * 1024,
    loadCpuPercent: 30,
    machineCpuPercent: 180,
    note: "",
    ...fields,
  };
}

const facts: RunFacts = { concurrency: 64, deepPage: 3201, fullRun: true };

const verdict = (rows: Row[], startsWith: string, f: RunFacts = facts) =>
  judgeTargets(rows, f).find((v) => v.text.startsWith(startsWith));

const fleetFacts: FleetFacts = {
  runners: 10_000,
  http2Sessions: 90,
  streamsOpen: { http2: 9000, http1: 1000 },
  streamsRegistered: 10_000,
  openSeconds: 12,
  heartbeats: 10_000,
  heartbeatP50: 2,
  heartbeatP99: 9,
  heartbeatErrors: 0,
  callErrors: 0,
  answerErrors: 0,
  streamsLost: 0,
};

describe("judging the targets", () => {
  test("GetRunner meets its target at 60% of the no-op baseline's req/s with p99 within 1.5× the no-op's", () => {
    const noop = row("baseline-noop", "connect", { rps: 2500, p99: 20 });
    expect(verdict([noop, row("GetRunner", "connect", { rps: 1500, p99: 30 })], "GetRunner/connect")?.ok).toBe(true);
  });

  test("GetRunner misses its target on throughput, on p99, or on a single error", () => {
    const noop = row("baseline-noop", "connect", { rps: 2500, p99: 20 });
    const get = (fields: Partial<Row>) => row("GetRunner", "connect", { rps: 1500, p99: 30, ...fields });
    expect(verdict([noop, get({ rps: 1499 })], "GetRunner/connect")?.ok).toBe(false);
    expect(verdict([noop, get({ p99: 30.1 })], "GetRunner/connect")?.ok).toBe(false);
    expect(verdict([noop, get({ errors: 1 })], "GetRunner/connect")?.ok).toBe(false);
  });

  test("a target whose scenarios did not all run is not judged", () => {
    expect(verdict([row("GetRunner", "grpc")], "GetRunner/grpc")?.ok).toBeUndefined();
    expect(verdict([row("GetRunner", "grpc", { rps: 0 }), row("baseline-noop", "grpc")], "GetRunner/grpc")?.ok).toBe(
      undefined,
    );
  });

  test("the first page of ListRunners must reach half of GetRunner's req/s over the same protocol", () => {
    const get = row("GetRunner", "grpc", { rps: 1000 });
    expect(verdict([get, row("ListRunners-first", "grpc", { rps: 500 })], "ListRunners-first/grpc")?.ok).toBe(true);
    expect(verdict([get, row("ListRunners-first", "grpc", { rps: 499 })], "ListRunners-first/grpc")?.ok).toBe(false);
    expect(verdict([row("ListRunners-first", "grpc")], "ListRunners-first/grpc")?.ok).toBeUndefined();
  });

  test("the deep page is judged only when it is page 2 000 or later", () => {
    const rows = [row("ListRunners-first", "connect", { p50: 100 }), row("ListRunners-deep", "connect", { p50: 125 })];
    expect(verdict(rows, "ListRunners-deep/connect")?.ok).toBe(true);
    expect(verdict(rows, "ListRunners-deep/connect", { ...facts, deepPage: 321 })?.ok).toBeUndefined();
    rows[1] = row("ListRunners-deep", "connect", { p50: 126 });
    expect(verdict(rows, "ListRunners-deep/connect")?.ok).toBe(false);
  });

  test("the heartbeat fleet may cost the server 1.5× what the bare framework costs under the same load", () => {
    const floor = row("baseline-noop-fleet", "connect", { serverCpuPercent: 10 });
    const beats = (serverCpuPercent: number) => row("UpdateRunnerStatus-fleet", "connect", { serverCpuPercent });
    expect(verdict([floor, beats(15)], "heartbeat fleet")?.ok).toBe(true);
    expect(verdict([floor, beats(15.1)], "heartbeat fleet")?.ok).toBe(false);
    expect(verdict([beats(1)], "heartbeat fleet")?.ok).toBeUndefined();
  });

  test("ParseContextURL through the relay is compared with GetRunner over the same protocol, across replicas with 3×", () => {
    const get = row("GetRunner", "grpc", { p50: 10 });
    expect(verdict([get, row("ParseContextURL-relay", "grpc", { p50: 25 })], "ParseContextURL-relay/grpc")?.ok).toBe(
      true,
    );
    expect(verdict([get, row("ParseContextURL-relay", "grpc", { p50: 26 })], "ParseContextURL-relay/grpc")?.ok).toBe(
      false,
    );
    const getConnect = row("GetRunner", "connect", { p50: 10 });
    const replicas = (p50: number) => row("ParseContextURL-replicas", "connect", { p50 });
    expect(verdict([getConnect, replicas(30)], "ParseContextURL-replicas")?.ok).toBe(true);
    expect(verdict([getConnect, replicas(31)], "ParseContextURL-replicas")?.ok).toBe(false);
  });

  describe("the connected fleet", () => {
    const get = row("GetRunner", "connect", { p50: 10 });
    const fleet = (fields: Partial<Row> = {}, f: Partial<FleetFacts> = {}) =>
      row("connected-fleet", "mixed", {
        concurrency: 10_000,
        p50: 30,
        serverCpuPercent: 50,
        serverPeakRss: 1024 * 1024 * 1024,
        fleet: { ...fleetFacts, ...f },
        ...fields,
      });
    const judged = (r: Row) => verdict([get, r], "10,000 connected runners")?.ok;

    test("meets its target at 50% of a core, 1 GB and 3× GetRunner's p50 with every stream held", () => {
      expect(judged(fleet())).toBe(true);
    });

    test("misses it on CPU, memory, latency, any error, or a stream the server does not hold", () => {
      expect(judged(fleet({ serverCpuPercent: 50.5 }))).toBe(false);
      expect(judged(fleet({ serverPeakRss: 1024 * 1024 * 1024 + 1 }))).toBe(false);
      expect(judged(fleet({ p50: 30.1 }))).toBe(false);
      expect(judged(fleet({ errors: 1 }))).toBe(false);
      expect(judged(fleet({}, { streamsRegistered: 9_999 }))).toBe(false);
    });

    test("reports the bare framework's CPU under the same load beside it, without judging by it", () => {
      const floor = row("baseline-noop-connected-fleet", "mixed", { concurrency: 10_000, serverCpuPercent: 40 });
      const withFloor = (r: Row) => verdict([get, floor, r], "10,000 connected runners");
      expect(withFloor(fleet({ serverCpuPercent: 60 }))).toMatchObject({
        ok: false,
        text: expect.stringContaining("60% (the bare framework under the same load: 40%, 1.50× of it)"),
      });
      expect(withFloor(fleet())?.ok).toBe(true);
    });

    test("is not judged with fewer than 10 000 runners", () => {
      expect(judged(fleet({ concurrency: 1_000 }))).toBeUndefined();
    });
  });

  test("peak RSS is judged over a full run, every scenario but the connected fleet", () => {
    const rows = [
      row("GetRunner", "connect", { serverPeakRss: 300 * 1024 * 1024 }),
      row("connected-fleet", "mixed", { serverPeakRss: 900 * 1024 * 1024, fleet: fleetFacts }),
    ];
    expect(verdict(rows, "peak server RSS")?.ok).toBe(true);
    rows[0] = row("GetRunner", "connect", { serverPeakRss: 301 * 1024 * 1024 });
    expect(verdict(rows, "peak server RSS")?.ok).toBe(false);
    expect(verdict(rows, "peak server RSS", { ...facts, fullRun: false })?.ok).toBeUndefined();
  });
});

describe("merging the rounds of a scenario", () => {
  test("takes each measurement's median, sums the errors and keeps the highest peak RSS", () => {
    const merged = mergeRounds([
      row("GetRunner", "connect", { rps: 900, p99: 30, errors: 0, serverPeakRss: 100, serverCpuMsPerRequest: 0.5 }),
      row("GetRunner", "connect", { rps: 1500, p99: 90, errors: 2, serverPeakRss: 300, serverCpuMsPerRequest: 0.9 }),
      row("GetRunner", "connect", { rps: 1000, p99: 40, errors: 1, serverPeakRss: 200, serverCpuMsPerRequest: 0.6 }),
    ]);
    expect(merged).toMatchObject({ rps: 1000, p99: 40, errors: 3, serverPeakRss: 300, serverCpuMsPerRequest: 0.6 });
  });

  test("an even number of rounds gives the mean of the middle two", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 7])).toBe(7);
    expect(median([Number.NaN])).toBeNaN();
  });

  test("a round that did not run leaves the medians alone and its note on the row", () => {
    const failed = row("GetRunner", "connect", {
      rps: 0,
      p50: Number.NaN,
      errors: Number.NaN,
      note: "did not run: boom",
    });
    const merged = mergeRounds([failed, row("GetRunner", "connect", { rps: 800, p50: 12 })]);
    expect(merged).toMatchObject({ rps: 800, p50: 12, errors: 0, note: "did not run: boom" });
  });
});
