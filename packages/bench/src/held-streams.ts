/**
 * What one held WatchRequests stream costs the server, measured quietly (issue 23): the real
 * server on a database of its own, N runners each holding one stream opened by a child
 * process, and nothing else going on — no heartbeats, no calls. The live heap (after full
 * collections) and RSS before and after the streams open, divided by N. The connected fleet
 * (`--scenarios connected-fleet`) measures the same under load, where the figure also holds
 * whatever the starved server has in flight.
 *
 *   node --expose-gc dist/held-streams.js [--streams 1000] [--transport grpc-h2|connect-h2|connect-h1] [--connect-es]
 *
 * `--connect-es` turns the lean WatchRequests path off (relay/watch-handler.ts), for a
 * before/after on one build.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { WatchRequestsRequestSchema } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import {
  bootstrap,
  build,
  createKeyRing,
  createLogger,
  createSql,
  issueRunnerAccessTokens,
  migrate,
} from "@runnerplane/server/harness";
import { serverConfig, startDatabase } from "./harness.js";
import { envelope } from "./wire.js";

const transports = ["grpc-h2", "connect-h2", "connect-h1"] as const;
type HeldTransport = (typeof transports)[number];

interface ToClients {
  port: number;
  transport: HeldTransport;
  streams: { runnerId: string; token: string }[];
}

const path = "/gitpod.v1.RunnerInteractionService/WatchRequests";

/** The child: opens every stream, 100 to an HTTP/2 session, and holds them until killed. */
function holdStreams({ port, transport, streams }: ToClients): void {
  const held: unknown[] = [];
  let session: http2.ClientHttp2Session | undefined;
  streams.forEach(({ runnerId, token }, i) => {
    const body = envelope(toBinary(WatchRequestsRequestSchema, create(WatchRequestsRequestSchema, { runnerId })));
    if (transport === "connect-h1") {
      const req = http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        agent: false,
        headers: { "content-type": "application/connect+proto", authorization: `Bearer ${token}` },
      });
      req.on("error", () => {});
      req.end(body);
      held.push(req);
      return;
    }
    if (!session || i % 100 === 0) {
      session = http2.connect(`http://127.0.0.1:${port}`, { peerMaxConcurrentStreams: 1000 });
      session.on("error", () => {});
      held.push(session);
    }
    const grpc = transport === "grpc-h2";
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": grpc ? "application/grpc" : "application/connect+proto",
      ...(grpc ? { te: "trailers" } : {}),
      authorization: `Bearer ${token}`,
    });
    stream.on("error", () => {});
    stream.end(body);
    held.push(stream);
  });
  process.on("disconnect", () => process.exit(0));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      streams: { type: "string", default: "1000" },
      transport: { type: "string", default: "grpc-h2" },
      "connect-es": { type: "boolean", default: false },
    },
  });
  const n = Number(values.streams);
  const transport = values.transport as HeldTransport;
  if (!Number.isSafeInteger(n) || n < 1 || !transports.includes(transport)) {
    throw new Error(`usage: --streams <n ≥ 1> --transport ${transports.join("|")} [--connect-es]`);
  }
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with node --expose-gc");
  const db = await startDatabase();
  // Interrupted (or stopped by `timeout`): the embedded Postgres must not outlive the run.
  const onSignal = () => void db.stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const sql = createSql(db.url, { max: 5, applicationName: "runnerplane-held-streams" });
  const log = createLogger({ level: "warn" });
  try {
    await migrate(sql, { log });
    const { organization, admin } = await bootstrap(sql, { organizationName: "held", adminName: "held" });
    const runners = await sql<{ id: string }[]>`
      insert into runners (organization_id, name, kind, provider, creator_id, creator_principal)
      select ${organization.id}, 'held runner ' || g, 'remote', 'aws_ec2', ${admin.id}, 'user'
        from generate_series(1, ${n}::int) g
      returning id`;
    const issued = await issueRunnerAccessTokens(
      sql,
      organization.id,
      runners.map((r) => r.id),
    );
    // Their use recorded already: opening the streams writes nothing but the streams' rows.
    await sql`update tokens set last_used_at = now() where organization_id = ${organization.id}`;
    const server = build({
      config: serverConfig(30_000),
      sql,
      log,
      keyRing: createKeyRing([{ id: "held-1", key: randomBytes(32) }]),
      ...(values["connect-es"] ? { leanWatch: false as const } : {}),
    });
    const { port } = await server.listen(0, "127.0.0.1");
    const live = () => {
      gc();
      gc();
      return process.memoryUsage();
    };
    const held = async () => {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from runner_connections`;
      return row?.n ?? 0;
    };
    await new Promise((r) => setTimeout(r, 1_000));
    const before = live();
    const clients = fork(new URL(import.meta.url), ["--clients"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const message: ToClients = { port, transport, streams: issued };
    clients.send(message);
    const started = performance.now();
    while ((await held()) < n) {
      if (performance.now() - started > 600_000) throw new Error("the streams did not all open within 10 minutes");
      await new Promise((r) => setTimeout(r, 200));
    }
    const openSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 3_000));
    const after = live();
    const kb = (bytes: number) => (bytes / n / 1024).toFixed(1);
    console.log(
      `${n} streams over ${transport}, ${values["connect-es"] ? "connect-es" : "lean path"}, open in ${openSeconds.toFixed(1)} s: ` +
        `${kb(after.heapUsed - before.heapUsed)} KB live heap and ${kb(after.rss - before.rss)} KB RSS per stream ` +
        `(RSS ${(after.rss / 1e6).toFixed(0)} MB)`,
    );
    clients.kill();
    await server.close();
  } finally {
    await sql.end({ timeout: 5 });
    await db.stop();
  }
}

if (process.argv.includes("--clients")) process.once("message", (m) => holdStreams(m as ToClients));
else
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
