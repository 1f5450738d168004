/**
 * What a gRPC unary call costs the framework alone on this machine (issue 23): a server with
 * one no-op method (RunnerInteractionService.UpdateRunnerStatus, no interceptors, no
 * database) in a child process, called at a fixed rate (open loop) over 90 HTTP/2 sessions,
 * as the connected fleet's runners call it. Prints the server's CPU over the window, per
 * second and per call. `--path connect-es` serves it through connect-es's gRPC handler, as a
 * bare connect-node server does; `--path lean` through the server's own gRPC unary path
 * (rpc/lean-unary.ts) with the same method. The connected fleet's bound (≤ 50% of a core
 * for 1 000 heartbeats a second) reads against this floor.
 *
 *   node dist/unary-floor.js [--path connect-es|lean] [--rate 1000] [--seconds 5]
 */
import { fork } from "node:child_process";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { create, toBinary } from "@bufbuild/protobuf";
import { createConnectRouter, createContextValues } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import {
  RunnerInteractionService,
  UpdateRunnerStatusRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { createLeanUnary } from "@runnerplane/server/harness";
import { envelope } from "./wire.js";

const paths = ["connect-es", "lean"] as const;
type FloorPath = (typeof paths)[number];
const method = RunnerInteractionService.method.updateRunnerStatus;
const rpcPath = `/${RunnerInteractionService.typeName}/${method.name}`;
const sessions = 90;
const warmupMs = 2_000;

type ToServer = { type: "mark" } | { type: "read" } | { type: "exit" };
type FromServer = { type: "ready"; port: number } | { type: "marked" } | { type: "cpu"; ms: number };

/** The child: the no-op method on an h2c server, through the path asked for. */
function serve(path: FloorPath): void {
  const impl = { updateRunnerStatus: () => ({}) };
  let handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  if (path === "connect-es") {
    handler = connectNodeAdapter({ routes: (router) => router.service(RunnerInteractionService, impl) });
  } else {
    const leanUnary = createLeanUnary({ interceptors: [] });
    const router = createConnectRouter();
    leanUnary.recording(router).service(RunnerInteractionService, impl);
    const connectEs = router.handlers.find((h) => h.method === method);
    handler = (req, res) => {
      const lean = leanUnary.route(method, (name) => req.headers[name] as string | undefined);
      if (!lean || !connectEs) {
        res.writeHead(500).end();
        return;
      }
      const contextValues = createContextValues();
      lean({
        req,
        res,
        contextValues,
        json: undefined,
        controller: new AbortController(),
        fallback: async (body, signal) => {
          const uReq = { ...universalRequestFromNodeRequest(req, res, undefined, contextValues), body, signal };
          await universalResponseToNodeResponse(await connectEs(uReq), res);
        },
      }).catch(() => res.destroy());
    };
  }
  const server = http2.createServer(handler);
  let mark = process.cpuUsage();
  const send = (m: FromServer) => process.send?.(m);
  process.on("message", (m: ToServer) => {
    if (m.type === "mark") {
      mark = process.cpuUsage();
      send({ type: "marked" });
    } else if (m.type === "read") {
      const used = process.cpuUsage(mark);
      send({ type: "cpu", ms: (used.user + used.system) / 1000 });
    } else process.exit(0);
  });
  server.listen(0, "127.0.0.1", () => send({ type: "ready", port: (server.address() as AddressInfo).port }));
}

async function measure(path: FloorPath, rate: number, seconds: number): Promise<void> {
  const child = fork(new URL(import.meta.url), ["--serve", path], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = <T extends FromServer["type"]>(type: T) =>
    new Promise<Extract<FromServer, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FromServer) => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        resolve(m as Extract<FromServer, { type: T }>);
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`the server exited (code ${code})`)));
    });
  const { port } = await next("ready");
  const clients = Array.from({ length: sessions }, () => http2.connect(`http://127.0.0.1:${port}`));
  const body = envelope(
    toBinary(UpdateRunnerStatusRequestSchema, create(UpdateRunnerStatusRequestSchema, { version: "floor" })),
  );
  let answered = 0;
  let errors = 0;
  let inFlight = 0;
  const call = (n: number) => {
    inFlight++;
    const stream = (clients[n % sessions] as http2.ClientHttp2Session).request({
      ":method": "POST",
      ":path": rpcPath,
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
    let ok = false;
    stream.on("response", (h) => {
      if (h[":status"] !== 200) errors++;
    });
    stream.on("trailers", (t) => {
      ok = t["grpc-status"] === "0";
    });
    stream.on("data", () => {});
    stream.on("error", () => {});
    stream.on("close", () => {
      inFlight--;
      if (ok) answered++;
      else errors++;
    });
    stream.end(body);
  };
  const run = async (ms: number) => {
    const began = performance.now();
    let sent = 0;
    while (performance.now() - began < ms) {
      const due = Math.floor(((performance.now() - began) * rate) / 1000);
      while (sent < due) call(sent++);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return sent;
  };
  await run(warmupMs);
  child.send({ type: "mark" } satisfies ToServer);
  await next("marked");
  answered = 0;
  const started = performance.now();
  const sent = await run(seconds * 1000);
  child.send({ type: "read" } satisfies ToServer);
  const { ms } = await next("cpu");
  const elapsedMs = performance.now() - started;
  const window = answered;
  // Every call, the last ones of the window too, has its answer before the count is final.
  const settleBy = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < settleBy) await new Promise((resolve) => setTimeout(resolve, 10));
  errors += inFlight;
  for (const c of clients) c.destroy();
  child.send({ type: "exit" } satisfies ToServer);
  console.log(
    `${path}: ${sent} calls at ${rate}/s over ${sessions} HTTP/2 sessions, ${errors} errors; ` +
      `server CPU ${((ms / elapsedMs) * 100).toFixed(1)}% of a core, ${(ms / Math.max(window, 1)).toFixed(3)} ms per call`,
  );
  if (errors > 0) process.exitCode = 1;
}

const { values } = parseArgs({
  options: {
    path: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    serve: { type: "string" },
  },
});
if (values.serve !== undefined) serve(values.serve as FloorPath);
else {
  const path = (values.path ?? "connect-es") as FloorPath;
  const rate = Number(values.rate ?? 1000);
  const seconds = Number(values.seconds ?? 5);
  if (!paths.includes(path) || !(rate > 0) || !(seconds > 0)) {
    console.error("usage: --path connect-es|lean --rate <calls/s> --seconds <s>");
    process.exit(1);
  }
  await measure(path, rate, seconds);
}
