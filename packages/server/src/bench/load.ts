/**
 * The load generator, run as a separate process (child_process.fork) so that it does not
 * share an event loop with the server it measures. For each job: `concurrency` loops
 * each await one call after another; a warm-up period is not recorded, then every
 * request's latency (performance.now(), ms) and every error is, for `durationMs`.
 */
import { performance } from "node:perf_hooks";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerConfigurationService, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import postgres from "postgres";
import { type FromLoad, type LoadJob, type LoadResult, percentile, type ToLoad } from "./protocol.js";

type Call = () => Promise<unknown>;

interface Prepared {
  call: Call;
  close(): Promise<void>;
}

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

function transportFor(job: LoadJob): Transport {
  const interceptors = job.token ? [bearer(job.token)] : [];
  return job.protocol === "grpc"
    ? createGrpcTransport({ baseUrl: job.baseUrl, interceptors })
    : createConnectTransport({ baseUrl: job.baseUrl, httpVersion: "1.1", interceptors });
}

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

let sequence = 0;

function prepare(job: LoadJob): Prepared {
  if (job.target === "postgres") {
    // Same concurrency as the RPC scenarios; one connection per loop, as a generous
    // upper bound for what the database alone can do.
    const sql = postgres(job.databaseUrl, { max: job.concurrency, onnotice: () => {} });
    return {
      call: () => sql`select id, name, created_at from runners where id = ${pick(job.runnerIds)}`,
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const transport = transportFor(job);
  const identity: Client<typeof IdentityService> = createClient(IdentityService, transport);
  const runners: Client<typeof RunnerService> = createClient(RunnerService, transport);
  const configuration: Client<typeof RunnerConfigurationService> = createClient(RunnerConfigurationService, transport);
  const close = async () => {};
  switch (job.target) {
    case "noop":
    case "identity":
      return { call: () => identity.getAuthenticatedIdentity({}), close };
    case "getRunner":
      return { call: () => runners.getRunner({ runnerId: pick(job.runnerIds) }), close };
    case "createRunner":
      return {
        call: () =>
          runners.createRunner({ name: `bench ${process.pid}-${sequence++}`, provider: RunnerProvider.AWS_EC2 }),
        close,
      };
    case "updateRunner":
      return {
        call: () => runners.updateRunner({ runnerId: pick(job.runnerIds), name: `bench updated ${sequence++}` }),
        close,
      };
    case "listRunnersFirst":
      return { call: () => runners.listRunners({ pagination: { pageSize: 25 } }), close };
    case "listRunnersDeep":
      return {
        call: () => runners.listRunners({ pagination: { pageSize: 25, token: job.deepPageToken } }),
        close,
      };
    case "listEnvironmentClasses":
      return { call: () => configuration.listEnvironmentClasses({ pagination: { pageSize: 25 } }), close };
  }
}

async function run(job: LoadJob): Promise<LoadResult> {
  const prepared = prepare(job);
  try {
    // One call up front: a scenario that cannot work at all fails loudly instead of
    // reporting a table row full of errors.
    await prepared.call();
    const latencies: number[] = [];
    const errorSamples = new Set<string>();
    let errors = 0;
    let recording = false;
    let stopping = false;
    const loop = async () => {
      while (!stopping) {
        const start = performance.now();
        let failed = false;
        try {
          await prepared.call();
        } catch (error) {
          failed = true;
          if (recording) {
            errors++;
            if (errorSamples.size < 3) errorSamples.add(String((error as Error).message ?? error));
          }
        }
        if (recording && !stopping && !failed) latencies.push(performance.now() - start);
      }
    };
    const loops = Array.from({ length: job.concurrency }, loop);
    await sleep(job.warmupMs);
    recording = true;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await sleep(job.durationMs);
    stopping = true;
    const elapsedMs = performance.now() - started;
    const usedCpu = process.cpuUsage(cpu);
    await Promise.all(loops);
    const sorted = Float64Array.from(latencies).sort();
    return {
      requests: latencies.length,
      errors,
      errorSamples: [...errorSamples],
      elapsedMs,
      loadCpuPercent: ((usedCpu.user + usedCpu.system) / 1000 / elapsedMs) * 100,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    };
  } finally {
    await prepared.close();
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
  run(message.job).then(
    (result) => send({ type: "result", result }),
    (error: unknown) => send({ type: "failed", message: String((error as Error)?.message ?? error) }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
