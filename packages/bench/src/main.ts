/**
 * `pnpm bench`: starts Postgres (DATABASE_URL, on which a fresh database is created, or
 * the embedded one), migrates, seeds, runs the real server in this process (and, for the
 * relay scenario, the reference runner in its own), and drives load from a separate
 * process (load.ts) over loopback, next to two baselines measured in the same run: a bare
 * connect-node no-op server (noop-server.ts) and raw postgres.js primary-key selects.
 * Prints one table and how it compares with the targets. See docs/performance.md.
 *
 *   pnpm bench [--quick] [--scenarios a,b] [--duration 5] [--rounds 3] [--concurrency 64] [--runners 100000]
 *   pnpm bench --observability [--quick] …   what metrics and tracing cost (observability.ts)
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import {
  bootstrap,
  build,
  createKeyRing,
  createLogger,
  createPageTokens,
  createSql,
  defaultDbPoolSize,
  issueRunnerAccessTokens,
  migrate,
  type Server,
  type Sql,
  serverSecret,
  touchIntervalMs,
} from "@runnerplane/server/harness";
import { child, nextMessage, serverConfig, startDatabase } from "./harness.js";
import {
  type FleetJob,
  type FleetResult,
  type FromLoad,
  heartbeatAtMs,
  type LoadJob,
  type LoadResult,
  type Protocol,
  type ServerSpent,
  type Target,
} from "./protocol.js";
import { type ReferenceRunner, startReferenceRunner } from "./reference-runner.js";
import { mb, mergeRounds, printFleet, printTable, printTargets, type Row } from "./report.js";
import { runSchedule } from "./schedule.js";

interface Scenario {
  name: string;
  target: Target;
  protocol: Protocol;
  /** Which server answers: the real one, the no-op baseline, or none (SQL). */
  on: "server" | "noop" | "database";
  /**
   * The reference runner streams to a second replica of the server, so each call crosses
   * processes through Postgres; CPU and statements are then both replicas'.
   */
  replica?: true;
}

const scenarios: Scenario[] = [
  { name: "baseline-noop", target: "noop", protocol: "connect", on: "noop" },
  { name: "baseline-noop", target: "noop", protocol: "grpc", on: "noop" },
  { name: "baseline-noop-fleet", target: "heartbeat", protocol: "connect", on: "noop" },
  { name: "baseline-noop-connected-fleet", target: "connectedFleet", protocol: "mixed", on: "noop" },
  { name: "baseline-postgres", target: "postgres", protocol: "sql", on: "database" },
  { name: "GetAuthenticatedIdentity", target: "identity", protocol: "connect", on: "server" },
  { name: "GetRunner", target: "getRunner", protocol: "connect", on: "server" },
  { name: "GetRunner", target: "getRunner", protocol: "grpc", on: "server" },
  { name: "CreateRunner", target: "createRunner", protocol: "connect", on: "server" },
  { name: "UpdateRunner", target: "updateRunner", protocol: "connect", on: "server" },
  { name: "ListRunners-first", target: "listRunnersFirst", protocol: "connect", on: "server" },
  { name: "ListRunners-first", target: "listRunnersFirst", protocol: "grpc", on: "server" },
  { name: "ListRunners-deep", target: "listRunnersDeep", protocol: "connect", on: "server" },
  { name: "ListRunners-deep", target: "listRunnersDeep", protocol: "grpc", on: "server" },
  { name: "ListEnvironmentClasses", target: "listEnvironmentClasses", protocol: "connect", on: "server" },
  { name: "UpdateRunnerStatus-fleet", target: "heartbeat", protocol: "connect", on: "server" },
  { name: "ParseContextURL-relay", target: "parseContextUrl", protocol: "connect", on: "server" },
  { name: "ParseContextURL-relay", target: "parseContextUrl", protocol: "grpc", on: "server" },
  { name: "ParseContextURL-replicas", target: "parseContextUrl", protocol: "connect", on: "server", replica: true },
  { name: "connected-fleet", target: "connectedFleet", protocol: "mixed", on: "server" },
];

/** The heartbeat scenario: this many simulated runners, each reporting once per period. */
const fleetSize = 1000;
const heartbeatPeriodMs = 10_000;
/**
 * The connected fleet (fleet.ts): runners holding WatchRequests streams, a tenth of them over
 * HTTP/1.1 (Connect, a socket each, as the reference runner), the rest 100 to an HTTP/2
 * session; ParseContextURL to random members at a fixed rate.
 */
const connectedFleet = { http1Share: 0.1, streamsPerSession: 100, callsPerSecond: 50, callerConnections: 16 };
/**
 * Added to the warm-up of a relay scenario that starts the reference runner: a runner
 * process that has just started spends its first seconds compiling its hot paths, which
 * raised the first relay scenario's p50 by about a fifth. Runners are long-lived.
 */
const freshRunnerWarmupMs = 2_000;

/**
 * The server's settings. The unary deadline is a third of the default (30 s), which makes
 * Node's HTTP/1.1 request timeout (deadline + headers timeout, http/listener.ts) 20 s: the
 * connected fleet's streams outlive it, the headers timeout (10 s) and the keep-alive
 * timeout (5 s) within one scenario. No unary call of any scenario comes near 10 s.
 */
const config = serverConfig(10_000);

interface Options {
  quick: boolean;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  runners: number;
  /** Times the whole selection runs, interleaved; each row is the median of its rounds. */
  rounds: number;
  /** Runners in the connected fleet (at most `runners`). */
  fleet: number;
  selected: Scenario[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: {
      quick: { type: "boolean", default: false },
      scenarios: { type: "string" },
      duration: { type: "string" },
      concurrency: { type: "string", default: "64" },
      runners: { type: "string" },
      rounds: { type: "string" },
      fleet: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    const names = [...new Set(scenarios.map((s) => s.name))].join(", ");
    console.log(
      `usage: pnpm bench [--quick] [--scenarios a,b] [--duration seconds] [--rounds n] [--concurrency n] [--runners n] [--fleet n]\n` +
        `       pnpm bench --observability [--quick] [--duration seconds] [--rounds n] [--concurrency n]\nscenarios: ${names}`,
    );
    process.exit(0);
  }
  const quick = values.quick;
  const durationS = Number(values.duration ?? (quick ? 2 : 5));
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const concurrency = Number(values.concurrency);
  const runners = Number(values.runners ?? (quick ? 10_000 : 100_000));
  const fleet = Number(values.fleet ?? (quick ? 1_000 : 10_000));
  const positiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
  if (
    !(durationS > 0) ||
    !positiveInteger(concurrency) ||
    !positiveInteger(runners) ||
    !positiveInteger(rounds) ||
    !positiveInteger(fleet)
  ) {
    throw new Error("--duration must be positive, --concurrency, --runners, --rounds and --fleet positive integers");
  }
  let selected = scenarios;
  if (values.scenarios) {
    const wanted = values.scenarios.split(",").map((s) => s.trim().toLowerCase());
    const matches = (s: Scenario, w: string) =>
      s.name.toLowerCase() === w || `${s.name}/${s.protocol}`.toLowerCase() === w || s.target.toLowerCase() === w;
    const unknown = wanted.filter((w) => !scenarios.some((s) => matches(s, w)));
    if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; see --help`);
    selected = scenarios.filter((s) => wanted.some((w) => matches(s, w)));
  }
  return {
    quick,
    durationMs: durationS * 1000,
    warmupMs: Math.min(2000, Math.max(300, durationS * 100)),
    concurrency,
    runners: Math.max(runners, 100),
    rounds,
    fleet: Math.min(fleet, Math.max(runners, 100)),
    selected,
  };
}

interface Seeded {
  token: string;
  runnerIds: string[];
  deepPageToken: string;
  deepPage: number;
  /** The heartbeat fleet: runners with their own access tokens. */
  fleet: { runnerId: string; token: string; tokenId: string }[];
  /** The connected fleet: the newest runners, each with its own access token. */
  connected: { runnerId: string; token: string; tokenId: string }[];
}

/** An org with its admin, `count` runners (one INSERT … SELECT), environment classes. */
async function seed(sql: Sql, count: number, connectedCount: number): Promise<Seeded> {
  const { organization, admin, secret } = await bootstrap(sql, { organizationName: "bench", adminName: "bench" });
  // Distinct millisecond creation times, oldest first: page tokens carry milliseconds.
  await sql`
    insert into runners (organization_id, name, kind, provider, creator_id, creator_principal, created_at, updated_at)
    select ${organization.id}, 'seeded runner ' || g, 'remote', 'aws_ec2', ${admin.id}, 'user',
           date_trunc('milliseconds', now()) - (${count}::int - g) * interval '1 millisecond',
           date_trunc('milliseconds', now()) - (${count}::int - g) * interval '1 millisecond'
    from generate_series(1, ${count}::int) g`;
  // 200 environment classes on the 20 oldest runners.
  await sql`
    insert into environment_classes (runner_id, organization_id, display_name, description, created_at, updated_at)
    select r.id, r.organization_id, 'class ' || c, 'seeded', r.created_at + c * interval '1 microsecond', now()
    from (select id, organization_id, created_at from runners where organization_id = ${organization.id}
          order by created_at, id limit 20) r,
         generate_series(1, 10) c`;
  await sql`analyze`;
  const sample = await sql<{ id: string }[]>`
    select id from runners where organization_id = ${organization.id} order by random() limit 1000`;
  // The deep page: 80% into the list, as if the caller had walked there 25 at a time.
  const offset = Math.floor(count * 0.8);
  const [cursor] = await sql<{ id: string; created_at: Date }[]>`
    select id, created_at from runners where organization_id = ${organization.id}
    order by created_at, id offset ${offset - 1} limit 1`;
  if (!cursor) throw new Error("seeding produced fewer runners than expected");
  const tokens = createPageTokens(await serverSecret(sql, "page-token-key"));
  const deepPageToken = tokens.encode(
    "gitpod.v1.RunnerService/ListRunners",
    { creatorIds: [], kinds: [], providers: [] },
    { createdAt: cursor.created_at, id: cursor.id },
  );
  // The fleets: the newest runners, each with an access token as if it had exchanged its
  // exchange token (10 000 at a time, one statement each). The heartbeat fleet is the
  // newest 1 000 of the connected fleet's.
  const fleetRows = await sql<{ id: string }[]>`
    select id from runners where organization_id = ${organization.id}
     order by created_at desc limit ${Math.max(fleetSize, connectedCount)}`;
  const withTokens: Seeded["fleet"] = [];
  for (let i = 0; i < fleetRows.length; i += 10_000) {
    const ids = fleetRows.slice(i, i + 10_000).map((r) => r.id);
    withTokens.push(...(await issueRunnerAccessTokens(sql, organization.id, ids)));
  }
  return {
    token: secret,
    runnerIds: sample.map((r) => r.id),
    deepPageToken,
    deepPage: offset / 25 + 1,
    fleet: withTokens.slice(0, fleetSize),
    connected: withTokens.slice(0, connectedCount),
  };
}

/**
 * Makes the fleet look as if it had been heartbeating for a while. Authentication records a
 * token's use at most once a minute, so a runner heartbeating every 10 s records it on one
 * heartbeat in six. Fresh tokens would record it on every first heartbeat, and a last use
 * at a random moment would leave the first seconds with fewer records than later; so each
 * token's last use is set one minute before one of its runner's next six heartbeats in the
 * load process's schedule.
 */
async function settleFleet(sql: Sql, fleet: Seeded["fleet"], periodMs: number): Promise<void> {
  const heartbeatsPerUse = Math.max(1, Math.round(touchIntervalMs / periodMs));
  const base = Date.now() - touchIntervalMs;
  const lastUsed = fleet.map((_, i) => {
    const k = Math.floor(Math.random() * heartbeatsPerUse); // the runner's k-th heartbeat records use
    return new Date(base + heartbeatAtMs(k * fleet.length + i, fleet.length, periodMs)).toISOString();
  });
  await sql`
    update tokens t set last_used_at = v.at
      from unnest(${fleet.map((f) => f.tokenId)}::uuid[], ${lastUsed}::timestamptz[]) as v(id, at)
     where t.id = v.id`;
}

/** Peak RSS of this (the server's) process, sampled every 100 ms, per window and overall. */
function rssMonitor() {
  let windowPeak = 0;
  let overallPeak = 0;
  const sample = () => {
    // rss() alone: memoryUsage() also gathers the heap's statistics, on the server's thread.
    const rss = process.memoryUsage.rss();
    windowPeak = Math.max(windowPeak, rss);
    overallPeak = Math.max(overallPeak, rss);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    /** Starts a window; returns a function that ends it and gives the window's peak. */
    window() {
      windowPeak = 0;
      sample();
      return () => {
        sample();
        return windowPeak;
      };
    },
    overallPeak: () => overallPeak,
    stop: () => clearInterval(timer),
  };
}

/** What the answering process has spent so far: CPU time in µs, and SQL statements sent. */
interface Spent {
  cpuMicros: number;
  /** NaN for the no-op server, which has no database. */
  statements: number;
}
type Meter = () => Promise<Spent>;

/** The real server, in this process; `statements` counts what its pool sent. */
const ownMeter =
  (statements: () => number): Meter =>
  async () => {
    const { user, system } = process.cpuUsage();
    return { cpuMicros: user + system, statements: statements() };
  };

/** A server in a child process (the no-op baseline, the second replica), asked over IPC. */
const childMeter =
  (proc: ChildProcess): Meter =>
  async () => {
    const { micros, statements } = await askSpent(proc);
    return { cpuMicros: micros, statements: statements ?? Number.NaN };
  };

/** What a server in a child process has spent (and holds) so far. */
function askSpent(proc: ChildProcess): Promise<ServerSpent> {
  const reply = nextMessage<ServerSpent>(proc);
  proc.send({ type: "cpu" });
  return reply;
}

/**
 * Waits until the no-op baseline holds no runner stream: the fleet closes its streams when
 * its window ends, but a server lets go of 10 000 of them over seconds, which the next
 * scenario would otherwise pay for (the real server's are awaited by the fleet itself).
 */
async function untilNoopLetGo(proc: ChildProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (((await askSpent(proc)).streams ?? 0) === 0) return;
    if (performance.now() > deadline) throw new Error("the no-op baseline did not let go of its streams");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Two servers together. */
const bothMeters =
  (a: Meter, b: Meter): Meter =>
  async () => {
    const [x, y] = await Promise.all([a(), b()]);
    return { cpuMicros: x.cpuMicros + y.cpuMicros, statements: x.statements + y.statements };
  };

/** Tells a child process to exit, and kills it if it has not within 3 s. */
async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  if (proc.connected) proc.send({ type: "exit" });
  const timer = setTimeout(() => proc.kill(), 3_000);
  await exited;
  clearTimeout(timer);
}

/** What a second replica needs to be one: the database and the key ring's key. */
interface ReplicaSetup {
  databaseUrl: string;
  key: Buffer;
}

/** The reference runner answering the relay scenarios, and where it streams to. */
interface AnsweringRunner {
  kind: "local" | "replica";
  runner: ReferenceRunner;
  /** The replica's CPU and statements, for the cross-replica scenario. */
  replicaMeter?: Meter;
  stop(): Promise<void>;
}

/**
 * The reference runner, registered through `baseUrl` like any runner. "local": it streams to
 * that server too. "replica": it streams to a second server (replica-server.ts) while
 * callers keep asking the first.
 */
async function startAnsweringRunner(
  kind: AnsweringRunner["kind"],
  baseUrl: string,
  adminToken: string,
  replica: ReplicaSetup,
) {
  if (kind === "local") {
    const runner = await startReferenceRunner(baseUrl, adminToken);
    return { kind, runner, stop: runner.stop } satisfies AnsweringRunner;
  }
  const proc = child("./replica-server.js", {
    BENCH_DATABASE_URL: replica.databaseUrl,
    BENCH_KEY: replica.key.toString("base64"),
    BENCH_SERVER_CONFIG: JSON.stringify(config),
  });
  try {
    const { port } = await nextMessage<{ port: number }>(proc);
    const runner = await startReferenceRunner(baseUrl, adminToken, `http://127.0.0.1:${port}`);
    const stop = async () => {
      await runner.stop();
      await stopChild(proc);
    };
    return { kind, runner, replicaMeter: childMeter(proc), stop } satisfies AnsweringRunner;
  } catch (error) {
    await stopChild(proc);
    throw error;
  }
}

interface Measured {
  result: LoadResult;
  /** CPU time of the answering process over the recorded window, ms. */
  serverCpuMs: number;
  /** SQL statements the server sent over the recorded window (NaN: not counted). */
  statements: number;
  /** CPU time the whole machine was busy over the window, ms (NaN where /proc/stat is missing). */
  machineCpuMs: number;
  peakRss: number;
  /** The server's heap after a full collection when the window began (NaN without `node --expose-gc`). */
  heapAtStart: number;
}

/**
 * The heap still live after a full collection, in bytes; NaN unless node runs with
 * `--expose-gc` (the collection pauses the server, so the bench never forces one otherwise).
 */
function liveHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * CPU time the machine has been busy so far, all cores, in ms: every process on it (server,
 * Postgres, load generator, reference runner), from /proc/stat's first line (user, nice,
 * system, irq and softirq, in USER_HZ ticks of 10 ms; idle, iowait and time stolen by the
 * hypervisor are not busy). NaN where there is no /proc/stat.
 */
function machineBusyMs(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
    return fields.length >= 7 ? (user + nice + system + irq + softirq) * 10 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs one job, measuring what the answering process spends exactly over the window the
 * load process records (it says when that begins and ends).
 */
function runJob(load: ChildProcess, job: LoadJob | FleetJob, meter: Meter, rss: () => () => number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    let spentStart: Promise<Spent> | undefined;
    let spentEnd: Promise<Spent> | undefined;
    let endRss: (() => number) | undefined;
    let peakRss = Number.NaN;
    let machineStart = Number.NaN;
    let machineEnd = Number.NaN;
    let heapAtStart = Number.NaN;
    const onExit = (code: number | null) => finish(new Error(`the load process exited (code ${code})`));
    const finish = (error: Error | undefined, result?: LoadResult) => {
      load.off("message", onMessage);
      load.off("exit", onExit);
      if (error || !result || !spentStart || !spentEnd) {
        reject(error ?? new Error("the load process did not report its window"));
        return;
      }
      Promise.all([spentStart, spentEnd]).then(
        ([a, b]) =>
          resolve({
            result,
            serverCpuMs: (b.cpuMicros - a.cpuMicros) / 1000,
            statements: b.statements - a.statements,
            machineCpuMs: machineEnd - machineStart,
            peakRss,
            heapAtStart,
          }),
        reject,
      );
    };
    const onMessage = (message: FromLoad) => {
      if (message.type === "recording") {
        heapAtStart = liveHeap();
        machineStart = machineBusyMs();
        spentStart = meter();
        endRss = rss();
      } else if (message.type === "recorded") {
        machineEnd = machineBusyMs();
        spentEnd = meter();
        peakRss = endRss?.() ?? Number.NaN;
      } else if (message.type === "result") finish(undefined, message.result);
      else if (message.type === "failed") finish(new Error(message.message));
    };
    load.on("message", onMessage);
    load.once("exit", onExit);
    load.send({ type: "run", job });
  });
}

async function main(): Promise<void> {
  const options = parseOptions();
  const began = performance.now();
  const log = createLogger({ level: "warn" });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()?.();
      } catch (error) {
        console.error("cleanup failed:", error);
      }
    }
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error("interrupted; stopping");
    void cleanup().then(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const db = await startDatabase();
    cleanups.push(db.stop);
    let statements = 0;
    const sql = createSql(db.url, {
      max: defaultDbPoolSize,
      applicationName: "runnerplane-bench",
      onStatement: () => {
        statements++;
      },
    });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await migrate(sql, { log });
    const seedStart = performance.now();
    const seeded = await seed(sql, options.runners, options.fleet);
    const seedSeconds = ((performance.now() - seedStart) / 1000).toFixed(1);
    console.log(
      `seeded ${options.runners} runners in ${seedSeconds} s (deep page = page ${seeded.deepPage}); ` +
        `database ${process.env.DATABASE_URL ? "DATABASE_URL" : "embedded"}, node ${process.version}, ${os.cpus().length} CPUs`,
    );

    const key = randomBytes(32);
    const server: Server = build({
      config,
      sql,
      log,
      keyRing: createKeyRing([{ id: "bench-1", key }]),
    });
    const address = await server.listen(0, "127.0.0.1");
    cleanups.push(() => server.close());
    const baseUrl = `http://127.0.0.1:${address.port}`;

    const noop = child("./noop-server.js");
    const noopReady = nextMessage<{ connectPort: number; grpcPort: number }>(noop);
    const load = child("./load.js");
    const loadReady = nextMessage<FromLoad>(load);
    const fleetProc = child("./fleet.js");
    const fleetReady = nextMessage<FromLoad>(fleetProc);
    cleanups.push(async () => {
      for (const proc of [noop, load, fleetProc]) await stopChild(proc);
    });
    const { connectPort, grpcPort } = await noopReady;
    await loadReady;
    await fleetReady;

    const monitor = rssMonitor();
    cleanups.push(async () => monitor.stop());
    let relay: AnsweringRunner | undefined;
    cleanups.push(async () => relay?.stop());
    const byScenario: Row[][] = options.selected.map(() => []);
    for (const { index, round } of runSchedule(options.selected, options.rounds)) {
      const scenario = options.selected[index] as Scenario;
      if (interrupted) break;
      const target =
        scenario.on === "noop" ? `http://127.0.0.1:${scenario.protocol === "grpc" ? grpcPort : connectPort}` : baseUrl;
      const fleet = scenario.target === "heartbeat";
      const connected = scenario.target === "connectedFleet";
      const row: Row = {
        scenario: scenario.name,
        protocol: scenario.protocol,
        concurrency: fleet ? seeded.fleet.length : connected ? seeded.connected.length : options.concurrency,
        rps: 0,
        p50: Number.NaN,
        p90: Number.NaN,
        p99: Number.NaN,
        errors: Number.NaN,
        serverCpuPercent: Number.NaN,
        serverCpuMsPerRequest: Number.NaN,
        statementsPerRequest: Number.NaN,
        serverPeakRss: Number.NaN,
        loadCpuPercent: Number.NaN,
        machineCpuPercent: Number.NaN,
        note: "",
      };
      byScenario[index]?.push(row);
      const of = options.rounds > 1 ? ` (round ${round + 1})` : "";
      process.stderr.write(`running ${scenario.name}/${scenario.protocol}${of} … `);
      try {
        // The reference runner (and the replica it may stream to) runs only while relay
        // scenarios do, so that it cannot disturb the others.
        const relayKind = scenario.target !== "parseContextUrl" ? undefined : scenario.replica ? "replica" : "local";
        let warmupMs = options.warmupMs;
        if (relay?.kind !== relayKind) {
          await relay?.stop();
          relay = undefined;
          if (relayKind) {
            relay = await startAnsweringRunner(relayKind, baseUrl, seeded.token, { databaseUrl: db.url, key });
            warmupMs += freshRunnerWarmupMs;
          }
        }
        if (scenario.target === "heartbeat" && scenario.on === "server")
          await settleFleet(sql, seeded.fleet, heartbeatPeriodMs);
        const connectedServer = connected && scenario.on === "server";
        if (connectedServer) await settleFleet(sql, seeded.connected, heartbeatPeriodMs);
        const heapBeforeFleet = connectedServer ? liveHeap() : Number.NaN;
        const fleetJob: FleetJob = {
          // The no-op baseline serves HTTP/1.1 and HTTP/2 on ports of their own.
          ...(scenario.on === "noop"
            ? { baseUrl: `http://127.0.0.1:${connectPort}`, http2Url: `http://127.0.0.1:${grpcPort}` }
            : { baseUrl, databaseUrl: db.url }),
          runners: seeded.connected,
          ...connectedFleet,
          heartbeatPeriodMs,
          callerToken: seeded.token,
          // After the streams are up; the server has just registered every one of them.
          warmupMs: options.warmupMs + 2_000,
          // At least one heartbeat of every runner in the window, unless the run is tiny.
          durationMs: Math.max(options.durationMs, Math.min(heartbeatPeriodMs, 5 * options.durationMs)),
        };
        const job: LoadJob = {
          target: scenario.target,
          protocol: scenario.protocol,
          baseUrl: target,
          token: scenario.on === "server" ? seeded.token : "",
          databaseUrl: db.url,
          concurrency: options.concurrency,
          warmupMs,
          durationMs: options.durationMs,
          runnerIds: seeded.runnerIds,
          deepPageToken: seeded.deepPageToken,
          relayRunnerId: relay?.runner.runnerId ?? "",
          heartbeatRunners: seeded.fleet,
          heartbeatPeriodMs,
        };
        const own = ownMeter(() => statements);
        const meter =
          scenario.on === "noop" ? childMeter(noop) : relay?.replicaMeter ? bothMeters(own, relay.replicaMeter) : own;
        const {
          result,
          serverCpuMs,
          statements: sent,
          machineCpuMs,
          peakRss,
          heapAtStart,
        } = await runJob(connected ? fleetProc : load, connected ? fleetJob : job, meter, monitor.window);
        if (connected && scenario.on === "noop") await untilNoopLetGo(noop);
        const measured = scenario.on !== "database";
        Object.assign(row, {
          rps: result.requests / (result.elapsedMs / 1000),
          p50: result.p50,
          p90: result.p90,
          p99: result.p99,
          errors: result.errors,
          serverCpuPercent: measured ? (serverCpuMs / result.elapsedMs) * 100 : Number.NaN,
          serverCpuMsPerRequest: measured ? serverCpuMs / (result.requests + result.errors) : Number.NaN,
          statementsPerRequest: scenario.on === "server" ? sent / (result.requests + result.errors) : Number.NaN,
          serverPeakRss: scenario.on === "server" ? peakRss : Number.NaN,
          loadCpuPercent: result.loadCpuPercent,
          machineCpuPercent: (machineCpuMs / result.elapsedMs) * 100,
          note: result.errorSamples.length ? `errors, e.g. ${result.errorSamples.join(" | ")}` : "",
        });
        if ("fleet" in result) {
          const f = (result as FleetResult).fleet;
          // Per RPC the server answered: each relayed call is two (the call, the answer).
          const rpcs = 2 * (result.requests + f.callErrors) + f.heartbeats + f.heartbeatErrors;
          row.serverCpuMsPerRequest = rpcs > 0 ? serverCpuMs / rpcs : Number.NaN;
          row.statementsPerRequest = rpcs > 0 ? sent / rpcs : Number.NaN;
          row.fleet = f;
          row.heapPerStream = (heapAtStart - heapBeforeFleet) / f.runners;
        }
        // Each round's peak too: the table keeps only the highest (which round, and after what, matters).
        const rss = scenario.on === "server" ? `, server peak RSS ${mb(row.serverPeakRss)}` : "";
        process.stderr.write(`${row.rps.toFixed(0)} req/s${rss}\n`);
      } catch (error) {
        process.stderr.write("failed\n");
        row.note = `did not run: ${(error as Error).message}`;
      }
    }
    await relay?.stop();
    relay = undefined;
    const finalRss = process.memoryUsage().rss;
    const rows = byScenario.filter((r) => r.length > 0).map(mergeRounds);
    console.log("");
    printTable(rows);
    const roundsText =
      options.rounds > 1
        ? `; each row the median of ${options.rounds} interleaved rounds (errors summed, peak RSS the highest)`
        : "";
    console.log(
      `\nduration ${options.durationMs / 1000} s per scenario after ${options.warmupMs / 1000} s warm-up ` +
        `(${freshRunnerWarmupMs / 1000} s more when a relay scenario starts the reference runner)${roundsText}; ` +
        `server process peak RSS ${mb(monitor.overallPeak())}, at the end ${mb(finalRss)}.\n` +
        "srv CPU / load CPU: CPU time of the answering server (the no-op server for baseline-noop) / of the " +
        "load generator over the measured window (100% = one core); srv ms/req: that CPU time per request; " +
        "sql/req: statements the server sent to Postgres per request; all CPU: the whole machine's busy CPU time " +
        `(every process, ${os.cpus().length} cores = ${os.cpus().length * 100}%).`,
    );
    printFleet(rows);
    printTargets(rows, {
      concurrency: options.concurrency,
      deepPage: seeded.deepPage,
      fullRun: options.selected.length === scenarios.length,
    });
    console.log(`total ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } finally {
    await cleanup();
  }
}

const entry = process.argv.includes("--observability") ? (await import("./observability.js")).observabilityBench : main;
entry().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
