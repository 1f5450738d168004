/**
 * `grpc.health.v1.Health` (docs/operations.md#health-and-reflection): the gRPC health
 * checking protocol for Kubernetes `grpc:` probes, grpc_health_probe and load balancers.
 *
 * Every served service and `""` (the whole server) share one status: SERVING while the
 * server is ready — the same rule as `GET /readyz` (db/readiness.ts) — NOT_SERVING while
 * it is not, and NOT_SERVING from the moment shutdown begins. A name the server does not
 * serve is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch, as the protocol says.
 *
 * Watch sends the status at once, then again each time it changes: it asks readiness
 * every `watchIntervalMs` (default 1 s, the database health probe's own pace), and wakes at
 * once when shutdown begins, sends NOT_SERVING and ends the stream, so shutdown never waits
 * for a watcher.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus as Status,
} from "@runnerplane/api/grpc/health/v1/health_pb";
import type { Readiness } from "../db/index.js";

export interface HealthServiceDeps {
  /** Fully qualified names of the served services; `""` is always known. */
  services: readonly string[];
  ready: Readiness;
  /** Aborted when the server begins to shut down. */
  shutdown: AbortSignal;
  watchIntervalMs?: number;
}

export function createHealthService({
  services,
  ready,
  shutdown,
  watchIntervalMs = 1_000,
}: HealthServiceDeps): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = async (): Promise<Status> => {
    if (shutdown.aborted) return Status.NOT_SERVING;
    const result = await ready();
    // Shutdown may have begun while readiness was asked.
    return result.ok && !shutdown.aborted ? Status.SERVING : Status.NOT_SERVING;
  };
  const response = (s: Status): Partial<HealthCheckResponse> => ({ status: s });

  return {
    async check(req) {
      if (!known.has(req.service)) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return response(await status());
    },

    async list() {
      const now = await status();
      return { statuses: Object.fromEntries([...known].map((name) => [name, response(now)])) };
    },

    async *watch(req, ctx) {
      const ended = AbortSignal.any([ctx.signal, shutdown]);
      if (!known.has(req.service)) {
        // The set of served services never changes while the process runs: nothing more
        // will be said, but the protocol keeps the call open until the client ends it.
        yield response(Status.SERVICE_UNKNOWN);
        await untilAborted(ended);
        return;
      }
      let last: Status | undefined;
      while (!ctx.signal.aborted) {
        const now = await status();
        if (now !== last) {
          yield response(now);
          last = now;
        }
        if (shutdown.aborted) return;
        await sleep(watchIntervalMs, ended);
      }
    },
  };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
