/**
 * The load generator, run as a separate process (child_process.fork) so that it does not
 * share an event loop with the server it measures.
 *
 * Closed-loop jobs: `concurrency` loops each await one call after another. Open-loop jobs
 * (heartbeats): `runners` simulated runners each call once per `periodMs`, evenly spread,
 * whether or not earlier calls have finished. Either way a warm-up is not recorded, then,
 * for `durationMs`, every error and every successful request: the throughput counts the
 * requests answered in the window, the latencies (performance.now(), ms) are those of the
 * requests sent in it, so that a call sent during the warm-up (a cold start, a new
 * connection, a statement prepared for the first time) is no sample. The parent is told when recording starts and stops, so that it measures the
 * server's CPU over exactly that window.
 *
 * Requests go out through the thinnest client that speaks the protocol (wire.ts), so that
 * the load generator's own CPU leaves the machine's cores to the server.
 */
import { performance } from "node:perf_hooks";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerConfigurationService, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import postgres from "postgres";
import {
  commitUrl,
  type FromLoad,
  heartbeatAtMs,
  heartbeatRequest,
  type LoadJob,
  type LoadResult,
  percentile,
  type ToLoad,
} from "./protocol.js";
import { type UnaryMethod, wireClient } from "./wire.js";

/** One call; resolves when the answer is a success, rejects with the error otherwise. */
type Call = () => Promise<unknown>;

interface Prepared {
  call: Call;
  /** The first call, which also decodes and checks the answer. */
  check: Call;
  close(): Promise<void>;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

let sequence = 0;

/** The method a target calls and the request it sends (a fresh one per call). */
function requestFor(job: LoadJob): { method: UnaryMethod; request: () => MessageInitShape<DescMessage> } {
  const runners = RunnerService.method;
  switch (job.target) {
    case "noop":
    case "identity":
      return { method: IdentityService.method.getAuthenticatedIdentity, request: () => ({}) };
    case "getRunner":
      return { method: runners.getRunner, request: () => ({ runnerId: pick(job.runnerIds) }) };
    case "createRunner":
      return {
        method: runners.createRunner,
        request: () => ({ name: `bench ${process.pid}-${sequence++}`, provider: RunnerProvider.AWS_EC2 }),
      };
    case "updateRunner":
      return {
        method: runners.updateRunner,
        request: () => ({ runnerId: pick(job.runnerIds), name: `bench updated ${sequence++}` }),
      };
    case "listRunnersFirst":
      return { method: runners.listRunners, request: () => ({ pagination: { pageSize: 25 } }) };
    case "listRunnersDeep":
      return {
        method: runners.listRunners,
        request: () => ({ pagination: { pageSize: 25, token: job.deepPageToken } }),
      };
    case "listEnvironmentClasses":
      return {
        method: RunnerConfigurationService.method.listEnvironmentClasses,
        request: () => ({ pagination: { pageSize: 25 } }),
      };
    case "parseContextUrl":
      return {
        method: runners.parseContextURL,
        request: () => ({
          runnerId: job.relayRunnerId,
          contextUrl: commitUrl(`repo-${sequence++ % 100}`),
        }),
      };
    case "heartbeat":
    case "connectedFleet":
    case "postgres":
      throw new Error(`${job.target} is not a closed-loop RPC target`);
  }
}

function prepare(job: LoadJob): Prepared {
  if (job.target === "postgres") {
    // Same concurrency as the RPC scenarios; one connection per loop, as a generous
    // upper bound for what the database alone can do.
    const sql = postgres(job.databaseUrl, { max: job.concurrency, onnotice: () => {} });
    const call = () => sql`select id, name, created_at from runners where id = ${pick(job.runnerIds)}`;
    return { call, check: call, close: () => sql.end({ timeout: 5 }) };
  }
  const { method, request } = requestFor(job);
  const client = wireClient(job.protocol, job.baseUrl, { connections: job.concurrency });
  const send = (decode: boolean) => () =>
    client.call(method, create(method.input, request()), { token: job.token, decode });
  return { call: send(false), check: send(true), close: async () => client.close() };
}

/**
 * Heartbeats: runner i (of job.heartbeatRunners) calls UpdateRunnerStatus on itself with
 * its own token and its own connection, at offset i/n of every period. One connection per
 * runner because that is what a fleet of separate runner processes looks like to the server.
 */
function prepareHeartbeats(job: LoadJob) {
  const method = RunnerInteractionService.method.updateRunnerStatus;
  const runners = job.heartbeatRunners.map((runner) => ({
    ...runner,
    client: wireClient(job.protocol, job.baseUrl, { connections: 1 }),
  }));
  const beat = (i: number, decode = false) => {
    const runner = runners[i % runners.length];
    if (!runner) throw new Error("no heartbeat runners were seeded");
    return runner.client.call(method, heartbeatRequest(runner.runnerId), { token: runner.token, decode });
  };
  const close = async () => {
    for (const runner of runners) runner.client.close();
  };
  return { beat, count: runners.length, close };
}

class Recorder {
  /** Latencies of the successful requests sent and answered within the window. */
  readonly latencies: number[] = [];
  /** Successful requests answered within the window, whenever they were sent. */
  answered = 0;
  readonly errorSamples = new Set<string>();
  errors = 0;
  recording = false;
  stopping = false;
  started = 0;

  async timed(call: Call): Promise<void> {
    const start = performance.now();
    const sentInWindow = this.recording;
    try {
      await call();
    } catch (error) {
      if (this.recording) {
        this.errors++;
        if (this.errorSamples.size < 3) this.errorSamples.add(String((error as Error).message ?? error));
      }
      return;
    }
    if (!this.recording || this.stopping) return;
    this.answered++;
    if (sentInWindow) this.latencies.push(performance.now() - start);
  }

  /** Warms up, tells the parent, records for the job's duration, tells the parent again. */
  async window(job: LoadJob): Promise<{ elapsedMs: number; cpuMs: number }> {
    await sleep(job.warmupMs);
    send({ type: "recording" });
    this.recording = true;
    this.started = performance.now();
    const cpu = process.cpuUsage();
    await sleep(job.durationMs);
    this.stopping = true;
    const elapsedMs = performance.now() - this.started;
    const used = process.cpuUsage(cpu);
    send({ type: "recorded" });
    return { elapsedMs, cpuMs: (used.user + used.system) / 1000 };
  }

  result({ elapsedMs, cpuMs }: { elapsedMs: number; cpuMs: number }): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    return {
      requests: this.answered,
      errors: this.errors,
      errorSamples: [...this.errorSamples],
      elapsedMs,
      loadCpuPercent: (cpuMs / elapsedMs) * 100,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    };
  }
}

async function runClosedLoop(job: LoadJob): Promise<LoadResult> {
  const prepared = prepare(job);
  try {
    // One checked call up front: a scenario that cannot work at all fails loudly instead
    // of reporting a table row full of errors.
    await prepared.check();
    const recorder = new Recorder();
    const loop = async () => {
      while (!recorder.stopping) await recorder.timed(prepared.call);
    };
    const loops = Array.from({ length: job.concurrency }, loop);
    const window = await recorder.window(job);
    await Promise.all(loops);
    return recorder.result(window);
  } finally {
    await prepared.close();
  }
}

async function runHeartbeats(job: LoadJob): Promise<LoadResult> {
  const fleet = prepareHeartbeats(job);
  try {
    await fleet.beat(0, true);
    const recorder = new Recorder();
    const inFlight = new Set<Promise<void>>();
    const began = performance.now();
    const due = (n: number) => began + heartbeatAtMs(n, fleet.count, job.heartbeatPeriodMs);
    let next = 0;
    const ticker = (async () => {
      while (!recorder.stopping) {
        // Fire every heartbeat that is due; a late timer catches up instead of drifting.
        while (due(next) <= performance.now()) {
          const p = recorder.timed(() => fleet.beat(next));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          next++;
        }
        await sleep(Math.max(1, due(next) - performance.now()));
      }
    })();
    const window = await recorder.window(job);
    await ticker;
    await Promise.all(inFlight);
    return recorder.result(window);
  } finally {
    await fleet.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const send = (message: FromLoad) => process.send?.(message);

process.on("message", (message: ToLoad) => {
  if (message.type === "exit") {
    process.disconnect();
    return;
  }
  const job = message.job;
  (job.target === "heartbeat" ? runHeartbeats(job) : runClosedLoop(job)).then(
    (result) => send({ type: "result", result }),
    (error: unknown) => send({ type: "failed", message: String((error as Error)?.message ?? error) }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
