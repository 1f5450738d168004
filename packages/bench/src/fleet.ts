/**
 * The connected fleet, run as a separate process (child_process.fork) like the load
 * generator: N simulated runners, each with its own access token, each holding a
 * WatchRequests stream and reporting its status every `heartbeatPeriodMs` at its own offset,
 * while callers send ParseContextURL to random fleet members at a fixed rate (open loop) and
 * the runner named answers on its stream with SendResponse.
 *
 * Transports, as runners reach a server in production: most runners share HTTP/2
 * connections (`streamsPerSession` runners per session: gRPC, the stream, the heartbeats
 * and the answers all on it), a share (`http1Share`) use Connect over HTTP/1.1 as the
 * reference runner does — the stream on a socket of its own (Connect server streaming,
 * binary), heartbeats and answers as Connect unary calls on a keep-alive agent of the runner's
 * own, whose idle socket is closed between heartbeats — by the client, a second before the
 * server's advertised keep-alive timeout (wire.ts), as a well-behaved client does.
 *
 * Opening: streams open in batches, and the fleet waits until the server has registered
 * them all (runner_connections, read from Postgres: the server is not asked; the no-op
 * baseline registers nothing, and its streams count once their first message arrives). The warm-up
 * follows, then the window, recorded as in load.ts: the callers' latencies (the relayed
 * calls), the heartbeats' latencies, and as errors: failed calls, failed heartbeats, failed
 * answers, and every stream that ended while the fleet was up. Then everything is closed
 * and the fleet waits until the server has let go of every stream.
 */
import http from "node:http";
import http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  RunnerInteractionService,
  type WatchRequestsResponse,
  WatchRequestsResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import postgres from "postgres";
import {
  commitUrl,
  type FleetJob,
  type FleetResult,
  type FromLoad,
  heartbeatAtMs,
  heartbeatRequest,
  percentile,
  type ToFleet,
} from "./protocol.js";
import { envelope, envelopes, type UnaryMethod, wireClient } from "./wire.js";

const interaction = RunnerInteractionService.method;
const watchPath = `/${RunnerInteractionService.typeName}/${interaction.watchRequests.name}`;
/** How many streams open at once while the fleet comes up. */
const openBatch = 250;

interface SimulatedRunner {
  runnerId: string;
  token: string;
  http1: boolean;
  /** Unary calls (heartbeats, answers): the shared session's gRPC client, or Connect of its own. */
  client: ReturnType<typeof wireClient>;
  /** Ends the stream. */
  close?: () => void;
  /** Whether its stream got a message and has not ended since. */
  held?: boolean;
}

class Fleet {
  readonly runners: SimulatedRunner[];
  readonly sessions: http2.ClientHttp2Session[] = [];
  private readonly baseUrl: URL;
  /** Streams that ended (or failed) while the fleet was up; each counts as an error. */
  streamsLost = 0;
  answerErrors = 0;
  readonly errorSamples = new Set<string>();
  /** Streams that have their response headers, HTTP/2 and HTTP/1.1. */
  open = { http2: 0, http1: 0 };
  /** Streams that got a first message and have not ended: held, as the no-op baseline tells. */
  held = 0;
  up = true;
  private readonly call = interaction.sendResponse;

  constructor(job: FleetJob) {
    this.baseUrl = new URL(job.baseUrl);
    const http1Count = Math.round(job.runners.length * job.http1Share);
    const http2Url = job.http2Url ?? job.baseUrl;
    let sessionClient: ReturnType<typeof wireClient> | undefined;
    let onSession = 0;
    this.runners = job.runners.map((r, i) => {
      // Spread the HTTP/1.1 runners evenly, so that any slice of the fleet has its share.
      const http1 =
        Math.floor(((i + 1) * http1Count) / job.runners.length) > Math.floor((i * http1Count) / job.runners.length);
      if (http1) return { ...r, http1, client: wireClient("connect", job.baseUrl, { connections: 1, binary: true }) };
      if (!sessionClient || onSession >= job.streamsPerSession) {
        // Connected when its first runner opens its stream: the server closes a connection
        // that opens no stream within its headers timeout.
        let session: http2.ClientHttp2Session | undefined;
        const shared = () => {
          if (!session) {
            session = http2.connect(http2Url, { peerMaxConcurrentStreams: job.streamsPerSession + 50 });
            session.on("error", (error) => this.lost(`session: ${error.message}`));
            this.sessions.push(session);
          }
          return session;
        };
        sessionClient = wireClient("grpc", http2Url, { connections: 1, session: shared });
        onSession = 0;
      }
      onSession++;
      return { ...r, http1, client: sessionClient as ReturnType<typeof wireClient> };
    });
  }

  error(message: string) {
    if (this.errorSamples.size < 3) this.errorSamples.add(message);
  }

  private lost(why: string) {
    if (!this.up) return;
    this.streamsLost++;
    this.error(`stream lost: ${why}`);
  }

  /** The runner's answer to a call on its stream: what the reference runner would parse. */
  private answer(runner: SimulatedRunner, message: WatchRequestsResponse) {
    const request = message.request;
    if (request.case !== "callParseContext") return; // events need no answer
    const url = new URL(request.value.contextUrl);
    const [, owner = "", repo = "", , commit = ""] = url.pathname.split("/");
    const answer = create(this.call.input, {
      runnerId: runner.runnerId,
      requestId: message.requestId,
      response: {
        case: "callParseContext",
        value: {
          resp: {
            originalContextUrl: request.value.contextUrl,
            git: { cloneUrl: `https://${url.host}/${owner}/${repo}.git`, commit, host: url.host, owner, repo },
          },
        },
      },
    });
    runner.client.call(this.call as UnaryMethod, answer, { token: runner.token, decode: false }).catch((e: unknown) => {
      if (!this.up) return;
      this.answerErrors++;
      this.error(`SendResponse: ${(e as Error).message}`);
    });
  }

  private onMessage(runner: SimulatedRunner, flags: number, data: Buffer) {
    if (!runner.held) {
      runner.held = true;
      this.held++;
    }
    if (flags & 0x02) {
      // Connect's end of stream: a stream that ends while the fleet is up was cut.
      this.lost(`end of stream ${data.toString("utf8").slice(0, 200)}`);
      return;
    }
    this.answer(runner, fromBinary(WatchRequestsResponseSchema, data));
  }

  /**
   * Opens the runner's stream; resolves once the request is sent. The server answers with
   * response headers only together with the first message it pushes, so whether it holds
   * the stream is read from its registration (runner_connections) instead.
   */
  openStream(runner: SimulatedRunner): Promise<void> {
    const body = envelope(
      toBinary(interaction.watchRequests.input, create(interaction.watchRequests.input, { runnerId: runner.runnerId })),
    );
    return runner.http1 ? this.openHttp1(runner, body) : this.openHttp2(runner, body);
  }

  private openHttp2(runner: SimulatedRunner, body: Buffer): Promise<void> {
    const session = runner.client.session();
    const stream = session.request({
      ":method": "POST",
      ":path": watchPath,
      "content-type": "application/grpc+proto",
      te: "trailers",
      authorization: `Bearer ${runner.token}`,
    });
    this.open.http2++;
    runner.close = () => stream.close(http2.constants.NGHTTP2_CANCEL);
    stream.on("response", (headers) => {
      const status = headers["grpc-status"];
      if (headers[":status"] !== 200 || (status !== undefined && status !== "0"))
        this.lost(`HTTP ${headers[":status"]}, grpc-status ${status} ${headers["grpc-message"] ?? ""}`);
    });
    stream.on(
      "data",
      envelopes((flags, data) => this.onMessage(runner, flags, data)),
    );
    stream.on("trailers", (t) => this.lost(`grpc-status ${t["grpc-status"]} ${t["grpc-message"] ?? ""}`));
    stream.on("error", (e) => this.lost(e.message));
    stream.on("close", () => {
      this.open.http2--;
      this.ended(runner);
    });
    return new Promise((resolve) => stream.end(body, resolve));
  }

  private openHttp1(runner: SimulatedRunner, body: Buffer): Promise<void> {
    const req = http.request(
      {
        agent: false, // a socket of its own, as a runner process has
        host: this.baseUrl.hostname,
        port: this.baseUrl.port,
        method: "POST",
        path: watchPath,
        headers: {
          "content-type": "application/connect+proto",
          "connect-protocol-version": "1",
          "content-length": body.length,
          authorization: `Bearer ${runner.token}`,
        },
      },
      (res) => {
        if (res.statusCode !== 200) this.lost(`HTTP ${res.statusCode}`);
        res.on(
          "data",
          envelopes((flags, data) => this.onMessage(runner, flags, data)),
        );
        res.on("error", (e) => this.lost(e.message));
      },
    );
    this.open.http1++;
    runner.close = () => req.destroy();
    req.on("error", (e) => this.lost(e.message));
    req.on("close", () => {
      this.open.http1--;
      this.ended(runner);
      this.lost("HTTP/1.1 stream closed");
    });
    return new Promise((resolve) => req.end(body, resolve));
  }

  private ended(runner: SimulatedRunner) {
    if (!runner.held) return;
    runner.held = false;
    this.held--;
  }

  heartbeat(runner: SimulatedRunner): Promise<unknown> {
    return runner.client.call(interaction.updateRunnerStatus as UnaryMethod, heartbeatRequest(runner.runnerId), {
      token: runner.token,
      decode: false,
    });
  }

  close() {
    this.up = false;
    for (const r of this.runners) {
      r.close?.();
      if (r.http1) r.client.close();
    }
    for (const s of this.sessions) s.destroy();
  }
}

/** Streams the server holds, as it recorded them for the relay (docs/relay.md, "Presence"). */
async function registeredStreams(sql: postgres.Sql, runnerIds: string[]): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    select count(*) as n from runner_connections where runner_id = any(${runnerIds}::uuid[])`;
  return Number(row?.n ?? 0);
}

async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

class Latencies {
  readonly samples: number[] = [];
  errors = 0;
  summary() {
    const sorted = Float64Array.from(this.samples).sort();
    return {
      count: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
    };
  }
}

async function runFleet(job: FleetJob): Promise<FleetResult> {
  const sql = job.databaseUrl ? postgres(job.databaseUrl, { max: 1, onnotice: () => {} }) : undefined;
  const fleet = new Fleet(job);
  const ids = job.runners.map((r) => r.runnerId);
  const registered = async () => (sql ? registeredStreams(sql, ids) : fleet.held);
  const caller = wireClient("connect", job.baseUrl, { connections: job.callerConnections });
  let recording = false;
  let stopping = false;
  const calls = new Latencies();
  const heartbeats = new Latencies();
  const inFlight = new Set<Promise<void>>();
  const timed = (into: Latencies, call: () => Promise<unknown>, what: string) => {
    const start = performance.now();
    const p = call().then(
      () => {
        if (recording) into.samples.push(performance.now() - start);
      },
      (e: unknown) => {
        if (!recording || !fleet.up) return;
        into.errors++;
        fleet.error(`${what}: ${(e as Error).message}`);
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  try {
    const openedAt = performance.now();
    debug(`opening ${fleet.runners.length} streams`);
    // A batch at a time, each once the server holds the ones before: runners reconnecting
    // after a restart arrive spread out by their backoff, not all in one instant.
    for (let i = 0; i < fleet.runners.length; i += openBatch) {
      await Promise.all(fleet.runners.slice(i, i + openBatch).map((r) => fleet.openStream(r)));
      // A stream refused while opening is an error (counted as lost), not a wait.
      const expected = () => Math.min(i + openBatch, ids.length) - fleet.streamsLost;
      let held = 0;
      await until("the server registered every stream", 60_000, async () => {
        held = await registered();
        return held >= expected();
      }).catch((error: Error) => {
        throw new Error(`${error.message}: ${held} of ${expected()}, ${[...fleet.errorSamples].join(" | ")}`);
      });
    }
    const openMs = performance.now() - openedAt;
    debug(`${ids.length} streams registered in ${(openMs / 1000).toFixed(1)} s`);

    // One checked call before anything is recorded: a fleet that cannot be asked fails loudly.
    const parse = RunnerService.method.parseContextURL;
    const ask = (decode: boolean) => {
      const runner = fleet.runners[Math.floor(Math.random() * fleet.runners.length)] as SimulatedRunner;
      const request = create(parse.input, {
        runnerId: runner.runnerId,
        contextUrl: commitUrl(`repo-${Math.floor(Math.random() * 100)}`),
      });
      return caller.call(parse as UnaryMethod, request, { token: job.callerToken, decode });
    };
    const checked = (await ask(true)) as { git?: { repo?: string } };
    if (!checked.git?.repo) throw new Error("ParseContextURL through a fleet runner answered without a repository");

    // Heartbeats, each runner at its offset of every period, and the callers at their rate;
    // a late timer catches up instead of drifting.
    const began = performance.now();
    let nextBeat = 0;
    let nextCall = 0;
    const beatDue = (n: number) => began + heartbeatAtMs(n, fleet.runners.length, job.heartbeatPeriodMs);
    const callDue = (n: number) => began + (n * 1000) / job.callsPerSecond;
    const ticker = (async () => {
      while (!stopping) {
        const now = performance.now();
        while (beatDue(nextBeat) <= now) {
          const runner = fleet.runners[nextBeat % fleet.runners.length] as SimulatedRunner;
          timed(heartbeats, () => fleet.heartbeat(runner), "heartbeat");
          nextBeat++;
        }
        while (callDue(nextCall) <= now) {
          timed(calls, () => ask(false), "ParseContextURL");
          nextCall++;
        }
        await sleep(Math.max(1, Math.min(beatDue(nextBeat), callDue(nextCall)) - performance.now()));
      }
    })();

    await sleep(job.warmupMs);
    send({ type: "recording" });
    const answerErrorsBefore = fleet.answerErrors;
    recording = true;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await sleep(job.durationMs);
    recording = false;
    const elapsedMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    send({ type: "recorded" });
    stopping = true;
    await ticker;
    await Promise.all(inFlight);
    const streamsAtEnd = await registered();
    const openAtEnd = { ...fleet.open };
    // Streams refused while the fleet opened count too.
    const streamsLost = fleet.streamsLost;
    const answerErrors = fleet.answerErrors - answerErrorsBefore;
    const c = calls.summary();
    const h = heartbeats.summary();
    return {
      requests: c.count,
      errors: calls.errors + heartbeats.errors + streamsLost + answerErrors,
      errorSamples: [...fleet.errorSamples],
      elapsedMs,
      loadCpuPercent: ((used.user + used.system) / 1000 / elapsedMs) * 100,
      p50: c.p50,
      p90: c.p90,
      p99: c.p99,
      max: Number.NaN,
      fleet: {
        runners: fleet.runners.length,
        http2Sessions: fleet.sessions.length,
        streamsOpen: openAtEnd,
        streamsRegistered: streamsAtEnd,
        openSeconds: openMs / 1000,
        heartbeats: h.count,
        heartbeatP50: h.p50,
        heartbeatP99: h.p99,
        heartbeatErrors: heartbeats.errors,
        callErrors: calls.errors,
        answerErrors,
        streamsLost,
      },
    };
  } finally {
    stopping = true;
    fleet.close();
    caller.close();
    // The next scenario starts with the server holding no stream of this fleet.
    await until("the server let go of every stream", 60_000, async () => (await registered()) === 0).catch(() => {});
    await sql?.end({ timeout: 5 });
  }
}

const debug = process.env.BENCH_FLEET_DEBUG ? (m: string) => process.stderr.write(`fleet: ${m}\n`) : () => {};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const send = (message: FromLoad) => process.send?.(message);

process.on("message", (message: ToFleet) => {
  if (message.type === "exit") {
    process.disconnect();
    return;
  }
  runFleet(message.job).then(
    (result) => send({ type: "result", result }),
    (error: unknown) => send({ type: "failed", message: String((error as Error)?.message ?? error) }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
