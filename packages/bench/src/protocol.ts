/**
 * Messages between the benchmark's orchestrator (main.ts, which also hosts the server)
 * and its child processes (load.ts drives requests, noop-server.ts is the framework
 * baseline, replica-server.ts a second server), plus the latency summary both sides share.
 */

/** What a load loop calls. */
export type Target =
  | "noop"
  | "postgres"
  | "identity"
  | "getRunner"
  | "createRunner"
  | "updateRunner"
  | "listRunnersFirst"
  | "listRunnersDeep"
  | "listEnvironmentClasses"
  | "parseContextUrl"
  | "heartbeat";

export type Protocol = "connect" | "grpc" | "sql";

export interface LoadJob {
  target: Target;
  protocol: Protocol;
  /** For RPC targets: http://127.0.0.1:port of the server (or of the no-op server). */
  baseUrl: string;
  token: string;
  /** For the postgres baseline. */
  databaseUrl: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Runners to pick from at random (GetRunner, UpdateRunner, the postgres baseline). */
  runnerIds: string[];
  /** Page token for the deep ListRunners page. */
  deepPageToken: string;
  /** The reference runner that answers ParseContextURL through the relay. */
  relayRunnerId: string;
  /** The simulated runners of the heartbeat scenario, each with its own access token. */
  heartbeatRunners: { runnerId: string; token: string }[];
  /** How often each simulated runner reports its status. */
  heartbeatPeriodMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** First few distinct error messages, for the report. */
  errorSamples: string[];
  elapsedMs: number;
  /** The load process's own CPU time / wall time while recording (100 = one core). */
  loadCpuPercent: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export type ToLoad = { type: "run"; job: LoadJob } | { type: "exit" };
export type FromLoad =
  | { type: "ready" }
  /** The measured window begins (after the warm-up) … */
  | { type: "recording" }
  /** … and ends. */
  | { type: "recorded" }
  | { type: "result"; result: LoadResult }
  | { type: "failed"; message: string };

/**
 * A server in a child process (the no-op baseline, the second replica) answers
 * `{ type: "cpu" }` with its CPU time so far, and the replica with the statements it sent.
 */
export type ServerSpent = { type: "cpu"; micros: number; statements?: number };

/**
 * The child side of that: answers `cpu` with the process's CPU time (and `statements()` if
 * given); on `exit`, closes and disconnects, and the process exits with the channel.
 */
export function answerOrchestrator(close: () => unknown, statements?: () => number): void {
  process.on("message", (message: { type?: string }) => {
    if (message.type === "cpu") {
      const { user, system } = process.cpuUsage();
      const reply: ServerSpent = { type: "cpu", micros: user + system };
      if (statements) reply.statements = statements();
      process.send?.(reply);
    }
    if (message.type === "exit") void Promise.resolve(close()).finally(() => process.disconnect());
  });
  process.on("disconnect", () => process.exit(0));
}

/**
 * The heartbeat fleet's schedule: the fleet's n-th heartbeat (n from 0) is runner n % count's,
 * at this many ms after the start, so each runner reports once per period at offset i/count.
 */
export const heartbeatAtMs = (n: number, count: number, periodMs: number) => (n * periodMs) / count;

/** Percentile by nearest rank over sorted samples (ms). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** A GitHub commit URL: the reference runner parses it offline, without asking GitHub's API. */
export const commitUrl = (repo: string) =>
  `https://github.com/bench/${repo}/commit/0123456789abcdef0123456789abcdef01234567`;
