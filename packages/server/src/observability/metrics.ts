/**
 * The Prometheus metrics of one server process (behaviour.md §17, docs/operations.md),
 * in a registry of their own (prom-client's global one is never used).
 *
 * Label values are bounded by construction: a procedure is one of the served services'
 * methods, known when the registry is made (every other path is `unknown`), a protocol one
 * of four, a code one of the 17 Connect codes, an outcome one of a fixed list. No id ever
 * becomes a label.
 *
 * The hot path stays cheap: prom-client hashes an object of label values on every
 * `inc()`/`set()`, even through a child from `labels()`, so per-request counts and
 * in-flight numbers go into plain arrays and fields of a series made once per procedure,
 * and are handed to prom-client only when scraped (`collect`). Histograms are observed
 * directly, through children resolved once.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { DatabaseHealth, StatementObserver } from "../db/index.js";
import { type RelayCallOutcome, type RelayObserver, relayCallOutcomes } from "../relay/index.js";
import { type RpcProtocol, rpcProtocols } from "./protocol.js";

/** The procedure label of every request whose path is not a served method. */
export const unknownProcedure = "unknown";

/** Label per code number: 0 is `ok`, then the Connect code names (`canceled` … `unauthenticated`). */
const codeLabels = ["ok", ...Array.from({ length: 16 }, (_, i) => codeToString((i + 1) as Code))];

const rpcBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const relayBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const statementBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** What the front door records of one procedure's requests. */
export interface ProcedureRecorder {
  /** A request began (in-flight). */
  started(): void;
  /** It ended: its protocol, its outcome, and how long it took from arrival to the closed response. */
  finished(protocol: RpcProtocol, code: Code | "ok", seconds: number): void;
}

export interface Metrics {
  readonly registry: Registry;
  /**
   * The recorder of a served procedure, by its path (`/gitpod.v1.RunnerService/GetRunner`);
   * any other path, or none, gets the one of `unknown`.
   */
  procedure(path: string | undefined): ProcedureRecorder;
  /** For createRelay: runner streams held here, relay calls and their outcomes. */
  readonly relay: RelayObserver;
  /** For StatementObserverOptions.settled: one statement's duration. */
  statementSettled(seconds: number, failed: boolean): void;
  /** Publishes the pool's state (from the statement observer) and the database's reachability. */
  watchDatabase(observer: StatementObserver, health: DatabaseHealth | undefined): void;
  /** The exposition in the Prometheus text format. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** The served services (routes.ts `services`): their methods are the procedure labels. */
  services: readonly DescService[];
  /** The pool's maximum connections (RUNNERPLANE_DB_POOL_SIZE). */
  poolSize: number;
}

interface ProcedureSeries extends ProcedureRecorder {
  readonly label: string;
  /** Requests ended since the last scrape, by protocol × code (index protocol * 17 + code). */
  readonly unpublished: Float64Array;
  inFlight: number;
  /** Whether it ever had a request: only those are exported as in flight. */
  seen: boolean;
}

export function createMetrics({ services, poolSize }: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const series: ProcedureSeries[] = [];
  new Counter({
    name: "runnerplane_rpc_requests_total",
    help: "Requests answered, by procedure, protocol and code (Connect code names; ok for success)",
    labelNames: ["procedure", "protocol", "code"] as const,
    registers,
    collect() {
      for (const s of series) {
        const counts = s.unpublished;
        for (let i = 0; i < counts.length; i++) {
          const n = counts[i] as number;
          if (n === 0) continue;
          counts[i] = 0;
          const protocol = rpcProtocols[Math.floor(i / codeLabels.length)] as RpcProtocol;
          this.inc({ procedure: s.label, protocol, code: codeLabels[i % codeLabels.length] as string }, n);
        }
      }
    },
  });
  new Gauge({
    name: "runnerplane_rpc_in_flight_requests",
    help: "Requests begun and not answered yet, by procedure (runner streams count while open)",
    labelNames: ["procedure"] as const,
    registers,
    collect() {
      for (const s of series) if (s.seen) this.set({ procedure: s.label }, s.inFlight);
    },
  });
  const duration = new Histogram({
    name: "runnerplane_rpc_duration_seconds",
    help: "Time from a request's arrival to its response closing, by procedure (for a stream: its lifetime)",
    labelNames: ["procedure"] as const,
    buckets: rpcBuckets,
    registers,
  });

  const procedureSeries = (label: string): ProcedureSeries => {
    const observe = duration.labels({ procedure: label });
    const s: ProcedureSeries = {
      label,
      unpublished: new Float64Array(rpcProtocols.length * codeLabels.length),
      inFlight: 0,
      seen: false,
      started() {
        s.seen = true;
        s.inFlight++;
      },
      finished(protocol, code, seconds) {
        s.inFlight--;
        const index = rpcProtocols.indexOf(protocol) * codeLabels.length + (code === "ok" ? 0 : code);
        s.unpublished[index] = (s.unpublished[index] as number) + 1;
        observe.observe(seconds);
      },
    };
    series.push(s);
    return s;
  };
  const byPath = new Map<string, ProcedureSeries>();
  for (const service of services) {
    for (const method of service.methods) {
      const label = `${service.typeName}/${method.name}`;
      byPath.set(`/${label}`, procedureSeries(label));
    }
  }
  const unknown = procedureSeries(unknownProcedure);

  let streamsHeld = 0;
  new Gauge({
    name: "runnerplane_relay_runner_streams",
    help: "Runner WatchRequests streams this process holds",
    registers,
    collect() {
      this.set(streamsHeld);
    },
  });
  const relayCalls = new Counter({
    name: "runnerplane_relay_calls_total",
    help: "Calls relayed to runners, by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const relayDuration = new Histogram({
    name: "runnerplane_relay_call_duration_seconds",
    help: "Time from sending a call to a runner to its outcome, by outcome",
    labelNames: ["outcome"] as const,
    buckets: relayBuckets,
    registers,
  });
  const byOutcome = new Map<RelayCallOutcome, { inc(): void; observe(seconds: number): void }>();
  for (const outcome of relayCallOutcomes) {
    relayCalls.inc({ outcome }, 0); // every outcome is exported from the start, at 0
    const calls = relayCalls.labels({ outcome });
    const time = relayDuration.labels({ outcome });
    byOutcome.set(outcome, { inc: () => calls.inc(), observe: (seconds) => time.observe(seconds) });
  }

  const statementDuration = new Histogram({
    name: "runnerplane_db_statement_duration_seconds",
    help: "Time from handing a statement to the Postgres pool to its result (waiting for a connection included), by outcome",
    labelNames: ["outcome"] as const,
    buckets: statementBuckets,
    registers,
  });
  const statementOk = statementDuration.labels({ outcome: "ok" });
  const statementFailed = statementDuration.labels({ outcome: "error" });
  new Gauge({
    name: "runnerplane_db_pool_size",
    help: "Connections the Postgres pool may open (RUNNERPLANE_DB_POOL_SIZE)",
    registers,
  }).set(poolSize);

  return {
    registry,
    procedure: (path) => (path === undefined ? undefined : byPath.get(path)) ?? unknown,
    relay: {
      streamsChanged(by) {
        streamsHeld += by;
      },
      callEnded(outcome, seconds) {
        const recorder = byOutcome.get(outcome);
        recorder?.inc();
        recorder?.observe(seconds);
      },
    },
    statementSettled: (seconds, failed) => (failed ? statementFailed : statementOk).observe(seconds),
    watchDatabase(observer, health) {
      new Gauge({
        name: "runnerplane_db_pool_connections_in_use",
        help: "Pool connections running a statement right now",
        registers,
        collect() {
          this.set(observer.poolState().connectionsBusy);
        },
      });
      new Gauge({
        name: "runnerplane_db_pool_statements_waiting",
        help: "Statements waiting for a pool connection (or for their transaction's connection)",
        registers,
        collect() {
          this.set(observer.poolState().waiting);
        },
      });
      if (health) {
        new Gauge({
          name: "runnerplane_db_up",
          help: "1 while the database answers the health probe (as /readyz), 0 while it does not",
          registers,
          collect() {
            this.set(health.down ? 0 : 1);
          },
        });
      }
    },
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
