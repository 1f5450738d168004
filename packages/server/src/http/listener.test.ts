/**
 * The listener's sockets themselves (http/listener.ts); what it does with slow, silent and
 * idle clients is connections.test.ts's, over the whole server.
 */
import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createListener, type Listener } from "./listener.js";

let listener: Listener;
let baseUrl: string;
const served: net.Socket[] = [];

beforeAll(async () => {
  listener = createListener(
    () => (req, res) => {
      served.push(req.socket as net.Socket);
      res.end("ok");
    },
    { headersTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000, http2IdleTimeoutMs: 5_000, requestTimeoutMs: 5_000 },
  );
  const { port } = await listener.listen(0, "127.0.0.1");
  baseUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => listener.close(100));

/**
 * Whether Nagle's algorithm is off on a socket. Node keeps it only internally (net.js's
 * `kSetNoDelay`, the same from Node 20 on). HTTP/2 sessions turn it off themselves.
 */
function noDelay(socket: net.Socket): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === "kSetNoDelay");
  if (!key) throw new Error("this Node keeps no kSetNoDelay on its sockets: find another way to read it");
  return (socket as unknown as Record<symbol, boolean>)[key] === true;
}

describe("the listener's sockets", () => {
  it("have Nagle's algorithm off on HTTP/1.1 connections, as Node's own HTTP server sets it", async () => {
    await new Promise<void>((resolve, reject) =>
      http.get(`${baseUrl}/`, { agent: false }, (res) => res.resume().on("end", resolve)).on("error", reject),
    );
    expect(noDelay(served.at(-1) as net.Socket)).toBe(true);
  });
});
