/**
 * `grpc.health.v1.Health` (docs/operations.md#health-and-reflection): the gRPC health
 * checking protocol for Kubernetes `grpc:` probes, grpc_health_probe and load balancers.
 *
 * Every served service and `""` (the whole server) share one status: SERVING while the
 * server is ready — the same rule as `GET /readyz` (db/readiness.ts) — NOT_SERVING while
 * it is not, and NOT_SERVING from the moment shutdown begins. A name the server does not
 * serve is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch, as the protocol says.
 *
 * Watch sends the status at once, then again each time it changes, and wakes at once when
 * shutdown begins, sends NOT_SERVING and ends the stream, so shutdown never waits for a
 * watcher. The service is unauthenticated, so watchers cost the server nothing per stream:
 * they all share one ticker that asks readiness every `watchIntervalMs` (default 1 s, the
 * database health probe's own pace) and runs only while someone watches, and at most
 * `maxWatchers` (default 100) streams may be open at once; one more is `resource_exhausted`.
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
  /** Concurrent Watch streams (SERVICE_UNKNOWN ones included); beyond it, resource_exhausted. */
  maxWatchers?: number;
}

/** One open Watch stream: the newest shared status, and how to wake it. */
interface Watcher {
  latest: Status | undefined;
  wake: (() => void) | undefined;
}

export function createHealthService({
  services,
  ready,
  shutdown,
  watchIntervalMs = 1_000,
  maxWatchers = 100,
}: HealthServiceDeps): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = async (): Promise<Status> => {
    if (shutdown.aborted) return Status.NOT_SERVING;
    const result = await ready();
    // Shutdown may have begun while readiness was asked.
    return result.ok && !shutdown.aborted ? Status.SERVING : Status.NOT_SERVING;
  };
  const response = (s: Status): Partial<HealthCheckResponse> => ({ status: s });

  // The shared ticker: one readiness probe per interval for every watcher together.
  const watchers = new Set<Watcher>();
  let open = 0;
  let current: Status | undefined;
  let ticking = false;
  const publish = (s: Status) => {
    current = s;
    for (const w of watchers) {
      w.latest = s;
      w.wake?.();
    }
  };
  const tick = async () => {
    ticking = true;
    let now: Status;
    try {
      now = await status();
    } catch {
      now = Status.NOT_SERVING;
    }
    publish(now);
    if (watchers.size > 0 && !shutdown.aborted) setTimeout(() => void tick(), watchIntervalMs).unref();
    else {
      ticking = false;
      current = undefined; // nobody watched in between: the next watcher asks afresh
    }
  };
  shutdown.addEventListener("abort", () => publish(Status.NOT_SERVING), { once: true });

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
      if (open >= maxWatchers) {
        throw new ConnectError(`too many health watchers (at most ${maxWatchers})`, Code.ResourceExhausted);
      }
      open++;
      try {
        const ended = AbortSignal.any([ctx.signal, shutdown]);
        if (!known.has(req.service)) {
          // The set of served services never changes while the process runs: nothing more
          // will be said, but the protocol keeps the call open until the client ends it.
          yield response(Status.SERVICE_UNKNOWN);
          await untilAborted(ended);
          return;
        }
        const me: Watcher = { latest: shutdown.aborted ? Status.NOT_SERVING : current, wake: undefined };
        watchers.add(me);
        try {
          if (!ticking && !shutdown.aborted) void tick();
          let last: Status | undefined;
          while (!ctx.signal.aborted) {
            const now = shutdown.aborted ? Status.NOT_SERVING : me.latest;
            if (now !== undefined && now !== last) {
              yield response(now);
              last = now;
            }
            if (shutdown.aborted) return;
            await new Promise<void>((resolve) => {
              const done = () => {
                me.wake = undefined;
                ended.removeEventListener("abort", done);
                resolve();
              };
              me.wake = done;
              ended.addEventListener("abort", done, { once: true });
              if (ended.aborted) done();
            });
          }
        } finally {
          watchers.delete(me);
        }
      } finally {
        open--;
      }
    },
  };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
