import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { afterEach, expect, test } from "vitest";
import { envelope, envelopes, type UnaryMethod, wireClient } from "./wire.js";

const method = RunnerService.method.getRunner as UnaryMethod;
const request = create(method.input, { runnerId: "00000000-0000-4000-8000-000000000000" });

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(keepAliveTimeout: number, handler: http.RequestListener): Promise<string> {
  const server = http.createServer({ keepAliveTimeout }, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ok: http.RequestListener = (req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
};

test("the Connect client drops an idle keep-alive socket before the server's advertised timeout", async () => {
  // The server advertises timeout=3 and closes the socket a second after that; the client
  // must close it first (Node: hint minus a second), so it never sends into a closing socket.
  let closedBy: "client" | "server" | undefined;
  const url = await serve(3_000, ok);
  const server = servers[0] as http.Server;
  server.on("connection", (socket: Socket) => {
    // Node's server closes an idle keep-alive socket from its 'timeout'.
    socket.on("timeout", () => {
      closedBy ??= "server";
    });
    socket.on("end", () => {
      closedBy ??= "client";
    });
  });
  const client = wireClient("connect", url, { connections: 1 });
  await client.call(method, request, { token: "", decode: false });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (closedBy) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
  client.close();
  expect(closedBy).toBe("client");
});

test("the Connect client sends a request once more when the server reset the reused socket it went out on", async () => {
  // The server serves one request per connection and then resets it when the next arrives,
  // as when it closes an idle socket just as the client reuses it.
  const served = new WeakMap<Socket, number>();
  const url = await serve(60_000, (req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    if (n > 1) req.socket.resetAndDestroy();
    else ok(req, res);
  });
  const client = wireClient("connect", url, { connections: 1 });
  await client.call(method, request, { token: "", decode: false });
  await expect(client.call(method, request, { token: "", decode: false })).resolves.toBeUndefined();
  client.close();
});

test("envelopes splits a byte stream into the messages envelope framed, however it is chunked", () => {
  const stream = Buffer.concat([
    envelope(Uint8Array.of(1, 2, 3)),
    envelope(new Uint8Array()),
    envelope(Uint8Array.of(9)),
  ]);
  expect([...stream.subarray(0, 5)]).toEqual([0, 0, 0, 0, 3]);
  const got: [number, number[]][] = [];
  const feed = envelopes((flags, data) => got.push([flags, [...data]]));
  for (const byte of stream) feed(Buffer.of(byte));
  expect(got).toEqual([
    [0, [1, 2, 3]],
    [0, []],
    [0, [9]],
  ]);
});
