/**
 * A streaming call made by hand over HTTP/1.1 or HTTP/2 (node:http, node:http2), so a test
 * sees every byte the server sends: status, headers, each enveloped frame and the trailers.
 * The lean paths' tests (relay/watch-handler.test.ts, rpc/lean-unary-*.test.ts) compare it
 * with connect-es's answer to the same request.
 */
import http from "node:http";
import http2 from "node:http2";
import { transformSplitEnvelope } from "@connectrpc/connect/protocol";
import { vi } from "vitest";
import type { TestServer } from "./server.js";

export type RawTransport = "HTTP/1.1" | "HTTP/2";

export interface RawFrame {
  flags: number;
  data: Buffer;
}

export interface RawResponse {
  status: number;
  /** Lower-case, without the headers that differ between any two responses (date, request id…). */
  headers: Record<string, string>;
  /** The `x-request-id` the server gave the call (the request log line's id). */
  requestId: string | undefined;
  frames: RawFrame[];
  /** A body that is not enveloped frames (an error before any method ran), as text. */
  unframed?: string;
  trailers: Record<string, string>;
}

export interface RawCall {
  /** Every frame so far; `frames.length` grows as they arrive. */
  readonly frames: RawFrame[];
  /** Settles once the server ended the response (rejects if the connection broke). */
  done: Promise<RawResponse>;
  /** The client hangs up: HTTP/1.1 closes the socket, HTTP/2 resets the stream (CANCEL). */
  hangUp(): void;
}

/** Headers that vary per response or connection and say nothing about the protocol. */
const varying = new Set(["date", "x-request-id", "connection", "keep-alive", "transfer-encoding"]);

export function rawCall(
  transport: RawTransport,
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
): RawCall {
  const result: RawResponse = { status: 0, headers: {}, requestId: undefined, frames: [], trailers: {} };
  const keep = (from: Record<string, unknown>, into: Record<string, string>) => {
    for (const [name, value] of Object.entries(from)) {
      if (value === undefined || name.startsWith(":") || varying.has(name)) continue;
      into[name] = Array.isArray(value) ? value.join(", ") : String(value);
    }
  };
  const read = async (chunks: AsyncIterable<Uint8Array>) => {
    if (!/^application\/(connect\+|grpc)/.test(result.headers["content-type"] ?? "")) {
      const all: Buffer[] = [];
      for await (const chunk of chunks) all.push(Buffer.from(chunk));
      result.unframed = Buffer.concat(all).toString("utf8");
      return;
    }
    for await (const { flags, data } of transformSplitEnvelope(64 * 1024 * 1024)(chunks)) {
      result.frames.push({ flags, data: Buffer.from(data) });
    }
  };
  let hangUp: () => void;
  let done: Promise<RawResponse>;
  if (transport === "HTTP/1.1") {
    const req = http.request(url, { method: "POST", headers, agent: false });
    done = new Promise((resolve, reject) => {
      req.on("error", reject);
      req.on("response", (res) => {
        result.status = res.statusCode ?? 0;
        result.requestId = res.headers["x-request-id"] as string | undefined;
        keep(res.headers, result.headers);
        read(res).then(() => {
          keep(res.trailers, result.trailers);
          resolve(result);
        }, reject);
      });
    });
    req.end(body);
    hangUp = () => req.destroy();
  } else {
    const session = http2.connect(new URL(url).origin);
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": new URL(url).pathname, ...headers });
    done = new Promise((resolve, reject) => {
      stream.on("error", reject);
      // Reset before any response (a hang-up while the server had sent nothing yet).
      stream.on("close", () => {
        if (result.status === 0) reject(new Error(`stream closed (code ${stream.rstCode})`));
      });
      stream.on("trailers", (t) => keep(t, result.trailers));
      stream.on("response", (h) => {
        result.status = Number(h[":status"]);
        result.requestId = h["x-request-id"] as string | undefined;
        keep(h, result.headers);
        read(stream).then(() => resolve(result), reject);
      });
    });
    void done.finally(() => session.close()).catch(() => {});
    stream.end(body);
    hangUp = () => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    };
  }
  return { frames: result.frames, done, hangUp: () => hangUp() };
}

/**
 * The request log line of a call, once the server wrote it (when the response closed),
 * without what differs between any two calls (id, time, duration).
 */
export async function requestLogLine(
  server: TestServer,
  requestId: string | undefined,
): Promise<Record<string, unknown>> {
  const line = await vi.waitFor(
    () => {
      const found = server.logs.find((l) => l.msg === "request" && l.request_id === requestId);
      if (!found) throw new Error(`no request log line for ${requestId}`);
      return found;
    },
    { timeout: 10_000, interval: 20 },
  );
  return comparableLogLine(line);
}

/** A request log line without what varies from request to request (its id, time and duration). */
export function comparableLogLine(line: Record<string, unknown>): Record<string, unknown> {
  const { request_id, duration_ms, time, ...rest } = line;
  return rest;
}
