/**
 * The benchmark's output: the table, and each target of issue 8 read off the table
 * ("met", "MISSED", or why it could not be judged in this run). A benchmark only
 * reports: missing a target does not change the exit code.
 */

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
    serverPeakRss: Math.max(...ran.map((r) => (Number.isNaN(r.serverPeakRss) ? 0 : r.serverPeakRss))) || Number.NaN,
    loadCpuPercent: m((r) => r.loadCpuPercent),
    machineCpuPercent: m((r) => r.machineCpuPercent),
    note: [...new Set(rounds.map((r) => r.note).filter(Boolean))].join("; "),
  };
}

export const mb = (bytes: number) => (Number.isNaN(bytes) ? "-" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);
const ms = (n: number) => (Number.isNaN(n) ? "-" : n < 10 ? n.toFixed(2) : n.toFixed(1));
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

export interface RunFacts {
  concurrency: number;
  /** The deep ListRunners page's number. */
  deepPage: number;
  /** Server RSS when every scenario is done, bytes. */
  finalRss: number;
  /** Whether every scenario ran (the RSS target is about the end of the full run). */
  fullRun: boolean;
}

type Verdict = { ok: boolean | undefined; text: string };

/** One line per target: met, MISSED, or not judged (and why). */
export function judgeTargets(rows: readonly Row[], facts: RunFacts): Verdict[] {
  const find = (scenario: string, protocol: string) =>
    rows.find((r) => r.scenario === scenario && r.protocol === protocol && r.rps > 0);
  const verdicts: Verdict[] = [];
  const notJudged = (what: string, why: string) => verdicts.push({ ok: undefined, text: `${what}: ${why}` });

  for (const protocol of ["connect", "grpc"]) {
    const get = find("GetRunner", protocol);
    const noop = find("baseline-noop", protocol);
    const what = `GetRunner/${protocol} ≥ 40% of no-op req/s, p99 ≤ 25 ms, no errors`;
    if (!get || !noop) {
      notJudged(what, "needs GetRunner and baseline-noop in the same run");
      continue;
    }
    const share = get.rps / noop.rps;
    verdicts.push({
      ok: share >= 0.4 && get.p99 <= 25 && get.errors === 0,
      text: `${what}: ${(share * 100).toFixed(0)}% of no-op, p99 ${ms(get.p99)} ms, ${get.errors} errors`,
    });
  }
  for (const protocol of ["connect", "grpc"]) {
    const first = find("ListRunners-first", protocol);
    const deep = find("ListRunners-deep", protocol);
    const what = `ListRunners-deep/${protocol} p50 ≤ 1.25 × first page p50 (page ≥ 2 000)`;
    if (!first || !deep) {
      notJudged(what, "needs both ListRunners scenarios");
      continue;
    }
    const ratio = deep.p50 / first.p50;
    const text = `${what}: ${ratio.toFixed(2)}× on page ${facts.deepPage}`;
    if (facts.deepPage < 2000) notJudged(text, "too few runners for a page ≥ 2 000 (use the full run)");
    else verdicts.push({ ok: ratio <= 1.25, text });
  }
  const fleet = find("UpdateRunnerStatus-fleet", "connect");
  const fleetWhat = "1 000 runners heartbeating every 10 s < 15% of one core";
  if (!fleet) notJudged(fleetWhat, "scenario not run");
  else {
    const floor = find("baseline-noop-fleet", "connect");
    verdicts.push({
      ok: fleet.serverCpuPercent < 15 && fleet.errors === 0,
      text:
        `${fleetWhat}: ${percent(fleet.serverCpuPercent)}, ${fleet.errors} errors` +
        (floor ? ` (the bare no-op server, same load: ${percent(floor.serverCpuPercent)})` : ""),
    });
  }
  for (const protocol of ["connect", "grpc"]) {
    const parse = find("ParseContextURL-relay", protocol);
    const get = find("GetRunner", protocol);
    const what = `ParseContextURL-relay/${protocol} p50 ≤ 3 × GetRunner p50`;
    if (!parse || !get) notJudged(what, "needs both scenarios");
    else
      verdicts.push({
        ok: parse.p50 <= 3 * get.p50 && parse.errors === 0,
        text: `${what}: ${(parse.p50 / get.p50).toFixed(2)}×, ${parse.errors} errors`,
      });
  }
  const rssWhat = `server RSS ≤ 300 MB at the end of the full run: ${mb(facts.finalRss)}`;
  if (facts.fullRun) verdicts.push({ ok: facts.finalRss <= 300 * 1024 * 1024, text: rssWhat });
  else notJudged(rssWhat, "not every scenario ran");
  return verdicts;
}

export function printTargets(rows: readonly Row[], facts: RunFacts): void {
  console.log("\nTargets (issue 8; defined for concurrency 64 on the 2-core machine):");
  if (facts.concurrency !== 64) console.log(`  (this run used concurrency ${facts.concurrency})`);
  for (const v of judgeTargets(rows, facts)) {
    console.log(`  ${v.ok === undefined ? "not judged" : v.ok ? "met       " : "MISSED    "}  ${v.text}`);
  }
}
