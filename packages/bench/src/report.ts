/**
 * The benchmark's output: the table, the connected fleet's own facts, and each target of
 * issues 8 and 23 read off the table ("met", "MISSED", or why it could not be judged in
 * this run). A benchmark only reports: missing a target does not change the exit code.
 */
import type { FleetFacts } from "./protocol.js";

export interface Row {
  scenario: string;
  protocol: string;
  /** Closed-loop concurrency, or the fleet size of an open-loop scenario. */
  concurrency: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  /** CPU time of the process answering (server or no-op server) / wall time, in %; NaN if not measured. */
  serverCpuPercent: number;
  /** That CPU time divided by the requests answered, in ms. */
  serverCpuMsPerRequest: number;
  /** SQL statements the real server sent per request (round trips to Postgres); NaN for the baselines. */
  statementsPerRequest: number;
  /** Peak RSS of the server process during the scenario, bytes; NaN for the baselines. */
  serverPeakRss: number;
  loadCpuPercent: number;
  /** The whole machine's busy CPU time over wall time (every process; 100 = one core); NaN off Linux. */
  machineCpuPercent: number;
  note: string;
  /** The connected fleet's streams and heartbeats (its relayed calls are the row's latencies). */
  fleet?: FleetFacts;
  /** The connected fleet: live heap per stream after full collections (NaN without `node --expose-gc`). */
  heapPerStream?: number;
}

/** The median of the numbers that were measured (NaN when none was). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * One row from a scenario's rounds: the median of each measurement over the rounds that
 * ran; errors summed (the targets allow none in any round), the highest peak RSS, and
 * every distinct note (a round that did not run says so there).
 */
export function mergeRounds(rounds: readonly Row[]): Row {
  const first = rounds[0];
  if (!first) throw new Error("no rounds to merge");
  const ran = rounds.filter((r) => r.rps > 0);
  const m = (pick: (r: Row) => number) => (ran.length ? median(ran.map(pick)) : pick(first));
  const errors = ran.map((r) => r.errors).filter((e) => !Number.isNaN(e));
  return {
    ...first,
    rps: m((r) => r.rps),
    p50: m((r) => r.p50),
    p90: m((r) => r.p90),
    p99: m((r) => r.p99),
    errors: errors.length ? errors.reduce((a, b) => a + b, 0) : Number.NaN,
    serverCpuPercent: m((r) => r.serverCpuPercent),
    serverCpuMsPerRequest: m((r) => r.serverCpuMsPerRequest),
    statementsPerRequest: m((r) => r.statementsPerRequest),
    serverPeakRss: Math.max(0, ...ran.map((r) => (Number.isNaN(r.serverPeakRss) ? 0 : r.serverPeakRss))) || Number.NaN,
    loadCpuPercent: m((r) => r.loadCpuPercent),
    machineCpuPercent: m((r) => r.machineCpuPercent),
    note: [...new Set(rounds.map((r) => r.note).filter(Boolean))].join("; "),
    ...mergeFleet(ran.flatMap((r) => (r.fleet ? [r.fleet] : []))),
    ...(ran.some((r) => r.heapPerStream !== undefined)
      ? { heapPerStream: m((r) => r.heapPerStream ?? Number.NaN) }
      : {}),
  };
}

/** The fleet's facts over rounds: medians of what is measured, sums of what went wrong. */
function mergeFleet(rounds: readonly FleetFacts[]): { fleet?: FleetFacts } {
  const first = rounds[0];
  if (!first) return {};
  const m = (pick: (f: FleetFacts) => number) => median(rounds.map(pick));
  const sum = (pick: (f: FleetFacts) => number) => rounds.reduce((a, f) => a + pick(f), 0);
  return {
    fleet: {
      ...first,
      streamsOpen: {
        http2: Math.min(...rounds.map((f) => f.streamsOpen.http2)),
        http1: Math.min(...rounds.map((f) => f.streamsOpen.http1)),
      },
      streamsRegistered: Math.min(...rounds.map((f) => f.streamsRegistered)),
      openSeconds: m((f) => f.openSeconds),
      heartbeats: m((f) => f.heartbeats),
      heartbeatP50: m((f) => f.heartbeatP50),
      heartbeatP99: m((f) => f.heartbeatP99),
      heartbeatErrors: sum((f) => f.heartbeatErrors),
      callErrors: sum((f) => f.callErrors),
      answerErrors: sum((f) => f.answerErrors),
      streamsLost: sum((f) => f.streamsLost),
    },
  };
}

export const mb = (bytes: number) => (Number.isNaN(bytes) ? "-" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
/** NaN (nothing measured) arrives from a child process as null: JSON has no NaN. */
const ms = (n: number | null) => (n === null || Number.isNaN(n) ? "-" : n < 10 ? n.toFixed(2) : n.toFixed(1));
const percent = (n: number) => (Number.isNaN(n) ? "-" : `${n.toFixed(0)}%`);

export function printTable(rows: readonly Row[]): void {
  const header = [
    "scenario",
    "protocol",
    "conc",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "errors",
    "srv CPU",
    "srv ms/req",
    "sql/req",
    "srv peak RSS",
    "load CPU",
    "all CPU",
  ];
  const cells = rows.map((r) => [
    r.scenario,
    r.protocol,
    String(r.concurrency),
    r.rps.toFixed(0),
    ms(r.p50),
    ms(r.p90),
    ms(r.p99),
    Number.isNaN(r.errors) ? "-" : String(r.errors),
    percent(r.serverCpuPercent),
    Number.isNaN(r.serverCpuMsPerRequest) ? "-" : r.serverCpuMsPerRequest.toFixed(3),
    Number.isNaN(r.statementsPerRequest) ? "-" : r.statementsPerRequest.toFixed(2),
    mb(r.serverPeakRss),
    percent(r.loadCpuPercent),
    percent(r.machineCpuPercent),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    `| ${c.map((v, i) => (i < 2 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const c of cells) console.log(line(c));
  for (const r of rows) if (r.note) console.log(`  ${r.scenario}/${r.protocol}: ${r.note}`);
}

/** The connected fleet's streams and heartbeats, under the table. */
export function printFleet(rows: readonly Row[]): void {
  for (const r of rows) {
    const f = r.fleet;
    if (!f) continue;
    console.log(
      `\n${r.scenario}: ${f.runners} runners (${f.streamsOpen.http2} streams on ${f.http2Sessions} HTTP/2 sessions, ` +
        `${f.streamsOpen.http1} over HTTP/1.1 at the end; the server held ${f.streamsRegistered}), all up in ${f.openSeconds.toFixed(1)} s; ` +
        `${f.heartbeats} heartbeats in the window, p50 ${ms(f.heartbeatP50)} ms, p99 ${ms(f.heartbeatP99)} ms; ` +
        `errors: ${f.callErrors} relayed calls, ${f.heartbeatErrors} heartbeats, ${f.answerErrors} answers, ${f.streamsLost} streams lost. ` +
        "The row's latencies are the relayed ParseContextURL calls; srv ms/req and sql/req are per RPC the server answered " +
        "(calls, answers and heartbeats)." +
        (r.heapPerStream === undefined || Number.isNaN(r.heapPerStream)
          ? ""
          : ` Live server heap per stream (after full collections): ${(r.heapPerStream / 1024).toFixed(1)} KB.`),
    );
  }
}

export interface RunFacts {
  concurrency: number;
  /** The deep ListRunners page's number. */
  deepPage: number;
  /** Whether every scenario ran (the RSS target is about the end of the full run). */
  fullRun: boolean;
}

type Verdict = { ok: boolean | undefined; text: string };

/** The connected fleet's target is defined for this many runners (the full run). */
export const connectedFleetTarget = 10_000;
const gb = 1024 * 1024 * 1024;

/** One line per target: met, MISSED, or not judged (and why). */
export function judgeTargets(rows: readonly Row[], facts: RunFacts): Verdict[] {
  const find = (scenario: string, protocol: string) =>
    rows.find((r) => r.scenario === scenario && r.protocol === protocol && r.rps > 0);
  const verdicts: Verdict[] = [];
  const notJudged = (what: string, why: string) => verdicts.push({ ok: undefined, text: `${what}: ${why}` });
  const x = (ratio: number) => `${ratio.toFixed(2)}×`;

  for (const protocol of ["connect", "grpc"]) {
    const get = find("GetRunner", protocol);
    const noop = find("baseline-noop", protocol);
    const what = `GetRunner/${protocol} ≥ 60% of no-op req/s, p99 ≤ 1.5 × no-op p99, no errors`;
    if (!get || !noop) {
      notJudged(what, "needs GetRunner and baseline-noop in the same run");
      continue;
    }
    const share = get.rps / noop.rps;
    const p99 = get.p99 / noop.p99;
    verdicts.push({
      ok: share >= 0.6 && p99 <= 1.5 && get.errors === 0,
      text: `${what}: ${(share * 100).toFixed(0)}% of no-op, p99 ${ms(get.p99)} ms = ${x(p99)}, ${get.errors} errors`,
    });
  }
  for (const protocol of ["connect", "grpc"]) {
    const first = find("ListRunners-first", protocol);
    const get = find("GetRunner", protocol);
    const what = `ListRunners-first/${protocol} (25 runners) ≥ 50% of GetRunner req/s`;
    if (!first || !get) notJudged(what, "needs ListRunners-first and GetRunner");
    else
      verdicts.push({
        ok: first.rps >= 0.5 * get.rps && first.errors === 0,
        text: `${what}: ${((first.rps / get.rps) * 100).toFixed(0)}%, ${first.errors} errors`,
      });
  }
  for (const protocol of ["connect", "grpc"]) {
    const first = find("ListRunners-first", protocol);
    const deep = find("ListRunners-deep", protocol);
    const what = `ListRunners-deep/${protocol} p50 ≤ 1.25 × first page p50 (page ≥ 2 000; issue 8)`;
    if (!first || !deep) {
      notJudged(what, "needs both ListRunners scenarios");
      continue;
    }
    const ratio = deep.p50 / first.p50;
    const text = `${what}: ${x(ratio)} on page ${facts.deepPage}`;
    if (facts.deepPage < 2000) notJudged(text, "too few runners for a page ≥ 2 000 (use the full run)");
    else verdicts.push({ ok: ratio <= 1.25, text });
  }
  const relays: [string, string, number][] = [
    ["ParseContextURL-relay", "connect", 2.5],
    ["ParseContextURL-relay", "grpc", 2.5],
    ["ParseContextURL-replicas", "connect", 3],
  ];
  for (const [scenario, protocol, bound] of relays) {
    const parse = find(scenario, protocol);
    const get = find("GetRunner", protocol);
    const what = `${scenario}/${protocol} p50 ≤ ${bound} × GetRunner p50`;
    if (!parse || !get) notJudged(what, "needs both scenarios");
    else
      verdicts.push({
        ok: parse.p50 <= bound * get.p50 && parse.errors === 0,
        text: `${what}: ${x(parse.p50 / get.p50)}, ${parse.errors} errors`,
      });
  }
  const beats = find("UpdateRunnerStatus-fleet", "connect");
  const floor = find("baseline-noop-fleet", "connect");
  const beatsWhat = "heartbeat fleet server CPU ≤ 1.5 × the bare framework's under the same load";
  if (!beats || !floor) notJudged(beatsWhat, "needs UpdateRunnerStatus-fleet and baseline-noop-fleet");
  else
    verdicts.push({
      ok: beats.serverCpuPercent <= 1.5 * floor.serverCpuPercent && beats.errors === 0,
      text: `${beatsWhat}: ${percent(beats.serverCpuPercent)} against ${percent(floor.serverCpuPercent)} = ${x(
        beats.serverCpuPercent / floor.serverCpuPercent,
      )}, ${beats.errors} errors`,
    });
  const fleet = find("connected-fleet", "mixed");
  const getConnect = find("GetRunner", "connect");
  const fleetFloor = find("baseline-noop-connected-fleet", "mixed");
  const fleetWhat = `${connectedFleetTarget.toLocaleString("en")} connected runners: server CPU ≤ 50% of one core, RSS ≤ 1 GB, relayed calls p50 ≤ 3 × GetRunner/connect p50, no errors`;
  if (!fleet || !getConnect) notJudged(fleetWhat, "needs connected-fleet and GetRunner/connect");
  else {
    // Not part of the target: what the bare framework spends under the same load.
    const floorText = fleetFloor
      ? ` (the bare framework under the same load: ${percent(fleetFloor.serverCpuPercent)}, ${x(
          fleet.serverCpuPercent / fleetFloor.serverCpuPercent,
        )} of it)`
      : "";
    const text =
      `${fleetWhat}: ${percent(fleet.serverCpuPercent)}${floorText}, ${mb(fleet.serverPeakRss)}, ` +
      `${x(fleet.p50 / getConnect.p50)}, ${fleet.errors} errors, with ${fleet.concurrency} runners`;
    if (fleet.concurrency < connectedFleetTarget) notJudged(text, "a smaller fleet (use the full run)");
    else
      verdicts.push({
        ok:
          fleet.serverCpuPercent <= 50 &&
          fleet.serverPeakRss <= gb &&
          fleet.p50 <= 3 * getConnect.p50 &&
          fleet.errors === 0 &&
          (fleet.fleet?.streamsRegistered ?? 0) >= fleet.concurrency,
        text,
      });
  }
  // The connected fleet has its own bound (1 GB) above; this one is every other scenario's.
  const peak = Math.max(
    0,
    ...rows.filter((r) => !r.fleet && !Number.isNaN(r.serverPeakRss)).map((r) => r.serverPeakRss),
  );
  const rssWhat = `peak server RSS ≤ 300 MB during the full run (the connected fleet aside): ${mb(peak)}`;
  if (facts.fullRun) verdicts.push({ ok: peak > 0 && peak <= 300 * 1024 * 1024, text: rssWhat });
  else notJudged(rssWhat, "not every scenario ran");
  return verdicts;
}

export function printTargets(rows: readonly Row[], facts: RunFacts): void {
  console.log("\nTargets (issue 23, and issue 8's deep page; defined for concurrency 64 on the 2-core machine):");
  if (facts.concurrency !== 64) console.log(`  (this run used concurrency ${facts.concurrency})`);
  for (const v of judgeTargets(rows, facts)) {
    console.log(`  ${v.ok === undefined ? "not judged" : v.ok ? "met       " : "MISSED    "}  ${v.text}`);
  }
}
