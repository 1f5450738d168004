import { describe, expect, test } from "vitest";
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

const facts: RunFacts = { concurrency: 64, deepPage: 3201, finalRss: 200 * 1024 * 1024, fullRun: true };

const verdict = (rows: Row[], startsWith: string, f: RunFacts = facts) =>
  judgeTargets(rows, f).find((v) => v.text.startsWith(startsWith));

describe("judging the targets", () => {
  test("GetRunner meets its target at 40% of the no-op baseline with p99 within 25 ms", () => {
    const rows = [row("baseline-noop", "connect", { rps: 2500 }), row("GetRunner", "connect", { rps: 1000, p99: 25 })];
    expect(verdict(rows, "GetRunner/connect")?.ok).toBe(true);
  });

  test("GetRunner misses its target on throughput, on p99, or on a single error", () => {
    const noop = row("baseline-noop", "connect", { rps: 2500 });
    expect(verdict([noop, row("GetRunner", "connect", { rps: 999 })], "GetRunner/connect")?.ok).toBe(false);
    expect(verdict([noop, row("GetRunner", "connect", { p99: 25.1 })], "GetRunner/connect")?.ok).toBe(false);
    expect(verdict([noop, row("GetRunner", "connect", { errors: 1 })], "GetRunner/connect")?.ok).toBe(false);
  });

  test("a target whose scenarios did not all run is not judged", () => {
    expect(verdict([row("GetRunner", "grpc")], "GetRunner/grpc")?.ok).toBeUndefined();
    expect(verdict([row("GetRunner", "grpc", { rps: 0 }), row("baseline-noop", "grpc")], "GetRunner/grpc")?.ok).toBe(
      undefined,
    );
  });

  test("the deep page is judged only when it is page 2 000 or later", () => {
    const rows = [row("ListRunners-first", "connect", { p50: 100 }), row("ListRunners-deep", "connect", { p50: 125 })];
    expect(verdict(rows, "ListRunners-deep/connect")?.ok).toBe(true);
    expect(verdict(rows, "ListRunners-deep/connect", { ...facts, deepPage: 321 })?.ok).toBeUndefined();
    rows[1] = row("ListRunners-deep", "connect", { p50: 126 });
    expect(verdict(rows, "ListRunners-deep/connect")?.ok).toBe(false);
  });

  test("the heartbeat fleet must stay under 15% of one core", () => {
    expect(verdict([row("UpdateRunnerStatus-fleet", "connect", { serverCpuPercent: 14.9 })], "1 000 runners")?.ok).toBe(
      true,
    );
    expect(verdict([row("UpdateRunnerStatus-fleet", "connect", { serverCpuPercent: 15 })], "1 000 runners")?.ok).toBe(
      false,
    );
  });

  test("ParseContextURL through the relay is compared with GetRunner over the same protocol", () => {
    const get = row("GetRunner", "grpc", { p50: 10 });
    expect(verdict([get, row("ParseContextURL-relay", "grpc", { p50: 30 })], "ParseContextURL-relay/grpc")?.ok).toBe(
      true,
    );
    expect(verdict([get, row("ParseContextURL-relay", "grpc", { p50: 31 })], "ParseContextURL-relay/grpc")?.ok).toBe(
      false,
    );
  });

  test("RSS is judged at the end of a full run only", () => {
    expect(verdict([], "server RSS")?.ok).toBe(true);
    expect(verdict([], "server RSS", { ...facts, finalRss: 301 * 1024 * 1024 })?.ok).toBe(false);
    expect(verdict([], "server RSS", { ...facts, fullRun: false })?.ok).toBeUndefined();
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
