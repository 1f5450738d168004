/**
 * Messages between the benchmark's orchestrator (main.ts, which also hosts the server)
 * and its child processes (load.ts drives requests, noop-server.ts is the framework
 * baseline, replica-server.ts a second server), plus the latency summary both sides share.
 */

import { create } from "@bufbuild/protobuf";
import {
  type UpdateRunnerStatusRequest,
  UpdateRunnerStatusRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";

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
  | "heartbeat"
  | "connectedFleet";

/** "mixed": the connected fleet, gRPC over HTTP/2 and Connect over HTTP/1.1 at once. */
export type Protocol = "connect" | "grpc" | "sql" | "mixed";

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

/** The connected fleet (fleet.ts): runners holding WatchRequests streams, heartbeating and asked. */
export interface FleetJob {
  /** The server: Connect over HTTP/1.1 and, without `http2Url`, HTTP/2. */
  baseUrl: string;
  /** Where the HTTP/2 sessions go when that is another port (the no-op baseline's). */
  http2Url?: string;
  /**
   * For reading which streams the server has registered (runner_connections). Without it
   * (the no-op baseline, which sends every stream an empty first message), a stream counts
   * as held once its first message arrives.
   */
  databaseUrl?: string;
  runners: { runnerId: string; token: string }[];
  /** Of the runners, this share uses Connect over HTTP/1.1; the others share HTTP/2 sessions. */
  http1Share: number;
  streamsPerSession: number;
  heartbeatPeriodMs: number;
  /** ParseContextURL calls to random fleet members per second (open loop), with this token. */
  callsPerSecond: number;
  callerToken: string;
  callerConnections: number;
  warmupMs: number;
  durationMs: number;
}

/** What the fleet saw besides the relayed calls, whose latencies are the result's own. */
export interface FleetFacts {
  runners: number;
  http2Sessions: number;
  /** Streams with response headers at the end of the window, as the fleet sees them. */
  streamsOpen: { http2: number; http1: number };
  /** Streams the server had registered at the end of the window (runner_connections). */
  streamsRegistered: number;
  /** How long opening every stream took until the server had registered them all. */
  openSeconds: number;
  heartbeats: number;
  heartbeatP50: number;
  heartbeatP99: number;
  heartbeatErrors: number;
  callErrors: number;
  answerErrors: number;
  /** Streams that ended or failed during the window. */
  streamsLost: number;
}

export interface FleetResult extends LoadResult {
  fleet: FleetFacts;
}

export type ToFleet = { type: "run"; job: FleetJob } | { type: "exit" };

export type ToLoad = { type: "run"; job: LoadJob } | { type: "exit" };
export type FromLoad =
  | { type: "ready" }
  /** The measured window begins (after the warm-up) … */
  | { type: "recording" }
  /** … and ends. */
  | { type: "recorded" }
  | { type: "result"; result: LoadResult | FleetResult }
  | { type: "failed"; message: string };

/**
 * A server in a child process (the no-op baseline, the second replica) answers
 * `{ type: "cpu" }` with its CPU time so far, the replica with the statements it sent, and
 * the no-op baseline with the runner streams it holds.
 */
export type ServerSpent = { type: "cpu"; micros: number; statements?: number; streams?: number };

/**
 * The child side of that: answers `cpu` with the process's CPU time (and the counts it is
 * given); on `exit`, closes and disconnects, and the process exits with the channel.
 */
export function answerOrchestrator(
  close: () => unknown,
  counts: { statements?: () => number; streams?: () => number } = {},
): void {
  process.on("message", (message: { type?: string }) => {
    if (message.type === "cpu") {
      const { user, system } = process.cpuUsage();
      const reply: ServerSpent = { type: "cpu", micros: user + system };
      if (counts.statements) reply.statements = counts.statements();
      if (counts.streams) reply.streams = counts.streams();
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

/** A simulated runner's heartbeat: UpdateRunnerStatus on itself (heartbeat and connected-fleet scenarios). */
export function heartbeatRequest(runnerId: string): UpdateRunnerStatusRequest {
  return create(UpdateRunnerStatusRequestSchema, {
    runnerId,
    version: "bench",
    systemDetails: `node ${process.version}`,
    degredationMessage: "",
  });
}

/** Percentile by nearest rank over sorted samples (ms). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** A GitHub commit URL: the reference runner parses it offline, without asking GitHub's API. */
export const commitUrl = (repo: string) =>
  `https://github.com/bench/${repo}/commit/0123456789abcdef0123456789abcdef01234567`;
