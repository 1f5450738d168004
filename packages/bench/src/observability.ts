/**
 * `pnpm bench --observability`: what metrics and tracing cost a call (issue 19,
 * docs/performance.md#observability-overhead). One database, seeded once; three copies of
 * the real server in this process, identical but for what observes them:
 *
 *   off      no metrics, no tracer, no statement observer (the default configuration)
 *   metrics  prom-client metrics and the statement observer, as RUNNERPLANE_METRICS_PORT gives
 *   tracing  the OpenTelemetry SDK, every call sampled, a server span per call and a client
 *            span per statement, exported over OTLP/HTTP (batched) to a collector stand-in in
 *            its own process (otlp-sink.ts), as OTEL_EXPORTER_OTLP_ENDPOINT gives
 *
 * The load process (load.ts) drives GetRunner over Connect at each in turn, in interleaved
 * rounds so that all three sample the machine at the same moments; each row is the median of
 * its rounds. What matters is the server's CPU time per request (srv ms/req) next to the
 * `off` row, the same process answering the same requests: latency and throughput on a
 * shared 2-core machine move with everything else that runs.
 *
 *   pnpm bench --observability [--quick] [--duration 5] [--rounds 5] [--concurrency 16]
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import {
  bootstrap,
  build,
  createKeyRing,
  createLogger,
  createMetrics,
  createSql,
  createStatementObserver,
  defaultDbPoolSize,
  migrate,
  type Server,
  type Sql,
  servedServices,
  startTracing,
  type Tracing,
} from "@runnerplane/server/harness";
import { child, nextMessage, serverConfig, startDatabase } from "./harness.js";
import type { FromLoad, LoadJob, LoadResult } from "./protocol.js";
import { mergeRounds, printTable, type Row } from "./report.js";

type Variant = "off" | "metrics" | "tracing";
const variants: Variant[] = ["off", "metrics", "tracing"];

const config = serverConfig(30_000);

function parseOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--" && a !== "--observability"),
    options: {
      quick: { type: "boolean", default: false },
      duration: { type: "string" },
      rounds: { type: "string" },
      concurrency: { type: "string", default: "16" },
    },
  });
  const durationS = Number(values.duration ?? (values.quick ? 2 : 5));
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 5));
  const concurrency = Number(values.concurrency);
  const positiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
  if (!(durationS > 0) || !positiveInteger(rounds) || !positiveInteger(concurrency)) {
    throw new Error("--duration must be positive, --rounds and --concurrency positive integers");
  }
  return { durationMs: durationS * 1000, warmupMs: 1_000, rounds, concurrency };
}

/** An org, its admin's token, and 1 000 runners to GetRunner at random. */
async function seed(sql: Sql): Promise<{ token: string; runnerIds: string[] }> {
  const { organization, admin, secret } = await bootstrap(sql, { organizationName: "bench", adminName: "bench" });
  const rows = await sql<{ id: string }[]>`
    insert into runners (organization_id, name, kind, provider, creator_id, creator_principal)
    select ${organization.id}, 'seeded runner ' || g, 'remote', 'aws_ec2', ${admin.id}, 'user'
    from generate_series(1, 1000) g
    returning id`;
  await sql`analyze`;
  return { token: secret, runnerIds: rows.map((r) => r.id) };
}

/** One load job; this process's CPU time over exactly the window the load process records. */
function runJob(load: ChildProcess, job: LoadJob): Promise<{ result: LoadResult; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    let start: NodeJS.CpuUsage | undefined;
    let spent: NodeJS.CpuUsage | undefined;
    const onExit = (code: number | null) => reject(new Error(`the load process exited (code ${code})`));
    const onMessage = (message: FromLoad) => {
      if (message.type === "recording") start = process.cpuUsage();
      else if (message.type === "recorded") spent = process.cpuUsage(start);
      else if (message.type === "result" || message.type === "failed") {
        load.off("message", onMessage);
        load.off("exit", onExit);
        if (message.type === "failed") reject(new Error(message.message));
        else if (!spent) reject(new Error("the load process did not report its window"));
        else resolve({ result: message.result, cpuMs: (spent.user + spent.system) / 1000 });
      }
    };
    load.on("message", onMessage);
    load.once("exit", onExit);
    load.send({ type: "run", job });
  });
}

export async function observabilityBench(): Promise<void> {
  const options = parseOptions();
  const log = createLogger({ level: "warn" });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const db = await startDatabase();
    cleanups.push(db.stop);
    const setupSql = createSql(db.url, { max: 2 });
    cleanups.push(() => setupSql.end({ timeout: 5 }));
    await migrate(setupSql, { log });
    const seeded = await seed(setupSql);

    const sink = child("./otlp-sink.js");
    cleanups.push(async () => {
      sink.send({ type: "exit" });
    });
    const { port: sinkPort } = await nextMessage<{ port: number }>(sink);
    const load = child("./load.js");
    cleanups.push(async () => {
      load.send({ type: "exit" });
    });
    await nextMessage<FromLoad>(load);

    const keyRing = createKeyRing([{ id: "bench-1", key: randomBytes(32) }]);
    const urls = new Map<Variant, string>();
    let tracing: Tracing | undefined;
    for (const variant of variants) {
      const metrics =
        variant === "metrics" ? createMetrics({ services: servedServices, poolSize: defaultDbPoolSize }) : undefined;
      if (variant === "tracing") tracing = startTracing({ url: `http://127.0.0.1:${sinkPort}/v1/traces`, log });
      const observer =
        metrics || tracing
          ? createStatementObserver({ settled: metrics?.statementSettled, started: tracing?.statementStarted })
          : undefined;
      const sql = createSql(db.url, { max: defaultDbPoolSize, applicationName: `bench-${variant}`, observer });
      cleanups.push(() => sql.end({ timeout: 5 }));
      if (metrics && observer) metrics.watchDatabase(observer, undefined);
      const server: Server = build({
        config,
        sql,
        log,
        keyRing,
        metrics,
        tracer: variant === "tracing" ? tracing?.rpc : undefined,
      });
      const address = await server.listen(0, "127.0.0.1");
      cleanups.push(() => server.close());
      urls.set(variant, `http://127.0.0.1:${address.port}`);
    }
    const tracingShutdown = tracing;
    if (tracingShutdown) cleanups.push(() => tracingShutdown.shutdown());

    const byVariant = new Map<Variant, Row[]>(variants.map((v) => [v, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of variants) {
        process.stderr.write(`running GetRunner/${variant} (round ${round + 1}) … `);
        const { result, cpuMs } = await runJob(load, {
          target: "getRunner",
          protocol: "connect",
          baseUrl: urls.get(variant) as string,
          token: seeded.token,
          databaseUrl: db.url,
          concurrency: options.concurrency,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          runnerIds: seeded.runnerIds,
          deepPageToken: "",
          relayRunnerId: "",
          heartbeatRunners: [],
          heartbeatPeriodMs: 10_000,
        });
        const answered = result.requests + result.errors;
        byVariant.get(variant)?.push({
          scenario: `GetRunner, ${variant}`,
          protocol: "connect",
          concurrency: options.concurrency,
          rps: result.requests / (result.elapsedMs / 1000),
          p50: result.p50,
          p90: result.p90,
          p99: result.p99,
          errors: result.errors,
          serverCpuPercent: (cpuMs / result.elapsedMs) * 100,
          serverCpuMsPerRequest: cpuMs / answered,
          statementsPerRequest: Number.NaN,
          serverPeakRss: Number.NaN,
          loadCpuPercent: result.loadCpuPercent,
          machineCpuPercent: Number.NaN,
          note: result.errorSamples.length ? `errors, e.g. ${result.errorSamples.join(" | ")}` : "",
        });
        process.stderr.write(`${(result.requests / (result.elapsedMs / 1000)).toFixed(0)} req/s\n`);
      }
    }
    await tracing?.shutdown();
    sink.send({ type: "count" });
    const received = await nextMessage<{ exports: number; bytes: number }>(sink);

    const rows = variants.map((v) => mergeRounds(byVariant.get(v) ?? []));
    console.log("");
    printTable(rows);
    const off = rows[0]?.serverCpuMsPerRequest ?? Number.NaN;
    for (const row of rows.slice(1)) {
      const extraUs = (row.serverCpuMsPerRequest - off) * 1000;
      console.log(
        `${row.scenario}: ${extraUs >= 0 ? "+" : ""}${extraUs.toFixed(0)} µs of server CPU per request over off ` +
          `(${((extraUs / 1000 / off) * 100).toFixed(0)}%)`,
      );
    }
    console.log(
      `\nthe collector stand-in received ${received.exports} OTLP exports (${(received.bytes / 1024 / 1024).toFixed(1)} MB); ` +
        `${options.rounds} interleaved rounds of ${options.durationMs / 1000} s after ${options.warmupMs / 1000} s ` +
        `warm-up each, medians; node ${process.version}, ${os.cpus().length} CPUs.`,
    );
  } finally {
    while (cleanups.length) {
      try {
        await cleanups.pop()?.();
      } catch (error) {
        console.error("cleanup failed:", error);
      }
    }
  }
}
